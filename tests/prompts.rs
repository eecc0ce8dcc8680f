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
    tty.exp_string("Duration").expect("duration prompt");
    tty.send_line("90m").expect("type");
    tty.exp_string("typed").expect("the created campaign");
    tty.exp_eof().expect("the command ends");

    let campaign = env.run(["campaign", "status", "typed"]).json();
    let starts =
        chrono::DateTime::parse_from_rfc3339(campaign["starts_at"].as_str().unwrap()).unwrap();
    let ends = chrono::DateTime::parse_from_rfc3339(campaign["ends_at"].as_str().unwrap()).unwrap();
    assert_eq!(ends - starts, chrono::TimeDelta::minutes(90));
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
            "currency": "EUR",
            "created_at": campaign["created_at"],
        })
    );
}
