//! The load a run applies, and each user's share of it.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use std::time::Duration;

use crate::domain::{Cents, Invalid};

/// The most users one run may simulate; far above any real sale, and it keeps every count
/// comfortably inside `i64` and exact in the report's floating-point rates.
pub const MAX_USERS: u64 = 1_000_000_000;

/// The most tabs one user may open: a person with more tabs is a bot, and a bound keeps one
/// user's fan-out (tasks in flight) small.
pub const MAX_TABS: u32 = 64;

/// The most users in flight at once.
pub const MAX_CONCURRENCY: usize = 100_000;

/// The most shoppers an open-loop run ([`Load::arrivals`]) keeps in flight: each one is a task
/// holding its requests, so a store slower than the offered rate would otherwise grow memory
/// without bound. A shopper due while this many are in flight starts as soon as one finishes,
/// late, and the report says how late ([`Arrivals`]).
pub const MAX_IN_FLIGHT: usize = MAX_CONCURRENCY;

/// The longest span arrivals may be spread over: an hour. Longer is a soak test, not a sale,
/// and the report keeps one row per second of the run.
pub const MAX_ARRIVALS_SECS: u64 = 3_600;

/// Users in flight at once by default: enough to keep the embedded store's group commit
/// batching full, few enough that memory stays small.
pub const DEFAULT_CONCURRENCY: usize = 1_000;

/// Tabs a duplicating user opens by default.
pub const DEFAULT_TABS: u32 = 2;

/// Share of duplicating users by default: the headline check is one claim per user, so the
/// default run exercises tabs and retries.
pub const DEFAULT_DUPLICATE_RATIO: f64 = 0.1;

/// Share of granted users who redeem at checkout by default: enough that every
/// redemption path (a retry of the same order, a second order) runs in a default run.
pub const DEFAULT_REDEEM_RATIO: f64 = 0.3;

/// Share of granted users whose claim an operator voids by default: none, since a void
/// hands a unit back and so changes what a run's numbers mean; `--void-ratio` turns it on.
pub const DEFAULT_VOID_RATIO: f64 = 0.0;

/// The range carts are drawn from, inclusive at both ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CartRange {
    /// Smallest cart.
    pub min: Cents,
    /// Largest cart.
    pub max: Cents,
}

impl Default for CartRange {
    /// 10.00 to 150.00: against the 20.00 minimum of the campaign
    /// [`Simulator::create_campaign`](super::Simulator::create_campaign) makes, about 93 % of
    /// users are eligible and a few are refused, so both paths run.
    fn default() -> Self {
        CartRange {
            min: cents(1_000),  // 10.00
            max: cents(15_000), // 150.00
        }
    }
}

/// A constant amount; only ever called with non-negative literals.
pub(super) fn cents(minor_units: i64) -> Cents {
    Cents::new(minor_units).unwrap_or(Cents::ZERO)
}

/// The load a simulation applies.
#[derive(Clone, Debug)]
pub struct Load {
    /// Simulated users, each one a task.
    pub users: u64,
    /// Concurrent requests a duplicating user sends.
    pub tabs: u32,
    /// Share of users, in `[0, 1]`, who duplicate: they send `tabs` concurrent requests, then
    /// one retry after those answered (a refresh).
    pub duplicate_ratio: f64,
    /// Users in flight at once.
    pub concurrency: usize,
    /// Seed of every user's cart and tab count; the same seed repeats the same run.
    pub seed: u64,
    /// Where carts are drawn from.
    pub carts: CartRange,
    /// Share of users, in `[0, 1]`, who redeem their claim at checkout once granted: a third
    /// of them retry the same order (a replay), a third then try a second order (refused).
    pub redeem_ratio: f64,
    /// Share of users, in `[0, 1]`, whose claim an operator voids once granted (racing the
    /// user's own redemption when both happen), after which the user claims again and must
    /// get the voided claim back.
    pub void_ratio: f64,
    /// An open loop: each shopper starts at its own arrival instant, whether or not earlier
    /// ones have finished (at most [`MAX_IN_FLIGHT`] in flight). `None`: a closed loop of
    /// [`Load::concurrency`] shoppers, each starting when another finishes.
    pub arrivals: Option<Arrivals>,
    /// The most shoppers an open loop keeps in flight: [`MAX_IN_FLIGHT`] unless a smaller cap
    /// is wanted (a test of what the cap does, without 100,000 shoppers). A closed loop's
    /// bound is [`Load::concurrency`].
    pub max_in_flight: usize,
}

