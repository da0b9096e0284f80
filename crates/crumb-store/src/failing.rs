//! A store double that fails on demand (cargo feature `failing`), so that
//! every path of a caller that handles a store failure — a 503, a log line,
//! a write not acknowledged — can run in a test.
//!
//! [`FailingStore`] wraps a real store and passes every call through while
//! its [`FailMode`] lets it; otherwise the call returns
//! [`StoreError::Backend`] (whose source is an [`InjectedFailure`]) without
//! reaching the real store. Clones share the mode and the call log, so a
//! test keeps one clone to flip the switch while the code under test holds
//! another as its `Arc<dyn Store>`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::ads::{AdCountRow, AdEvent, AdEventKey, AdShown, AdStore};
use crate::analytics::rollup;
use crate::analytics::{
    AnalyticsStore, Dimension, EventRecord, Granularity, OpenVisit, RollupRow, RollupSummary, StoredEvent,
};
use crate::campaigns::{CampaignStore, StoredCampaign};
use crate::profiles::{InterestObservation, ProfileBatch, ProfileChoices, ProfileDeletion, ProfileStore, Removal};
use crate::{
    Account, AccountStore, ConsentRecord, DecisionCount, Device, RememberToken, SessionRecord, Store, StoreError,
    UnixMillis, VisitorStatus,
};

/// Which calls of a [`FailingStore`] fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailMode {
    /// None: every call reaches the real store.
    Never,
    /// Calls that only read.
    Reads,
    /// Calls that may write (including those that also read back).
    Writes,
    /// Every call.
    Always,
}

impl FailMode {
    fn code(self) -> u8 {
        match self {
            FailMode::Never => 0,
            FailMode::Reads => 1,
            FailMode::Writes => 2,
            FailMode::Always => 3,
        }
    }

    fn from_code(code: u8) -> FailMode {
        match code {
            1 => FailMode::Reads,
            2 => FailMode::Writes,
            3 => FailMode::Always,
            _ => FailMode::Never,
        }
    }

    /// Whether a call of this kind fails.
    pub fn fails(self, access: Access) -> bool {
        match self {
            FailMode::Never => false,
            FailMode::Reads => access == Access::Read,
            FailMode::Writes => access == Access::Write,
            FailMode::Always => true,
        }
    }
}

/// Whether a store method only reads or may write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// It only reads.
    Read,
    /// It may write.
    Write,
}

/// The source of the error a failing call returns.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed on purpose (FailingStore)")]
pub struct InjectedFailure {
    /// The store method that failed.
    pub operation: &'static str,
}

/// One call of a [`FailingStore`]: which method, of which kind, and whether it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The store method.
    pub operation: &'static str,
    /// Read or write.
    pub access: Access,
    /// It failed (and did not reach the real store).
    pub failed: bool,
}

struct Shared {
    mode: AtomicU8,
    /// When set, only these operations may fail.
    only: Mutex<Option<Vec<&'static str>>>,
    calls: Mutex<Vec<Call>>,
}

/// A [`Store`] that fails on demand; see the [module docs](self).
#[derive(Clone)]
pub struct FailingStore {
    inner: Arc<dyn Store>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FailingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailingStore")
            .field("backend", &self.inner.backend())
            .field("mode", &self.mode())
            .finish_non_exhaustive()
    }
}

