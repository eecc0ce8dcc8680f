//! A claim export's rows, CSV or JSON lines: written by `claim export` to a file or stdout and
//! by the admin API to a response, a page at a time, so both give the same bytes.

use crate::domain::Claim;

/// What an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExportFormat {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// One JSON document per claim per line: the claim JSON.
    Jsonl,
}

impl ExportFormat {
    /// Its name, as `--format` and `?format=` take it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
        }
    }
}

/// The columns of the CSV export, in order: the claim JSON's fields, so both formats carry
/// the same data under the same names. New columns go at the end, so a script that reads
/// them by position keeps working.
pub(crate) const CSV_COLUMNS: [&str; 16] = [
    "campaign_id",
    "user_id",
    "token",
    "status",
    "discount_cents",
    "cart_cents",
    "currency",
    "claimed_at",
    "expires_at",
    "order_id",
    "redeemed_at",
    "redeemed_cart_cents",
    "redeemed_discount_cents",
    "voided_at",
    "void_reason",
    "expired_at",
];

/// The columns whose text comes from outside (a shopper's id, a shop's order id, an operator's
/// slug or reason): a spreadsheet must show them, never run them.
const TEXT_COLUMNS: [&str; 4] = ["campaign_id", "user_id", "order_id", "void_reason"];

/// `text` as a CSV cell a spreadsheet shows as text: a cell starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return is a formula to spreadsheets (Excel, `LibreOffice`, Sheets)
/// (`=HYPERLINK(...)`, `+cmd|...`), so it gets a leading `'`, which they take as "text".
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Writes claims one at a time; nothing is kept after a row is written.
pub(crate) enum ExportRows<W: std::io::Write> {
    /// CSV rows (boxed: the writer carries its buffer).
    Csv(Box<csv::Writer<W>>),
    /// One compact JSON document per line.
    Jsonl(W),
}

impl<W: std::io::Write> ExportRows<W> {
    /// A writer of `format` rows to `out`; a CSV export starts with its header row.
    pub(crate) fn new(format: ExportFormat, out: W) -> std::io::Result<Self> {
        let mut rows = Self::continuing(format, out);
        if let ExportRows::Csv(writer) = &mut rows {
            writer.write_record(CSV_COLUMNS).map_err(io_error)?;
        }
        Ok(rows)
    }

    /// A writer of more rows of an export already begun (no header row): a page of a
    /// response after the first.
    pub(crate) fn continuing(format: ExportFormat, out: W) -> Self {
        match format {
            ExportFormat::Csv => ExportRows::Csv(Box::new(csv::Writer::from_writer(out))),
            ExportFormat::Jsonl => ExportRows::Jsonl(out),
        }
    }

    /// Writes one claim.
    pub(crate) fn write(&mut self, claim: &Claim) -> std::io::Result<()> {
        let claim = super::claim_record_json(claim);
        match self {
            ExportRows::Csv(writer) => {
                let cell = |column: &str| match &claim[column] {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(text) if TEXT_COLUMNS.contains(&column) => {
                        inert(text)
                    }
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                writer
                    .write_record(CSV_COLUMNS.map(cell))
                    .map_err(io_error)?;
            }
            ExportRows::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &claim)?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    /// Flushes what is buffered and hands the output back.
    pub(crate) fn finish(self) -> std::io::Result<W> {
        match self {
            ExportRows::Csv(writer) => writer.into_inner().map_err(csv::IntoInnerError::into_error),
            ExportRows::Jsonl(mut out) => {
                out.flush()?;
                Ok(out)
            }
        }
    }
}

/// A CSV error as the I/O error it wraps, so a closed pipe is still recognised as one.
fn io_error(err: csv::Error) -> std::io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(err) => err,
        kind => std::io::Error::other(format!("{kind:?}")),
    }
}
