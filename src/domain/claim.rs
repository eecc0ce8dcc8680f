//! Claims: who claimed what, the token they hold, and why a claim can be refused.

use std::fmt;

use base64::Engine as _;
use base64::alphabet::Alphabet;
use base64::engine::general_purpose::{GeneralPurpose, NO_PAD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ident::{self, Separators};
use super::{
    Campaign, CampaignId, CampaignState, Cents, ClaimStatus, Currency, Invalid, Redemption,
    VoidReason,
};

/// A shopper's id, as a verified JWT's `sub` or an operator's assertion gives it.
///
/// Ids are opaque and compared exactly as issued (RFC 7519 compares `sub` as a case-sensitive
/// string), so an id that could name one shopper in several spellings is refused instead:
/// the rule, shared with order ids, is in the `ident` module (no separator of any kind, no
/// format or control character, NFC, 1 to 128 characters).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Longest id, in characters.
    pub const MAX_CHARS: usize = ident::MAX_CHARS;

    /// Checks a user id; every path that names a shopper (the CLI's operator assertion, a
    /// JWT's `sub`, a request) goes through here.
    ///
    /// # Errors
    /// [`Invalid`] when `text` is empty, longer than [`UserId::MAX_CHARS`] characters, holds a
    /// separator (a space of any kind, a line or paragraph separator), a control or format
    /// character, or is not in NFC.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        ident::check("user id", text, Separators::Refused)?;
        Ok(UserId(text.to_owned()))
    }

    /// Checks a user id read back from a store, which may hold ids with inner spaces taken
    /// before separators were refused; everything else is checked as by [`UserId::parse`].
    ///
    /// # Errors
    /// [`Invalid`] as [`UserId::parse`], spaces inside excepted.
    pub fn parse_stored(text: &str) -> Result<Self, Invalid> {
        ident::check("user id", text, Separators::StoredInside)?;
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

/// The discount token a shopper gets: 32 URL-safe characters, a time prefix then 144 random
/// bits from a cryptographically secure generator, starting with a letter or a digit.
///
/// The secret is the random part: it is never derived from anything the client sent, so a
/// token cannot be guessed or forged. The first 8 characters are the millisecond it was drawn
/// (47 bits, in an order-preserving base64 alphabet), which tells nobody more than the claim's
/// `claimed_at`. They are there for the stores' token indexes: a B-tree on purely random keys
/// puts every new claim on a random leaf page, so a group commit of a few hundred claims
/// rewrote a few hundred index pages; with the prefix, the claims of one commit land next to
/// each other at the index's right edge and share a handful. Measured on `serve` under wrk at
/// 1,000 connections: 63-67 µs of CPU per claim before, 53-56 µs after, and 20-30 % more
/// claims per second (`scripts/bench-serve.sh`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ClaimToken(String);

/// Base64 over the URL-safe characters in ASCII order, so that the encoded prefixes of two
/// tokens compare (byte by byte, as the stores' indexes do) like the instants they encode.
const ORDERED: GeneralPurpose = GeneralPurpose::new(
    &match Alphabet::new("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz") {
        Ok(alphabet) => alphabet,
        Err(_) => panic!("64 distinct printable characters"),
    },
    NO_PAD,
);

impl ClaimToken {
    /// Bytes of randomness in a token (144 bits; the contract asks for at least 128).
    pub const RANDOM_BYTES: usize = 18;

    /// Characters in a token: the 8 of the time prefix, then 24 of randomness.
    pub const LEN: usize = 32;

    /// The token drawn at `drawn_at` with the `random` bytes: the instant's milliseconds as
    /// an ordered prefix (see the type's note on why tokens are ordered), then the bytes. The
    /// domain draws nothing itself: the bytes come from a CSPRNG through
    /// `random::token`, outside the domain.
    #[must_use]
    pub fn from_parts(drawn_at: DateTime<Utc>, random: &[u8; Self::RANDOM_BYTES]) -> Self {
        // An instant before 1970 gives the prefix 0: the order suffers, never the secret.
        let millis = u64::try_from(drawn_at.timestamp_millis()).unwrap_or(0);
        // The low 47 bits (they wrap in the year 6429), plus 2^42: that adds one to the first
        // character's sextet, which the 47 bits keep within 0 to 31, so the first character is
        // `0`-`9` or `A`-`V` and never `-`, which would read as a flag on a command line or as
        // an option to `grep`. The offset is the same for every token, so the order holds,
        // and tokens issued with a `-` first still sort before every token issued since.
        let ordered = (millis & ((1 << 47) - 1)) + (1 << 42);
        let prefix = &ordered.to_be_bytes()[2..];
        let mut token = String::with_capacity(Self::LEN);
        ORDERED.encode_string(prefix, &mut token);
        URL_SAFE_NO_PAD.encode_string(random, &mut token);
        ClaimToken(token)
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
    /// The campaign's currency, which every amount of the claim is in.
    pub currency: Currency,
    /// Where it stands in its lifecycle.
    pub status: ClaimStatus,
    /// When its hold runs out (`None`: the campaign has no hold).
    pub expires_at: Option<DateTime<Utc>>,
    /// Its use at checkout, once redeemed.
    pub redemption: Option<Redemption>,
    /// When an operator voided it: set by the void itself, so `None` unless voided, and also
    /// for a claim voided before stores recorded the instant.
    pub voided_at: Option<DateTime<Utc>>,
    /// Why, when the operator said (only with `voided_at`).
    pub void_reason: Option<VoidReason>,
    /// When the expiry sweep (or `inventory expire`) expired it, which is after `expires_at`:
    /// `None` unless expired, and also for a claim expired before stores recorded the instant.
    pub expired_at: Option<DateTime<Utc>>,
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
    /// The claim this attempt becomes on a campaign in euros without a hold: for the tests
    /// of code that needs a claim and no campaign.
    #[cfg(test)]
    pub(crate) fn grant(&self, discount: Cents, token: ClaimToken) -> Claim {
        self.claimed(discount, token, Currency::default(), None)
    }

    /// The claim this attempt becomes once granted on `campaign` with `discount` and `token`:
    /// `claimed`, in the campaign's currency, expiring after the campaign's hold if it has one.
    #[must_use]
    pub fn grant_in(&self, campaign: &Campaign, discount: Cents, token: ClaimToken) -> Claim {
        let expires_at = campaign.hold.map(|hold| hold.expiry(self.now));
        self.claimed(discount, token, campaign.currency.clone(), expires_at)
    }

    fn claimed(
        &self,
        discount: Cents,
        token: ClaimToken,
        currency: Currency,
        expires_at: Option<DateTime<Utc>>,
    ) -> Claim {
        Claim {
            campaign_id: self.campaign_id.clone(),
            user_id: self.user_id.clone(),
            token,
            discount,
            cart: self.cart,
            claimed_at: self.now,
            currency,
            status: ClaimStatus::Claimed,
            expires_at,
            redemption: None,
            voided_at: None,
            void_reason: None,
            expired_at: None,
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
    /// The campaign is scheduled, paused or ended.
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

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn tokens_sort_by_the_instant_they_were_drawn() {
        // Instants whose prefixes differ in every position, the last character included.
        let instants = [
            0,
            1,
            63,
            64,
            65,
            4_095,
            1_700_000_000_000,
            1_700_000_000_001,
            (1 << 42) - 1,
            1 << 42,
            (1 << 47) - 1,
        ]
        .map(|ms| DateTime::from_timestamp_millis(ms).unwrap());
        let same = [7u8; ClaimToken::RANDOM_BYTES];
        let tokens = instants.map(|at| ClaimToken::from_parts(at, &same).0);
        for pair in tokens.windows(2) {
            assert!(pair[0] < pair[1], "{} then {}", pair[0], pair[1]);
        }
        // The random part is not the prefix: two tokens of the same millisecond differ there.
        let (a, b) = (
            ClaimToken::from_parts(instants[6], &same),
            ClaimToken::from_parts(instants[6], &[8u8; ClaimToken::RANDOM_BYTES]),
        );
        assert_eq!(a.0[..8], b.0[..8]);
        assert_ne!(a.0[8..], b.0[8..]);
        assert_eq!(a.0.len(), ClaimToken::LEN);
    }

    #[test]
    fn tokens_start_with_a_letter_or_a_digit_at_any_instant() {
        let ones = [0xFFu8; ClaimToken::RANDOM_BYTES];
        for ms in [
            -1,
            0,
            1_800_000_000_000,
            (1 << 42) - 1,
            1 << 42,
            (1 << 47) - 1,
            1 << 47,
            i64::from(i32::MAX) << 16,
        ] {
            let at = DateTime::from_timestamp_millis(ms).unwrap_or_default();
            let token = ClaimToken::from_parts(at, &ones).0;
            assert!(
                token.starts_with(|c: char| c.is_ascii_alphanumeric()),
                "{ms}: {token}"
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

    /// One shopper, several spellings, several claims. Each spelling is refused with
    /// a message that names what is wrong.
    #[test]
    fn ids_that_could_name_one_shopper_twice_are_refused() {
        for (text, reason) in [
            (" ana", "contains U+0020, a space"),
            ("ana ", "contains U+0020, a space"),
            ("ana\u{a0}", "contains U+00A0, a space"),
            ("\u{3000}ana", "contains U+3000, a space"),
            ("an a", "`an a` contains U+0020, a space"),
            ("an\u{a0}a", "contains U+00A0, a space"),
            ("an\u{2009}a", "contains U+2009, a space"),
            ("an\u{3000}a", "contains U+3000, a space"),
            ("an\u{200b}a", "U+200B"),
            ("\u{feff}ana", "U+FEFF"),
            ("ana\u{202e}", "U+202E"),
            ("a\u{2066}na", "U+2066"),
            ("ana\u{200d}", "U+200D"),
            ("an\u{ad}a", "U+00AD"),
            ("ana\u{2028}x", "U+2028"),
            ("ana\tx", "contains a control character"),
            ("ana\u{85}", "contains a control character"),
            ("jose\u{301}", "not in Unicode normalization form C"),
            (
                "\u{212b}ngstr\u{f6}m",
                "not in Unicode normalization form C",
            ),
        ] {
            let err = UserId::parse(text).unwrap_err().to_string();
            assert!(err.contains(reason), "{text:?}: {err}");
            assert!(err.starts_with("invalid user id: "), "{err}");
        }
        // Opaque otherwise: case, symbols and composed letters are kept exactly.
        for text in [
            "Ana",
            "ana",
            "ana.maria",
            "jos\u{e9}",
            "auth0|5f7c8ec7",
            "\u{1f600}",
        ] {
            assert_eq!(UserId::parse(text).unwrap().as_str(), text);
        }
        assert_ne!(UserId::parse("Ana").unwrap(), UserId::parse("ana").unwrap());
    }

    fn format_char() -> impl Strategy<Value = char> {
        prop::sample::select(vec![
            '\u{ad}',
            '\u{600}',
            '\u{61c}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202e}',
            '\u{2060}',
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{e0001}',
        ])
    }

    proptest! {
        /// Whatever a valid id is, wrapping it in white space, slipping a format or control
        /// character into it, or decomposing it gives an id that is refused: no second spelling
        /// of an accepted id is ever accepted.
        #[test]
        fn no_second_spelling_of_an_id_is_accepted(
            id in "[a-zA-Z0-9@._|\u{e0}-\u{ff}-]{1,60}",
            space in prop::sample::select(vec![' ', '\t', '\u{a0}', '\u{2003}', '\u{3000}', '\n']),
            format in format_char(),
            control in prop::char::range('\u{0}', '\u{1f}'),
            at in 0usize..61,
        ) {
            let valid = UserId::parse(&id).unwrap();
            prop_assert_eq!(valid.as_str(), id.as_str());
            let (before, after) = (format!("{space}{id}"), format!("{id}{space}"));
            prop_assert!(UserId::parse(&before).is_err());
            prop_assert!(UserId::parse(&after).is_err());
            let at = id.char_indices().map(|(i, _)| i).chain([id.len()]).nth(at % (id.chars().count() + 1)).unwrap_or(0);
            for c in [format, control, space] {
                let mut spelled = id.clone();
                spelled.insert(at, c);
                prop_assert!(UserId::parse(&spelled).is_err(), "{:?}", spelled);
            }
            let decomposed: String = unicode_normalization::UnicodeNormalization::nfd(id.as_str()).collect();
            if decomposed != id {
                prop_assert!(UserId::parse(&decomposed).is_err());
            }
        }
    }
}
