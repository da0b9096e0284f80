//! A scan's result as data: per consent state, the pages visited, the
//! cookies held and the violations found; the notes that qualify it (no
//! browser, no declaration, a state that could not be reached).
//!
//! What it is not: its text, JSON or JUnit form (see `report`).

use serde::Serialize;

use crate::declared::Source;
use crate::judge::Violation;
use crate::observe::ObservedCookie;
use crate::states::ConsentState;

/// What visited the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Headless Chromium.
    Chromium,
    /// reqwest with crumb's jar: no scripts.
    Http,
}

/// One consent state's result.
#[derive(Debug, Clone, Serialize)]
pub struct StateOutcome {
    /// The state.
    pub state: ConsentState,
    /// Its identifier (`before-consent`, `reject-all`, `only-statistics`).
    pub id: String,
    /// In words.
    pub label: String,
    /// Whether the state was reached and crawled.
    pub reached: bool,
    /// Why not, or what cut the crawl short.
    pub notes: Vec<String>,
    /// Pages visited, in order.
    pub pages: Vec<String>,
    /// Links not followed because `robots.txt` disallows them.
    pub disallowed: Vec<String>,
    /// The cookies the browser held at the end.
    pub cookies: Vec<ObservedCookie>,
    /// What is wrong with them.
    pub violations: Vec<Violation>,
}

impl StateOutcome {
    /// A state that was not reached, and why.
    pub fn unreached(state: ConsentState, why: String) -> StateOutcome {
        StateOutcome {
            state,
            id: state.id(),
            label: state.label(),
            reached: false,
            notes: vec![why],
            pages: Vec::new(),
            disallowed: Vec::new(),
            cookies: Vec::new(),
            violations: Vec::new(),
        }
    }
}

/// A whole scan.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The URL scanned.
    pub url: String,
    /// What visited it.
    pub mode: Mode,
    /// Where the declaration came from.
    pub declaration: Source,
    /// What qualifies the result.
    pub notes: Vec<String>,
    /// `robots.txt` as found.
    pub robots: String,
    /// One per consent state.
    pub states: Vec<StateOutcome>,
}

impl Report {
    /// Violations in all states.
    pub fn violation_count(&self) -> usize {
        self.states.iter().map(|s| s.violations.len()).sum()
    }

    /// Every cookie seen in any state, once per name, domain and path.
    pub fn distinct_cookies(&self) -> Vec<&ObservedCookie> {
        let mut seen = std::collections::BTreeSet::new();
        self.states
            .iter()
            .flat_map(|s| &s.cookies)
            .filter(|c| seen.insert((c.name.clone(), c.domain.clone(), c.path.clone())))
            .collect()
    }
}
