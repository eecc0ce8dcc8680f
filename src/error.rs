//! The library's error type, and the one table of error kinds: each kind's exit code, JSON
//! `kind`, HTTP status and help line.

use crate::auth::AuthError;
use crate::domain::{CampaignId, CampaignState, Cents, ClaimKey, Conflict, Invalid, MAX_INVENTORY};
use crate::store::StoreError;

/// Everything a flashsale operation can answer instead of success.
///
/// Refusals of a claim (sold out, not live, not eligible) are errors here because the caller
/// got no claim; each has its own [`ErrorKind`].
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
    /// The request is valid, but the record's state forbids it; nothing was written.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The campaign holds no claim by that key (an unknown or forged token, another
    /// campaign's token, a user without a claim); nothing was written.
    #[error("campaign `{id}` has no claim {}", describe(by))]
    ClaimNotFound {
        /// The campaign.
        id: CampaignId,
        /// How the claim was named.
        by: ClaimKey,
    },
    /// A restock would take the campaign past the inventory limit; nothing was written.
    #[error("campaign `{0}` would exceed the inventory limit of {max}", max = MAX_INVENTORY)]
    InventoryLimit(CampaignId),
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
    /// What kind of failure this is: the exit code, JSON `kind` and HTTP status follow from it.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        // Every variant is named (no wildcard), so a new store or auth error cannot get a kind
        // without a decision here, the one place kinds are decided.
        match self {
            // A restock past the limit asks for more units than any campaign may hold.
            Error::Invalid(_) | Error::InventoryLimit(_) => ErrorKind::InvalidInput,
            Error::Store(err) => match err {
                StoreError::InvalidUrl { .. } | StoreError::NoDataDir => ErrorKind::InvalidInput,
                // A missing file or a file that is not a store: the store is not there, whoever
                // mistyped what; nothing was written, and the message names the path.
                StoreError::Unavailable { .. }
                | StoreError::TimedOut { .. }
                | StoreError::Missing { .. }
                | StoreError::NotAStore { .. } => ErrorKind::StoreUnavailable,
                // Damage is not transient: a retry gets the same answer, so it must not be
                // `store_unavailable`, which tells a client to come back.
                StoreError::Damaged { .. }
                | StoreError::DriftTooLarge { .. }
                | StoreError::Backend { .. } => ErrorKind::Internal,
            },
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::NotFound(_) | Error::ClaimNotFound { .. } => ErrorKind::NotFound,
            Error::SoldOut(_) => ErrorKind::SoldOut,
            Error::NotLive { .. } => ErrorKind::NotLive,
            Error::NotEligible { .. } => ErrorKind::NotEligible,
            Error::Unauthenticated(err) => match err {
                // A missing or unusable key is the operator's configuration, not the shopper's
                // credential: a usage error, so scripts do not mistake it for a bad token.
                AuthError::NoKey
                | AuthError::WeakSecret
                | AuthError::LowDiversitySecret
                | AuthError::AmbiguousKey
                | AuthError::BadPublicKey(_)
                | AuthError::BadKeySet(_)
                | AuthError::BadPrivateKey(_)
                | AuthError::KeyFile { .. } => ErrorKind::InvalidInput,
                // The issuer is down or unreachable: not the operator's input, and possibly
                // over soon.
                AuthError::KeySetUnreachable(_) => ErrorKind::Internal,
                AuthError::Missing
                | AuthError::TwoCredentials
                | AuthError::JwtRequired
                | AuthError::SimulationWithoutJwt
                | AuthError::SimulationWithoutKey
                | AuthError::TokenTooLong
                | AuthError::Malformed
                | AuthError::AlgorithmNotAllowed { .. }
                | AuthError::BadSignature
                | AuthError::Expired
                | AuthError::NotYetValid
                | AuthError::WrongIssuer
                | AuthError::WrongAudience
                | AuthError::MissingClaim(_)
                | AuthError::UnknownKey
                | AuthError::KeyIdRequired
                | AuthError::BadSubject(_) => ErrorKind::Unauthenticated,
                // Who is asking is known; what they ask is not theirs to ask.
                AuthError::MissingScope(_) => ErrorKind::Forbidden,
            },
            Error::InvariantViolation(_) => ErrorKind::InvariantViolation,
        }
    }
}

