//! The one place flashsale draws randomness for claim tokens and request ids. The domain
//! formats a token from what is drawn here ([`ClaimToken::from_parts`]) and reads no
//! randomness itself.

use chrono::{DateTime, Utc};

use crate::domain::ClaimToken;

/// A fresh token drawn at `now`: 144 random bits after the instant's ordered prefix.
///
/// The bits come from the thread's cryptographically secure generator (`rand`'s `ThreadRng`:
/// `ChaCha12` keyed from the operating system's CSPRNG and rekeyed from it every 64 KiB drawn),
/// not from a system call per token. Every claim attempt draws one before the store decides
/// (the writer thread must not pay for it), so a sold-out sale draws one per refusal too: a
/// `getrandom` call each took about 3 % of a million-shopper rehearsal's time, the kernel's
/// generator included. Outputs of a keyed `ChaCha` stream cannot be told from random nor
/// predicted from each other, which is all a token needs to be unforgeable.
///
/// # Panics
/// If the operating system cannot seed the generator: no token may be issued then, and there
/// is no safe fallback.
#[must_use]
pub fn token(now: DateTime<Utc>) -> ClaimToken {
    use rand::RngCore as _;
    let mut bytes = [0u8; ClaimToken::RANDOM_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    ClaimToken::from_parts(now, &bytes)
}

/// A fresh id for a request that came without one: 24 hex digits, never repeated by this
/// process. Ids need to be unique, not unguessable, and one is drawn per request, so the
/// operating system is asked once per process (48 random bits telling processes apart) and each
/// id after that is a counter (48 bits) after them: no system call on the request path.
///
/// # Panics
/// If the operating system cannot supply randomness, as [`token`].
#[must_use]
pub fn request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PROCESS: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let process = *PROCESS.get_or_init(|| {
        let mut bytes = [0u8; 8];
        #[expect(
            clippy::expect_used,
            reason = "without randomness no token could be issued either (see # Panics)"
        )]
        getrandom::fill(&mut bytes).expect("the OS CSPRNG must be available");
        u64::from_le_bytes(bytes) & 0xffff_ffff_ffff
    });
    let count = NEXT.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff_ffff;
    format!("{process:012x}{count:012x}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn tokens_are_random_url_safe_and_at_least_128_bits() {
        let now = DateTime::from_timestamp_millis(1_800_000_000_000).unwrap();
        let tokens: HashSet<String> = (0..10_000)
            .map(|_| token(now).as_str().to_owned())
            .collect();
        assert_eq!(tokens.len(), 10_000);
        for token in &tokens {
            // `-` first reads as a flag to the CLI and to `grep "$TOKEN"`.
            assert!(
                token.starts_with(|c: char| c.is_ascii_alphanumeric()),
                "{token}"
            );
        }
        for token in tokens.iter().take(100) {
            assert_eq!(token.len(), ClaimToken::LEN); // 6 + 18 bytes, base64 without padding
            assert!(
                token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{token}"
            );
        }
    }
}
