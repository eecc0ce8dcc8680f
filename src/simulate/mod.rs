//! `flashsale simulate`'s engine: N concurrent users against the claim service, then an audit
//! of what the store holds.
//!
//! The simulation proves the claim invariants from the store's own state after the run (I1 no
//! oversell, I2 one claim per user, I3 conservation, I4 replay, I5 no undersell), and uses the
//! outcomes the users saw only as a second witness. A store that double-grants, or reserves
//! with a read followed by a write, is caught by the audit (`tests/simulate.rs` runs it
//! against such stores).
//!
//! Users run in a closed loop (at most [`Load::concurrency`] in flight, each starting when
//! another finishes) or, with [`Load::arrivals`], in an open loop: each starts at its own
//! arrival instant on the clock, whether or not the earlier ones have finished, at most
//! [`MAX_IN_FLIGHT`] at once.
//!
//! Memory is bounded whatever the number of users: each user's cart and tab count are derived
//! from `(seed, user index)` when the user starts, a bounded number of users are in
//! flight at once, each user holds its own token (with [`Identities::Jwt`]) and checks its own
//! answers against the store before it ends, and the only things that grow with the run are
//! counters, two fixed-size histograms (request latency and token verification) and one small
//! row per second of the run.
//!
//! The parts: [`Load`] is what to send, [`Identities`] how users prove who they are,
//! [`Progress`] what has happened so far, [`Simulator`] sends it, and [`Report`] is the verdict
//! on what the store holds afterwards. No clap and no progress bar here: the caller polls
//! [`Progress`] from another task.

mod answer;
mod checkout;
mod driver;
mod http;
mod identities;
mod load;
mod progress;
mod report;

pub use driver::Simulator;
pub use http::HttpTarget;
pub use identities::{Identities, IdentityKind};
pub use load::{
    Arrivals, CartRange, DEFAULT_CONCURRENCY, DEFAULT_DUPLICATE_RATIO, DEFAULT_REDEEM_RATIO,
    DEFAULT_TABS, DEFAULT_VOID_RATIO, Load, MAX_ARRIVALS_SECS, MAX_CONCURRENCY, MAX_IN_FLIGHT,
    MAX_TABS, MAX_USERS, Redeem, Shape, UserPlan,
};
pub use progress::Progress;
pub use report::{
    ArrivalsReport, GroupCommit, Invariants, Latency, Lifecycle, MAX_ERROR_RATIO, Percentiles,
    Report, RunChecks, Second,
};
