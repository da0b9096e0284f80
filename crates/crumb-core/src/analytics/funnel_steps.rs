//! The syntax of a funnel's steps, shared by `crumb.toml`'s `[[analytics.funnel]]`
//! and the statistics API's `steps=`: `/path` (a page view) or `event:name`.

use crumb_store::analytics::rollup::FunnelStep;

/// The most steps a funnel may be given, in `crumb.toml` or the API (the
/// store's step bitmask holds up to `rollup::MAX_FUNNEL_STEPS`).
pub const MAX_STEPS: usize = 10;

/// One funnel step: `/path` (a page view) or `event:name` (a custom event).
pub fn parse_step(step: &str) -> Result<FunnelStep, String> {
    match step.strip_prefix("event:") {
        Some(name) if !name.is_empty() => Ok(FunnelStep::Event(name.to_owned())),
        None if step.starts_with('/') => Ok(FunnelStep::Page(step.to_owned())),
        _ => Err(format!("{step:?} is neither /path nor event:name")),
    }
}

/// Checks a configured funnel's steps: 2 to [`MAX_STEPS`], each a step
/// without a comma (the separator of `steps=` in the API), trimmed as
/// `report::parse_steps` trims them.
pub fn check_funnel_steps(steps: &[String]) -> Result<Vec<FunnelStep>, String> {
    if !(2..=MAX_STEPS).contains(&steps.len()) {
        return Err(format!("a funnel has 2 to {MAX_STEPS} steps, not {}", steps.len()));
    }
    steps
        .iter()
        .map(|step| match step.contains(',') {
            true => Err(format!("{step:?}: a step cannot contain a comma")),
            false => parse_step(step.trim()),
        })
        .collect()
}
