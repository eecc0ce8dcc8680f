//! How simulated users prove who they are: asserted by the operator, or through a JWT each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use serde::Serialize;

use crate::auth::{AuthError, Identity, JwtSigner, JwtVerifier};
use crate::clock::{Clock, SystemClock};
use crate::domain::UserId;
use crate::error::Error;

/// How long a simulated user's token lives: far longer than any user's few requests, and well
/// inside [`crate::auth::MAX_MINT_TTL_HOURS`].
const TOKEN_TTL_MINUTES: i64 = 60;

/// How simulated users prove who they are.
#[derive(Clone, Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one value per run, cloned once into the run's shared state"
)]
pub enum Identities {
    /// The operator running the simulation vouches for every user
    /// ([`Identity::asserted_by_operator`]); nothing is verified.
    Operator,
    /// Every user claims through a JWT, as a shopper behind an identity provider would: the
    /// token is minted once per user before its first request (untimed, the provider's work),
    /// and every request, each tab and the retry, verifies it (timed, the server's work).
    Jwt {
        /// Mints each user's token.
        signer: JwtSigner,
        /// Verifies the token on every request; a token it refuses is an error, not a claim.
        verifier: JwtVerifier,
    },
}

impl Identities {
    /// JWTs signed by `signer` and verified by its own [`JwtSigner::verifier`].
    #[must_use]
    pub fn jwt(signer: JwtSigner) -> Self {
        Identities::Jwt {
            verifier: signer.verifier(),
            signer,
        }
    }

    /// How the report names this way of proving identity.
    #[must_use]
    pub fn kind(&self) -> IdentityKind {
        match self {
            Identities::Operator => IdentityKind::Operator,
            Identities::Jwt { .. } => IdentityKind::Jwt,
        }
    }

    /// What `user` will present with each of its requests.
    pub(super) fn credential(&self, user: &UserId) -> Credential {
        match self {
            Identities::Operator => Credential::Operator,
            Identities::Jwt { signer, .. } => {
                // The verifier checks `nbf` and `exp` against the system clock, not the
                // simulator's (which tests may fix anywhere), so the token is minted by it too.
                match signer.mint(
                    user,
                    SystemClock.now(),
                    TimeDelta::minutes(TOKEN_TTL_MINUTES),
                ) {
                    Ok(minted) => Credential::Token(minted.token.into()),
                    Err(_) => Credential::Unminted,
                }
            }
        }
    }

    /// The identity one request establishes from `credential`, and how long verifying its
    /// token took (`None` when nothing was verified).
    pub(super) fn identify(
        &self,
        user: &UserId,
        credential: &Credential,
    ) -> (Result<Identity, Error>, Option<Duration>) {
        match (self, credential) {
            (Identities::Jwt { verifier, .. }, Credential::Token(token)) => {
                let started = Instant::now();
                let verified = verifier.verify(token);
                (verified.map_err(Error::from), Some(started.elapsed()))
            }
            (_, Credential::Operator) => (Ok(Identity::asserted_by_operator(user.clone())), None),
            // A user who was given no token has nothing to present.
            _ => (Err(AuthError::Missing.into()), None),
        }
    }
}

/// How a run's users proved who they are, as the report names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityKind {
    /// Asserted by the operator ([`Identities::Operator`]).
    Operator,
    /// A verified JWT per request ([`Identities::Jwt`]).
    Jwt,
}

/// What one user presents with each request. Lives in the user's task only, so no token
/// outlives its user.
#[derive(Clone)]
pub(super) enum Credential {
    /// Nothing: the operator vouches.
    Operator,
    /// The user's token (shared by its tabs without copying).
    Token(Arc<str>),
    /// Minting failed, so every request of this user is refused as unauthenticated.
    Unminted,
}
