//! What `/metrics` reports, in Prometheus' text format: requests by route, method and status,
//! claims by outcome, a claim's later transitions (redeem, void, expire) by outcome, a latency
//! histogram by route, the requests in flight, and (for a store that groups its writes) the
//! commits and the writes they carried, and each campaign's remaining units and whether the
//! store answered, read from the store at most once per refresh interval whatever the number
//! of scrapes (never per claim request).

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric as _};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use chrono::{DateTime, Utc};

use crate::domain::{Campaign, CampaignState};
use crate::store::Store;

// Request labels are static strings from fixed sets (the route patterns, the standard
// methods, the outcomes): the series stay bounded whatever clients send, and counting a
// request allocates nothing.

/// A request's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

/// A claim's outcome: `claimed`, `replayed`, or the error kind that refused it.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// A route, as its pattern (never the raw path, which a client could make unbounded).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

/// A campaign, by id.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CampaignLabels {
    campaign: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// A transition of a claim after its grant, as a label.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum ClaimAction {
    /// Redeemed at checkout.
    Redeem,
    /// Voided by an operator: its unit returns.
    Void,
    /// Expired past its hold: its unit returns.
    Expire,
}

impl ClaimAction {
    /// The label value: `redeem`, `void`, `expire`.
    fn as_str(self) -> &'static str {
        match self {
            ClaimAction::Redeem => "redeem",
            ClaimAction::Void => "void",
            ClaimAction::Expire => "expire",
        }
    }

    /// The outcome of a transition carried out: `redeemed`, `voided`, `expired`.
    pub fn done(self) -> &'static str {
        match self {
            ClaimAction::Redeem => "redeemed",
            ClaimAction::Void => "voided",
            ClaimAction::Expire => "expired",
        }
    }
}

/// A transition's labels: the action and its outcome (done, `replayed`, or the error kind).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    action: &'static str,
    outcome: &'static str,
}

/// The one counter of claim transitions (`flashsale_claim_transitions_total`): a handle every
/// place that carries one out (the redeem route, the expiry sweep, an operator's route) clones
/// and counts through, so each transition is counted once, under the same names.
#[derive(Clone, Debug, Default)]
pub struct Transitions(Family<TransitionLabels, Counter>);

impl Transitions {
    /// `n` transitions `action` ended with `outcome`: [`ClaimAction::done`], `replayed`, or
    /// an error kind's name ([`ErrorKind::as_str`](crate::ErrorKind::as_str)).
    pub fn count(&self, action: ClaimAction, outcome: &'static str, n: u64) {
        self.0
            .get_or_create(&TransitionLabels {
                action: action.as_str(),
                outcome,
            })
            .inc_by(n);
    }
}

