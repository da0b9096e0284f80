//! Times the rollup of one visitor's day of custom events whose property
//! values all differ (issue 21, attack 1), against the same events with one
//! repeated value. Prints the times and the rows; asserts nothing.
//!
//! ```sh
//! cargo run --release -p crumb-store --example rollup_timing
//! ```

use std::time::Instant;

use crumb_store::analytics::rollup::{self, ValueLimit};
use crumb_store::analytics::{EventKind, EventRecord, StoredEvent, DAY_MILLIS};

fn events(n: usize, distinct: bool) -> Vec<StoredEvent> {
    let day = 1_780_000_000_000 - 1_780_000_000_000 % DAY_MILLIS;
    (0..n)
        .map(|i| {
            let value = if distinct { format!("v{i}") } else { "v".to_owned() };
            StoredEvent {
                event: EventRecord {
                    site: "s".into(),
                    // One event a second from 02:00: a single visit.
                    at: day + 2 * 3_600_000 + i as i64 * 1_000,
                    visitor: 1,
                    cookieless: false,
                    user: None,
                    kind: EventKind::Custom,
                    name: "e".into(),
                    path: "/".into(),
                    source: String::new(),
                    utm_source: String::new(),
                    utm_medium: String::new(),
                    utm_campaign: String::new(),
                    browser: "Firefox".into(),
                    os: "Linux".into(),
                    device: "desktop".into(),
                    props: vec![("k".into(), value)],
                },
                first_seen: day,
            }
        })
        .collect()
}

fn main() {
    let limit = ValueLimit::new(rollup::DEFAULT_MAX_VALUES_PER_DAY);
    for (n, distinct) in [(10_000, true), (20_000, true), (40_000, true), (40_000, false), (320_000, true)] {
        let events = events(n, distinct);
        // Cut after the last event: the visit is still open (a provisional rollup).
        let cut = events.last().map_or(0, |e| e.event.at) + 60_000;
        let started = Instant::now();
        let (rolled, open) = rollup::aggregate_provisional(events, cut, &[], &limit);
        let elapsed = started.elapsed();
        let touched: usize = open.iter().map(|visit| visit.touched.len()).sum();
        println!(
            "{n} events, {}: {:.3} s, {} hourly + {} daily rows, {touched} values in the open visit",
            if distinct { "all values differ" } else { "one value" },
            elapsed.as_secs_f64(),
            rolled.hourly.len(),
            rolled.daily.len()
        );
    }
}
