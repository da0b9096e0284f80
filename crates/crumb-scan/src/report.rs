//! A scan's report in the three forms a CI can use: text for people,
//! JSON for tools, JUnit XML for test dashboards (one test suite per
//! consent state, one test case per cookie, a failure per violation).
//!
//! What it is not: the scan, or the exit status (the CLI's: 1 when
//! [`Report::violation_count`] is not 0).

use std::fmt::Write as _;

use crate::declared::Source;
use crate::outcome::{Mode, Report};

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text.
    Text,
    /// JSON (the [`Report`] serialised).
    Json,
    /// JUnit XML.
    Junit,
}

impl Format {
    /// Parses `text`, `json` or `junit`.
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "junit" => Some(Format::Junit),
            _ => None,
        }
    }
}

/// The report in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => json(report),
        Format::Junit => junit(report),
    }
}

fn source_text(source: &Source) -> String {
    match source {
        Source::File(file) => format!("declaration: {file}"),
        Source::Site(url) => format!("declaration: the site's own crumb ({url})"),
        Source::None => "declaration: none found".to_owned(),
    }
}

/// Plain text: a header, then each state's pages, cookies and violations.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let mode = match report.mode {
        Mode::Chromium => "headless Chromium",
        Mode::Http => "crumb's cookie jar (no browser)",
    };
    let _ = writeln!(
        out,
        "crumb scan {}\nvisited with {mode}; {}; {}",
        report.url,
        source_text(&report.declaration),
        report.robots
    );
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    for state in &report.states {
        let _ = writeln!(out, "\n== {} ({})", state.label, state.id);
        for note in &state.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        if !state.reached {
            continue;
        }
        let _ = writeln!(
            out,
            "  {} page(s) visited, {} link(s) left out by robots.txt",
            state.pages.len(),
            state.disallowed.len()
        );
        for cookie in &state.cookies {
            let lifetime = cookie.lifetime_seconds.map_or("session".to_owned(), crate::judge::seconds_text);
            let party = if cookie.third_party { ", third-party" } else { "" };
            let _ = writeln!(
                out,
                "  cookie {} (domain {}, path {}, {lifetime}{}{}{party})",
                cookie.name,
                cookie.domain,
                cookie.path,
                if cookie.secure { ", Secure" } else { "" },
                if cookie.http_only { ", HttpOnly" } else { "" },
            );
        }
        for violation in &state.violations {
            let _ = writeln!(out, "  VIOLATION {}: {}", violation.kind.id(), violation.detail);
        }
    }
    let count = report.violation_count();
    let _ = writeln!(out, "\n{count} violation(s)");
    out
}

/// JSON: the report, with the violation count.
pub fn json(report: &Report) -> String {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("violations".into(), report.violation_count().into());
    }
    // Serialising a `Value` cannot fail.
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// Escapes text for XML content and attribute values (XML 1.0 §2.4).
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all (§2.2).
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: a `<testsuite>` per state, a `<testcase>` per cookie held,
/// a `<failure>` per violation; a state not reached is one skipped case.
pub fn junit(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = report.states.iter().map(|s| s.cookies.len().max(1)).sum();
    let failed: usize = report
        .states
        .iter()
        .map(|s| {
            s.cookies.iter().filter(|c| s.violations.iter().any(|v| v.cookie == c.name && v.domain == c.domain)).count()
        })
        .sum();
    let _ =
        writeln!(out, "<testsuites name=\"crumb scan {}\" tests=\"{tests}\" failures=\"{failed}\">", xml(&report.url));
    for state in &report.states {
        let suite_failures = state
            .cookies
            .iter()
            .filter(|c| state.violations.iter().any(|v| v.cookie == c.name && v.domain == c.domain))
            .count();
        let skipped = usize::from(!state.reached);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{suite_failures}\" skipped=\"{skipped}\">",
            xml(&state.id),
            state.cookies.len().max(1)
        );
        if !state.reached {
            let why = state.notes.join("; ");
            let _ = writeln!(
                out,
                "    <testcase classname=\"crumb.scan.{}\" name=\"state reached\"><skipped message=\"{}\"/></testcase>",
                xml(&state.id),
                xml(&why)
            );
        } else if state.cookies.is_empty() {
            let _ = writeln!(out, "    <testcase classname=\"crumb.scan.{}\" name=\"no cookies\"/>", xml(&state.id));
        }
        for cookie in &state.cookies {
            let name = format!("{} ({})", cookie.name, cookie.domain);
            let violations: Vec<_> =
                state.violations.iter().filter(|v| v.cookie == cookie.name && v.domain == cookie.domain).collect();
            if violations.is_empty() {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"crumb.scan.{}\" name=\"{}\"/>",
                    xml(&state.id),
                    xml(&name)
                );
                continue;
            }
            let _ = writeln!(out, "    <testcase classname=\"crumb.scan.{}\" name=\"{}\">", xml(&state.id), xml(&name));
            for violation in violations {
                let _ = writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\"/>",
                    violation.kind.id(),
                    xml(&violation.detail)
                );
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;\u{fffd}");
    }
}