/// How an open-loop run's shoppers arrive: the shape of the arrival instants, and the span
/// they are spread over. Shopper `i` of `n` arrives at `over * F⁻¹(i / n)` from the start of
/// the run, where `F` is the shape's share of arrivals by then; the first arrives at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrivals {
    /// The shape.
    pub shape: Shape,
    /// The span every arrival falls within.
    pub over: Duration,
}

/// The shape of arrivals over their span `D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Evenly spread: a constant rate of `n / D`.
    Uniform,
    /// The opening rush: the rate is highest at the start (`2n / D`) and falls linearly to
    /// nothing at `D`, so three quarters of the shoppers arrive in the first half.
    Burst,
    /// A rising rate, proportional to the time since the start (from nothing to `2n / D`):
    /// a quarter of the shoppers arrive in the first half.
    Ramp,
}

impl Shape {
    /// The shape's name, as `--arrivals` and the report spell it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Uniform => "uniform",
            Shape::Burst => "burst",
            Shape::Ramp => "ramp",
        }
    }

    /// The instant, as a share of the span, by which a share `q` (in `[0, 1)`) of the
    /// shoppers have arrived: the inverse of the shape's cumulative distribution.
    fn quantile(self, q: f64) -> f64 {
        match self {
            Shape::Uniform => q,
            // Density 2(1 - t): F(t) = 1 - (1 - t)^2.
            Shape::Burst => 1.0 - (1.0 - q).sqrt(),
            // Density 2t: F(t) = t^2.
            Shape::Ramp => q.sqrt(),
        }
    }
}

impl Arrivals {
    /// Reads `KIND:DURATION` (`uniform:10s`, `burst:1s`, `ramp:30s`); the duration reads like
    /// every duration an operator types (s, m, h; at least 1s), at most
    /// [`MAX_ARRIVALS_SECS`].
    ///
    /// # Errors
    /// [`Invalid`] naming `field`, with what was expected.
    pub fn parse(text: &str, field: &'static str) -> Result<Arrivals, Invalid> {
        let shown = crate::domain::shown(text);
        let bad = |why: String| Invalid::new(field, why);
        let Some((kind, span)) = text.split_once(':') else {
            return Err(bad(format!(
                "`{shown}` is not KIND:DURATION, e.g. uniform:10s, burst:1s or ramp:30s"
            )));
        };
        let shape = match kind {
            "uniform" => Shape::Uniform,
            "burst" => Shape::Burst,
            "ramp" => Shape::Ramp,
            _ => {
                return Err(bad(format!(
                    "`{}` is not a kind of arrivals: uniform, burst or ramp",
                    crate::domain::shown(kind)
                )));
            }
        };
        let over = crate::domain::parse::duration(span, field)?
            .to_std()
            .map_err(|_| bad(format!("`{shown}` must last at least 1s")))?;
        if over.as_secs() > MAX_ARRIVALS_SECS {
            return Err(bad(format!(
                "`{shown}` spreads arrivals over more than {MAX_ARRIVALS_SECS}s (an hour)"
            )));
        }
        Ok(Arrivals { shape, over })
    }

    /// When shopper `index` of `users` arrives, from the start of the run.
    #[must_use]
    #[expect(
        clippy::cast_precision_loss,
        reason = "a share of at most a billion users: f64's error is far below a microsecond"
    )]
    pub fn offset(&self, index: u64, users: u64) -> Duration {
        let share = index as f64 / users.max(1) as f64;
        self.over
            .mul_f64(self.shape.quantile(share.clamp(0.0, 1.0)))
    }
}

impl std::fmt::Display for Arrivals {
    /// As typed: `burst:1s`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}s", self.shape.as_str(), self.over.as_secs())
    }
}

