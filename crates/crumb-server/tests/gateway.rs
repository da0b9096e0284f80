//! crumb as a gateway in front of crumb-testsite, over real loopback TCP:
//! consent enforced on `Cookie` and `Set-Cookie`, withdrawal, the live
//! audit, the script tag in HTML (plain, gzip, Latin-1, already tagged),
//! redirects and JSON, streaming a 20 MB upload, 502 and 504, a WebSocket-style
//! upgrade, and the `Forwarded` headers the site sees.
#![allow(clippy::unwrap_used)]

use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use crumb_core::config::{GatewaySettings, UndeclaredCookies};
use crumb_server::AppState;
use crumb_store::sqlite::SqliteStore;
use crumb_store::{AccountStore as _, SightingKind, Store as _};
use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const PREFIX: &str = "/_crumb";
const TAG: &str = "<script src=\"/_crumb/crumb.js\" defer></script>";

/// Routes this test adds to the test site: a streaming upload counter, a
/// slow page, an upgrade that echoes, the headers the site received.
fn local_routes() -> Router {
    Router::new()
        .route("/upload", post(upload))
        .route("/slow", get(slow))
        .route("/ws", get(upgrade_echo))
        .route("/headers", get(headers_seen))
        .route("/br", get(brotli_page))
        .route("/big.html", get(big_page))
        .route("/trickle", get(trickle))
        .route("/upload-in-halves", post(upload_in_halves))
}

/// Signalled by [`upload_in_halves`] when the first bytes arrived.
fn upload_started() -> &'static tokio::sync::Notify {
    static STARTED: std::sync::OnceLock<tokio::sync::Notify> = std::sync::OnceLock::new();
    STARTED.get_or_init(tokio::sync::Notify::new)
}

/// Says when the first bytes arrive, then counts the whole body.
async fn upload_in_halves(body: Body) -> String {
    let mut stream = body.into_data_stream();
    let mut total = 0;
    while let Some(chunk) = stream.next().await {
        if total == 0 {
            upload_started().notify_one();
        }
        total += chunk.unwrap().len();
    }
    total.to_string()
}

/// Lines of [`big_page`], each its own chunk.
const BIG_LINES: usize = 100_000;

/// An HTML page of about 3 MB in 100,002 chunks, `</head>` split across two.
async fn big_page() -> Response {
    let head = futures_util::stream::iter(["<!doctype html><head><title>big</title></he", "ad><body>\n"]);
    let lines = futures_util::stream::iter(0..BIG_LINES).map(|i| {
        let line: &'static str =
            if i % 2 == 0 { "<p>0123456789012345678901234567890123456789</p>\n" } else { "<br>\n" };
        line
    });
    let stream = head.chain(lines).map(|text| Ok::<_, std::io::Error>(axum::body::Bytes::from_static(text.as_bytes())));
    Response::builder().header("content-type", "text/html").body(Body::from_stream(stream)).unwrap()
}

/// Released by the test once it has read the first part of [`trickle`].
fn trickle_release() -> &'static tokio::sync::Notify {
    static RELEASE: std::sync::OnceLock<tokio::sync::Notify> = std::sync::OnceLock::new();
    RELEASE.get_or_init(tokio::sync::Notify::new)
}

/// An HTML page whose end is sent only when the test says so.
async fn trickle() -> Response {
    let first = futures_util::stream::once(async { "<!doctype html><head></head><body>first part" });
    let rest = futures_util::stream::once(async {
        trickle_release().notified().await;
        " and the rest</body>"
    });
    let stream = first.chain(rest).map(|text| Ok::<_, std::io::Error>(axum::body::Bytes::from_static(text.as_bytes())));
    Response::builder().header("content-type", "text/html").body(Body::from_stream(stream)).unwrap()
}

/// An HTML page sent brotli-compressed (`Content-Encoding: br`).
async fn brotli_page() -> Response {
    use std::io::Write as _;
    let mut compressed = Vec::new();
    {
        let mut encoder = brotli::CompressorWriter::new(&mut compressed, 4096, 5, 22);
        encoder.write_all(b"<!doctype html><html><head><title>br</title></head><body>brotli</body></html>").unwrap();
    }
    Response::builder()
        .header("content-type", "text/html; charset=utf-8")
        .header("content-encoding", "br")
        .header("content-length", compressed.len())
        .header("vary", "Accept-Encoding")
        .body(Body::from(compressed))
        .unwrap()
}

