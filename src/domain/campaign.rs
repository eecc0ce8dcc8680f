//! Campaigns: identity, live window, state and the admission rule of a claim.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::claim::Refusal;
use super::money::shown;
use super::{Cents, Conflict, DiscountRule, Hold, Invalid, Percent, Units, rfc3339};

/// A campaign's id: a slug of 1 to 64 characters from `[a-z0-9-]`, safe in URLs and shells.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CampaignId(String);

impl CampaignId {
    /// Checks an id given by an operator or read back from a store.
    ///
    /// # Errors
    /// [`Invalid`] when `text` is not a slug of 1 to 64 characters from `[a-z0-9-]`.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let ok = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(CampaignId(text.to_owned()))
        } else {
            Err(Invalid::new(
                "campaign id",
                format!(
                    "`{}` must be 1 to 64 characters of a-z, 0-9 and -",
                    shown(text)
                ),
            ))
        }
    }

    /// Derives an id from a campaign name plus a caller-chosen suffix (random in practice),
    /// e.g. `Spring Sale!` + `4f2a` gives `spring-sale-4f2a`.
    #[must_use]
    pub fn from_name(name: &str, suffix: &str) -> Self {
        let mut slug = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let mut slug: String = slug.trim_end_matches('-').chars().take(40).collect();
        slug = slug.trim_end_matches('-').to_owned();
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.extend(
            suffix
                .chars()
                .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                .take(16),
        );
        if slug.is_empty() {
            slug.push_str("campaign");
        }
        CampaignId(slug)
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CampaignId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 4217 currency code (three upper-case letters), checked against the `iso_currency`
/// crate's list of the standard's codes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    /// Checks a currency code: one of ISO 4217's (any case; it is upper-cased).
    ///
    /// # Errors
    /// [`Invalid`] unless `text` is an ISO 4217 code: `XYZ` is three letters but no currency.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let currency = Self::parse_stored(text)?;
        if iso_currency::Currency::from_code(currency.as_str()).is_some() {
            Ok(currency)
        } else {
            Err(Invalid::new(
                "currency",
                format!(
                    "`{}` is not an ISO 4217 currency code (like EUR, USD or JPY)",
                    shown(text)
                ),
            ))
        }
    }

    /// Reads a code a store holds: three ASCII letters. Not checked against ISO 4217, so that
    /// a campaign created before codes were checked stays readable.
    ///
    /// # Errors
    /// [`Invalid`] unless `text` is three ASCII letters.
    pub fn parse_stored(text: &str) -> Result<Self, Invalid> {
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Currency(text.to_ascii_uppercase()))
        } else {
            Err(Invalid::new(
                "currency",
                format!("`{}` must be a 3-letter code like EUR", shown(text)),
            ))
        }
    }

    /// How many decimal places the currency's minor unit has, from ISO 4217: 2 for EUR (cents),
    /// 0 for JPY (amounts are whole yen), 3 for KWD (fils). Amounts in JSON (`*_cents`) and in
    /// stores count this unit. A code without a minor unit (XAU, gold) counts whole units; a
    /// stored code ISO 4217 does not know keeps 2, what every amount was read with before.
    #[must_use]
    pub fn minor_digits(&self) -> u32 {
        match iso_currency::Currency::from_code(self.as_str()) {
            Some(iso) => iso.exponent().map_or(0, u32::from),
            None => 2,
        }
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod currency_tests {
    use super::Currency;

    #[test]
    fn only_iso_4217_codes_are_currencies() {
        assert_eq!(Currency::parse("usd").unwrap().as_str(), "USD");
        assert_eq!(Currency::parse("JPY").unwrap().as_str(), "JPY");
        for bad in ["XYZ", "EU", "EURO", "ABC", "", "€"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
        // A code stored before the check stays readable.
        assert_eq!(Currency::parse_stored("XYZ").unwrap().as_str(), "XYZ");
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency("EUR".to_owned())
    }
}

/// When a campaign accepts claims: from `starts_at` to `ends_at`, both instants included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// First instant at which claims are accepted.
    pub starts_at: DateTime<Utc>,
    /// Last instant at which claims are accepted.
    pub ends_at: DateTime<Utc>,
}

impl Window {
    /// The earliest instant a window may hold: RFC 3339 writes years 0000 to 9999 only.
    pub const EARLIEST: DateTime<Utc> = match DateTime::from_timestamp_secs(-62_167_219_200) {
        Some(instant) => instant,
        None => panic!("0000-01-01T00:00:00Z is a valid instant"),
    };

    /// The latest instant a window may hold (9999-12-31T23:59:59.999Z): a later `ends_at`
    /// would print as `+10000-…`, which is not RFC 3339.
    pub const LATEST: DateTime<Utc> = match DateTime::from_timestamp_millis(253_402_300_799_999) {
        Some(instant) => instant,
        None => panic!("9999-12-31T23:59:59.999Z is a valid instant"),
    };

    /// Checks that `instant` can be stored and printed as given: inside
    /// [`Window::EARLIEST`]..=[`Window::LATEST`], and not a leap second (`:60`), which chrono
    /// keeps apart but stores and clients fold into the next second, so the window would move
    /// by a second between create and status.
    ///
    /// # Errors
    /// [`Invalid`] naming `field`.
    pub fn check_instant(field: &'static str, instant: DateTime<Utc>) -> Result<(), Invalid> {
        use chrono::Timelike as _;
        if instant.nanosecond() >= 1_000_000_000 {
            return Err(Invalid::new(
                field,
                "is a leap second (:60): give :59 or the next minute's :00",
            ));
        }
        if instant < Self::EARLIEST || instant > Self::LATEST {
            return Err(Invalid::new(
                field,
                "must be from year 0000 to 9999 (RFC 3339 writes no other year)",
            ));
        }
        Ok(())
    }

    /// Whether `now` is inside the window (inclusive at both ends).
    #[must_use]
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now <= self.ends_at
    }
}

