//! Visits: cut from a visitor's events, summed up once each, and the state
//! of one still going on at a provisional rollup's cut ([`OpenVisit`]).

use std::borrow::Cow;
use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{Dimension, VISIT_TIMEOUT_MILLIS};
use crate::analytics::{EventKind, EventRecord, StoredEvent, DAY_MILLIS};
use crate::{StoreError, UnixMillis};

/// One visit, cut from a visitor's events.
pub(super) struct Visit<'a> {
    pub(super) events: &'a [StoredEvent],
}

impl<'a> Visit<'a> {
    pub(super) fn first(&self) -> &'a StoredEvent {
        &self.events[0]
    }

    pub(super) fn pageviews(&self) -> impl Iterator<Item = &'a StoredEvent> + use<'a> {
        self.events.iter().filter(|e| e.event.kind == EventKind::Pageview)
    }
}

/// Whether an event at `next` belongs to the same visit as one at `previous`
/// (the same visitor's, `previous <= next`).
pub(super) fn same_visit(previous: UnixMillis, next: UnixMillis) -> bool {
    let same_day = previous.div_euclid(DAY_MILLIS) == next.div_euclid(DAY_MILLIS);
    same_day && next - previous <= VISIT_TIMEOUT_MILLIS
}

/// Cuts `events` (already sorted by visitor, then time) into visits.
pub(super) fn visits(events: &[StoredEvent]) -> impl Iterator<Item = Visit<'_>> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= events.len() {
            return None;
        }
        let mut end = start + 1;
        while end < events.len() {
            let (previous, next) = (&events[end - 1].event, &events[end].event);
            let same_visitor = previous.visitor == next.visitor && previous.cookieless == next.cookieless;
            if !same_visitor || !same_visit(previous.at, next.at) {
                break;
            }
            end += 1;
        }
        let visit = Visit { events: &events[start..end] };
        start = end;
        Some(visit)
    })
}

/// A visit still going on at a provisional rollup's cut: a later event may
/// continue it, so that rollup leaves its visit-level counts out (the visit,
/// its bounce, duration, entry and exit page, source …) and keeps this state
/// instead. The raw tail after the cut continues the visit from it
/// ([`aggregate_continuing`](super::aggregate_continuing)), so no visit counts twice; the day's final
/// rollup counts every visit from raw events. The state does not grow with
/// the visit's events, only with the distinct values it touched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OpenVisit {
    /// The visitor key.
    pub visitor: i64,
    /// Counted without a cookie.
    pub cookieless: bool,
    /// The visit's first event.
    pub start: UnixMillis,
    /// Its latest event so far.
    pub last_at: UnixMillis,
    /// Page views so far.
    pub pageviews: u64,
    /// Custom events and outbound clicks so far.
    pub events: u64,
    /// The first page viewed.
    pub entry: Option<String>,
    /// The latest page viewed.
    pub exit: Option<String>,
    /// The visit was its visitor's first.
    pub is_new: bool,
    /// Where it came from and on what (its first event's).
    #[serde(flatten)]
    pub origin: VisitOrigin<String>,
    /// The event-level values it touched, per hour: (hour bucket, dimension,
    /// value). A visit counts once per value and bucket.
    pub touched: Vec<(UnixMillis, Dimension, String)>,
    /// How far it went in each rolled-up funnel: (the funnel's key, steps
    /// reached), for the funnels where it reached any.
    pub funnels: Vec<(String, usize)>,
}

/// A visit's first event's dimensions: where the visit came from, and on
/// what. `S` is `String` in a stored [`OpenVisit`], `&str` while rolling up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VisitOrigin<S> {
    /// Referrer source (empty: direct).
    pub source: S,
    /// `utm_source`, or empty.
    pub utm_source: S,
    /// `utm_medium`, or empty.
    pub utm_medium: S,
    /// `utm_campaign`, or empty.
    pub utm_campaign: S,
    /// Browser family.
    pub browser: S,
    /// Operating system family.
    pub os: S,
    /// Device class.
    pub device: S,
}

impl<'a> VisitOrigin<&'a str> {
    pub(super) fn of(event: &'a EventRecord) -> Self {
        VisitOrigin {
            source: &event.source,
            utm_source: &event.utm_source,
            utm_medium: &event.utm_medium,
            utm_campaign: &event.utm_campaign,
            browser: &event.browser,
            os: &event.os,
            device: &event.device,
        }
    }