/// Counts the body as it streams in and checks its pattern (byte i is i % 251).
async fn upload(body: Body) -> Response {
    let mut stream = body.into_data_stream();
    let (mut total, mut intact) = (0usize, true);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        intact &= chunk.iter().enumerate().all(|(i, b)| usize::from(*b) == (total + i) % 251);
        total += chunk.len();
    }
    axum::Json(serde_json::json!({"bytes": total, "intact": intact})).into_response()
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(30)).await;
    "too late"
}

async fn upgrade_echo(mut request: Request) -> Response {
    let on_upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let upgraded = on_upgrade.await.unwrap();
        let mut io = hyper_util::rt::TokioIo::new(upgraded);
        let mut buffer = [0u8; 1024];
        loop {
            let n = io.read(&mut buffer).await.unwrap_or(0);
            if n == 0 || io.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header("connection", "upgrade")
        .header("upgrade", "echo")
        .body(Body::empty())
        .unwrap()
}

async fn headers_seen(headers: HeaderMap) -> Response {
    let get = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    axum::Json(serde_json::json!({
        "host": get("host"),
        "forwarded": get("forwarded"),
        "x-forwarded-for": get("x-forwarded-for"),
        "x-forwarded-proto": get("x-forwarded-proto"),
        "x-forwarded-host": get("x-forwarded-host"),
        "connection": get("connection"),
        "x-hop": get("x-hop"),
    }))
    .into_response()
}

async fn serve(listener: tokio::net::TcpListener, router: Router) {
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
}

/// The test site plus [`local_routes`], on a loopback port.
async fn upstream() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    serve(listener, crumb_testsite::router().merge(local_routes())).await;
    address
}

struct Gateway {
    base: String,
    state: AppState,
    store: Arc<SqliteStore>,
    http: reqwest::Client,
}

impl Gateway {
    async fn start(upstream: SocketAddr, undeclared: UndeclaredCookies, timeout: Duration) -> Gateway {
        Gateway::start_with(upstream, undeclared, timeout, "").await
    }

