//! A test client: the real router, crumb's own jar as the browser's cookie
//! store, and every store backend available.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use crumb_cookie::{Jar, ManualClock, RequestContext, RequestUrl, Timestamp};
use crumb_core::{config, Config};
use crumb_server::{router, AppState};
use crumb_store::Store;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The backends to run a test against: SQLite always, PostgreSQL when
/// `CRUMB_TEST_POSTGRES_URL` is set.
pub async fn stores() -> Vec<(&'static str, Arc<dyn Store>)> {
    let mut stores: Vec<(&'static str, Arc<dyn Store>)> =
        vec![("sqlite", Arc::new(crumb_store::sqlite::SqliteStore::open_in_memory().unwrap()))];
    match std::env::var("CRUMB_TEST_POSTGRES_URL") {
        Ok(url) => stores.push((
            "postgres",
            Arc::new(crumb_store::postgres::PgStore::connect_isolated_for_tests(&url).await.unwrap()),
        )),
        Err(_) => {
            // Loud (past libtest's capture), and a failure under CI=true,
            // where PostgreSQL is started: a skip there would hide half a test.
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(!ci, "CRUMB_TEST_POSTGRES_URL is not set under CI=true: the PostgreSQL half must run in CI");
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "SKIPPED (PostgreSQL half): CRUMB_TEST_POSTGRES_URL not set");
        }
    }
    stores
}

pub fn keyring() -> crumb_cookie::Keyring {
    crumb_cookie::Keyring::new(crumb_cookie::Key::from_secret(&[7u8; 32]).unwrap())
}

/// A browser: a jar and the server it talks to.
pub struct Browser {
    pub app: axum::Router,
    pub clock: Arc<ManualClock>,
    pub jar: Jar<Arc<ManualClock>>,
    pub origin: String,
    pub state: AppState,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    }
    pub fn sets(&self, name: &str) -> bool {
        self.set_cookies().iter().any(|c| c.starts_with(&format!("{name}=")) && !c.contains("Max-Age=0"))
    }
    pub fn expires(&self, name: &str) -> bool {
        self.set_cookies().iter().any(|c| c.starts_with(&format!("{name}=")) && c.contains("Max-Age=0"))
    }
}

impl Browser {
    pub fn new(config: Config, store: Arc<dyn Store>) -> Self {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_seconds(1_780_000_000)));
        let server_clock = clock.clone();
        let state = AppState::with_clock(
            config,
            store,
            keyring(),
            Arc::new(move || crumb_cookie::Clock::now(&*server_clock).unix_micros() / 1000),
        );
        Browser {
            app: router(state.clone()),
            state,
            clock: clock.clone(),
            jar: Jar::with_clock(clock),
            origin: "http://localhost:8080".into(),
        }
    }

    pub fn demo(store: Arc<dyn Store>) -> Self {
        Browser::new(config::demo(), store)
    }

    pub async fn send(&mut self, request: Request<Body>) -> Reply {
        let url = RequestUrl::parse(&format!("{}{}", self.origin, request.uri())).unwrap();
        let mut request = request;
        if let Some(header) = self.jar.cookie_header(&url, RequestContext::same_site(request.method().as_str())) {
            request.headers_mut().insert("cookie", header.parse().unwrap());
        }
        let response: Response<Body> = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all("set-cookie") {
            let _ = self.jar.set_cookie(&url, value.as_bytes(), RequestContext::same_site("GET"));
        }
        let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        Reply { status, headers, body }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    pub async fn post_consent(&mut self, granted: &[&str], extra_headers: &[(&str, &str)]) -> Reply {
        let body = serde_json::json!({"granted": granted, "language": "en"}).to_string();
        let mut builder = Request::post("/api/consent")
            .header("content-type", "application/json")
            .header("origin", self.origin.clone())
            .header("sec-fetch-site", "same-origin");
        for (name, value) in extra_headers {
            builder = builder.header(*name, *value);
        }
        self.send(builder.body(Body::from(body)).unwrap()).await
    }

    /// The names of the cookies the browser holds.
    pub fn cookie_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.jar.iter().map(|c| c.name_str().into_owned()).collect();
        names.sort();
        names
    }

    /// The browser is closed and reopened: session cookies go.
    pub fn restart(&mut self) {
        self.jar.end_session();
    }
}

impl Browser {
    /// Another browser (empty jar) on the same server and clock.
    pub fn sibling(&self) -> Browser {
        Browser {
            app: self.app.clone(),
            clock: self.clock.clone(),
            jar: Jar::with_clock(self.clock.clone()),
            origin: self.origin.clone(),
            state: self.state.clone(),
        }
    }
}
