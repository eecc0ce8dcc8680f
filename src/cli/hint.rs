//! What the CLI adds to a library error: the flag or environment variable that fixes it.
//!
//! The library speaks of the domain, because it also answers shoppers over HTTP; only the CLI
//! knows its flags. [`hint`] is appended to the reported message
//! (`error: <library message>: <hint>`), so an operator still learns what to type.

use crate::Error;
use crate::auth::AuthError;
use crate::domain::{Conflict, Invalid};
use crate::store::StoreError;

/// The hint for the library [`Error`] in `err`'s chain, the same error whose kind decides the
/// exit code: library errors reach the CLI as an `Error`, never bare.
pub(super) fn hint(err: &anyhow::Error) -> Option<&'static str> {
    err.chain()
        .find_map(|cause| match cause.downcast_ref::<Error>()? {
            Error::Store(err) => store_hint(err),
            Error::Conflict(Conflict::ExistsWithOtherTerms { .. }) => Some("choose another `--id`"),
            Error::Unauthenticated(err) => auth_hint(err),
            _ => None,
        })
}

fn store_hint(err: &StoreError) -> Option<&'static str> {
    match err {
        StoreError::NoDataDir => Some("pass `--store sqlite:PATH`"),
        StoreError::Missing { .. } => Some(
            "check `--store` (or FLASHSALE_STORE); `flashsale campaign create` creates a new store",
        ),
        StoreError::NoFolder { .. } => Some(
            "check `--store` (or FLASHSALE_STORE); for a new store at this path, create its folder first",
        ),
        StoreError::NotAStore { .. } => Some("point `--store` at a flashsale store"),
        StoreError::TimedOut { .. } => Some(
            "`flashsale campaign status ID` tells whether it took effect; \
                 FLASHSALE_MONGODB_TIMEOUT_MS sets how long an operation may take",
        ),
        StoreError::DriftTooLarge { .. } => Some(
            "if you know why (a restored backup, a manual edit), `--apply --force` repairs it anyway",
        ),
        _ => None,
    }
}

fn auth_hint(err: &AuthError) -> Option<&'static str> {
    match err {
        AuthError::Missing => Some("pass `--jwt TOKEN` (or set FLASHSALE_JWT)"),
        AuthError::JwtRequired => {
            Some("FLASHSALE_REQUIRE_JWT is set: pass `--jwt TOKEN` instead of `--user`")
        }
        AuthError::SimulationWithoutJwt => Some("FLASHSALE_REQUIRE_JWT is set: pass `--jwt`"),
        AuthError::SimulationWithoutKey => Some(
            "FLASHSALE_REQUIRE_JWT is set: set FLASHSALE_JWT_SECRET or pass `--jwt-secret-file PATH`",
        ),
        AuthError::AmbiguousKey => Some(
            "keep one of FLASHSALE_JWT_SECRET, `--jwt-secret-file`, `--jwt-public-key-file`, `--jwks-url` and `--jwks-file`",
        ),
        AuthError::NoKey => Some(
            "set FLASHSALE_JWT_SECRET, or pass `--jwt-secret-file PATH` or `--jwt-public-key-file PATH`",
        ),
        AuthError::WrongIssuer => Some("check FLASHSALE_JWT_ISSUER"),
        AuthError::WrongAudience => Some("check FLASHSALE_JWT_AUDIENCE"),
        _ => None,
    }
}

/// The `simulate` flag that sets a field of [`crate::simulate::Load`].
fn load_flag(field: &str) -> Option<&'static str> {
    match field {
        "users" => Some("--users"),
        "tabs" => Some("--tabs"),
        "duplicate ratio" => Some("--duplicate-ratio"),
        "redeem ratio" => Some("--redeem-ratio"),
        "void ratio" => Some("--void-ratio"),
        "concurrency" => Some("--concurrency"),
        "cart range" => Some("--cart-min"),
        _ => None,
    }
}