/// Where a campaign stands at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Before `starts_at`.
    Scheduled,
    /// Accepting claims.
    Live,
    /// Stopped for now by an operator, before or inside the window: new claims are refused
    /// until a resume.
    Paused,
    /// Inside the window, but no unit is left.
    SoldOut,
    /// After `ends_at`, or stopped by an operator.
    Ended,
}

impl CampaignState {
    /// The contract's name for the state (`scheduled`, `live`, `paused`, `sold_out`, `ended`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Scheduled => "scheduled",
            CampaignState::Live => "live",
            CampaignState::Paused => "paused",
            CampaignState::SoldOut => "sold_out",
            CampaignState::Ended => "ended",
        }
    }
}

impl fmt::Display for CampaignState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A campaign as a store holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    /// Its id.
    pub id: CampaignId,
    /// A human name.
    pub name: String,
    /// When claims are accepted.
    pub window: Window,
    /// The price rule.
    pub rule: DiscountRule,
    /// The currency every amount of this campaign is in.
    pub currency: Currency,
    /// The stock counters, behind methods: only a granted claim ([`Campaign::take_unit`]) and
    /// a store's own atomic writes change them.
    pub(super) total: i64,
    pub(super) claimed: i64,
    pub(super) remaining: i64,
    /// When an operator stopped the campaign, if one did.
    pub ended_at: Option<DateTime<Utc>>,
    /// When the campaign was created.
    pub created_at: DateTime<Utc>,
    /// Stopped for now by an operator: new claims are refused (replays and redeems work).
    pub paused: bool,
    /// How long a claim holds its unit unredeemed (`None`: for good).
    pub hold: Option<Hold>,
}

impl Campaign {
    /// Units ever put on sale (initial inventory plus restocks).
    #[must_use]
    pub fn total(&self) -> i64 {
        self.total
    }

    /// Units held by claims (`claimed` and `redeemed` ones; voided and expired claims gave
    /// theirs back).
    #[must_use]
    pub fn claimed(&self) -> i64 {
        self.claimed
    }

    /// Units still available to claim.
    #[must_use]
    pub fn remaining(&self) -> i64 {
        self.remaining
    }

    /// Records one unit handed out, when a store carries out a
    /// [`Decision::Grant`](super::Decision::Grant) on its copy of the campaign. A grant is only
    /// ever decided with a unit left ([`Campaign::admit`] refuses sold out), so this never
    /// takes `remaining` below zero; the assertion catches a store that carries out anything
    /// else.
    pub fn take_unit(&mut self) {
        debug_assert!(self.remaining > 0, "a unit taken from a sold-out campaign");
        self.remaining -= 1;
        self.claimed += 1;
    }

