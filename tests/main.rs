//! Every black-box and cross-module test, compiled into one test binary:
//! one link of the crate instead of one per file. Run one area with
//! `cargo test --test integration <module>`, e.g. `cargo test --test integration hostile`.

mod support;

mod cli;
mod completions;
mod crash;
mod events;
mod export_files;
mod fuzz_parsers;
mod hostile;
mod human;
mod integrity;
mod interrupt;
mod jwt;
mod lifecycle;
mod multiprocess;
mod operator;
mod prompts;
mod readme;
mod repeats;
mod serve;
mod serve_breaking;
mod serve_limits;
mod simulate;
mod store_conformance;
mod store_identity;
mod trust;
