//! Every black-box and cross-module test, compiled into one test binary:
//! one link of the crate instead of one per file. Run one area with
//! `cargo test --test integration <module>`, e.g. `cargo test --test integration input`.
#![expect(
    clippy::too_many_lines,
    reason = "a test that tells one story reads better whole"
)]

mod support;

/// The admin API: the CLI's documents over HTTP, the admin scope, repeats, a whole sale.
mod admin;
/// Every module imports only the layers below it, as docs/ARCHITECTURE.md draws them.
mod architecture;
/// `simulate --arrivals` and `--html`: an open loop, the run second by second, its page.
mod arrivals;
/// `simulate`'s audit fails a broken run, counts others' claims, ends on SIGTERM.
mod audit;
/// Every command through the binary: outputs, refusals, exit codes, an unchanged store.
mod cli;
/// The committed shell completions equal what `flashsale completions` prints.
mod completions;
/// A store killed mid-claim opens afterwards with every told claim in it.
mod crash;
/// Keys and tokens: audiences, the JWT policy, weak keys, tokens outside argv, no secret printed.
mod credentials;
/// Each currency in its own minor unit: JPY whole, KWD with three places, in and out.
mod currencies;
/// The dashboard and alert rules in deploy/ name only metrics `serve` exposes.
mod deploy;
/// `doctor`'s checks of SQLite and MongoDB stores, which never write.
mod doctor;
/// The audit log: one event per change, with its actor; `events` and `--follow`.
mod events;
/// `claim export --out` writes files safely; CSV cells a spreadsheet would run are text.
mod export_files;
/// Property-based fuzzing of the money, percent, user id and store URL parsers.
mod fuzz_parsers;
/// Malformed and hostile values for every command and flag: a message, an exit code, no write.
mod input;
/// A damaged store is an error, never data; secrets in store URLs never print.
mod integrity;
/// Ctrl-C and SIGTERM end any command with exit 130.
mod interrupt;
/// The shopper is who a verified JWT says; a bad credential writes nothing.
mod jwt;
/// `serve --jwks-url` and `--jwks-file`: keys that rotate under load, each algorithm, refusals.
mod keys;
/// A claim's, a campaign's and the inventory's whole life from the command line.
mod lifecycle;
/// Several processes claiming on one SQLite file at once keep the invariants.
mod multiprocess;
/// The HTTP API's OpenAPI document: committed, served, and what real answers look like.
mod openapi;
/// `campaign create` on a terminal prompts for what is missing.
mod prompts;
/// The README, docs/ and CONTRIBUTING.md: exit codes, samples, variables, links.
mod readme;
/// The generated command reference (docs/reference.md) and manual pages are current.
mod reference;
/// One rule for repeating an operator action: unchanged, a conflict, or a dry run's answer.
mod repeats;
/// `campaign report`: the post-sale summary as a table, JSON and a self-contained HTML page.
mod report;
/// Commands do only what they are asked: reading never creates a store, foreign files untouched.
mod safety;
/// `flashsale serve` over loopback HTTP.
mod serve;
/// `simulate --target` catches a server that lies about what the store holds.
mod serve_breaking;
/// Hostile clients cannot starve `serve`: slots, deadlines, header and connection bounds.
mod serve_limits;
/// `flashsale simulate`'s contract, and its audit catching broken stores.
mod simulate;
/// A stdout that cannot be written, and usage errors in JSON mode.
mod stdout;
/// One story, every store: the same use cases on SQLite and MongoDB.
mod store_conformance;
/// A store file deleted or replaced under a running server grants nothing.
mod store_identity;
/// What a person at a terminal sees: help, the manual page, tables, confirmations.
mod terminal;
/// Time edges: leap seconds refused, RFC 3339 instants up to the year 9999.
mod timestamps;
/// `campaign watch`: lines and JSON per read as the store changes; the terminal view in tmux.
mod watch;
