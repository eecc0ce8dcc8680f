//! `doctor`'s checks of a `MongoDB` store, read-only: it connects without creating the
//! indexes that opening the store would create, so that what it reports is what is there.

use std::time::Duration;

use mongodb::bson::{Document, doc};
use mongodb::options::{Acknowledgment, ClientOptions};
use mongodb::{Client, Database, IndexModel};

use super::MongoSettings;
use super::driver::{
    CAMPAIGN_INDEXES, CLAIM_INDEXES, EVENT_INDEXES, IndexShape, LEGACY_TOKEN_INDEX, WantedIndex,
    index_models,
};
use crate::store::doctor::{Check, Status};
use crate::store::url::{redact, scrub, secrets};

/// Clock skew up to which the clocks agree (`ok`); beyond it `warn`, and beyond
/// [`SKEW_FAIL`] `fail`. The store takes "now" from the server for the sale window, so skew
/// shows in logs and in what this machine prints, not in who gets a unit.
const SKEW_WARN: Duration = Duration::from_secs(1);
/// Clock skew beyond which the machine's clock is plainly wrong.
const SKEW_FAIL: Duration = Duration::from_secs(300);

/// Runs the checks against `url`.
pub(crate) async fn diagnose(url: &str, settings: MongoSettings) -> Vec<Check> {
    diagnose_with(url, settings, None).await
}

/// [`diagnose`], with `watch` told of every command its client sends (the driver's command
/// monitoring): a test checks what `doctor` sends.
#[cfg(test)]
pub(super) async fn diagnose_watched(
    url: &str,
    settings: MongoSettings,
    watch: mongodb::event::EventHandler<mongodb::event::command::CommandEvent>,
) -> Vec<Check> {
    diagnose_with(url, settings, Some(watch)).await
}

/// [`diagnose`], with `watch` (tests only) as the client's command monitor.
async fn diagnose_with(
    url: &str,
    settings: MongoSettings,
    watch: Option<mongodb::event::EventHandler<mongodb::event::command::CommandEvent>>,
) -> Vec<Check> {
    let secrets = secrets(url);
    let said = |err: &mongodb::error::Error| scrub(&err.to_string(), &secrets);
    let mut checks = Vec::new();
    let mut options = match ClientOptions::parse(url).await {
        Ok(options) => options,
        Err(err) => {
            checks.push(Check::new("reachable", Status::Fail, said(&err)));
            return checks;
        }
    };
    options
        .server_selection_timeout
        .get_or_insert(settings.timeout);
    options.connect_timeout.get_or_insert(settings.timeout);
    if watch.is_some() {
        options.command_event_handler = watch;
    }
    let url_write_concern = options.write_concern.clone();
    let database = options
        .default_database
        .clone()
        .unwrap_or_else(|| "flashsale".to_owned());
    let client = match Client::with_options(options) {
        Ok(client) => client,
        Err(err) => {
            checks.push(Check::new("reachable", Status::Fail, said(&err)));
            return checks;
        }
    };
    let db = client.database(&database);
    let sent = crate::clock::Clock::now(&crate::clock::SystemClock);
    let hello = match db.run_command(doc! {"hello": 1}).await {
        Ok(reply) => Ok(reply),
        // Servers older than 4.4 (and some compatible ones) know only the legacy name.
        Err(_) => db.run_command(doc! {"isMaster": 1}).await,
    };
    let received = crate::clock::Clock::now(&crate::clock::SystemClock);
    let hello = match hello {
        Ok(reply) => reply,
        Err(err) => {
            checks.push(Check::new("reachable", Status::Fail, said(&err)));
            client.shutdown().await;
            return checks;
        }
    };
    checks.push(Check::new(
        "reachable",
        Status::Ok,
        format!("{} (database `{database}`)", redact(url)),
    ));
    checks.push(schema(&db).await);
    checks.push(indexes(&db).await);
    checks.push(topology(&hello));
    checks.push(write_concern(url_write_concern.as_ref()));
    checks.push(clock_skew(&hello, sent, received));
    client.shutdown().await;
    checks
}

