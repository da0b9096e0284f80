//! The replay protocol of `crumb jar replay`: browser cookie scenarios in,
//! the `Cookie` headers the jar sends out (see `docs/replay.md`).
//!
//! Each scenario starts from an empty jar on a virtual clock. Each step is a
//! top-level navigation the user typed (a same-site GET over HTTP): the jar's
//! `Cookie` header for the step's URL is observed, then the step's
//! `Set-Cookie` values are stored; then a script on the loaded page may write
//! `document.cookie` (`script_set`) and read it (`script_read`).

use serde::{Deserialize, Serialize};

use crate::jar::Jar;
use crate::request::{RequestContext, RequestUrl};
use crate::time::{ManualClock, Timestamp};

/// The virtual clock's default start: 2026-01-01T00:00:00Z.
pub const DEFAULT_START: Timestamp = Timestamp::from_unix_seconds(1_767_225_600);

/// The longest a step may move the clock on.
pub const MAX_ADVANCE_SECONDS: u32 = 60;

/// One scenario: a name (`family/rest`) and its steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// Unique name; the part before the first `/` is the family.
    pub name: String,
    /// The navigations, in order.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// The family: the name up to the first `/`.
    pub fn family(&self) -> &str {
        self.name.split('/').next().unwrap_or(&self.name)
    }
}

/// One top-level navigation and the `Set-Cookie` values of its response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// `http` or `https` URL without a port.
    pub url: String,
    /// `Set-Cookie` header values, in order.
    #[serde(default)]
    pub set_cookie: Vec<String>,
    /// Seconds the clock moves on before this step's request (0–60).
    #[serde(default)]
    pub advance_seconds: u32,
    /// Strings a script on the loaded page assigns to `document.cookie`, in
    /// order, after the response's `Set-Cookie` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script_set: Vec<String>,
    /// Whether a script on the loaded page then reads `document.cookie`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub script_read: bool,
}

impl Step {
    /// A navigation to `url` whose response sets `set_cookie`, with no
    /// script and no clock change.
    pub fn navigate(url: impl Into<String>, set_cookie: Vec<String>) -> Self {
        Step { url: url.into(), set_cookie, advance_seconds: 0, script_set: Vec::new(), script_read: false }
    }

    /// Whether a script runs on this step's page.
    pub fn has_script(&self) -> bool {
        !self.script_set.is_empty() || self.script_read
    }
}

/// The `Cookie` headers a jar sent, one per step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// The scenario's name.
    pub name: String,
    /// `observed[i]` is the `Cookie` header of step i's request (`""` for none).
    pub observed: Vec<String>,
    /// When a step of the scenario runs a script: `script[i]` is what
    /// `document.cookie` returned on step i's page, `None` where step i
    /// read nothing. Empty (and left out of the JSON) otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<Option<String>>,
    /// Set when the scenario could not be run to the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Why the replay input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A line is not a scenario.
    #[error("line {line}: not a scenario: {source}")]
    Scenario {
        /// 1-based line number.
        line: usize,
        /// The JSON error.
        source: serde_json::Error,
    },
}

/// Reads JSON Lines scenarios, skipping blank lines and `#` comments.
pub fn parse_scenarios(jsonl: &str) -> Result<Vec<Scenario>, ReplayError> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(index, line)| {
            serde_json::from_str(line).map_err(|source| ReplayError::Scenario { line: index + 1, source })
        })
        .collect()
}

/// Runs one scenario through a fresh jar whose clock starts at `start`.
pub fn run_scenario(scenario: &Scenario, start: Timestamp) -> Observation {
    let clock = ManualClock::new(start);
    let mut jar = Jar::with_clock(&clock);
    let ctx = RequestContext::typed_navigation();
    let mut observed = Vec::with_capacity(scenario.steps.len());
    let scripted = scenario.steps.iter().any(Step::has_script);
    let mut script = Vec::with_capacity(if scripted { scenario.steps.len() } else { 0 });
    for (index, step) in scenario.steps.iter().enumerate() {
        if step.advance_seconds > MAX_ADVANCE_SECONDS {
            let error = format!("step {index}: advance_seconds over {MAX_ADVANCE_SECONDS}");
            return Observation { name: scenario.name.clone(), observed, script, error: Some(error) };
        }
        clock.advance_seconds(i64::from(step.advance_seconds));
        let url = match RequestUrl::parse(&step.url) {
            Ok(url) => url,
            Err(e) => {
                let error = format!("step {index}: {e}");
                return Observation { name: scenario.name.clone(), observed, script, error: Some(error) };
            }
        };
        let header = jar.cookie_header_bytes(&url, ctx).unwrap_or_default();
        observed.push(crate::cookie_header::text_or_latin1(header));
        // The outcome of each write (stored or the rule that refused it) is
        // not part of the protocol.
        for value in step.set_cookie.iter().flat_map(|v| http_layer_set_cookies(v)) {
            let _ = jar.set_cookie(&url, value, ctx);
        }
        for text in &step.script_set {
            let _ = jar.set_from_script(&url, text);
        }
        if scripted {
            script.push(step.script_read.then(|| jar.script_cookie_string(&url)));
        }
    }
    Observation { name: scenario.name.clone(), observed, script, error: None }
}

