//! Replays cookie scenarios (RUNNER.md: JSON Lines on stdin) in headless Chromium and prints one
//! observation per scenario (JSON Lines on stdout, input order).
//!
//! `CRUMB_BROWSER_JOBS` sets how many browsers run at once (default 2). Progress goes to stderr.

use std::io::{Read as _, Write as _};

use anyhow::Context as _;
use crumb_browser::scenario::{parse_scenarios_lenient, Observation};
use crumb_browser::{BrowserOptions, ChromiumRunner};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("reading stdin")?;
    let parsed = parse_scenarios_lenient(&input);
    let jobs = std::env::var("CRUMB_BROWSER_JOBS").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(2).max(1);
    let runner = ChromiumRunner::start(BrowserOptions::detect()?, jobs).await?;
    let setup = runner.setup_check().await?;
    eprintln!("chromium-replay: setup check passed ({:?})", setup.observation.observed);
    let good: Vec<_> = parsed.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
    let started = std::time::Instant::now();
    let mut observed = runner
        .run_all(good, |done, total| {
            if done % 25 == 0 || done == total {
                eprintln!("chromium-replay: {done}/{total}");
            }
        })
        .await
        .into_iter();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for r in &parsed {
        let obs = match r {
            Ok(_) => observed.next().context("one observation per good scenario")?,
            Err(bad) => Observation {
                name: bad.name.clone().unwrap_or_default(),
                observed: Vec::new(),
                script: Vec::new(),
                error: Some(format!("line {}: bad scenario: {}", bad.line, bad.error)),
            },
        };
        serde_json::to_writer(&mut out, &obs)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    eprintln!("chromium-replay: {} scenarios in {:.1} s", parsed.len(), started.elapsed().as_secs_f64());
    Ok(())
}
