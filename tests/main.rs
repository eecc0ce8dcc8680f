//! Every black-box and cross-module test, compiled into one test binary:
//! one link of the crate instead of one per file. Run one area with
//! `cargo test --test integration <module>`, e.g. `cargo test --test integration hostile`.

mod support;

mod cli;
mod completions;
mod crash;
mod events;
mod fuzz_parsers;
mod hostile;
mod human;
mod integrity;
mod interrupt;
mod jwt;
mod keys;
mod lifecycle;
mod multiprocess;
mod operator;
mod prompts;
mod readme;
mod reference;
mod repeats;
mod serve;
mod serve_breaking;
mod simulate;
mod store_conformance;
mod trust;
