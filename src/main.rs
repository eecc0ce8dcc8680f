//! The `flashsale` binary. [`flashsale::run`] parses, runs and reports, and returns the exit
//! code instead of exiting, so that destructors run: stores close and stdout is flushed.

use std::process::ExitCode;

/// mimalloc instead of the system allocator: a profile of `serve` under load put a seventh of
/// its worker threads' time in glibc's malloc and free (HTTP buffers allocated on one thread
/// and freed on another, and past glibc's per-thread caches); see docs/performance.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    flashsale::run(std::env::args_os()).await
}
