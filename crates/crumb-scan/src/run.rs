//! One scan from start to end: choose the agent (Chromium when installed,
//! else crumb's jar, saying so), read `robots.txt`, crawl before consent,
//! find crumb and its declaration, crawl each further consent state in a
//! fresh profile, judge.
//!
//! What it is not: output (see `report`) or the CLI.

use std::time::{Duration, Instant};

use crumb_core::category::Category;
use url::Url;

use crate::agent::{Agent, CrumbSite};
use crate::chromium::ChromiumAgent;
use crate::crawl::{Frontier, DEFAULT_MAX_PAGES, DEFAULT_MAX_SECONDS};
use crate::declared::Declaration;
use crate::error::ScanError;
use crate::http::HttpAgent;
use crate::judge::judge;
use crate::outcome::{Mode, Report, StateOutcome};
use crate::robots::Robots;
use crate::states::ConsentState;

/// What to scan, and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// The first page.
    pub url: String,
    /// The declaration from `--config`, if given; else the site's own is looked for.
    pub declaration: Option<Declaration>,
    /// Pages per consent state.
    pub max_pages: usize,
    /// Seconds for the whole scan.
    pub max_seconds: u64,
    /// Never use Chromium (`--no-browser`).
    pub no_browser: bool,
}

impl ScanOptions {
    /// The defaults for `url`.
    pub fn new(url: &str) -> ScanOptions {
        ScanOptions {
            url: url.to_owned(),
            declaration: None,
            max_pages: DEFAULT_MAX_PAGES,
            max_seconds: DEFAULT_MAX_SECONDS,
            no_browser: false,
        }
    }
}

