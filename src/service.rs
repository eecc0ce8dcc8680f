//! The operations an operator or a shopper asks for: validate, read the clock, call the store.
//!
//! Services hold no state of their own besides the store and the clock; atomicity belongs to
//! the store (see [`crate::store`]).

use crate::auth::Identity;
use crate::clock::Clock;
use crate::domain::{
    Campaign, CampaignId, CampaignState, Cents, Claim, ClaimAttempt, ClaimOutcome, Invalid,
    NewCampaign, Refusal, Units,
};
use crate::error::Error;
use crate::store::{ReconcileMode, Reconciliation, Store};

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
        self.store
            .claim(&attempt)
            .await?
            .into_outcome()
            .map_err(|refusal| refused(&attempt, refusal))
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

fn refused(attempt: &ClaimAttempt, refusal: Refusal) -> Error {
    let id = attempt.campaign_id.clone();
    match refusal {
        Refusal::NotFound => Error::NotFound(id),
        Refusal::NotLive(state) => Error::NotLive { id, state },
        Refusal::NotEligible { min_cart } => Error::NotEligible {
            id,
            cart: attempt.cart,
            min_cart,
        },
        Refusal::SoldOut => Error::SoldOut(id),
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

    /// The current instant by this service's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Validates and saves a new campaign.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a campaign that breaks a rule, [`Error::Store`] for a taken id
    /// (exit 2) or a store failure.
    pub async fn create(&self, new: NewCampaign) -> Result<CampaignView, Error> {
        let now = self.clock.now();
        let campaign = new.validate(now)?;
        self.store.create_campaign(&campaign).await?;
        Ok(CampaignView::at(campaign, now))
    }

    /// The campaign with this id, as it stands now.
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::Store`].
    pub async fn status(&self, id: &CampaignId) -> Result<CampaignView, Error> {
        let campaign = self
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        Ok(CampaignView::at(campaign, self.clock.now()))
    }

    /// Every campaign, oldest first.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn list(&self) -> Result<Vec<CampaignView>, Error> {
        let now = self.clock.now();
        Ok(self
            .store
            .campaigns()
            .await?
            .into_iter()
            .map(|c| CampaignView::at(c, now))
            .collect())
    }

    /// Stops a campaign now; no claim is accepted afterwards (replays still are).
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::Store`].
    pub async fn end(&self, id: &CampaignId) -> Result<CampaignView, Error> {
        let now = self.clock.now();
        let campaign = self
            .store
            .end_campaign(id, now)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        Ok(CampaignView::at(campaign, now))
    }

    /// Restocks a campaign with `units` more units. An ended campaign is refused: its units
    /// could never be claimed, so a restock there is a mistake (usually the wrong id), and
    /// answering it with success would hide that.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Invalid`] for an ended campaign (nothing written);
    /// [`Error::Store`] (including a restock past the inventory limit, exit 2).
    pub async fn add_inventory(
        &self,
        id: &CampaignId,
        units: Units,
    ) -> Result<CampaignView, Error> {
        let current = self
            .store
            .campaign(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        // Read before the write, not inside it: a restock that races an operator's `end`
        // adds units that were for sale a moment earlier, which is no worse than the same
        // restock a moment earlier.
        if current.state(self.clock.now()) == CampaignState::Ended {
            return Err(Invalid::new(
                "restock",
                format!("campaign `{id}` has ended, so its units could never be claimed; nothing was added"),
            )
            .into());
        }
        let campaign = self
            .store
            .add_inventory(id, units)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        Ok(CampaignView::at(campaign, self.clock.now()))
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
    ) -> Result<Reconciliation, Error> {
        self.store
            .reconcile(id, mode)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))
    }
}