    pub(super) fn to_owned(&self) -> VisitOrigin<String> {
        VisitOrigin {
            source: self.source.to_owned(),
            utm_source: self.utm_source.to_owned(),
            utm_medium: self.utm_medium.to_owned(),
            utm_campaign: self.utm_campaign.to_owned(),
            browser: self.browser.to_owned(),
            os: self.os.to_owned(),
            device: self.device.to_owned(),
        }
    }
}

impl VisitOrigin<String> {
    pub(super) fn as_str(&self) -> VisitOrigin<&str> {
        VisitOrigin {
            source: &self.source,
            utm_source: &self.utm_source,
            utm_medium: &self.utm_medium,
            utm_campaign: &self.utm_campaign,
            browser: &self.browser,
            os: &self.os,
            device: &self.device,
        }
    }
}

impl OpenVisit {
    /// The stored form (JSON).
    pub fn to_json(&self) -> Result<String, StoreError> {
        serde_json::to_string(self).map_err(|e| StoreError::Corrupt { detail: format!("open visit: {e}") })
    }

    /// Reads the stored form.
    pub fn from_json(json: &str) -> Result<OpenVisit, StoreError> {
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt { detail: format!("open visit: {e}") })
    }

    /// Whether an event at `at` continues this visit.
    pub(super) fn continues_at(&self, at: UnixMillis) -> bool {
        at >= self.last_at && same_visit(self.last_at, at)
    }
}

/// What a visit counts once, where it started: from its events, and from
/// its state at a provisional cut when it began before that.
pub(super) struct VisitSummary<'a> {
    pub(super) visitor: i64,
    pub(super) cookieless: bool,
    pub(super) start: UnixMillis,
    pub(super) last_at: UnixMillis,
    pub(super) pageviews: u64,
    pub(super) events: u64,
    pub(super) entry: Option<&'a str>,
    pub(super) exit: Option<&'a str>,
    pub(super) is_new: bool,
    pub(super) origin: VisitOrigin<&'a str>,
}

impl<'a> VisitSummary<'a> {
    pub(super) fn of(visit: &Visit<'a>, before: Option<&'a OpenVisit>) -> Self {
        let first = &visit.first().event;
        let last_at = visit.events.last().map_or(first.at, |e| e.event.at);
        let pageviews = visit.pageviews().count() as u64;
        let events = visit.events.len() as u64 - pageviews;
        let entry = visit.pageviews().next().map(|e| e.event.path.as_str());
        let exit = visit.pageviews().last().map(|e| e.event.path.as_str());
        match before {
            Some(before) => VisitSummary {
                last_at,
                pageviews: before.pageviews + pageviews,
                events: before.events + events,
                entry: before.entry.as_deref().or(entry),
                exit: exit.or(before.exit.as_deref()),
                ..VisitSummary::of_state(before)
            },
            None => VisitSummary {
                visitor: first.visitor,
                cookieless: first.cookieless,
                start: first.at,
                last_at,
                pageviews,
                events,
                entry,
                exit,
                is_new: !first.cookieless && visit.first().first_seen >= first.at,
                origin: VisitOrigin::of(first),
            },
        }
    }

    pub(super) fn of_state(state: &'a OpenVisit) -> Self {
        VisitSummary {
            visitor: state.visitor,
            cookieless: state.cookieless,
            start: state.start,
            last_at: state.last_at,
            pageviews: state.pageviews,
            events: state.events,
            entry: state.entry.as_deref(),
            exit: state.exit.as_deref(),
            is_new: state.is_new,
            origin: state.origin.as_str(),
        }
    }

    pub(super) fn into_state(
        self,
        touched: HashSet<(UnixMillis, Dimension, Cow<'_, str>)>,
        funnels: Vec<(String, usize)>,
    ) -> OpenVisit {
        OpenVisit {
            visitor: self.visitor,
            cookieless: self.cookieless,
            start: self.start,
            last_at: self.last_at,
            pageviews: self.pageviews,
            events: self.events,
            entry: self.entry.map(str::to_owned),
            exit: self.exit.map(str::to_owned),
            is_new: self.is_new,
            origin: self.origin.to_owned(),
            touched: {
                let mut touched: Vec<_> =
                    touched.into_iter().map(|(hour, dimension, value)| (hour, dimension, value.into_owned())).collect();
                // In a stable order (the set has none).
                touched.sort_unstable_by(|a, b| (a.0, a.1.as_str(), &a.2).cmp(&(b.0, b.1.as_str(), &b.2)));
                touched
            },
            funnels,
        }
    }
}
