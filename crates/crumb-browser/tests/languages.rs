//! The language picker in real headless Chromium: choosing a language
//! reloads the page in it, the next page keeps it, and the banner speaks it.
//! Skips, saying so, when Chromium or chromedriver is not installed.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[path = "support/chromium.rs"]
mod chromium;

use chromium::{js, wait_until};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread")]
async fn the_picker_switches_the_language_and_the_next_page_keeps_it() {
    let Some(browser) = chromium::launch("languages").await else { return };
    let server = chromium::serve_demo().await;
    let origin = &server.origin;
    browser.client().goto(&format!("{origin}/about?lang=sl")).await.unwrap();
    wait_until(&browser, "return document.documentElement.lang === 'sl'").await;
    // The label names the select (clicking it focuses the select).
    browser.client().find(Locator::Css("label[for=language-picker]")).await.unwrap().click().await.unwrap();
    assert_eq!(js(&browser, "return document.activeElement.id").await, "language-picker");
    browser.client().find(Locator::Css("#language-picker option[value=fi]")).await.unwrap().click().await.unwrap();
    browser.client().find(Locator::Css(".language-picker button")).await.unwrap().click().await.unwrap();
    wait_until(&browser, "return document.documentElement.lang === 'fi'").await;
    assert_eq!(js(&browser, "return location.pathname + location.search").await, "/about?lang=fi");
    assert_eq!(js(&browser, "return document.getElementById('language-picker').value").await, "fi");
    // The banner is in Finnish.
    wait_until(&browser, "return !!document.querySelector('.crumb-b')").await;
    let banner = js(&browser, "return document.querySelector('.crumb-b').textContent").await;
    assert!(banner.as_str().unwrap().contains("Hylkää kaikki"), "{banner}");
    // The next page, by its link, is in Finnish too.
    browser.client().find(Locator::Css("header nav a[href^='/products']")).await.unwrap().click().await.unwrap();
    wait_until(&browser, "return location.pathname === '/products'").await;
    assert_eq!(js(&browser, "return document.documentElement.lang").await, "fi");
    assert_eq!(js(&browser, "return location.search").await, "?lang=fi");
    browser.close().await.unwrap();
}
