//! Property-based fuzzing of the parsers of money, percent, user ids and store URLs
//! (the CLI's duration and date parsers have theirs beside them, in `src/cli/parse.rs`).
//! proptest, so CI needs no nightly toolchain; `PROPTEST_CASES` scales it.

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

/// Text shaped like what the parsers look for, mixed with anything at all.
fn near_miss() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9.\\-+e ]{0,30}",
        "[0-9]{0,25}(\\.[0-9]{0,4})?",
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

    /// Any text is either a percentage in (0, 100] or a short one-line refusal.
    #[test]
    fn percent_parsing_never_panics(text in near_miss()) {
        match text.parse::<Percent>() {
            Ok(p) => prop_assert!((1..=Percent::FULL_BPS).contains(&p.bps())),
            Err(err) => assert_short_one_line(&err.to_string()),
        }
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
