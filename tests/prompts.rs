//! `campaign create` on a terminal asks for what is missing, and checks
//! each answer as it is typed. Runs the real binary on a pseudo-terminal.

use crate::support::TestEnv;

#[test]
fn campaign_create_prompts_for_missing_fields_on_a_terminal() {
    let env = TestEnv::new();
    let cmd = env.std_cmd([
        "campaign",
        "create",
        "--id",
        "typed",
        "--name",
        "Typed sale",
    ]);
    let mut tty = rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn on a pty");
    tty.exp_string("Inventory (units)")
        .expect("inventory prompt");
    tty.send_line("0").expect("type");
    tty.exp_string("invalid inventory: must be from 1 to")
        .expect("refused at once");
    tty.send_line("7").expect("type");
    tty.exp_string("Percent off").expect("percent prompt");
    tty.send_line("12.5").expect("type");
    tty.exp_string("Max discount").expect("cap prompt");
    tty.send_line("4.50").expect("type");
    // The optional fields are offered, their defaults shown; Enter keeps one.
    tty.exp_string("Minimum cart [0.00]")
        .expect("min cart prompt");
    tty.send_line("").expect("type");
    tty.exp_string("Currency [EUR]").expect("currency prompt");
    tty.send_line("usd").expect("type");
    tty.exp_string("Start (RFC 3339 time, or now) [now]")
        .expect("start prompt");
    tty.send_line("").expect("type");
    tty.exp_string("Duration").expect("duration prompt");
    tty.send_line("soon").expect("type");
    // The answer is refused naming the field, not a flag.
    let (refusal, _) = tty
        .exp_regex("invalid duration: [^\\r\\n]*")
        .expect("refused at once");
    assert!(!refusal.contains("--"), "{refusal}");
    tty.send_line("90m").expect("type");
    tty.exp_string("The campaign:").expect("a summary");
    tty.exp_string("minimum cart 0.00 USD")
        .expect("the default min cart");
    tty.exp_string("starts       now (when you confirm)")
        .expect("the start");
    tty.exp_string("ends         90m after the start")
        .expect("the end");
    tty.exp_string("Create?").expect("the confirmation");
    // Time spent before confirming does not shorten the sale: "now" is read on "y".
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let confirmed_at = flashsale::clock::Clock::now(&flashsale::clock::SystemClock)
        - chrono::TimeDelta::milliseconds(1);
    tty.send("y").expect("type");
    tty.flush().expect("flush");
    tty.exp_string("typed").expect("the created campaign");
    tty.exp_eof().expect("the command ends");
    let campaign = env.run(["campaign", "status", "typed"]).json();
    let starts =
        chrono::DateTime::parse_from_rfc3339(campaign["starts_at"].as_str().unwrap()).unwrap();
    let ends = chrono::DateTime::parse_from_rfc3339(campaign["ends_at"].as_str().unwrap()).unwrap();
    assert_eq!(ends - starts, chrono::TimeDelta::minutes(90));
    assert!(
        starts >= confirmed_at,
        "{starts} is before the confirmation at {confirmed_at}"
    );
    assert_eq!(
        campaign,
        serde_json::json!({
            "id": "typed",
            "name": "Typed sale",
            "state": "live",
            "starts_at": campaign["starts_at"],
            "ends_at": campaign["ends_at"],
            "total_inventory": 7,
            "claimed": 0,
            "remaining": 7,
            "percent_off": 12.5,
            "max_discount_cents": 450,
            "min_cart_cents": 0,
            "currency": "USD",
            "created_at": campaign["created_at"],
            "paused": false,
            "ended_at": null,
            "hold_seconds": null,
        })
    );
}

#[test]
fn campaign_create_creates_nothing_unless_confirmed() {
    let env = TestEnv::new();
    let cmd = env.std_cmd([
        "campaign",
        "create",
        "--id",
        "maybe",
        "--name",
        "Maybe",
        "--inventory",
        "3",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
    ]);
    let mut tty = rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn on a pty");
    for prompt in ["Minimum cart", "Currency", "Start"] {
        tty.exp_string(prompt).expect("an optional field");
        tty.send_line("").expect("type");
    }
    tty.exp_string("Duration").expect("duration prompt");
    tty.send_line("1h").expect("type");
    tty.exp_string("Create? [Y/n]").expect("the confirmation");
    tty.send("n").expect("type");
    tty.flush().expect("flush");
    tty.exp_string("not confirmed: nothing was created")
        .expect("the refusal");
    tty.exp_eof().expect("the command ends");
    match tty.process.wait().expect("exit status") {
        rexpect::process::wait::WaitStatus::Exited(_, code) => assert_eq!(code, 2),
        other => panic!("{other:?}"),
    }
    env.run(["campaign", "list", "-o", "json"])
        .stdout("[]\n")
        .check();
}
