//! Filtered reports: the visits of one page, source, UTM value, browser,
//! system, device or custom event (several filters: visits matching every
//! one), counted from raw events — rollups are kept per dimension, not per
//! combination — over the days whose raw events are still kept, with the
//! same anonymity floor as every report.

use super::*;

use std::cell::RefCell;

use crumb_store::analytics::{EventKind, StoredEvent};

/// The dimensions a report can be filtered by, and their query names.
pub const FILTERABLE: [Dimension; 11] = [
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
    Dimension::Event,
];

/// One filter: visits with this value of this dimension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// The dimension (`page`, `source`, …).
    pub dimension: Dimension,
    /// The value (a path, a host — empty for direct —, a browser family …).
    pub value: String,
}

/// Whether a visit (its events, in time order) matches a filter: a page it
/// viewed, the event it sent, or its entry, exit, source, UTM fields,
/// browser, system or device.
fn matches(visit: &[StoredEvent], filter: &Filter) -> bool {
    let Some(first) = visit.first().map(|stored| &stored.event) else { return false };
    let mut pageviews = visit.iter().map(|stored| &stored.event).filter(|event| event.kind == EventKind::Pageview);
    let value = filter.value.as_str();
    match filter.dimension {
        Dimension::Page => pageviews.any(|event| event.path == value),
        Dimension::Entry => pageviews.next().is_some_and(|event| event.path == value),
        Dimension::Exit => pageviews.next_back().is_some_and(|event| event.path == value),
        Dimension::Source => first.source == value,
        Dimension::UtmSource => first.utm_source == value,
        Dimension::UtmMedium => first.utm_medium == value,
        Dimension::UtmCampaign => first.utm_campaign == value,
        Dimension::Browser => first.browser == value,
        Dimension::Os => first.os == value,
        Dimension::Device => first.device == value,
        Dimension::Event => {
            visit.iter().any(|stored| stored.event.kind == EventKind::Custom && stored.event.name == value)
        }
        _ => false,
    }
}

/// Who each filter leaves out, to keep the anonymity floor against
/// differencing: a filtered report minus the same report without one of its
/// filters describes the visitors that filter removed, so that group must
/// be empty or at least k visitors, like any row.
struct Audience {
    /// The visitors of the visits matching every filter.
    matching: HashSet<(i64, bool)>,
    /// Per filter, the visitors of the visits matching every filter but it.
    without: Vec<HashSet<(i64, bool)>>,
}

impl Audience {
    fn new(filters: usize) -> Self {
        Audience { matching: HashSet::new(), without: vec![HashSet::new(); filters] }
    }

    /// Counts one visit, given which filters it matches.
    fn count(&mut self, visit: &[StoredEvent], hits: &[bool]) {
        let Some(first) = visit.first() else { return };
        let visitor = (first.event.visitor, first.event.cookieless);
        let missed = hits.iter().filter(|hit| !**hit).count();
        for (index, set) in self.without.iter_mut().enumerate() {
            // Matches every filter but (perhaps) this one.
            if missed == 0 || (missed == 1 && !hits[index]) {
                set.insert(visitor);
            }
        }
        if missed == 0 {
            self.matching.insert(visitor);
        }
    }

    /// The first filter whose removal would add between 1 and k − 1
    /// visitors, and how many.
    fn singled_out(&self, k: u64) -> Option<(usize, u64)> {
        self.without.iter().enumerate().find_map(|(index, set)| {
            let hidden = set.difference(&self.matching).count() as u64;
            (hidden > 0 && hidden < k).then_some((index, hidden))
        })
    }
}

/// The rollup of the visits of `range` that match every filter, from raw
/// events; the range is cut to the days whose raw events are kept (the
/// returned start, when later than the range's).
async fn filtered_rollup(
    state: &Site,
    range: DateRange,
    filters: &[Filter],
) -> Result<(rollup::Rollup, Option<UnixMillis>), ReportError> {
    let now = state.now_millis();
    let kept_from = now - i64::from(state.config.analytics.raw_retention_days) * DAY_MILLIS;
    let from = range.from.max(kept_from);
    let to = range.to.min(now + 1);
    let events =
        if from < to { state.store.events_between(&state.config.site_name, from, to).await? } else { Vec::new() };
    let filters = filters.to_vec();
    let limit = value_limit(&state.config.analytics);
    let k = u64::from(state.config.analytics.min_visitors);
    let rolled = tokio::task::spawn_blocking(move || {
        let audience = RefCell::new(Audience::new(filters.len()));
        let selected = rollup::select_visits(events, |visit| {
            let hits: Vec<bool> = filters.iter().map(|filter| matches(visit, filter)).collect();
            audience.borrow_mut().count(visit, &hits);
            hits.iter().all(|hit| *hit)
        });
        match audience.into_inner().singled_out(k) {
            Some((index, hidden)) => Err(ReportError::query(format!(
                "these filters would show fewer than {k} visitors by difference: without the {} filter the \
                 report counts {hidden} more, and comparing the two would describe them (the anonymity floor); \
                 remove a filter",
                filters[index].dimension.name(),
            ))),
            None => Ok(rollup::aggregate(selected, &[], &limit)),
        }
    })
    .await
    .map_err(|_| ReportError::Interrupted)??;
    Ok((rolled, (from > range.from).then_some(from)))
}

