//! Reading a report's parts: rollups plus the raw tail after them, tables
//! with the anonymity floor, series, and reading them all at one rollup cut.

use super::*;

/// The split of a range between stored rollups and raw events: rollups
/// cover `[range.from, split)`, `fresh` is the rest aggregated from raw
/// events (at most minutes, once the rollup job runs) together with the
/// visits left open at the split, which count where they started, before it.
pub struct Sources {
    /// Where stored rollups end.
    pub split: UnixMillis,
    /// The raw tail, rolled up in memory.
    pub fresh: rollup::Rollup,
}

/// Finds where stored rollups end in `range`, given the site's rolled-up
/// mark, and aggregates the raw tail. When the rollups end at today's
/// provisional cut, the tail continues the visits left open there, so that
/// none counts twice.
pub(super) async fn sources(
    state: &Site,
    range: DateRange,
    rolled_until: Option<UnixMillis>,
) -> Result<Sources, ReportError> {
    let site = &state.config.site_name;
    let rolled_until = rolled_until.unwrap_or(i64::MIN);
    let split = rolled_until.clamp(range.from, range.to);
    let open_to = range.to.min(state.now_millis() + 1);
    if split >= open_to {
        return Ok(Sources { split, fresh: rollup::Rollup::default() });
    }
    let at_provisional_cut = split == rolled_until && split.rem_euclid(DAY_MILLIS) != 0;
    let open_visits = async {
        if !at_provisional_cut {
            return Ok(Vec::new());
        }
        match state.store.open_visits(site, split - split.rem_euclid(DAY_MILLIS)).await {
            // Unreadable state (written by another version?) must not stop
            // reports: the open visits are missing until the next rollup.
            Err(StoreError::Corrupt { detail }) => {
                tracing::warn!(%detail, "open visits unreadable: today's report leaves them out until the next rollup");
                Ok(Vec::new())
            }
            read => read,
        }
    };
    let stored_values = async {
        if !at_provisional_cut {
            return Ok(Vec::new());
        }
        let day = split - split.rem_euclid(DAY_MILLIS);
        state.store.rollup_summary(site, Granularity::Day, day, day + DAY_MILLIS).await
    };
    let (events, open_visits, stored_values) =
        tokio::try_join!(state.store.events_between(site, split, open_to), open_visits, stored_values)?;
    let funnels = rolled_funnels(&state.config.analytics.funnels);
    // The tail keeps the values today's provisional rollup kept, and adds new
    // ones only while the day has room.
    let mut limit = value_limit(&state.config.analytics);
    for row in stored_values {
        limit.keep_stored(split - split.rem_euclid(DAY_MILLIS), row.dimension, row.value);
    }
    let fresh =
        tokio::task::spawn_blocking(move || rollup::aggregate_continuing(events, open_visits, &funnels, &limit))
            .await
            .map_err(|_| ReportError::Interrupted)?;
    Ok(Sources { split, fresh })
}

/// The bound on distinct values a day of `crumb.toml`'s `[analytics]`.
pub fn value_limit(settings: &crate::config::AnalyticsSettings) -> rollup::ValueLimit {
    // (A u32 always fits a usize on the platforms crumb builds for; saturate if not.)
    rollup::ValueLimit::new(usize::try_from(settings.max_values_per_day).unwrap_or(usize::MAX))
}

/// Rows of some dimensions over `range`: stored rollups plus the raw tail.
pub(super) async fn rows_of(
    state: &Site,
    range: DateRange,
    sources: &Sources,
    granularity: Granularity,
    dimensions: &[Dimension],
) -> Result<Vec<RollupRow>, ReportError> {
    let mut rows = if sources.split > range.from {
        state.store.rollups(&state.config.site_name, granularity, range.from, sources.split, dimensions).await?
    } else {
        Vec::new()
    };
    let fresh = match granularity {
        Granularity::Hour => &sources.fresh.hourly,
        Granularity::Day => &sources.fresh.daily,
    };
    rows.extend(fresh.iter().filter(|r| dimensions.contains(&r.dimension)).cloned());
    Ok(rows)
}

/// The counter a table ranks its values by.
pub(super) fn rank_metric(dimension: Dimension, counts: &Counts) -> u64 {
    match dimension {
        Dimension::Page => counts.pageviews,
        Dimension::Event | Dimension::Property | Dimension::Outbound => counts.events,
        _ => counts.visits,
    }
}

/// One value of a table before the floor: summed counters and a lower bound of its visitors.
pub(super) struct Ranked {
    pub(super) value: String,
    pub(super) counts: Counts,
    pub(super) min_visitors: u64,
}

