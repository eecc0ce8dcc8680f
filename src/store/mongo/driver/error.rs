//! Driver errors classified into [`StoreError`]s.

use std::fmt;

use mongodb::error::{ErrorKind, WriteFailure};

use crate::store::StoreError;
use crate::store::url::scrub;

/// A driver error reduced to text, so the driver's type stays inside this module.
#[derive(Debug)]
pub(super) struct DriverError(pub(super) String);

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DriverError {}

/// Server error codes that mean "not now" rather than "wrong": elections, shutdowns, a
/// primary stepping down.
const TRANSIENT_CODES: [i32; 8] = [6, 7, 89, 91, 189, 10107, 11600, 13435];

pub(super) fn classify(context: &str, err: &mongodb::error::Error) -> StoreError {
    classify_scrubbed(context, err, &[])
}

/// [`classify`], with each of `secrets` blanked out of the driver's message: while connecting,
/// the driver words its errors from the URL it parsed (decoded), which flashsale's redaction
/// of the URL as written cannot reach.
pub(super) fn classify_scrubbed(
    context: &str,
    err: &mongodb::error::Error,
    secrets: &[String],
) -> StoreError {
    let unavailable = err.contains_label("RetryableWriteError")
        || match err.kind.as_ref() {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. } => true,
            ErrorKind::Command(command) => TRANSIENT_CODES.contains(&command.code),
            _ => false,
        };
    let text = match err.kind.as_ref() {
        // The driver's message dumps the whole topology; the last error of a server is the
        // part an operator can act on (connection refused, TLS, authentication).
        ErrorKind::ServerSelection { message, .. } => match message
            .split("Error: Kind: ")
            .nth(1)
            .and_then(|rest| rest.split(", labels").next())
        {
            Some(cause) => format!("no server answered in time (last error: {cause})"),
            None => format!("no server answered in time ({message})"),
        },
        kind => kind.to_string(),
    };
    let text = scrub(&text, secrets);
    if unavailable {
        StoreError::unavailable(context, DriverError(text))
    } else {
        StoreError::backend(context, DriverError(text))
    }
}

/// Whether a unique index refused a write (`E11000`).
pub(super) fn is_duplicate(err: &mongodb::error::Error) -> bool {
    const DUPLICATE_KEY: i32 = 11000;
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(write)) => write.code == DUPLICATE_KEY,
        ErrorKind::Command(command) => command.code == DUPLICATE_KEY,
        _ => false,
    }
}