    /// A gateway whose declaration is the test site's plus `extra` TOML.
    async fn start_with(
        upstream: SocketAddr,
        undeclared: UndeclaredCookies,
        timeout: Duration,
        extra: &str,
    ) -> Gateway {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let text = format!("{}{extra}", crumb_testsite::DECLARATION);
        let mut config = crumb_core::config::parse(&text, "crumb.toml").unwrap();
        config.origins = vec![format!("http://127.0.0.1:{}", address.port())];
        let mut settings = GatewaySettings::to(&format!("http://{upstream}")).unwrap();
        settings.undeclared = undeclared;
        settings.timeout = timeout;
        settings.policy_path = Some("/cookie-policy".into());
        config.gateway = Some(settings);
        assert_eq!(config.prefix, PREFIX);
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        let keys = crumb_cookie::Keyring::new(crumb_cookie::Key::from_secret(&[7u8; 32]).unwrap());
        let state = AppState::new(config, store.clone(), keys);
        serve(listener, crumb_server::router(state.clone())).await;
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Gateway { base: format!("http://{address}"), state, store, http }
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    /// Records a decision through crumb's own route under the prefix; the
    /// consent cookie's `name=value`.
    async fn decide(&self, granted: &[&str]) -> String {
        let response = self
            .http
            .post(format!("{}{PREFIX}/api/consent", self.base))
            .header("origin", &self.base)
            .json(&serde_json::json!({"granted": granted, "language": "en"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let name = &self.state.names.consent;
        set_cookies(&response)
            .into_iter()
            .find(|line| line.starts_with(&format!("{name}=")))
            .map(|line| line.split(';').next().unwrap().to_owned())
            .unwrap()
    }

    async fn flush(&self) {
        self.state.gateway_audit.flush(self.store.as_ref()).await.unwrap();
    }
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

fn names(lines: &[String]) -> Vec<String> {
    lines.iter().map(|line| line.split('=').next().unwrap().to_owned()).collect()
}

async fn echo(gateway: &Gateway, cookie: &str) -> String {
    let body: serde_json::Value = gateway.get("/echo", Some(cookie)).await.json().await.unwrap();
    body["cookie"].as_str().unwrap_or("").to_owned()
}

const ALL_COOKIES: &str = "shop_session=b1; site_stats=s1; site_ads=a1; mystery=m1";

#[test]
fn the_test_sites_declaration_is_valid_for_a_gateway() {
    let config = crumb_core::config::parse(crumb_testsite::DECLARATION, "crumb.toml").unwrap();
    let gateway = config.gateway.as_ref().unwrap();
    assert_eq!(gateway.upstream.as_str(), "http://127.0.0.1:3000/");
    assert_eq!(gateway.undeclared, UndeclaredCookies::Block);
    assert_eq!(config.prefix, PREFIX);
    for name in ["shop_session", "site_stats", "script_stats", "site_ads"] {
        assert!(config.cookies.iter().any(|c| c.name == name && !c.set_by_crumb), "{name}");
    }
    assert!(!config.cookies.iter().any(|c| c.name == "mystery" || c.name == "script_mystery"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_consent_only_necessary_cookies_pass_both_ways() {
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let home = gateway.get("/", None).await;
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(names(&set_cookies(&home)), ["shop_session"]);
    assert_eq!(echo(&gateway, ALL_COOKIES).await, "shop_session=b1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_consent_lets_statistics_cookies_pass_and_withdrawal_expires_them() {
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let consent = gateway.decide(&["statistics"]).await;
    let home = gateway.get("/", Some(&consent)).await;
    assert_eq!(names(&set_cookies(&home)), ["shop_session", "site_stats"]);
    let seen = echo(&gateway, &format!("{consent}; {ALL_COOKIES}")).await;
    assert_eq!(seen, "shop_session=b1; site_stats=s1", "crumb's own cookie and ungranted ones stay with crumb");

    // Refusing statistics: a request still carrying site_stats gets it expired.
    let refused = gateway.decide(&[]).await;
    let after = gateway.get("/about", Some(&format!("{refused}; shop_session=b1; site_stats=s1"))).await;
    let lines = set_cookies(&after);
    assert_eq!(names(&lines), ["site_stats"], "{lines:?}");
    assert!(lines[0].starts_with("site_stats=;") && lines[0].contains("Max-Age=0") && lines[0].contains("Path=/"));
    assert_eq!(echo(&gateway, &format!("{refused}; shop_session=b1; site_stats=s1")).await, "shop_session=b1");
}

/// Honoured privacy signals refuse on the wire what they refuse in crumb:
/// GPC marketing, DNT statistics and marketing, whatever the consent cookie says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_signals_refuse_on_the_wire_too() {
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let consent = gateway.decide(&["statistics", "marketing"]).await;
    let cookie = format!("{consent}; {ALL_COOKIES}");
    let seen = |signal: Option<(&'static str, &'static str)>| {
        let mut request = gateway.http.get(format!("{}/echo", gateway.base)).header("cookie", &cookie);
        if let Some((name, value)) = signal {
            request = request.header(name, value);
        }
        async move {
            let body: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            body["cookie"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(seen(None).await, "shop_session=b1; site_stats=s1; site_ads=a1");
    assert_eq!(seen(Some(("sec-gpc", "1"))).await, "shop_session=b1; site_stats=s1");
    assert_eq!(seen(Some(("dnt", "1"))).await, "shop_session=b1");
    let home = gateway.http.get(format!("{}/", gateway.base)).header("cookie", &cookie).header("sec-gpc", "1");
    let home = home.send().await.unwrap();
    let lines = set_cookies(&home);
    assert_eq!(names(&lines)[..2], ["shop_session", "site_stats"], "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("site_ads=;") && l.contains("Max-Age=0")),
        "withdrawn by the signal: {lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_cookies_follow_the_setting_and_are_always_recorded() {
    let site = upstream().await;
    let blocking = Gateway::start(site, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    assert!(!names(&set_cookies(&blocking.get("/", None).await)).contains(&"mystery".to_owned()));
    assert_eq!(echo(&blocking, "mystery=m1; shop_session=b1").await, "shop_session=b1");

    let allowing = Gateway::start(site, UndeclaredCookies::Allow, Duration::from_secs(10)).await;
    assert!(names(&set_cookies(&allowing.get("/", None).await)).contains(&"mystery".to_owned()));
    assert_eq!(echo(&allowing, "mystery=m1; shop_session=b1").await, "mystery=m1; shop_session=b1");

    for gateway in [&blocking, &allowing] {
        gateway.flush().await;
        let site_name = &gateway.state.config.site_name;
        let seen = gateway.store.gateway_sightings(site_name).await.unwrap();
        let mystery: Vec<_> =
            seen.iter().filter(|s| s.kind == SightingKind::Undeclared && s.name == "mystery").collect();
        // Once from the upstream's Set-Cookie (Path=/), once from the request's Cookie (no path known).
        assert_eq!(mystery.len(), 2, "{seen:?}");
        assert!(mystery.iter().any(|s| s.path == "/" && s.sample_path == "/"), "{mystery:?}");
        assert!(mystery.iter().any(|s| s.path.is_empty() && s.sample_path == "/echo"), "{mystery:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_gets_the_script_tag_once_and_other_bodies_are_untouched() {
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let home = gateway.get("/", None).await.text().await.unwrap();
    assert_eq!(home.matches(TAG).count(), 1);
    assert!(home.contains(&format!("{TAG}</head>")), "before </head>");
    assert!(home.contains("<script type=\"text/plain\" data-crumb-category=\"statistics\">"), "gating kept");

    let compressed = gateway.get("/gzip", None).await;
    assert!(compressed.headers().get("content-encoding").is_none_or(|v| v == "gzip"));
    let gzip = compressed.headers().get("content-encoding").is_some();
    assert_eq!(compressed.headers().get("vary").unwrap(), "Accept-Encoding");
    assert!(compressed.headers().get("content-length").is_none_or(|_| !gzip));
    let bytes = compressed.bytes().await.unwrap();
    let text = if gzip {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
        text
    } else {
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    assert_eq!(text.matches(TAG).count(), 1, "{text}");

    let br = gateway.get("/br", None).await;
    assert!(br.headers().get("content-encoding").is_none(), "decoded and sent as identity");
    assert!(br.headers().get("content-length").is_none(), "the length changed");
    assert_eq!(br.headers().get("vary").unwrap(), "Accept-Encoding");
    assert_eq!(
        br.text().await.unwrap(),
        format!("<!doctype html><html><head><title>br</title>{TAG}</head><body>brotli</body></html>")
    );

    let latin1 = gateway.get("/latin1", None).await.bytes().await.unwrap();
    let mut expected = b"<!doctype html><html><head><title>Caf\xe9</title>".to_vec();
    expected.extend_from_slice(TAG.as_bytes());
    expected.extend_from_slice(b"</head><body><h1>Caf\xe9</h1></body></html>");
    assert_eq!(latin1.to_vec(), expected);

    let tagged = gateway.get("/tagged", None).await.text().await.unwrap();
    assert_eq!(tagged.matches("/_crumb/crumb.js").count(), 1, "{tagged}");

    let json = gateway.get("/api/data", None).await;
    assert!(set_cookies(&json).is_empty(), "site_stats removed without consent");
    assert_eq!(json.text().await.unwrap(), r#"{"items":["bicycle","helmet"]}"#);

    let redirect = gateway.get("/go", None).await;
    assert_eq!(redirect.status(), StatusCode::FOUND);
    assert_eq!(redirect.headers().get("location").unwrap(), "/");
    assert!(set_cookies(&redirect).is_empty(), "site_ads removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crumbs_own_routes_answer_under_the_prefix_and_the_policy_path() {
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let script = gateway.get("/_crumb/crumb.js", None).await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.headers()["content-type"].to_str().unwrap().contains("javascript"));
    for path in ["/_crumb/policy", "/cookie-policy"] {
        let policy = gateway.get(path, None).await;
        assert_eq!(policy.status(), StatusCode::OK, "{path}");
        let html = policy.text().await.unwrap();
        assert!(html.contains("site_stats") && html.contains("shop_session"), "{path}");
        assert!(!html.contains("Test Shop</title>\n<meta name=\"viewport\""), "{path} is crumb's page, not the site's");
    }
    // The site's pages carry none of crumb's security headers.
    let home = gateway.get("/", None).await;
    assert!(home.headers().get("content-security-policy").is_none());
    assert!(home.headers().get("x-request-id").is_some(), "the outer layers still apply");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_lists_what_the_gateway_saw() {
    use crumb_server::pages::admin;
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let _ = gateway.get("/", Some("shop_session=b1")).await;
    gateway.flush().await;
    let rows = admin::gateway_rows(gateway.store.as_ref(), &gateway.state.config.site_name).await.unwrap();
    assert!(rows.iter().any(|r| r.name == "mystery"), "{:?}", rows.iter().map(|r| &r.name).collect::<Vec<_>>());
    let html = admin::render_gateway_section(rows);
    assert!(html.contains("Cookies seen by the gateway that the declaration does not name"));
    assert!(html.contains("mystery"));
    let empty = admin::render_gateway_section(Vec::new());
    assert!(empty.contains("No undeclared cookies have been seen."), "{empty}");
}

/// `/admin` through the gateway, signed in as an administrator: the
/// empty state, then the undeclared cookie the site set and the browser sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_through_the_gateway_shows_the_empty_state_then_the_sightings() {
    let extra = "\n[accounts]\nenabled = true\n";
    let gateway = Gateway::start_with(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10), extra).await;
    let (email, password) = ("boss@example.com", "a long admin passphrase");
    let post = |path: &str, body: serde_json::Value| {
        gateway.http.post(format!("{}{PREFIX}{path}", gateway.base)).header("origin", &gateway.base).json(&body).send()
    };
    let registered =
        post("/api/account/register", serde_json::json!({"email": email, "password": password})).await.unwrap();
    assert_eq!(registered.status(), StatusCode::ACCEPTED);
    let signed_in =
        post("/api/account/sign-in", serde_json::json!({"email": email, "password": password, "remember": false}))
            .await
            .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie: Vec<String> =
        set_cookies(&signed_in).iter().map(|line| line.split(';').next().unwrap().to_owned()).collect();
    let cookie = cookie.join("; ");
    let account = gateway.store.account_by_email(email).await.unwrap().unwrap();
    gateway.store.set_admin(&account.user_id, true).await.unwrap();
    let admin_page = || {
        gateway
            .http
            .get(format!("{}{PREFIX}/admin", gateway.base))
            .header("cookie", &cookie)
            .header("accept", "text/html")
            .send()
    };
    let empty = admin_page().await.unwrap();
    assert_eq!(empty.status(), StatusCode::OK);
    let html = empty.text().await.unwrap();
    assert!(html.contains("Cookies seen by the gateway that the declaration does not name"), "{html}");
    assert!(html.contains("No undeclared cookies have been seen."), "{html}");

    let _ = gateway.get("/products", None).await;
    let _ = gateway.get("/private/page", Some("mystery=m1")).await;
    // No explicit flush: the page writes the tally before it reads.
    let html = admin_page().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"id="gateway-sightings""#), "{html}");
    assert!(html.contains("<code>mystery</code>") && html.contains("<code>/private/page</code>"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_megabyte_upload_streams_through_intact() {
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let size = 20 * 1024 * 1024;
    let body: Vec<u8> = (0..size).map(|i| u8::try_from(i % 251).unwrap()).collect();
    let response = gateway.http.post(format!("{}/upload", gateway.base)).body(body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let seen: serde_json::Value = response.json().await.unwrap();
    assert_eq!(seen, serde_json::json!({"bytes": size, "intact": true}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_streams_through_with_the_tag_in_it() {
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let big = gateway.get("/big.html", None).await.text().await.unwrap();
    assert_eq!(big.matches(TAG).count(), 1);
    assert!(big.starts_with(&format!("<!doctype html><head><title>big</title>{TAG}</head><body>\n")));
    assert_eq!(big.matches("<p>").count() + big.matches("<br>").count(), BIG_LINES, "every chunk arrived");

    // The first part arrives while the upstream still holds back the end:
    // the gateway does not wait for the whole body. (A gateway that did
    // would never answer, and the guard below would fail the test.)
    let mut page = gateway.get("/trickle", None).await;
    let mut received = Vec::new();
    while !String::from_utf8_lossy(&received).contains("first part") {
        let chunk = tokio::time::timeout(Duration::from_secs(20), page.chunk()).await.expect("the first part arrives");
        received.extend_from_slice(&chunk.unwrap().unwrap());
    }
    trickle_release().notify_one();
    while let Some(chunk) = page.chunk().await.unwrap() {
        received.extend_from_slice(&chunk);
    }
    assert_eq!(
        String::from_utf8(received).unwrap(),
        format!("<!doctype html><head>{TAG}</head><body>first part and the rest</body>")
    );
}

/// The first half of an upload reaches the site before the client sends
/// the second: the gateway does not wait for the whole request body. (A
/// gateway that did would never pass the first half on, and the guard
/// below would fail the test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_reaches_the_site_as_it_is_sent() {
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let address = gateway.base.trim_start_matches("http://");
    let half = vec![b'x'; 1024 * 1024];
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /upload-in-halves HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        2 * half.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&half).await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), upload_started().notified())
        .await
        .expect("the first half reaches the site before the second is sent");
    stream.write_all(&half).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(&(2 * half.len()).to_string()), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_502_and_a_slow_one_504() {
    let closed = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let down = Gateway::start(closed, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let api = down.get("/api/data", None).await;
    assert_eq!(api.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(api.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = api.json().await.unwrap();
    assert_eq!(problem["type"], "/_crumb/problems/upstream-unreachable");
    let page = down.http.get(format!("{}/", down.base)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_GATEWAY);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Site unreachable") && html.contains("/_crumb/problems/upstream-unreachable"), "{html}");

    let slow = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(1)).await;
    let late = slow.get("/slow", None).await;
    assert_eq!(late.status(), StatusCode::GATEWAY_TIMEOUT);
    let problem: serde_json::Value = late.json().await.unwrap();
    assert_eq!(problem["type"], "/_crumb/problems/upstream-timed-out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_is_tunnelled_both_ways() {
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let address = gateway.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let handshake = format!("GET /ws HTTP/1.1\r\nHost: {address}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
    stream.write_all(handshake.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(stream.read(&mut byte).await.unwrap(), 1, "closed during the handshake: {head:?}");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: echo"), "{head}");
    for message in [&b"hello"[..], b"through the gateway"] {
        stream.write_all(message).await.unwrap();
        let mut back = vec![0u8; message.len()];
        stream.read_exact(&mut back).await.unwrap();
        assert_eq!(back, message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_sees_who_asked_and_no_hop_by_hop_fields() {
    let gateway = Gateway::start(upstream().await, UndeclaredCookies::Block, Duration::from_secs(10)).await;
    let address = gateway.base.trim_start_matches("http://").to_owned();
    let seen: serde_json::Value = gateway
        .http
        .get(format!("{}/headers", gateway.base))
        .header("x-forwarded-for", "6.6.6.6")
        .header("connection", "x-hop")
        .header("x-hop", "1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["host"], address.as_str(), "the visitor's Host is preserved");
    assert_eq!(seen["x-forwarded-for"], "127.0.0.1", "a client's own value is not believed");
    assert_eq!(seen["x-forwarded-proto"], "http");
    assert_eq!(seen["x-forwarded-host"], address.as_str());
    assert_eq!(seen["forwarded"], format!("for=127.0.0.1;host=\"{address}\";proto=http"));
    assert!(seen["x-hop"].is_null(), "a field Connection names is hop-by-hop");
}