/// What one user does, derived from `(seed, user index)` alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserPlan {
    /// The user's cart.
    pub cart: Cents,
    /// Concurrent first requests (1 for a user who does not duplicate).
    pub tabs: u32,
    /// Whether the user claims once more after the first requests answered.
    pub retry: bool,
    /// How the user redeems once granted, if at all.
    pub redeem: Redeem,
    /// Whether an operator voids the user's claim once granted.
    pub voided: bool,
}

/// What a user does at checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redeem {
    /// Never checks out.
    Never,
    /// Redeems once.
    Once,
    /// Redeems, then retries the same order (the retry must replay).
    Retry,
    /// Redeems, then tries a second order with the same token (it must be refused).
    SecondOrder,
}

impl Load {
    /// A load of `users` users with the defaults for everything else and the given `seed`.
    #[must_use]
    pub fn new(users: u64, seed: u64) -> Self {
        Load {
            users,
            tabs: DEFAULT_TABS,
            duplicate_ratio: DEFAULT_DUPLICATE_RATIO,
            concurrency: DEFAULT_CONCURRENCY,
            seed,
            carts: CartRange::default(),
            redeem_ratio: DEFAULT_REDEEM_RATIO,
            void_ratio: DEFAULT_VOID_RATIO,
            arrivals: None,
            max_in_flight: MAX_IN_FLIGHT,
        }
    }

    /// The most shoppers in flight at once: [`Load::concurrency`] in a closed loop,
    /// [`Load::max_in_flight`] in an open one.
    #[must_use]
    pub fn in_flight_bound(&self) -> usize {
        if self.arrivals.is_some() {
            self.max_in_flight
        } else {
            self.concurrency
        }
    }

