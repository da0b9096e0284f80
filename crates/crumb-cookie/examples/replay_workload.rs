//! Writes the browsing workload of the replay benchmark (`benches/workload`)
//! as a replay-protocol scenario (JSON Lines, `docs/replay.md`) to stdout.
//!
//! ```sh
//! cargo run --release -p crumb-cookie --example replay_workload -- 40000 1000 > workload.jsonl
//! crumb jar replay < workload.jsonl > crumb.jsonl
//! cargo run --release -p crumb-cookie --example cookie_store_replay < workload.jsonl > peer.jsonl
//! ```
//!
//! Arguments: navigations (default 40,000) and sites (default 1,000).

#[path = "../benches/workload/mod.rs"]
#[allow(dead_code)] // the peer's replay is the other example's half
mod workload;

use std::io::Write as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut spec = workload::WorkloadSpec::default();
    let mut args = std::env::args().skip(1);
    if let Some(navigations) = args.next() {
        spec.navigations = navigations.parse().map_err(|e| format!("navigations {navigations:?}: {e}"))?;
    }
    if let Some(sites) = args.next() {
        spec.sites = sites.parse().map_err(|e| format!("sites {sites:?}: {e}"))?;
    }
    let scenario = workload::generate(spec);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &scenario)?;
    out.write_all(b"\n")?;
    Ok(())
}