/// `err` from checking a simulation's load, naming the flag instead of the field: the operator
/// reads `invalid --users: must be from 1 to ...`, as they typed it.
pub(super) fn name_load_flag(err: Invalid) -> Invalid {
    match load_flag(err.field) {
        Some(flag) => Invalid { field: flag, ..err },
        None => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CampaignId;

    fn hint_of(err: impl Into<Error>) -> Option<&'static str> {
        hint(&anyhow::Error::new(err.into()))
    }

    #[test]
    fn store_errors_name_the_flag_that_fixes_them() {
        let id = CampaignId::parse("spring").unwrap();
        let taken = Conflict::ExistsWithOtherTerms {
            id: id.clone(),
            differences: "inventory 5, not 4".into(),
        };
        assert_eq!(hint_of(taken), Some("choose another `--id`"));
        assert_eq!(
            hint_of(StoreError::NoDataDir),
            Some("pass `--store sqlite:PATH`")
        );
        let timed_out = StoreError::TimedOut {
            context: "claiming".into(),
            after_ms: 10,
        };
        assert!(hint_of(timed_out).is_some_and(|h| {
            h.contains("FLASHSALE_MONGODB_TIMEOUT_MS")
                && h.contains("`flashsale campaign status ID`")
        }));
        let bad_url = StoreError::InvalidUrl {
            url: "postgres://x".into(),
            reason: "unknown scheme".into(),
        };
        assert_eq!(hint_of(bad_url), None);
        let drift = StoreError::DriftTooLarge {
            id: id.clone(),
            drift: 4403,
            limit: 0,
        };
        assert!(hint_of(drift).is_some_and(|h| h.contains("`--apply --force`")));
        // Damage cannot be forced: no flag fixes it.
        let damaged = StoreError::Damaged {
            findings: "x".into(),
        };
        assert_eq!(hint_of(damaged), None);
        assert_eq!(hint_of(Error::InventoryLimit(id)), None);
    }

    #[test]
    fn auth_errors_name_the_flag_or_variable_that_fixes_them() {
        for (err, expected) in [
            (
                AuthError::Missing,
                "pass `--jwt TOKEN` (or set FLASHSALE_JWT)",
            ),
            (
                AuthError::JwtRequired,
                "FLASHSALE_REQUIRE_JWT is set: pass `--jwt TOKEN` instead of `--user`",
            ),
            (
                AuthError::SimulationWithoutJwt,
                "FLASHSALE_REQUIRE_JWT is set: pass `--jwt`",
            ),
            (
                AuthError::NoKey,
                "set FLASHSALE_JWT_SECRET, or pass `--jwt-secret-file PATH` or `--jwt-public-key-file PATH`",
            ),
            (
                AuthError::SimulationWithoutKey,
                "FLASHSALE_REQUIRE_JWT is set: set FLASHSALE_JWT_SECRET or pass `--jwt-secret-file PATH`",
            ),
            (
                AuthError::AmbiguousKey,
                "keep one of FLASHSALE_JWT_SECRET, `--jwt-secret-file`, `--jwt-public-key-file`, `--jwks-url` and `--jwks-file`",
            ),
            (AuthError::WrongIssuer, "check FLASHSALE_JWT_ISSUER"),
            (AuthError::WrongAudience, "check FLASHSALE_JWT_AUDIENCE"),
        ] {
            assert_eq!(hint_of(err), Some(expected));
        }
        // A shopper's bad token is not the operator's to fix with a flag.
        assert_eq!(hint_of(AuthError::Expired), None);
        assert_eq!(hint_of(AuthError::BadSignature), None);
    }

    #[test]
    fn hints_are_found_through_context() {
        let wrapped = anyhow::Error::new(Error::from(AuthError::Missing)).context("claiming");
        assert_eq!(
            hint(&wrapped),
            Some("pass `--jwt TOKEN` (or set FLASHSALE_JWT)")
        );
        let no_key = anyhow::Error::new(Error::from(AuthError::NoKey)).context("verifying");
        assert!(hint(&no_key).is_some_and(|h| h.contains("FLASHSALE_JWT_SECRET")));
        let none = anyhow::Error::new(Error::NotFound(CampaignId::parse("x").unwrap()));
        assert_eq!(hint(&none), None);
    }

    #[test]
    fn load_fields_are_named_by_their_simulate_flags() {
        for (field, flag) in [
            ("users", "--users"),
            ("tabs", "--tabs"),
            ("duplicate ratio", "--duplicate-ratio"),
            ("redeem ratio", "--redeem-ratio"),
            ("void ratio", "--void-ratio"),
            ("concurrency", "--concurrency"),
            ("cart range", "--cart-min"),
        ] {
            let named = name_load_flag(Invalid::new(field, "must be from 1 to 2"));
            assert_eq!(
                named.to_string(),
                format!("invalid {flag}: must be from 1 to 2")
            );
        }
        let other = name_load_flag(Invalid::new("inventory", "must be from 1 to 2"));
        assert_eq!(other.field, "inventory");
    }
}
