//! The consent states a scan visits a site in: before any choice, after
//! "Reject all", and with each optional category granted alone.
//!
//! What it is not: how a state is reached (clicking crumb's banner in
//! Chromium, or posting to crumb's consent API without one); that is the
//! agents' job.

use crumb_core::category::Category;
use serde::Serialize;

/// One consent state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "category", rename_all = "kebab-case")]
pub enum ConsentState {
    /// A fresh browser that has not touched the banner.
    BeforeConsent,
    /// A fresh browser that chose "Reject all".
    RejectAll,
    /// A fresh browser that granted this one optional category and no other.
    Only(Category),
}

impl ConsentState {
    /// The states for a site whose declaration has these categories:
    /// before consent, reject all, then each optional category alone.
    pub fn plan(categories: &[Category]) -> Vec<ConsentState> {
        let mut states = vec![ConsentState::BeforeConsent, ConsentState::RejectAll];
        states.extend(Category::OPTIONAL.into_iter().filter(|c| categories.contains(c)).map(ConsentState::Only));
        states
    }

    /// A short identifier: `before-consent`, `reject-all`, `only-statistics`.
    pub fn id(self) -> String {
        match self {
            ConsentState::BeforeConsent => "before-consent".to_owned(),
            ConsentState::RejectAll => "reject-all".to_owned(),
            ConsentState::Only(category) => format!("only-{}", category.id()),
        }
    }

    /// Words for a report: "before consent", "after Reject all", "with only statistics granted".
    pub fn label(self) -> String {
        match self {
            ConsentState::BeforeConsent => "before consent".to_owned(),
            ConsentState::RejectAll => "after Reject all".to_owned(),
            ConsentState::Only(category) => format!("with only {} granted", category.id()),
        }
    }

    /// The categories granted in this state (necessary always is).
    pub fn granted(self) -> Vec<Category> {
        match self {
            ConsentState::BeforeConsent | ConsentState::RejectAll => vec![Category::Necessary],
            ConsentState::Only(category) => vec![Category::Necessary, category],
        }
    }

    /// Whether reaching this state needs a consent choice (all but the first).
    pub fn needs_choice(self) -> bool {
        self != ConsentState::BeforeConsent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_has_one_state_per_declared_optional_category() {
        let plan = ConsentState::plan(&[Category::Necessary, Category::Marketing, Category::Statistics]);
        let ids: Vec<String> = plan.iter().map(|s| s.id()).collect();
        assert_eq!(ids, ["before-consent", "reject-all", "only-statistics", "only-marketing"]);
        assert_eq!(ConsentState::Only(Category::Statistics).granted(), [Category::Necessary, Category::Statistics]);
    }
}
