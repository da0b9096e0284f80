//! `crumb scan --write-declaration`: a `crumb.toml` drafted from the
//! cookies a scan saw — name, domain, path, `Secure` and `HttpOnly` as the
//! browser held them, the lifetime rounded up from what was left of it,
//! the category the declaration already gave the cookie or, when it had
//! none, `marketing` (blocked until consent: the safe guess) marked TODO.
//!
//! What it is not: a finished declaration. Purposes, the contact and the
//! categories marked TODO need a person; crumb's own cookies are left out
//! (crumb declares them itself).

use std::fmt::Write as _;

use crumb_core::own_cookies::OwnCookieNames;
use url::Url;

use crate::declared::Declaration;
use crate::observe::ObservedCookie;
use crate::outcome::Report;

/// Whether `name` is one of crumb's own cookies, with or without `__Host-`.
fn is_crumbs_own(name: &str) -> bool {
    [true, false].into_iter().any(|secure| {
        let n = OwnCookieNames::new(secure);
        [n.session, n.consent, n.visitor, n.preferences, n.auth, n.remember, n.device, n.trusted_device]
            .contains(&name.to_owned())
    })
}

/// A TOML basic string (a JSON string is one: same escapes).
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Seconds a seen lifetime may exceed the one the site set: the browser
/// keeps expiry in fractions of a second and the scan reads its clock in
/// whole ones, so a `Max-Age=2592000` cookie read at once can show
/// 2,592,001 seconds left.
const CLOCK_SLACK_SECONDS: i64 = 60;

/// A lifetime as `crumb.toml` writes it, rounded up (after
/// [`CLOCK_SLACK_SECONDS`]): whole days from a day on, whole hours from an
/// hour, else minutes; at most 400 days (RFC 6265bis §5.5).
pub fn lifetime_text(seconds: Option<i64>) -> String {
    let Some(seen) = seconds else { return "session".to_owned() };
    let s = if seen > CLOCK_SLACK_SECONDS + 3_600 { seen - CLOCK_SLACK_SECONDS } else { seen };
    match s {
        s if s >= 86_400 => format!("{}d", ((s + 86_399) / 86_400).min(400)),
        s if s >= 3_600 => format!("{}h", (s + 3_599) / 3_600),
        s => format!("{}min", ((s + 59) / 60).max(1)),
    }
}

fn cookie_entry(out: &mut String, cookie: &ObservedCookie, declaration: &Declaration) {
    out.push_str("\n[[cookie]]\n");
    let _ = writeln!(out, "name = {}", quoted(&cookie.name));
    match declaration.find(&cookie.name, &cookie.domain) {
        Some(declared) => {
            let _ = writeln!(out, "category = \"{}\"", declared.category.id());
        }
        None => {
            out.push_str(
                "# TODO: category unknown; marketing (blocked until consent) is the safe guess: set the right one.\n",
            );
            out.push_str("category = \"marketing\"\n");
        }
    }
    let _ = writeln!(out, "lifetime = \"{}\"", lifetime_text(cookie.lifetime_seconds));
    if cookie.third_party {
        out.push_str("# TODO: name the third party whose script or server sets it.\n");
        out.push_str("provider = \"TODO\"\n");
    } else {
        out.push_str("provider = \"first-party\"\n");
    }
    if !cookie.host_only || cookie.third_party {
        let _ = writeln!(out, "domain = {}", quoted(&cookie.domain));
    }
    let _ = writeln!(out, "path = {}", quoted(&cookie.path));
    let _ = writeln!(out, "secure = {}", cookie.secure);
    let _ = writeln!(out, "http_only = {}", cookie.http_only);
    out.push_str("purpose.en = \"TODO: say why this cookie is set.\"\n");
}

/// The draft for the site at `start` from `report`'s cookies.
pub fn draft(report: &Report, start: &Url, declaration: &Declaration) -> String {
    let origin = start.origin().ascii_serialization();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Drafted by `crumb scan {}`. Fill in every TODO (the contact's e-mail must be a real\n\
         # address before `crumb policy check` accepts the file) and check each cookie.",
        report.url
    );
    let _ = writeln!(
        out,
        "\n[site]\nname = \"TODO\"\norigins = [{}]\nlanguages = [\"en\"]\npolicy_version = \"TODO\"\n\n\
         [contact]\nname = \"TODO\"\naddress = \"TODO\"\nemail = \"TODO\"",
        quoted(&origin)
    );
    for cookie in report.distinct_cookies() {
        if !is_crumbs_own(&cookie.name) {
            cookie_entry(&mut out, cookie, declaration);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_round_up() {
        assert_eq!(lifetime_text(None), "session");
        assert_eq!(lifetime_text(Some(2_591_999)), "30d");
        assert_eq!(lifetime_text(Some(2_592_001)), "30d", "a second over, from the clocks' fractions");
        assert_eq!(lifetime_text(Some(2_592_000 + 61)), "31d");
        assert_eq!(lifetime_text(Some(500 * 86_400)), "400d");
        assert_eq!(lifetime_text(Some(3_601)), "2h");
        assert_eq!(lifetime_text(Some(0)), "1min");
        assert!(is_crumbs_own("__Host-crumb_vid") && is_crumbs_own("crumb_consent") && !is_crumbs_own("crumb_other"));
    }
}
