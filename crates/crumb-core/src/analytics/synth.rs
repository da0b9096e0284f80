//! Realistic synthetic traffic, for benchmarks and demos
//! (`crumb analytics synth --events N`).
//!
//! Visits follow a daily rhythm (quiet nights, busy evenings), a third of
//! them by returning visitors; a visit has one page view (a bounce) about
//! 40 % of the time, else a few, over a Zipf-like spread of 300 paths; a
//! mix of sources, UTM campaigns, browsers, systems and devices; some
//! visits fire a custom event or follow an outbound link. Events come out
//! in time order, so first sightings are right. Deterministic for a seed.

use crumb_store::analytics::{EventKind, EventRecord, DAY_MILLIS};
use crumb_store::UnixMillis;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthPlan {
    /// The site name the events belong to.
    pub site: String,
    /// Events in all (page views, custom events, outbound clicks).
    pub events: u64,
    /// Days the traffic spreads over, ending with the day of `end`.
    pub days: u32,
    /// Nothing is generated after this instant.
    pub end: UnixMillis,
    /// Same seed, same traffic.
    pub seed: u64,
}

const SOURCES: &[(&str, u32)] = &[
    ("", 40),
    ("google.com", 30),
    ("bing.com", 4),
    ("duckduckgo.com", 4),
    ("news.ycombinator.com", 5),
    ("reddit.com", 4),
    ("t.co", 3),
    ("facebook.com", 3),
    ("linkedin.com", 2),
    ("github.com", 2),
    ("newsletter.example", 3),
];
const CAMPAIGNS: &[(&str, &str, &str)] = &[
    ("newsletter", "email", "spring-sale"),
    ("newsletter", "email", "weekly"),
    ("facebook", "cpc", "retargeting"),
    ("google", "cpc", "brand"),
];
const CLIENTS: &[(&str, &str, &str, u32)] = &[
    ("Chrome", "Windows 10", "desktop", 30),
    ("Chrome", "Mac OSX", "desktop", 10),
    ("Safari", "Mac OSX", "desktop", 8),
    ("Firefox", "Windows 10", "desktop", 5),
    ("Firefox", "Linux", "desktop", 2),
    ("Edge", "Windows 10", "desktop", 6),
    ("Safari", "iPhone", "mobile", 18),
    ("Chrome", "Android", "mobile", 15),
    ("Safari", "iPad", "tablet", 4),
    ("Chrome", "Android", "tablet", 2),
];
/// Relative traffic per UTC hour.
const HOURS: [u32; 24] = [2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 9, 10, 10, 9, 9, 9, 10, 11, 12, 12, 10, 7, 4];
const HOUR_INDEX: [usize; 24] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];
const EVENTS: &[&str] = &["signup", "add_to_cart", "download", "contact"];
const PLANS: &[&str] = &["free", "pro", "team"];

fn weighted<'a, T>(rng: &mut SmallRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.random_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if pick < w {
            return item;
        }
        pick -= w;
    }
    &items[items.len() - 1]
}

fn path(rng: &mut SmallRng) -> String {
    // Zipf-like over 300 paths: the home page most, a long tail of products.
    let rank = (300.0f64.powf(rng.random::<f64>()) as u32).saturating_sub(1);
    match rank {
        0 => "/".to_owned(),
        1 => "/products".to_owned(),
        2 => "/about".to_owned(),
        3 => "/pricing".to_owned(),
        4 => "/blog".to_owned(),
        n if n % 3 == 0 => format!("/blog/post-{n}"),
        n => format!("/products/item-{n}"),
    }
}

/// Generates the plan's events, oldest first, in chunks of at most `chunk`.
pub fn generate(plan: &SynthPlan, chunk: usize, mut sink: impl FnMut(Vec<EventRecord>)) {
    let mut rng = SmallRng::seed_from_u64(plan.seed);
    let days = u64::from(plan.days.max(1));
    let last_day = plan.end - plan.end.rem_euclid(DAY_MILLIS);
    let first_day = last_day - (days as i64 - 1) * DAY_MILLIS;
    // Today counts only for the part of it that is over.
    let today_share = (plan.end - last_day) as f64 / DAY_MILLIS as f64;
    let per_day = (plan.events as f64 / (days as f64 - 1.0 + today_share)).ceil() as u64;
    let mut known_visitors: Vec<i64> = Vec::new();
    let mut produced = 0u64;
    let mut buffer = Vec::with_capacity(chunk);
    for day_index in 0..days as i64 {
        let day = first_day + day_index * DAY_MILLIS;
        let remaining = plan.events - produced;
        let target = if day_index as u64 == days - 1 { remaining } else { per_day.min(remaining) };
        let today = day_index as u64 == days - 1;
        let visits = visit_starts(&mut rng, plan, day, today, target);
        let mut day_events: Vec<EventRecord> = Vec::new();
        for start in visits {
            if day_events.len() as u64 >= target {
                break;
            }
            visit(&mut rng, plan, start, &mut known_visitors, &mut day_events);
        }
        day_events.sort_by_key(|e| e.at);
        day_events.retain(|e| e.at <= plan.end);
        day_events.truncate(target as usize);
        produced += day_events.len() as u64;
        for event in day_events {
            buffer.push(event);
            if buffer.len() == chunk {
                sink(std::mem::replace(&mut buffer, Vec::with_capacity(chunk)));
            }
        }
        if produced >= plan.events {
            break;
        }
    }
    if !buffer.is_empty() {
        sink(buffer);
    }
}