impl FailingStore {
    /// Wraps `inner`; nothing fails until [`set_mode`](Self::set_mode) says so.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        let shared = Shared {
            mode: AtomicU8::new(FailMode::Never.code()),
            only: Mutex::new(None),
            calls: Mutex::new(Vec::new()),
        };
        FailingStore { inner, shared: Arc::new(shared) }
    }

    /// Which calls fail from now on (for every clone).
    pub fn set_mode(&self, mode: FailMode) {
        self.shared.mode.store(mode.code(), Ordering::SeqCst);
    }

    /// Which calls fail.
    pub fn mode(&self) -> FailMode {
        FailMode::from_code(self.shared.mode.load(Ordering::SeqCst))
    }

    /// Narrows the mode to these operations (method names such as
    /// `"rollups"`), to reach a failure path behind others that would fail
    /// first; `None` lifts the restriction.
    pub fn restrict_to(&self, operations: Option<&[&'static str]>) {
        *self.shared.only.lock().unwrap_or_else(PoisonError::into_inner) = operations.map(<[_]>::to_vec);
    }

    /// Every call so far, oldest first (of every clone).
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Forgets the calls so far.
    pub fn clear_calls(&self) {
        self.shared.calls.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// The writes that reached the real store since the log was cleared.
    pub fn writes_passed(&self) -> Vec<&'static str> {
        self.calls().into_iter().filter(|c| c.access == Access::Write && !c.failed).map(|c| c.operation).collect()
    }

    /// The calls that failed since the log was cleared.
    pub fn failed(&self) -> Vec<&'static str> {
        self.calls().into_iter().filter(|c| c.failed).map(|c| c.operation).collect()
    }

    /// Logs a call and fails it if the mode says so.
    fn enter(&self, access: Access, operation: &'static str) -> Result<(), StoreError> {
        let restricted = self
            .shared
            .only
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|only| only.contains(&operation));
        let failed = self.mode().fails(access) && restricted.unwrap_or(true);
        let call = Call { operation, access, failed };
        self.shared.calls.lock().unwrap_or_else(PoisonError::into_inner).push(call);
        if failed {
            return Err(StoreError::backend(self.inner.backend(), InjectedFailure { operation }));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Store for FailingStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn append_consent(&self, record: &ConsentRecord) -> Result<(), StoreError> {
        self.enter(Access::Write, "append_consent")?;
        self.inner.append_consent(record).await
    }

    async fn consent_by_receipt(&self, receipt_id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        self.enter(Access::Read, "consent_by_receipt")?;
        self.inner.consent_by_receipt(receipt_id).await
    }

    async fn consent_history(&self, consent_id: &str) -> Result<Vec<ConsentRecord>, StoreError> {
        self.enter(Access::Read, "consent_history")?;
        self.inner.consent_history(consent_id).await
    }

    async fn schema_version(&self) -> Result<u32, StoreError> {
        self.enter(Access::Read, "schema_version")?;
        self.inner.schema_version().await
    }

    fn supported_schema_version(&self) -> u32 {
        self.inner.supported_schema_version()
    }

    fn connections(&self) -> crate::Connections {
        self.inner.connections()
    }

    async fn add_to_rate_windows(
        &self,
        increments: &[crate::RateIncrement],
        forget_before: crate::UnixMillis,
    ) -> Result<Vec<u64>, StoreError> {
        self.enter(Access::Write, "add_to_rate_windows")?;
        self.inner.add_to_rate_windows(increments, forget_before).await
    }

    async fn consent_decisions_by_day(&self, site: &str, since: UnixMillis) -> Result<Vec<DecisionCount>, StoreError> {
        self.enter(Access::Read, "consent_decisions_by_day")?;
        self.inner.consent_decisions_by_day(site, since).await
    }

    async fn count_consents(&self, site: &str) -> Result<u64, StoreError> {
        self.enter(Access::Read, "count_consents")?;
        self.inner.count_consents(site).await
    }

    async fn touch_visitor(
        &self,
        site: &str,
        visitor_id: &str,
        new_visit: bool,
        at: UnixMillis,
    ) -> Result<VisitorStatus, StoreError> {
        self.enter(Access::Write, "touch_visitor")?;
        self.inner.touch_visitor(site, visitor_id, new_visit, at).await
    }

    async fn visitor(&self, site: &str, visitor_id: &str) -> Result<Option<VisitorStatus>, StoreError> {
        self.enter(Access::Read, "visitor")?;
        self.inner.visitor(site, visitor_id).await
    }

    async fn forget_visitor(&self, site: &str, visitor_id: &str) -> Result<bool, StoreError> {
        self.enter(Access::Write, "forget_visitor")?;
        self.inner.forget_visitor(site, visitor_id).await
    }

    async fn record_gateway_sightings(&self, sightings: &[crate::GatewaySighting]) -> Result<(), StoreError> {
        self.enter(Access::Write, "record_gateway_sightings")?;
        self.inner.record_gateway_sightings(sightings).await
    }

    async fn gateway_sightings(&self, site: &str) -> Result<Vec<crate::GatewaySighting>, StoreError> {
        self.enter(Access::Read, "gateway_sightings")?;
        self.inner.gateway_sightings(site).await
    }
}

