//! A deterministic simulation of a `MongoDB` replica set under the store, and a checker of the
//! invariants over what it did. Tests only.
//!
//! - `sched.rs`: the seeded scheduler (every task paused at every await, the seed decides);
//! - `replica.rs`: three nodes, oplogs, replication lag, commit point, elections, rollback;
//! - `world.rs`: requests on the wire, write concerns, read preferences and concerns, clocks,
//!   lost requests and answers, crashes, and the history;
//! - `glue.rs`: the store's `DocOps` over all that (the one file that knows its shape);
//! - `scenario.rs`: one seeded flash sale and the operator's actions at rest (each stamped with
//!   the server's clock through `Store::now`, as the service stamps them), and an operator
//!   creating a campaign from a machine whose clock runs minutes ahead or behind;
//! - `check.rs`: the invariants over the history and the data at rest.
//!
//! A failing seed replays exactly: `FLASHSALE_SIM_SEED=N cargo test --lib sim::` runs that seed
//! alone and prints its history.

mod check;
mod glue;
mod replica;
mod scenario;
mod sched;
mod world;

mod tests;
