//! Statistics end to end in real headless Chromium: the tracker in
//! crumb.js, `POST /api/event`, rollups and the dashboard an administrator
//! opens. With statistics consent: page views (including a single-page-app
//! navigation), a custom event, and a returning visitor on a second day
//! (the server's clock is moved); without consent: nothing, or a cookieless
//! count when the site allows it. Skips, saying so, without Chromium.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crumb_browser::browser::{skip_without_chromium, Browser, BrowserOptions};
use crumb_store::Store;
use fantoccini::Locator;

const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const SITE: &str = "Crumb Demo Shop";
const PASSWORD: &str = "correct horse battery staple";
const DAY_MILLIS: i64 = 86_400_000;
/// 2026-11-20T10:00:00Z.
const START: i64 = 1_795_168_800_000;

struct Server {
    origin: String,
    store: Arc<dyn Store>,
    state: crumb_server::AppState,
    /// Added to the real time on the server's clock.
    offset: Arc<AtomicI64>,
    _data: tempfile::TempDir,
}

async fn start_server(analytics: &str) -> Server {
    let data = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(crumb_store::sqlite::SqliteStore::open(&data.path().join("crumb.db")).unwrap());
    let keys = crumb_cookie::Keyring::new(crumb_cookie::Key::generate().unwrap());
    let text = format!("{}\n[analytics]\n{analytics}\n", crumb_core::config::DEMO_TOML);
    let mut config = crumb_core::config::parse(&text, "crumb.toml").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    config.origins = crumb_core::config::Config::demo_on_port(port).origins;
    // The server's clock starts at 2026-11-20T10:00:00Z and runs at the real pace, plus `offset`.
    let offset = Arc::new(AtomicI64::new(0));
    let clock_offset = offset.clone();
    let started = std::time::Instant::now();
    let clock = Arc::new(move || {
        START + i64::try_from(started.elapsed().as_millis()).unwrap() + clock_offset.load(Ordering::SeqCst)
    });
    let state = crumb_server::AppState::with_clock(config, store.clone(), keys, clock);
    let app = crumb_server::router(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap()
    });
    Server { origin: format!("http://localhost:{port}"), store, state, offset, _data: data }
}

async fn browser(user_agent: Option<&str>) -> Browser {
    let mut options = BrowserOptions::detect().unwrap();
    if let Some(user_agent) = user_agent {
        options.extra_args.push(format!("--user-agent={user_agent}"));
    }
    Browser::launch(&options).await.unwrap()
}

async fn js(browser: &Browser, script: &str) -> serde_json::Value {
    browser.client().execute(script, vec![]).await.unwrap()
}

