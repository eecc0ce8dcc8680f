//! Errors as the HTTP API answers them: the contract's error JSON with its `code`, `field` and
//! `request_id`, the status from [`ErrorKind::http_status`], `WWW-Authenticate` on 401 and
//! `Retry-After` on 503.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::RETRY_AFTER_SECONDS;
use crate::error::{Error, ErrorKind};
use crate::json::{ErrorDocument, ErrorFields};

/// An error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    kind: ErrorKind,
    /// The stable reason, finer than the kind.
    code: &'static str,
    /// The input at fault, by its name in the request (`cart_cents`, `id`).
    field: Option<String>,
    message: String,
}

/// What a request's answer was, for its log line: a claim's outcome, or an error's code. Set on
/// the response by whoever decided it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outcome(pub(crate) &'static str);

impl ApiError {
    /// An answer of `kind` with its contract status, its code the kind's name.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let status =
            StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError {
            status,
            kind,
            code: kind.as_str(),
            field: None,
            message: message.into(),
        }
    }

    /// The same answer with a finer reason.
    pub(crate) fn code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// The same answer naming the input at fault, as the request names it.
    pub(crate) fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The same kind with another status (413 is `invalid_input` too, 405 for a wrong method).
    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The error's kind.
    pub(crate) fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let kind = err.kind();
        if let Error::Store(crate::store::StoreError::DriftTooLarge { .. }) = &err {
            // A refused repair is the operator's to decide, not the store's failure: the CLI's
            // words (they name no path nor driver), and how to force it over HTTP.
            return ApiError::new(
                kind,
                format!(
                    "{err}: if you know why (a restored backup, a manual edit), \
                     `\"force\": true` repairs it anyway"
                ),
            )
            .code(err.code());
        }
        let answer = match kind {
            // The store's own words (a path, a driver message) are for the operator's log, not
            // for a shopper.
            ErrorKind::StoreUnavailable | ErrorKind::Internal | ErrorKind::InvariantViolation => {
                tracing::warn!(kind = kind.as_str(), error = %Chain(&err), "request failed");
                return if kind == ErrorKind::StoreUnavailable {
                    ApiError::new(
                        kind,
                        "the store is unavailable; retrying is safe: a claim that was made is replayed",
                    )
                    .code("store_unavailable")
                } else {
                    ApiError::new(kind, "internal error").code("internal")
                };
            }
            _ => ApiError::new(kind, err.to_string()).code(err.code()),
        };
        match err.field() {
            Some(field) => answer.field(field),
            None => answer,
        }
    }
}

/// An error with its causes, `outer: inner: innermost`, for the operator's log: "store
/// unavailable while committing" alone does not say that the disk is full.
pub(crate) struct Chain<'a>(pub(crate) &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl From<crate::domain::Invalid> for ApiError {
    fn from(err: crate::domain::Invalid) -> Self {
        Error::from(err).into()
    }
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(err: crate::auth::AuthError) -> Self {
        Error::from(err).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = super::request_id::current();
        let document = ErrorDocument::new(ErrorFields::new(self.kind, &self.message).answered(
            self.code,
            self.field.as_deref(),
            request_id.as_ref().and_then(|id| id.to_str().ok()),
        ));
        let mut response = (self.status, Json(document)).into_response();
        response.extensions_mut().insert(Outcome(self.code));
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    /// The log line of a store failure names its cause (a full disk), not only the operation.
    #[test]
    fn a_store_failure_is_logged_with_its_cause() {
        #[derive(Clone, Default)]
        struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let full = std::io::Error::from_raw_os_error(28);
            let err = Error::from(StoreError::unavailable("committing", full));
            let _ = ApiError::from(err);
        });
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(
            log.contains("store unavailable while committing: No space left on device"),
            "{log}"
        );
    }
}