impl Error {
    /// A stable reason finer than the kind, for clients to branch on: why a campaign is not
    /// live (`campaign_paused`, `campaign_not_started`, `campaign_ended`), which conflict, which
    /// credential problem. The codes are part of the contract: renaming one breaks clients.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid_value",
            Error::NotFound(_) => "campaign_not_found",
            Error::ClaimNotFound { .. } => "claim_not_found",
            Error::SoldOut(_) => "sold_out",
            Error::NotLive { state, .. } => match state {
                CampaignState::Scheduled => "campaign_not_started",
                CampaignState::Paused => "campaign_paused",
                CampaignState::SoldOut => "sold_out",
                CampaignState::Ended => "campaign_ended",
                // A live campaign is never the reason a claim was refused as not live.
                CampaignState::Live => "not_live",
            },
            Error::NotEligible { .. } => "cart_below_minimum",
            Error::Conflict(conflict) => conflict.code(),
            Error::InventoryLimit(_) => "inventory_limit",
            Error::Unauthenticated(err) => err.code(),
            Error::Store(err) => match err {
                StoreError::InvalidUrl { .. } => "invalid_store_url",
                StoreError::NoDataDir => "no_data_dir",
                StoreError::Missing { .. } => "store_missing",
                StoreError::NotAStore { .. } => "not_a_store",
                StoreError::Unavailable { .. } | StoreError::TimedOut { .. } => "store_unavailable",
                StoreError::Damaged { .. } => "store_damaged",
                StoreError::DriftTooLarge { .. } => "drift_too_large",
                StoreError::Backend { .. } => "internal",
            },
            Error::InvariantViolation(_) => "invariant_violation",
        }
    }

    /// The input at fault, for an invalid value: in the words the domain names it by
    /// (`cart cents`, `user id`), as a field name (`cart_cents`, `user_id`).
    #[must_use]
    pub fn field(&self) -> Option<String> {
        match self {
            Error::Invalid(invalid) => Some(field_name(invalid.field)),
            _ => None,
        }
    }
}

/// `percent off` as a field is named in JSON (`percent_off`), `--inventory` as its flag's
/// field (`inventory`).
fn field_name(words: &str) -> String {
    words.trim_start_matches('-').replace([' ', '-'], "_")
}

/// How a missing claim was named, without echoing a token (a secret, or hostile text).
fn describe(by: &ClaimKey) -> String {
    match by {
        ClaimKey::User(user) => format!("for user `{user}`"),
        ClaimKey::Token(_) => "with that token".to_owned(),
    }
}

