//! Marks the MongoDB tests ignored when no MongoDB is configured for them: `cargo test` then
//! reports them as ignored rather than passing them without running anything. With
//! `FLASHSALE_TEST_MONGODB_URI` set they run; with `FLASHSALE_REQUIRE_MONGODB=1` they run
//! even without it, and fail, so CI cannot skip them.
//!
//! Likewise the real-terminal test of `campaign watch`, which drives tmux: without tmux on
//! the `PATH` it is reported as ignored, naming the package to install, except under
//! `CI=true`, where it runs and fails, so CI cannot skip it.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=FLASHSALE_TEST_MONGODB_URI");
    println!("cargo::rerun-if-env-changed=FLASHSALE_REQUIRE_MONGODB");
    println!("cargo::rustc-check-cfg=cfg(no_mongodb)");
    let configured =
        std::env::var_os("FLASHSALE_TEST_MONGODB_URI").is_some_and(|uri| !uri.is_empty());
    let required = std::env::var_os("FLASHSALE_REQUIRE_MONGODB").is_some_and(|v| v == "1");
    if !configured && !required {
        println!("cargo::rustc-cfg=no_mongodb");
    }
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(no_tmux)");
    let ci = std::env::var_os("CI").is_some_and(|v| v == "true");
    let tmux = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("tmux").is_file()));
    if !tmux && !ci {
        println!("cargo::rustc-cfg=no_tmux");
    }
}
