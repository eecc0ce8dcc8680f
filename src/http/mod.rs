//! `flashsale serve`: the claim flow as a stateless HTTP API.
//!
//! This layer turns requests into calls of the same [`ClaimService`](crate::service::ClaimService)
//! and [`CampaignService`](crate::service::CampaignService) the CLI uses, and their answers
//! into the contract's JSON and status codes (from [`ErrorKind::http_status`]); it decides no
//! rule. The shopper is only ever the verified JWT's `sub`: nothing in a path or a body names
//! a user. A request that fails authentication, has a bad campaign id, a malformed body or a
//! body over [`MAX_BODY_BYTES`] is answered before the service is called, so it never reaches
//! the store.
//!
//! - [`router`]: the routes and their middleware (a request timeout, the body limit, and load
//!   shedding: past [`Limits::max_in_flight`] concurrent API requests the server answers 503
//!   with `Retry-After` at once instead of queueing without bound);
//! - [`serve`]: the accept loop on hyper, with a header-read timeout (a slow or idle client
//!   cannot hold a connection open) and graceful shutdown;
//! - metrics for `/metrics` in Prometheus' text format (`prometheus-client`);
//! - the admin API (`admin.rs`): every operator command as a route, for a verified token
//!   whose scope grants [`ADMIN_SCOPE`](crate::auth::ADMIN_SCOPE); [`StreamCloser`] ends its
//!   live event streams on shutdown;
//! - [`document`]: the API's OpenAPI document, served at `GET /openapi.json`;
//! - [`expire_periodically`]: the sweep that expires claims past their hold;
//! - [`JsonLines`]: the log's JSON lines (`serve --output json`).
//!
//! [`ErrorKind::http_status`]: crate::ErrorKind::http_status

mod admin;
mod body;
mod error;
mod expiry;
mod log;
mod metrics;
mod openapi;
mod request_id;
mod routes;
mod server;

pub use admin::StreamCloser;
pub use expiry::expire_periodically;
pub use log::JsonLines;
pub use metrics::{ClaimAction, Transitions};
pub use openapi::{document, document_json};
pub use routes::{App, router};
pub use server::serve;

use std::time::Duration;

/// The largest request body accepted, in bytes; a larger one is answered 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The most a request's line and headers may take, in bytes: a connection's read buffer stops
/// growing there and the request is answered 431. Room for a token of
/// [`MAX_TOKEN_BYTES`](crate::auth::MAX_TOKEN_BYTES) and a proxy's headers, and a bound on what
/// a client that never finishes its headers costs.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// How long a client may wait before retrying after a 503, in seconds (`Retry-After`).
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// The server's bounds on time and concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest an API request may take, body included, before it is answered 503.
    pub request_timeout: Duration,
    /// The longest a client may take to send a request's headers, and then its body, and the
    /// longest an idle keep-alive connection stays open; the connection is closed after it.
    pub header_timeout: Duration,
    /// API requests served at once; more are shed with 503 and `Retry-After`.
    pub max_in_flight: usize,
    /// Connections open at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// How long a shutdown waits for in-flight requests before it stops anyway.
    pub grace: Duration,
}

/// The default bound on API requests in flight.
///
/// Shedding exists to refuse work the server could not finish in time, not to refuse shoppers
/// it can serve. A flash sale's opening is a burst of keep-alive shoppers each with one claim
/// in flight, and the product promises 10,000 of them at once: a bound below that turns a
/// burst the store absorbs into 503s (4,096 shed some 6,000 of 10,000 connections' first
/// claims by design). What an overloaded server must not do is queue past the point where
/// requests time out anyway: claims queue at the store's one writer, which commits up to
/// 8,192 per transaction, so 16,384 is two full batches (one committing, one filling), at
/// 10,000-30,000 claims/s a wait of about 0.5-1.6 s, well inside the 10 s request timeout.
/// A waiting request holds a task and its body (at most [`MAX_BODY_BYTES`], a claim's is 20
/// bytes): tens of MB at this bound. Past it, more requests would only wait longer, so they
/// are answered 503 with `Retry-After` at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16_384;

/// The default bound on open connections: the promised 10,000 keep-alive shoppers and room to
/// spare, and a bound on what hostile connections cost (each holds a read buffer of 8 KiB to
/// [`MAX_HEADER_BYTES`] and a task until its header or body deadline closes it).
pub const DEFAULT_MAX_CONNECTIONS: usize = 12_288;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            request_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            grace: Duration::from_secs(30),
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod limits_tests {
    use super::*;

    /// A burst of 10,000 keep-alive shoppers, one claim each, is held at the defaults, not
    /// shed with 503.
    #[test]
    fn the_default_bound_holds_the_promised_ten_thousand_shoppers() {
        assert!(Limits::default().max_in_flight >= 10_000);
    }
}
