//! The operations an operator or a shopper asks for: validate, read the clock, call the store.
//!
//! Services hold no state of their own besides the store and the clock; atomicity belongs to
//! the store (see [`crate::store`]).

use crate::auth::Identity;
use crate::clock::Clock;
use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::{
    Actor, Applied, BucketWidth, Campaign, CampaignChange, CampaignId, CampaignState, Cents,
    ChangeRefusal, Claim, ClaimAttempt, ClaimKey, ClaimOutcome, ClaimRefusal, ClaimStatus,
    ClaimToken, Currency, Event, EventQuery, ExportPage, Hold, Invalid, LiveSale, NewCampaign,
    OrderId, RedeemAttempt, Refusal, SaleReport, Stamp, Transition, Units, UserId, Verdict,
    VoidAttempt, VoidReason, Window,
};
use crate::error::Error;
use crate::store::Store;
pub use crate::store::{ReconcileMode, Reconciliation};

/// How long after a campaign's last hold could run out the expiry sweep still visits it: a
/// claim whose hold ran out just before a sweep, or while no server was sweeping, is still
/// expired by a later one.
pub const SWEEP_GRACE: TimeDelta = TimeDelta::days(1);

/// A campaign as seen at an instant: the stored record plus its state then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignView {
    /// The stored campaign.
    pub campaign: Campaign,
    /// Its state when it was read.
    pub state: CampaignState,
}

impl CampaignView {
    /// `campaign` as it stands at `now`.
    #[must_use]
    pub fn at(campaign: Campaign, now: chrono::DateTime<chrono::Utc>) -> Self {
        let state = campaign.state(now);
        CampaignView { campaign, state }
    }
}

/// Shoppers' claims.
#[derive(Debug, Clone)]
pub struct ClaimService<S, C> {
    store: S,
    clock: C,
}

impl<S: Store, C: Clock> ClaimService<S, C> {
    /// A claim service over `store`, reading time from `clock`.
    pub fn new(store: S, clock: C) -> Self {
        ClaimService { store, clock }
    }

    /// Claims one unit of `campaign` for the verified `identity` with a cart of `cart`.
    ///
    /// A user who already holds a claim gets it back unchanged as
    /// [`ClaimOutcome::Replayed`], whatever the campaign's state and the cart are now.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::NotLive`], [`Error::NotEligible`], [`Error::SoldOut`] for
    /// refusals (which write nothing), [`Error::Store`] when the store fails.
    pub async fn claim(
        &self,
        identity: &Identity,
        campaign: &CampaignId,
        cart: Cents,
    ) -> Result<ClaimOutcome, Error> {
        let attempt = ClaimAttempt {
            campaign_id: campaign.clone(),
            user_id: identity.user().clone(),
            cart,
            now: self.clock.now(),
        };
        let refusal = match self.store.claim(&attempt).await?.into_outcome() {
            Ok(outcome) => return Ok(outcome),
            Err(refusal) => refusal,
        };
        let currency = match refusal {
            Refusal::NotEligible { .. } => currency_of(&self.store, campaign).await,
            _ => Currency::default(),
        };
        Err(refused(&attempt, refusal, currency))
    }
}

impl<S: Store, C: Clock> ClaimService<S, C> {
    /// The claim `identity` holds on `campaign`, if any. Reads only: it never creates one.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails.
    pub async fn claim_of(
        &self,
        identity: &Identity,
        campaign: &CampaignId,
    ) -> Result<Option<Claim>, Error> {
        Ok(self.store.claim_of(campaign, identity.user()).await?)
    }
}

impl<S: Store, C: Clock> ClaimService<S, C> {
    /// The claim named by `key` on `campaign`, in whatever status. Reads only.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown campaign, [`Error::ClaimNotFound`] when it holds no
    /// such claim, [`Error::Store`] when the store fails.
    pub async fn show(&self, campaign: &CampaignId, key: &ClaimKey) -> Result<Claim, Error> {
        let found = match key {
            ClaimKey::User(user) => self.store.claim_of(campaign, user).await?,
            ClaimKey::Token(token) => self.store.claim_by_token(campaign, token).await?,
        };
        if let Some(claim) = found {
            return Ok(claim);
        }
        if self.store.campaign(campaign).await?.is_none() {
            return Err(Error::NotFound(campaign.clone()));
        }
        Err(Error::ClaimNotFound {
            id: campaign.clone(),
            by: key.clone(),
        })
    }