/// The server's metrics: one set per server, shared by its handlers through the app.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    claims: Family<OutcomeLabels, Counter>,
    latency: LatencyFamily,
    in_flight: Gauge,
    remaining: Family<CampaignLabels, Gauge>,
    transitions: Transitions,
    store_up: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s: a group-committed claim takes a millisecond or so, a queued one
    // under a flood tens of milliseconds.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Metrics {
    /// The metrics of a server over `store`.
    pub(crate) fn new<S: Store + Clone>(store: S) -> Self {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(StoreCommits(store)));
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "flashsale_http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let claims = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "flashsale_claims",
            "Claim requests answered, by outcome (claimed, replayed, or the error kind)",
            claims.clone(),
        );
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        registry.register(
            "flashsale_http_request_duration_seconds",
            "Time from a request's arrival to its answer, by route",
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "flashsale_http_requests_in_flight",
            "HTTP requests being served now",
            in_flight.clone(),
        );
        let remaining = Family::<CampaignLabels, Gauge>::default();
        registry.register(
            "flashsale_campaign_remaining_units",
            "Units left to claim, per campaign that has started and not ended, as the store held them at most 5 s ago",
            remaining.clone(),
        );
        let transitions = Transitions::default();
        registry.register(
            "flashsale_claim_transitions",
            "A claim's transitions after its grant, by action (redeem, void, expire) and outcome (redeemed, voided, expired, replayed, or the error kind)",
            transitions.0.clone(),
        );
        // Present from the start at zero, so a rate over them is defined before the first one.
        for action in [ClaimAction::Redeem, ClaimAction::Void, ClaimAction::Expire] {
            transitions.count(action, action.done(), 0);
        }
        let store_up = Gauge::default();
        registry.register(
            "flashsale_store_up",
            "1 when the store answered the last read /metrics made of it (at most 5 s ago), 0 when it failed or took over 2 s",
            store_up.clone(),
        );
        Metrics {
            registry,
            requests,
            claims,
            latency,
            in_flight,
            remaining,
            transitions,
            store_up,
        }
    }

    /// Reports the request log lines dropped so far, as `log_drops` counts them, at each scrape.
    pub(crate) fn count_log_drops(&mut self, log_drops: LogDrops) {
        self.registry
            .register_collector(Box::new(DroppedLogLines(log_drops)));
    }

    /// A request started; the guard marks it finished when dropped (a cancelled request too).
    pub(crate) fn start(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// A request was answered.
    pub(crate) fn answered(
        &self,
        method: &'static str,
        route: &'static str,
        status: u16,
        seconds: f64,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }

    /// A claim request ended with `outcome`.
    pub(crate) fn claim(&self, outcome: &'static str) {
        self.claims.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// The counter of claim transitions, for whatever carries one out.
    pub(crate) fn transitions(&self) -> &Transitions {
        &self.transitions
    }

    /// Whether the store answered `/metrics`' last read of it.
    pub(crate) fn store_answered(&self, answered: bool) {
        self.store_up.set(i64::from(answered));
    }

    /// Sets the per-campaign gauges from `campaigns` (the store's list): only campaigns that
    /// have started and not ended are named. Ended and deleted ones drop out, so the series
    /// stay bounded by the campaigns that can still sell; one not yet started is left out
    /// because `/metrics` is public, and an unannounced launch must not be.
    pub(crate) fn campaigns(&self, campaigns: &[Campaign], now: DateTime<Utc>) {
        self.remaining.clear();
        for campaign in campaigns {
            if campaign.started(now) && campaign.state(now) != CampaignState::Ended {
                self.remaining
                    .get_or_create(&CampaignLabels {
                        campaign: campaign.id.to_string(),
                    })
                    .set(campaign.remaining());
            }
        }
    }

    /// Everything, in the `OpenMetrics` text format.
    pub(crate) fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// One request in flight, counted until dropped.
pub(crate) struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// How many request log lines were dropped so far, read at each scrape.
pub(crate) type LogDrops = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The request log's dropped lines as a counter: the log is written by a thread with a bounded
/// queue, and an operator who finds lines missing must be able to tell why.
struct DroppedLogLines(LogDrops);

impl std::fmt::Debug for DroppedLogLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DroppedLogLines")
    }
}

impl Collector for DroppedLogLines {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counter = ConstCounter::new((self.0)());
        counter.encode(encoder.encode_descriptor(
            "flashsale_log_lines_dropped",
            "Request log lines dropped because the logging thread's queue was full",
            None,
            counter.metric_type(),
        )?)
    }
}

/// The store's group-commit counters, read at each scrape (cheap: no I/O).
struct StoreCommits<S>(S);

impl<S> std::fmt::Debug for StoreCommits<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreCommits")
    }
}

impl<S: Store> Collector for StoreCommits<S> {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // A store that does not group its writes has nothing to report.
        let Some(stats) = self.0.commit_stats() else {
            return Ok(());
        };
        for (name, help, value) in [
            (
                "flashsale_store_commits",
                "Write transactions the store committed since this server started",
                stats.commits,
            ),
            (
                "flashsale_store_commit_jobs",
                "Writes (claims and others) those transactions carried: jobs / commits is the mean batch size",
                stats.jobs,
            ),
        ] {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        Ok(())
    }
}
