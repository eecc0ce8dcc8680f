//! Issue 14, the store side: a damaged store is an error, never data; a repair refuses to
//! run on one; read-only commands never wait for the write lock; secrets in a store URL never
//! print; user ids and amounts are refused where they could mislead.

use crate::support;

use std::time::{Duration, Instant};

use rusqlite::Connection;
use support::TestEnv;

/// Longer than any read takes here, far shorter than the store's 10 s busy timeout: a read
/// that queued behind the write lock cannot pass.
const AT_ONCE: Duration = Duration::from_secs(3);

/// Issue 14, defect 7: while another connection holds a write transaction open, every
/// read-only command answers at once (it used to wait 10 s for the lock to migrate an already
/// current schema, then fail with "database is locked").
#[test]
fn read_only_commands_answer_while_another_connection_writes() {
    let env = TestEnv::new();
    env.create_campaign("spring", 10);
    env.claim("spring", "ana", "50").json();

    let file = env.sqlite_file().expect("an SQLite store");
    let writer = Connection::open(&file).expect("open the store file");
    writer
        .execute_batch("BEGIN IMMEDIATE; UPDATE campaigns SET name = name;")
        .expect("take the write lock");

    for args in [
        &["campaign", "list"][..],
        &["campaign", "status", "spring"],
        &["inventory", "show", "spring"],
    ] {
        let started = Instant::now();
        let json = env.run(args).json();
        let took = started.elapsed();
        assert!(
            took < AT_ONCE,
            "{args:?} waited {took:?} for the write lock"
        );
        assert!(json.to_string().contains("spring"), "{args:?}: {json}");
    }
    writer.execute_batch("ROLLBACK").expect("release the lock");
}
