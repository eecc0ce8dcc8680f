//! The Grafana dashboard and the Prometheus alert rules in `deploy/` name only metrics that
//! `flashsale serve` exposes: each expression is parsed as PromQL, and every metric it selects
//! is looked up in the `/metrics` of a real server.

use std::collections::BTreeSet;
use std::path::Path;

use promql_parser::parser::Expr;
use promql_parser::util::{ExprVisitor, walk_expr};
use serde_json::Value;

use crate::serve::{client, scrape, start, token};
use crate::support::TestEnv;

/// Metrics Prometheus makes itself, not `serve`: `up` is whether the scrape succeeded.
const PROMETHEUS_OWN: &[&str] = &["up"];

fn repository_file(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The sample names a `/metrics` text can carry: from each `# TYPE` line, the names of its
/// samples in the `OpenMetrics` text format (a counter's `_total`, a histogram's `_bucket`,
/// `_sum` and `_count`), so a family with no sample yet counts too.
fn exposed(metrics: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(name), Some(kind)) = (words.next(), words.next()) else {
            panic!("a TYPE line without a name and a type: {line}");
        };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            _ => &[""],
        };
        names.extend(suffixes.iter().map(|suffix| format!("{name}{suffix}")));
    }
    names
}

/// Collects the metric names an expression selects.
struct Selected(BTreeSet<String>);

impl ExprVisitor for Selected {
    type Error = String;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, String> {
        let selector = match expr {
            Expr::VectorSelector(vs) => Some(vs),
            Expr::MatrixSelector(ms) => Some(&ms.vs),
            _ => None,
        };
        if let Some(selector) = selector {
            let name = selector
                .name
                .clone()
                .ok_or_else(|| format!("a selector without a metric name: {expr}"))?;
            self.0.insert(name);
        }
        Ok(true)
    }
}

/// The metric names `expr` selects that are neither in `exposed` nor Prometheus' own, or the
/// parse error. Grafana's interval variables are given a value first: they are not `PromQL`.
fn unknown_metrics(expr: &str, exposed: &BTreeSet<String>) -> Result<Vec<String>, String> {
    let promql = expr
        .replace("$__rate_interval", "1m")
        .replace("$__interval", "1m");
    let ast = promql_parser::parser::parse(&promql).map_err(|err| format!("{expr}: {err}"))?;
    let mut selected = Selected(BTreeSet::new());
    walk_expr(&mut selected, &ast)?;
    Ok(selected
        .0
        .into_iter()
        .filter(|name| !exposed.contains(name) && !PROMETHEUS_OWN.contains(&name.as_str()))
        .collect())
}

/// Every `expr` of the dashboard's panels.
fn dashboard_exprs() -> Vec<String> {
    let dashboard: Value =
        serde_json::from_str(&repository_file("deploy/grafana/flashsale.json")).expect("JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    let exprs: Vec<String> = panels
        .iter()
        .flat_map(|p| p["targets"].as_array().expect("targets").clone())
        .map(|t| t["expr"].as_str().expect("an expr").to_owned())
        .collect();
    assert!(exprs.len() >= panels.len(), "a panel without a query");
    exprs
}

/// Every rule's `expr` in the alert rules, with the alert's name.
fn alert_exprs() -> Vec<(String, String)> {
    let docs =
        yaml_rust2::YamlLoader::load_from_str(&repository_file("deploy/prometheus/alerts.yml"))
            .expect("YAML");
    let mut exprs = Vec::new();
    for group in docs[0]["groups"].as_vec().expect("groups") {
        for rule in group["rules"].as_vec().expect("rules") {
            let name = rule["alert"].as_str().expect("an alert name").to_owned();
            let expr = rule["expr"].as_str().expect("an expr").to_owned();
            exprs.push((name, expr));
        }
    }
    exprs
}

/// The metrics a server exposes once it has answered a claim (a family shows in the text
/// from its first sample on).
fn served_metrics() -> BTreeSet<String> {
    let env = TestEnv::new();
    env.create_campaign("spring", 3);
    let server = start(&env, &[]);
    let text = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let claimed = client()
                .post(server.url("/v1/campaigns/spring/claim"))
                .bearer_auth(token("ana"))
                .json(&serde_json::json!({"cart_cents": 3000}))
                .send()
                .await
                .expect("a claim answered");
            assert_eq!(claimed.status(), 201);
            scrape(&server).await
        });
    assert_eq!(server.stop().1.code(), Some(0));
    exposed(&text)
}

#[test]
fn the_dashboard_and_the_alerts_name_only_metrics_serve_exposes() {
    let exposed = served_metrics();
    // The check has something to compare against.
    for name in [
        "flashsale_claims_total",
        "flashsale_http_request_duration_seconds_bucket",
        "flashsale_campaign_remaining_units",
        "flashsale_claim_transitions_total",
    ] {
        assert!(exposed.contains(name), "{name} not in {exposed:?}");
    }
    for expr in dashboard_exprs() {
        assert_eq!(
            unknown_metrics(&expr, &exposed),
            Ok(vec![]),
            "dashboard: {expr}"
        );
    }
    let alerts = alert_exprs();
    let names: BTreeSet<&str> = alerts.iter().map(|(name, _)| name.as_str()).collect();
    for wanted in [
        "FlashsaleCampaignSoldOut",
        "FlashsaleHighErrorRate",
        "FlashsaleClaimLatencyHigh",
        "FlashsaleStoreUnavailable",
        "FlashsaleNotReady",
    ] {
        assert!(names.contains(wanted), "no alert {wanted}");
    }
    for (name, expr) in alerts {
        assert_eq!(unknown_metrics(&expr, &exposed), Ok(vec![]), "alert {name}");
    }
}

#[test]
fn a_misspelled_or_unparsable_metric_is_caught() {
    let exposed = exposed(
        "# TYPE flashsale_claims counter\n# TYPE flashsale_http_request_duration_seconds histogram\n",
    );
    assert_eq!(
        unknown_metrics(
            "sum(rate(flashsale_claims_total[$__rate_interval]))",
            &exposed
        ),
        Ok(vec![])
    );
    // `flashsale_claim_total` (no s), and a counter named without its `_total`.
    assert_eq!(
        unknown_metrics(
            "sum(rate(flashsale_claim_total[5m])) / sum(rate(flashsale_claims[5m]))",
            &exposed
        ),
        Ok(vec![
            "flashsale_claim_total".to_owned(),
            "flashsale_claims".to_owned()
        ])
    );
    assert_eq!(
        unknown_metrics(
            "histogram_quantile(0.99, sum by (le) (rate(flashsale_http_request_duration_seconds[5m])))",
            &exposed
        ),
        Ok(vec!["flashsale_http_request_duration_seconds".to_owned()])
    );
    assert!(unknown_metrics("sum(rate(flashsale_claims_total[5m]", &exposed).is_err());
    assert_eq!(unknown_metrics("up == 0", &exposed), Ok(vec![]));
}
