//! A small site for testing crumb in front of a site it does not control:
//! the gateway (`crumb serve --upstream`) and the scanner (`crumb scan`).
//!
//! What it is: an axum router whose pages set one cookie of each kind the
//! declaration in `crumb.toml` (next to this crate's `Cargo.toml`,
//! [`DECLARATION`]) knows — `shop_session` (necessary), `site_stats` and
//! `script_stats` (statistics), `site_ads` (marketing) — and two it does not
//! (`mystery`, `script_mystery`), from `Set-Cookie` headers and from
//! scripts, on HTML, JSON and redirect responses, gzip-compressed and not.
//! `/echo` answers with the `Cookie` header it received, so a test can see
//! what the site was sent.
//!
//! What it is not: part of crumb. Nothing here knows about consent; that
//! is the point.
//!
//! | path | what it answers |
//! |---|---|
//! | `/` | HTML; sets all four header cookies; links to every page below; a statistics script gated with `data-crumb-category` sets `script_stats`, an ungated one sets `script_mystery` |
//! | `/products`, `/about` | HTML pages with the same scripts; `/products` sets `site_ads` |
//! | `/gzip` | `/`'s page and cookies, gzip-compressed (`Content-Encoding: gzip`) |
//! | `/latin1` | an HTML page in ISO-8859-1 (`charset=iso-8859-1`) |
//! | `/tagged` | HTML that already has crumb's script tag |
//! | `/api/data` | JSON; sets `site_stats` |
//! | `/go` | a 302 to `/` that sets `site_ads` |
//! | `/echo` | JSON: the `Cookie` header the site received (`null` when none) |
//! | `/robots.txt` | disallows `/private/` |
//! | `/private/page` | HTML that a polite crawler never fetches; sets `mystery` |

use std::io::Write as _;
use std::net::SocketAddr;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The declaration of this site's cookies (`crumb.toml` beside `Cargo.toml`).
pub const DECLARATION: &str = include_str!("../crumb.toml");

/// The necessary cookie, set on every HTML page.
pub const NECESSARY: &str = "shop_session";
/// The statistics cookie set by a `Set-Cookie` header.
pub const STATISTICS: &str = "site_stats";
/// The statistics cookie set by a gated script.
pub const SCRIPT_STATISTICS: &str = "script_stats";
/// The marketing cookie set by a `Set-Cookie` header.
pub const MARKETING: &str = "site_ads";
/// The undeclared cookie set by a `Set-Cookie` header.
pub const UNDECLARED: &str = "mystery";
/// The undeclared cookie set by an ungated script.
pub const SCRIPT_UNDECLARED: &str = "script_mystery";

/// The site's routes.
pub fn router() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/products", get(products))
        .route("/about", get(about))
        .route("/gzip", get(gzip_home))
        .route("/latin1", get(latin1))
        .route("/tagged", get(tagged))
        .route("/api/data", get(api_data))
        .route("/go", get(redirect))
        .route("/echo", get(echo))
        .route("/robots.txt", get(robots))
        .route("/private/page", get(private))
}

/// Serves the site on a free loopback port; the server runs until the
/// runtime stops.
pub async fn spawn() -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router()).await {
            eprintln!("crumb-testsite stopped: {error}");
        }
    });
    Ok(address)
}

fn set_cookie(name: &str, value: &str, attributes: &str) -> (header::HeaderName, HeaderValue) {
    let text = format!("{name}={value}; Path=/{attributes}");
    // Names, values and attributes here are ASCII constants.
    (header::SET_COOKIE, HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("invalid=1")))
}

fn header_cookies() -> Vec<(header::HeaderName, HeaderValue)> {
    vec![
        set_cookie(NECESSARY, "basket-1", "; HttpOnly; SameSite=Lax"),
        set_cookie(STATISTICS, "s-1", "; Max-Age=2592000; SameSite=Lax"),
        set_cookie(MARKETING, "a-1", "; Max-Age=7776000; SameSite=Lax"),
        set_cookie(UNDECLARED, "m-1", "; Max-Age=31536000"),
    ]
}