#[async_trait::async_trait]
impl AccountStore for FailingStore {
    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        self.enter(Access::Write, "create_account")?;
        self.inner.create_account(account).await
    }

    async fn account_by_email(&self, email_folded: &str) -> Result<Option<Account>, StoreError> {
        self.enter(Access::Read, "account_by_email")?;
        self.inner.account_by_email(email_folded).await
    }

    async fn account(&self, user_id: &str) -> Result<Option<Account>, StoreError> {
        self.enter(Access::Read, "account")?;
        self.inner.account(user_id).await
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        self.enter(Access::Write, "set_password")?;
        self.inner.set_password(user_id, password_hash).await
    }

    async fn set_admin(&self, user_id: &str, is_admin: bool) -> Result<(), StoreError> {
        self.enter(Access::Write, "set_admin")?;
        self.inner.set_admin(user_id, is_admin).await
    }

    async fn set_theft_detected(&self, user_id: &str, at: Option<UnixMillis>) -> Result<(), StoreError> {
        self.enter(Access::Write, "set_theft_detected")?;
        self.inner.set_theft_detected(user_id, at).await
    }

    async fn delete_account(&self, user_id: &str) -> Result<bool, StoreError> {
        self.enter(Access::Write, "delete_account")?;
        self.inner.delete_account(user_id).await
    }

    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        self.enter(Access::Write, "create_session")?;
        self.inner.create_session(session).await
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.enter(Access::Read, "session")?;
        self.inner.session(id_hash).await
    }

    async fn touch_session(&self, id_hash: &str, at: UnixMillis) -> Result<(), StoreError> {
        self.enter(Access::Write, "touch_session")?;
        self.inner.touch_session(id_hash, at).await
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        self.enter(Access::Write, "delete_session")?;
        self.inner.delete_session(id_hash).await
    }

    async fn delete_device_sessions(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError> {
        self.enter(Access::Write, "delete_device_sessions")?;
        self.inner.delete_device_sessions(user_id, device_id).await
    }

    async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        self.enter(Access::Write, "delete_user_sessions")?;
        self.inner.delete_user_sessions(user_id).await
    }

    async fn user_sessions(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.enter(Access::Read, "user_sessions")?;
        self.inner.user_sessions(user_id).await
    }

    async fn create_remember_token(&self, token: &RememberToken) -> Result<(), StoreError> {
        self.enter(Access::Write, "create_remember_token")?;
        self.inner.create_remember_token(token).await
    }

    async fn remember_token(&self, selector: &str) -> Result<Option<RememberToken>, StoreError> {
        self.enter(Access::Read, "remember_token")?;
        self.inner.remember_token(selector).await
    }

    async fn rotate_remember_token(
        &self,
        selector: &str,
        expected_hash: &str,
        new_hash: &str,
        at: UnixMillis,
        successor_salt: &str,
    ) -> Result<bool, StoreError> {
        self.enter(Access::Write, "rotate_remember_token")?;
        self.inner.rotate_remember_token(selector, expected_hash, new_hash, at, successor_salt).await
    }

    async fn delete_remember_token(&self, selector: &str) -> Result<bool, StoreError> {
        self.enter(Access::Write, "delete_remember_token")?;
        self.inner.delete_remember_token(selector).await
    }

    async fn delete_user_remember_tokens(&self, user_id: &str) -> Result<u64, StoreError> {
        self.enter(Access::Write, "delete_user_remember_tokens")?;
        self.inner.delete_user_remember_tokens(user_id).await
    }

    async fn delete_device_remember_tokens(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError> {
        self.enter(Access::Write, "delete_device_remember_tokens")?;
        self.inner.delete_device_remember_tokens(user_id, device_id).await
    }

    async fn user_remember_tokens(&self, user_id: &str) -> Result<Vec<RememberToken>, StoreError> {
        self.enter(Access::Read, "user_remember_tokens")?;
        self.inner.user_remember_tokens(user_id).await
    }

    async fn upsert_device(&self, device: &Device) -> Result<(), StoreError> {
        self.enter(Access::Write, "upsert_device")?;
        self.inner.upsert_device(device).await
    }

    async fn device(&self, user_id: &str, device_id: &str) -> Result<Option<Device>, StoreError> {
        self.enter(Access::Read, "device")?;
        self.inner.device(user_id, device_id).await
    }

    async fn user_devices(&self, user_id: &str) -> Result<Vec<Device>, StoreError> {
        self.enter(Access::Read, "user_devices")?;
        self.inner.user_devices(user_id).await
    }

    async fn link_device_visitor(
        &self,
        user_id: &str,
        device_id: &str,
        linked: Option<&str>,
    ) -> Result<(), StoreError> {
        self.enter(Access::Write, "link_device_visitor")?;
        self.inner.link_device_visitor(user_id, device_id, linked).await
    }

    async fn delete_device(&self, user_id: &str, device_id: &str) -> Result<bool, StoreError> {
        self.enter(Access::Write, "delete_device")?;
        self.inner.delete_device(user_id, device_id).await
    }

    async fn record_failed_login(
        &self,
        key: &str,
        at: UnixMillis,
        window_start: UnixMillis,
    ) -> Result<u32, StoreError> {
        self.enter(Access::Write, "record_failed_login")?;
        self.inner.record_failed_login(key, at, window_start).await
    }

    async fn failed_logins(
        &self,
        key: &str,
        window_start: UnixMillis,
    ) -> Result<(u32, Option<UnixMillis>), StoreError> {
        self.enter(Access::Read, "failed_logins")?;
        self.inner.failed_logins(key, window_start).await
    }

    async fn count_attempt(
        &self,
        keys: &[String],
        at: UnixMillis,
        policy: &crate::ThrottlePolicy,
    ) -> Result<crate::Admission, StoreError> {
        self.enter(Access::Write, "count_attempt")?;
        self.inner.count_attempt(keys, at, policy).await
    }

    async fn clear_failed_logins(&self, key: &str) -> Result<(), StoreError> {
        self.enter(Access::Write, "clear_failed_logins")?;
        self.inner.clear_failed_logins(key).await
    }

    async fn admin_accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.enter(Access::Read, "admin_accounts")?;
        self.inner.admin_accounts().await
    }

    async fn count_accounts(&self) -> Result<u64, StoreError> {
        self.enter(Access::Read, "count_accounts")?;
        self.inner.count_accounts().await
    }
}

