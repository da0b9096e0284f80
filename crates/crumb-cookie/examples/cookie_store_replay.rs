//! The peer's side of the replay benchmark: reads replay-protocol scenarios
//! (JSON Lines, `docs/replay.md`; navigations only) from stdin and replays
//! them through `cookie_store` 0.22, printing one observation per scenario,
//! as `crumb jar replay` does with crumb's jar. `cookie_store` has no
//! virtual clock, so `advance_seconds` is ignored (the workload of
//! `replay_workload` never moves the clock), and it orders a header's pairs
//! its own way.
//!
//! ```sh
//! cargo run --release -p crumb-cookie --example cookie_store_replay < workload.jsonl
//! ```

use std::io::{BufRead as _, Write as _};

use crumb_cookie::replay::{Observation, Scenario};

fn replay(scenario: &Scenario) -> Observation {
    let mut store = cookie_store::CookieStore::default();
    let mut observed = Vec::with_capacity(scenario.steps.len());
    for step in &scenario.steps {
        let url = match url::Url::parse(&step.url) {
            Ok(url) => url,
            Err(e) => {
                return Observation {
                    name: scenario.name.clone(),
                    observed,
                    script: Vec::new(),
                    error: Some(format!("{}: {e}", step.url)),
                }
            }
        };
        let mut header = String::new();
        for (i, (name, value)) in store.get_request_values(&url).enumerate() {
            if i > 0 {
                header.push_str("; ");
            }
            header.push_str(name);
            header.push('=');
            header.push_str(value);
        }
        observed.push(header);
        for value in &step.set_cookie {
            // As in a browser, a refused cookie is no error of the replay.
            let _ = store.parse(value, &url);
        }
    }
    Observation { name: scenario.name.clone(), observed, script: Vec::new(), error: None }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lines() {
        let line = line?;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let scenario: Scenario = serde_json::from_str(&line)?;
        serde_json::to_writer(&mut out, &replay(&scenario))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