    /// The campaign's state at `now`.
    ///
    /// One state wins when several hold, in the order an operator must act on them: `ended`
    /// first, since it is final (nothing reopens the campaign, a resume is a conflict); then
    /// `paused`, since it is the operator's own stop and lasts until they resume it: a paused
    /// campaign shown as `scheduled` would not open at its start as the table suggested, one
    /// shown as `sold_out` would not reopen on a restock; then what the clock and the stock
    /// say (`scheduled`, `sold_out`, `live`).
    #[must_use]
    pub fn state(&self, now: DateTime<Utc>) -> CampaignState {
        if self.ended_at.is_some() || now > self.window.ends_at {
            CampaignState::Ended
        } else if self.paused {
            CampaignState::Paused
        } else if now < self.window.starts_at {
            CampaignState::Scheduled
        } else if self.remaining <= 0 {
            CampaignState::SoldOut
        } else {
            CampaignState::Live
        }
    }

    /// Whether the campaign has reached its start at `now`, whatever its state: before, it
    /// is an unannounced launch that no unauthenticated answer may reveal.
    #[must_use]
    pub fn started(&self, now: DateTime<Utc>) -> bool {
        now >= self.window.starts_at
    }

    /// Whether claims are accepted at `now`, inventory aside: inside the window and neither
    /// stopped nor paused by an operator.
    fn accepts_claims_at(&self, now: DateTime<Utc>) -> bool {
        self.ended_at.is_none() && !self.paused && self.window.contains(now)
    }

    /// Records one unit handed back by a voided or expired claim, when a store carries out a
    /// [`Verdict`](super::Verdict) that [returns a unit](super::Verdict::returns_unit).
    pub fn return_unit(&mut self) {
        debug_assert!(self.claimed > 0, "a unit returned that no claim held");
        self.remaining += 1;
        self.claimed -= 1;
    }

    /// Admission of a new claim, by a user who holds none on this campaign: the campaign
    /// must be live at `now`, the cart eligible and a unit left, checked in that order.
    /// Returns the discount the claim would carry. Replay comes first and is decided by
    /// [`ClaimAttempt::decide`](super::ClaimAttempt::decide).
    ///
    /// # Errors
    /// [`Refusal::NotLive`] outside the window, after an operator stop or while paused;
    /// [`Refusal::NotEligible`] for a cart below the minimum; [`Refusal::SoldOut`] when no
    /// unit is left.
    pub fn admit(&self, now: DateTime<Utc>, cart: Cents) -> Result<Cents, Refusal> {
        if !self.accepts_claims_at(now) {
            return Err(Refusal::NotLive(self.state(now)));
        }
        let discount = self.rule.discount_for(cart).ok_or(Refusal::NotEligible {
            min_cart: self.rule.min_cart,
        })?;
        if self.remaining <= 0 {
            return Err(Refusal::SoldOut);
        }
        Ok(discount)
    }
}

/// A campaign as an operator asks for it, before validation.
#[derive(Clone, Debug)]
pub struct NewCampaign {
    /// The id.
    pub id: CampaignId,
    /// The name (1 to 200 characters).
    pub name: String,
    /// Units on sale.
    pub inventory: Units,
    /// Percent off.
    pub percent: Percent,
    /// Cap on one discount (more than zero).
    pub max_discount: Cents,
    /// Minimum eligible cart.
    pub min_cart: Cents,
    /// Currency of every amount.
    pub currency: Currency,
    /// Window start; `None` for the instant the campaign is created, by the store's clock (a
    /// machine whose clock runs fast must not open a sale early by its skew).
    pub starts_at: Option<DateTime<Utc>>,
    /// Window end.
    pub ends: Ends,
    /// How long a claim holds its unit unredeemed (`None`: for good).
    pub hold: Option<Hold>,
}

/// When a new campaign's window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ends {
    /// At this instant.
    At(DateTime<Utc>),
    /// This long after the start.
    After(TimeDelta),
}

