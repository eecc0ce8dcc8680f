//! flashsale: claim flash-sale discounts without ever overselling.
//!
//! A claim flows down from a face (the CLI, the HTTP API, a simulation) through a service, which
//! stamps it with the time, to a [`store::Store`]: the store reads what the decision needs, the
//! domain decides ([`domain::ClaimAttempt::decide`]), and the store carries out that
//! [`domain::Decision`] atomically. `docs/ARCHITECTURE.md` draws the layers as the imports form
//! them, says where every rule and every invariant lives, and how each is proven.
//!
//! ```
//! use chrono::TimeDelta;
//! use flashsale::auth::Identity;
//! use flashsale::clock::SystemClock;
//! use flashsale::domain::{Actor, CampaignId, Ends, ClaimOutcome, Currency, NewCampaign, Units, UserId};
//! use flashsale::service::{CampaignService, ClaimService};
//! use flashsale::store::SqliteStore;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let store = SqliteStore::open(&dir.path().join("flashsale.db")).await?;
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
//!         starts_at: None, // now, by the store's clock
//!         ends: Ends::After(TimeDelta::hours(1)),
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
//! Invariants every store keeps (each defined in `docs/ARCHITECTURE.md`): no oversell (I1),
//! one claim per user and campaign (I2), conservation (I3), replay (I4), no undersell at rest
//! (I5), refusals write nothing (I6), one status change per claim (I7), a token redeemed at
//! most once (I8), a voided or expired claim stays the user's (I9), and every operator action
//! logged once (I10).

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
pub mod outbound;
pub mod random;
pub mod service;
pub mod simulate;
pub mod store;

pub use error::{Error, ErrorKind};

/// Runs the `flashsale` command line over `args` (the program name first) and returns its exit
/// code. This is the binary's only entry: the CLI's types stay private to the crate.
pub async fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> std::process::ExitCode {
    cli::main(args).await
}
