//! Ad reports with the anonymity floor: impressions, clicks and the
//! click-through rate per day, campaign, basis and topic (the slots added
//! up), over a range of days.
//!
//! The floor is the statistics' (`[analytics] min_visitors`, k): a row with
//! fewer than k impressions is not shown on its own but folded into the
//! day's "other" row; an "other" row with fewer than k impressions itself
//! is withheld (only the number of rows it held is said). No report holds
//! a visitor: the store's counters have none.

use std::collections::BTreeMap;

use crumb_store::ads::AdCountRow;
use crumb_store::StoreError;
use serde::Serialize;

use crate::analytics::report::format_day;
use crate::interests::{Taxonomy, TopicId};
use crate::site::Site;

/// Milliseconds in a day.
const DAY_MILLIS: i64 = 86_400_000;
/// The longest range a report covers, in days.
pub const MAX_DAYS: i64 = 366;

/// One row of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdReportRow {
    /// The day, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The campaign's id; `None` on the day's "other" row.
    pub campaign: Option<String>,
    /// `interests`, `context` or `none`; `None` on the "other" row.
    pub basis: Option<String>,
    /// The topic that matched, if any.
    pub topic: Option<u16>,
    /// The topic's name (English, as the taxonomy has it).
    pub topic_name: Option<&'static str>,
    /// Ads seen.
    pub impressions: u64,
    /// Ads clicked.
    pub clicks: u64,
    /// Clicks per impression (0 to 1).
    pub ctr: f64,
    /// On the "other" row: how many rows under the floor it adds up; 0 otherwise.
    pub folded: u64,
}

