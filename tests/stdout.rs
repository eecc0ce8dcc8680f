//! A stdout that cannot be written: a claim says it was made, or with stdout closed makes
//! none; a usage error in JSON mode is one line.

use crate::support;

use std::process::Stdio;

use serde_json::json;
use support::TestEnv;

#[cfg(target_os = "linux")]
#[test]
fn a_claim_whose_output_cannot_be_written_says_it_was_made() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    for output in ["table", "json"] {
        let user = format!("ana-{output}");
        let out = env
            .std_cmd([
                "--output",
                output,
                "claim",
                "--campaign",
                "spring",
                "--cart",
                "50",
            ])
            .args(["--user", &user])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{output}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "error: the claim on campaign `spring` was made and is stored, but printing it \
             failed (claiming again with the same user safely replays it): No space left on \
             device (os error 28)\n",
            "{output}"
        );
        // It was made: claiming again replays it.
        let replay = env.claim("spring", &user, "50").json();
        assert_eq!(replay["outcome"], "replayed", "{replay}");
    }
}

/// With stdout closed, Rust's runtime points it at `/dev/null` and every answer vanishes: a
/// claim is refused before the store is touched, on stderr, in both output modes.
#[cfg(target_os = "linux")]
#[test]
fn a_claim_with_stdout_closed_is_refused_and_claims_nothing() {
    let env = TestEnv::new();
    env.create_campaign("spring", 5);
    for output in ["table", "json"] {
        let inner = env.std_cmd(["--output", output, "claim", "--campaign", "spring"]);
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", "exec \"$@\" >&-", "sh"])
            .arg(inner.get_program())
            .args(inner.get_args())
            .args(["--user", "ana", "--cart", "50"]);
        for (key, value) in inner.get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        let out = cmd.stderr(Stdio::piped()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{output}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "error: stdout is closed, so the claim's answer could not be delivered: nothing \
             was claimed\n"
        );
    }
    let status = env.run(["campaign", "status", "spring"]).json();
    assert_eq!(status["claimed"], 0, "{status}");
    // A shell's `>/dev/null` is a choice, not a closed stdout: the claim is made.
    let out = env
        .std_cmd([
            "claim",
            "--campaign",
            "spring",
            "--user",
            "ana",
            "--cart",
            "50",
        ])
        .stdout(
            std::fs::File::options()
                .write(true)
                .open("/dev/null")
                .unwrap(),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_missing_subcommand_in_json_mode_is_one_line() {
    let env = TestEnv::new();
    for (args, message) in [
        (
            vec!["campaign"],
            "`flashsale campaign` needs a subcommand: one of create, status, list, end, pause, \
             resume, extend, report, watch",
        ),
        (
            vec!["jwt"],
            "`flashsale jwt` needs a subcommand: one of mint",
        ),
        (
            vec!["inventory"],
            "`flashsale inventory` needs a subcommand: one of show, add, remove, expire, \
             reconcile",
        ),
        (
            vec![],
            "`flashsale` needs a subcommand: one of campaign, claim, inventory, events, \
             simulate, completions, man, jwt, serve, doctor",
        ),
    ] {
        let document = json!({"error": {"kind": "invalid_input", "message": message}});
        // `--output json` before the subcommand (where clap renders the help) and after it.
        let expected = format!("{}\n", serde_json::to_string_pretty(&document).unwrap());
        let mut first = vec!["--output", "json"];
        first.extend(&args);
        env.run(first).code(2).stdout(expected).check();
        assert_eq!(env.run(args).code(2).json(), document);
    }
}
