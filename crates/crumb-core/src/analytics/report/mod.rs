//! Reports: rollups over a date range (and raw events for the part not yet
//! rolled up), merged per dimension, with the anonymity floor applied.
//!
//! The floor: a row with fewer than k distinct visitors is folded into
//! "other"; if "other" itself stays under k, the smallest shown rows are
//! folded into it too (otherwise it could be worked out as the total minus
//! the shown rows), and if it still stays under k it is shown without
//! figures. Totals and time-series points under k are shown without
//! figures as well. Nothing is ever reported per visitor.

use std::collections::{BTreeMap, HashMap, HashSet};

use crumb_cookie::Timestamp;
use crumb_store::analytics::rollup::{self, Dimension, FunnelStep, RolledFunnel};
use crumb_store::analytics::{Counts, Granularity, RollupRow, VisitorSketch, DAY_MILLIS};
use crumb_store::{StoreError, UnixMillis};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};

use crate::analytics::funnel_steps::{check_funnel_steps, parse_step, MAX_STEPS};
use crate::config::Funnel;
use crate::site::Site;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The request asks for something that is not a report (a date that is
    /// not one, a range too long, an unknown funnel, …).
    #[error("{0}")]
    Query(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A counting task did not finish (the runtime is shutting down).
    #[error("a counting task did not finish")]
    Interrupted,
}

impl ReportError {
    /// A [`ReportError::Query`].
    pub fn query(message: impl Into<String>) -> Self {
        ReportError::Query(message.into())
    }
}

/// The label of the row that holds folded rows: the value rollups count
/// values beyond the day's limit under, too, which folds with them.
pub const OTHER: &str = rollup::OTHER;

mod build;
mod filter;
mod funnel;
mod model;
mod query;
mod read;

pub use build::*;
pub use filter::*;
pub use funnel::*;
pub use model::*;
pub use query::*;
pub use read::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(visitors: std::ops::Range<i64>) -> VisitorSketch {
        let mut s = VisitorSketch::new();
        visitors.for_each(|v| s.insert(v * 7919));
        s
    }

    fn row(value: &str, visitors: std::ops::Range<i64>) -> (String, Counts, VisitorSketch) {
        let n = (visitors.end - visitors.start) as u64;
        (value.to_owned(), Counts { pageviews: n, visits: n, ..Counts::default() }, sketch(visitors))
    }

    #[test]
    fn k_minus_one_folds_and_k_shows() {
        let k = 10;
        let table = floor_table(vec![row("/big", 0..50), row("/k", 100..110), row("/k-1", 200..209)], k, 10);
        let values: Vec<&str> = table.iter().map(|r| r.value.as_str()).collect();
        // /k-1 folds; "other" would then hold 9 visitors, so the smallest shown row (/k) folds too.
        assert_eq!(values, ["/big", OTHER]);
        assert_eq!(table[1].visitors, Some(19));
        assert!(!table[1].suppressed);

        let table = floor_table(
            vec![row("/big", 0..50), row("/k", 100..110), row("/k-1", 200..209), row("/k2", 300..310)],
            k,
            10,
        );
        let values: Vec<&str> = table.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(values, ["/big", "/k", OTHER], "/k2 (the last of the ties) folded to lift other to k");
        assert!(table.iter().all(|r| r.visitors.unwrap_or(k) >= k));
    }

    #[test]
    fn a_rollups_other_folds_into_the_tables_other() {
        let table = floor_table(vec![row("/big", 0..50), row(OTHER, 100..160), row("/k", 200..210)], 10, 10);
        let values: Vec<(&str, bool)> = table.iter().map(|r| (r.value.as_str(), r.other)).collect();
        assert_eq!(values, [("/big", false), ("/k", false), (OTHER, true)]);
        assert_eq!(table[2].visitors, Some(60));
    }

    #[test]
    fn exactly_k_is_shown() {
        let table = floor_table(vec![row("/a", 0..10), row("/b", 10..20)], 10, 10);
        assert_eq!(
            table.iter().map(|r| (r.value.as_str(), r.visitors)).collect::<Vec<_>>(),
            [("/a", Some(10)), ("/b", Some(10))]
        );
    }

    #[test]
    fn a_small_other_alone_is_withheld() {
        let table = floor_table(vec![row("/a", 0..3), row("/b", 3..5)], 10, 10);
        assert_eq!(table.len(), 1);
        assert!(table[0].suppressed && table[0].other);
        assert_eq!(table[0].visitors, None);
        assert_eq!(table[0].pageviews, None);
    }

    #[test]
    fn the_limit_folds_the_tail_into_other() {
        let rows: Vec<_> = (0..5).map(|i| row(&format!("/{i}"), i * 100..i * 100 + 20 + i)).collect();
        let table = floor_table(rows, 10, 2);
        assert_eq!(table.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(), ["/4", "/3", OTHER]);
        assert_eq!(table[2].visitors, Some(63));
    }

    #[test]
    fn ranges() {
        let now = parse_day("2026-11-29").unwrap() + 5 * 3_600_000;
        let q = RangeQuery { from: Some("2026-11-01".into()), to: Some("2026-11-03".into()), ..RangeQuery::default() };
        let range = q.range(now).unwrap();
        assert_eq!(range.days(), 3);
        assert_eq!(format_day(range.previous().from), "2026-10-29");
        let q = RangeQuery { period: Some("7d".into()), ..RangeQuery::default() };
        let range = q.range(now).unwrap();
        assert_eq!((format_day(range.from), range.days()), ("2026-11-23".to_owned(), 7));
        assert_eq!(range.granularity(), Granularity::Day);
        let q = RangeQuery { period: Some("today".into()), ..RangeQuery::default() };
        assert_eq!(q.range(now).unwrap().granularity(), Granularity::Hour);
        for bad in [
            RangeQuery { from: Some("2026-13-01".into()), to: Some("2026-11-03".into()), ..RangeQuery::default() },
            RangeQuery { from: Some("2026-11-05".into()), to: Some("2026-11-03".into()), ..RangeQuery::default() },
            RangeQuery { period: Some("forever".into()), ..RangeQuery::default() },
            RangeQuery { from: Some("2026-11-05".into()), ..RangeQuery::default() },
            RangeQuery { from: Some("2000-01-01".into()), to: Some("2026-11-03".into()), ..RangeQuery::default() },
        ] {
            assert!(bad.range(now).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn funnel_steps() {
        assert_eq!(parse_steps("/, /cart ,event:buy").unwrap().len(), 3);
        assert!(parse_steps("/").is_err());
        assert!(parse_steps("/a,cart").is_err());
        assert!(parse_steps("/a,event:").is_err());
    }

    #[test]
    fn configured_funnel_steps_are_checked() {
        let steps = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(check_funnel_steps(&steps(&["/", "event:buy"])).unwrap().len(), 2);
        assert!(check_funnel_steps(&steps(&["/"])).unwrap_err().contains("2 to 10 steps"));
        assert!(check_funnel_steps(&steps(&["/"; 11])).unwrap_err().contains("not 11"));
        assert!(check_funnel_steps(&steps(&["/a,b", "/c"])).unwrap_err().contains("comma"));
        assert!(check_funnel_steps(&steps(&["/a", "cart"])).unwrap_err().contains("neither"));
        // Trimmed as the API's steps are, so that both name the same rolled-up funnel.
        let trimmed = check_funnel_steps(&steps(&[" /", "/cart "])).unwrap();
        assert_eq!(RolledFunnel::new(trimmed).key, RolledFunnel::new(parse_steps("/,/cart").unwrap()).key);
    }

    #[test]
    fn a_funnel_is_asked_by_steps_or_by_name() {
        let configured = [Funnel { name: "Buy".into(), steps: vec!["/".into(), "/cart".into(), "event:buy".into()] }];
        let query = |steps: Option<&str>, funnel: Option<&str>| RangeQuery {
            steps: steps.map(str::to_owned),
            funnel: funnel.map(str::to_owned),
            ..RangeQuery::default()
        };
        assert_eq!(query(None, None).funnel_asked(&configured).unwrap(), None);
        assert_eq!(
            query(Some("/,/a"), None).funnel_asked(&configured).unwrap(),
            Some(FunnelAsked { name: None, steps: "/,/a".into() })
        );
        assert_eq!(
            query(None, Some("Buy")).funnel_asked(&configured).unwrap(),
            Some(FunnelAsked { name: Some("Buy".into()), steps: "/,/cart,event:buy".into() })
        );
        assert!(query(None, Some("Sell")).funnel_asked(&configured).is_err());
        assert!(query(Some("/,/a"), Some("Buy")).funnel_asked(&configured).is_err());
    }
}
