//! `claim export --out`: files written safely. A regular file is replaced whole and keeps its
//! permissions, a named pipe or a device is written through, a symbolic link is refused and
//! left alone, and CSV cells a spreadsheet would run are written as text.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test the same way"
)]

use crate::support;

use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::time::Duration;

use support::TestEnv;

/// A store with a campaign `spring` claimed by `ana`.
fn claimed() -> TestEnv {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    env.claim("spring", "ana", "50").json();
    env
}

fn export_to<'a>(env: &'a TestEnv, out: &std::path::Path) -> support::Run<'a> {
    env.run([
        "claim",
        "export",
        "--campaign",
        "spring",
        "--format",
        "jsonl",
        "--out",
    ])
    .arg(out)
}

/// A symbolic link at `--out` is refused (exit 2); neither it nor its target changes.
#[test]
fn a_symbolic_link_is_refused_and_left_alone() {
    let env = claimed();
    let target = env.path().join("target.txt");
    std::fs::write(&target, "keep me\n").unwrap();
    let link = env.path().join("export.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let json = export_to(&env, &link).code(2).json();
    assert_eq!(json["error"]["kind"], "invalid_input", "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is a symbolic link; name the file it points to instead"),
        "{json}"
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
}

/// A file in a folder that does not exist is bad input (exit 2) naming the folder, for each
/// command that writes one, and nothing is written: no folder, no store for a rehearsal.
#[test]
fn a_file_in_a_missing_folder_is_refused_naming_the_folder() {
    let env = claimed();
    let missing = env.path().join("no-such-folder");
    let refused = |json: serde_json::Value| {
        assert_eq!(json["error"]["kind"], "invalid_input", "{json}");
        let message = json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("which is not an existing folder")
                && message.contains("no-such-folder"),
            "{json}"
        );
        assert!(!message.contains(".partial"), "{json}");
    };
    refused(export_to(&env, &missing.join("x.jsonl")).code(2).json());
    refused(
        env.run(["campaign", "report", "spring", "--html"])
            .arg(missing.join("r.html"))
            .code(2)
            .json(),
    );
    let rehearsal = env.path().join("rehearsal.db");
    refused(
        env.run(["simulate", "--users", "5", "--inventory", "2", "--html"])
            .arg(missing.join("s.html"))
            .arg("--store")
            .arg(format!("sqlite:{}", rehearsal.display()))
            .code(2)
            .json(),
    );
    assert!(!missing.exists());
    assert!(!rehearsal.exists(), "the refused rehearsal made a store");
}

/// A named pipe is written through: its reader gets the export, and the pipe stays a pipe.
#[test]
fn a_named_pipe_is_written_through() {
    let env = claimed();
    let fifo = env.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (sent, received) = std::sync::mpsc::channel();
    let reading = fifo.clone();
    // Detached: if the export never opens the pipe, this reader blocks, and the test fails
    // on what it checks below instead of hanging.
    std::thread::spawn(move || {
        let _ = sent.send(std::fs::read_to_string(&reading));
    });
    let json = export_to(&env, &fifo).json();
    assert_eq!(json["claims"], 1, "{json}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let text = received
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .unwrap();
    assert!(text.contains("\"user_id\":\"ana\""), "{text}");
}

/// Replacing an existing file keeps its permissions (a mode-600 export stays private).
#[test]
fn an_existing_file_keeps_its_permissions() {
    let env = claimed();
    let out = env.path().join("private.jsonl");
    std::fs::write(&out, "old\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
    export_to(&env, &out).json();
    let meta = std::fs::metadata(&out).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("\"user_id\":\"ana\"")
    );
    // Nothing else is left in the folder: no temporary file.
    let strays: Vec<_> = std::fs::read_dir(env.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}

/// A user id a spreadsheet would run as a formula is written as text, with a leading `'`.
#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_escaped() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    for user in [
        "=HYPERLINK(\"http://x\")",
        "+cmd|'/C%20calc'!A0",
        "@SUM(1)",
        "ana",
    ] {
        env.claim("spring", user, "50").json();
    }
    let csv = env
        .run(["claim", "export", "--campaign", "spring", "--format", "csv"])
        .run()
        .stdout;
    let users: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|line| {
            let mut reader = csv_record(line);
            reader.remove(1)
        })
        .collect();
    let mut users = users;
    users.sort();
    assert_eq!(
        users,
        [
            "'+cmd|'/C%20calc'!A0",
            "'=HYPERLINK(\"http://x\")",
            "'@SUM(1)",
            "ana"
        ],
        "{csv}"
    );
}

/// The cells of one CSV line.
fn csv_record(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    reader
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect()
}
