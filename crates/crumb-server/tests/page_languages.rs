//! The account, administration, statistics and problem pages in the
//! reader's language (issue 18): chosen by `?lang=` or `Accept-Language`,
//! kept in the pages' forms and links, counts in their CLDR plural forms,
//! numbers grouped the language's way; the API's problems stay English.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{stores, Browser};
use crumb_store::analytics::{EventKind, EventRecord};

const PASSWORD: &str = "correct horse battery staple";

fn json_post(path: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .header("origin", "http://localhost:8080")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// A browser's form post: form-encoded, same origin, asking for a page.
fn form_post(path: &str, fields: &[(&str, &str)], accept_language: &str) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("accept-language", accept_language)
        .header("origin", "http://localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
        .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
        .unwrap()
}

/// A browser's navigation to `path`, with `accept_language`.
fn page_get(path: &str, accept_language: &str) -> Request<Body> {
    Request::get(path)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("accept-language", accept_language)
        .body(Body::empty())
        .unwrap()
}

async fn register(browser: &mut Browser, email: &str) {
    let reply = browser
        .send(json_post("/api/account/register", serde_json::json!({"email": email, "password": PASSWORD})))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
}

/// A signed-in administrator beside `browser`.
async fn admin(browser: &Browser) -> Browser {
    let mut admin = browser.sibling();
    register(&mut admin, "admin@shop.example").await;
    let account = admin.state.store.account_by_email("admin@shop.example").await.unwrap().unwrap();
    admin.state.store.set_admin(&account.user_id, true).await.unwrap();
    let reply = admin
        .send(json_post(
            "/api/account/sign-in",
            serde_json::json!({"email": "admin@shop.example", "password": PASSWORD}),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    admin
}

#[tokio::test]
async fn the_account_page_in_german_by_lang_or_by_accept_language() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    for (path, accept) in [("/account?lang=de", "en"), ("/account", "de-DE, de;q=0.9, en;q=0.5")] {
        let reply = browser.send(page_get(path, accept)).await;
        assert_eq!(reply.status, StatusCode::OK);
        let html = reply.text();
        assert!(html.contains("<html lang=\"de\">"), "{path}: {html}");
        assert!(html.contains("<h1>Anmelden</h1>"), "{path}: {html}");
        assert!(html.contains("<h2>Bei Ihrem Konto anmelden</h2>"), "{path}");
        assert!(html.contains("<h2>Konto erstellen</h2>"), "{path}");
        assert!(html.contains(">Auf diesem Gerät angemeldet bleiben</label>"), "{path}");
        assert!(html.contains(">Mindestens 12 Zeichen.</span>"), "{path}: the counted hint");
        assert!(html.contains(">Zum Inhalt springen</a>"), "{path}: the layout too");
        // A language chosen with ?lang= is kept in the forms; one from Accept-Language needs no keeping.
        let action = if path.contains("lang=") { "/api/account/sign-in?lang=de" } else { "/api/account/sign-in" };
        assert!(html.contains(&format!("action=\"{action}\"")), "{path}: {action}");
        assert!(!html.contains("Sign in to your account"), "{path}: no English heading left");
    }
}

#[tokio::test]
async fn a_wrong_password_comes_back_as_the_german_page_with_the_error_at_the_field() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        register(&mut browser, "formular@example.com").await;
        let mut visitor = browser.sibling();
        // Posted from the German page (its action carries ?lang=de), by a browser that asks for English.
        let fields = [("email", "formular@example.com"), ("password", "wrong")];
        for (path, accept) in [("/api/account/sign-in?lang=de", "en"), ("/api/account/sign-in", "de")] {
            let reply = visitor.send(form_post(path, &fields, accept)).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{backend} {path}");
            let html = reply.text();
            assert!(html.contains("<html lang=\"de\">"), "{backend} {path}: {html}");
            assert!(
                html.contains(
                    r#"<p class="error" id="sign-in-password-error">E-Mail-Adresse oder Passwort ist falsch.</p>"#
                ),
                "{backend} {path}: {html}"
            );
            assert!(
                html.contains(r#"aria-describedby="sign-in-password-error""#),
                "{backend}: the field names its error"
            );
            assert!(html.contains(r#"aria-invalid="true""#), "{backend}");
            assert!(html.contains(r#"value="formular@example.com""#), "{backend}: the typed e-mail is kept");
        }
        // A password too short at registration: the counted rule, in German.
        let reply = visitor
            .send(form_post(
                "/api/account/register?lang=de",
                &[("email", "neu@example.com"), ("password", "kurz")],
                "en",
            ))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(
            reply.text().contains(
                r#"id="register-password-error">Das Passwort ist zu kurz: Verwenden Sie mindestens 12 Zeichen.</p>"#
            ),
            "{backend}: {}",
            reply.text()
        );
        // The API client still gets the English problem.
        let api = visitor
            .send(json_post(
                "/api/account/sign-in?lang=de",
                serde_json::json!({"email": "formular@example.com", "password": "wrong"}),
            ))
            .await;
        assert_eq!(api.headers["content-type"], "application/problem+json");
        assert_eq!(api.json()["detail"], "wrong e-mail or password", "{backend}");
    }
}

#[tokio::test]
async fn a_form_that_worked_keeps_the_language_in_its_redirect() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let reply = browser
        .send(form_post("/api/account/register?lang=fr", &[("email", "x@example.com"), ("password", PASSWORD)], "en"))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let location = reply.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/account?notice=registered&lang=fr");
    let html = browser.send(page_get(&location, "en")).await.text();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(
        html.contains("id=\"notice\">Si cette adresse n’était pas encore inscrite, le compte existe désormais"),
        "{html}"
    );
}

#[tokio::test]
async fn the_admin_page_in_polish_counts_accounts_in_their_plural_forms() {
    let (_, store) = stores().await.remove(0);
    let browser = Browser::demo(store);
    let mut admin = admin(&browser).await;
    let mut other = browser.sibling();
    // 1 account (the administrator's), then 2, then 5: CLDR's one, few and many of Polish.
    for (n, word) in [(1, "konto"), (2, "konta"), (5, "kont")] {
        let mut count = admin.state.store.count_accounts().await.unwrap();
        while count < n {
            register(&mut other, &format!("user{count}@example.com")).await;
            count += 1;
        }
        let reply = admin.send(page_get("/admin?lang=pl", "en")).await;
        assert_eq!(reply.status, StatusCode::OK);
        let html = reply.text();
        assert!(html.contains("<html lang=\"pl\">"), "{html}");
        assert!(html.contains("<h1>Administracja</h1>"), "{html}");
        assert!(html.contains(&format!("<span><strong>{n}</strong> {word}</span>")), "{n}: {html}");
        assert!(html.contains(&format!("<p>{n} {word}, w tym następujący administratorzy:</p>")), "{n}: {html}");
    }
    let html = admin.send(page_get("/admin?lang=pl", "en")).await.text();
    assert!(html.contains(">Wyszukaj zapis zgody</h2>"), "{html}");
    assert!(html.contains("<input type=\"hidden\" name=\"lang\" value=\"pl\">"), "the look-up keeps the language");
    // A receipt that does not exist: the look-up's error, in Polish.
    let html = admin.send(page_get("/admin?lang=pl&receipt=nope", "en")).await.text();
    assert!(
        html.contains(
            "id=\"record-missing\">Żaden zapis zgody tej witryny nie ma numeru potwierdzenia <code>nope</code>."
        ),
        "{html}"
    );
    assert!(html.contains("href=\"/dashboard?lang=pl\""), "the page's links keep the language");
}

/// `n` page views by 20 visitors, today, in the store.
async fn page_views(browser: &Browser, n: i64) {
    let now = browser.state.now_millis();
    let site = browser.state.config.site_name.clone();
    let events = (0..n)
        .map(|i| EventRecord {
            site: site.clone(),
            at: now - 60_000 - i * 500,
            visitor: i % 20,
            cookieless: false,
            user: None,
            kind: EventKind::Pageview,
            name: "pageview".into(),
            path: format!("/{}", i % 3),
            source: String::new(),
            utm_source: String::new(),
            utm_medium: String::new(),
            utm_campaign: String::new(),
            browser: "Firefox".into(),
            os: "Linux".into(),
            device: "desktop".into(),
            props: vec![],
        })
        .collect();
    browser.state.store.append_events(events).await.unwrap();
}

#[tokio::test]
async fn the_dashboard_in_each_language_with_its_own_digit_grouping() {
    let (_, store) = stores().await.remove(0);
    let browser = Browser::demo(store);
    const VIEWS: i64 = 1_234;
    page_views(&browser, VIEWS).await;
    let mut admin = admin(&browser).await;
    let (thousands, rest) = (VIEWS / 1000, VIEWS % 1000);
    for (lang, label, figure) in [
        ("en", "Page views", format!("{thousands},{rest:03}")),
        ("de", "Seitenaufrufe", format!("{thousands}.{rest:03}")),
        ("fr", "Pages vues", format!("{thousands}\u{202f}{rest:03}")),
        // Polish groups from five digits on (CLDR's minimum grouping digits: 2).
        ("pl", "Odsłony", format!("{thousands}{rest:03}")),
    ] {
        let reply = admin.send(page_get(&format!("/dashboard?period=today&lang={lang}"), "en")).await;
        assert_eq!(reply.status, StatusCode::OK, "{lang}");
        let html = reply.text();
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{lang}");
        let kpi = format!(r#"<li id="kpi-pageviews"><span class="l">{label}</span><span class="n">{figure}</span>"#);
        assert!(html.contains(&kpi), "{lang}: {kpi} in {html}");
        assert!(html.contains(&format!("<input type=\"hidden\" name=\"lang\" value=\"{lang}\">")), "{lang}");
        assert!(html.contains(&format!("?period=7d&#38;lang={lang}\"")), "{lang}: the presets keep the language");
    }
    let html = admin.send(page_get("/dashboard?period=today", "pl")).await.text();
    assert!(html.contains("<html lang=\"pl\">"), "Accept-Language chooses too");
    assert!(html.contains("?period=7d\""), "a language from Accept-Language is not written into the links");
    assert!(html.contains(">Najczęstsze strony</h2>") && html.contains(">7 dni</a>"), "{html}");
    // A range the page cannot show, said in German next to the fields.
    let reply = admin.send(page_get("/dashboard?from=2026-05-20&to=2026-05-10&lang=de", "en")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.text().contains("id=\"range-fault\">„Bis“ (2026-05-10) liegt vor „Von“ (2026-05-20)."),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn problem_pages_and_the_sign_in_redirect_follow_the_language() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let reply = browser.send(page_get("/no-such-page?lang=it", "en")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let html = reply.text();
    assert!(html.contains("<html lang=\"it\">") && html.contains("<h1>Non trovato</h1>"), "{html}");
    register(&mut browser, "plain@example.com").await;
    let reply = browser
        .send(json_post(
            "/api/account/sign-in",
            serde_json::json!({"email": "plain@example.com", "password": PASSWORD}),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = browser.send(page_get("/admin", "sv")).await.text();
    assert!(html.contains("<html lang=\"sv\">") && html.contains("<h1>Förbjudet</h1>"), "{html}");
    // Signed out, the page that needs an account sends to the sign-in page in the language asked for.
    let mut stranger = browser.sibling();
    let reply = stranger.send(page_get("/dashboard?lang=cs", "en")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.headers["location"], "/account?return=%2Fdashboard%3Flang%3Dcs&lang=cs");
    // The throttle's wait, counted in Czech, at the sign-in form.
    let mut statuses = Vec::new();
    let mut last = String::new();
    for _ in 0..5 {
        let reply = stranger
            .send(form_post("/api/account/sign-in?lang=cs", &[("email", "plain@example.com"), ("password", "x")], "en"))
            .await;
        statuses.push(reply.status);
        last = reply.text();
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert!(last.contains("id=\"sign-in-error\">Příliš mnoho pokusů."), "{last}");
}
