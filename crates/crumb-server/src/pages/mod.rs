//! The HTML pages' frame: every page crumb serves is an askama template
//! under `web/templates/` (compiled into the binary, checked at build time,
//! auto-escaped because the files end in `.html` or `.svg`).
//!
//! A page's content is a template of its own, placed in one of two
//! layouts: `layout/site.html`, the production layout, which links only to
//! pages crumb serves in any configuration, and `layout/demo.html`, the demo
//! site's, with its home, products and about pages. `demo = true` in
//! `crumb.toml` picks the demo layout ([`page`]).
//!
//! No page is built with `format!`: values go into templates as text or
//! numbers and the template escapes them; the only markup that is not
//! escaped is constant CSS included from files and templates placed inside
//! other templates ([`Embed`]).

pub mod language_picker;
pub mod problems;

use std::fmt;

use askama::Template;
use crumb_core::config::Config;
use crumb_core::i18n::Language;

use language_picker::LanguagePicker;

/// The production layout's style sheet.
const SITE_CSS: &str = include_str!("../../../../web/site.css");
/// The demo site's style sheet.
const DEMO_CSS: &str = include_str!("../../../../web/demo/site.css");

/// A rendered template placed inside another template. Its markup comes out
/// of askama with every value in it escaped already, so the outer template
/// takes it as it is; nothing but a [`Template`] can be wrapped.
pub struct Embed<T>(pub T);

impl<T: Template> fmt::Display for Embed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<T: Template> askama::filters::HtmlSafe for Embed<T> {}

/// What both layouts show around the content.
struct Frame<'a> {
    /// The language's code: `<html lang>` and the script's `?lang=`.
    lang: &'static str,
    /// The page's title.
    title: &'a str,
    /// The site's name (`site_name` in `crumb.toml`).
    site: &'a str,
    /// "Cookie policy", in the page's language.
    policy: &'static str,
    /// "Cookie settings", in the page's language.
    settings: &'static str,
    /// Whether accounts are enabled (the production layout links to `/account`).
    accounts: bool,
    /// The response's CSP nonce, on its `<style>` and `<script>`.
    nonce: String,
    /// The language picker in the demo's header (`None` in the production
    /// layout, whose policy page has its own, and with one language).
    picker: Option<LanguagePicker>,
}

/// The production layout.
#[derive(Template)]
#[template(path = "layout/site.html")]
struct SiteLayout<'a, M: Template> {
    frame: Frame<'a>,
    css: &'static str,
    main: Embed<M>,
}

/// The demo site's layout.
#[derive(Template)]
#[template(path = "layout/demo.html")]
struct DemoLayout<'a, M: Template> {
    frame: Frame<'a>,
    css: &'static str,
    main: Embed<M>,
}

/// Which layout frames a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The production layout: links only to pages crumb always serves.
    Site,
    /// The demo site's layout, with its home, products and about pages.
    Demo,
}

impl Layout {
    /// The layout for `config`: the demo's when the demo site is served.
    pub fn of(config: &Config) -> Layout {
        if config.demo {
            Layout::Demo
        } else {
            Layout::Site
        }
    }
}

/// The whole page: `main` (a template that renders the `<main>` element,
/// and whatever follows it in the body) inside `layout`, in `language`.
pub fn page_in<M: Template>(layout: Layout, config: &Config, language: Language, title: &str, main: M) -> String {
    let strings = language.strings();
    let frame = Frame {
        lang: language.code(),
        title,
        site: &config.site_name,
        policy: strings.get("policy_link"),
        settings: strings.get("settings_title"),
        accounts: config.accounts.is_some(),
        nonce: crate::security_headers::current_nonce().unwrap_or_default(),
        picker: if layout == Layout::Demo { LanguagePicker::new(&config.languages, language) } else { None },
    };
    match layout {
        Layout::Site => render(&SiteLayout { frame, css: SITE_CSS, main: Embed(main) }),
        Layout::Demo => render(&DemoLayout { frame, css: DEMO_CSS, main: Embed(main) }),
    }
}

/// The whole page in the layout `config` picks ([`Layout::of`]).
pub fn page<M: Template>(config: &Config, language: Language, title: &str, main: M) -> String {
    page_in(Layout::of(config), config, language, title, main)
}

/// `template` rendered.
pub fn render(template: &impl Template) -> String {
    // Rendering into a String fails only when a value's `Display` does; the
    // pages' values are strings, numbers and other templates (whose own
    // values are the same), so it cannot.
    template.render().unwrap_or_else(|error| unreachable!("a page template failed to render: {error}"))
}
