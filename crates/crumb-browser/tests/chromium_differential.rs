//! Differential test: the scenario corpus `tests/data/chromium-scenarios.jsonl` is replayed live in
//! headless Chromium and through crumb's jar (`crumb_cookie::replay`), and the `Cookie` headers are
//! compared scenario by scenario.
//!
//! Chromium is the behaviour reference. A scenario may disagree only if it is listed, with a reason,
//! in `tests/data/chromium-known-divergences.txt`. Without Chromium installed the test says SKIPPED
//! and passes.
//!
//! Environment: `CRUMB_BROWSER_JOBS` (browsers at once, default 2); `CRUMB_CHROMIUM_OBSERVATIONS_OUT`
//! (write Chromium's observations there as JSON Lines).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use crumb_browser::scenario::family_of;
use crumb_browser::{skip_without_chromium, BrowserOptions, ChromiumRunner, Observation};

/// Writes to the real stderr, past libtest's output capture, so the report shows on success too.
macro_rules! report {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

const CORPUS: &str = include_str!("data/chromium-scenarios.jsonl");
const KNOWN: &str = include_str!("data/chromium-known-divergences.txt");

/// Names listed in the known-divergences file, with their reasons.
fn known_divergences() -> BTreeMap<String, String> {
    KNOWN
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('#') {
            Some((name, reason)) => (name.trim().to_owned(), reason.trim().to_owned()),
            None => (l.to_owned(), String::new()),
        })
        .collect()
}

