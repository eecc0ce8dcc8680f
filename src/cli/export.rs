//! `flashsale claim export`: every claim of a campaign, streamed page by page as CSV or JSON
//! lines, so memory stays flat whatever the number of claims.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::Context;
use super::out_file::OutFile;
use crate::clock::Clock;
use crate::domain::{CampaignId, ClaimStatus};
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

/// Runs `claim export`: to `--out` (see [`OutFile`]) or to stdout.
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
    let mut target = OutFile::open(&out, "--out")?;
    let written = {
        let mut buffered = std::io::BufWriter::new(&mut target);
        stream(&claims, &campaign, status, args.format, &mut buffered)
            .await
            .and_then(|written| {
                buffered.flush()?;
                Ok(written)
            })
    }
    // On any error the target is dropped unfinished: a failed export leaves no half file.
    .and_then(|written| {
        target.finish()?;
        Ok(written)
    })
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
