//! `flashsale claim export`: every claim of a campaign, streamed page by page as CSV or JSON
//! lines, so memory stays flat whatever the number of claims.

use std::io::Write as _;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use super::Context;
use crate::clock::Clock;
use crate::domain::{CampaignId, ClaimStatus, Invalid, shown};
use crate::json::{ExportFormat, ExportRows};
use crate::service::ClaimService;
use crate::store::Store;

/// What `claim export` writes (the rows are [`ExportRows`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// One JSON document per claim per line: the claim JSON of `claim show`.
    Jsonl,
}

/// A claim status, as `--status` takes it (the JSON names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StatusFilter {
    /// Holding a unit, not yet redeemed.
    Claimed,
    /// Redeemed at checkout.
    Redeemed,
    /// Voided by an operator.
    Voided,
    /// Expired unredeemed.
    Expired,
}

/// Arguments of `claim export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The campaign.
    #[arg(long, value_name = "ID")]
    campaign: String,
    /// Only the claims with this status.
    #[arg(long, value_enum)]
    status: Option<StatusFilter>,
    /// csv or jsonl.
    #[arg(long, value_enum)]
    format: Format,
    /// Write to FILE instead of stdout. A regular file is replaced only once the export is
    /// complete, keeping its permissions; a device or a named pipe is written through; a
    /// symbolic link or a directory is refused.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Claims read per store call: memory holds one page, whatever the campaign's size.
const PAGE: usize = 1_000;

impl Format {
    fn export(self) -> ExportFormat {
        match self {
            Format::Csv => ExportFormat::Csv,
            Format::Jsonl => ExportFormat::Jsonl,
        }
    }
}

impl StatusFilter {
    fn status(self) -> ClaimStatus {
        match self {
            StatusFilter::Claimed => ClaimStatus::Claimed,
            StatusFilter::Redeemed => ClaimStatus::Redeemed,
            StatusFilter::Voided => ClaimStatus::Voided,
            StatusFilter::Expired => ClaimStatus::Expired,
        }
    }
}

/// Runs `claim export`: to `--out` (see [`Out`]) or to stdout.
pub(crate) async fn run(args: ExportArgs, ctx: &Context) -> anyhow::Result<()> {
    let campaign = CampaignId::parse(&args.campaign)?;
    let status = args.status.map(StatusFilter::status);
    // Before any file is made: an unknown campaign is an error, not an empty export.
    ctx.campaigns().await?.status(&campaign).await?;
    let claims = ctx.claims().await?;
    let Some(out) = args.out else {
        let mut stdout = std::io::BufWriter::new(std::io::stdout());
        return match stream(&claims, &campaign, status, args.format, &mut stdout).await {
            // The reader went away (`| head`): not an error.
            Err(err) if broken_pipe(&err) => Ok(()),
            other => other.map(drop),
        };
    };
    let target = Out::open(&out)?;
    let written = match target {
        Out::Replace { file, permissions } => {
            let mut buffered = std::io::BufWriter::new(file);
            let written = stream(&claims, &campaign, status, args.format, &mut buffered).await;
            // On any error the temporary file is dropped, which deletes it: a failed export
            // leaves no half file.
            written.and_then(|written| {
                let file = buffered
                    .into_inner()
                    .map_err(std::io::IntoInnerError::into_error)?;
                if let Some(permissions) = permissions {
                    file.as_file().set_permissions(permissions)?;
                }
                file.as_file().sync_all()?;
                file.persist(&out).map_err(|err| err.error)?;
                Ok(written)
            })
        }
        Out::Through(file) => {
            let mut buffered = std::io::BufWriter::new(file);
            stream(&claims, &campaign, status, args.format, &mut buffered)
                .await
                .and_then(|written| {
                    buffered.flush()?;
                    Ok(written)
                })
        }
    }
    .with_context(|| format!("exporting to {}", out.display()))?;
    let json = serde_json::json!({
        "campaign_id": campaign,
        "format": args.format.export().as_str(),
        "out": out.display().to_string(),
        "claims": written,
    });
    ctx.emit(&json, || {
        format!(
            "exported {written} claims of `{campaign}` to {}",
            out.display()
        )
    })
}

/// Where `--out` sends the export.
enum Out {
    /// A regular file, or nothing yet: the export goes to a temporary file beside it, created
    /// exclusively under a random name (nothing another user planted is opened or followed),
    /// and renamed over the target once complete, with the target's permissions if it had any.
    Replace {
        file: tempfile::NamedTempFile,
        permissions: Option<std::fs::Permissions>,
    },
    /// A character device or a named pipe (`/dev/stdout`, a FIFO a program reads): written
    /// through, never replaced by a regular file.
    Through(std::fs::File),
}

impl Out {
    /// Opens the export's target `out`; refuses a symbolic link (the operator names the file
    /// itself, and a link planted in a shared directory must not redirect the export), a
    /// directory and anything else that is neither a file, a device nor a pipe.
    fn open(out: &Path) -> anyhow::Result<Out> {
        let refused = |what: &str| {
            anyhow::Error::from(crate::Error::from(Invalid::new(
                "--out",
                format!("`{}` is {what}", shown(&out.display().to_string())),
            )))
        };
        let permissions = match std::fs::symlink_metadata(out) {
            Ok(meta) => {
                let kind = meta.file_type();
                if kind.is_symlink() {
                    return Err(refused(
                        "a symbolic link; name the file it points to instead",
                    ));
                }
                if kind.is_char_device() || kind.is_fifo() {
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .open(out)
                        .with_context(|| format!("opening {}", out.display()))?;
                    return Ok(Out::Through(file));
                }
                if !kind.is_file() {
                    return Err(refused(
                        "not a regular file, a device or a pipe; name a file to write",
                    ));
                }
                Some(std::fs::Permissions::from_mode(
                    meta.permissions().mode() & 0o7777,
                ))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => {
                return Err(anyhow::Error::from(err).context(format!("reading {}", out.display())));
            }
        };
        let dir = match out.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = out.file_name().unwrap_or_default().to_string_lossy();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        if permissions.is_none() {
            // A new file gets the permissions any new file gets (0666 less the umask).
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let file = builder
            .tempfile_in(dir)
            .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
        Ok(Out::Replace { file, permissions })
    }
}

/// Writes every claim of `campaign` (with `status`, if given) to `out`, a page at a time,
/// and flushes it; returns how many.
async fn stream<S: Store, C: Clock, W: std::io::Write>(
    claims: &ClaimService<S, C>,
    campaign: &CampaignId,
    status: Option<ClaimStatus>,
    format: Format,
    out: &mut W,
) -> anyhow::Result<u64> {
    let mut rows = ExportRows::new(format.export(), out)?;
    let mut written = 0;
    let mut pages = claims.export(campaign, status, PAGE);
    while let Some(page) = pages.next().await? {
        for claim in &page {
            rows.write(claim)?;
        }
        written += page.len() as u64;
    }
    rows.finish()?;
    Ok(written)
}

/// Whether `err` is stdout's reader going away.
fn broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
