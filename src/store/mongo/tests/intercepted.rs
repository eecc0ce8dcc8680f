//! A forwarding `DocOps` that runs a test's hooks around every call: to count the calls or
//! to slip another request in between two of them.

use super::*;

/// A `DocOps` call, as a test's [`Hooks`] see it go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Call {
    ServerTime,
    FindCampaign,
    ReserveUnit,
    SetRemaining,
    StoreHeld,
    FindClaim,
    InsertClaim,
    ConfirmClaim,
    DeleteReserving,
    DeleteStale,
    CountClaims,
}

impl Call {
    /// Whether the call is a write that waits for a majority in production: every write but
    /// the reservation insert, as [`Consistency::REQUIRED`] says.
    ///
    /// [`Consistency::REQUIRED`]: crate::store::mongo::ops::Consistency::REQUIRED
    pub(super) fn waits_for_majority(self) -> bool {
        use crate::store::mongo::ops::{Consistency, WriteLevel};
        let required = Consistency::REQUIRED;
        let level = match self {
            Call::InsertClaim => required.reservation,
            _ => required.write,
        };
        self.writes() && level == WriteLevel::MajorityJournaled
    }

    /// Whether the call writes.
    pub(super) fn writes(self) -> bool {
        matches!(
            self,
            Call::ReserveUnit
                | Call::SetRemaining
                | Call::StoreHeld
                | Call::InsertClaim
                | Call::ConfirmClaim
                | Call::DeleteReserving
                | Call::DeleteStale
        )
    }
}

/// What a test does around each call of the store: count it, or slip another request in.
pub(super) trait Hooks: Send + Sync {
    fn before(&self, _call: Call) -> impl std::future::Future<Output = ()> + Send {
        async {}
    }
    fn after(&self, _call: Call) -> impl std::future::Future<Output = ()> + Send {
        async {}
    }
}

/// `inner` with `hooks` run before and after every call: one forwarding implementation of
/// `DocOps` for every test that needs to watch or reorder the algorithm's calls.
pub(super) struct Intercepted<'a, O, H> {
    pub(super) inner: &'a O,
    pub(super) hooks: H,
}

impl<O, H: Hooks> Intercepted<'_, O, H> {
    async fn around<T>(&self, call: Call, op: impl std::future::Future<Output = T>) -> T {
        self.hooks.before(call).await;
        let result = op.await;
        self.hooks.after(call).await;
        result
    }
}

impl<O: crate::store::mongo::ops::DocOps, H: Hooks> crate::store::mongo::ops::DocOps
    for Intercepted<'_, O, H>
{
    fn consistency(&self) -> crate::store::mongo::ops::Consistency {
        self.inner.consistency()
    }
    async fn server_time(&self) -> Result<DateTime<Utc>, StoreError> {
        self.around(Call::ServerTime, self.inner.server_time())
            .await
    }
    async fn find_campaign(&self, id: &str) -> Result<Option<CampaignDoc>, StoreError> {
        self.around(Call::FindCampaign, self.inner.find_campaign(id))
            .await
    }
    async fn reserve_unit(
        &self,
        id: &str,
        now: mongodb::bson::DateTime,
    ) -> Result<bool, StoreError> {
        self.around(Call::ReserveUnit, self.inner.reserve_unit(id, now))
            .await
    }
    async fn set_remaining(
        &self,
        id: &str,
        seen: Seen,
        remaining: i64,
        event: Option<&PendingEvent>,
    ) -> Result<bool, StoreError> {
        let op = self.inner.set_remaining(id, seen, remaining, event);
        self.around(Call::SetRemaining, op).await
    }
    async fn store_held(&self, id: &str, seen: Seen) -> Result<bool, StoreError> {
        self.around(Call::StoreHeld, self.inner.store_held(id, seen))
            .await
    }
    async fn find_claim(&self, campaign: &str, user: &str) -> Result<Option<ClaimDoc>, StoreError> {
        self.around(Call::FindClaim, self.inner.find_claim(campaign, user))
            .await
    }
    async fn insert_claim(
        &self,
        doc: &ClaimDoc,
    ) -> Result<crate::store::mongo::ops::Inserted, StoreError> {
        self.around(Call::InsertClaim, self.inner.insert_claim(doc))
            .await
    }
    async fn confirm_claim(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        let op = self.inner.confirm_claim(campaign, user, token);
        self.around(Call::ConfirmClaim, op).await
    }
    async fn delete_reserving(
        &self,
        campaign: &str,
        user: &str,
        token: &str,
    ) -> Result<bool, StoreError> {
        let op = self.inner.delete_reserving(campaign, user, token);
        self.around(Call::DeleteReserving, op).await
    }
    async fn delete_stale(
        &self,
        campaign: &str,
        before: mongodb::bson::DateTime,
    ) -> Result<u64, StoreError> {
        self.around(Call::DeleteStale, self.inner.delete_stale(campaign, before))
            .await
    }
    async fn count_claims(&self, campaign: &str, only: Option<Status>) -> Result<i64, StoreError> {
        self.around(Call::CountClaims, self.inner.count_claims(campaign, only))
            .await
    }
}