/// A report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdReport {
    /// The first day, `YYYY-MM-DD`.
    pub from: String,
    /// The last day, `YYYY-MM-DD` (included).
    pub to: String,
    /// The floor: rows under this many impressions are folded or withheld.
    pub k: u64,
    /// By day, then campaign, basis and topic; each day's "other" row last.
    pub rows: Vec<AdReportRow>,
    /// Rows under the floor whose day's "other" row was under it too: not shown.
    pub withheld: u64,
}

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum AdReportError {
    /// The range is not one.
    #[error("{0}")]
    Range(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The report of `site` for Unix days `from_day` to `to_day` (both included).
pub async fn report(site: &Site, from_day: i64, to_day: i64) -> Result<AdReport, AdReportError> {
    if to_day < from_day {
        return Err(AdReportError::Range("to must not be before from"));
    }
    if to_day - from_day >= MAX_DAYS {
        return Err(AdReportError::Range("a report covers at most 366 days"));
    }
    let rows = site.store.ad_counts(&site.config.site_name, from_day, to_day).await?;
    let k = u64::from(site.config.analytics.min_visitors.max(1));
    Ok(build(&rows, from_day, to_day, k))
}

/// The report of counter `rows` (of days `from_day` to `to_day`) under floor `k`.
pub fn build(rows: &[AdCountRow], from_day: i64, to_day: i64, k: u64) -> AdReport {
    // (day, campaign, basis, topic) → (impressions, clicks): the slots added up.
    let mut cells: BTreeMap<(i64, &str, &str, i64), (u64, u64)> = BTreeMap::new();
    for row in rows {
        let key = &row.key;
        let topic = key.topic.map_or(-1, i64::from);
        let cell = cells.entry((key.day, key.campaign.as_str(), key.basis.as_str(), topic)).or_default();
        cell.0 += row.impressions;
        cell.1 += row.clicks;
    }
    let mut out = Vec::new();
    let mut withheld = 0;
    let mut day_other: Option<(i64, u64, u64, u64)> = None;
    let flush = |other: Option<(i64, u64, u64, u64)>, out: &mut Vec<AdReportRow>, withheld: &mut u64| {
        if let Some((day, impressions, clicks, folded)) = other {
            if impressions >= k {
                out.push(AdReportRow {
                    day: format_day(day * DAY_MILLIS),
                    campaign: None,
                    basis: None,
                    topic: None,
                    topic_name: None,
                    impressions,
                    clicks,
                    ctr: ctr(clicks, impressions),
                    folded,
                });
            } else {
                *withheld += folded;
            }
        }
    };
    for ((day, campaign, basis, topic), (impressions, clicks)) in cells {
        if day_other.is_some_and(|o| o.0 != day) {
            flush(day_other.take(), &mut out, &mut withheld);
        }
        if impressions >= k {
            let topic = u16::try_from(topic).ok();
            out.push(AdReportRow {
                day: format_day(day * DAY_MILLIS),
                campaign: Some(campaign.to_owned()),
                basis: Some(basis.to_owned()),
                topic,
                topic_name: topic.and_then(|t| Taxonomy::v2().get(TopicId(t))).map(|t| t.name),
                impressions,
                clicks,
                ctr: ctr(clicks, impressions),
                folded: 0,
            });
        } else {
            let other = day_other.get_or_insert((day, 0, 0, 0));
            other.1 += impressions;
            other.2 += clicks;
            other.3 += 1;
        }
    }
    flush(day_other.take(), &mut out, &mut withheld);
    AdReport { from: format_day(from_day * DAY_MILLIS), to: format_day(to_day * DAY_MILLIS), k, rows: out, withheld }
}

/// Clicks per impression, 0 without impressions.
fn ctr(clicks: u64, impressions: u64) -> f64 {
    if impressions == 0 {
        0.0
    } else {
        // Counts far below 2^52: exact as f64.
        #[allow(clippy::cast_precision_loss)]
        let rate = clicks as f64 / impressions as f64;
        rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crumb_store::ads::AdEventKey;

    fn row(
        day: i64,
        campaign: &str,
        slot: &str,
        basis: &str,
        topic: Option<u16>,
        seen: u64,
        clicks: u64,
    ) -> AdCountRow {
        AdCountRow {
            key: AdEventKey { day, campaign: campaign.into(), slot: slot.into(), basis: basis.into(), topic },
            served: seen + 1,
            impressions: seen,
            clicks,
        }
    }

    #[test]
    fn rows_at_the_floor_show_rows_under_it_fold_or_are_withheld() {
        let k = 10;
        let rows = [
            // Day 1: bikes at k over two slots (6 + 4); food just under k: alone in "other", withheld.
            row(1, "bikes", "sidebar", "interests", Some(369), 6, 1),
            row(1, "bikes", "top", "interests", Some(369), 4, 1),
            row(1, "food", "top", "context", Some(10), 9, 3),
            // Day 2: two rows under k fold into an "other" row of 5 + 5 = k.
            row(2, "bikes", "top", "none", None, 5, 0),
            row(2, "food", "top", "context", Some(10), 5, 2),
            row(2, "travel", "top", "context", Some(10), 11, 0),
        ];
        let report = build(&rows, 1, 2, k);
        assert_eq!(report.k, 10);
        let shown: Vec<_> = report
            .rows
            .iter()
            .map(|r| {
                (r.day.as_str(), r.campaign.as_deref(), r.basis.as_deref(), r.topic, r.impressions, r.clicks, r.folded)
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("1970-01-02", Some("bikes"), Some("interests"), Some(369), 10, 2, 0),
                ("1970-01-03", Some("travel"), Some("context"), Some(10), 11, 0, 0),
                ("1970-01-03", None, None, None, 10, 2, 2),
            ]
        );
        assert_eq!(report.withheld, 1, "day 1's food row (9 < k) alone in its other row");
        assert!((report.rows[0].ctr - 0.2).abs() < 1e-12);
        assert_eq!(report.rows[0].topic_name, Some("Bicycles & Accessories"));
        assert_eq!((report.from.as_str(), report.to.as_str()), ("1970-01-02", "1970-01-03"));
        // One impression fewer on day 2's "other": withheld, with its two rows.
        let mut fewer = rows.to_vec();
        fewer[4].impressions = 4;
        let report = build(&fewer, 1, 2, k);
        assert_eq!(report.rows.len(), 2);
        assert_eq!(report.withheld, 3);
    }
}
