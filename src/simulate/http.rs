//! Claims over the wire: `simulate --target http://HOST:PORT` sends each request to a running
//! `flashsale serve` instead of calling the claim service in this process.

use std::time::Duration;

use reqwest::{Client, StatusCode, Url};
use serde_json::Value;

use crate::domain::{CampaignId, Cents, ClaimToken, Invalid};
use crate::error::ErrorKind;

/// How long one claim may take over the wire before it counts as an error: far above the
/// server's own request timeout, so the server, not the client, decides when a request is slow.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A running server the users claim through: its base URL and one client, whose pool keeps
/// each connection alive across a user's tabs and retry and across users.
#[derive(Clone, Debug)]
pub struct HttpTarget {
    base: Url,
    client: Client,
}

/// What one claim request over the wire was answered.
pub(super) enum HttpAnswer {
    /// 201: a new claim with its token.
    Claimed(ClaimToken),
    /// 200: the user's existing claim.
    Replayed(ClaimToken),
    /// A refusal or error of this kind, as the server's error JSON names it.
    Refused(Option<ErrorKind>),
}

impl HttpTarget {
    /// The server at `url`: `http://HOST:PORT` with an explicit host and port, nothing after
    /// the authority but an optional `/`.
    ///
    /// # Errors
    /// [`Invalid`] for any other URL (another scheme, a missing port, a path, a query).
    pub fn parse(url: &str) -> Result<Self, Invalid> {
        let bad = |why: &str| Invalid::new("target", format!("`{url}` {why}"));
        let base = Url::parse(url).map_err(|err| bad(&format!("is not a URL: {err}")))?;
        if base.scheme() != "http" {
            return Err(bad("must be an http:// URL (the server speaks plain HTTP)"));
        }
        if base.host_str().is_none_or(str::is_empty) {
            return Err(bad("names no host"));
        }
        // `Url` drops a scheme's default port, so test the text for an explicit one.
        if base.port().is_none() && !url.trim_end_matches('/').ends_with(":80") {
            return Err(bad("must name the port, e.g. http://127.0.0.1:8080"));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(bad("must not carry credentials"));
        }
        if base.path() != "/" || base.query().is_some() || base.fragment().is_some() {
            return Err(bad("must be only the scheme, host and port"));
        }
        let client = Client::builder()
            // The operator named the server: never route to it through a proxy from the
            // environment.
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|err| bad(&format!("cannot be reached with an HTTP client: {err}")))?;
        Ok(HttpTarget { base, client })
    }

    /// The URL as the report shows it.
    pub fn url(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// Sends one claim with `token` as the bearer; returns the status (`None` when no answer
    /// came back) and what it says.
    pub(super) async fn claim(
        &self,
        campaign: &CampaignId,
        token: &str,
        cart: Cents,
    ) -> (Option<StatusCode>, HttpAnswer) {
        let mut url = self.base.clone();
        url.set_path(&format!("/v1/campaigns/{campaign}/claim"));
        let sent = self
            .client
            .post(url)
            .bearer_auth(token)
            .json(&serde_json::json!({ "cart_cents": cart.get() }))
            .send()
            .await;
        let Ok(response) = sent else {
            return (None, HttpAnswer::Refused(None));
        };
        let status = response.status();
        let Ok(body) = response.json::<Value>().await else {
            return (Some(status), HttpAnswer::Refused(None));
        };
        let token = || {
            body.pointer("/claim/token")
                .and_then(Value::as_str)
                .map(|t| ClaimToken::from_stored(t.to_owned()))
        };
        let answer = match (status, token()) {
            (StatusCode::CREATED, Some(token)) => HttpAnswer::Claimed(token),
            (StatusCode::OK, Some(token)) => HttpAnswer::Replayed(token),
            _ => HttpAnswer::Refused(
                body.pointer("/error/kind")
                    .and_then(Value::as_str)
                    .and_then(kind_named),
            ),
        };
        (Some(status), answer)
    }
}

/// The refusal kinds the report tallies apart; any other kind is an error.
fn kind_named(name: &str) -> Option<ErrorKind> {
    [
        ErrorKind::SoldOut,
        ErrorKind::NotEligible,
        ErrorKind::NotLive,
    ]
    .into_iter()
    .find(|kind| kind.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_an_http_url_with_host_and_port_only() {
        let ok = HttpTarget::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(ok.url(), "http://127.0.0.1:8080");
        assert!(HttpTarget::parse("http://shop.example:80/").is_ok());
        for (url, why) in [
            ("https://127.0.0.1:8080", "must be an http:// URL"),
            ("http://127.0.0.1", "must name the port"),
            ("http://127.0.0.1:8080/v1", "only the scheme, host and port"),
            (
                "http://127.0.0.1:8080/?a=1",
                "only the scheme, host and port",
            ),
            ("http://u:p@127.0.0.1:8080", "credentials"),
            ("127.0.0.1:8080", "is not a URL"),
            ("not a url", "is not a URL"),
        ] {
            let err = HttpTarget::parse(url).unwrap_err();
            assert!(err.to_string().contains(why), "{url}: {err}");
        }
    }
}
