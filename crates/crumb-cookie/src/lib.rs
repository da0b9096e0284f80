//! # crumb-cookie
//!
//! crumb's cookie engine: everything about cookies that is protocol, and
//! nothing that is I/O. It is
//!
//! - a **parser** for `Set-Cookie` ([`SetCookie`], RFC 6265bis §5.6) and
//!   `Cookie` ([`parse_cookie_header`]) header values, on raw bytes, with the
//!   cookie-date algorithm ([`parse_cookie_date`], §5.1.1 as Chromium runs it);
//! - a **builder** for servers ([`ResponseCookie`]) with safe defaults that
//!   refuses what browsers would drop;
//! - a **browser-grade jar** ([`Jar`]): the storage model (§5.7) and the
//!   retrieval model (§5.8) with public-suffix checks, host-only cookies,
//!   prefixes, SameSite, size limits, the 400-day cap and Chromium's
//!   eviction, on an injectable [`Clock`];
//! - **persistence** of a jar as JSON and as Netscape `cookies.txt`;
//! - **signed and encrypted values** with key rotation ([`Keyring`]);
//! - the **replay protocol** behind `crumb jar replay` ([`replay`]).
//!
//! It is not an HTTP client or server, does no file or network I/O and has
//! no async. Chromium is the reference for behaviour wherever the draft
//! leaves room; every place where it follows Chromium over the draft says so.

pub mod builder;
pub mod cookie;
pub mod cookie_header;
pub mod date;
pub mod domain;
pub mod jar;
mod json_bytes;
pub mod path;
pub mod persist;
pub mod replay;
pub mod request;
pub mod set_cookie;
pub mod signed;
pub mod time;

#[cfg(feature = "reqwest")]
pub mod reqwest_store;

pub use builder::{BuildError, Lifetime, ResponseCookie};
pub use cookie::Cookie;
pub use cookie_header::{parse_cookie_header, write_cookie_header, CookieHeader, CookiePair};
pub use date::parse_cookie_date;
pub use jar::{Jar, JarConfig, Rejection, Stored};
pub use persist::PersistError;
pub use request::{Api, RequestContext, RequestUrl, SiteRelation, UrlError};
pub use set_cookie::{ParseError, SameSite, SetCookie};
pub use signed::{HmacSha256Writer, Key, Keyring, ValueError};
pub use time::{Clock, ManualClock, SystemClock, Timestamp};
