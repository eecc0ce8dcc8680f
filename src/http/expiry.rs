//! `serve`'s expiry sweep: every interval, the claims whose hold ran out are expired and their
//! units returned, so a shopper who never checks out does not hold a unit for the rest of the
//! sale. Expiring is idempotent and safe during a sale (the store decides each claim
//! atomically), so several servers on one store may all sweep. Each sweep counts what it
//! expired, and each campaign it failed on, in the server's claim transitions.

use std::time::Duration;

use tokio::sync::watch;

use super::metrics::{ClaimAction, Transitions};
use crate::clock::Clock;
use crate::domain::Actor;
use crate::service::CampaignService;
use crate::store::Store;

/// Expires holds every `every` until `stop` turns true (or its sender is dropped). A sweep in
/// progress is finished, never dropped halfway, so the store sees whole operations only.
pub async fn expire_periodically<S: Store, C: Clock>(
    campaigns: CampaignService<S, C>,
    actor: Actor,
    every: Duration,
    transitions: Transitions,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        sweep(&campaigns, &actor, &transitions).await;
    }
}

/// One sweep over the campaigns whose holds may still run out (never every campaign ever
/// created: see [`CampaignService::sweepable`]); a failure is logged, and the next sweep tries
/// again.
async fn sweep<S: Store, C: Clock>(
    campaigns: &CampaignService<S, C>,
    actor: &Actor,
    transitions: &Transitions,
) {
    let list = match campaigns.sweepable().await {
        Ok(list) => list,
        Err(err) => {
            tracing::warn!(error = %err, "expiry sweep could not list the campaigns");
            return;
        }
    };
    for campaign in &list {
        let id = &campaign.id;
        match campaigns.expire(id, actor).await {
            Ok(0) => {}
            Ok(expired) => {
                transitions.count(ClaimAction::Expire, ClaimAction::Expire.done(), expired);
                tracing::info!(campaign = %id, expired, "expired claims past their hold");
            }
            Err(err) => {
                transitions.count(ClaimAction::Expire, err.kind().as_str(), 1);
                tracing::warn!(campaign = %id, error = %err, "expiry sweep failed");
            }
        }
    }
}