#[async_trait::async_trait]
impl AnalyticsStore for FailingStore {
    async fn append_events(&self, events: Vec<EventRecord>) -> Result<(), StoreError> {
        self.enter(Access::Write, "append_events")?;
        self.inner.append_events(events).await
    }

    async fn events_between(
        &self,
        site: &str,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.enter(Access::Read, "events_between")?;
        self.inner.events_between(site, from, to).await
    }

    async fn funnel_events(
        &self,
        site: &str,
        from: UnixMillis,
        to: UnixMillis,
        steps: &[rollup::FunnelStep],
    ) -> Result<Vec<rollup::FunnelEvent>, StoreError> {
        self.enter(Access::Read, "funnel_events")?;
        self.inner.funnel_events(site, from, to, steps).await
    }

    async fn first_event_at(&self, site: &str) -> Result<Option<UnixMillis>, StoreError> {
        self.enter(Access::Read, "first_event_at")?;
        self.inner.first_event_at(site).await
    }

    async fn commit_rollup(
        &self,
        site: &str,
        day: UnixMillis,
        until: UnixMillis,
        hourly: &[RollupRow],
        daily: &[RollupRow],
        open_visits: &[OpenVisit],
    ) -> Result<bool, StoreError> {
        self.enter(Access::Write, "commit_rollup")?;
        self.inner.commit_rollup(site, day, until, hourly, daily, open_visits).await
    }

