//! The library's error type and the one place exit codes are decided.

use crate::auth::AuthError;
use crate::domain::{CampaignId, CampaignState, Cents, Invalid};
use crate::store::StoreError;

/// Everything a flashsale operation can answer instead of success.
///
/// Refusals of a claim (sold out, not live, not eligible) are errors here because the caller
/// got no claim; each maps to its own exit code and JSON `kind` (DESIGN.md section 6).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value from outside broke a rule.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No campaign has that id.
    #[error("campaign `{0}` not found")]
    NotFound(CampaignId),
    /// No unit is left.
    #[error("campaign `{0}` is sold out")]
    SoldOut(CampaignId),
    /// The campaign is scheduled or ended.
    #[error("campaign `{id}` is not live: it is {state}")]
    NotLive {
        /// The campaign.
        id: CampaignId,
        /// Where it stands now.
        state: CampaignState,
    },
    /// The cart is below the campaign's minimum.
    #[error("cart {cart} is below the minimum of {min_cart} for campaign `{id}`")]
    NotEligible {
        /// The campaign.
        id: CampaignId,
        /// The cart that was offered.
        cart: Cents,
        /// The campaign's minimum.
        min_cart: Cents,
    },
    /// The caller's identity could not be verified.
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    /// The store failed or could not be reached.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An audit found a broken invariant.
    #[error("invariant violated: {0}")]
    InvariantViolation(String),
}

impl Error {
    /// The process exit code for this error (DESIGN.md section 6).
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Store(err) if err.is_invalid_input() => 2,
            Error::Store(_) => 1,
            Error::Invalid(_) => 2,
            Error::NotFound(_) => 3,
            Error::SoldOut(_) => 4,
            Error::NotLive { .. } => 5,
            Error::NotEligible { .. } => 6,
            // A missing or unusable key is the operator's configuration, not the shopper's
            // credential: a usage error, so scripts do not mistake it for a bad token.
            Error::Unauthenticated(err) if err.is_configuration() => 2,
            Error::Unauthenticated(_) => 7,
            Error::InvariantViolation(_) => 8,
        }
    }

    /// The error's `kind` in JSON output (DESIGN.md section 6).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Store(err) if err.is_invalid_input() => "invalid_input",
            Error::Store(err) if err.is_unavailable() => "store_unavailable",
            Error::Store(_) | Error::InvariantViolation(_) => "internal",
            Error::Invalid(_) => "invalid_input",
            Error::NotFound(_) => "not_found",
            Error::SoldOut(_) => "sold_out",
            Error::NotLive { .. } => "not_live",
            Error::NotEligible { .. } => "not_eligible",
            Error::Unauthenticated(err) if err.is_configuration() => "invalid_input",
            Error::Unauthenticated(_) => "unauthenticated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_documented_code_and_kind() {
        let id = CampaignId::parse("c").unwrap();
        let cases: Vec<(Error, u8, &str)> = vec![
            (Invalid::new("x", "y").into(), 2, "invalid_input"),
            (
                StoreError::CampaignExists(id.clone()).into(),
                2,
                "invalid_input",
            ),
            (
                StoreError::unavailable("opening", std::io::Error::other("down")).into(),
                1,
                "store_unavailable",
            ),
            (
                StoreError::backend("reading", std::io::Error::other("bad")).into(),
                1,
                "internal",
            ),
            (Error::NotFound(id.clone()), 3, "not_found"),
            (Error::SoldOut(id.clone()), 4, "sold_out"),
            (
                Error::NotLive {
                    id: id.clone(),
                    state: CampaignState::Ended,
                },
                5,
                "not_live",
            ),
            (
                Error::NotEligible {
                    id,
                    cart: Cents::ZERO,
                    min_cart: Cents::ZERO,
                },
                6,
                "not_eligible",
            ),
            (AuthError::Missing.into(), 7, "unauthenticated"),
            (AuthError::Expired.into(), 7, "unauthenticated"),
            (AuthError::NoKey.into(), 2, "invalid_input"),
            (Error::InvariantViolation("oversold".into()), 8, "internal"),
        ];
        for (err, code, kind) in cases {
            assert_eq!((err.exit_code(), err.kind()), (code, kind), "{err}");
        }
    }
}