    /// Redeems the claim carrying `token` for `order_id` with a checkout cart of `cart`; the
    /// discount is re-priced on that cart. A retry with the same order id replays
    /// ([`Transition::Replayed`]). With `owner` (a shopper through the API), a token that is
    /// not theirs is answered as unknown.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::ClaimNotFound`], [`Error::NotEligible`] for a cart below
    /// the minimum, [`Error::Conflict`] for a claim redeemed for another order, voided,
    /// expired or past its hold; each writes nothing.
    pub async fn redeem(
        &self,
        campaign: &CampaignId,
        token: &ClaimToken,
        order_id: &OrderId,
        cart: Cents,
        owner: Option<&UserId>,
        actor: &Actor,
    ) -> Result<Transition, Error> {
        let attempt = RedeemAttempt {
            campaign_id: campaign.clone(),
            token: token.clone(),
            owner: owner.cloned(),
            order_id: order_id.clone(),
            cart,
            stamp: self.stamp(actor).await?,
        };
        let verdict = self.store.redeem(&attempt).await?;
        let currency = match &verdict {
            Verdict::Refuse(ClaimRefusal::NotEligible { .. }) => {
                currency_of(&self.store, campaign).await
            }
            _ => Currency::default(),
        };
        carried_out(
            campaign,
            &ClaimKey::Token(token.clone()),
            cart,
            verdict,
            currency,
        )
    }

