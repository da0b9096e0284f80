//! The demo site with data, for tests and tools that look at every page:
//! crumb's server on loopback (demo declaration, SQLite in a temporary
//! folder), an administrator, consent records over the last days and a
//! week of synthetic statistics rolled up; and a Chromium that visits the
//! banner, the preference centre, the policy, the account page (signed out
//! and in), `/admin`, `/dashboard` and `/interests` (with a profile seeded
//! for the browser).
//!
//! Shared by `tests/accessibility.rs` and `examples/screenshots.rs`.
#![allow(dead_code)] // each user takes what it needs

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use crumb_browser::browser::Browser;
use fantoccini::Locator;

/// The administrator's e-mail address and password.
pub const ADMIN_EMAIL: &str = "admin@demo.example";
/// The administrator's password.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
/// The receipt id of one seeded consent record.
pub const RECEIPT: &str = "seeded-receipt-0";
/// The sizes pages are looked at: a phone's and a desktop's.
pub const SIZES: [(&str, u32, u32); 2] = [("phone", 390, 844), ("desktop", 1366, 900)];

/// The running demo site.
pub struct DemoSite {
    /// `http://localhost:<port>`.
    pub origin: String,
    /// Its store.
    pub store: Arc<dyn crumb_store::Store>,
    /// The server's state (the interest profiles' keys).
    pub state: crumb_server::AppState,
    _data: tempfile::TempDir,
}

/// Starts the demo site and fills it.
pub async fn start() -> anyhow::Result<DemoSite> {
    let data = tempfile::tempdir()?;
    let store: Arc<dyn crumb_store::Store> =
        Arc::new(crumb_store::sqlite::SqliteStore::open(&data.path().join("crumb.db"))?);
    let keys = crumb_cookie::Keyring::new(crumb_cookie::Key::generate()?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let config = crumb_core::config::Config::demo_on_port(port);
    let state = crumb_server::AppState::new(config, store.clone(), keys);
    seed(&state).await?;
    let served = state.clone();
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, crumb_server::router(served)).await {
            eprintln!("the demo site stopped: {error}");
        }
    });
    Ok(DemoSite { origin: format!("http://localhost:{port}"), store, state, _data: data })
}

/// An administrator, consent records of the last 5 days (enough a day to
/// be shown per category) and a week of synthetic statistics, rolled up.
async fn seed(state: &crumb_server::AppState) -> anyhow::Result<()> {
    let limiter = crumb_core::accounts::hashing::HashLimiter::new(1, Duration::from_secs(60));
    let hash = crumb_core::accounts::credentials::hash_password(&limiter, ADMIN_PASSWORD.to_owned()).await?;
    let now = state.now_millis();
    state
        .store
        .create_account(&crumb_store::Account {
            user_id: "seeded-admin".into(),
            email: ADMIN_EMAIL.into(),
            email_folded: ADMIN_EMAIL.into(),
            password_hash: hash,
            is_admin: true,
            created_at: now - 40 * 86_400_000,
            theft_detected_at: None,
        })
        .await?;
    let site = state.config.site_name.clone();
    for i in 0..60_i64 {
        let (mut granted, mut refused) = (vec!["necessary".to_owned()], Vec::new());
        for (c, category) in ["preferences", "statistics", "marketing"].into_iter().enumerate() {
            let list = if (i + c as i64) % 3 != 0 { &mut granted } else { &mut refused };
            list.push(category.to_owned());
        }
        state
            .store
            .append_consent(&crumb_store::ConsentRecord {
                receipt_id: format!("seeded-receipt-{i}"),
                consent_id: format!("seeded-browser-{i}"),
                site: site.clone(),
                policy_version: state.config.policy_version.clone(),
                granted,
                refused,
                gpc: false,
                dnt: false,
                language: "en".into(),
                action: crumb_store::ConsentAction::Given,
                recorded_at: now - (i % 5) * 86_400_000 - 60_000,
            })
            .await?;
    }
    let plan = crumb_core::analytics::synth::SynthPlan { site, events: 20_000, days: 7, end: now, seed: 7 };
    let mut chunks = Vec::new();
    crumb_core::analytics::synth::generate(&plan, 5_000, |chunk| chunks.push(chunk));
    for chunk in chunks {
        state.store.append_events(chunk).await?;
    }
    crumb_core::analytics::jobs::run_once(state).await?;
    seed_campaigns(state).await
}

/// Two campaigns managed on `/admin`: an image ad on bicycles and a
/// scheduled HTML one (its markup with a script that the sanitiser drops).
async fn seed_campaigns(state: &crumb_server::AppState) -> anyhow::Result<()> {
    use crumb_core::ads::managed::{self, CampaignInput, TopicRef};
    let bikes = CampaignInput {
        id: "spring-bikes".into(),
        name: "Spring bikes".into(),
        advertiser: "Velo & Co".into(),
        link: "https://velo.example/spring".into(),
        text: Some("Road bikes, 20% off".into()),
        image: Some("/favicon.svg".into()),
        alt: Some("A red road bike".into()),
        topics: vec![TopicRef::Name("Bicycles & Accessories".into())],
        slots: vec!["sidebar".into()],
        daily_cap: Some(10_000),
        frequency_cap: Some(3),
        weight: 1,
        ..CampaignInput::default()
    };
    let sale = CampaignInput {
        id: "winter-sale".into(),
        name: "Winter sale".into(),
        advertiser: "The shop".into(),
        link: "https://shop.example/sale".into(),
        html: Some("<h3>Winter sale</h3><p>Everything <b>30%</b> off<script>alert(1)</script></p>".into()),
        topics: vec![TopicRef::Id(1)],
        start: Some("2099-01-01".into()),
        end: Some("2099-01-31".into()),
        priority: 2,
        weight: 3,
        ..CampaignInput::default()
    };
    for input in [bikes, sale] {
        managed::create(&state.site, input, "seeded-admin").await?;
    }
    crumb_server::admin_campaigns::reload(state).await?;
    Ok(())
}

