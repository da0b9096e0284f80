//! Consent categories and what the privacy signals refuse.

use serde::{Deserialize, Serialize};

/// A consent category of `crumb.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Needed for the site to work; no consent asked, always on.
    Necessary,
    /// Remembers choices such as language and theme.
    Preferences,
    /// Aggregated, anonymous visit statistics.
    Statistics,
    /// Advertising and cross-site measurement.
    Marketing,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 4] =
        [Category::Necessary, Category::Preferences, Category::Statistics, Category::Marketing];

    /// The categories a visitor can grant or refuse.
    pub const OPTIONAL: [Category; 3] = [Category::Preferences, Category::Statistics, Category::Marketing];

    /// The identifier used in `crumb.toml`, the API and the script.
    pub fn id(self) -> &'static str {
        match self {
            Category::Necessary => "necessary",
            Category::Preferences => "preferences",
            Category::Statistics => "statistics",
            Category::Marketing => "marketing",
        }
    }

    /// Parses an identifier.
    pub fn parse(id: &str) -> Option<Self> {
        Category::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// The privacy signals a request carried, as far as the site honours them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Signals {
    /// `Sec-GPC: 1` was sent and the site honours it.
    pub gpc: bool,
    /// `DNT: 1` was sent and the site honours it.
    pub dnt: bool,
}

/// Which signal refuses a category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    /// Global Privacy Control.
    Gpc,
    /// Do Not Track.
    Dnt,
}

impl Signals {
    /// The signal that refuses `category`, if any: Global Privacy Control is
    /// an objection to selling and sharing data, so it refuses `marketing`;
    /// Do Not Track objects to being followed, so it refuses `statistics`
    /// and `marketing`.
    pub fn refuses(self, category: Category) -> Option<Signal> {
        match category {
            Category::Marketing if self.gpc => Some(Signal::Gpc),
            Category::Marketing | Category::Statistics if self.dnt => Some(Signal::Dnt),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_refuse_the_right_categories() {
        let gpc = Signals { gpc: true, dnt: false };
        assert_eq!(gpc.refuses(Category::Marketing), Some(Signal::Gpc));
        assert_eq!(gpc.refuses(Category::Statistics), None);
        let dnt = Signals { gpc: false, dnt: true };
        assert_eq!(dnt.refuses(Category::Statistics), Some(Signal::Dnt));
        assert_eq!(dnt.refuses(Category::Marketing), Some(Signal::Dnt));
        assert_eq!(dnt.refuses(Category::Preferences), None);
        assert_eq!(Signals::default().refuses(Category::Marketing), None);
    }
}