    /// Checks every bound. The error names the field in the load's own words ("users",
    /// "tabs", "duplicate ratio", "concurrency", "cart range"), so a front end can point at
    /// whatever set it.
    ///
    /// # Errors
    /// [`Invalid`] for users, tabs or concurrency out of range, a ratio outside `[0, 1]`, or
    /// a cart range whose minimum is above its maximum.
    pub fn validate(&self) -> Result<(), Invalid> {
        if !(1..=MAX_USERS).contains(&self.users) {
            return Err(Invalid::new(
                "users",
                format!("must be from 1 to {MAX_USERS}"),
            ));
        }
        if !(1..=MAX_TABS).contains(&self.tabs) {
            return Err(Invalid::new(
                "tabs",
                format!("must be from 1 to {MAX_TABS}"),
            ));
        }
        if !(0.0..=1.0).contains(&self.duplicate_ratio) {
            return Err(Invalid::new(
                "duplicate ratio",
                "must be a number from 0 to 1, e.g. 0.2",
            ));
        }
        if !(0.0..=1.0).contains(&self.redeem_ratio) {
            return Err(Invalid::new(
                "redeem ratio",
                "must be a number from 0 to 1, e.g. 0.3",
            ));
        }
        if !(0.0..=1.0).contains(&self.void_ratio) {
            return Err(Invalid::new(
                "void ratio",
                "must be a number from 0 to 1, e.g. 0.05",
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(Invalid::new(
                "concurrency",
                format!("must be from 1 to {MAX_CONCURRENCY}"),
            ));
        }
        if !(1..=MAX_IN_FLIGHT).contains(&self.max_in_flight) {
            return Err(Invalid::new(
                "max in flight",
                format!("must be from 1 to {MAX_IN_FLIGHT}"),
            ));
        }
        if self.carts.min > self.carts.max {
            return Err(Invalid::new(
                "cart range",
                format!(
                    "the minimum {} is above the maximum {}",
                    self.carts.min, self.carts.max
                ),
            ));
        }
        Ok(())
    }

    /// The plan of user `index`: a pure function of the seed and the index, so a run repeats
    /// and no plan is ever stored.
    #[must_use]
    pub fn plan(&self, index: u64) -> UserPlan {
        // The key holds seed and index side by side, so every (seed, index) pair has its own
        // ChaCha stream and no two users' draws are correlated.
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&self.seed.to_le_bytes());
        key[8..16].copy_from_slice(&index.to_le_bytes());
        let mut rng = StdRng::from_seed(key);
        let cart = rng.random_range(self.carts.min.get()..=self.carts.max.get());
        let duplicates = rng.random_bool(self.duplicate_ratio.clamp(0.0, 1.0));
        // Drawn after the cart and the tabs, so those stay what they were for a seed.
        let redeem = if rng.random_bool(self.redeem_ratio.clamp(0.0, 1.0)) {
            match rng.random_range(0..3) {
                0 => Redeem::Once,
                1 => Redeem::Retry,
                _ => Redeem::SecondOrder,
            }
        } else {
            Redeem::Never
        };
        let voided = rng.random_bool(self.void_ratio.clamp(0.0, 1.0));
        UserPlan {
            // cart lies between two valid amounts, so it is a valid amount.
            cart: Cents::new(cart).unwrap_or(self.carts.min),
            tabs: if duplicates { self.tabs } else { 1 },
            retry: duplicates,
            redeem,
            voided,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_plan_depends_only_on_seed_and_index() {
        let load = Load {
            duplicate_ratio: 0.5,
            tabs: 3,
            ..Load::new(1_000, 42)
        };
        let first: Vec<UserPlan> = (0..1_000).map(|i| load.plan(i)).collect();
        let again: Vec<UserPlan> = (0..1_000).rev().map(|i| load.plan(i)).rev().collect();
        assert_eq!(first, again);
        let other_seed = Load {
            seed: 43,
            ..load.clone()
        };
        let different = (0..1_000)
            .filter(|&i| other_seed.plan(i) != load.plan(i))
            .count();
        assert!(
            different > 900,
            "only {different} plans changed with the seed"
        );
    }

    #[test]
    fn plans_follow_the_cart_range_and_the_duplicate_ratio() {
        let load = Load {
            duplicate_ratio: 0.2,
            tabs: 4,
            ..Load::new(10_000, 7)
        };
        let plans: Vec<UserPlan> = (0..10_000).map(|i| load.plan(i)).collect();
        assert!(
            plans
                .iter()
                .all(|p| load.carts.min <= p.cart && p.cart <= load.carts.max)
        );
        let duplicating = plans.iter().filter(|p| p.retry).count();
        assert!((1_700..=2_300).contains(&duplicating), "{duplicating}");
        assert!(
            plans
                .iter()
                .all(|p| if p.retry { p.tabs == 4 } else { p.tabs == 1 })
        );
        let none = Load {
            duplicate_ratio: 0.0,
            ..load.clone()
        };
        assert!((0..1_000).all(|i| !none.plan(i).retry));
        let all = Load {
            duplicate_ratio: 1.0,
            ..load
        };
        assert!((0..1_000).all(|i| all.plan(i).retry));
    }

    #[test]
    fn out_of_bounds_loads_name_their_field_in_domain_words() {
        let ok = Load::new(10, 1);
        assert_eq!(ok.validate(), Ok(()));
        let at_the_bounds = Load {
            users: MAX_USERS,
            tabs: MAX_TABS,
            duplicate_ratio: 1.0,
            concurrency: MAX_CONCURRENCY,
            carts: CartRange {
                min: cents(7),
                max: cents(7),
            },
            ..ok.clone()
        };
        assert_eq!(at_the_bounds.validate(), Ok(()));
        let cases = [
            (
                Load {
                    users: 0,
                    ..ok.clone()
                },
                "users",
            ),
            (
                Load {
                    users: MAX_USERS + 1,
                    ..ok.clone()
                },
                "users",
            ),
            (
                Load {
                    tabs: 0,
                    ..ok.clone()
                },
                "tabs",
            ),
            (
                Load {
                    tabs: MAX_TABS + 1,
                    ..ok.clone()
                },
                "tabs",
            ),
            (
                Load {
                    duplicate_ratio: 1.5,
                    ..ok.clone()
                },
                "duplicate ratio",
            ),
            (
                Load {
                    duplicate_ratio: -0.1,
                    ..ok.clone()
                },
                "duplicate ratio",
            ),
            (
                Load {
                    duplicate_ratio: f64::NAN,
                    ..ok.clone()
                },
                "duplicate ratio",
            ),
            (
                Load {
                    concurrency: 0,
                    ..ok.clone()
                },
                "concurrency",
            ),
            (
                Load {
                    concurrency: MAX_CONCURRENCY + 1,
                    ..ok.clone()
                },
                "concurrency",
            ),
            (
                Load {
                    max_in_flight: 0,
                    ..ok.clone()
                },
                "max in flight",
            ),
            (
                Load {
                    max_in_flight: MAX_IN_FLIGHT + 1,
                    ..ok.clone()
                },
                "max in flight",
            ),
            (
                Load {
                    carts: CartRange {
                        min: cents(2),
                        max: cents(1),
                    },
                    ..ok.clone()
                },
                "cart range",
            ),
        ];
        for (load, field) in cases {
            let err = load.validate().expect_err(field);
            assert_eq!(err.field, field, "{load:?}");
            assert!(!err.reason.contains("--"), "a flag in {err}");
        }
    }

    #[test]
    fn arrivals_read_kind_and_duration_and_refuse_anything_else() {
        let read = |text| Arrivals::parse(text, "--arrivals");
        assert_eq!(
            read("burst:1s"),
            Ok(Arrivals {
                shape: Shape::Burst,
                over: Duration::from_secs(1),
            })
        );
        assert_eq!(read("uniform:1m30s").map(|a| a.over.as_secs()), Ok(90));
        assert_eq!(read("ramp:1h").map(|a| a.shape), Ok(Shape::Ramp));
        assert_eq!(
            read("ramp:30s").map(|a| a.to_string()),
            Ok("ramp:30s".into())
        );
        for (text, why) in [
            ("burst", "is not KIND:DURATION"),
            (
                "poisson:1s",
                "`poisson` is not a kind of arrivals: uniform, burst or ramp",
            ),
            ("Burst:1s", "is not a kind of arrivals"),
            ("burst:0s", "must be at least 1s"),
            ("burst:-1s", "is not a duration"),
            ("burst:1", "a unit is required"),
            ("burst:", "a unit is required"),
            ("burst:1h1s", "more than 3600s"),
        ] {
            let err = read(text).expect_err(text);
            assert_eq!(err.field, "--arrivals", "{text}");
            assert!(err.reason.contains(why), "{text}: {err}");
        }
    }

    /// The share of `users` arrivals that fall in the first `fraction` of the span.
    fn share_before(arrivals: Arrivals, users: u64, fraction: f64) -> u64 {
        let cut = arrivals.over.mul_f64(fraction);
        (0..users)
            .filter(|&i| arrivals.offset(i, users) < cut)
            .count() as u64
    }

    #[test]
    fn each_shape_spreads_its_arrivals_as_documented() {
        let over = Duration::from_secs(10);
        let shaped = |shape| Arrivals { shape, over };
        for shape in [Shape::Uniform, Shape::Burst, Shape::Ramp] {
            let a = shaped(shape);
            assert_eq!(a.offset(0, 1_000), Duration::ZERO, "{shape:?}");
            let offsets: Vec<Duration> = (0..1_000).map(|i| a.offset(i, 1_000)).collect();
            assert!(
                offsets.windows(2).all(|w| w[0] <= w[1]),
                "{shape:?} goes back in time"
            );
            assert!(
                offsets.iter().all(|o| *o < over),
                "{shape:?} arrives after its span"
            );
        }
        // Half the span holds half the uniform arrivals, three quarters of a burst's and a
        // quarter of a ramp's.
        assert_eq!(share_before(shaped(Shape::Uniform), 1_000, 0.5), 500);
        assert_eq!(share_before(shaped(Shape::Burst), 1_000, 0.5), 750);
        assert_eq!(share_before(shaped(Shape::Ramp), 1_000, 0.5), 250);
        // Evenly spread: one every span / users.
        let uniform = shaped(Shape::Uniform);
        assert_eq!(uniform.offset(1, 1_000), Duration::from_millis(10));
        assert_eq!(uniform.offset(999, 1_000), Duration::from_millis(9_990));
    }
}
