//! The result of authentication: who the shopper is, and how that was established.

use crate::domain::UserId;

/// How an identity was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySource {
    /// An operator asserted the user id (a trusted caller vouches for the shopper).
    OperatorAssertion,
    /// A JWT whose signature, algorithm, lifetime, issuer and audience were verified; the user
    /// is its `sub`.
    VerifiedJwt,
}

/// A shopper whose identity has been established; the only input a claim accepts for "who".
///
/// The fields are private and the only constructors are [`Identity::asserted_by_operator`]
/// and [`super::JwtVerifier::verify`], so holding an `Identity` proves one of the two happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    user: UserId,
    source: IdentitySource,
}

impl Identity {
    /// An operator vouches for `user`: a trusted caller, not a shopper.
    #[must_use]
    pub fn asserted_by_operator(user: UserId) -> Self {
        Identity {
            user,
            source: IdentitySource::OperatorAssertion,
        }
    }

    /// The `sub` of a token the verifier has checked; only the verifier may call this.
    pub(super) fn verified_jwt(user: UserId) -> Self {
        Identity {
            user,
            source: IdentitySource::VerifiedJwt,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_assertion_says_so() {
        let identity = Identity::asserted_by_operator(UserId::parse("ana").unwrap());
        assert_eq!(identity.user().as_str(), "ana");
        assert_eq!(identity.source(), IdentitySource::OperatorAssertion);
        assert_ne!(
            identity,
            Identity::verified_jwt(UserId::parse("ana").unwrap()),
            "the same user established two ways is two identities"
        );
    }
}
