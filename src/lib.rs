//! flashsale: claim flash-sale discounts without ever overselling.
//!
//! ```text
//! cli/        clap, prompts, tables, JSON, progress bars (private; the binary calls `run`)
//!   |
//! service     ClaimService / CampaignService: read the injected clock, call the store
//!   |
//! domain/     pure rules: Campaign, Window, DiscountRule, Cents, Percent, UserId, ClaimToken
//! store/      trait Store + SqliteStore (embedded default) + MongoDB (production)
//! simulate/   N concurrent users against the service, then an audit of the store
//! auth        Identity: from a verified JWT or an explicit operator assertion, nothing else
//! http/       `serve`: routes, JSON bodies, status codes, middleware; calls the service only
//! ```
//!
//! A claim flows down: the service stamps it with `now` and hands a [`domain::ClaimAttempt`] to
//! [`store::Store::claim`]. The store reads what the decision needs (the user's claim, the
//! campaign), the domain decides ([`domain::ClaimAttempt::decide`]: replay an existing claim of
//! the same user, or refuse as not found, not live, not eligible or sold out, or grant a claim
//! with a fresh token carrying 144 random bits), and the store carries out that
//! [`domain::Decision`] atomically:
//! `SQLite` inside one `BEGIN IMMEDIATE` transaction (group-committed by one writer thread);
//! `MongoDB` with one conditional single-document update plus unique indexes. See
//! `docs/ARCHITECTURE.md` for where every rule lives.
//!
//! ```
//! use chrono::TimeDelta;
//! use flashsale::auth::Identity;
//! use flashsale::clock::{Clock, SystemClock};
//! use flashsale::domain::{Actor, CampaignId, ClaimOutcome, Currency, NewCampaign, Units, UserId};
//! use flashsale::service::{CampaignService, ClaimService};
//! use flashsale::store::SqliteStore;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let store = SqliteStore::open(&dir.path().join("flashsale.db")).await?;
//! let now = SystemClock.now();
//! let ops = Actor::parse("ops")?;
//! CampaignService::new(store.clone(), SystemClock)
//!     .create(NewCampaign {
//!         id: CampaignId::parse("spring")?,
//!         name: "Spring sale".into(),
//!         inventory: Units::new(1)?,
//!         percent: "15".parse()?,
//!         max_discount: "20.00".parse()?,
//!         min_cart: "0".parse()?,
//!         currency: Currency::default(),
//!         starts_at: now,
//!         ends_at: now + TimeDelta::hours(1),
//!         hold: None,
//!     }, &ops)
//!     .await?;
//! let claims = ClaimService::new(store, SystemClock);
//! let ana = Identity::asserted_by_operator(UserId::parse("ana")?);
//! let spring = CampaignId::parse("spring")?;
//! let first = claims.claim(&ana, &spring, "64.90".parse()?).await?;
//! let retry = claims.claim(&ana, &spring, "64.90".parse()?).await?;
//! assert!(matches!(retry, ClaimOutcome::Replayed(_)));
//! assert_eq!(first.claim().token, retry.claim().token);
//! let bo = Identity::asserted_by_operator(UserId::parse("bo")?);
//! assert!(matches!(claims.claim(&bo, &spring, "64.90".parse()?).await, Err(flashsale::Error::SoldOut(_))));
//! # Ok(())
//! # }
//! ```
//!
//! Invariants every store keeps: no oversell (I1), one claim per user and
//! campaign (I2), conservation (I3), replay (I4), no undersell at rest (I5), and refusals write
//! nothing (I6).

// Long tests are allowed (a test that tells one story reads better whole); production code is
// held to the limit by the build without `cfg(test)`, which this attribute does not reach.
#![cfg_attr(
    test,
    expect(
        clippy::too_many_lines,
        reason = "a test that tells one story reads better whole"
    )
)]

pub mod auth;
mod cli;
pub mod clock;
pub mod domain;
pub mod error;
pub mod http;
mod json;
pub mod service;
pub mod simulate;
pub mod store;

pub use error::{Error, ErrorKind};

/// Runs the `flashsale` command line over `args` (the program name first) and returns its exit
/// code. This is the binary's only entry: the CLI's types stay private to the crate.
pub async fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> std::process::ExitCode {
    cli::main(args).await
}
