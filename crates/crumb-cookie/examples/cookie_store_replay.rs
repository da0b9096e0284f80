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

#[path = "../benches/workload/mod.rs"]
#[allow(dead_code)] // the generator is the other example's half
mod workload;

use std::io::{BufRead as _, Write as _};

use crumb_cookie::replay::{Observation, Scenario};

fn replay(scenario: &Scenario) -> Observation {
    let (observed, error) = match workload::cookie_store_replay(scenario) {
        Ok(observed) => (observed, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    Observation { name: scenario.name.clone(), observed, script: Vec::new(), error }
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
