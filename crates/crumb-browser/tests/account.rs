//! Remember-me in real headless Chromium: sign in with "remember me", drop
//! the session cookies as a browser does when it closes, reload — still
//! signed in, and the remember-me cookie has rotated.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use crumb_browser::browser::{skip_without_chromium, Browser, BrowserOptions};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remember_me_survives_closing_the_browser_and_rotates() {
    if skip_without_chromium("remember_me_survives_closing_the_browser_and_rotates") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let store = crumb_store::sqlite::SqliteStore::open(&data.path().join("crumb.db")).unwrap();
    let keys = crumb_cookie::Keyring::new(crumb_cookie::Key::generate().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = crumb_core::config::Config::demo_on_port(port);
    let state = crumb_server::AppState::new(config, Arc::new(store), keys);
    let origin = format!("http://localhost:{port}");
    tokio::spawn(async move { axum::serve(listener, crumb_server::router(state)).await.unwrap() });

    let browser = Browser::launch(&BrowserOptions::detect().unwrap()).await.unwrap();
    let client = browser.client();
    browser.navigate_raw(&format!("{origin}/account")).await.unwrap();
    let fill = |form: &'static str, field: &'static str, value: &'static str| async move {
        let input = client.find(Locator::Css(&format!("#{form} input[name={field}]"))).await.unwrap();
        input.send_keys(value).await.unwrap();
    };
    fill("register", "email", "remember@example.com").await;
    fill("register", "password", "correct horse battery staple").await;
    client.find(Locator::Css("#register button")).await.unwrap().click().await.unwrap();
    client.wait().for_element(Locator::Css("#notice")).await.unwrap();
    fill("sign-in", "email", "remember@example.com").await;
    fill("sign-in", "password", "correct horse battery staple").await;
    client.find(Locator::Css("#sign-in input[name=remember]")).await.unwrap().click().await.unwrap();
    client.find(Locator::Css("#sign-in button")).await.unwrap().click().await.unwrap();
    let signed_in = client.wait().for_element(Locator::Css("#signed-in-as")).await.unwrap();
    assert!(signed_in.text().await.unwrap().contains("remember@example.com"));

    let cookies = client.get_all_cookies().await.unwrap();
    let remember_before = cookies.iter().find(|c| c.name() == "__Host-crumb_remember").unwrap().value().to_owned();
    assert!(cookies.iter().find(|c| c.name() == "__Host-crumb_auth").unwrap().expires().is_none(), "a session cookie");
    // The browser closes: it drops every session cookie.
    for cookie in &cookies {
        if cookie.expires().is_none() {
            client.delete_cookie(cookie.name()).await.unwrap();
        }
    }
    let names: Vec<String> = client.get_all_cookies().await.unwrap().iter().map(|c| c.name().to_owned()).collect();
    assert!(!names.iter().any(|n| n == "__Host-crumb_auth" || n == "__Host-crumb_session"), "{names:?}");

    browser.navigate_raw(&format!("{origin}/account")).await.unwrap();
    let signed_in = client.wait().for_element(Locator::Css("#signed-in-as")).await.unwrap();
    assert!(signed_in.text().await.unwrap().contains("remember@example.com"), "still signed in");
    let cookies = client.get_all_cookies().await.unwrap();
    let remember_after = cookies.iter().find(|c| c.name() == "__Host-crumb_remember").unwrap().value().to_owned();
    assert_ne!(remember_before, remember_after, "the remember-me cookie rotated");
    assert!(cookies.iter().any(|c| c.name() == "__Host-crumb_auth"), "a new session was issued");
    browser.close().await.unwrap();
}