#[test]
fn corpus_is_well_formed() {
    let ours = crumb_browser::parse_scenarios(CORPUS).expect("corpus parses (crumb-browser types)");
    let theirs = crumb_cookie::replay::parse_scenarios(CORPUS).expect("corpus parses (crumb_cookie::replay)");
    assert_eq!(ours.len(), theirs.len());
    assert!((250..=800).contains(&ours.len()), "corpus size {}", ours.len());
    let mut names = HashSet::new();
    for s in &ours {
        assert!(names.insert(s.name.as_str()), "duplicate scenario name {}", s.name);
        assert!(s.name.contains('/'), "{}: name needs a family", s.name);
        assert!(!s.steps.is_empty(), "{}: no steps", s.name);
        for step in &s.steps {
            assert!(step.url.starts_with("http://") || step.url.starts_with("https://"), "{}", s.name);
            assert!(step.advance_seconds <= 3, "{}: keep real sleeps short", s.name);
            for v in &step.set_cookie {
                assert!(!v.contains('\0') && !v.contains('\n'), "{}: NUL or LF in a value", s.name);
            }
            for v in &step.script_set {
                assert!(!v.contains('\0'), "{}: NUL in a script value", s.name);
            }
        }
    }
    for (name, reason) in known_divergences() {
        assert!(names.contains(name.as_str()), "known divergence {name} is not in the corpus");
        assert!(!reason.is_empty(), "known divergence {name} needs a `# reason`");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_agrees_with_crumb_jar() {
    if skip_without_chromium("chromium_agrees_with_crumb_jar") {
        return;
    }
    let started = Instant::now();
    let scenarios = crumb_browser::parse_scenarios(CORPUS).expect("corpus parses");
    let crumb_scenarios = crumb_cookie::replay::parse_scenarios(CORPUS).expect("corpus parses for crumb");
    let crumb: Vec<Observation> = crumb_scenarios
        .iter()
        .map(|s| {
            let o = crumb_cookie::replay::run_scenario(s, crumb_cookie::replay::DEFAULT_START);
            Observation { name: o.name, observed: o.observed, script: o.script, error: o.error }
        })
        .collect();

    let jobs = std::env::var("CRUMB_BROWSER_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let opts = BrowserOptions::detect().expect("browser options");
    let runner = ChromiumRunner::start(opts, jobs).await.expect("starting the Chromium runner");
    let setup = runner.setup_check().await.unwrap_or_else(|e| panic!("{e:#}"));
    report!("Chromium setup check passed: {:?}", setup.observation.observed);

    let mut chromium = runner
        .run_all(scenarios.clone(), |done, total| {
            if done % 50 == 0 || done == total {
                report!("chromium: {done}/{total}");
            }
        })
        .await;
    // A harness hiccup (a browser that failed to start) gets one more try.
    let retry: Vec<usize> = chromium.iter().enumerate().filter(|(_, o)| o.error.is_some()).map(|(i, _)| i).collect();
    if !retry.is_empty() {
        report!("chromium: retrying {} scenario(s) that hit an error", retry.len());
        let again = runner.run_all(retry.iter().map(|&i| scenarios[i].clone()).collect(), |_, _| {}).await;
        for (i, o) in retry.into_iter().zip(again) {
            chromium[i] = o;
        }
    }
    let elapsed = started.elapsed();

    if let Some(path) = std::env::var_os("CRUMB_CHROMIUM_OBSERVATIONS_OUT") {
        let text: String =
            chromium.iter().map(|o| serde_json::to_string(o).expect("observation serialises") + "\n").collect();
        std::fs::write(&path, text).expect("writing Chromium observations");
    }

    let known = known_divergences();
    let mut per_family: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut known_hit = Vec::new();
    let mut known_agreeing = Vec::new();
    let mut harness_errors = Vec::new();
    for (ch, cr) in chromium.iter().zip(&crumb) {
        assert_eq!(ch.name, cr.name);
        let entry = per_family.entry(family_of(&ch.name)).or_default();
        entry.0 += 1;
        if let Some(e) = &ch.error {
            harness_errors.push(format!("{}: {e}", ch.name));
            continue;
        }
        let agree = ch.observed == cr.observed && ch.script == cr.script && cr.error.is_none();
        if agree {
            entry.1 += 1;
            if known.contains_key(&ch.name) {
                known_agreeing.push(ch.name.as_str());
            }
        } else if known.contains_key(&ch.name) {
            known_hit.push((ch, cr));
        } else {
            unexpected.push((ch, cr));
        }
    }

    report!("\nChromium vs crumb jar, {} scenarios in {:.0} s", chromium.len(), elapsed.as_secs_f64());
    report!("{:<14} {:>9} {:>6} {:>7}", "family", "scenarios", "agree", "rate");
    let (mut total, mut agree) = (0, 0);
    for (family, (n, a)) in &per_family {
        total += n;
        agree += a;
        report!("{family:<14} {n:>9} {a:>6} {:>6.1}%", 100.0 * *a as f64 / *n as f64);
    }
    report!("{:<14} {total:>9} {agree:>6} {:>6.1}%", "all", 100.0 * agree as f64 / total.max(1) as f64);

    let show = |label: &str, list: &[(&Observation, &Observation)]| {
        if list.is_empty() {
            return;
        }
        report!("\n{label}:");
        for (ch, cr) in list {
            let reason = known.get(&ch.name).map(|r| format!("  # {r}")).unwrap_or_default();
            report!("  {}{reason}", ch.name);
            report!("    chromium: {:?}", ch.observed);
            report!(
                "    crumb:    {:?}{}",
                cr.observed,
                cr.error.as_deref().map(|e| format!(" error: {e}")).unwrap_or_default()
            );
            if !ch.script.is_empty() || !cr.script.is_empty() {
                report!("    chromium document.cookie: {:?}", ch.script);
                report!("    crumb document.cookie:    {:?}", cr.script);
            }
        }
    };
    show("known divergences (tests/data/chromium-known-divergences.txt)", &known_hit);
    show("UNEXPECTED disagreements", &unexpected);
    if !known_agreeing.is_empty() {
        report!("\nlisted as known divergences but now agree (remove them from the list):");
        for n in &known_agreeing {
            report!("  {n}");
        }
    }
    if !harness_errors.is_empty() {
        report!("\nChromium harness errors:");
        for e in &harness_errors {
            report!("  {e}");
        }
    }
    let by_name: HashMap<&str, &Observation> = chromium.iter().map(|o| (o.name.as_str(), o)).collect();
    assert_eq!(by_name.len(), chromium.len(), "duplicate names");
    assert!(harness_errors.is_empty(), "{} scenario(s) could not be run in Chromium", harness_errors.len());
    assert!(
        unexpected.is_empty(),
        "{} scenario(s) disagree with Chromium and are not in chromium-known-divergences.txt",
        unexpected.len()
    );
}