impl NewCampaign {
    /// Decides a create of `self` under an id that `existing` already holds. The same terms
    /// (name, window, rule, currency, units, hold) are already in effect: a retried create
    /// succeeds unchanged. Other terms contradict the stored campaign. A window given relative
    /// to the creation (no start, or a duration) is compared as given: any start when none was
    /// named, the length for a duration; so repeating the same command later is a repeat.
    ///
    /// # Errors
    /// [`Conflict::ExistsWithOtherTerms`], naming what differs.
    pub fn repeats(&self, existing: &Campaign) -> Result<(), Conflict> {
        let instant = |at: Option<DateTime<Utc>>| at.map_or_else(|| "none".to_owned(), rfc3339);
        let hold = |hold: Option<Hold>| {
            hold.map_or_else(|| "none".to_owned(), |h| format!("{}s", h.seconds()))
        };
        let window = existing.window;
        let starts = self
            .starts_at
            .map_or(("starts at", String::new(), String::new()), |at| {
                (
                    "starts at",
                    instant(Some(at)),
                    instant(Some(window.starts_at)),
                )
            });
        let ends = match self.ends {
            Ends::At(at) => ("ends at", instant(Some(at)), instant(Some(window.ends_at))),
            Ends::After(duration) => (
                "duration",
                format!("{}s", duration.num_seconds()),
                format!("{}s", (window.ends_at - window.starts_at).num_seconds()),
            ),
        };
        let terms = [
            ("name", self.name.trim().to_owned(), existing.name.clone()),
            starts,
            ends,
            (
                "percent off",
                self.percent.to_string(),
                existing.rule.percent.to_string(),
            ),
            (
                "max discount",
                self.max_discount.to_string(),
                existing.rule.max_discount.to_string(),
            ),
            (
                "min cart",
                self.min_cart.to_string(),
                existing.rule.min_cart.to_string(),
            ),
            (
                "currency",
                self.currency.as_str().to_owned(),
                existing.currency.as_str().to_owned(),
            ),
            (
                "inventory",
                self.inventory.get().to_string(),
                existing.total.to_string(),
            ),
            ("hold", hold(self.hold), hold(existing.hold)),
        ];
        let differences: Vec<String> = terms
            .into_iter()
            .filter(|(_, asked, stored)| asked != stored)
            .map(|(term, asked, stored)| format!("{term} {stored}, not {asked}"))
            .collect();
        if differences.is_empty() {
            Ok(())
        } else {
            Err(Conflict::ExistsWithOtherTerms {
                id: existing.id.clone(),
                differences: differences.join(", "),
            })
        }
    }