/// Runs `script` in the page.
pub async fn js(browser: &Browser, script: &str) -> anyhow::Result<serde_json::Value> {
    Ok(browser.client().execute(script, vec![]).await?)
}

/// Waits (up to 5 s) until `script` returns `true`.
pub async fn wait_until(browser: &Browser, script: &str) -> anyhow::Result<()> {
    for _ in 0..100 {
        if js(browser, script).await? == serde_json::Value::Bool(true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("timed out waiting for: {script}")
}

/// Opens `path` of the site.
pub async fn open(browser: &Browser, site: &DemoSite, path: &str) -> anyhow::Result<()> {
    browser.navigate_raw(&format!("{}{path}", site.origin)).await?;
    wait_until(browser, "return document.readyState === 'complete'").await
}

/// Signs in as the administrator with the account page's form.
pub async fn sign_in_as_admin(browser: &Browser, site: &DemoSite) -> anyhow::Result<()> {
    open(browser, site, "/account").await?;
    let client = browser.client();
    client.find(Locator::Css("#sign-in input[name=email]")).await?.send_keys(ADMIN_EMAIL).await?;
    client.find(Locator::Css("#sign-in input[name=password]")).await?.send_keys(ADMIN_PASSWORD).await?;
    client.find(Locator::Css("#sign-in button[type=submit]")).await?.click().await?;
    client.wait().for_element(Locator::Css("#signed-in-as")).await.context("signed in")?;
    Ok(())
}

/// Gives consent to every category with the banner (so that it is gone).
pub async fn accept_all(browser: &Browser) -> anyhow::Result<()> {
    wait_until(browser, "return !!document.querySelector('[data-crumb=accept]')").await?;
    browser.client().find(Locator::Css("[data-crumb=accept]")).await?.click().await?;
    wait_until(browser, "return !document.querySelector('.crumb-b')").await
}

/// The pages to look at, in order: a name, and how to get there from a
/// browser with no cookies (every step after the first keeps the state the
/// one before left).
pub const PAGES: [&str; 10] = [
    "banner",
    "preference-centre",
    "policy",
    "topic-bikes",
    "account-signed-out",
    "account",
    "admin",
    "admin-campaigns",
    "dashboard",
    "interests",
];

/// Pages read by the browser's own interest profile (the one its cookies
/// find, `crumb_server::profile_key`) in this week and the three before:
/// bikes and cooking, then travel, then nothing, then bikes again.
async fn seed_interests(browser: &Browser, site: &DemoSite) -> anyhow::Result<()> {
    let cookies = browser.client().get_all_cookies().await?;
    let header: Vec<String> = cookies.iter().map(|c| format!("{}={}", c.name(), c.value())).collect();
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(axum::http::header::COOKIE, header.join("; ").parse()?);
    let state = &site.state;
    let key = crumb_server::profile_key::for_request(state, &headers)
        .await?
        .context("the browser has a consent decision, so a profile")?;
    let clock = state.profiles.clock(key);
    let now = state.now_millis();
    let current = clock.epoch_at(now);
    let weeks: [&[(u16, usize)]; 4] = [&[(369, 4), (173, 2)], &[(369, 3), (173, 1), (208, 1)], &[], &[(369, 2)]];
    for (back, pages) in (0_i64..).zip(weeks) {
        let epoch = current - back;
        for (topic, count) in pages {
            for _ in 0..*count {
                state
                    .store
                    .record_interests(&state.config.site_name, key.0, epoch, clock.start_of(epoch), &[*topic], now)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Brings `browser` to the page `name` of [`PAGES`], from the state the
/// page before it left.
pub async fn visit(browser: &Browser, site: &DemoSite, name: &str) -> anyhow::Result<()> {
    match name {
        "banner" => {
            browser.client().delete_all_cookies().await?;
            open(browser, site, "/").await?;
            wait_until(browser, "return !!document.querySelector('.crumb-b')").await
        }
        "preference-centre" => {
            browser.client().find(Locator::Css("[data-crumb=choose]")).await?.click().await?;
            wait_until(browser, "return !!document.querySelector('.crumb-d')").await
        }
        "policy" => {
            js(browser, "document.querySelector('.crumb-d [data-crumb=accept]').click(); return true").await?;
            wait_until(browser, "return !document.querySelector('.crumb-d')").await?;
            open(browser, site, "/policy?lang=en").await
        }
        // A demo topic page with its ad slot filled (crumb-ad.js).
        "topic-bikes" => {
            open(browser, site, "/topics/bikes?lang=en").await?;
            wait_until(
                browser,
                "return document.querySelector('[data-crumb-ad]').getAttribute('data-crumb-ad-state') === 'filled'",
            )
            .await
        }
        "account-signed-out" => open(browser, site, "/account").await,
        "account" => sign_in_as_admin(browser, site).await,
        "admin" => open(browser, site, &format!("/admin?receipt={RECEIPT}")).await,
        // The edit form of the seeded HTML campaign, with its sanitised preview.
        "admin-campaigns" => open(browser, site, "/admin/campaigns?edit=winter-sale").await,
        "dashboard" => open(browser, site, "/dashboard").await,
        "interests" => {
            seed_interests(browser, site).await?;
            open(browser, site, "/interests").await
        }
        other => anyhow::bail!("no page {other}"),
    }
}