/// The report of `range` restricted to the visits matching every filter
/// (see the [module docs](self)).
pub async fn build_filtered(
    state: &Site,
    range: DateRange,
    limit: usize,
    filters: &[Filter],
) -> Result<Report, ReportError> {
    if filters.is_empty() {
        return build(state, range, limit).await;
    }
    let k = u64::from(state.config.analytics.min_visitors);
    let granularity = range.granularity();
    let now = state.now_millis();
    let (rolled, counted_from) = filtered_rollup(state, range, filters).await?;
    let (previous_range, previous_granularity) = compared_range(range, now);
    let (previous, _) = filtered_rollup(state, previous_range, filters).await?;
    let rows = |rollup: &rollup::Rollup, granularity: Granularity| match granularity {
        Granularity::Hour => rollup.hourly.clone(),
        Granularity::Day => rollup.daily.clone(),
    };
    let series_rows = rows(&rolled, granularity);
    let totals = totals_of(&rolled.daily, returning_visits(&rolled.daily), k);
    let previous_rows = rows(&previous, previous_granularity);
    let mut by_dimension: HashMap<Dimension, Vec<(String, Counts, VisitorSketch)>> = HashMap::new();
    for ((dimension, value), (counts, sketch)) in rollup::merge_rows(rolled.daily.iter()) {
        by_dimension.entry(dimension).or_default().push((value, counts, sketch));
    }
    let mut tables: BTreeMap<&'static str, Vec<TableRow>> = BTreeMap::new();
    for dimension in super::tables() {
        let values = by_dimension.remove(&dimension).unwrap_or_default();
        tables.insert(dimension.name(), floor_table(values, k, limit));
    }
    one_visitor_figure(&totals, &mut tables, k);
    let goals = filtered_goals(state, &rolled, k, totals.visitors.unwrap_or(0));
    Ok(Report {
        site: state.config.site_name.clone(),
        from: format_day(range.from),
        to: format_day(range.to - DAY_MILLIS),
        granularity,
        min_visitors: k,
        series: series_of(&series_rows, range, granularity, k, now),
        totals,
        previous: totals_of(&previous_rows, returning_visits(&previous_rows), k),
        previous_partial: previous_granularity == Granularity::Hour,
        tables,
        goals,
        cross_device: cross_device(state, range, k).await?,
        filters: filters.to_vec(),
        counted_from: counted_from.map(format_day),
    })
}

/// The goals of `crumb.toml` in a filtered rollup.
fn filtered_goals(state: &Site, rolled: &rollup::Rollup, k: u64, total_visitors: u64) -> Vec<GoalRow> {
    state
        .config
        .analytics
        .goals
        .iter()
        .filter_map(|goal| {
            let (dimension, value) = match (&goal.event, &goal.path) {
                (Some(event), _) => (Dimension::Event, event),
                (None, Some(path)) => (Dimension::Page, path),
                (None, None) => return None,
            };
            let mut counts = Counts::default();
            let mut sketch = VisitorSketch::new();
            for row in rolled.daily.iter().filter(|r| r.dimension == dimension && &r.value == value) {
                counts.add(&row.counts);
                sketch.merge(&row.visitors);
            }
            let visitors = row_visitors(&counts, &sketch);
            let conversions = if dimension == Dimension::Page { counts.pageviews } else { counts.events };
            let suppressed = visitors > 0 && visitors < k;
            Some(GoalRow {
                name: goal.name.clone(),
                suppressed,
                visitors: (!suppressed).then_some(visitors),
                conversions: (!suppressed).then_some(conversions),
                conversion_rate: (!suppressed).then(|| ratio(visitors, total_visitors)),
            })
        })
        .collect()
}

impl RangeQuery {
    /// The filters asked for, in the order of [`FILTERABLE`].
    pub fn filters(&self) -> Vec<Filter> {
        FILTERABLE
            .into_iter()
            .filter_map(|dimension| {
                let value = match dimension {
                    Dimension::Page => &self.page,
                    Dimension::Entry => &self.entry,
                    Dimension::Exit => &self.exit,
                    Dimension::Source => &self.source,
                    Dimension::UtmSource => &self.utm_source,
                    Dimension::UtmMedium => &self.utm_medium,
                    Dimension::UtmCampaign => &self.utm_campaign,
                    Dimension::Browser => &self.browser,
                    Dimension::Os => &self.os,
                    Dimension::Device => &self.device,
                    Dimension::Event => &self.event,
                    _ => &None,
                };
                value.clone().map(|value| Filter { dimension, value })
            })
            .collect()
    }
}
