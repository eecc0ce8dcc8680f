//! Who is claiming: an [`Identity`] exists only as the result of a verified JWT or of an
//! operator's explicit assertion, so the library cannot claim for an unverified user.

use crate::domain::UserId;

/// Why an identity could not be established.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credential was presented where one is required.
    #[error("no identity given: pass `--jwt TOKEN` (or set FLASHSALE_JWT)")]
    Missing,
}

/// How an identity was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySource {
    /// An operator asserted the user id on the command line (`--user`).
    OperatorAssertion,
}

/// A shopper whose identity has been established; the only input a claim accepts for "who".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    user: UserId,
    source: IdentitySource,
}

impl Identity {
    /// An operator vouches for `user` (the CLI's `--user`): a trusted caller, not a shopper.
    #[must_use]
    pub fn asserted_by_operator(user: UserId) -> Self {
        Identity {
            user,
            source: IdentitySource::OperatorAssertion,
        }
    }

    /// The user.
    #[must_use]
    pub fn user(&self) -> &UserId {
        &self.user
    }

    /// How the identity was established.
    #[must_use]
    pub fn source(&self) -> IdentitySource {
        self.source
    }
}