/// Sketches of `values` of one dimension over the range, stored and fresh merged.
pub(super) async fn sketches_of(
    state: &Site,
    range: DateRange,
    sources: &Sources,
    dimension: Dimension,
    values: Vec<String>,
) -> Result<HashMap<String, VisitorSketch>, ReportError> {
    let mut sketches: HashMap<String, VisitorSketch> = HashMap::new();
    if sources.split > range.from && !values.is_empty() {
        let stored = state
            .store
            .rollup_values(&state.config.site_name, Granularity::Day, range.from, sources.split, dimension, &values)
            .await?;
        for row in stored {
            sketches.entry(row.value).or_default().merge(&row.visitors);
        }
    }
    for row in sources.fresh.daily.iter().filter(|r| r.dimension == dimension && values.contains(&r.value)) {
        sketches.entry(row.value.clone()).or_default().merge(&row.visitors);
    }
    Ok(sketches)
}

/// One table with the floor. The top `limit` values by traffic are
/// candidates; their distinct visitors come from merged sketches. The rest
/// fold into "other", whose size is known from counters and, as a lower
/// bound, from the largest single-day count among its values; only when
/// that bound is under k are the folded values' sketches read (small sites)
/// and the exact floor of [`floor_table`] applied.
pub(super) async fn table(
    state: &Site,
    range: DateRange,
    sources: &Sources,
    dimension: Dimension,
    mut ranked: Vec<Ranked>,
    k: u64,
    limit: usize,
) -> Result<Vec<TableRow>, ReportError> {
    ranked.sort_by(|a, b| {
        rank_metric(dimension, &b.counts).cmp(&rank_metric(dimension, &a.counts)).then_with(|| a.value.cmp(&b.value))
    });
    // A rollup's "(other)" (values beyond the day's limit) is never a row of its own.
    let candidates: Vec<String> =
        ranked.iter().filter(|r| r.value != OTHER).take(limit).map(|r| r.value.clone()).collect();
    let sketches = sketches_of(state, range, sources, dimension, candidates).await?;
    let mut shown = Vec::new();
    let mut other_counts = Counts::default();
    let mut other_bound = 0;
    let mut folded = 0usize;
    for entry in &ranked {
        let visitors = sketches.get(&entry.value).map(|sketch| row_visitors(&entry.counts, sketch));
        match visitors {
            Some(n) if n >= k && shown.len() < limit && entry.value != OTHER => {
                shown.push((entry, n, sketches.get(&entry.value).and_then(VisitorSketch::margin)))
            }
            _ => {
                folded += 1;
                other_counts.add(&entry.counts);
                other_bound = other_bound.max(visitors.unwrap_or(entry.min_visitors)).max(entry.min_visitors);
            }
        }
    }
    if folded > 0 && other_bound < k {
        // A small "other": decide exactly, with every value's sketch.
        let values: Vec<String> = ranked.iter().map(|r| r.value.clone()).collect();
        let mut all = sketches_of(state, range, sources, dimension, values).await?;
        let rows = ranked.into_iter().map(|r| {
            let sketch = all.remove(&r.value).unwrap_or_default();
            (r.value, r.counts, sketch)
        });
        return Ok(floor_table(rows.collect(), k, limit));
    }
    let mut rows: Vec<TableRow> = shown
        .into_iter()
        .map(|(entry, n, margin)| table_row(entry.value.clone(), false, &entry.counts, n, margin))
        .collect();
    if folded > 0 {
        let other_bound = other_bound.min(other_counts.visits);
        let mut other = table_row(OTHER.to_owned(), true, &other_counts, other_bound, None);
        other.visitors = None;
        other.visitors_at_least = Some(other_bound);
        rows.push(other);
    }
    Ok(rows)
}

/// A row's distinct visitors: its sketch's count, never more than its
/// visits (each of its visitors made at least one).
pub(super) fn row_visitors(counts: &Counts, sketch: &VisitorSketch) -> u64 {
    consistent_visitors(sketch.count(), 0, counts.visits)
}

pub(super) fn table_row(value: String, other: bool, counts: &Counts, visitors: u64, margin: Option<u64>) -> TableRow {
    TableRow {
        value,
        other,
        suppressed: false,
        visitors: Some(visitors),
        visitors_margin: margin,
        visitors_at_least: None,
        visits: Some(counts.visits),
        pageviews: Some(counts.pageviews),
        events: Some(counts.events),
        bounce_rate: Some(ratio(counts.bounces, counts.visits)),
    }
}

