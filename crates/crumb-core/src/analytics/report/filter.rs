//! Filtered reports: the visits of one page, source, UTM value, browser,
//! system, device or custom event (several filters: visits matching every
//! one), counted from raw events — rollups are kept per dimension, not per
//! combination — over the days whose raw events are still kept, with the
//! same anonymity floor as every report.
//!
//! The previous period, for the cards' changes, is the same filters over
//! the range of equal length before (see [`PreviousCounted`]): from raw
//! events while they are kept, else from the rollups of a one-filter value
//! each visit has once, else not compared. Cross-device users, counted per
//! signed-in user rather than per visit, are not filtered and so withheld.

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

/// The visits of a range that match every filter, rolled up from raw events.
struct Filtered {
    /// Their rollup.
    rolled: rollup::Rollup,
    /// The first instant counted, when raw events do not reach back to the range's start.
    counted_from: Option<UnixMillis>,
    /// The first filter whose removal would add 1 to k − 1 visitors, and how many.
    singled_out: Option<(usize, u64)>,
}

/// The first instant whose raw events are kept.
fn raw_kept_from(state: &Site) -> UnixMillis {
    state.now_millis() - i64::from(state.config.analytics.raw_retention_days) * DAY_MILLIS
}

/// The rollup of the visits of `range` that match every filter, from raw
/// events; the range is cut to the days whose raw events are kept.
async fn filtered_rollup(state: &Site, range: DateRange, filters: &[Filter]) -> Result<Filtered, ReportError> {
    let now = state.now_millis();
    let from = range.from.max(raw_kept_from(state));
    let to = range.to.min(now + 1);
    let events =
        if from < to { state.store.events_between(&state.config.site_name, from, to).await? } else { Vec::new() };
    let filters = filters.to_vec();
    let limit = value_limit(&state.config.analytics);
    let k = u64::from(state.config.analytics.min_visitors);
    let (rolled, singled_out) = tokio::task::spawn_blocking(move || {
        let audience = RefCell::new(Audience::new(filters.len()));
        let selected = rollup::select_visits(events, |visit| {
            let hits: Vec<bool> = filters.iter().map(|filter| matches(visit, filter)).collect();
            audience.borrow_mut().count(visit, &hits);
            hits.iter().all(|hit| *hit)
        });
        (rollup::aggregate(selected, &[], &limit), audience.into_inner().singled_out(k))
    })
    .await
    .map_err(|_| ReportError::Interrupted)?;
    Ok(Filtered { rolled, counted_from: (from > range.from).then_some(from), singled_out })
}

/// The refusal of a filtered report whose filter `index` would single out
/// `hidden` visitors by difference.
fn singled_out_error(filters: &[Filter], index: usize, hidden: u64, k: u64) -> ReportError {
    ReportError::query(format!(
        "these filters would show fewer than {k} visitors by difference: without the {} filter the \
         report counts {hidden} more, and comparing the two would describe them (the anonymity floor); \
         remove a filter",
        filters.get(index).map_or("", |filter| filter.dimension.name()),
    ))
}

/// Figures withheld: the previous period of a filtered report that cannot
/// be shown (it would single visitors out, or cannot be counted).
fn withheld() -> Totals {
    Totals { suppressed: true, ..Totals::default() }
}

/// The filtered report's previous period, and how it was counted: from raw
/// events while they are kept for all of it; else, for one filter on a
/// value a visit has once (entry, exit, source, UTM field, browser, system,
/// device), from that value's rollups; else not at all. The anonymity floor
/// and the differencing rule hold as for the range itself, but a previous
/// period that breaks them is withheld rather than refusing the report.
async fn previous_of(
    state: &Site,
    range: DateRange,
    granularity: Granularity,
    filters: &[Filter],
    k: u64,
) -> Result<(Totals, PreviousCounted), ReportError> {
    if range.from >= raw_kept_from(state) {
        let filtered = filtered_rollup(state, range, filters).await?;
        if filtered.singled_out.is_some() {
            return Ok((withheld(), PreviousCounted::RawEvents));
        }
        let rows = match granularity {
            Granularity::Hour => &filtered.rolled.hourly,
            Granularity::Day => &filtered.rolled.daily,
        };
        return Ok((totals_of(rows, returning_visits(rows), k), PreviousCounted::RawEvents));
    }
    match filters {
        [filter] if rolled_up_per_visit(filter) => {
            Ok((previous_from_rollups(state, range, granularity, filter, k).await?, PreviousCounted::Rollups))
        }
        _ => Ok((withheld(), PreviousCounted::NotKept)),
    }
}

