//! Claims: who claimed what, the token they hold, and why a claim can be refused.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::money::shown;
use super::{CampaignId, CampaignState, Cents, Invalid};

/// A shopper's id, as a verified JWT's `sub` or an operator's assertion gives it:
/// 1 to 128 characters, none of them control characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Checks a user id.
    ///
    /// # Errors
    /// [`Invalid`] when `text` is empty, longer than 128 characters or holds a control character.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        if text.is_empty() {
            return Err(Invalid::new("user id", "must not be empty"));
        }
        if text.chars().count() > 128 {
            return Err(Invalid::new(
                "user id",
                format!("`{}` is longer than 128 characters", shown(text)),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(Invalid::new(
                "user id",
                format!("`{}` contains a control character", shown(text)),
            ));
        }
        Ok(UserId(text.to_owned()))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The discount token a shopper gets: 144 random bits from the OS CSPRNG, URL-safe base64.
///
/// It is never derived from anything the client sent, so it cannot be guessed or forged.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ClaimToken(String);

impl ClaimToken {
    /// Bytes of randomness in a token (144 bits; the contract asks for at least 128).
    pub const RANDOM_BYTES: usize = 18;

    /// Draws a fresh token from the operating system's CSPRNG.
    ///
    /// # Panics
    /// If the operating system cannot supply randomness; no token may be issued then, and
    /// there is no safe fallback.
    #[must_use]
    pub fn random() -> Self {
        let mut bytes = [0u8; Self::RANDOM_BYTES];
        #[allow(clippy::expect_used)] // see # Panics: failing closed is the only safe answer
        getrandom::fill(&mut bytes).expect("the OS CSPRNG must be available to issue tokens");
        ClaimToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Wraps a token read back from a store.
    #[must_use]
    pub fn from_stored(token: String) -> Self {
        ClaimToken(token)
    }

    /// The token as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClaimToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A granted claim: one unit of a campaign, held by one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The holder.
    pub user_id: UserId,
    /// The discount token.
    pub token: ClaimToken,
    /// The discount, fixed when the claim was granted.
    pub discount: Cents,
    /// The cart the discount was computed from.
    pub cart: Cents,
    /// When the claim was granted.
    pub claimed_at: DateTime<Utc>,
}

/// A request for a claim, as the service hands it to a store.
#[derive(Clone, Debug)]
pub struct ClaimAttempt {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The user, from a verified identity.
    pub user_id: UserId,
    /// The shopper's cart.
    pub cart: Cents,
    /// The instant the claim is decided at.
    pub now: DateTime<Utc>,
}

impl ClaimAttempt {
    /// The claim this attempt becomes once granted with `discount` and `token`.
    #[must_use]
    pub fn grant(&self, discount: Cents, token: ClaimToken) -> Claim {
        Claim {
            campaign_id: self.campaign_id.clone(),
            user_id: self.user_id.clone(),
            token,
            discount,
            cart: self.cart,
            claimed_at: self.now,
        }
    }
}

/// A successful answer to a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// A new unit was reserved for the user.
    Claimed(Claim),
    /// The user already held a claim; this is it, unchanged, and nothing was consumed.
    Replayed(Claim),
}

impl ClaimOutcome {
    /// The claim, new or replayed.
    #[must_use]
    pub fn claim(&self) -> &Claim {
        match self {
            ClaimOutcome::Claimed(claim) | ClaimOutcome::Replayed(claim) => claim,
        }
    }

    /// The contract's name for the outcome (`claimed` or `replayed`).
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            ClaimOutcome::Claimed(_) => "claimed",
            ClaimOutcome::Replayed(_) => "replayed",
        }
    }
}

/// Why a claim was refused. A refusal writes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No campaign has that id.
    NotFound,
    /// The campaign is scheduled or ended.
    NotLive(CampaignState),
    /// The cart is below the campaign's minimum.
    NotEligible {
        /// The minimum cart the campaign asks for.
        min_cart: Cents,
    },
    /// No unit is left.
    SoldOut,
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn tokens_are_random_url_safe_and_at_least_128_bits() {
        let tokens: HashSet<String> = (0..10_000).map(|_| ClaimToken::random().0).collect();
        assert_eq!(tokens.len(), 10_000);
        for token in tokens.iter().take(100) {
            assert_eq!(token.len(), 24); // 18 bytes, base64 without padding
            assert!(
                token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{token}"
            );
        }
    }

    #[test]
    fn user_ids_have_bounded_length_and_no_control_characters() {
        assert!(UserId::parse("ana@example.com").is_ok());
        assert!(UserId::parse(&"é".repeat(128)).is_ok());
        assert!(UserId::parse(&"é".repeat(129)).is_err());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("a\nb").is_err());
        assert!(UserId::parse("a\u{0}b").is_err());
    }
}
