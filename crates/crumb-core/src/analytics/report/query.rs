//! What a report asks for: the date range (whole UTC days), parsed from
//! `from`/`to`/`period`, and the funnel asked by name or by steps.

use super::*;

/// Ranges longer than this many days are refused.
pub const MAX_RANGE_DAYS: i64 = 3 * 366;

/// A report's date range: whole UTC days, `to` inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    /// Start of the first day.
    pub from: UnixMillis,
    /// End of the last day (exclusive).
    pub to: UnixMillis,
}

impl DateRange {
    /// Days in the range.
    pub fn days(&self) -> i64 {
        (self.to - self.from) / DAY_MILLIS
    }

    /// The range of the same length just before.
    pub fn previous(&self) -> DateRange {
        DateRange { from: self.from - (self.to - self.from), to: self.from }
    }

    /// Hourly for one or two days, daily above.
    pub fn granularity(&self) -> Granularity {
        if self.days() <= 2 {
            Granularity::Hour
        } else {
            Granularity::Day
        }
    }
}

/// `YYYY-MM-DD` of a UTC day start.
pub fn format_day(at: UnixMillis) -> String {
    let civil = Timestamp::from_unix_micros(at * 1000).to_civil();
    format!("{:04}-{:02}-{:02}", civil.year, civil.month, civil.day)
}

/// The start of the UTC day `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Option<UnixMillis> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    Some(Timestamp::from_civil(year, month, day, 0, 0, 0)?.unix_seconds() * 1000)
}

/// The query string of report endpoints.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (inclusive).
    pub to: Option<String>,
    /// Instead of from/to: `today`, `7d`, `30d`, `90d`, `365d`.
    pub period: Option<String>,
    /// Rows per table (default 10, at most 1,000).
    pub limit: Option<usize>,
    /// Funnel steps, comma-separated: `/path` or `event:name`.
    pub steps: Option<String>,
    /// Instead of steps: the name of a funnel of `crumb.toml`.
    pub funnel: Option<String>,
    /// Filter: visits that viewed this page.
    pub page: Option<String>,
    /// Filter: visits that entered on this page.
    pub entry: Option<String>,
    /// Filter: visits that left from this page.
    pub exit: Option<String>,
    /// Filter: visits from this source (empty: direct).
    pub source: Option<String>,
    /// Filter: visits with this `utm_source`.
    pub utm_source: Option<String>,
    /// Filter: visits with this `utm_medium`.
    pub utm_medium: Option<String>,
    /// Filter: visits with this `utm_campaign`.
    pub utm_campaign: Option<String>,
    /// Filter: visits in this browser family.
    pub browser: Option<String>,
    /// Filter: visits on this operating system.
    pub os: Option<String>,
    /// Filter: visits on this device class.
    pub device: Option<String>,
    /// Filter: visits that sent this custom event.
    pub event: Option<String>,
    /// The dashboard page's language (`?lang=`); reports ignore it.
    pub lang: Option<String>,
}

/// The funnel a query asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunnelAsked {
    /// The name of a configured funnel, if it was asked by name.
    pub name: Option<String>,
    /// Its steps, comma-separated.
    pub steps: String,
}

impl RangeQuery {
    /// The funnel asked for by `steps` or by `funnel` (a name among
    /// `configured`), or none.
    pub fn funnel_asked(&self, configured: &[Funnel]) -> Result<Option<FunnelAsked>, ReportError> {
        match (&self.steps, &self.funnel) {
            (None, None) => Ok(None),
            (Some(steps), None) => Ok(Some(FunnelAsked { name: None, steps: steps.clone() })),
            (None, Some(name)) => match configured.iter().find(|f| &f.name == name) {
                Some(funnel) => Ok(Some(FunnelAsked { name: Some(name.clone()), steps: funnel.steps.join(",") })),
                None => Err(ReportError::query(format!("funnel={name:?}: crumb.toml names no such funnel"))),
            },
            (Some(_), Some(_)) => Err(ReportError::query("give steps or funnel, not both")),
        }
    }

    /// The range asked for, relative to `now` (default: the last 30 days, today included).
    pub fn range(&self, now: UnixMillis) -> Result<DateRange, ReportError> {
        let today = now - now.rem_euclid(DAY_MILLIS);
        let range = match (&self.from, &self.to, &self.period) {
            (Some(from), Some(to), None) => {
                let bad = |name: &str, value: &str| ReportError::query(format!("{name}={value:?}: use YYYY-MM-DD"));
                let from_day = parse_day(from).ok_or_else(|| bad("from", from))?;
                let to_day = parse_day(to).ok_or_else(|| bad("to", to))?;
                if to_day < from_day {
                    return Err(ReportError::query(format!("“To” ({to}) is before “From” ({from})")));
                }
                DateRange { from: from_day, to: to_day + DAY_MILLIS }
            }
            (None, None, period) => {
                let days = match period.as_deref().unwrap_or("30d") {
                    "today" => 1,
                    "7d" => 7,
                    "30d" => 30,
                    "90d" => 90,
                    "365d" => 365,
                    other => {
                        return Err(ReportError::query(format!(
                            "period={other:?}: use today, 7d, 30d, 90d or 365d (or from and to)"
                        )))
                    }
                };
                DateRange { from: today - (days - 1) * DAY_MILLIS, to: today + DAY_MILLIS }
            }
            _ => return Err(ReportError::query("give both from and to, or period, not a mix")),
        };
        if range.days() > MAX_RANGE_DAYS {
            return Err(ReportError::query(format!("a report covers at most {MAX_RANGE_DAYS} days")));
        }
        Ok(range)
    }

    /// Rows per table.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(10).clamp(1, 1000)
    }
}
