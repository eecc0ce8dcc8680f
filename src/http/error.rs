//! Errors as the HTTP API answers them: the contract's error JSON, the status from
//! [`ErrorKind::http_status`], `WWW-Authenticate` on 401 and `Retry-After` on 503.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::RETRY_AFTER_SECONDS;
use crate::error::{Error, ErrorKind};
use crate::json::error_json;

/// An error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    kind: ErrorKind,
    message: String,
}

impl ApiError {
    /// An answer of `kind` with its contract status.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let status =
            StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError {
            status,
            kind,
            message: message.into(),
        }
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
        match kind {
            // The store's own words (a path, a driver message) are for the operator's log, not
            // for a shopper.
            ErrorKind::StoreUnavailable | ErrorKind::Internal | ErrorKind::InvariantViolation => {
                tracing::warn!(kind = kind.as_str(), error = %err, "request failed");
                let message = if kind == ErrorKind::StoreUnavailable {
                    "the store is unavailable; retrying is safe: a claim that was made is replayed"
                } else {
                    "internal error"
                };
                ApiError::new(kind, message)
            }
            _ => ApiError::new(kind, err.to_string()),
        }
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
        let mut response =
            (self.status, Json(error_json(self.kind, &self.message))).into_response();
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
