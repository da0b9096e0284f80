//! Funnels: steps matched in order within a visit, from raw events
//! ([`funnel`]) or rolled up with every day ([`RolledFunnel`]).

use super::visit::{same_visit, Visit, VisitSummary};
use super::{Accumulator, Dimension, OpenVisit, PROPERTY_SEPARATOR};
use crate::analytics::{EventKind, EventRecord, Granularity, VisitorSketch};
use crate::UnixMillis;

/// One step of a funnel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunnelStep {
    /// A page view of this path.
    Page(String),
    /// A custom event of this name.
    Event(String),
}

impl FunnelStep {
    /// Whether `event` is this step: a page view of its path, or a custom
    /// event of its name.
    pub fn matches(&self, event: &EventRecord) -> bool {
        match self {
            FunnelStep::Page(path) => event.kind == EventKind::Pageview && event.path == *path,
            FunnelStep::Event(name) => event.kind == EventKind::Custom && event.name == *name,
        }
    }

    /// As written in `crumb.toml` and the API: `/path` or `event:name`.
    pub fn label(&self) -> String {
        match self {
            FunnelStep::Page(path) => path.clone(),
            FunnelStep::Event(name) => format!("event:{name}"),
        }
    }
}

/// The most steps a funnel has: [`FunnelEvent::steps`] holds one bit per step.
pub const MAX_FUNNEL_STEPS: usize = 16;

/// A funnel rolled up with every day (one declared in `crumb.toml`), so
/// that reports over any range read its steps from rollups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolledFunnel {
    /// Its steps, at most [`MAX_FUNNEL_STEPS`].
    pub steps: Vec<FunnelStep>,
    /// What its rows are stored under: the steps' labels joined by commas,
    /// so that changing a funnel's steps starts new rows.
    pub key: String,
}

impl RolledFunnel {
    /// The funnel of these steps (at most [`MAX_FUNNEL_STEPS`] are kept).
    pub fn new(mut steps: Vec<FunnelStep>) -> Self {
        steps.truncate(MAX_FUNNEL_STEPS);
        let key = steps.iter().map(FunnelStep::label).collect::<Vec<_>>().join(",");
        RolledFunnel { steps, key }
    }

    /// The stored value of step `index`'s rows.
    pub fn step_value(&self, index: usize) -> String {
        format!("{}{PROPERTY_SEPARATOR}{index}", self.key)
    }

    /// Steps reached by the end of `visit`, having reached `before` steps
    /// before its events (a visit open at a provisional cut).
    pub(super) fn reached(&self, visit: &Visit<'_>, before: usize, matcher: &mut StepMatcher) -> usize {
        let mut next = before;
        for same_instant in visit.events.chunk_by(|a, b| a.event.at == b.event.at) {
            if next >= self.steps.len() {
                break;
            }
            next = matcher.advance(next, self.steps.len(), same_instant.iter().map(|stored| self.mask(&stored.event)));
        }
        next
    }

    /// Bit `i` set: `event` is step `i`.
    pub(super) fn mask(&self, event: &EventRecord) -> u32 {
        self.steps.iter().enumerate().filter(|(_, step)| step.matches(event)).fold(0, |mask, (i, _)| mask | 1 << i)
    }
}

impl OpenVisit {
    /// Steps of `funnel` this visit had reached.
    pub(super) fn reached(&self, funnel: &RolledFunnel) -> usize {
        self.funnels.iter().find(|(key, _)| *key == funnel.key).map_or(0, |(_, reached)| *reached)
    }
}

/// Counts a visit in each step of each funnel it reached (`reached[i]`
/// steps of `funnels[i]`), in the day it started.
pub(super) fn add_funnel_steps(
    visit: &VisitSummary<'_>,
    funnels: &[RolledFunnel],
    reached: &[usize],
    daily: &mut Accumulator,
) {
    let day = Granularity::Day.bucket(visit.start);
    for (funnel, reached) in funnels.iter().zip(reached) {
        for step in 0..*reached {
            let cell = daily.cell(day, Dimension::Funnel, &funnel.step_value(step));
            cell.counts.visits += 1;
            cell.visitors.insert(visit.visitor);
        }
    }
}

