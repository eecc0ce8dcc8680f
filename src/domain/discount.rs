//! The campaign's price rule: a percentage of the cart, capped, above a minimum cart.

use super::Cents;
use super::Percent;

/// What a campaign gives: `percent` of the cart, never more than `max_discount`, and only to
/// carts of at least `min_cart`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscountRule {
    /// Share of the cart taken off.
    pub percent: Percent,
    /// The cap on the discount of one claim.
    pub max_discount: Cents,
    /// The smallest cart that is eligible (inclusive).
    pub min_cart: Cents,
}

impl DiscountRule {
    /// Whether a cart qualifies for the discount: `cart >= min_cart`.
    #[must_use]
    pub fn is_eligible(&self, cart: Cents) -> bool {
        cart >= self.min_cart
    }

    /// The discount for `cart`, or `None` when the cart is below the minimum.
    ///
    /// `discount = min(floor(cart * bps / 10000), max_discount)`: the floor means a shopper is
    /// never given a fraction of a cent the shop did not offer. The product is computed in
    /// `i128`, so no cart that fits in `Cents` can overflow.
    ///
    /// ```
    /// use flashsale::domain::DiscountRule;
    ///
    /// let rule = DiscountRule {
    ///     percent: "15".parse()?,
    ///     max_discount: "20.00".parse()?,
    ///     min_cart: "50.00".parse()?,
    /// };
    /// assert_eq!(rule.discount_for("64.90".parse()?), Some("9.73".parse()?)); // 9.735 floors
    /// assert_eq!(rule.discount_for("500.00".parse()?), Some("20.00".parse()?)); // capped
    /// assert_eq!(rule.discount_for("49.99".parse()?), None); // below the minimum
    /// # Ok::<(), flashsale::domain::Invalid>(())
    /// ```
    #[must_use]
    pub fn discount_for(&self, cart: Cents) -> Option<Cents> {
        if !self.is_eligible(cart) {
            return None;
        }
        let raw =
            i128::from(cart.get()) * i128::from(self.percent.bps()) / i128::from(Percent::FULL_BPS);
        // raw <= cart because bps <= 10000, so it fits back in i64.
        let raw = i64::try_from(raw).unwrap_or(i64::MAX);
        Some(Cents::new(raw.min(self.max_discount.get())).unwrap_or(Cents::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const MAX: i64 = Cents::MAX.get();

    fn rule(bps: u16, max: i64, min: i64) -> DiscountRule {
        DiscountRule {
            percent: Percent::from_bps(bps).unwrap(),
            max_discount: Cents::new(max).unwrap(),
            min_cart: Cents::new(min).unwrap(),
        }
    }

    #[test]
    fn known_cases() {
        // (bps, cap, min, cart, expected)
        let cases = [
            (1500, 1000, 0, 5000, Some(750)),       // 15 % of 50.00
            (1500, 500, 0, 5000, Some(500)),        // capped
            (1250, 100_000, 0, 999, Some(124)),     // 124.875 floors to 124
            (10_000, 100_000, 0, 4321, Some(4321)), // 100 % is the whole cart, under the cap
            (1, 100, 0, 9_999, Some(0)),            // 0.01 % of 99.99 floors to 0
            (1, 100, 0, 10_000, Some(1)),           // exact
            (5000, 1_000, 2000, 1999, None),        // one cent below the minimum
            (5000, 1_000, 2000, 2000, Some(1000)),  // exactly the minimum is eligible
            (5000, 1_000, 0, 0, Some(0)),           // an empty cart is eligible for nothing
            (10_000, MAX, 0, MAX, Some(MAX)),       // no overflow at the top
        ];
        for (bps, cap, min, cart, expected) in cases {
            let got = rule(bps, cap, min)
                .discount_for(Cents::new(cart).unwrap())
                .map(Cents::get);
            assert_eq!(got, expected, "bps={bps} cap={cap} min={min} cart={cart}");
        }
    }

    fn any_rule() -> impl Strategy<Value = DiscountRule> {
        (1u16..=10_000, 1i64..10_000_000, 0i64..10_000_000)
            .prop_map(|(bps, cap, min)| rule(bps, cap, min))
    }

    proptest! {
        /// The discount never exceeds the cap.
        #[test]
        fn never_above_the_cap(r in any_rule(), cart in 0i64..=MAX) {
            if let Some(d) = r.discount_for(Cents::new(cart).unwrap()) {
                prop_assert!(d <= r.max_discount);
            }
        }

        /// The discount never exceeds the percentage of the cart (so never the cart itself).
        #[test]
        fn never_above_the_percentage(r in any_rule(), cart in 0i64..=MAX) {
            if let Some(d) = r.discount_for(Cents::new(cart).unwrap()) {
                prop_assert!(i128::from(d.get()) * 10_000 <= i128::from(cart) * i128::from(r.percent.bps()));
                prop_assert!(d.get() <= cart);
            }
        }

        /// A bigger cart never gets a smaller discount.
        #[test]
        fn monotone_in_the_cart(r in any_rule(), a in 0i64..1_000_000_000, extra in 0i64..1_000_000_000) {
            let small = r.discount_for(Cents::new(a).unwrap());
            let big = r.discount_for(Cents::new(a + extra).unwrap());
            if let Some(small) = small {
                prop_assert!(big.is_some_and(|big| big >= small));
            }
        }

        /// Below the cap the discount is exactly the floor of cart * percent: within one cent
        /// below the exact value, never above it.
        #[test]
        fn exact_floor_rounding(bps in 1u16..=10_000, cart in 0i64..1_000_000_000_000) {
            let r = rule(bps, MAX, 0);
            let d = i128::from(r.discount_for(Cents::new(cart).unwrap()).unwrap().get());
            let exact_times_10k = i128::from(cart) * i128::from(bps);
            prop_assert!(d * 10_000 <= exact_times_10k);
            prop_assert!((d + 1) * 10_000 > exact_times_10k);
        }

        /// Eligibility switches exactly at the minimum cart.
        #[test]
        fn min_cart_boundary(r in any_rule()) {
            let min = r.min_cart.get();
            prop_assert!(r.discount_for(Cents::new(min).unwrap()).is_some());
            if min > 0 {
                prop_assert!(r.discount_for(Cents::new(min - 1).unwrap()).is_none());
            }
        }

        /// A higher percentage never gives a smaller discount.
        #[test]
        fn monotone_in_the_percentage(lo in 1u16..=10_000, hi in 1u16..=10_000, cap in 1i64..10_000_000, cart in 0i64..1_000_000_000) {
            let (lo, hi) = (lo.min(hi), lo.max(hi));
            let cart = Cents::new(cart).unwrap();
            prop_assert!(rule(lo, cap, 0).discount_for(cart) <= rule(hi, cap, 0).discount_for(cart));
        }
    }
}
