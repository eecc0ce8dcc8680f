//! The result of authentication: who the shopper is, how that was established, and what a
//! verified token grants.

use super::AuthError;
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
    /// A verified token's `scope` claim as it was signed: space-separated scopes. Kept whole
    /// and searched only when a route asks, so a shopper's claim pays no split.
    scope: Option<Box<str>>,
}

impl Identity {
    /// An operator vouches for `user`: a trusted caller, not a shopper.
    #[must_use]
    pub fn asserted_by_operator(user: UserId) -> Self {
        Identity {
            user,
            source: IdentitySource::OperatorAssertion,
            scope: None,
        }
    }

    /// The `sub` of a token the verifier has checked, with the `scope` it grants; only the
    /// verifier may call this.
    pub(super) fn verified_jwt(user: UserId, scope: Option<Box<str>>) -> Self {
        Identity {
            user,
            source: IdentitySource::VerifiedJwt,
            scope,
        }
    }

    /// Whether a verified token's `scope` claim lists `scope` (an exact, case-sensitive match
    /// of one of its space-separated entries, as OAuth 2 compares scopes). An operator's
    /// assertion grants no scope: only a signed token can.
    #[must_use]
    pub fn grants(&self, scope: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|granted| granted.split(' ').any(|entry| entry == scope))
    }

    /// [`Identity::grants`] as a check.
    ///
    /// # Errors
    /// [`AuthError::MissingScope`] when the token does not grant `scope`.
    pub fn require(&self, scope: &'static str) -> Result<(), AuthError> {
        if self.grants(scope) {
            Ok(())
        } else {
            Err(AuthError::MissingScope(scope))
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
            Identity::verified_jwt(UserId::parse("ana").unwrap(), None),
            "the same user established two ways is two identities"
        );
    }

    /// A scope is one whole entry of the space-separated claim: a prefix, a longer scope or
    /// another case is not it, and an operator's assertion grants nothing.
    #[test]
    fn a_scope_is_granted_only_by_an_exact_entry_of_a_verified_token() {
        let ana = || UserId::parse("ana").unwrap();
        let with = |scope: &str| Identity::verified_jwt(ana(), Some(scope.into()));
        for granted in [
            "flashsale:admin",
            "openid flashsale:admin",
            "flashsale:admin profile",
            "a  flashsale:admin",
        ] {
            assert!(with(granted).grants("flashsale:admin"), "{granted:?}");
        }
        for refused in [
            "",
            "flashsale",
            "flashsale:admins",
            "FLASHSALE:ADMIN",
            "flashsale:admin:read",
            "openid,flashsale:admin",
        ] {
            assert!(!with(refused).grants("flashsale:admin"), "{refused:?}");
            assert_eq!(
                with(refused).require("flashsale:admin"),
                Err(AuthError::MissingScope("flashsale:admin"))
            );
        }
        assert!(!Identity::verified_jwt(ana(), None).grants("flashsale:admin"));
        assert!(!Identity::asserted_by_operator(ana()).grants("flashsale:admin"));
    }
}
