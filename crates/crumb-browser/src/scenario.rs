//! The scenario protocol of `shared/conformance/RUNNER.md`, as plain serde types.
//!
//! These mirror (but deliberately do not depend on) `crumb_cookie::replay`, so the browser harness
//! can be built and run without the cookie engine.

use serde::{Deserialize, Serialize};

/// One scenario: a sequence of top-level navigations, starting from an empty cookie jar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// Unique name; the part before the first `/` is the family.
    pub name: String,
    /// The navigations, in order.
    pub steps: Vec<Step>,
}

/// One top-level, user-initiated GET navigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// `http` or `https` URL without a port.
    pub url: String,
    /// `Set-Cookie` header values of the response, in order, each its own header.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_cookie: Vec<String>,
    /// Seconds the clock moves on before this step's request.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub advance_seconds: u32,
    /// Strings a script on the loaded page assigns to `document.cookie`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script_set: Vec<String>,
    /// Whether a script on the loaded page then reads `document.cookie`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub script_read: bool,
}

impl Step {
    /// Whether a script runs on this step's page.
    pub fn has_script(&self) -> bool {
        !self.script_set.is_empty() || self.script_read
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What one jar (or browser) sent: `observed[i]` is the `Cookie` header of step `i`'s request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// The scenario's name.
    pub name: String,
    /// One `Cookie` header per step completed (`""` when none was sent).
    pub observed: Vec<String>,
    /// When a step runs a script: per step, what `document.cookie` returned (`None` where the
    /// step read nothing). Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<Option<String>>,
    /// Set when the scenario could not be run to the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Scenario {
    /// The family: the part of the name before the first `/` (the whole name if there is none).
    pub fn family(&self) -> &str {
        family_of(&self.name)
    }
}

/// The family of a scenario name: the part before the first `/`.
pub fn family_of(name: &str) -> &str {
    name.split('/').next().unwrap_or(name)
}

/// One input line that could not be parsed as a scenario.
#[derive(Debug, Clone)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// The parse error.
    pub error: String,
    /// The `name` field, if one could be recovered.
    pub name: Option<String>,
}

/// Parses JSON Lines, skipping blank lines and lines starting with `#`.
///
/// Returns one entry per scenario line, in order: the scenario or why its line is bad.
pub fn parse_scenarios_lenient(jsonl: &str) -> Vec<Result<Scenario, BadLine>> {
    let mut out = Vec::new();
    for (i, line) in jsonl.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        out.push(serde_json::from_str::<Scenario>(trimmed).map_err(|e| {
            let name = serde_json::from_str::<serde_json::Value>(trimmed)
                .ok()
                .and_then(|v| v.get("name").and_then(|n| n.as_str().map(str::to_owned)));
            BadLine { line: i + 1, error: e.to_string(), name }
        }));
    }
    out
}

/// Parses JSON Lines strictly: any bad line is an error.
pub fn parse_scenarios(jsonl: &str) -> anyhow::Result<Vec<Scenario>> {
    parse_scenarios_lenient(jsonl)
        .into_iter()
        .map(|r| r.map_err(|b| anyhow::anyhow!("line {}: {}", b.line, b.error)))
        .collect()
}

/// Decodes header bytes as RUNNER.md says: UTF-8 when valid, otherwise Latin-1.
pub fn decode_header_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_runner_example() {
        let input = r#"
# comment
{"name": "domain/parent-cookie", "steps": [{"url": "http://home.example.org/", "set_cookie": ["a=1; Domain=example.org; Path=/"]}, {"url": "https://example.org/x?y", "advance_seconds": 2}], "extra": 1}
"#;
        let s = parse_scenarios(input).expect("parses");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].family(), "domain");
        assert_eq!(s[0].steps[1].advance_seconds, 2);
        assert!(s[0].steps[1].set_cookie.is_empty());
    }

    #[test]
    fn observation_omits_absent_error() {
        let o = Observation {
            name: "x/y".into(),
            observed: vec!["".into(), "a=1".into()],
            script: Vec::new(),
            error: None,
        };
        assert_eq!(serde_json::to_string(&o).expect("serialises"), r#"{"name":"x/y","observed":["","a=1"]}"#);
    }

    #[test]
    fn latin1_fallback() {
        assert_eq!(decode_header_bytes(b"a=\xe9"), "a=\u{e9}");
        assert_eq!(decode_header_bytes("a=é".as_bytes()), "a=é");
    }
}
