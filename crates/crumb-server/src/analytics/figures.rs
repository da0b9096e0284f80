//! The dashboard's figures as the page's language writes them: counts
//! grouped its way (41,380; 41.380; 41 380), a dash for a figure withheld,
//! "fewer than k" under the anonymity floor, estimates' margins,
//! percentages and the change against the period before
//! (`crumb_core::i18n::numbers`, the `dash_*` and `percent` messages).

use crumb_core::i18n::Strings;

/// A count, or a dash for none, as the page's language writes it (41,380; 41.380; 41 380).
pub fn figure(t: &Strings, value: Option<u64>) -> String {
    value.map_or_else(|| "—".to_owned(), |n| t.number(n))
}

/// "fewer than 5", for a figure under the anonymity floor `k`.
pub fn fewer_than(t: &Strings, k: u64) -> String {
    t.fill("dash_fewer_than", &[("k", &t.number(k))])
}

/// An estimate's margin, as shown after it (`± 1,350`), or nothing for an exact count.
pub fn margin(t: &Strings, value: Option<u64>) -> String {
    value.map(|m| format!("± {}", t.number(m))).unwrap_or_default()
}

/// A rate in percent (one decimal at most), as the page's language writes it: 42.5 %, 42,5 %.
pub fn percent(t: &Strings, rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| t.fill("percent", &[("n", &t.decimal(r, 1))]))
}

/// The change against the period before: `+12 % vs previous period`, or,
/// while the range is not over, against the same time of the period before.
pub fn change(t: &Strings, current: Option<f64>, previous: Option<f64>, partial: bool) -> String {
    let against = if partial { "dash_vs_previous_partial" } else { "dash_vs_previous" };
    match (current, previous) {
        (Some(c), Some(p)) if p > 0.0 => {
            let percent = ((c - p) / p * 100.0).round();
            // Rounded, and far below 2^63: the cast keeps it.
            let sign = if percent < 0.0 { "−" } else { "+" };
            let amount = t.fill("percent", &[("n", &t.number(percent.abs() as u64))]);
            t.fill(against, &[("change", &format!("{sign}{amount}"))])
        }
        _ => String::new(),
    }
}
