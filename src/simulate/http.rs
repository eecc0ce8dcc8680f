//! A shopper's requests over the wire: `simulate --target http://HOST:PORT` sends each claim,
//! redemption and claim-again-after-a-void to a running `flashsale serve` instead of calling the
//! service in this process.

use std::time::Duration;

use chrono::DateTime;
use reqwest::{Client, StatusCode, Url};
use serde_json::{Value, json};

use super::answer::{Heard, Shown};
use crate::domain::{CampaignId, Cents, ClaimStatus, ClaimToken, Invalid, OrderId, Redemption};
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
        let client = crate::outbound::client()
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

    /// Sends one claim with `bearer` as the user's token; returns the status (`None` when no
    /// answer came back) and what it says: 201 a new claim, 200 the user's claim.
    pub(super) async fn claim(
        &self,
        campaign: &CampaignId,
        bearer: &str,
        cart: Cents,
    ) -> (Option<StatusCode>, Heard) {
        let body = json!({ "cart_cents": cart.get() });
        let (status, answer) = self.post(campaign, "claim", bearer, &body).await;
        let heard = match (status, answer.as_ref().and_then(shown)) {
            (Some(StatusCode::CREATED), Some(claim)) => Heard::Made(claim),
            (Some(StatusCode::OK), Some(claim)) => Heard::Replayed(claim),
            _ => Heard::Refused(answer.as_ref().and_then(error_kind)),
        };
        (status, heard)
    }

    /// Redeems the user's claim `token` at checkout for `order` with `bearer` as the user's
    /// token: 200 with `outcome` `redeemed` (new) or `replayed` (the same order again).
    pub(super) async fn redeem(
        &self,
        campaign: &CampaignId,
        bearer: &str,
        token: &ClaimToken,
        order: &OrderId,
        cart: Cents,
    ) -> Heard {
        let body = json!({
            "token": token.as_str(),
            "order_id": order.as_str(),
            "cart_cents": cart.get(),
        });
        let (status, answer) = self.post(campaign, "redeem", bearer, &body).await;
        let outcome = answer.as_ref().and_then(|a| a.get("outcome")?.as_str());
        match (status, outcome, answer.as_ref().and_then(shown)) {
            (Some(StatusCode::OK), Some("redeemed"), Some(claim)) => Heard::Made(claim),
            (Some(StatusCode::OK), Some("replayed"), Some(claim)) => Heard::Replayed(claim),
            _ => Heard::Refused(answer.as_ref().and_then(error_kind)),
        }
    }

    /// POSTs `body` to the campaign's `action` route; the status (`None` when no answer came
    /// back) and the answer's JSON (`None` when it was not JSON).
    async fn post(
        &self,
        campaign: &CampaignId,
        action: &str,
        bearer: &str,
        body: &Value,
    ) -> (Option<StatusCode>, Option<Value>) {
        let mut url = self.base.clone();
        url.set_path(&format!("/v1/campaigns/{campaign}/{action}"));
        let sent = self
            .client
            .post(url)
            .bearer_auth(bearer)
            .json(body)
            .send()
            .await;
        let Ok(response) = sent else {
            return (None, None);
        };
        let status = response.status();
        (Some(status), response.json::<Value>().await.ok())
    }
}

/// The claim an answer shows, when it shows one with a token. Its status and redemption are
/// read as far as they are there and well-formed: a server that leaves them out is caught by
/// the checks that need them.
fn shown(answer: &Value) -> Option<Shown> {
    let claim = answer.get("claim")?;
    let text = |field: &str| claim.get(field).and_then(Value::as_str);
    let cents = |field: &str| {
        claim
            .get(field)
            .and_then(Value::as_i64)
            .and_then(|n| Cents::new(n).ok())
    };
    let redemption = || {
        Some(Redemption {
            order_id: OrderId::parse(text("order_id")?).ok()?,
            cart: cents("redeemed_cart_cents")?,
            discount: cents("redeemed_discount_cents")?,
            redeemed_at: DateTime::parse_from_rfc3339(text("redeemed_at")?)
                .ok()?
                .to_utc(),
        })
    };
    Some(Shown {
        token: ClaimToken::from_stored(text("token")?.to_owned()),
        status: text("status").and_then(|s| ClaimStatus::parse(s).ok()),
        redemption: redemption(),
    })
}

/// The error kind an answer names, when the report or the lifecycle tallies it apart; any
/// other kind is an error.
fn error_kind(answer: &Value) -> Option<ErrorKind> {
    let name = answer.pointer("/error/kind")?.as_str()?;
    kind_named(name)
}

/// The refusal kinds the report tallies apart (a conflict is a redemption or void that lost
/// its race); any other kind is an error.
fn kind_named(name: &str) -> Option<ErrorKind> {
    [
        ErrorKind::SoldOut,
        ErrorKind::NotEligible,
        ErrorKind::NotLive,
        ErrorKind::Conflict,
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