/// The start times of a day's visits, in random order: enough for `target`
/// events, by the hour profile (today: only the part that is over).
fn visit_starts(rng: &mut SmallRng, plan: &SynthPlan, day: UnixMillis, today: bool, target: u64) -> Vec<UnixMillis> {
    let mut visits: Vec<UnixMillis> = Vec::new();
    let mut planned = 0u64;
    while planned < target {
        if today {
            // Only the part of today that is over (and visits of today end before `end`).
            visits.push(day + rng.random_range(0..=(plan.end - day)));
        } else {
            let hour = *weighted(rng, &HOUR_INDEX, |h| HOURS[*h]);
            visits.push(day + hour as i64 * 3_600_000 + rng.random_range(0..3_600_000));
        }
        planned += 2; // fewer than a visit's mean, so the day's target is reached; the surplus is cut
    }
    // In random order: the surplus visits cut below are spread over the
    // day (in time order the cut fell on the day's last hours).
    visits.shuffle(rng);
    visits
}

/// One visit starting at `start`: a returning visitor a third of the time,
/// page views, sometimes a custom or outbound event.
fn visit(
    rng: &mut SmallRng,
    plan: &SynthPlan,
    start: UnixMillis,
    known_visitors: &mut Vec<i64>,
    out: &mut Vec<EventRecord>,
) {
    let visitor = if !known_visitors.is_empty() && rng.random_bool(0.33) {
        known_visitors[rng.random_range(0..known_visitors.len())]
    } else {
        let id: i64 = rng.random();
        known_visitors.push(id);
        id
    };
    let (browser, os, device, _) = *weighted(rng, CLIENTS, |c| c.3);
    let source = weighted(rng, SOURCES, |s| s.1).0;
    let campaign = rng.random_bool(0.08).then(|| CAMPAIGNS[rng.random_range(0..CAMPAIGNS.len())]);
    let pages = if rng.random_bool(0.4) { 1 } else { rng.random_range(2..=7) };
    let mut at = start;
    let mut current_path = path(rng);
    let base = |at: UnixMillis, kind: EventKind, name: String, path: &str, first: bool| EventRecord {
        site: plan.site.clone(),
        at,
        visitor,
        cookieless: false,
        user: None,
        kind,
        name,
        path: path.to_owned(),
        source: if first { source.to_owned() } else { String::new() },
        utm_source: campaign.map(|c| c.0.to_owned()).unwrap_or_default(),
        utm_medium: campaign.map(|c| c.1.to_owned()).unwrap_or_default(),
        utm_campaign: campaign.map(|c| c.2.to_owned()).unwrap_or_default(),
        browser: browser.to_owned(),
        os: os.to_owned(),
        device: device.to_owned(),
        props: vec![],
    };
    for page in 0..pages {
        out.push(base(at, EventKind::Pageview, "pageview".into(), &current_path, page == 0));
        at += rng.random_range(5_000..240_000);
        current_path = path(rng);
    }
    if pages > 1 && rng.random_bool(0.12) {
        let name = EVENTS[rng.random_range(0..EVENTS.len())];
        let mut event = base(at, EventKind::Custom, name.into(), "/products", false);
        if name == "signup" {
            event.props = vec![("plan".into(), PLANS[rng.random_range(0..PLANS.len())].into())];
        }
        out.push(event);
    }
    if rng.random_bool(0.04) {
        out.push(base(at + 1_000, EventKind::Outbound, "github.com/crumb".into(), "/about", false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_the_count_in_time_order_deterministically() {
        let plan =
            SynthPlan { site: "s".into(), events: 5_000, days: 7, end: 20_000 * DAY_MILLIS + 13 * 3_600_000, seed: 3 };
        let mut all = Vec::new();
        generate(&plan, 700, |chunk| {
            assert!(chunk.len() <= 700);
            all.extend(chunk);
        });
        assert_eq!(all.len(), 5_000);
        let mut again = Vec::new();
        generate(&plan, 700, |chunk| again.extend(chunk));
        assert_eq!(all, again);
        assert!(all.iter().all(|e| e.at <= plan.end && e.at >= plan.end - 7 * DAY_MILLIS));
        let views = all.iter().filter(|e| e.kind == EventKind::Pageview).count();
        assert!(views * 10 > all.len() * 8, "mostly page views");
        assert!(all.iter().any(|e| e.kind == EventKind::Custom) && all.iter().any(|e| e.kind == EventKind::Outbound));
    }

    #[test]
    fn traffic_fills_every_hour_of_the_day_up_to_the_end() {
        let end = 20_000 * DAY_MILLIS + 13 * 3_600_000;
        let plan = SynthPlan { site: "s".into(), events: 50_000, days: 7, end, seed: 5 };
        let mut all = Vec::new();
        generate(&plan, 10_000, |chunk| all.extend(chunk));
        let hour_of_day = |at: UnixMillis| at.rem_euclid(DAY_MILLIS) / 3_600_000;
        for hour in 0..24 {
            assert!(
                all.iter().any(|e| e.at < end - DAY_MILLIS && hour_of_day(e.at) == hour),
                "no traffic at {hour}:00"
            );
        }
        let last_hour = all.iter().filter(|e| e.at > end - 3_600_000).count();
        assert!(last_hour > 50, "today's last hour has its share: {last_hour}");
    }
}
