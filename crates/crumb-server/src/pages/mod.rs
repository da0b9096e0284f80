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

pub mod account;
pub mod admin;
pub mod language_picker;
pub mod negotiate;
pub mod problems;

use std::fmt;

use askama::Template;
use crumb_core::config::Config;
use crumb_core::i18n::Language;

use language_picker::LanguagePicker;

use crate::mount::Mount;

/// The production layout's style sheet.
pub(crate) const SITE_CSS: &str = include_str!("../../../../web/site.css");
/// The demo site's style sheet, after the production one (whose forms,
/// cards and tables the account, admin and policy pages use).
const DEMO_CSS: &str = concat!(include_str!("../../../../web/site.css"), include_str!("../../../../web/demo/site.css"));

/// The site's icon (`web/favicon.svg`), linked from every layout.
const FAVICON: &str = include_str!("../../../../web/favicon.svg");

/// `GET /favicon.svg` (and `/favicon.ico`, which browsers ask for on their
/// own): the site's icon, cacheable for a day.
pub async fn favicon() -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], FAVICON)
        .into_response()
}

/// A moment shown on a page: `<time datetime="{iso}">{text}</time>`. The
/// text is UTC, in words a reader of any language can read; the layout's
/// script rewrites it in the reader's language and time zone
/// (`Intl.DateTimeFormat`), so the server needs to know neither.
pub struct Moment {
    /// RFC 3339, UTC (`2026-12-07T05:01:09Z`).
    pub iso: String,
    /// `2026-12-07 05:01 UTC`.
    pub text: String,
}

impl Moment {
    /// The moment `millis` after the Unix epoch.
    pub fn at(millis: i64) -> Moment {
        let c = crumb_cookie::Timestamp::from_unix_micros(millis.saturating_mul(1000)).to_civil();
        Moment {
            iso: format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second),
            text: format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", c.year, c.month, c.day, c.hour, c.minute),
        }
    }
}

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

/// The language a page keeps in its own links and form actions: the page's
/// language when the reader chose it with `?lang=` (`crate::page_language`),
/// or none — without a choice, `Accept-Language` picks it again on the next
/// page, and the links stay as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeptLanguage(Option<&'static str>);

impl KeptLanguage {
    /// The language to keep on a page in `language`.
    pub fn of(language: Language) -> KeptLanguage {
        KeptLanguage(crate::page_language::asked().map(|_| language.code()))
    }

    /// Its code, if one is kept.
    pub fn code(&self) -> Option<&'static str> {
        self.0
    }

    /// `?lang=de` to add to a path, or nothing.
    pub fn query(&self) -> String {
        self.0.map(|code| format!("?lang={code}")).unwrap_or_default()
    }

    /// `&lang=de` to add to a query, or nothing.
    pub fn pair(&self) -> String {
        self.0.map(|code| format!("&lang={code}")).unwrap_or_default()
    }
}

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
    /// "Skip to content", in the page's language.
    skip: &'static str,
    /// "Your account", in the page's language.
    account: &'static str,
    /// The site navigation's accessible name, in the page's language.
    nav: &'static str,
    /// The language the account link keeps.
    keep: KeptLanguage,
    /// Whether accounts are enabled (the production layout links to `/account`).
    accounts: bool,
    /// The response's CSP nonce, on its `<style>` and `<script>`.
    nonce: String,
    /// Where crumb's own pages are (`[server] prefix`): the layouts' links
    /// to the policy, the account page, the icon and the script.
    mount: Mount<'a>,
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
        skip: strings.get("skip_link"),
        account: strings.get("nav_account"),
        nav: strings.get("nav_site"),
        keep: KeptLanguage::of(language),
        accounts: config.accounts.is_some(),
        nonce: crate::security_headers::current_nonce().unwrap_or_default(),
        mount: Mount::of(config),
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