/// What a browser's HTTP/1.1 parser makes of one `Set-Cookie` header line
/// that holds bare CRs: Chromium's header assembly treats a bare CR as a
/// line break, so the field value ends there and each following piece is a
/// header line of its own — another `Set-Cookie` if it is one, otherwise
/// dropped. Surrounding SP/HTAB are removed (RFC 9110 §5.5).
pub fn http_layer_set_cookies(value: &str) -> Vec<&[u8]> {
    let mut pieces = value.as_bytes().split(|&b| b == b'\r');
    let mut values: Vec<&[u8]> = pieces.next().map(crate::set_cookie::trim_wsp).into_iter().collect();
    for line in pieces {
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            if line[..colon].eq_ignore_ascii_case(b"set-cookie") {
                values.push(crate::set_cookie::trim_wsp(&line[colon + 1..]));
            }
        }
    }
    values
}

/// Replays one input line: `None` for a blank or comment line; a malformed
/// scenario yields an observation with `error` set (and the name, if the line
/// has one), so the replay goes on.
pub fn replay_line(line: &str, start: Timestamp) -> Option<Observation> {
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    Some(match serde_json::from_str::<Scenario>(trimmed) {
        Ok(scenario) => run_scenario(&scenario, start),
        Err(e) => {
            let name = serde_json::from_str::<serde_json::Value>(trimmed)
                .ok()
                .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_owned))
                .unwrap_or_default();
            Observation { name, observed: Vec::new(), script: Vec::new(), error: Some(format!("not a scenario: {e}")) }
        }
    })
}

/// Runs every scenario of a JSON Lines input and returns the JSON Lines
/// output, one observation per scenario, in input order.
pub fn replay_jsonl(jsonl: &str, start: Timestamp) -> String {
    let mut out = String::new();
    for observation in jsonl.lines().filter_map(|line| replay_line(line, start)) {
        // An observation is strings only; serialising it cannot fail.
        out.push_str(&serde_json::to_string(&observation).unwrap_or_default());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runner_example() {
        let input = r#"{"name": "domain/parent-cookie", "steps": [{"url": "http://home.example.org/", "set_cookie": ["a=1; Domain=example.org; Path=/"]}, {"url": "http://sub.home.example.org/"}, {"url": "https://example.org/x?y", "advance_seconds": 2}]}"#;
        assert_eq!(
            replay_jsonl(input, DEFAULT_START),
            "{\"name\":\"domain/parent-cookie\",\"observed\":[\"\",\"a=1\",\"a=1\"]}\n"
        );
    }

    #[test]
    fn comments_blank_lines_and_bad_lines() {
        let input = "# comment\n\n{\"name\": \"x/broken\", \"steps\": 3}\nnot json\n";
        let out: Vec<Observation> =
            replay_jsonl(input, DEFAULT_START).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].name, "x/broken");
        assert!(out[0].error.is_some() && out[1].error.is_some());
    }

    #[test]
    fn virtual_clock_expires_cookies() {
        let scenario = Scenario {
            name: "expiry/max-age".into(),
            steps: vec![
                Step::navigate("http://a.example.com/", vec!["a=1; Max-Age=2".into()]),
                Step { advance_seconds: 1, ..Step::navigate("http://a.example.com/", vec![]) },
                Step { advance_seconds: 1, ..Step::navigate("http://a.example.com/", vec![]) },
            ],
        };
        assert_eq!(run_scenario(&scenario, DEFAULT_START).observed, ["", "a=1", ""]);
    }

    #[test]
    fn script_steps_write_and_read_document_cookie() {
        let input = r#"{"name": "script/basic", "steps": [{"url": "https://www.example.com/a/b", "set_cookie": ["h=1; Path=/; HttpOnly", "s=1; Path=/"], "script_set": ["h=2; path=/", "j=1", "__Http-x=1; Secure; Path=/", "k=1\rl=2"]}, {"url": "https://www.example.com/a/c", "script_read": true}, {"url": "https://www.example.com/"}]}"#;
        let out = replay_jsonl(input, DEFAULT_START);
        // h is HttpOnly: invisible to script and not replaced by it; j takes
        // the page's default path /a; a CR is a control character in script.
        assert_eq!(
            out,
            "{\"name\":\"script/basic\",\"observed\":[\"\",\"j=1; h=1; s=1\",\"h=1; s=1\"],\"script\":[null,\"j=1; s=1\",null]}\n"
        );
    }

    #[test]
    fn bare_cr_ends_the_field_value_as_in_chromium() {
        assert_eq!(http_layer_set_cookies(" AAA=BB\rZYX"), [&b"AAA=BB"[..]]);
        assert_eq!(http_layer_set_cookies("a=1\rSet-Cookie: b=2\rX-Other: c=3"), [&b"a=1"[..], b"b=2"]);
    }

    #[test]
    fn advance_over_limit_is_an_error() {
        let scenario = Scenario {
            name: "x/y".into(),
            steps: vec![Step { advance_seconds: 61, ..Step::navigate("http://a.example.com/", vec![]) }],
        };
        assert!(run_scenario(&scenario, DEFAULT_START).error.is_some());
    }
}
