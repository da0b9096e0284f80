//! The state every handler shares, passed explicitly.

use std::sync::Arc;

use crumb_cookie::{Keyring, ResponseCookie, SameSite};
use crumb_store::Store;

use crate::analytics::Analytics;
use crate::gateway::audit::GatewayAudit;
use crate::rate_limit::RateLimits;
use crumb_core::accounts::hashing::{HashLimiter, DEFAULT_HASH_MEMORY_MB};
use crumb_core::config::{Config, CookieDeclaration};
use crumb_core::own_cookies::OwnCookieNames;

pub use crumb_core::Clock;
use crumb_core::Site;

/// Shared application state: one reference-counted pointer, so that the
/// clone axum makes for every request costs one atomic increment.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<SharedState>,
}

/// What [`AppState`] points to: the site (declaration, store, clock —
/// reached through `Deref`, so `state.config` and `state.store` read
/// naturally) and what serving it over HTTP needs.
pub struct SharedState {
    /// The site the domain functions take.
    pub site: Site,
    /// Keys for signing crumb's cookies.
    pub keys: Arc<Keyring>,
    /// Names of crumb's own cookies.
    pub names: Arc<OwnCookieNames>,
    /// Statistics: the event writer, salts and visitor keys.
    pub analytics: Arc<Analytics>,
    /// The bearer token `/metrics` asks for on the site's address (none: no `/metrics` there).
    pub metrics_token: Option<String>,
    /// The bound on concurrent password hashing (every Argon2id job runs under it).
    pub hashing: Arc<HashLimiter>,
    /// Per-client and per-visitor limits on events and consent decisions, shared through the store.
    pub rate_limits: Arc<RateLimits>,
    /// The gateway's tally of cookies beyond the declaration (empty without a gateway).
    pub gateway_audit: Arc<GatewayAudit>,
    /// The declared campaigns, indexed, and today's impressions.
    pub ads: Arc<crate::ads::served::AdServer>,
    /// The interest profiles' keys and topics (marketing consent only).
    pub profiles: Arc<crumb_core::profiles::Profiles>,
    /// [`Config::consent_version`], computed once: every request that
    /// reads the consent cookie compares it (a digest of the whole
    /// declaration, with its texts in 24 languages).
    pub consent_version: Arc<str>,
}

impl SharedState {
    /// The interest profile of the visitor whose consent cookie holds
    /// `consent_id` (its pseudonymous id), keyed with the site's keys.
    pub fn profile_of(&self, consent_id: &str) -> crumb_core::profiles::ProfileKey {
        let source = crumb_core::profiles::ProfileSource::Browser(consent_id);
        self.profiles.keys.profile_key(&self.site.config.site_name, source)
    }

    /// The interest profile of the account signed in with the session
    /// cookie `session_id`, when its device is linked for cross-device
    /// measurement (and `[accounts] cross_device` is on): keyed from the
    /// account's pseudonymous cross-device id, the same on every linked
    /// device. Only the session cookie is read (no remember-me rotation),
    /// so looking a profile up never changes a cookie; an expired session
    /// links nothing.
    pub async fn linked_profile_of(
        &self,
        session_id: Option<&str>,
    ) -> Result<Option<crumb_core::profiles::ProfileKey>, crumb_store::StoreError> {
        let Some(settings) = self.site.config.accounts.as_ref().filter(|a| a.cross_device) else { return Ok(None) };
        let Some(session_id) = session_id else { return Ok(None) };
        let hashed = crumb_core::accounts::credentials::hash_secret(session_id);
        let Some(session) = self.site.store.session(&hashed).await? else { return Ok(None) };
        if !crumb_core::accounts::session_is_live(settings, &session, self.site.now_millis()) {
            return Ok(None);
        }
        let device = self.site.store.device(&session.user_id, &session.device_id).await?;
        Ok(device.and_then(|d| d.linked_visitor_id).map(|cross_device_id| {
            let source = crumb_core::profiles::ProfileSource::Linked(&cross_device_id);
            self.profiles.keys.profile_key(&self.site.config.site_name, source)
        }))
    }
}

impl std::ops::Deref for SharedState {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.site
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.shared
    }
}

impl AppState {
    /// State over a config, a store and keys, on the system clock.
    pub fn new(config: Config, store: Arc<dyn Store>, keys: Keyring) -> Self {
        Self::with_clock(config, store, keys, Arc::new(|| crumb_cookie::Timestamp::now().unix_micros() / 1000))
    }

    /// State over a config, a store and keys, on `clock` (tests and benchmarks).
    pub fn with_clock(config: Config, store: Arc<dyn Store>, keys: Keyring, clock: Clock) -> Self {
        let budget = config.accounts.as_ref().map_or(DEFAULT_HASH_MEMORY_MB, |a| a.password_hash_memory_mb);
        Self::with_hash_limiter(config, store, keys, clock, HashLimiter::for_budget(budget))
    }

