//! `campaign report`: the post-sale summary as a table, one JSON document and an HTML page
//! (checked statically always, and in headless Chromium where one is installed).

use crate::support::page::{assert_renders, assert_self_contained, assert_well_formed};
use crate::support::{TestEnv, table_rows};

/// A sold-out sale of 2 units: ana redeemed at checkout, bo holds his claim, cy was refused.
fn sold_out_sale() -> TestEnv {
    let env = TestEnv::new();
    env.create_campaign("spring", 2);
    let ana = env.claim("spring", "ana", "30").json();
    env.claim("spring", "bo", "40").json();
    env.claim("spring", "cy", "30").code(4).json();
    let token = ana["claim"]["token"].as_str().expect("a token").to_owned();
    env.run([
        "claim",
        "redeem",
        "--campaign",
        "spring",
        "--token",
        &token,
        "--order",
        "o-1",
        "--cart",
        "25",
    ])
    .json();
    env
}

#[test]
fn report_sums_up_a_sale_as_one_json_document() {
    let env = sold_out_sale();
    let json = env.run(["campaign", "report", "spring"]).json();
    let field = |name: &str| json[name].clone();
    assert_eq!(field("campaign_id"), "spring");
    assert_eq!(field("state"), "sold_out");
    assert_eq!(field("currency"), "EUR");
    assert_eq!(
        [
            "units",
            "remaining",
            "claimed",
            "open",
            "redeemed",
            "voided",
            "expired"
        ]
        .map(|name| field(name).as_i64().unwrap()),
        [2, 0, 2, 1, 1, 0, 0]
    );
    assert_eq!(field("redemption_rate_percent"), 50);
    // 10 % of 30.00 and of 40.00 granted; 10 % of the checkout cart, 25.00, redeemed.
    assert_eq!(field("discount_granted_cents"), 700);
    assert_eq!(field("discount_redeemed_cents"), 250);
    assert!(field("first_claim_at").as_str().unwrap().ends_with('Z'));
    assert_eq!(field("sold_out_at"), field("last_claim_at"));
    assert!(field("sell_out_ms").as_i64().unwrap() >= 0);
    assert_eq!(field("per"), "second");
    let claims: i64 = json["claims_per_bucket"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(claims, 2, "the refusal is no claim");
    assert_eq!(json["redemptions_per_bucket"].as_array().unwrap().len(), 1);
    assert_eq!(json["refusals"]["recorded"], false);
    assert!(
        json["refusals"]["note"]
            .as_str()
            .unwrap()
            .contains("not recorded by the store")
    );
    let minutes = env
        .run(["campaign", "report", "spring", "--per", "minute"])
        .json();
    assert_eq!(minutes["per"], "minute");
    let start = minutes["claims_per_bucket"][0]["at"].as_str().unwrap();
    assert!(start.ends_with(":00.000Z"), "{start}");
}

#[test]
fn report_prints_a_summary_table_and_the_claims_per_second() {
    let env = sold_out_sale();
    let out = env.run(["campaign", "report", "spring"]).run();
    let (summary, rest) = out.stdout.split_once("\n\n").unwrap();
    let rows = table_rows(&format!("{summary}\n"));
    let value = |key: &str| {
        rows.iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| panic!("no row {key}: {rows:?}"), |(_, v)| v.clone())
    };
    assert_eq!(value("campaign"), "spring (Campaign spring)");
    assert_eq!(value("state"), "sold_out");
    assert_eq!(value("claimed"), "2 (0 remaining)");
    assert_eq!(value("redemption rate"), "50.00 %");
    assert_eq!(value("discount granted"), "7.00 EUR");
    assert_eq!(value("discount redeemed"), "2.50 EUR");
    assert!(value("sold out in").ends_with(" s"));
    assert_eq!(value("refusals"), "not recorded by the store (see below)");
    let lines: Vec<&str> = rest.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["second", "claims", "remaining"]
    );
    let last = lines
        .iter()
        .rev()
        .find(|line| line.ends_with('Z') || line.split_whitespace().count() == 3)
        .unwrap();
    assert!(
        last.ends_with(" 0"),
        "the last bucket leaves no unit: {last}"
    );
    assert!(
        out.stdout
            .contains("note: refusals are not recorded by the store")
    );
}

#[test]
fn report_of_an_unknown_campaign_is_not_found() {
    let env = TestEnv::new();
    env.create_campaign("spring", 2);
    env.run(["campaign", "report", "autumn"])
        .code(3)
        .stderr("error: campaign `autumn` not found\n")
        .check();
}

fn write_page(env: &TestEnv, name: &str) -> String {
    let path = env.path().join("pages").join(name);
    std::fs::create_dir_all(env.path().join("pages")).expect("a folder for pages");
    let json = env
        .run(["campaign", "report", "spring", "--html"])
        .arg(&path)
        .json();
    assert_eq!(json["html"], path.display().to_string());
    std::fs::read_to_string(&path).expect("the page")
}

#[test]
fn report_writes_a_self_contained_well_formed_page() {
    let env = TestEnv::new();
    env.run([
        "campaign",
        "create",
        "--id",
        "spring",
        "--name",
        "<b>Tom & \"Jerry\"</b>",
        "--inventory",
        "3",
        "--percent-off",
        "10",
        "--max-discount",
        "5",
        "--duration",
        "1h",
    ])
    .json();
    for user in ["ana", "bo"] {
        env.claim("spring", user, "30").json();
    }
    let page = write_page(&env, "spring.html");
    assert_well_formed(&page);
    assert_self_contained(&page);
    assert!(
        page.contains("&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;"),
        "escaped name"
    );
    assert!(!page.contains("<b>Tom"));
    assert_eq!(
        page.matches("<svg").count(),
        2,
        "claims and remaining units"
    );
    assert!(page.contains("class=\"bar\""));
    assert!(page.contains("<polyline class=\"line\""));
    assert!(page.contains("Redemptions per second: none."));
    assert!(page.contains("refusals are not recorded by the store"));
    // Written again: the page is replaced whole, and nothing else is left beside it.
    write_page(&env, "spring.html");
    let names: Vec<_> = std::fs::read_dir(env.path().join("pages"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["spring.html"]);
}

/// The page is written like `claim export --out`: a symbolic link or a directory is refused
/// (exit 2) and nothing is written through it.
#[test]
fn report_refuses_a_link_or_a_folder_as_its_page() {
    let env = sold_out_sale();
    let pages = env.path().join("pages");
    std::fs::create_dir_all(&pages).unwrap();
    let link = env.path().join("link.html");
    std::os::unix::fs::symlink(pages.join("elsewhere.html"), &link).unwrap();
    for (path, why) in [
        (
            &link,
            "is a symbolic link; name the file it points to instead",
        ),
        (
            &pages,
            "is not a regular file, a device or a pipe; name a file to write",
        ),
    ] {
        let json = env
            .run(["campaign", "report", "spring", "--html"])
            .arg(path)
            .code(2)
            .json();
        assert_eq!(
            json["error"]["message"],
            format!("invalid --html: `{}` {why}", path.display()),
            "{json}"
        );
        assert_eq!(std::fs::read_dir(&pages).unwrap().count(), 0);
    }
}

#[test]
fn report_page_renders_in_a_real_browser() {
    let env = sold_out_sale();
    write_page(&env, "spring.html");
    assert_renders(&env, &env.path().join("pages/spring.html"));
}
