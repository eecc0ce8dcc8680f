//! The store's identity is pinned at open: a store file deleted or replaced under a running
//! server is detected on the next write, answered as unavailable (503) with a log line that
//! says so, readiness turns 503, and nothing is granted against a file that is not the store.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use crate::serve_limits::{ask, claim, start};
use crate::support::TestEnv;

const READY: &str = "GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

/// Serves `env`'s store with `ana`'s claim granted, lets `change` act on the store's file,
/// then checks that the next claim and readiness answer 503, that serve stops cleanly, and that
/// its log says the file was `what`. Returns what `change` returned.
fn after_the_file_is<T>(
    env: &TestEnv,
    what: &str,
    change: impl FnOnce(&std::path::Path) -> T,
) -> T {
    env.create_campaign("spring", 10);
    let server = start(env, &[]);
    let log_path = server.log().to_path_buf();
    let (code, text) = ask(&server, &claim("ana"));
    assert_eq!(code, 201, "{text}");
    let changed = change(&env.sqlite_file().unwrap());
    let (code, text) = ask(&server, &claim("bo"));
    assert_eq!(code, 503, "{text}");
    let (code, text) = ask(&server, READY);
    assert_eq!(code, 503, "{text}");
    assert_eq!(server.stop().1.code(), Some(0));
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains(&format!("the store file was {what}")), "{log}");
    changed
}

#[test]
fn a_deleted_store_is_unavailable_and_grants_nothing() {
    after_the_file_is(&TestEnv::new(), "deleted", |file| {
        std::fs::remove_file(file).unwrap();
    });
}

#[test]
fn a_replaced_store_is_unavailable_and_grants_nothing() {
    after_the_file_is(&TestEnv::new(), "replaced by another file", |file| {
        let copy = file.with_extension("copy");
        std::fs::copy(file, &copy).unwrap();
        std::fs::rename(&copy, file).unwrap();
    });
}

#[test]
fn another_store_copied_over_the_file_in_place_is_unavailable_and_left_as_copied() {
    use std::os::unix::fs::MetadataExt as _;
    let other = TestEnv::new();
    other.create_campaign("spring", 10);
    let env = TestEnv::new();
    let (file, copied) = after_the_file_is(&env, "overwritten in place by another store", |file| {
        let inode = std::fs::metadata(file).unwrap().ino();
        // `fs::copy` truncates and writes the existing file, like `cp`: the inode stays.
        std::fs::copy(other.sqlite_file().unwrap(), file).unwrap();
        assert_eq!(std::fs::metadata(file).unwrap().ino(), inode);
        (file.to_path_buf(), std::fs::read(file).unwrap())
    });
    // Closing did not checkpoint this server's pages into the store copied there.
    assert!(
        std::fs::read(&file).unwrap() == copied,
        "the copied store was written to"
    );
}
