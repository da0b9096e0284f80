//! The http-state conformance suite (221 cases) and the cookie-date vectors
//! (70), replayed through the same code path as `crumb jar replay`.
//!
//! Data: `tests/data/http-state/` (web-platform-tests and abarth/http-state,
//! BSD; see the README there). Chromium is the reference: where it differs
//! from the suite's expected header (five cases, listed in `docs/replay.md`),
//! the test expects Chromium's header.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use crumb_cookie::replay::{run_scenario, Scenario, Step, DEFAULT_START};
use crumb_cookie::{parse_cookie_date, Timestamp};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    name: String,
    set_cookie: Vec<String>,
    location: Option<String>,
    expected_cookie: String,
}

/// What Chromium sends where it differs from the suite's file.
const CHROMIUM_DIVERGENCES: &[(&str, &str)] = &[
    ("attribute0023", "foo=bar"),
    ("optional-domain0042", "foo=bar"),
    ("name0017", ""),
    ("name0025", ""),
    ("disabled-path0029", ""),
];

fn scenario_for(case: &Case) -> Scenario {
    let set_url = url::Url::parse("http://home.example.org/cookie-parser").unwrap();
    let read_url = match &case.location {
        Some(location) => set_url.join(location).unwrap().to_string(),
        None => "http://home.example.org/cookie-parser-result".to_owned(),
    };
    Scenario {
        name: format!("http-state/{}", case.name),
        steps: vec![Step::navigate(set_url.to_string(), case.set_cookie.clone()), Step::navigate(read_url, vec![])],
    }
}

#[test]
fn http_state_cases() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("data/http-state/cases.json")).unwrap();
    assert_eq!(cases.len(), 221);
    let mut failures = Vec::new();
    for case in &cases {
        let expected = CHROMIUM_DIVERGENCES
            .iter()
            .find(|(name, _)| *name == case.name)
            .map_or(case.expected_cookie.as_str(), |(_, chromium)| chromium);
        let observation = run_scenario(&scenario_for(case), DEFAULT_START);
        assert!(observation.error.is_none(), "{}: {:?}", case.name, observation.error);
        if observation.observed != ["", expected] {
            failures.push(format!("{}: expected {expected:?}, observed {:?}", case.name, observation.observed));
        }
    }
    assert!(failures.is_empty(), "{} of 221 cases fail:\n{}", failures.len(), failures.join("\n"));
}

#[derive(Deserialize)]
struct DateVector {
    input: String,
    expected_utc: Option<String>,
}

fn parse_iso(text: &str) -> Timestamp {
    // "YYYY-MM-DDTHH:MM:SSZ"
    let field = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap();
    Timestamp::from_civil(
        i64::from(field(0..4)),
        field(5..7),
        field(8..10),
        field(11..13),
        field(14..16),
        field(17..19),
    )
    .unwrap()
}

#[test]
fn cookie_date_vectors() {
    let vectors: Vec<DateVector> = serde_json::from_str(include_str!("data/http-state/dates/dates.json")).unwrap();
    assert_eq!(vectors.len(), 70);
    let mut failures = Vec::new();
    for vector in &vectors {
        let expected = vector.expected_utc.as_deref().map(parse_iso);
        let parsed = parse_cookie_date(vector.input.as_bytes());
        if parsed != expected {
            failures.push(format!("{:?}: expected {expected:?}, parsed {parsed:?}", vector.input));
        }
    }
    assert!(failures.is_empty(), "{} of 70 date vectors fail:\n{}", failures.len(), failures.join("\n"));
}