/// Whether the rollups of `filter`'s value count exactly the visits the
/// filter matches: a value each visit has once (not a page or an event,
/// whose rows count only their own page views or events), and not an empty
/// UTM field (visits without one have no UTM row).
fn rolled_up_per_visit(filter: &Filter) -> bool {
    match filter.dimension {
        Dimension::Entry
        | Dimension::Exit
        | Dimension::Source
        | Dimension::Browser
        | Dimension::Os
        | Dimension::Device => true,
        Dimension::UtmSource | Dimension::UtmMedium | Dimension::UtmCampaign => !filter.value.is_empty(),
        _ => false,
    }
}

/// The visits of `filter`'s value in `range`, from its rollup rows: the
/// visitors, visits, page views, bounces, durations and new visits of those
/// visits (rows of a visit-level value count all of them). Its events and
/// returning visits are not in those rows: left out (no comparison). The
/// visitors the filter leaves out are the site's minus the value's (a
/// subset): when they might be 1 to k − 1 (within the sketches' margins),
/// the figures are withheld.
async fn previous_from_rollups(
    state: &Site,
    range: DateRange,
    granularity: Granularity,
    filter: &Filter,
    k: u64,
) -> Result<Totals, ReportError> {
    let site = &state.config.site_name;
    let values = [filter.value.clone()];
    let (rows, site_rows) = tokio::try_join!(
        state.store.rollup_values(site, granularity, range.from, range.to, filter.dimension, &values),
        state.store.rollups(site, granularity, range.from, range.to, &[Dimension::Total]),
    )?;
    let (mut counts, mut matching) = (Counts::default(), VisitorSketch::new());
    for row in &rows {
        counts.add(&row.counts);
        matching.merge(&row.visitors);
    }
    let (mut site_counts, mut everyone) = (Counts::default(), VisitorSketch::new());
    for row in &site_rows {
        site_counts.add(&row.counts);
        everyone.merge(&row.visitors);
    }
    let matched = consistent_visitors(matching.count(), counts.new_visits, counts.visits);
    let all = consistent_visitors(everyone.count(), site_counts.new_visits, site_counts.visits);
    let left_out = all.saturating_sub(matched);
    let uncertainty = matching.margin().unwrap_or(0) + everyone.margin().unwrap_or(0);
    if (left_out > 0 || uncertainty > 0) && left_out < k + uncertainty {
        return Ok(withheld());
    }
    let mut totals = Totals::of(&counts, &matching, 0, k);
    totals.events = None;
    totals.returning_visits = None;
    Ok(totals)
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
    let Filtered { rolled, counted_from, singled_out } = filtered_rollup(state, range, filters).await?;
    if let Some((index, hidden)) = singled_out {
        return Err(singled_out_error(filters, index, hidden, k));
    }
    let (previous_range, previous_granularity) = compared_range(range, now);
    let (previous, previous_counted) = previous_of(state, previous_range, previous_granularity, filters, k).await?;
    let series_rows = match granularity {
        Granularity::Hour => &rolled.hourly,
        Granularity::Day => &rolled.daily,
    };
    let totals = totals_of(&rolled.daily, returning_visits(&rolled.daily), k);
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
        series: series_of(series_rows, range, granularity, k, now),
        totals,
        previous,
        previous_partial: previous_granularity == Granularity::Hour,
        previous_counted: Some(previous_counted),
        tables,
        goals,
        // Counted per signed-in user, not per visit: no filter applies.
        cross_device: CrossDevice::not_filtered(),
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
