//! What a reader asks a store for: a slice of the events log, a page of an export.

use chrono::{DateTime, Utc};

use super::{CampaignId, ClaimStatus, UserId};

/// Which events to read: after a sequence number, optionally of one campaign and from an
/// instant on, at most `limit` of them, in sequence order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventQuery {
    /// Only this campaign's.
    pub campaign: Option<CampaignId>,
    /// Only events with a larger sequence number (0 for all).
    pub after_seq: i64,
    /// Only events at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// At most this many.
    pub limit: usize,
}

/// Which claims an export page holds: a campaign's claims in user id order (bytewise), after
/// `after` (exclusive), optionally of one status, at most `limit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportPage {
    /// The campaign.
    pub campaign: CampaignId,
    /// Only this status.
    pub status: Option<ClaimStatus>,
    /// The last user id of the previous page.
    pub after: Option<UserId>,
    /// Page size.
    pub limit: usize,
}
