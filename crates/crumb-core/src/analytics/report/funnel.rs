//! Funnels: declared ones from rollups, others (and older days) from raw
//! events, at one cut.

use super::*;

/// A funnel's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunnelReport {
    /// The configured funnel's name, if it was asked by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// First day.
    pub from: String,
    /// Last day (inclusive).
    pub to: String,
    /// Each step with the visitors who reached it.
    pub steps: Vec<FunnelStepRow>,
    /// Whether some days are missing: days with traffic whose raw events
    /// are past retention and which were not rolled up with the funnel
    /// (for steps not declared in `crumb.toml`, no day was).
    pub partial: bool,
}

/// One funnel step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunnelStepRow {
    /// As asked (`/path` or `event:name`).
    pub step: String,
    /// Fewer than k visitors: withheld.
    pub suppressed: bool,
    /// Visitors who reached this step in order within one visit.
    pub visitors: Option<u64>,
    /// Share of the first step's visitors, percent.
    pub conversion_rate: Option<f64>,
}

/// Parses `steps=/a,/b,event:signup`.
pub fn parse_steps(text: &str) -> Result<Vec<FunnelStep>, ReportError> {
    let steps: Vec<FunnelStep> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|step| parse_step(step).map_err(|fault| ReportError::query(format!("steps: {fault}"))))
        .collect::<Result<_, _>>()?;
    if !(2..=MAX_STEPS).contains(&steps.len()) {
        return Err(ReportError::query(format!("steps: a funnel has 2 to {MAX_STEPS} steps")));
    }
    Ok(steps)
}

/// The funnels of `crumb.toml` as they are rolled up with every day (one
/// per distinct list of steps).
pub fn rolled_funnels(funnels: &[Funnel]) -> Vec<RolledFunnel> {
    let mut rolled: Vec<RolledFunnel> = Vec::new();
    for steps in funnels.iter().filter_map(|funnel| check_funnel_steps(&funnel.steps).ok()) {
        let funnel = RolledFunnel::new(steps);
        if !rolled.iter().any(|other| other.key == funnel.key) {
            rolled.push(funnel);
        }
    }
    rolled
}

/// A funnel over `range`. The steps of a funnel declared in `crumb.toml`
/// are rolled up with every day: those days are read from rollups (and the
/// raw tail after them), whatever their age. Other steps, and days rolled
/// up before the funnel was declared, are counted from raw events, which
/// are kept `raw_retention_days`: older days with traffic are left out
/// (`partial`). The rolled-up parts are read at one cut ([`at_one_cut`]).
pub async fn funnel(state: &Site, range: DateRange, asked: &FunnelAsked) -> Result<FunnelReport, ReportError> {
    let steps = parse_steps(&asked.steps)?;
    let k = u64::from(state.config.analytics.min_visitors);
    let now = state.now_millis();
    let retention_start = now - i64::from(state.config.analytics.raw_retention_days) * DAY_MILLIS;
    let labels: Vec<String> = steps.iter().map(FunnelStep::label).collect();
    let mut reached = vec![VisitorSketch::new(); steps.len()];
    let funnel = RolledFunnel::new(steps);
    let declared = rolled_funnels(&state.config.analytics.funnels).iter().any(|rolled| rolled.key == funnel.key);
    // Spans of raw events to count, a UTC day at most each.
    let mut raw_spans = Vec::new();
    let mut partial = false;
    let mut add_raw_day = |day: UnixMillis, end: UnixMillis| {
        let from = day.max(range.from).max(retention_start);
        let to = (day + DAY_MILLIS).min(end);
        partial |= day.max(range.from) < retention_start;
        if from < to {
            raw_spans.push((from, to));
        }
    };
    if declared {
        let funnel = &funnel;
        let (rolled_reached, raw_days) = at_one_cut(state, |rolled_until| async move {
            let mut rolled_reached = vec![VisitorSketch::new(); funnel.steps.len()];
            let sources = sources(state, range, rolled_until).await?;
            let raw_days = funnel_rows(state, range, &sources, funnel, &mut rolled_reached).await?;
            Ok((rolled_reached, raw_days))
        })
        .await?;
        reached = rolled_reached;
        for (day, end) in raw_days {
            add_raw_day(day, end);
        }
    } else {
        let first_day = range.from - range.from.rem_euclid(DAY_MILLIS);
        let past_retention_with_traffic = days_with_traffic(state, first_day, retention_start.min(range.to)).await?;
        let mut day = first_day;
        while day < range.to {
            if day.max(range.from) >= retention_start || past_retention_with_traffic.contains(&day) {
                add_raw_day(day, range.to);
            }
            day += DAY_MILLIS;
        }
    }
    raw_funnel(state, raw_spans, &funnel.steps, &mut reached).await?;
    let first = reached.first().map_or(0, VisitorSketch::count);
    let steps = labels
        .into_iter()
        .zip(reached.iter())
        .map(|(step, sketch)| {
            let visitors = sketch.count();
            let suppressed = visitors > 0 && visitors < k;
            FunnelStepRow {
                step,
                suppressed,
                visitors: (!suppressed).then_some(visitors),
                conversion_rate: (!suppressed).then(|| ratio(visitors, first)),
            }
        })
        .collect();
    Ok(FunnelReport {
        name: asked.name.clone(),
        from: format_day(range.from),
        to: format_day(range.to - DAY_MILLIS),
        steps,
        partial,
    })
}