    async fn open_visits(&self, site: &str, day: UnixMillis) -> Result<Vec<OpenVisit>, StoreError> {
        self.enter(Access::Read, "open_visits")?;
        self.inner.open_visits(site, day).await
    }

    async fn rewind_rolled_until(&self, site: &str, to: UnixMillis) -> Result<(), StoreError> {
        self.enter(Access::Write, "rewind_rolled_until")?;
        self.inner.rewind_rolled_until(site, to).await
    }

    async fn rolled_until(&self, site: &str) -> Result<Option<UnixMillis>, StoreError> {
        self.enter(Access::Read, "rolled_until")?;
        self.inner.rolled_until(site).await
    }

    async fn rollups(
        &self,
        site: &str,
        granularity: Granularity,
        from: UnixMillis,
        to: UnixMillis,
        dimensions: &[Dimension],
    ) -> Result<Vec<RollupRow>, StoreError> {
        self.enter(Access::Read, "rollups")?;
        self.inner.rollups(site, granularity, from, to, dimensions).await
    }

    async fn rollup_summary(
        &self,
        site: &str,
        granularity: Granularity,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<RollupSummary>, StoreError> {
        self.enter(Access::Read, "rollup_summary")?;
        self.inner.rollup_summary(site, granularity, from, to).await
    }

    async fn rollup_values(
        &self,
        site: &str,
        granularity: Granularity,
        from: UnixMillis,
        to: UnixMillis,
        dimension: Dimension,
        values: &[String],
    ) -> Result<Vec<RollupRow>, StoreError> {
        self.enter(Access::Read, "rollup_values")?;
        self.inner.rollup_values(site, granularity, from, to, dimension, values).await
    }

    async fn cross_device_users(&self, site: &str, from: UnixMillis, to: UnixMillis) -> Result<(u64, u64), StoreError> {
        self.enter(Access::Read, "cross_device_users")?;
        self.inner.cross_device_users(site, from, to).await
    }

    async fn purge_events_before(&self, site: &str, before: UnixMillis) -> Result<u64, StoreError> {
        self.enter(Access::Write, "purge_events_before")?;
        self.inner.purge_events_before(site, before).await
    }

    async fn request_forget(&self, site: &str, visitor: i64, requested_at: UnixMillis) -> Result<(), StoreError> {
        self.enter(Access::Write, "request_forget")?;
        self.inner.request_forget(site, visitor, requested_at).await
    }

    async fn forget_requested(&self, site: &str) -> Result<u64, StoreError> {
        self.enter(Access::Write, "forget_requested")?;
        self.inner.forget_requested(site).await
    }

    async fn shared_salt(&self, day: UnixMillis, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.enter(Access::Write, "shared_salt")?;
        self.inner.shared_salt(day, candidate).await
    }
}

#[async_trait::async_trait]
impl CampaignStore for FailingStore {
    async fn insert_campaign(&self, campaign: &StoredCampaign) -> Result<(), StoreError> {
        self.enter(Access::Write, "insert_campaign")?;
        self.inner.insert_campaign(campaign).await
    }

    async fn update_campaign(&self, campaign: &StoredCampaign) -> Result<bool, StoreError> {
        self.enter(Access::Write, "update_campaign")?;
        self.inner.update_campaign(campaign).await
    }

    async fn delete_campaign(&self, site: &str, id: &str) -> Result<bool, StoreError> {
        self.enter(Access::Write, "delete_campaign")?;
        self.inner.delete_campaign(site, id).await
    }

