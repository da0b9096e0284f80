//! The dashboard's report and the last five minutes.

use super::*;

/// Builds the report for `range`: the dashboard's main query, read at one
/// cut ([`at_one_cut`]).
pub async fn build(state: &Site, range: DateRange, limit: usize) -> Result<Report, ReportError> {
    at_one_cut(state, |rolled_until| build_at(state, range, limit, rolled_until)).await
}

/// The report for `range` with the site's rollups ending at `rolled_until`.
pub(super) async fn build_at(
    state: &Site,
    range: DateRange,
    limit: usize,
    rolled_until: Option<UnixMillis>,
) -> Result<Report, ReportError> {
    let k = u64::from(state.config.analytics.min_visitors);
    let site = &state.config.site_name;
    let granularity = range.granularity();
    let current = sources(state, range, rolled_until).await?;

    // Totals, series and the previous period: `total` rows only.
    let totals_rows = rows_of(state, range, &current, granularity, &[Dimension::Total, Dimension::VisitorType]).await?;
    let now = state.now_millis();
    let (previous_range, previous_granularity) = compared_range(range, now);
    let previous = sources(state, previous_range, rolled_until).await?;
    let previous_rows =
        rows_of(state, previous_range, &previous, previous_granularity, &[Dimension::Total, Dimension::VisitorType])
            .await?;

    let mut tables = tables_at(state, range, &current, k, limit).await?;
    let totals = totals_of(&totals_rows, returning_visits(&totals_rows), k);
    one_visitor_figure(&totals, &mut tables, k);
    let goals = goals_at(state, range, &current, k, totals.visitors.unwrap_or(0)).await?;
    let cross_device = cross_device(state, range, k).await?;
    Ok(Report {
        site: site.clone(),
        from: format_day(range.from),
        to: format_day(range.to - DAY_MILLIS),
        granularity,
        min_visitors: k,
        series: series_of(&totals_rows, range, granularity, k, now),
        totals,
        previous: totals_of(&previous_rows, returning_visits(&previous_rows), k),
        previous_partial: previous_granularity == Granularity::Hour,
        previous_counted: None,
        tables,
        goals,
        cross_device,
        filters: Vec::new(),
        counted_from: None,
    })
}

/// The period a range is compared with: the one of the same length just
/// before it; while the range is not over (it holds today), only as much of
/// that period as has passed of the range — today until 14:20 against
/// yesterday until 14:20 — read from hourly rows (so to the end of that hour
/// once it is rolled up).
pub fn compared_range(range: DateRange, now: UnixMillis) -> (DateRange, Granularity) {
    let previous = range.previous();
    if now >= range.from && now < range.to {
        let to = (previous.from + (now - range.from) + 1).min(previous.to);
        (DateRange { from: previous.from, to }, Granularity::Hour)
    } else {
        (previous, Granularity::Day)
    }
}

/// One unique-visitor figure for the page: the rows of "how visits were
/// counted" (with the visitor cookie, cookieless) are disjoint sets of
/// visitors that make up the total, so they are shown adding up to it (the
/// total's estimate is the finer one); the visitors of new visits are those
/// visits, exactly (a visit is new once per visitor).
pub fn one_visitor_figure(totals: &Totals, tables: &mut BTreeMap<&'static str, Vec<TableRow>>, k: u64) {
    if let Some(rows) = tables.get_mut(Dimension::VisitorType.name()) {
        for row in rows.iter_mut().filter(|row| !row.other && !row.suppressed && row.value == "new") {
            row.visitors = row.visits;
            row.visitors_margin = None;
        }
    }
    let (Some(total), Some(rows)) = (totals.visitors, tables.get_mut(Dimension::Tracking.name())) else { return };
    if rows.iter().any(|row| row.other || row.suppressed || row.visitors.is_none()) {
        return;
    }
    match &mut rows[..] {
        [only] => {
            only.visitors = Some(total);
            only.visitors_margin = totals.visitors_margin;
        }
        [a, b] => {
            let (ea, eb) = (a.visitors.unwrap_or(0), b.visitors.unwrap_or(0));
            let (va, vb) = (a.visits.unwrap_or(0), b.visits.unwrap_or(0));
            // Shared in the ratio of the rows' own estimates, each within its visits.
            let share = if ea + eb == 0 { 0.5 } else { ea as f64 / (ea + eb) as f64 };
            let mut first = ((total as f64 * share).round() as u64).min(va).min(total);
            if total - first > vb {
                first = total - vb;
            }
            if first < k || total - first < k {
                // Each row is shown because it holds k visitors: keep it so.
                return;
            }
            a.visitors = Some(first);
            b.visitors = Some(total - first);
        }
        _ => {}
    }
}

