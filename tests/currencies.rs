//! Each currency in its own minor unit: yen have no decimal places and dinars three, on the
//! command line, in tables and in JSON's `*_cents` (a count of the currency's minor unit).

use serde_json::json;

use crate::support::TestEnv;

fn create(env: &TestEnv, id: &str, currency: &str, max: &str, min: &str) -> serde_json::Value {
    env.run([
        "campaign",
        "create",
        "--id",
        id,
        "--name",
        id,
        "--inventory",
        "5",
        "--percent-off",
        "10",
        "--max-discount",
        max,
        "--min-cart",
        min,
        "--currency",
        currency,
        "--duration",
        "1h",
    ])
    .json()
}

#[test]
fn yen_are_whole_and_dinars_have_three_places() {
    let env = TestEnv::new();
    let yen = create(&env, "tokyo", "JPY", "500", "1000");
    assert_eq!(
        (&yen["max_discount_cents"], &yen["min_cart_cents"]),
        (&json!(500), &json!(1000)),
        "{yen}"
    );
    let dinars = create(&env, "kuwait", "KWD", "1.250", "2.5");
    assert_eq!(
        (&dinars["max_discount_cents"], &dinars["min_cart_cents"]),
        (&json!(1250), &json!(2500)),
        "{dinars}"
    );

    let claimed = env.claim("tokyo", "ana", "3000").json();
    assert_eq!(
        (
            &claimed["claim"]["cart_cents"],
            &claimed["claim"]["discount_cents"]
        ),
        (&json!(3000), &json!(300)),
        "{claimed}"
    );
    let claimed = env.claim("kuwait", "ana", "3.125").json();
    assert_eq!(
        (
            &claimed["claim"]["cart_cents"],
            &claimed["claim"]["discount_cents"]
        ),
        (&json!(3125), &json!(312)),
        "{claimed}"
    );

    // Tables show each currency's own places.
    let table = env
        .run([
            "claim",
            "--campaign",
            "tokyo",
            "--user",
            "bo",
            "--cart",
            "1500",
        ])
        .run()
        .stdout;
    assert!(table.contains("discount  150 JPY\n"), "{table}");
    assert!(table.contains("cart      1500 JPY\n"), "{table}");
    let table = env.run(["campaign", "status", "kuwait"]).run().stdout;
    assert!(table.contains("at most 1.250 KWD"), "{table}");
    assert!(table.contains("minimum cart  2.500 KWD\n"), "{table}");

    // More places than the currency has are refused, naming it, and nothing is written.
    let before = env.store_bytes();
    for (campaign, cart, reason) in [
        (
            "tokyo",
            "1500.5",
            "`1500.5` has decimal places, and JPY has no minor unit",
        ),
        (
            "kuwait",
            "3.1255",
            "`3.1255` has more than 3 decimal places, as KWD has",
        ),
    ] {
        let json = env.claim(campaign, "cy", cart).code(2).json();
        assert_eq!(
            json["error"],
            json!({"kind": "invalid_input", "message": format!("invalid cart: {reason}")}),
        );
    }
    let json = env
        .run([
            "campaign",
            "create",
            "--id",
            "osaka",
            "--name",
            "osaka",
            "--inventory",
            "5",
            "--percent-off",
            "10",
            "--max-discount",
            "5.00",
            "--currency",
            "JPY",
            "--duration",
            "1h",
        ])
        .code(2)
        .json();
    assert_eq!(
        json["error"]["message"],
        "invalid max discount: `5.00` has decimal places, and JPY has no minor unit"
    );
    // Below the minimum, in yen.
    let json = env.claim("tokyo", "cy", "999").code(6).json();
    assert_eq!(
        json["error"]["message"],
        "cart 999 is below the minimum of 1000 for campaign `tokyo`"
    );
    assert_eq!(env.store_bytes(), before, "a refused amount wrote");
}

/// `simulate --like` draws carts typed in the campaign's currency: 999 yen is below a 1000 yen
/// minimum, and half a yen is refused before anything is created.
#[test]
fn a_rehearsal_draws_carts_in_the_campaigns_currency() {
    let env = TestEnv::new();
    create(&env, "tokyo", "JPY", "500", "1000");
    let report = env
        .run([
            "simulate",
            "--like",
            "tokyo",
            "--users",
            "4",
            "--cart-min",
            "999",
            "--cart-max",
            "999",
            "--seed",
            "1",
        ])
        .json();
    assert_eq!(
        (&report["eligible_users"], &report["claimed"]),
        (&json!(0), &json!(0)),
        "{report}"
    );
    let before = env.store_bytes();
    let json = env
        .run([
            "simulate",
            "--like",
            "tokyo",
            "--users",
            "4",
            "--cart-min",
            "999.5",
            "--cart-max",
            "1000",
        ])
        .code(2)
        .json();
    assert_eq!(
        json["error"]["message"],
        "invalid --cart-min: `999.5` has decimal places, and JPY has no minor unit"
    );
    assert_eq!(
        env.store_bytes(),
        before,
        "a refused range created a campaign"
    );
}