    /// Voids the claim named by `key`: its unit returns to inventory. Voiding a voided claim
    /// is already in effect: it replays (no second unit, no event).
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::ClaimNotFound`], [`Error::Conflict`] for a redeemed or
    /// expired claim; each writes nothing.
    pub async fn void(
        &self,
        campaign: &CampaignId,
        key: &ClaimKey,
        reason: Option<VoidReason>,
        actor: &Actor,
    ) -> Result<Transition, Error> {
        let attempt = VoidAttempt {
            campaign_id: campaign.clone(),
            key: key.clone(),
            reason,
            stamp: self.stamp(actor).await?,
        };
        let verdict = self.store.void(&attempt).await?;
        carried_out(campaign, key, Cents::ZERO, verdict, Currency::default())
    }

    /// What [`ClaimService::void`] would answer now, by the same decision on the claim as it
    /// reads now, writing nothing (`--dry-run`).
    ///
    /// # Errors
    /// As [`ClaimService::void`].
    pub async fn preview_void(
        &self,
        campaign: &CampaignId,
        key: &ClaimKey,
        actor: &Actor,
    ) -> Result<Transition, Error> {
        let attempt = VoidAttempt {
            campaign_id: campaign.clone(),
            key: key.clone(),
            reason: None,
            stamp: self.stamp(actor).await?,
        };
        let claim = match key {
            ClaimKey::User(user) => self.store.claim_of(campaign, user).await?,
            ClaimKey::Token(token) => self.store.claim_by_token(campaign, token).await?,
        };
        let exists = claim.is_some() || self.store.campaign(campaign).await?.is_some();
        carried_out(
            campaign,
            key,
            Cents::ZERO,
            attempt.decide(claim.as_ref(), exists),
            Currency::default(),
        )
    }

    /// Pages through every claim of `campaign` (optionally of one `status`) in a stable order,
    /// `page_size` claims at a time: memory stays bounded at any number of claims.
    #[must_use]
    pub fn export(
        &self,
        campaign: &CampaignId,
        status: Option<ClaimStatus>,
        page_size: usize,
    ) -> ExportPages<'_, S> {
        ExportPages {
            store: &self.store,
            page: ExportPage {
                campaign: campaign.clone(),
                status,
                after: None,
                limit: page_size.max(1),
            },
            checked: false,
            done: false,
        }
    }

    async fn stamp(&self, actor: &Actor) -> Result<Stamp, Error> {
        stamp(&self.store, &self.clock, actor).await
    }
}

/// The pages of an export (see [`ClaimService::export`]).
pub struct ExportPages<'s, S> {
    store: &'s S,
    page: ExportPage,
    checked: bool,
    done: bool,
}

impl<S: Store> ExportPages<'_, S> {
    /// The next page; `None` once every claim was returned.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown campaign (on the first page), [`Error::Store`].
    pub async fn next(&mut self) -> Result<Option<Vec<Claim>>, Error> {
        if self.done {
            return Ok(None);
        }
        if !self.checked {
            if self.store.campaign(&self.page.campaign).await?.is_none() {
                return Err(Error::NotFound(self.page.campaign.clone()));
            }
            self.checked = true;
        }
        let claims = self.store.export_page(&self.page).await?;
        if claims.len() < self.page.limit {
            self.done = true;
        }
        let Some(last) = claims.last() else {
            self.done = true;
            return Ok(None);
        };
        self.page.after = Some(last.user_id.clone());
        Ok(Some(claims))
    }
}

/// Who and when: `actor`, at the instant `store` judges `clock`'s reading as (see
/// [`Store::now`]). Every action a service carries out is stamped here.
async fn stamp<S: Store, C: Clock>(store: &S, clock: &C, actor: &Actor) -> Result<Stamp, Error> {
    Ok(Stamp {
        actor: actor.clone(),
        at: store.now(clock.now()).await?,
    })
}

/// The currency of `campaign`, for a not-eligible refusal's message, which shows the amounts
/// in the currency's own decimal places. Read only on that path, after the refusal was
/// decided: a store that fails this read costs the message its formatting (two places), not
/// the answer.
async fn currency_of<S: Store>(store: &S, campaign: &CampaignId) -> Currency {
    match store.campaign(campaign).await {
        Ok(Some(found)) => found.currency,
        Ok(None) | Err(_) => Currency::default(),
    }
}

/// The answer to a carried-out [`Verdict`] on a claim; `currency` is the campaign's, for a
/// not-eligible refusal's message.
fn carried_out(
    campaign: &CampaignId,
    key: &ClaimKey,
    cart: Cents,
    verdict: Verdict,
    currency: Currency,
) -> Result<Transition, Error> {
    verdict.into_outcome().map_err(|refusal| match refusal {
        ClaimRefusal::CampaignNotFound => Error::NotFound(campaign.clone()),
        ClaimRefusal::ClaimNotFound => Error::ClaimNotFound {
            id: campaign.clone(),
            by: key.clone(),
        },
        ClaimRefusal::NotEligible { min_cart } => Error::NotEligible {
            id: campaign.clone(),
            cart,
            min_cart,
            currency,
        },
        ClaimRefusal::Conflict(conflict) => Error::Conflict(conflict),
    })
}

fn refused(attempt: &ClaimAttempt, refusal: Refusal, currency: Currency) -> Error {
    let id = attempt.campaign_id.clone();
    match refusal {
        Refusal::NotFound => Error::NotFound(id),
        Refusal::NotLive(state) => Error::NotLive { id, state },
        Refusal::NotEligible { min_cart } => Error::NotEligible {
            id,
            cart: attempt.cart,
            min_cart,
            currency,
        },
        Refusal::SoldOut => Error::SoldOut(id),
    }
}

/// A refused [`CampaignChange`] as the caller sees it.
fn change_refused(id: &CampaignId, refusal: ChangeRefusal) -> Error {
    match refusal {
        ChangeRefusal::CampaignNotFound => Error::NotFound(id.clone()),
        ChangeRefusal::Conflict(conflict) => Error::Conflict(conflict),
        ChangeRefusal::InventoryLimit => Error::InventoryLimit(id.clone()),
        ChangeRefusal::EndOutOfRange => {
            Invalid::new("extension", "moves the end past the year 9999").into()
        }
    }
}

/// What an operator's action came to: the record as it stands after it, and whether the
/// action changed anything. One rule for repeats: an action already in effect succeeds
/// unchanged (`changed` false) and appends no event, so a retried action is safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acted<T> {
    /// The record after the action.
    pub value: T,
    /// Whether the action changed it (and appended its event).
    pub changed: bool,
}

impl<T> Acted<T> {
    fn changed(value: T) -> Self {
        Acted {
            value,
            changed: true,
        }
    }

    fn unchanged(value: T) -> Self {
        Acted {
            value,
            changed: false,
        }
    }

    fn of(applied: &Applied, value: T) -> Self {
        Acted {
            value,
            changed: applied.changed(),
        }
    }
}

/// Operators' campaign and inventory management.
#[derive(Debug, Clone)]
pub struct CampaignService<S, C> {
    store: S,
    clock: C,
}

impl<S: Store, C: Clock> CampaignService<S, C> {
    /// A campaign service over `store`, reading time from `clock`.
    pub fn new(store: S, clock: C) -> Self {
        CampaignService { store, clock }
    }

    /// Validates and saves a new campaign. A create under an id that exists with the same
    /// terms is already in effect: it answers the stored campaign, unchanged.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a campaign that breaks a rule; [`Error::Conflict`] for an id
    /// that exists with other terms (nothing written); [`Error::Store`].
    pub async fn create(
        &self,
        new: NewCampaign,
        actor: &Actor,
    ) -> Result<Acted<CampaignView>, Error> {
        let stamp = self.stamp(actor).await?;
        let campaign = new.clone().validate(stamp.at)?;
        match self.store.create_campaign(&campaign, &stamp).await? {
            None => Ok(Acted::changed(CampaignView::at(campaign, stamp.at))),
            Some(existing) => {
                new.repeats(&existing)?;
                Ok(Acted::unchanged(CampaignView::at(existing, stamp.at)))
            }
        }
    }

    /// The campaign with this id, as it stands now (by the store's clock).
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::Store`].
    pub async fn status(&self, id: &CampaignId) -> Result<CampaignView, Error> {
        let campaign = self
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        let now = self.store.now(self.clock.now()).await?;
        Ok(CampaignView::at(campaign, now))
    }

    /// A campaign as anyone may see it, without credentials: one that has not reached its
    /// start ([`Campaign::started`], by the store's clock) is [`Error::NotFound`] like an
    /// unknown id, so an unannounced launch cannot be found by probing ids.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown campaign or one not started; [`Error::Store`].
    pub async fn public_status(&self, id: &CampaignId) -> Result<CampaignView, Error> {
        let campaign = self
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        let now = self.store.now(self.clock.now()).await?;
        if !campaign.started(now) {
            return Err(Error::NotFound(id.clone()));
        }
        Ok(CampaignView::at(campaign, now))
    }

    /// A campaign's post-sale report, its timeline in buckets of `width`, with the campaign's
    /// state now (by the store's clock). Never writes.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown campaign; [`Error::Store`].
    pub async fn report(
        &self,
        id: &CampaignId,
        width: BucketWidth,
    ) -> Result<(SaleReport, CampaignState), Error> {
        let report = self
            .store
            .report(id, width)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        let now = self.store.now(self.clock.now()).await?;
        let state = report.campaign.state(now);
        Ok((report, state))
    }

    /// A campaign's sale as it stands now, for a watcher: the report read with one-second
    /// buckets, and the store's "now" (the clock that stamped the claims). Each call reads
    /// the campaign's claims once through the store's (`campaign_id`, `claimed_at`) index.
    /// Never writes.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown campaign; [`Error::Store`].
    pub async fn live(&self, id: &CampaignId) -> Result<LiveSale, Error> {
        let report = self
            .store
            .report(id, LiveSale::WIDTH)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        let at = self.store.now(self.clock.now()).await?;
        Ok(LiveSale { report, at })
    }

    /// Every campaign inside its window now (live, paused or sold out), oldest first, each
    /// as [`CampaignService::live`] reads it, with the store's "now" they were chosen at (the
    /// instant of a read that found none). A campaign deleted between the list and its read
    /// is left out. Never writes.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn live_all(&self) -> Result<(DateTime<Utc>, Vec<LiveSale>), Error> {
        let campaigns = self.store.campaigns().await?;
        let now = self.store.now(self.clock.now()).await?;
        let mut sales = Vec::new();
        for campaign in campaigns {
            if matches!(
                campaign.state(now),
                CampaignState::Scheduled | CampaignState::Ended
            ) {
                continue;
            }
            match self.live(&campaign.id).await {
                Ok(sale) => sales.push(sale),
                Err(Error::NotFound(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok((now, sales))
    }

    /// The campaigns whose claims' holds may still run out, oldest first: those with a hold
    /// whose window ends no earlier than that hold (plus [`SWEEP_GRACE`]) before the store's
    /// "now" (a claim is made by the end at the latest, so its hold runs out by the end plus
    /// the hold). The expiry sweep asks every few seconds: through the store's index on the
    /// window's end, campaigns that ended longer ago than the longest hold are never read.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn sweepable(&self) -> Result<Vec<Campaign>, Error> {
        let now = self.store.now(self.clock.now()).await?;
        let longest = TimeDelta::seconds(Hold::MAX_SECONDS) + SWEEP_GRACE;
        let since = now.checked_sub_signed(longest).unwrap_or(now);
        let campaigns = self.store.campaigns_ending_from(since).await?;
        Ok(campaigns
            .into_iter()
            .filter(|c| {
                c.hold
                    .is_some_and(|hold| hold.expiry(c.window.ends_at) + SWEEP_GRACE >= now)
            })
            .collect())
    }

    /// Every campaign, oldest first, as it stands now (by the store's clock).
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn list(&self) -> Result<Vec<CampaignView>, Error> {
        let campaigns = self.store.campaigns().await?;
        let now = self.store.now(self.clock.now()).await?;
        Ok(campaigns
            .into_iter()
            .map(|c| CampaignView::at(c, now))
            .collect())
    }

    /// Carries out an operator's change ([`CampaignChange::apply`] decides it inside the
    /// store's atomic step): pause, resume, extend, end, restock, removal. A change already in
    /// effect succeeds unchanged and appends no event.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when the campaign's state forbids the change;
    /// [`Error::InventoryLimit`] for a restock past the limit; [`Error::Invalid`] for an
    /// extension past the year 9999; [`Error::Store`]. A refusal writes nothing.
    pub async fn change(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
        actor: &Actor,
    ) -> Result<Acted<CampaignView>, Error> {
        if let CampaignChange::Extend { ends_at } = change {
            Window::check_instant("ends at", *ends_at)?;
        }
        let stamp = self.stamp(actor).await?;
        let applied = self
            .store
            .change_campaign(id, change, &stamp)
            .await?
            .map_err(|refusal| change_refused(id, refusal))?;
        Ok(Acted::of(
            &applied,
            CampaignView::at(applied.campaign.clone(), stamp.at),
        ))
    }

    /// Stops a campaign now and records when (`ended_at`); no claim is accepted afterwards
    /// (replays and redeems still are). Ending an ended campaign keeps its first `ended_at`.
    ///
    /// # Errors
    /// As [`CampaignService::change`].
    pub async fn end(&self, id: &CampaignId, actor: &Actor) -> Result<Acted<CampaignView>, Error> {
        self.change(id, &CampaignChange::End, actor).await
    }

    /// Pauses a campaign: new claims are refused as not live (paused) until it is resumed;
    /// replays and redeems still work.
    ///
    /// # Errors
    /// As [`CampaignService::change`]; an ended campaign is a conflict.
    pub async fn pause(
        &self,
        id: &CampaignId,
        actor: &Actor,
    ) -> Result<Acted<CampaignView>, Error> {
        self.change(id, &CampaignChange::Pause, actor).await
    }

    /// Resumes a paused campaign.
    ///
    /// # Errors
    /// As [`CampaignService::change`]; an ended campaign is a conflict.
    pub async fn resume(
        &self,
        id: &CampaignId,
        actor: &Actor,
    ) -> Result<Acted<CampaignView>, Error> {
        self.change(id, &CampaignChange::Resume, actor).await
    }

    /// Moves a campaign's end later, to `ends_at`.
    ///
    /// # Errors
    /// As [`CampaignService::change`]; an earlier end, or an ended campaign, is a conflict.
    pub async fn extend(
        &self,
        id: &CampaignId,
        ends_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Acted<CampaignView>, Error> {
        self.change(id, &CampaignChange::Extend { ends_at }, actor)
            .await
    }

    /// Restocks a campaign with `units` more units.
    ///
    /// # Errors
    /// As [`CampaignService::change`]; an ended campaign is a conflict.
    pub async fn add_inventory(
        &self,
        id: &CampaignId,
        units: Units,
        actor: &Actor,
    ) -> Result<Acted<CampaignView>, Error> {
        self.change(id, &CampaignChange::AddInventory(units), actor)
            .await
    }

    /// Takes `units` units off sale; never below what claims hold.
    ///
    /// # Errors
    /// As [`CampaignService::change`]; more units than are free is a conflict.
    pub async fn remove_inventory(
        &self,
        id: &CampaignId,
        units: Units,
        actor: &Actor,
    ) -> Result<Acted<CampaignView>, Error> {
        self.change(id, &CampaignChange::RemoveInventory(units), actor)
            .await
    }

    /// What [`CampaignService::change`] would answer now, by the same decision on the
    /// campaign as it reads now, writing nothing (`--dry-run`).
    ///
    /// # Errors
    /// As [`CampaignService::change`].
    pub async fn preview(
        &self,
        id: &CampaignId,
        change: &CampaignChange,
    ) -> Result<Acted<CampaignView>, Error> {
        if let CampaignChange::Extend { ends_at } = change {
            Window::check_instant("ends at", *ends_at)?;
        }
        let campaign = self
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        let now = self.store.now(self.clock.now()).await?;
        let applied = change
            .apply(&campaign, now)
            .map_err(|refusal| change_refused(id, refusal))?;
        Ok(Acted::of(
            &applied,
            CampaignView::at(applied.campaign.clone(), now),
        ))
    }

    /// Returns the units of every claim past its hold now. Idempotent: a second run finds
    /// nothing due and writes nothing. Answers how many claims expired.
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::Store`].
    pub async fn expire(&self, id: &CampaignId, actor: &Actor) -> Result<u64, Error> {
        self.store
            .expire_holds(id, &self.stamp(actor).await?)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))
    }

    /// The events log matching `query`, in sequence order.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn events(&self, query: &EventQuery) -> Result<Vec<Event>, Error> {
        Ok(self.store.events(query).await?)
    }

    async fn stamp(&self, actor: &Actor) -> Result<Stamp, Error> {
        stamp(&self.store, &self.clock, actor).await
    }

    /// Compares `remaining` with what the claims say, and repairs it when `mode` applies (see
    /// [`ReconcileMode`]: a repair checks the store's integrity first, and refuses a drift no
    /// crash explains unless forced).
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::Store`] (a damaged store or a refused repair: exit 1,
    /// kind `internal`).
    pub async fn reconcile(
        &self,
        id: &CampaignId,
        mode: ReconcileMode,
        actor: &Actor,
    ) -> Result<Reconciliation, Error> {
        self.store
            .reconcile(id, mode, &self.stamp(actor).await?)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeDelta;

    use super::*;
    use crate::auth::Identity;
    use crate::clock::{FixedClock, SystemClock};
    use crate::domain::{Currency, Hold, Percent};
    use crate::error::ErrorKind;
    use crate::store::SqliteStore;

    /// The expiry sweep visits the campaigns with a hold until a day past their last hold's
    /// end, and no other: none without a hold, none long over.
    #[tokio::test]
    async fn the_sweep_visits_campaigns_whose_holds_may_still_run_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db")).await.unwrap();
        let clock = Arc::new(FixedClock::new(SystemClock.now()));
        let now = clock.now();
        let campaigns = CampaignService::new(store, Arc::clone(&clock));
        let ops = Actor::parse("ops").unwrap();
        let create = |id: &str, hours: i64, hold: Option<i64>| NewCampaign {
            id: CampaignId::parse(id).unwrap(),
            name: id.into(),
            inventory: Units::new(5).unwrap(),
            percent: Percent::from_bps(1_000).unwrap(),
            max_discount: "5".parse().unwrap(),
            min_cart: "20".parse().unwrap(),
            currency: Currency::default(),
            starts_at: Some(now),
            ends: crate::domain::Ends::At(now + TimeDelta::hours(hours)),
            hold: hold.map(|s| Hold::from_seconds(s).unwrap()),
        };
        for (id, hours, hold) in [
            ("no-hold", 1, None),
            ("short", 1, Some(60)),
            ("long", 3, Some(60)),
        ] {
            campaigns
                .create(create(id, hours, hold), &ops)
                .await
                .unwrap();
        }
        let sweepable = || async {
            let list = campaigns.sweepable().await.unwrap();
            list.iter().map(|c| c.id.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(sweepable().await, ["long", "short"]);
        // Past the short one's end, its last hold and the grace: only the long one is left.
        clock.set(now + TimeDelta::hours(1) + TimeDelta::seconds(61) + SWEEP_GRACE);
        assert_eq!(sweepable().await, ["long"]);
        clock.set(now + TimeDelta::hours(1) + TimeDelta::seconds(59) + SWEEP_GRACE);
        assert_eq!(sweepable().await, ["long", "short"]);
    }

    /// The lifecycle's refusals reach callers as the documented kinds, and an export pages
    /// through every claim once.
    #[tokio::test]
    async fn lifecycle_refusals_have_their_kinds_and_exports_page_through_every_claim() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db")).await.unwrap();
        let clock = Arc::new(FixedClock::new(SystemClock.now()));
        let now = clock.now();
        let ops = Actor::parse("ops").unwrap();
        let (campaigns, claims) = (
            CampaignService::new(store.clone(), Arc::clone(&clock)),
            ClaimService::new(store, Arc::clone(&clock)),
        );
        let id = CampaignId::parse("spring").unwrap();
        let new = NewCampaign {
            id: id.clone(),
            name: "Spring".into(),
            inventory: Units::new(5).unwrap(),
            percent: Percent::from_bps(1_000).unwrap(),
            max_discount: "5".parse().unwrap(),
            min_cart: "20".parse().unwrap(),
            currency: Currency::default(),
            starts_at: Some(now),
            ends: crate::domain::Ends::At(now + TimeDelta::hours(1)),
            hold: Some(Hold::from_seconds(60).unwrap()),
        };
        campaigns.create(new, &ops).await.unwrap();
        let mut tokens = Vec::new();
        for user in ["cy", "ana", "bo"] {
            let who = Identity::asserted_by_operator(UserId::parse(user).unwrap());
            let outcome = claims
                .claim(&who, &id, "30".parse().unwrap())
                .await
                .unwrap();
            tokens.push(outcome.claim().token.clone());
        }
        let order = OrderId::parse("o-1").unwrap();
        let kind = |result: Result<Transition, Error>| result.unwrap_err().kind();
        let redeem = |token: &ClaimToken, cart: &str, owner: Option<UserId>| {
            let (token, cart) = (token.clone(), cart.parse().unwrap());
            let (claims, id, order, ops) = (&claims, &id, &order, &ops);
            async move {
                claims
                    .redeem(id, &token, order, cart, owner.as_ref(), ops)
                    .await
            }
        };
        assert_eq!(
            kind(redeem(&tokens[0], "19.99", None).await),
            ErrorKind::NotEligible
        );
        let forged = ClaimToken::from_stored("forged".into());
        assert_eq!(kind(redeem(&forged, "30", None).await), ErrorKind::NotFound);
        let mallory = Some(UserId::parse("mallory").unwrap());
        assert_eq!(
            kind(redeem(&tokens[0], "30", mallory).await),
            ErrorKind::NotFound
        );
        let cy = Some(UserId::parse("cy").unwrap());
        assert!(!redeem(&tokens[0], "30", cy).await.unwrap().replayed());
        assert!(redeem(&tokens[0], "30", None).await.unwrap().replayed());
        let void = claims
            .void(&id, &ClaimKey::Token(tokens[0].clone()), None, &ops)
            .await;
        assert_eq!(kind(void), ErrorKind::Conflict);
        let missing = claims
            .show(&id, &ClaimKey::User(UserId::parse("dee").unwrap()))
            .await
            .unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        assert_eq!(
            missing.to_string(),
            "campaign `spring` has no claim for user `dee`"
        );
        let ghost = CampaignId::parse("ghost").unwrap();
        assert!(matches!(
            claims.show(&ghost, &ClaimKey::Token(forged)).await,
            Err(Error::NotFound(_))
        ));
        clock.set(now + TimeDelta::seconds(61));
        assert_eq!(campaigns.expire(&id, &ops).await.unwrap(), 2);
        let mut pages = claims.export(&id, None, 2);
        let mut users = Vec::new();
        while let Some(page) = pages.next().await.unwrap() {
            assert!(page.len() <= 2);
            users.extend(page.into_iter().map(|c| (c.user_id.to_string(), c.status)));
        }
        assert_eq!(
            users,
            [
                ("ana".to_owned(), ClaimStatus::Expired),
                ("bo".to_owned(), ClaimStatus::Expired),
                ("cy".to_owned(), ClaimStatus::Redeemed),
            ]
        );
        let mut none = claims.export(&ghost, None, 2);
        assert!(matches!(none.next().await, Err(Error::NotFound(_))));
        let events = campaigns
            .events(&EventQuery {
                campaign: Some(id.clone()),
                after_seq: 0,
                since: None,
                limit: 10,
            })
            .await
            .unwrap();
        assert_eq!(
            events.len(),
            4,
            "created, redeemed, two expired: {events:?}"
        );
    }
}
