//! The dimensions rollups are kept for, and their stored names.
//!
//! A rollup row's dimension is stored as its name (`total`, `page`,
//! `utm_source`, …): [`Dimension::as_str`] writes it, [`str::parse`] reads
//! it back, and a name this build does not know is a damaged row.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::sketch::Precision;

/// The dimensions rollups are kept for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The whole site (value empty).
    Total,
    /// Page paths (page views).
    Page,
    /// First page of a visit.
    Entry,
    /// Last page of a visit.
    Exit,
    /// Referrer source of a visit (empty: direct).
    Source,
    /// `utm_source` of a visit.
    UtmSource,
    /// `utm_medium` of a visit.
    UtmMedium,
    /// `utm_campaign` of a visit.
    UtmCampaign,
    /// Browser family.
    Browser,
    /// Operating system family.
    Os,
    /// Device class.
    Device,
    /// `new` or `returning` (only for visitors with a cookie).
    VisitorType,
    /// `cookie` or `cookieless`.
    Tracking,
    /// Custom event names.
    Event,
    /// Custom event properties: `event name` U+001F `key` U+001F `value`.
    Property,
    /// Outbound link URLs.
    Outbound,
    /// Steps of the funnels rolled up with the day ([`RolledFunnel`](super::rollup::RolledFunnel)): the
    /// value is the funnel's key, U+001F, the step's index (0-based); the key
    /// alone marks a day rolled up with that funnel.
    Funnel,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Dimension; 17] = [
        Dimension::Total,
        Dimension::Page,
        Dimension::Entry,
        Dimension::Exit,
        Dimension::Source,
        Dimension::UtmSource,
        Dimension::UtmMedium,
        Dimension::UtmCampaign,
        Dimension::Browser,
        Dimension::Os,
        Dimension::Device,
        Dimension::VisitorType,
        Dimension::Tracking,
        Dimension::Event,
        Dimension::Property,
        Dimension::Outbound,
        Dimension::Funnel,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Total => "total",
            Dimension::Page => "page",
            Dimension::Entry => "entry",
            Dimension::Exit => "exit",
            Dimension::Source => "source",
            Dimension::UtmSource => "utm_source",
            Dimension::UtmMedium => "utm_medium",
            Dimension::UtmCampaign => "utm_campaign",
            Dimension::Browser => "browser",
            Dimension::Os => "os",
            Dimension::Device => "device",
            Dimension::VisitorType => "visitor_type",
            Dimension::Tracking => "tracking",
            Dimension::Event => "event",
            Dimension::Property => "property",
            Dimension::Outbound => "outbound",
            Dimension::Funnel => "funnel",
        }
    }

    /// How precise its rows' visitor sketches are once they pass
    /// [`EXACT_LIMIT`](super::sketch::EXACT_LIMIT) visitors (below, every
    /// row is an exact set): fine for the site's totals and the few rows of
    /// funnel steps, coarse for the many rows of every other dimension.
    pub fn precision(self) -> Precision {
        match self {
            Dimension::Total | Dimension::Funnel => Precision::Fine,
            _ => Precision::Coarse,
        }
    }

    /// The stored name (the same as [`as_str`](Self::as_str)).
    pub fn name(self) -> &'static str {
        self.as_str()
    }

    /// The dimension of a stored name.
    pub fn from_name(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored dimension name this build does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown rollup dimension {0:?}")]
pub struct UnknownDimension(pub String);

impl From<UnknownDimension> for crate::StoreError {
    fn from(error: UnknownDimension) -> Self {
        crate::StoreError::Corrupt { detail: error.to_string() }
    }
}

impl FromStr for Dimension {
    type Err = UnknownDimension;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Dimension::from_name(name).ok_or_else(|| UnknownDimension(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_serde_names() {
        for dimension in Dimension::ALL {
            assert_eq!(dimension.as_str().parse::<Dimension>(), Ok(dimension));
            assert_eq!(dimension.to_string(), dimension.as_str());
            // Open visits store dimensions with serde: the same names.
            let json = serde_json::to_string(&dimension).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", dimension.as_str()));
        }
        let names: std::collections::HashSet<&str> = Dimension::ALL.iter().map(|d| d.as_str()).collect();
        assert_eq!(names.len(), Dimension::ALL.len());
        assert_eq!("Page".parse::<Dimension>(), Err(UnknownDimension("Page".into())), "names are case-sensitive");
        assert!(matches!(crate::StoreError::from(UnknownDimension("x".into())), crate::StoreError::Corrupt { .. }));
    }
}
