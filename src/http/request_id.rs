//! Every request's id: the `x-request-id` a proxy sent, or a fresh one. It is echoed in the
//! answer's `x-request-id` header, carried in every error body (`request_id`) and in the request's
//! log line, so a shopper's support ticket, a proxy's log and the server's log name the same
//! request.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// The header a request id travels in, both ways.
pub(crate) const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a client; a longer one is replaced.
const MAX_LEN: usize = 128;

tokio::task_local! {
    /// The id of the request the current task serves, for error bodies made deep in a handler.
    static CURRENT: HeaderValue;
}

/// The request's id: the client's when it sent one that is safe to echo (1 to 128 visible ASCII
/// characters: nothing that could split a log line or a header), a fresh one otherwise.
pub(crate) fn of(headers: &HeaderMap) -> HeaderValue {
    headers
        .get(&HEADER)
        .filter(|value| {
            let bytes = value.as_bytes();
            !bytes.is_empty() && bytes.len() <= MAX_LEN && bytes.iter().all(u8::is_ascii_graphic)
        })
        .cloned()
        .unwrap_or_else(|| {
            // Hex digits only: always a valid header value.
            HeaderValue::from_str(&crate::random::request_id())
                .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
        })
}

/// Runs `serve` as the request with id `id`: [`current`] answers it inside.
pub(crate) async fn scope<F: Future>(id: HeaderValue, serve: F) -> F::Output {
    CURRENT.scope(id, serve).await
}

/// The id of the request being served, if this task serves one.
pub(crate) fn current() -> Option<HeaderValue> {
    CURRENT.try_with(Clone::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &'static [u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_bytes(value).unwrap());
        headers
    }

    #[test]
    fn a_clients_id_is_kept_when_safe_and_replaced_otherwise() {
        assert_eq!(of(&with(b"abc-123")), "abc-123");
        let long = Box::leak(vec![b'a'; MAX_LEN + 1].into_boxed_slice());
        for unsafe_id in [&b"two words"[..], b"tab\there", long, b""] {
            let id = of(&with(unsafe_id));
            assert_ne!(id.as_bytes(), unsafe_id);
            assert_eq!(id.len(), 24, "{id:?}");
        }
        let fresh = of(&HeaderMap::new());
        assert_eq!(fresh.len(), 24);
        assert_ne!(fresh, of(&HeaderMap::new()), "ids are drawn, not counted");
    }

    #[tokio::test]
    async fn the_current_id_is_the_scopes() {
        assert_eq!(current(), None);
        let id = HeaderValue::from_static("r-1");
        assert_eq!(scope(id.clone(), async { current() }).await, Some(id));
    }
}