    /// State on `clock` with a given password-hashing limiter (tests).
    pub fn with_hash_limiter(
        config: Config,
        store: Arc<dyn Store>,
        keys: Keyring,
        clock: Clock,
        hashing: HashLimiter,
    ) -> Self {
        let names = OwnCookieNames::new(config.secure_origins());
        let analytics = Arc::new(Analytics::new(&keys, Arc::clone(&store), &config.origins));
        let rate_limits = Arc::new(RateLimits::new(
            Arc::clone(&store),
            &keys,
            config.server.events_per_minute,
            config.server.consents_per_minute,
            Arc::clone(&clock),
        ));
        let ads = Arc::new(crate::ads::served::AdServer::new(&config, Arc::clone(&clock)));
        let profiles =
            Arc::new(crumb_core::profiles::Profiles::new(crumb_core::profiles::ProfileKeys::from_keyring(&keys)));
        let consent_version = Arc::from(config.consent_version());
        let shared = SharedState {
            ads,
            profiles,
            consent_version,
            analytics,
            rate_limits,
            site: Site::with_clock(Arc::new(config), store, clock),
            keys: Arc::new(keys),
            names: Arc::new(names),
            metrics_token: None,
            hashing: Arc::new(hashing),
            gateway_audit: Arc::new(GatewayAudit::default()),
        };
        AppState { shared: Arc::new(shared) }
    }

    /// The same state, with `/metrics` on the site's address answering
    /// requests that carry `token` (`CRUMB_METRICS_TOKEN`).
    pub fn with_metrics_token(self, token: Option<String>) -> Self {
        let shared = &self.shared;
        let rebuilt = SharedState {
            site: shared.site.clone(),
            keys: Arc::clone(&shared.keys),
            names: Arc::clone(&shared.names),
            analytics: Arc::clone(&shared.analytics),
            hashing: Arc::clone(&shared.hashing),
            rate_limits: Arc::clone(&shared.rate_limits),
            gateway_audit: Arc::clone(&shared.gateway_audit),
            ads: Arc::clone(&shared.ads),
            consent_version: Arc::clone(&shared.consent_version),
            profiles: Arc::clone(&shared.profiles),
            metrics_token: token.filter(|token| !token.is_empty()),
        };
        AppState { shared: Arc::new(rebuilt) }
    }

    /// A `Set-Cookie` for one of crumb's own cookies, with its declared
    /// lifetime and attributes (`SameSite=Lax`, but `Strict` for the
    /// trusted-device cookie, which only crumb's own sign-in form needs).
    pub fn own_cookie(&self, name: &str, value: String) -> Option<String> {
        let declaration = self.config.own_cookie(name)?;
        let same_site = if name == self.names.trusted_device { SameSite::Strict } else { SameSite::Lax };
        // `ResponseCookie::new` writes `Path=/`, and it stays `/` under
        // `[server] prefix`: a `__Host-` cookie must have it (RFC 6265bis
        // §4.1.3.2), and without `__Host-` (plain-HTTP origins) the path
        // must still be written — a cookie without one gets the directory of
        // the request (§5.1.4, `/_crumb/api`), which the site's own pages,
        // where the banner reads the decision, would not send it to.
        let mut cookie = ResponseCookie::new(name, value)
            .secure(declaration.secure)
            .http_only(declaration.http_only)
            .same_site(same_site);
        if let Some(seconds) = declaration.lifetime.seconds() {
            cookie = cookie.max_age(seconds);
        }
        built(name, cookie.to_header_value())
    }

    /// A `Set-Cookie` that deletes a declared cookie (same name, domain, path, Secure).
    pub fn expire(&self, declaration: &CookieDeclaration) -> Option<String> {
        let mut cookie = ResponseCookie::removal(declaration.name.clone())
            .path(Some(&declaration.path))
            .secure(declaration.secure)
            .http_only(declaration.http_only);
        if let Some(domain) = &declaration.domain {
            cookie = cookie.domain(domain.clone());
        }
        built(&declaration.name, cookie.to_header_value())
    }
}

/// A built `Set-Cookie`, or nothing (logged: the response goes without it,
/// and the declaration or the value is what is wrong — the engine refuses
/// what a browser would reject, e.g. a `__Host-` cookie that is not `Secure`).
fn built(name: &str, header: Result<String, crumb_cookie::BuildError>) -> Option<String> {
    header
        .map_err(|error| tracing::error!(cookie = name, %error, "a Set-Cookie crumb would send is invalid; not sent"))
        .ok()
}