    async fn stored_campaigns(&self, site: &str) -> Result<Vec<StoredCampaign>, StoreError> {
        self.enter(Access::Read, "stored_campaigns")?;
        self.inner.stored_campaigns(site).await
    }
}

#[async_trait::async_trait]
impl ProfileStore for FailingStore {
    async fn record_interests(
        &self,
        site: &str,
        profile: i64,
        epoch: i64,
        epoch_start: UnixMillis,
        topics: &[u16],
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        self.enter(Access::Write, "record_interests")?;
        self.inner.record_interests(site, profile, epoch, epoch_start, topics, at).await
    }

    async fn interest_observations(
        &self,
        site: &str,
        profile: i64,
        from_epoch: i64,
    ) -> Result<Vec<InterestObservation>, StoreError> {
        self.enter(Access::Read, "interest_observations")?;
        self.inner.interest_observations(site, profile, from_epoch).await
    }

    async fn profile_choices(&self, site: &str, profile: i64) -> Result<ProfileChoices, StoreError> {
        self.enter(Access::Read, "profile_choices")?;
        self.inner.profile_choices(site, profile).await
    }

    async fn remove_interest_topic(
        &self,
        site: &str,
        profile: i64,
        topic: u16,
        removal: Removal,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        self.enter(Access::Write, "remove_interest_topic")?;
        self.inner.remove_interest_topic(site, profile, topic, removal, at).await
    }

    async fn set_profile_paused(
        &self,
        site: &str,
        profile: i64,
        paused: bool,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        self.enter(Access::Write, "set_profile_paused")?;
        self.inner.set_profile_paused(site, profile, paused, at).await
    }

    async fn write_profile_batch(&self, site: &str, batch: &ProfileBatch) -> Result<(), StoreError> {
        self.enter(Access::Write, "write_profile_batch")?;
        self.inner.write_profile_batch(site, batch).await
    }

    async fn profiles_changed_since(&self, site: &str, since: UnixMillis) -> Result<Vec<i64>, StoreError> {
        self.enter(Access::Read, "profiles_changed_since")?;
        self.inner.profiles_changed_since(site, since).await
    }

    async fn erase_profile(&self, site: &str, profile: i64, at: UnixMillis) -> Result<ProfileDeletion, StoreError> {
        self.enter(Access::Write, "erase_profile")?;
        self.inner.erase_profile(site, profile, at).await
    }

    async fn purge_interest_epochs(&self, site: &str, started_by: UnixMillis) -> Result<ProfileDeletion, StoreError> {
        self.enter(Access::Write, "purge_interest_epochs")?;
        self.inner.purge_interest_epochs(site, started_by).await
    }
}

#[async_trait::async_trait]
impl AdStore for FailingStore {
    async fn record_ad_event(
        &self,
        site: &str,
        key: &AdEventKey,
        event: AdEvent,
        shown_to: Option<(i64, UnixMillis)>,
    ) -> Result<(), StoreError> {
        self.enter(Access::Write, "record_ad_event")?;
        self.inner.record_ad_event(site, key, event, shown_to).await
    }

    async fn add_ads_served(&self, site: &str, served: &[(AdEventKey, u64)]) -> Result<(), StoreError> {
        self.enter(Access::Write, "add_ads_served")?;
        self.inner.add_ads_served(site, served).await
    }

    async fn ads_served_on(&self, site: &str, day: i64) -> Result<Vec<(String, u64)>, StoreError> {
        self.enter(Access::Read, "ads_served_on")?;
        self.inner.ads_served_on(site, day).await
    }

    async fn ads_shown_to(&self, site: &str, profile: i64, since: UnixMillis) -> Result<Vec<AdShown>, StoreError> {
        self.enter(Access::Read, "ads_shown_to")?;
        self.inner.ads_shown_to(site, profile, since).await
    }

    async fn ad_counts(&self, site: &str, from_day: i64, to_day: i64) -> Result<Vec<AdCountRow>, StoreError> {
        self.enter(Access::Read, "ad_counts")?;
        self.inner.ad_counts(site, from_day, to_day).await
    }
}