/// Parses the URL to scan.
pub fn parse_start(url: &str) -> Result<Url, ScanError> {
    let parsed = Url::parse(url).map_err(|_| ScanError::BadUrl(url.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(ScanError::BadUrl(url.to_owned()));
    }
    Ok(parsed)
}

/// Runs a scan.
pub async fn scan(options: ScanOptions) -> Result<Report, ScanError> {
    let start = parse_start(&options.url)?;
    let deadline = Instant::now() + Duration::from_secs(options.max_seconds);
    let mut notes = Vec::new();
    if !options.no_browser && crumb_browser::chromium_available() {
        match ChromiumAgent::start().await {
            Ok(agent) => return scan_with(agent, Mode::Chromium, start, &options, deadline, notes).await,
            Err(error) => notes.push(format!("Chromium could not start ({error}); falling back to crumb's jar")),
        }
    } else if !options.no_browser {
        notes.push("Chromium or chromedriver is not installed; falling back to crumb's jar".to_owned());
    }
    let agent = HttpAgent::new(&start)?;
    scan_with(agent, Mode::Http, start, &options, deadline, notes).await
}

async fn scan_with<A: Agent>(
    mut agent: A,
    mode: Mode,
    start: Url,
    options: &ScanOptions,
    deadline: Instant,
    mut notes: Vec<String>,
) -> Result<Report, ScanError> {
    if let Some(limitation) = agent.limitation() {
        notes.insert(0, limitation);
    }
    let result = crawl_all(&mut agent, &start, options, deadline, &mut notes).await;
    agent.finish().await;
    let (robots, declaration, mut states) = result?;
    if declaration.source == crate::declared::Source::None {
        notes.push(
            "no declaration: no --config was given and the site serves no crumb policy.json, so every cookie is undeclared"
                .to_owned(),
        );
    }
    for state in &mut states {
        state.violations = judge(state.state, &state.cookies, &declaration);
    }
    Ok(Report { url: start.to_string(), mode, declaration: declaration.source, notes, robots, states })
}

async fn crawl_all<A: Agent>(
    agent: &mut A,
    start: &Url,
    options: &ScanOptions,
    deadline: Instant,
    notes: &mut Vec<String>,
) -> Result<(String, Declaration, Vec<StateOutcome>), ScanError> {
    let robots = read_robots(agent, start).await?;
    let (first, scripts) =
        crawl_state(agent, ConsentState::BeforeConsent, start, &robots, None, options, deadline).await?;
    let crumb = CrumbSite::from_scripts(start, &scripts);
    let declaration = match &options.declaration {
        Some(declaration) => declaration.clone(),
        None => site_declaration(agent, start, crumb.as_ref(), notes).await,
    };
    let categories = if declaration.cookies.is_empty() { Category::ALL.to_vec() } else { declaration.categories() };
    let mut states = vec![first];
    for state in ConsentState::plan(&categories).into_iter().skip(1) {
        let outcome = match &crumb {
            None => StateOutcome::unreached(
                state,
                "not reachable: the first page has no crumb script (…/crumb.js), so there is no banner to choose with"
                    .to_owned(),
            ),
            Some(_) if Instant::now() >= deadline => {
                StateOutcome::unreached(state, "not scanned: --max-seconds was spent".to_owned())
            }
            Some(crumb) => crawl_state(agent, state, start, &robots, Some(crumb), options, deadline).await?.0,
        };
        states.push(outcome);
    }
    Ok((robots.origin_note, declaration, states))
}

/// `/robots.txt`; a site that cannot be reached at all cannot be scanned.
async fn read_robots<A: Agent>(agent: &mut A, start: &Url) -> Result<Robots, ScanError> {
    let Ok(url) = start.join("/robots.txt") else { return Ok(Robots::allow_all("robots.txt: no URL")) };
    let (status, text) = agent.fetch_text(&url).await?;
    Ok(Robots::from_response(status, &text))
}

/// The declaration the site's crumb serves at `{prefix}/policy.json`.
async fn site_declaration<A: Agent>(
    agent: &mut A,
    start: &Url,
    crumb: Option<&CrumbSite>,
    notes: &mut Vec<String>,
) -> Declaration {
    // Without crumb's script on the page, crumb may still serve its policy at the root.
    let root = CrumbSite { origin: start.origin().ascii_serialization(), prefix: String::new() };
    let url = crumb.unwrap_or(&root).url("/policy.json");
    let Ok(parsed) = start.join(&url) else { return Declaration::none() };
    match agent.fetch_text(&parsed).await {
        Ok((200, text)) => match Declaration::from_policy_json(&text, &url) {
            Ok(declaration) => declaration,
            Err(error) => {
                notes.push(format!("{url} is not crumb's policy: {error}"));
                Declaration::none()
            }
        },
        Ok((status, _)) => {
            if crumb.is_some() {
                notes.push(format!("{url} answered {status}"));
            }
            Declaration::none()
        }
        Err(error) => {
            if crumb.is_some() {
                notes.push(format!("{url}: {error}"));
            }
            Declaration::none()
        }
    }
}

/// Crawls in one state, from a fresh profile; also returns the first page's scripts.
async fn crawl_state<A: Agent>(
    agent: &mut A,
    state: ConsentState,
    start: &Url,
    robots: &Robots,
    crumb: Option<&CrumbSite>,
    options: &ScanOptions,
    deadline: Instant,
) -> Result<(StateOutcome, Vec<Url>), ScanError> {
    agent.fresh().await?;
    let mut outcome = StateOutcome::unreached(state, String::new());
    outcome.notes.clear();
    let mut frontier = Frontier::new(start.clone(), robots, options.max_pages, deadline);
    let mut first_scripts = Vec::new();
    let mut first = true;
    while let Some(url) = frontier.next_page() {
        let page = match agent.visit(&url).await {
            Ok(page) => page,
            Err(error) if first => return Err(error),
            Err(error) => {
                outcome.notes.push(error.to_string());
                continue;
            }
        };
        outcome.pages.push(url.to_string());
        if first {
            first_scripts.clone_from(&page.scripts);
            if let (true, Some(crumb)) = (state.needs_choice(), crumb) {
                if let Err(why) = agent.choose(state, crumb).await {
                    return Ok((StateOutcome::unreached(state, format!("not reachable: {why}")), first_scripts));
                }
            }
            first = false;
        }
        for link in page.links {
            frontier.offer(link, robots);
        }
    }
    if first {
        return Err(ScanError::NothingCrawled { url: start.to_string(), why: robots.origin_note.clone() });
    }
    if frontier.timed_out {
        outcome.notes.push("--max-seconds was spent before every page found was visited".to_owned());
    }
    outcome.reached = true;
    outcome.disallowed = frontier.disallowed;
    outcome.cookies = agent.cookies(start.host_str().unwrap_or_default()).await?;
    outcome.cookies.sort_by(|a, b| (&a.name, &a.domain).cmp(&(&b.name, &b.domain)));
    Ok((outcome, first_scripts))
}