/// An HTML page with the shop's navigation and scripts.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title} · Test Shop</title>\n\
         <meta name=\"viewport\" content=\"width=device-width\">\n</head>\n<body>\n<header><nav>\
         <a href=\"/\">Home</a> <a href=\"/products\">Products</a> <a href=\"/about\">About</a> \
         <a href=\"/gzip\">Compressed</a> <a href=\"/latin1\">Latin-1</a> <a href=\"/tagged\">Tagged</a> \
         <a href=\"/go\">Offer</a> <a href=\"/private/page\">Private</a></nav></header>\n<main>\n<h1>{title}</h1>\n\
         {body}\n</main>\n\
         <script type=\"text/plain\" data-crumb-category=\"statistics\">document.cookie = \"{SCRIPT_STATISTICS}=1; path=/; max-age=2592000\";</script>\n\
         <script>document.cookie = \"{SCRIPT_UNDECLARED}=1; path=/; max-age=2592000\";</script>\n\
         </body>\n</html>\n"
    )
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn with_cookies(mut response: Response, cookies: Vec<(header::HeaderName, HeaderValue)>) -> Response {
    for (name, value) in cookies {
        response.headers_mut().append(name, value);
    }
    response
}

async fn home() -> Response {
    with_cookies(html(page("Home", "<p>Welcome to the test shop.</p>")), header_cookies())
}

async fn products() -> Response {
    let body = "<ul><li>Bicycle</li><li>Helmet</li></ul>";
    with_cookies(
        html(page("Products", body)),
        vec![
            set_cookie(NECESSARY, "basket-1", "; HttpOnly; SameSite=Lax"),
            set_cookie(MARKETING, "a-2", "; Max-Age=7776000"),
        ],
    )
}

async fn about() -> Response {
    html(page("About", "<p>We sell things.</p>"))
}

async fn gzip_home() -> Response {
    let text = page("Compressed", "<p>This page was sent gzip-compressed.</p>");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to and finishing a Vec cannot fail.
    let compressed = encoder.write_all(text.as_bytes()).and_then(|()| encoder.finish()).unwrap_or_default();
    let response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_ENCODING, "gzip"),
            (header::VARY, "Accept-Encoding"),
        ],
        compressed,
    )
        .into_response();
    with_cookies(response, header_cookies())
}

async fn latin1() -> Response {
    // "Café" with é as the single ISO-8859-1 byte 0xE9.
    let mut body = b"<!doctype html><html><head><title>Caf".to_vec();
    body.push(0xE9);
    body.extend_from_slice(b"</title></head><body><h1>Caf");
    body.push(0xE9);
    body.extend_from_slice(b"</h1></body></html>");
    ([(header::CONTENT_TYPE, "text/html; charset=iso-8859-1")], body).into_response()
}

async fn tagged() -> Response {
    let body = "<!doctype html><html><head><title>Tagged</title>\
                <script src=\"/_crumb/crumb.js\" defer></script></head><body><h1>Tagged</h1></body></html>";
    html(body.to_owned())
}

async fn api_data() -> Response {
    with_cookies(
        axum::Json(serde_json::json!({"items": ["bicycle", "helmet"]})).into_response(),
        vec![set_cookie(STATISTICS, "s-api", "; Max-Age=2592000")],
    )
}

async fn redirect() -> Response {
    let response = (StatusCode::FOUND, [(header::LOCATION, "/")]).into_response();
    with_cookies(response, vec![set_cookie(MARKETING, "a-go", "; Max-Age=7776000")])
}

async fn echo(headers: HeaderMap) -> Response {
    let cookie = headers.get(header::COOKIE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    axum::Json(serde_json::json!({ "cookie": cookie })).into_response()
}

async fn robots() -> &'static str {
    "User-agent: *\nDisallow: /private/\n"
}

async fn private() -> Response {
    with_cookies(html(page("Private", "<p>Not for crawlers.</p>")), vec![set_cookie(UNDECLARED, "m-private", "")])
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_declaration_is_valid_and_leaves_the_mystery_cookies_undeclared() {
        // Checked through crumb-core in crumb-server's gateway tests; here
        // only that the names the pages set are the ones it declares.
        for name in [super::NECESSARY, super::STATISTICS, super::SCRIPT_STATISTICS, super::MARKETING] {
            assert!(super::DECLARATION.contains(&format!("name = \"{name}\"")), "{name} undeclared");
        }
        for name in [super::UNDECLARED, super::SCRIPT_UNDECLARED] {
            assert!(!super::DECLARATION.contains(&format!("name = \"{name}\"")), "{name} declared");
        }
    }
}