/// Declares [`ErrorKind`] and [`ErrorKind::DECLARED`], every variant in declaration order,
/// from one list: a kind cannot be added without being listed.
macro_rules! error_kinds {
    (
        $(#[$enum_meta:meta])*
        pub enum ErrorKind {
            $($(#[$meta:meta])* $variant:ident,)+
        }
    ) => {
        $(#[$enum_meta])*
        pub enum ErrorKind {
            $($(#[$meta])* $variant,)+
        }

        impl ErrorKind {
            /// Every kind, in declaration order.
            const DECLARED: [ErrorKind; [$(ErrorKind::$variant),+].len()] =
                [$(ErrorKind::$variant),+];
        }
    };
}

error_kinds! {
    /// Every way a flashsale operation can fail, as callers must tell them apart.
    ///
    /// This is the one place that decides exit codes, JSON kinds and HTTP statuses: the CLI's
    /// `--help`, its error reports and the README's table are all rendered from or checked
    /// against it. Success (exit 0) is not a kind.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ErrorKind {
        /// The input broke a rule, or the command line was misused.
        InvalidInput,
        /// No such campaign.
        NotFound,
        /// No unit is left.
        SoldOut,
        /// The campaign is scheduled or ended.
        NotLive,
        /// The cart is below the campaign's minimum.
        NotEligible,
        /// The caller's identity could not be verified.
        Unauthenticated,
        /// The caller's identity was verified, but its token does not grant the action (the
        /// admin API without the admin scope).
        Forbidden,
        /// An audit found a broken invariant.
        InvariantViolation,
        /// The request is valid, but the record's state forbids it (redeem a voided, expired or
        /// already redeemed token for another order; void a redeemed claim; remove inventory
        /// below what is held). Nothing was written.
        Conflict,
        /// The store could not be reached or was too busy to answer.
        StoreUnavailable,
        /// Anything unexpected.
        Internal,
        /// The operator interrupted the command (Ctrl-C), or SIGTERM asked it to stop: both are
        /// exit 130, so a CI timeout reads like the operator's Ctrl-C and the clean-up is the same.
        Interrupted,
    }
}

/// One row of the table.
struct Row {
    exit_code: u8,
    json: &'static str,
    http_status: u16,
    help: &'static str,
}

impl ErrorKind {
    /// Every kind, in the order `--help` and the README list them: by exit code, kinds that
    /// share one in declaration order. Derived from the declaration, so it lists every kind.
    pub const ALL: [ErrorKind; Self::DECLARED.len()] = {
        let mut all = Self::DECLARED;
        // An insertion sort: `const` has no `sort_by_key`, and it keeps ties in their order.
        let mut i = 1;
        while i < all.len() {
            let mut j = i;
            while j > 0 && all[j - 1].exit_code() > all[j].exit_code() {
                let swapped = all[j - 1];
                all[j - 1] = all[j];
                all[j] = swapped;
                j -= 1;
            }
            i += 1;
        }
        all
    };

    /// The table. An invariant violation is the service failing its own promise, hence 500.
    /// An interrupted request was cut short by a shutdown, not refused: 503 tells the client
    /// to retry, which is safe because a claim replays.
    const fn row(self) -> Row {
        let (exit_code, json, http_status, help) = match self {
            ErrorKind::InvalidInput => (2, "invalid_input", 400, "invalid input or usage"),
            ErrorKind::NotFound => (3, "not_found", 404, "not found"),
            ErrorKind::SoldOut => (4, "sold_out", 409, "sold out"),
            ErrorKind::NotLive => (5, "not_live", 409, "not live (scheduled or ended)"),
            ErrorKind::NotEligible => (6, "not_eligible", 422, "not eligible (cart below minimum)"),
            ErrorKind::Unauthenticated => (
                7,
                "unauthenticated",
                401,
                "unauthenticated (bad or missing JWT)",
            ),
            ErrorKind::Forbidden => (7, "forbidden", 403, "forbidden (API token lacks a scope)"),
            ErrorKind::InvariantViolation => (8, "internal", 500, "invariant violation (simulate)"),
            ErrorKind::Conflict => (9, "conflict", 409, "conflict (state forbids it)"),
            ErrorKind::StoreUnavailable => (1, "store_unavailable", 503, "store unavailable"),
            ErrorKind::Internal => (1, "internal", 500, "internal error"),
            ErrorKind::Interrupted => (130, "interrupted", 503, "interrupted (Ctrl-C or SIGTERM)"),
        };
        Row {
            exit_code,
            json,
            http_status,
            help,
        }
    }

    /// The process exit code.
    #[must_use]
    pub const fn exit_code(self) -> u8 {
        self.row().exit_code
    }

    /// The `kind` of the JSON error document.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.row().json
    }

    /// The HTTP status of a response carrying this error.
    #[must_use]
    pub const fn http_status(self) -> u16 {
        self.row().http_status
    }

    /// What the exit code means, in a few words for `--help`.
    #[must_use]
    pub const fn help(self) -> &'static str {
        self.row().help
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_kind_has_its_documented_code_json_kind_and_status() {
        // The documented contract, one arm per kind: a new kind does not compile until it
        // is documented here.
        let documented = |kind| match kind {
            ErrorKind::InvalidInput => (2, "invalid_input", 400),
            ErrorKind::NotFound => (3, "not_found", 404),
            ErrorKind::SoldOut => (4, "sold_out", 409),
            ErrorKind::NotLive => (5, "not_live", 409),
            ErrorKind::NotEligible => (6, "not_eligible", 422),
            ErrorKind::Unauthenticated => (7, "unauthenticated", 401),
            ErrorKind::Forbidden => (7, "forbidden", 403),
            ErrorKind::InvariantViolation => (8, "internal", 500),
            ErrorKind::Conflict => (9, "conflict", 409),
            ErrorKind::StoreUnavailable => (1, "store_unavailable", 503),
            ErrorKind::Internal => (1, "internal", 500),
            ErrorKind::Interrupted => (130, "interrupted", 503),
        };
        for kind in ErrorKind::ALL {
            assert_eq!(
                (kind.exit_code(), kind.as_str(), kind.http_status()),
                documented(kind),
                "{kind:?}"
            );
            assert!(!kind.help().is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn all_lists_each_kind_once_in_exit_code_order() {
        assert_eq!(
            ErrorKind::ALL.iter().collect::<HashSet<_>>().len(),
            ErrorKind::ALL.len()
        );
        assert!(
            ErrorKind::ALL
                .windows(2)
                .all(|pair| pair[0].exit_code() <= pair[1].exit_code())
        );
    }

    /// Scripts tell refusals apart by exit code and JSON kind: only the two failures a script
    /// cannot act on share exit 1, the two refusals of a credential (which a script answers
    /// alike, with another token) share exit 7, and only an invariant violation (which has its
    /// own exit code) reports as `internal` besides the internal error itself.
    #[test]
    fn codes_and_json_kinds_are_unique_where_scripts_rely_on_them() {
        let shared_codes = [
            [ErrorKind::StoreUnavailable, ErrorKind::Internal],
            [ErrorKind::Unauthenticated, ErrorKind::Forbidden],
        ];
        let shared_json = [ErrorKind::Internal, ErrorKind::InvariantViolation];
        for a in ErrorKind::ALL {
            assert_ne!(a.exit_code(), 0, "{a:?}: 0 means success");
            for b in ErrorKind::ALL.into_iter().filter(|&b| b != a) {
                if a.exit_code() == b.exit_code() {
                    assert!(
                        shared_codes
                            .iter()
                            .any(|pair| pair.contains(&a) && pair.contains(&b)),
                        "{a:?} {b:?}"
                    );
                }
                if a.as_str() == b.as_str() {
                    assert!(
                        shared_json.contains(&a) && shared_json.contains(&b),
                        "{a:?} {b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_error_has_its_documented_kind() {
        let id = CampaignId::parse("c").unwrap();
        let cases: Vec<(Error, ErrorKind)> = vec![
            (Invalid::new("x", "y").into(), ErrorKind::InvalidInput),
            (StoreError::NoDataDir.into(), ErrorKind::InvalidInput),
            (
                StoreError::TimedOut {
                    context: "claiming".into(),
                    after_ms: 1,
                }
                .into(),
                ErrorKind::StoreUnavailable,
            ),
            (
                StoreError::Damaged {
                    findings: "row 3 missing from index".into(),
                }
                .into(),
                ErrorKind::Internal,
            ),
            (
                StoreError::DriftTooLarge {
                    id: id.clone(),
                    drift: 2,
                    limit: 0,
                }
                .into(),
                ErrorKind::Internal,
            ),
            (
                AuthError::LowDiversitySecret.into(),
                ErrorKind::InvalidInput,
            ),
            (AuthError::AmbiguousKey.into(), ErrorKind::InvalidInput),
            (
                AuthError::SimulationWithoutKey.into(),
                ErrorKind::Unauthenticated,
            ),
            (Error::InventoryLimit(id.clone()), ErrorKind::InvalidInput),
            (
                Error::Conflict(Conflict::NotLater {
                    id: id.clone(),
                    ends_at: chrono::DateTime::UNIX_EPOCH,
                }),
                ErrorKind::Conflict,
            ),
            (
                Error::ClaimNotFound {
                    id: id.clone(),
                    by: ClaimKey::Token(crate::domain::ClaimToken::from_stored("t".into())),
                },
                ErrorKind::NotFound,
            ),
            (
                StoreError::unavailable("opening", std::io::Error::other("down")).into(),
                ErrorKind::StoreUnavailable,
            ),
            (
                StoreError::backend("reading", std::io::Error::other("bad")).into(),
                ErrorKind::Internal,
            ),
            (
                StoreError::Damaged {
                    findings: "x".into(),
                }
                .into(),
                ErrorKind::Internal,
            ),
            (
                StoreError::DriftTooLarge {
                    id: id.clone(),
                    drift: 1,
                    limit: 0,
                }
                .into(),
                ErrorKind::Internal,
            ),
            (Error::NotFound(id.clone()), ErrorKind::NotFound),
            (Error::SoldOut(id.clone()), ErrorKind::SoldOut),
            (
                Error::NotLive {
                    id: id.clone(),
                    state: CampaignState::Ended,
                },
                ErrorKind::NotLive,
            ),
            (
                Error::NotEligible {
                    id,
                    cart: Cents::ZERO,
                    min_cart: Cents::ZERO,
                },
                ErrorKind::NotEligible,
            ),
            (AuthError::Missing.into(), ErrorKind::Unauthenticated),
            (
                AuthError::MissingScope("flashsale:admin").into(),
                ErrorKind::Forbidden,
            ),
            (AuthError::Expired.into(), ErrorKind::Unauthenticated),
            (AuthError::NoKey.into(), ErrorKind::InvalidInput),
            (
                Error::InvariantViolation("oversold".into()),
                ErrorKind::InvariantViolation,
            ),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind, "{err}");
        }
    }
}