async fn wait_for_events(server: &Server, count: usize) -> Vec<crumb_store::analytics::StoredEvent> {
    for _ in 0..100 {
        let events = server.store.events_between(SITE, 0, i64::MAX).await.unwrap();
        if events.len() >= count {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events = server.store.events_between(SITE, 0, i64::MAX).await.unwrap();
    panic!("expected {count} events, the store has {}: {events:?}", events.len());
}

async fn cookie_names(browser: &Browser) -> Vec<String> {
    browser.client().get_all_cookies().await.unwrap().iter().map(|c| c.name().to_owned()).collect()
}

async fn wait_banner(browser: &Browser) {
    for _ in 0..100 {
        if js(browser, "return !!document.querySelector('.crumb-b')").await == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no banner");
}

fn skip() -> bool {
    skip_without_chromium("analytics")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_consent_the_dashboard_shows_visits_a_returning_visitor_and_the_custom_event() {
    if skip() {
        return;
    }
    let server = start_server(
        "min_visitors = 1\n[[analytics.funnel]]\nname = \"Sign-up\"\nsteps = [\"/\", \"/products\", \"event:signup\"]",
    )
    .await;
    let visitor = browser(Some(USER_AGENT)).await;
    visitor.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    wait_banner(&visitor).await;
    assert!(wait_for_events_none(&server).await, "nothing is sent before consent");
    visitor.client().find(Locator::Css("[data-crumb=accept]")).await.unwrap().click().await.unwrap();
    let events = wait_for_events(&server, 1).await;
    assert_eq!(events[0].event.path, "/");
    assert!(!events[0].event.cookieless);
    assert!(cookie_names(&visitor).await.contains(&"__Host-crumb_vid".to_owned()), "the visitor cookie is set");

    visitor.navigate_raw(&format!("{}/products", server.origin)).await.unwrap();
    wait_for_events(&server, 2).await;
    js(&visitor, "crumb.track('signup', {plan: 'pro'}); return true").await;
    wait_for_events(&server, 3).await;
    js(&visitor, "history.pushState({}, '', '/spa-page'); return true").await;
    let events = wait_for_events(&server, 4).await;
    assert!(events.iter().any(|e| e.event.path == "/spa-page"), "a single-page-app navigation counts");

    // The next day, the same browser comes back.
    server.offset.store(DAY_MILLIS, Ordering::SeqCst);
    visitor.navigate_raw(&format!("{}/about", server.origin)).await.unwrap();
    wait_for_events(&server, 5).await;
    let (first_day, second_day) = ("2026-11-20", "2026-11-21");
    // The first day is over on the server's clock: roll it up, as the job does.
    server.offset.store(DAY_MILLIS + 3_600_000, Ordering::SeqCst);
    let job = crumb_core::analytics::jobs::run_once(&server.state).await.unwrap();
    assert_eq!(job.days_rolled, 1);

    // An administrator opens the dashboard in the same browser.
    sign_in_admin(&server, &visitor).await;
    let client = visitor.client();
    visitor.navigate_raw(&format!("{}/dashboard?from={first_day}&to={second_day}", server.origin)).await.unwrap();
    let text = |css: &'static str| async move { client.find(Locator::Css(css)).await.unwrap().text().await.unwrap() };
    assert!(text("#kpi-visitors").await.contains('1'), "one visitor: {}", text("#kpi-visitors").await);
    // Day 1: one visit. Day 2: /about, then an hour later /account (the
    // administrator's sign-in page also runs the tracker): two more visits.
    let visits = text("#kpi-visits").await;
    assert!(visits.contains('3'), "visits: {visits}");
    let returning = text("#kpi-returning").await;
    assert!(returning.contains('2'), "both visits of the second day are a returning visitor's: {returning}");
    assert!(text("#kpi-new").await.contains('1'));
    assert!(text("#table-event").await.contains("signup"));
    assert!(text("#table-page").await.contains("/spa-page"));
    assert!(text("#min-visitors").await.contains('1'));
    let points = client.find_all(Locator::Css("#chart .marker")).await.unwrap();
    // The server's clock is at 11:xx on the second day: no point after that hour.
    assert_eq!(points.len(), 24 + 12, "a two-day range is charted per hour, up to now");
    let chart = client.find(Locator::Css("#chart")).await.unwrap().html(false).await.unwrap();
    assert_eq!(chart.matches("visitors: 1 ·").count(), 3, "three hours with a visit: {chart}");

    // The funnel of crumb.toml, one click away; then other steps, typed in.
    let funnel_rows = || async move {
        let mut rows = Vec::new();
        for row in client.find_all(Locator::Css("#funnel-steps tbody tr")).await.unwrap() {
            rows.push(row.text().await.unwrap());
        }
        rows
    };
    client.find(Locator::LinkText("Sign-up")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css("#funnel-steps")).await.unwrap();
    assert_eq!(funnel_rows().await, ["/ 1 100 %", "/products 1 100 %", "event:signup 1 100 %"]);
    let steps = client.find(Locator::Css("#funnel input[name=steps]")).await.unwrap();
    steps.clear().await.unwrap();
    steps.send_keys("/products, /").await.unwrap();
    client.find(Locator::Css("#funnel button")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::XPath("//caption[text()='Steps asked']")).await.unwrap();
    assert_eq!(funnel_rows().await, ["/products 1 100 %", "/ 0 0 %"], "steps count in order");

    // Readable on a phone: at 320 CSS pixels (the narrowest phones in use)
    // nothing makes the page scroll sideways, every block fits the screen,
    // and text stays at a readable size.
    client.set_window_size(320, 740).await.unwrap();
    let layout = js(
        &visitor,
        "const w = window.innerWidth;
         const blocks = [...document.querySelectorAll('header, form.range, .kpis li, figure, section.card')];
         const outside = blocks.filter(b => { const r = b.getBoundingClientRect(); return r.left < 0 || r.right > w + 0.5; })
           .map(b => b.className || b.tagName);
         const widest = [...document.body.querySelectorAll('*')]
           .filter(e => e.getBoundingClientRect().right > w + 0.5 && !e.closest('section.card'))
           .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 30));
         const sizes = [...document.querySelectorAll('td, th, .kpis .l, figcaption')]
           .map(e => parseFloat(getComputedStyle(e).fontSize));
         return {width: w, scroll: document.documentElement.scrollWidth, blocks: blocks.length, outside, widest,
                 smallest: Math.min(...sizes)};",
    )
    .await;
    assert!(layout["width"].as_f64().unwrap() <= 330.0, "the window did not narrow: {layout}");
    assert!(layout["scroll"].as_f64() <= layout["width"].as_f64(), "the page scrolls sideways: {layout}");
    assert!(layout["blocks"].as_u64().unwrap() > 20, "{layout}");
    assert_eq!(layout["outside"], serde_json::json!([]), "blocks wider than the screen: {layout}");
    assert_eq!(layout["widest"], serde_json::json!([]), "elements past the screen's edge: {layout}");
    assert!(layout["smallest"].as_f64().unwrap() >= 12.0, "text too small on a phone: {layout}");
    // The whole page in one picture, for a person to look at.
    let height = js(&visitor, "return document.documentElement.scrollHeight").await.as_u64().unwrap();
    client.set_window_size(320, u32::try_from(height.min(8000)).unwrap()).await.unwrap();
    let screenshot = client.screenshot().await.unwrap();
    let shot_path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-320px.png");
    std::fs::write(&shot_path, screenshot).unwrap();
    eprintln!("dashboard at 320 px: {}", shot_path.display());
    visitor.close().await.unwrap();
}

async fn wait_for_events_none(server: &Server) -> bool {
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.store.events_between(SITE, 0, i64::MAX).await.unwrap().is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_consent_no_cookie_and_no_count_unless_cookieless() {
    if skip() {
        return;
    }
    // Cookieless counting off (the default): reject, browse, nothing.
    let server = start_server("min_visitors = 1").await;
    let visitor = browser(Some(USER_AGENT)).await;
    visitor.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    wait_banner(&visitor).await;
    visitor.client().find(Locator::Css("[data-crumb=reject]")).await.unwrap().click().await.unwrap();
    visitor.navigate_raw(&format!("{}/products", server.origin)).await.unwrap();
    assert!(wait_for_events_none(&server).await, "nothing counted");
    let names = cookie_names(&visitor).await;
    assert!(!names.contains(&"__Host-crumb_vid".to_owned()), "{names:?}");
    visitor.close().await.unwrap();

    // Cookieless counting on: counted, still no cookie beyond the necessary ones.
    let server = start_server("min_visitors = 1\ncookieless = true").await;
    let visitor = browser(Some(USER_AGENT)).await;
    visitor.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    let events = wait_for_events(&server, 1).await;
    assert!(events[0].event.cookieless, "counted without a cookie");
    let mut names = cookie_names(&visitor).await;
    names.sort();
    assert_eq!(names, ["__Host-crumb_session"], "only the necessary session cookie");
    visitor.close().await.unwrap();

    // Headless Chromium's own user agent is a bot: dropped.
    let server = start_server("min_visitors = 1\ncookieless = true").await;
    let headless = browser(None).await;
    headless.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    wait_banner(&headless).await;
    assert!(wait_for_events_none(&server).await, "a headless browser is a bot");
    headless.close().await.unwrap();
}

/// What the tracker sends: a page view per path (a changed query or
/// fragment is the same page), of the URL only the origin, the path and the
/// campaign fields, of the referrer only its site; outbound links opened
/// with the middle button count; a prerendered page counts once shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tracker_sends_a_view_per_path_and_no_query_beyond_campaign_fields() {
    if skip() {
        return;
    }
    let server = start_server("min_visitors = 1\ncookieless = true").await;
    let visitor = browser(Some(USER_AGENT)).await;
    visitor
        .navigate_raw(&format!("{}/products?email=jo%40example.com&utm_source=news#top", server.origin))
        .await
        .unwrap();
    let first = wait_for_events(&server, 1).await;
    assert_eq!((first[0].event.path.as_str(), first[0].event.utm_source.as_str()), ("/products", "news"));
    // From here on, record what the tracker hands to fetch.
    js(
        &visitor,
        "window.sent = []; const f = window.fetch; \
         window.fetch = function (url, options) { \
           if (String(url).indexOf('/api/event') >= 0) sent.push(JSON.parse(options.body)); \
           return f.apply(this, arguments); }; return true",
    )
    .await;
    let sent = |visitor: &Browser| {
        let client = visitor.client().clone();
        async move { client.execute("return window.sent", vec![]).await.unwrap() }
    };
    js(&visitor, "history.replaceState({}, '', location.pathname + '?page=2'); location.hash = 'faq'; return true")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sent(&visitor).await, serde_json::json!([]), "the same path: no new page view");

    js(&visitor, "history.pushState({}, '', '/spa?secret=1&utm_campaign=spring&utm_medium=mail'); return true").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let origin = &server.origin;
    assert_eq!(
        sent(&visitor).await,
        serde_json::json!([{"name": "pageview", "referrer": "", "url": format!("{origin}/spa?utm_medium=mail&utm_campaign=spring")}]),
    );

    let outbound = "const a = document.createElement('a'); a.href = 'https://elsewhere.example/x?token=1'; \
                    a.textContent = 'away'; document.body.append(a); \
                    a.dispatchEvent(new MouseEvent('auxclick', {button: 1, bubbles: true})); \
                    a.dispatchEvent(new MouseEvent('auxclick', {button: 2, bubbles: true})); return true";
    js(&visitor, outbound).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent_now = sent(&visitor).await;
    let sent_now = sent_now.as_array().unwrap();
    assert_eq!(sent_now.len(), 2, "the middle button counts, the right one does not: {sent_now:?}");
    assert_eq!(sent_now[1]["name"], "outbound");
    assert_eq!(sent_now[1]["link"], "https://elsewhere.example/x");

    // A page being prerendered sends once it is shown.
    js(
        &visitor,
        "Object.defineProperty(document, 'prerendering', {value: true, configurable: true}); \
         history.pushState({}, '', '/prerendered'); return true",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sent(&visitor).await.as_array().unwrap().len(), 2, "nothing sent while prerendering");
    js(
        &visitor,
        "Object.defineProperty(document, 'prerendering', {value: false, configurable: true}); \
         document.dispatchEvent(new Event('prerenderingchange')); return true",
    )
    .await;
    let events = wait_for_events(&server, 4).await;
    assert!(events.iter().any(|e| e.event.path == "/prerendered"), "sent once shown");
    visitor.close().await.unwrap();
}

/// Creates an administrator and signs `browser` in as them, through `/account`.
async fn sign_in_admin(server: &Server, browser: &Browser) {
    let limiter = crumb_core::accounts::hashing::HashLimiter::new(1, std::time::Duration::from_secs(60));
    let hash = crumb_core::accounts::credentials::hash_password(&limiter, PASSWORD.to_owned()).await.unwrap();
    let admin = crumb_store::Account {
        user_id: "admin".into(),
        email: "admin@demo.example".into(),
        email_folded: "admin@demo.example".into(),
        password_hash: hash,
        is_admin: true,
        created_at: 0,
        theft_detected_at: None,
    };
    server.store.create_account(&admin).await.unwrap();
    let client = browser.client();
    browser.navigate_raw(&format!("{}/account", server.origin)).await.unwrap();
    client
        .find(Locator::Css("#sign-in input[name=email]"))
        .await
        .unwrap()
        .send_keys("admin@demo.example")
        .await
        .unwrap();
    client.find(Locator::Css("#sign-in input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    client.find(Locator::Css("#sign-in button")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css("#signed-in-as")).await.unwrap();
}

/// Synthetic traffic (as `crumb analytics synth` writes it) over the week
/// before the server's now, rolled up.
async fn synthetic_week(server: &Server) {
    use crumb_core::analytics::synth::{generate, SynthPlan};
    let end = server.state.now_millis();
    let plan = SynthPlan { site: SITE.into(), events: 20_000, days: 7, end, seed: 3 };
    let mut chunks = Vec::new();
    generate(&plan, 20_000, |chunk| chunks.push(chunk));
    for chunk in chunks {
        server.store.append_events(chunk).await.unwrap();
    }
    crumb_core::analytics::jobs::run_once(&server.state).await.unwrap();
}

/// At desktop and phone sizes: a row of the dashboard clicks through to the
/// dashboard filtered by it, the filter is shown and removed with one click;
/// the chart's axis text is at least 11 CSS pixels on a 390-pixel phone and
/// no label is clipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_click_through_to_a_filtered_dashboard_and_the_chart_reads_on_a_phone() {
    if skip() {
        return;
    }
    let server = start_server("min_visitors = 5").await;
    synthetic_week(&server).await;
    let admin = browser(Some(USER_AGENT)).await;
    sign_in_admin(&server, &admin).await;
    let client = admin.client();
    for (width, height) in [(1366u32, 900u32), (390, 844)] {
        client.set_window_size(width, height).await.unwrap();
        admin.navigate_raw(&format!("{}/dashboard?period=7d", server.origin)).await.unwrap();
        assert!(client.find_all(Locator::Css("#filters")).await.unwrap().is_empty(), "no filter yet");
        let first_browser = client.find(Locator::Css("#table-browser tbody tr td a")).await.unwrap();
        let name = first_browser.text().await.unwrap();
        first_browser.click().await.unwrap();
        client.wait().for_element(Locator::Css("#filters")).await.unwrap();
        let url = client.current_url().await.unwrap();
        assert!(url.query().unwrap_or_default().contains(&format!("browser={name}")), "{width}px: {url}");
        let filters = client.find(Locator::Css("#filters")).await.unwrap().text().await.unwrap();
        assert!(filters.contains(&name), "{width}px: the filter is shown: {filters}");
        let shown = js(
            &admin,
            "return [...document.querySelectorAll('#table-browser tbody tr td:first-child')].map(td => td.textContent)",
        )
        .await;
        assert_eq!(shown, serde_json::json!([name]), "{width}px: only that browser's visits");
        // A second filter, from the pages table, keeps the first.
        let page = client.find(Locator::Css("#table-page tbody tr td a")).await.unwrap();
        let path = page.text().await.unwrap();
        page.click().await.unwrap();
        client.wait().for_element(Locator::Css("#filters li + li")).await.unwrap();
        let filters = client.find(Locator::Css("#filters")).await.unwrap().text().await.unwrap();
        assert!(filters.contains(&name) && filters.contains(&path), "{width}px: both filters: {filters}");
        let export = client.find(Locator::LinkText("CSV")).await.unwrap().attr("href").await.unwrap().unwrap();
        assert!(
            export.contains("browser=") && export.contains("page="),
            "{width}px: the CSV is filtered too: {export}"
        );
        // Removing both: the whole site again.
        for _ in 0..2 {
            client.find(Locator::Css("#filters li a")).await.unwrap().click().await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(client.find_all(Locator::Css("#filters")).await.unwrap().is_empty(), "{width}px: filters removed");
        let rows = client.find_all(Locator::Css("#table-browser tbody tr")).await.unwrap();
        assert!(rows.len() > 1, "{width}px: every browser again");

        // The chart's text: readable, and inside the chart's box.
        let chart = js(
            &admin,
            "const box = document.querySelector('figure').getBoundingClientRect();
             const ticks = [...document.querySelectorAll('.tick')];
             const sizes = ticks.map(t => parseFloat(getComputedStyle(t).fontSize));
             const heights = ticks.map(t => t.getBoundingClientRect().height);
             const clipped = ticks.filter(t => { const r = t.getBoundingClientRect();
               return r.left < box.left - 0.5 || r.right > box.right + 0.5; }).map(t => t.textContent);
             const last = document.querySelector('.tick.x.last');
             return {ticks: ticks.length, smallest: Math.min(...sizes), lowest: Math.min(...heights), clipped,
                     last: last && last.textContent, svg: document.querySelector('#chart').getBoundingClientRect().width};",
        )
        .await;
        assert!(chart["ticks"].as_u64().unwrap() >= 6, "{width}px: {chart}");
        assert!(chart["smallest"].as_f64().unwrap() >= 11.0, "{width}px: axis text too small: {chart}");
        assert!(chart["lowest"].as_f64().unwrap() >= 11.0, "{width}px: axis text rendered too small: {chart}");
        assert_eq!(chart["clipped"], serde_json::json!([]), "{width}px: labels outside the chart: {chart}");
        assert!(chart["last"].as_str().is_some_and(|l| !l.is_empty()), "{width}px: the last day is labelled: {chart}");
        let screenshot = client.screenshot().await.unwrap();
        let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dashboard-{width}x{height}.png"));
        std::fs::write(&shot, screenshot).unwrap();
        eprintln!("dashboard at {width}x{height}: {}", shot.display());
    }
    admin.close().await.unwrap();
}