    /// Checks the rules a campaign must satisfy when it is created at `now` (also its start
    /// when none is given) and returns the campaign, with all of its inventory remaining.
    ///
    /// # Errors
    /// [`Invalid`] for an empty, over-long or control-character name, a zero cap, or a window
    /// that ends before it starts or in the past, or holds an instant
    /// [`Window::check_instant`] refuses.
    pub fn validate(self, now: DateTime<Utc>) -> Result<Campaign, Invalid> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(Invalid::new("name", "must not be empty"));
        }
        if name.chars().count() > 200 {
            return Err(Invalid::new("name", "must be at most 200 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(Invalid::new("name", "must not contain control characters"));
        }
        if self.max_discount <= Cents::ZERO {
            return Err(Invalid::new("max discount", "must be more than 0"));
        }
        let starts_at = self.starts_at.unwrap_or(now);
        Window::check_instant("starts at", starts_at)?;
        let ends_at = match self.ends {
            Ends::At(at) => at,
            Ends::After(duration) => starts_at
                .checked_add_signed(duration)
                .ok_or_else(|| Invalid::new("ends at", "is past the year 9999"))?,
        };
        Window::check_instant("ends at", ends_at)?;
        if ends_at <= starts_at {
            return Err(Invalid::new("ends at", "must be after the start"));
        }
        if ends_at <= now {
            return Err(Invalid::new("ends at", "is in the past"));
        }
        Ok(Campaign {
            id: self.id,
            name: name.to_owned(),
            window: Window { starts_at, ends_at },
            rule: DiscountRule {
                percent: self.percent,
                max_discount: self.max_discount,
                min_cart: self.min_cart,
            },
            currency: self.currency,
            total: self.inventory.get(),
            claimed: 0,
            remaining: self.inventory.get(),
            ended_at: None,
            created_at: now,
            paused: false,
            hold: self.hold,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn sold_out_is_a_state_inside_the_window_only() {
        let mut c = NewCampaign {
            id: CampaignId::parse("spring").unwrap(),
            name: "Spring".into(),
            inventory: Units::new(1).unwrap(),
            percent: "15".parse().unwrap(),
            max_discount: "10".parse().unwrap(),
            min_cart: "20".parse().unwrap(),
            currency: Currency::default(),
            starts_at: Some(at(0)),
            ends: Ends::At(at(100)),
            hold: None,
        }
        .validate(at(-10))
        .unwrap();
        assert_eq!(c.state(at(50)), CampaignState::Live);
        c.take_unit();
        assert_eq!((c.total(), c.claimed(), c.remaining()), (1, 1, 0));
        assert_eq!(c.state(at(50)), CampaignState::SoldOut);
        assert_eq!(c.state(at(101)), CampaignState::Ended);
        assert_eq!(c.state(at(-1)), CampaignState::Scheduled);
    }

    #[test]
    fn creation_rules_are_enforced() {
        let base = || NewCampaign {
            id: CampaignId::parse("x").unwrap(),
            name: "X".into(),
            inventory: Units::new(1).unwrap(),
            percent: "10".parse().unwrap(),
            max_discount: "1".parse().unwrap(),
            min_cart: Cents::ZERO,
            currency: Currency::default(),
            starts_at: Some(at(0)),
            ends: Ends::At(at(10)),
            hold: None,
        };
        let now = at(0);
        assert!(base().validate(now).is_ok());
        let cases: Vec<(NewCampaign, &str)> = vec![
            (
                NewCampaign {
                    name: "  ".into(),
                    ..base()
                },
                "name",
            ),
            (
                NewCampaign {
                    name: "n".repeat(201),
                    ..base()
                },
                "name",
            ),
            (
                NewCampaign {
                    name: "a\u{7}b".into(),
                    ..base()
                },
                "name",
            ),
            (
                NewCampaign {
                    max_discount: Cents::ZERO,
                    ..base()
                },
                "max discount",
            ),
            (
                NewCampaign {
                    ends: Ends::At(at(0)),
                    ..base()
                },
                "ends at",
            ),
            (
                NewCampaign {
                    starts_at: Some(at(-20)),
                    ends: Ends::At(at(-1)),
                    ..base()
                },
                "ends at",
            ),
        ];
        for (new, field) in cases {
            assert_eq!(new.validate(now).unwrap_err().field, field);
        }
        // No instant RFC 3339 cannot write, no leap second.
        let leap = DateTime::parse_from_rfc3339("2026-12-31T23:59:60Z")
            .unwrap()
            .with_timezone(&Utc);
        let beyond = Window::LATEST + chrono::TimeDelta::milliseconds(1);
        let before = Window::EARLIEST - chrono::TimeDelta::milliseconds(1);
        for (new, field) in [
            (
                NewCampaign {
                    starts_at: Some(leap),
                    ends: Ends::At(leap + chrono::TimeDelta::hours(1)),
                    ..base()
                },
                "starts at",
            ),
            (
                NewCampaign {
                    ends: Ends::At(beyond),
                    ..base()
                },
                "ends at",
            ),
            (
                NewCampaign {
                    starts_at: Some(before),
                    ..base()
                },
                "starts at",
            ),
        ] {
            assert_eq!(new.validate(now).unwrap_err().field, field);
        }
        let last = NewCampaign {
            ends: Ends::At(Window::LATEST),
            ..base()
        }
        .validate(now)
        .unwrap();
        assert_eq!(rfc3339(last.window.ends_at), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(Window::EARLIEST), "0000-01-01T00:00:00.000Z");
        assert!(
            NewCampaign {
                name: "n".repeat(200),
                ..base()
            }
            .validate(now)
            .is_ok()
        );
    }

    #[test]
    fn ids_are_slugs() {
        for ok in ["a", "spring-2026", &"a".repeat(64)] {
            assert!(CampaignId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Spring", "a b", "a_b", &"a".repeat(65), "é"] {
            assert!(CampaignId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            CampaignId::from_name("Spring Sale!! 2026", "4f2a").as_str(),
            "spring-sale-2026-4f2a"
        );
        assert_eq!(CampaignId::from_name("!!!", "4f2a").as_str(), "4f2a");
        assert!(
            CampaignId::parse(CampaignId::from_name(&"Ünïcode ".repeat(30), "abc123").as_str())
                .is_ok()
        );
    }
}
