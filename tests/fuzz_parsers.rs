//! Issue 5: property-based fuzzing of the parsers of money, percent, durations, dates, user
//! ids and store URLs. proptest, so CI needs no nightly toolchain; `PROPTEST_CASES` scales it.

use chrono::{DateTime, TimeDelta, Utc};
use flashsale::cli::parse;
use flashsale::domain::{Cents, Percent, UserId};
use flashsale::store::StoreUrl;
use proptest::prelude::*;

/// An error a person can read: one line, and short even when the input was a megabyte.
fn assert_short_one_line(message: &str) {
    assert!(
        !message.contains('\n') && !message.contains('\r'),
        "{message:?}"
    );
    assert!(
        message.chars().count() <= 200,
        "{} chars: {message:.80}",
        message.chars().count()
    );
}

fn epoch() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
}

/// Text shaped like what the parsers look for, mixed with anything at all.
fn near_miss() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9.\\-+e ]{0,30}",
        "[0-9]{0,25}(\\.[0-9]{0,4})?",
        "[0-9]{0,12}[smhdw]{0,2}[0-9]{0,6}[smhd]?",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})",
        "(sqlite:|mongodb://|mongodb\\+srv://|postgres://)?[ -~\\x00-\\x1f]{0,30}",
    ]
}

proptest! {
    /// Any text is either an amount of zero or more cents or a short one-line refusal.
    #[test]
    fn money_parsing_never_panics(text in near_miss()) {
        match Cents::parse_named(&text, "cart") {
            Ok(cents) => prop_assert!(cents.get() >= 0),
            Err(err) => assert_short_one_line(&err.to_string()),
        }
    }

    /// Every amount prints as text that parses back to the same amount.
    #[test]
    fn money_display_round_trips(cents in 0..=i64::MAX) {
        let amount = Cents::new(cents).unwrap_or_default();
        prop_assert_eq!(amount.to_string().parse::<Cents>(), Ok(amount));
    }

    /// Any text is either a percentage in (0, 100] or a short one-line refusal.
    #[test]
    fn percent_parsing_never_panics(text in near_miss()) {
        match text.parse::<Percent>() {
            Ok(p) => prop_assert!((1..=Percent::FULL_BPS).contains(&p.bps())),
            Err(err) => assert_short_one_line(&err.to_string()),
        }
    }

    /// Every percentage prints (without its `%`) as text that parses back to the same value.
    #[test]
    fn percent_display_round_trips(bps in 1..=Percent::FULL_BPS) {
        let percent = Percent::from_bps(bps).unwrap_or_else(|_| unreachable!());
        let text = percent.to_string();
        prop_assert_eq!(text.trim_end_matches('%').parse::<Percent>(), Ok(percent));
    }

    /// Any text is either a duration of 1 s to 366 days or a short one-line refusal.
    #[test]
    fn duration_parsing_never_panics(text in near_miss()) {
        match parse::duration(&text) {
            Ok(d) => prop_assert!(d >= TimeDelta::seconds(1) && d <= TimeDelta::days(parse::MAX_DURATION_DAYS)),
            Err(err) => assert_short_one_line(&err.to_string()),
        }
    }

    /// Hours and minutes add up exactly.
    #[test]
    fn durations_add_their_parts(h in 0i64..100, m in 0i64..1000, s in 1i64..1000) {
        let parsed = parse::duration(&format!("{h}h{m}m{s}s"));
        prop_assert_eq!(parsed.ok(), Some(TimeDelta::seconds(h * 3600 + m * 60 + s)));
    }

    /// Any text is either an instant or a short one-line refusal.
    #[test]
    fn instant_parsing_never_panics(text in near_miss()) {
        if let Err(err) = parse::instant(&text, "--ends-at", epoch(), true) {
            assert_short_one_line(&err.to_string());
        }
    }

    /// Every millisecond instant from year 1 to 9999 prints as RFC 3339 that parses back.
    #[test]
    fn instants_round_trip(millis in -62_135_596_800_000i64..253_402_300_799_000) {
        let instant = DateTime::from_timestamp_millis(millis).unwrap_or_default();
        let text = instant.to_rfc3339();
        prop_assert_eq!(parse::instant(&text, "--ends-at", epoch(), false), Ok(instant));
    }

    /// Any text is either a user id of 1 to 128 printable characters or a short refusal.
    #[test]
    fn user_id_parsing_never_panics(text in near_miss()) {
        match UserId::parse(&text) {
            Ok(user) => {
                let n = user.as_str().chars().count();
                prop_assert!((1..=128).contains(&n));
                prop_assert!(!user.as_str().chars().any(char::is_control));
            }
            Err(err) => assert_short_one_line(&err.to_string()),
        }
    }

    /// Any text is either a store URL that prints back to one parsing the same, or a short
    /// one-line refusal.
    #[test]
    fn store_url_parsing_never_panics(text in near_miss()) {
        match text.parse::<StoreUrl>() {
            Ok(url @ StoreUrl::Sqlite(_)) => {
                prop_assert_eq!(url.to_string().parse::<StoreUrl>(), Ok(url));
            }
            Ok(StoreUrl::Mongo(_)) => {}
            Err(err) => assert_short_one_line(&err.to_string()),
        }
    }
}

/// A megabyte of anything gets a short one-line refusal from every parser.
#[test]
fn megabyte_inputs_get_short_one_line_errors() {
    for unit in ["9", "a", "\u{7}", "é", "1.", "-", "9h", "\n"] {
        let huge = unit.repeat(1_000_000 / unit.len());
        let errors = [
            Cents::parse_named(&huge, "cart")
                .err()
                .map(|e| e.to_string()),
            huge.parse::<Percent>().err().map(|e| e.to_string()),
            parse::duration(&huge).err().map(|e| e.to_string()),
            parse::instant(&huge, "--ends-at", epoch(), true)
                .err()
                .map(|e| e.to_string()),
            UserId::parse(&huge).err().map(|e| e.to_string()),
            huge.parse::<StoreUrl>().err().map(|e| e.to_string()),
        ];
        for (i, error) in errors.into_iter().enumerate() {
            let error =
                error.unwrap_or_else(|| panic!("parser {i} accepted a megabyte of {unit:?}"));
            assert_short_one_line(&error);
        }
    }
}