/// Every table of the report: counters summed in the store, sketches read
/// only for the values shown.
async fn tables_at(
    state: &Site,
    range: DateRange,
    current: &Sources,
    k: u64,
    limit: usize,
) -> Result<BTreeMap<&'static str, Vec<TableRow>>, ReportError> {
    let site = &state.config.site_name;
    let summary = if current.split > range.from {
        state.store.rollup_summary(site, Granularity::Day, range.from, current.split).await?
    } else {
        Vec::new()
    };
    let mut ranked: HashMap<Dimension, HashMap<String, Ranked>> = HashMap::new();
    for row in summary {
        ranked
            .entry(row.dimension)
            .or_default()
            .insert(row.value.clone(), Ranked { value: row.value, counts: row.counts, min_visitors: row.min_visitors });
    }
    for row in current.fresh.daily.iter().filter(|r| r.dimension != Dimension::Total) {
        let entry = ranked.entry(row.dimension).or_default().entry(row.value.clone()).or_insert_with(|| Ranked {
            value: row.value.clone(),
            counts: Counts::default(),
            min_visitors: 0,
        });
        entry.counts.add(&row.counts);
        entry.min_visitors = entry.min_visitors.max(row.visitors.count());
    }
    // The tables' sketch reads and merges run concurrently: with PostgreSQL
    // on several pooled connections, with SQLite one table's merging
    // overlaps the next one's read.
    let current_ref = current;
    let pending: Vec<_> = tables()
        .map(|dimension| {
            let values: Vec<Ranked> = ranked.remove(&dimension).map(|m| m.into_values().collect()).unwrap_or_default();
            async move {
                let rows = table(state, range, current_ref, dimension, values, k, limit).await?;
                Ok::<_, ReportError>((dimension.name(), rows))
            }
        })
        .collect();
    Ok(futures_util::future::try_join_all(pending).await?.into_iter().collect())
}

/// The goals of `crumb.toml`: visitors who reached each, and their share of
/// `total_visitors`, under the anonymity floor.
async fn goals_at(
    state: &Site,
    range: DateRange,
    current: &Sources,
    k: u64,
    total_visitors: u64,
) -> Result<Vec<GoalRow>, ReportError> {
    let mut goals = Vec::new();
    for goal in &state.config.analytics.goals {
        let (dimension, value) = match (&goal.event, &goal.path) {
            (Some(event), _) => (Dimension::Event, event.clone()),
            (None, Some(path)) => (Dimension::Page, path.clone()),
            (None, None) => continue,
        };
        let sketches = sketches_of(state, range, current, dimension, vec![value.clone()]).await?;
        let counts = tables_counts(state, range, current, dimension, &value).await?;
        let visitors = sketches.get(&value).map_or(0, |sketch| row_visitors(&counts, sketch));
        let conversions = if dimension == Dimension::Page { counts.pageviews } else { counts.events };
        let suppressed = visitors > 0 && visitors < k;
        goals.push(GoalRow {
            name: goal.name.clone(),
            suppressed,
            visitors: (!suppressed).then_some(visitors),
            conversions: (!suppressed).then_some(conversions),
            conversion_rate: (!suppressed).then(|| ratio(visitors, total_visitors)),
        });
    }

    Ok(goals)
}

/// Signed-in users seen on several devices, within raw-event retention.
pub(super) async fn cross_device(state: &Site, range: DateRange, k: u64) -> Result<CrossDevice, ReportError> {
    let site = &state.config.site_name;
    let now = state.now_millis();
    let retention_start = now - i64::from(state.config.analytics.raw_retention_days) * DAY_MILLIS;
    let (cross, signed_in) = state.store.cross_device_users(site, range.from.max(retention_start), range.to).await?;
    let cross_suppressed = signed_in < k && signed_in > 0;
    Ok(CrossDevice {
        suppressed: cross_suppressed || (cross > 0 && cross < k),
        users_on_several_devices: (!cross_suppressed && (cross == 0 || cross >= k)).then_some(cross),
        signed_in_users: (!cross_suppressed).then_some(signed_in),
        partial: range.from < retention_start,
        not_filtered: false,
    })
}

/// The summed counters of one value (for goals).
pub(super) async fn tables_counts(
    state: &Site,
    range: DateRange,
    sources: &Sources,
    dimension: Dimension,
    value: &str,
) -> Result<Counts, ReportError> {
    let mut counts = Counts::default();
    if sources.split > range.from {
        let rows = state
            .store
            .rollup_values(
                &state.config.site_name,
                Granularity::Day,
                range.from,
                sources.split,
                dimension,
                &[value.to_owned()],
            )
            .await?;
        rows.iter().for_each(|r| counts.add(&r.counts));
    }
    sources
        .fresh
        .daily
        .iter()
        .filter(|r| r.dimension == dimension && r.value == value)
        .for_each(|r| counts.add(&r.counts));
    Ok(counts)
}

/// Live figures of the last five minutes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Realtime {
    /// Fewer than k visitors: figures withheld.
    pub suppressed: bool,
    /// Distinct visitors in the last five minutes.
    pub visitors: Option<u64>,
    /// Page views in the last five minutes.
    pub pageviews: Option<u64>,
    /// Top pages (with the floor).
    pub pages: Vec<TableRow>,
    /// The anonymity floor.
    pub min_visitors: u64,
}

/// The last five minutes, from raw events.
pub async fn realtime(state: &Site) -> Result<Realtime, ReportError> {
    let k = u64::from(state.config.analytics.min_visitors);
    let now = state.now_millis();
    let events = state.store.events_between(&state.config.site_name, now - 5 * 60_000, now + 1).await?;
    let rollup = rollup::aggregate(events, &[], &value_limit(&state.config.analytics));
    let merged = rollup::merge_rows(rollup.daily.iter());
    let (mut counts, mut visitors) = (Counts::default(), VisitorSketch::new());
    let mut pages = Vec::new();
    for ((dimension, value), (c, s)) in merged {
        if dimension == Dimension::Total {
            counts.add(&c);
            visitors.merge(&s);
        } else if dimension == Dimension::Page {
            pages.push((value, c, s));
        }
    }
    let count = consistent_visitors(visitors.count(), counts.new_visits, counts.visits);
    let suppressed = count > 0 && count < k;
    Ok(Realtime {
        suppressed,
        visitors: (!suppressed).then_some(count),
        pageviews: (!suppressed).then_some(counts.pageviews),
        pages: floor_table(pages, k, 10),
        min_visitors: k,
    })
}
