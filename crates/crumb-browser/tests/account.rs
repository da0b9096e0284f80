//! Accounts in real headless Chromium: remember-me (sign in with "remember
//! me", drop the session cookies as a browser does when it closes, reload —
//! still signed in, and the remember-me cookie has rotated), and the pages a
//! browser gets where an API client gets a problem (a signed-out page sends
//! to sign-in and back; a wrong password is shown next to its field).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[path = "support/pages.rs"]
mod support;

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
    // The banner answered first, so that it covers none of the form.
    support::accept_all(&browser).await.unwrap();
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

/// At a phone's and a desktop's size: `/dashboard` signed out lands on the
/// sign-in form with a return link; a wrong password comes back as the page
/// with the error next to the password field (which has the focus and
/// names its error); the right one brings the browser back to the
/// dashboard. The account page writes dates in the reader's language and
/// time zone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_page_signs_in_and_comes_back_with_errors_in_place() {
    if skip_without_chromium("a_signed_out_page_signs_in_and_comes_back_with_errors_in_place") {
        return;
    }
    let site = support::start().await.unwrap();
    let browser = Browser::launch(&BrowserOptions::detect().unwrap()).await.unwrap();
    let client = browser.client();
    for (size, width, height) in support::SIZES {
        client.set_window_size(width, height).await.unwrap();
        client.delete_all_cookies().await.unwrap();
        support::open(&browser, &site, "/dashboard").await.unwrap();
        let url = client.current_url().await.unwrap();
        assert_eq!((url.path(), url.query()), ("/account", Some("return=%2Fdashboard")), "{size}");
        support::accept_all(&browser).await.unwrap();
        let fill = |field: &'static str, value: &'static str| async move {
            let input = client.find(Locator::Css(&format!("#sign-in input[name={field}]"))).await.unwrap();
            input.clear().await.unwrap();
            input.send_keys(value).await.unwrap();
        };
        fill("email", support::ADMIN_EMAIL).await;
        fill("password", "not the password").await;
        client.find(Locator::Css("#sign-in button[type=submit]")).await.unwrap().click().await.unwrap();
        let error = client.wait().for_element(Locator::Css("#sign-in-password-error")).await.unwrap();
        assert_eq!(error.text().await.unwrap(), "Wrong e-mail or password.", "{size}");
        let state = support::js(
            &browser,
            r#"const p = document.getElementById('sign-in-password'), e = document.getElementById('sign-in-password-error');
               const r = e.getBoundingClientRect();
               return [document.activeElement === p, p.getAttribute('aria-invalid'), p.getAttribute('aria-describedby'),
                       document.getElementById('sign-in-email').value, r.width > 0 && r.right <= innerWidth];"#,
        )
        .await
        .unwrap();
        assert_eq!(
            state,
            serde_json::json!([true, "true", "sign-in-password-error", support::ADMIN_EMAIL, true]),
            "{size}: the error is next to the field, named by it, visible, and the field has the focus"
        );
        fill("password", support::ADMIN_PASSWORD).await;
        client.find(Locator::Css("#sign-in button[type=submit]")).await.unwrap().click().await.unwrap();
        support::wait_until(&browser, "return location.pathname === '/dashboard'").await.unwrap();

        support::open(&browser, &site, "/account").await.unwrap();
        let dates = support::js(
            &browser,
            "return Array.from(document.querySelectorAll('time[data-local]')).map(t => [t.textContent, t.title])",
        )
        .await
        .unwrap();
        let dates = dates.as_array().unwrap();
        assert!(!dates.is_empty(), "{size}: the devices have dates");
        for date in dates {
            let (shown, utc) = (date[0].as_str().unwrap(), date[1].as_str().unwrap());
            assert!(utc.ends_with(" UTC") && !shown.contains("UTC") && shown.contains("2026"), "{size}: {date}");
        }
    }
    browser.close().await.unwrap();
}