/// Applies the floor to one table's merged rows.
pub fn floor_table(mut rows: Vec<(String, Counts, VisitorSketch)>, k: u64, limit: usize) -> Vec<TableRow> {
    let mut with_count: Vec<(String, Counts, VisitorSketch, u64)> = rows
        .drain(..)
        .map(|(value, counts, sketch)| {
            let n = row_visitors(&counts, &sketch);
            (value, counts, sketch, n)
        })
        .collect();
    with_count.sort_by(|a, b| b.3.cmp(&a.3).then(b.1.pageviews.cmp(&a.1.pageviews)).then(a.0.cmp(&b.0)));
    let mut shown = Vec::new();
    let mut other: Option<(Counts, VisitorSketch)> = None;
    let fold = |other: &mut Option<(Counts, VisitorSketch)>, counts: &Counts, sketch: &VisitorSketch| {
        let (c, s) = other.get_or_insert_with(Default::default);
        c.add(counts);
        s.merge(sketch);
    };
    for (value, counts, sketch, count) in with_count {
        if count >= k && shown.len() < limit && value != OTHER {
            shown.push((value, counts, sketch, count));
        } else {
            fold(&mut other, &counts, &sketch);
        }
    }
    // Complementary suppression: "other" must not be a small group either.
    while other.as_ref().is_some_and(|(c, s)| row_visitors(c, s) < k) {
        let Some((_, counts, sketch, _)) = shown.pop() else { break };
        fold(&mut other, &counts, &sketch);
    }
    let row = table_row;
    let mut table: Vec<TableRow> = shown.iter().map(|(v, c, s, n)| row(v.clone(), false, c, *n, s.margin())).collect();
    if let Some((counts, sketch)) = other {
        let count = row_visitors(&counts, &sketch);
        if count >= k {
            table.push(row(OTHER.to_owned(), true, &counts, count, sketch.margin()));
        } else {
            table.push(TableRow {
                value: OTHER.to_owned(),
                other: true,
                suppressed: true,
                visitors: None,
                visitors_margin: None,
                visitors_at_least: None,
                visits: None,
                pageviews: None,
                events: None,
                bounce_rate: None,
            });
        }
    }
    table
}

pub(super) fn totals_of(rows: &[RollupRow], returning: u64, k: u64) -> Totals {
    let mut counts = Counts::default();
    let mut visitors = VisitorSketch::new();
    for row in rows.iter().filter(|r| r.dimension == Dimension::Total) {
        counts.add(&row.counts);
        visitors.merge(&row.visitors);
    }
    Totals::of(&counts, &visitors, returning, k)
}

pub(super) fn returning_visits(rows: &[RollupRow]) -> u64 {
    rows.iter()
        .filter(|r| r.dimension == Dimension::VisitorType && r.value == "returning")
        .map(|r| r.counts.visits)
        .sum()
}

/// The time series of `range`, a point per bucket up to the one holding
/// `now` (none in the future).
pub(super) fn series_of(
    rows: &[RollupRow],
    range: DateRange,
    granularity: Granularity,
    k: u64,
    now: UnixMillis,
) -> Vec<Point> {
    let mut by_bucket: BTreeMap<UnixMillis, (Counts, VisitorSketch)> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.dimension == Dimension::Total) {
        let entry = by_bucket.entry(row.bucket).or_default();
        entry.0.add(&row.counts);
        entry.1.merge(&row.visitors);
    }
    let step = granularity.millis();
    (0..)
        .map(|i| range.from + i * step)
        .take_while(|at| *at < range.to && *at <= now)
        .map(|at| {
            let (counts, sketch) = by_bucket.remove(&at).unwrap_or_default();
            let visitors = row_visitors(&counts, &sketch);
            let suppressed = visitors > 0 && visitors < k;
            let bucket = match granularity {
                Granularity::Day => format_day(at),
                Granularity::Hour => {
                    format!(
                        "{}T{:02}:00Z",
                        format_day(at - at.rem_euclid(DAY_MILLIS)),
                        at.rem_euclid(DAY_MILLIS) / 3_600_000
                    )
                }
            };
            Point {
                bucket,
                at,
                suppressed,
                visitors: (!suppressed).then_some(visitors),
                pageviews: (!suppressed).then_some(counts.pageviews),
                visits: (!suppressed).then_some(counts.visits),
            }
        })
        .collect()
}

/// How many times [`at_one_cut`] reads a report whose rollups moved meanwhile.
pub(super) const READ_ATTEMPTS: usize = 3;

/// Runs `read` with the site's rolled-up mark, and again (up to
/// [`READ_ATTEMPTS`] times in all) if the mark moved while it read.
///
/// A report's parts are read one query after another. A rollup committed in
/// between (today's provisional cut moves every few minutes) would mix two
/// cuts: the events between them counted in the rollup and again in the raw
/// tail, or a visit open at the new cut continued from a tail that starts at
/// the old one. The last read is returned as it is: the mark moves every few
/// minutes, not every few milliseconds.
pub async fn at_one_cut<T, F, Fut>(state: &Site, mut read: F) -> Result<T, ReportError>
where
    F: FnMut(Option<UnixMillis>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ReportError>>,
{
    let site = &state.config.site_name;
    let mut rolled_until = state.store.rolled_until(site).await?;
    for _ in 1..READ_ATTEMPTS {
        let read_at_cut = read(rolled_until).await?;
        let moved_to = state.store.rolled_until(site).await?;
        if moved_to == rolled_until {
            return Ok(read_at_cut);
        }
        rolled_until = moved_to;
    }
    read(rolled_until).await
}