/// Whether both collections exist (`MongoDB` keeps no schema version: documents carry their
/// fields, and opening the store creates what is missing).
async fn schema(db: &Database) -> Check {
    match db.list_collection_names().await {
        Ok(names) => {
            let missing: Vec<&str> = ["campaigns", "claims"]
                .into_iter()
                .filter(|c| !names.iter().any(|n| n == c))
                .collect();
            if missing.is_empty() {
                Check::new("schema", Status::Ok, "collections campaigns and claims")
            } else {
                Check::new(
                    "schema",
                    Status::Warn,
                    format!(
                        "no collection {} yet: created by the first campaign",
                        missing.join(" or ")
                    ),
                )
            }
        }
        Err(err) => Check::new("schema", Status::Fail, err.to_string()),
    }
}

/// `wanted` as `shapes` hold it, `name (keys)` (`name unique (keys)` for a unique index);
/// `None` when it is missing.
fn located(shapes: &[(String, IndexShape<'_>)], wanted: &WantedIndex) -> Option<String> {
    let kind = if wanted.unique { " unique" } else { "" };
    shapes
        .iter()
        .find(|(_, shape)| shape.is(wanted.keys, wanted.unique))
        .map(|(name, _)| format!("{name}{kind} ({})", wanted.keys.join(", ")))
}

/// Each index as its name and shape.
fn shapes(models: &[IndexModel]) -> Vec<(String, IndexShape<'_>)> {
    models
        .iter()
        .map(|m| {
            let name = m.options.as_ref().and_then(|o| o.name.clone());
            (name.unwrap_or_default(), IndexShape::of(m))
        })
        .collect()
}

/// The indexes the store relies on, compared by keys and uniqueness, whatever their names (see
/// `DriverOps::ensure_indexes`). On `claims`: (`campaign_id`, `user_id`) unique keeps one claim
/// per user (I2); the others serve the claims' reads, and a missing one fails like it, as
/// before. On `events`: `entry` unique makes a copied entry one event; (`campaign_id`, `_id`)
/// serves one campaign's readers (without it they work, slowly: a warning). On `campaigns`:
/// `ends_at` and (`created_at`, `_id`) serve the lists (without them, a warning).
async fn indexes(db: &Database) -> Check {
    let (found, legacy) = match claim_indexes(db).await {
        Ok(found) => found,
        Err(check) => return check,
    };
    let mut status = Status::Ok;
    let mut notes = Vec::new();
    if let Some(note) = legacy {
        status = Status::Warn;
        notes.push(note);
    }
    let events = match index_models(&db.collection::<Document>("events")).await {
        Ok(models) => models.unwrap_or_default(),
        Err(err) => {
            return Check::new(
                "indexes",
                Status::Fail,
                format!("cannot list the indexes of events: {err}"),
            );
        }
    };
    let shapes_of_events = shapes(&events);
    let mut found_events = Vec::new();
    for wanted in &EVENT_INDEXES {
        match located(&shapes_of_events, wanted) {
            Some(index) => found_events.push(index),
            // Without the unique entry a copied entry could become two events: a failure.
            None if wanted.unique => {
                return Check::new(
                    "indexes",
                    Status::Fail,
                    format!(
                        "events lacks unique ({}): a command that opens the store creates it",
                        wanted.keys.join(", ")
                    ),
                );
            }
            None => {
                status = Status::Warn;
                notes.push(format!(
                    "events lacks `{}` on ({}), so a reader of one campaign's events walks \
                     every campaign's: a command that opens the store creates it",
                    wanted.name,
                    wanted.keys.join(", ")
                ));
            }
        }
    }
    let campaigns = match index_models(&db.collection::<Document>("campaigns")).await {
        Ok(models) => models.unwrap_or_default(),
        Err(err) => {
            return Check::new(
                "indexes",
                Status::Fail,
                format!("cannot list the indexes of campaigns: {err}"),
            );
        }
    };
    let shapes_of_campaigns = shapes(&campaigns);
    let mut found_campaigns = Vec::new();
    for wanted in &CAMPAIGN_INDEXES {
        if let Some(index) = located(&shapes_of_campaigns, wanted) {
            found_campaigns.push(index);
        } else {
            // Without them the answers are right, only slow: a warning.
            status = Status::Warn;
            notes.push(format!(
                "campaigns lacks `{}` on ({}), so listing campaigns reads every campaign \
                 ever created: a command that opens the store creates it",
                wanted.name,
                wanted.keys.join(", ")
            ));
        }
    }
    let mut detail = format!(
        "claims: {}; events: {}; campaigns: {}",
        found.join(", "),
        found_events.join(", "),
        found_campaigns.join(", ")
    );
    for note in notes {
        detail.push_str("; ");
        detail.push_str(&note);
    }
    Check::new("indexes", status, detail)
}

/// The indexes `claims` needs, as found; the note on a unique index on `token` alone, if
/// there is one. A missing one is the check's failure.
async fn claim_indexes(db: &Database) -> Result<(Vec<String>, Option<String>), Check> {
    let models = match index_models(&db.collection::<Document>("claims")).await {
        Ok(Some(models)) => models,
        Ok(None) => {
            return Err(Check::new(
                "indexes",
                Status::Fail,
                "no claims collection, so no unique index: a command that opens the store \
                 creates them",
            ));
        }
        Err(err) => {
            return Err(Check::new(
                "indexes",
                Status::Fail,
                format!("cannot list the indexes of claims: {err}"),
            ));
        }
    };
    let shapes_of_claims = shapes(&models);
    let mut missing = Vec::new();
    let mut found = Vec::new();
    for wanted in &CLAIM_INDEXES {
        match located(&shapes_of_claims, wanted) {
            Some(index) => found.push(index),
            None => missing.push(format!(
                "{} ({})",
                if wanted.unique { "unique" } else { "index" },
                wanted.keys.join(", ")
            )),
        }
    }
    if !missing.is_empty() {
        return Err(Check::new(
            "indexes",
            Status::Fail,
            format!(
                "claims lacks {}: a command that opens the store creates them",
                missing.join(" and ")
            ),
        ));
    }
    let legacy = shapes_of_claims
        .iter()
        .find(|(_, s)| s.is(LEGACY_TOKEN_INDEX, true))
        .map(|(name, _)| {
            format!(
                "the unique index `{name}` on (token) of an earlier version is still there: a \
                 command that opens the store drops it"
            )
        });
    Ok((found, legacy))
}

/// Replica set, sharded cluster or standalone, from the `hello` reply.
fn topology(hello: &Document) -> Check {
    if let Ok(name) = hello.get_str("setName") {
        return Check::new("topology", Status::Ok, format!("replica set `{name}`"));
    }
    if hello.get_str("msg") == Ok("isdbgrid") {
        return Check::new("topology", Status::Ok, "sharded cluster (mongos)");
    }
    Check::new(
        "topology",
        Status::Warn,
        "standalone: no retryable writes and no replication; a crash or a lost network \
         answer leaves claims for `inventory reconcile`",
    )
}

/// The guarantees the store's operations run with: set in code on both collections, whatever
/// the URL says (see `Consistency` in `ops.rs`); a URL asking for less is named so the operator
/// knows it is ignored.
fn write_concern(from_url: Option<&mongodb::options::WriteConcern>) -> Check {
    let effective = "writes majority, journaled, wtimeout 5 s; reads from the primary, \
                     majority read concern (set by flashsale)";
    match from_url {
        Some(concern)
            if !matches!(concern.w, None | Some(Acknowledgment::Majority))
                || concern.journal == Some(false) =>
        {
            Check::new(
                "write concern",
                Status::Ok,
                format!("{effective}; the URL's {concern:?} is ignored"),
            )
        }
        _ => Check::new("write concern", Status::Ok, effective),
    }
}

/// The server's clock against this machine's, from the `hello` reply's `localTime`, allowing
/// for the round trip.
fn clock_skew(
    hello: &Document,
    sent: chrono::DateTime<chrono::Utc>,
    received: chrono::DateTime<chrono::Utc>,
) -> Check {
    let Ok(server) = hello.get_datetime("localTime") else {
        return Check::new(
            "clock skew",
            Status::Warn,
            "unknown: the server's hello reply has no localTime",
        );
    };
    let Some(server) = chrono::DateTime::from_timestamp_millis(server.timestamp_millis()) else {
        return Check::new(
            "clock skew",
            Status::Warn,
            "unknown: localTime out of range",
        );
    };
    let midpoint = sent + (received - sent) / 2;
    let skew = (server - midpoint).abs();
    let round_trip = received - sent;
    let slack = chrono::Duration::from_std(SKEW_WARN).unwrap_or_default() + round_trip / 2;
    let fail = chrono::Duration::from_std(SKEW_FAIL).unwrap_or_default();
    let detail = format!(
        "{} ms (round trip {} ms)",
        (server - midpoint).num_milliseconds(),
        round_trip.num_milliseconds()
    );
    let status = if skew <= slack {
        Status::Ok
    } else if skew <= fail {
        Status::Warn
    } else {
        Status::Fail
    };
    Check::new("clock skew", status, detail)
}