/// The UTC days in `[from, to)` that had events, as their rollups say
/// (days are rolled up before their raw events are deleted).
pub(super) async fn days_with_traffic(
    state: &Site,
    from: UnixMillis,
    to: UnixMillis,
) -> Result<HashSet<UnixMillis>, ReportError> {
    if from >= to {
        return Ok(HashSet::new());
    }
    let site = &state.config.site_name;
    let totals = [String::new()];
    let rows = state.store.rollup_values(site, Granularity::Day, from, to, Dimension::Total, &totals).await?;
    Ok(rows.into_iter().map(|row| row.bucket).collect())
}

/// Merges into `reached` the rolled-up steps of `funnel` over `range`:
/// stored days rolled up with it and the raw tail after the last rollup.
/// Returns the days (and where the range ends) left to count from raw
/// events: days with traffic whose stored rollup was made before the
/// funnel was declared. Their tail rows are left out too, since the raw
/// count takes in the whole day.
pub(super) async fn funnel_rows(
    state: &Site,
    range: DateRange,
    sources: &Sources,
    funnel: &RolledFunnel,
    reached: &mut [VisitorSketch],
) -> Result<Vec<(UnixMillis, UnixMillis)>, ReportError> {
    let site = &state.config.site_name;
    let step_values: Vec<String> = (0..funnel.steps.len()).map(|i| funnel.step_value(i)).collect();
    let mut values = step_values.clone();
    values.push(funnel.key.clone());
    let stored = if sources.split > range.from {
        let dimension = Dimension::Funnel;
        state.store.rollup_values(site, Granularity::Day, range.from, sources.split, dimension, &values).await?
    } else {
        Vec::new()
    };
    let rolled_days: HashSet<UnixMillis> =
        stored.iter().filter(|row| row.value == funnel.key).map(|row| row.bucket).collect();
    let stored_days: Vec<UnixMillis> = {
        let mut day = range.from - range.from.rem_euclid(DAY_MILLIS);
        std::iter::from_fn(|| {
            let this = day;
            day += DAY_MILLIS;
            (this < sources.split).then_some(this)
        })
        .collect()
    };
    // Only when some stored day lacks the funnel: which of them had traffic.
    let mut raw_days = HashSet::new();
    if stored_days.iter().any(|day| !rolled_days.contains(day)) {
        let with_traffic = days_with_traffic(state, range.from, sources.split).await?;
        raw_days.extend(with_traffic.into_iter().filter(|day| !rolled_days.contains(day)));
    }
    let fresh = sources.fresh.daily.iter().filter(|row| row.dimension == Dimension::Funnel);
    for row in stored.iter().chain(fresh) {
        if raw_days.contains(&row.bucket) {
            continue;
        }
        if let Some(step) = step_values.iter().position(|value| *value == row.value) {
            reached[step].merge(&row.visitors);
        }
    }
    let mut raw_days: Vec<(UnixMillis, UnixMillis)> = raw_days.into_iter().map(|day| (day, range.to)).collect();
    raw_days.sort_unstable();
    Ok(raw_days)
}

/// Counts a funnel over raw events, in spans of a UTC day at most (visits
/// end at midnight): the raw events held at once are three days' at most,
/// reduced to visitor, time and the steps each matches; two days are read
/// (PostgreSQL: on two connections) while the one before is counted.
pub(super) async fn raw_funnel(
    state: &Site,
    spans: Vec<(UnixMillis, UnixMillis)>,
    steps: &[FunnelStep],
    reached: &mut Vec<VisitorSketch>,
) -> Result<(), ReportError> {
    let mut reads = futures_util::stream::iter(spans)
        .map(|(from, to)| state.store.funnel_events(&state.config.site_name, from, to, steps))
        .buffered(2);
    let mut counting: Option<tokio::task::JoinHandle<Vec<VisitorSketch>>> = None;
    while let Some(events) = reads.next().await {
        let events = events?;
        if let Some(counted) = counting.take() {
            *reached = counted.await.map_err(|_| ReportError::Interrupted)?;
        }
        let mut day_reached = std::mem::take(reached);
        counting = Some(tokio::task::spawn_blocking(move || {
            rollup::funnel(events, &mut day_reached);
            day_reached
        }));
    }
    if let Some(counted) = counting {
        *reached = counted.await.map_err(|_| ReportError::Interrupted)?;
    }
    Ok(())
}