/// Matching a funnel's next steps to the events of one millisecond, which
/// have no order between them (a page view and the event it fired may
/// arrive either way round): they take as many of the next steps as some
/// order of them would, each event one step at most — a matching of steps
/// to events, grown a step at a time.
#[derive(Default)]
pub(super) struct StepMatcher {
    /// The step each event took, if any.
    taken: Vec<Option<usize>>,
    /// Events already tried while placing the current step.
    tried: Vec<bool>,
    /// The steps each event of the millisecond matches (kept to reuse its allocation).
    masks: Vec<u32>,
}

impl StepMatcher {
    /// The steps reached after events whose matched steps are `masks` (bit
    /// `i`: step `i`), `next` having been reached before them, of `steps`.
    pub(super) fn advance(&mut self, next: usize, steps: usize, masks: impl IntoIterator<Item = u32>) -> usize {
        let mut buffer = std::mem::take(&mut self.masks);
        buffer.clear();
        buffer.extend(masks);
        let reached = self.match_steps(next, steps, &buffer);
        self.masks = buffer;
        reached
    }

    /// [`StepMatcher::advance`] over the collected masks.
    pub(super) fn match_steps(&mut self, mut next: usize, steps: usize, masks: &[u32]) -> usize {
        if let [mask] = masks {
            return if next < steps && mask & (1 << next) != 0 { next + 1 } else { next };
        }
        self.taken.clear();
        self.taken.resize(masks.len(), None);
        while next < steps {
            self.tried.clear();
            self.tried.resize(masks.len(), false);
            if !self.take(next, masks) {
                break;
            }
            next += 1;
        }
        next
    }

    /// Gives `step` to one of the events, moving steps already taken to
    /// other events where needed (an augmenting path); false if none can.
    pub(super) fn take(&mut self, step: usize, masks: &[u32]) -> bool {
        for i in 0..masks.len() {
            if masks[i] & (1 << step) == 0 || self.tried[i] {
                continue;
            }
            self.tried[i] = true;
            let free = match self.taken[i] {
                None => true,
                Some(other) => self.take(other, masks),
            };
            if free {
                self.taken[i] = Some(step);
                return true;
            }
        }
        false
    }
}

/// A raw event as a funnel reads it: whose, when, and which steps it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FunnelEvent {
    /// The visitor key.
    pub visitor: i64,
    /// Counted without a cookie.
    pub cookieless: bool,
    /// When it was received.
    pub at: UnixMillis,
    /// Bit `i` set: the event matches step `i` (a page view of its path, or
    /// a custom event of its name).
    pub steps: u32,
}

/// Adds to `reached[i]` the visitors who, within one visit, reached step
/// `i` of a funnel after steps `0..i` in order (other events may come
/// between steps). Events may come in any order; the visits are cut as for
/// rollups, so a funnel over several days may be counted a day at a time.
/// Events received in the same millisecond count in whichever order takes
/// the visit furthest.
pub fn funnel(mut events: Vec<FunnelEvent>, reached: &mut [VisitorSketch]) {
    events.sort_unstable_by_key(|e| (e.visitor, e.cookieless, e.at));
    let mut next = 0;
    let mut previous: Option<&FunnelEvent> = None;
    let mut matcher = StepMatcher::default();
    for same_instant in events.chunk_by(|a, b| (a.visitor, a.cookieless, a.at) == (b.visitor, b.cookieless, b.at)) {
        let event = &same_instant[0];
        let continues = previous.is_some_and(|p| {
            p.visitor == event.visitor && p.cookieless == event.cookieless && same_visit(p.at, event.at)
        });
        if !continues {
            next = 0;
        }
        let after = matcher.advance(next, reached.len(), same_instant.iter().map(|e| e.steps));
        for step in &mut reached[next..after] {
            step.insert(event.visitor);
        }
        next = after;
        previous = Some(event);
    }
}
