//! `crumb interests classify URL|FILE`: what crumb would assign a page of
//! the Topics taxonomy v2, and why (docs/interests.md): whether the page
//! opts out, the topics the declaration gives its path, and the built-in
//! classifier's proposal with the words that led to it.
//!
//! What it is not: the classifier or the rules (crumb_core::interests).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use crumb_core::config::{ClassifierMode, Config};
use crumb_core::interests::assign::{assign, Assignment, Decision, Rules};
use crumb_core::interests::classifier::DEFAULT_MAX_TOPICS;
use crumb_core::interests::opt_out::{permissions_policy, PolicyVerdict};
use crumb_core::interests::page_text::scan;
use crumb_core::interests::{PageTopics, Taxonomy, TopicId};
use serde::Serialize;

/// How long fetching a URL may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(20);
/// The most bytes of a page read (the rest is not fetched); read as UTF-8.
const MAX_PAGE_BYTES: usize = 5 * 1024 * 1024;

/// `crumb interests …`.
#[derive(Subcommand)]
pub enum InterestsCommand {
    /// Show the topics crumb would assign a page (a URL or an HTML file), and why.
    Classify(ClassifyArgs),
}

/// `crumb interests classify` options.
#[derive(Args)]
pub struct ClassifyArgs {
    /// An http:// URL to fetch, or an HTML file.
    page: String,
    /// The declaration whose [interests] and [[interests.page]] apply (without it: the classifier alone).
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// The page's URL path, for a FILE (default: "/" and the file's name without its extension; "/" for index.html).
    #[arg(long)]
    path: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `crumb interests …`.
pub fn run(command: InterestsCommand) -> anyhow::Result<ExitCode> {
    match command {
        InterestsCommand::Classify(args) => classify(args),
    }
}

/// A page as read: where from, its HTML and its `Permissions-Policy` lines.
struct Fetched {
    source: String,
    path: String,
    html: String,
    permissions_policy: Vec<String>,
}

/// What `classify` prints with `--json`.
#[derive(Serialize)]
struct Report<'a> {
    source: &'a str,
    path: &'a str,
    permissions_policy: &'a PolicyVerdict,
    assignment: &'a Assignment,
    config: Option<ConfigSummary>,
}

/// The declaration's interest settings, as the report names them.
#[derive(Serialize)]
struct ConfigSummary {
    file: String,
    enabled: bool,
    classifier: &'static str,
}

fn classify(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => Some(crumb_core::config::load(path).map_err(|errors| anyhow::anyhow!("--config: {errors}"))?),
        None => None,
    };
    let page = if args.page.starts_with("http://") || args.page.starts_with("https://") {
        if args.path.is_some() {
            bail!("--path is for a FILE: a URL's path is its own");
        }
        fetch(&args.page)?
    } else {
        read_file(Path::new(&args.page), args.path.as_deref())?
    };
    let scanned = scan(&page.html);
    let mut text = scanned.text;
    text.path = page.path.clone();
    let verdict = permissions_policy(page.permissions_policy.iter().map(String::as_str));
    let opt_out = match &verdict {
        PolicyVerdict::OptedOut(opt_out) => Some(opt_out.clone()),
        _ => scanned.opt_out,
    };
    let no_pages = PageTopics::default();
    let rules = match &config {
        Some(config) => Rules {
            pages: &config.interests.pages,
            propose: config.interests.classifier == ClassifierMode::Propose,
            max_topics: config.interests.max_topics,
        },
        None => Rules { pages: &no_pages, propose: false, max_topics: DEFAULT_MAX_TOPICS },
    };
    let assignment = assign(rules, &text, opt_out.as_ref());
    let summary = config.as_ref().map(|c| ConfigSummary {
        file: c.source.clone(),
        enabled: c.interests.enabled,
        classifier: match c.interests.classifier {
            ClassifierMode::Off => "off",
            ClassifierMode::Propose => "propose",
        },
    });
    let output = if args.json {
        let report = Report {
            source: &page.source,
            path: &page.path,
            permissions_policy: &verdict,
            assignment: &assignment,
            config: summary,
        };
        format!("{}\n", serde_json::to_string_pretty(&report)?)
    } else {
        render(&page, &verdict, &assignment, config.as_ref())
    };
    match std::io::Write::write_all(&mut std::io::stdout().lock(), output.as_bytes()) {
        // A reader that stopped early (`| head`) is not a failure of the command.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("writing to standard output")?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Fetches an `http://` URL (this build's HTTP client has no TLS: an
/// `https://` page has to be saved and classified as a file).
fn fetch(url: &str) -> anyhow::Result<Fetched> {
    let parsed = url::Url::parse(url).with_context(|| format!("{url:?} is not a URL"))?;
    if parsed.scheme() != "http" {
        bail!(
            "{url}: only http:// URLs can be fetched (this build's HTTP client has no TLS); save the page \
             (e.g. curl -o page.html {url}) and classify the file with --path {}",
            parsed.path()
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .user_agent(concat!("crumb-interests/", env!("CARGO_PKG_VERSION")))
            .timeout(FETCH_TIMEOUT)
            .build()
            .context("building the HTTP client")?;
        let response = client.get(parsed.clone()).send().await.with_context(|| format!("{url}: unreachable"))?;
        let status = response.status();
        if !status.is_success() {
            bail!("{url}: answered HTTP {status}, not a page");
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).to_ascii_lowercase());
        if let Some(kind) = content_type.as_deref().filter(|kind| !is_html(kind)) {
            bail!("{url}: not an HTML page (Content-Type: {kind})");
        }
        let final_url = response.url().clone();
        let permissions_policy = response
            .headers()
            .get_all("permissions-policy")
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect();
        let mut response = response;
        let mut body = Vec::new();
        while body.len() < MAX_PAGE_BYTES {
            match response.chunk().await.with_context(|| format!("{url}: reading the page"))? {
                Some(chunk) => body.extend_from_slice(&chunk),
                None => break,
            }
        }
        body.truncate(MAX_PAGE_BYTES);
        let html = String::from_utf8_lossy(&body).into_owned();
        Ok(Fetched { source: final_url.to_string(), path: final_url.path().to_owned(), html, permissions_policy })
    })
}

/// Whether a `Content-Type` (lower case) is HTML: `text/html` or XHTML.
fn is_html(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    matches!(essence, "text/html" | "application/xhtml+xml")
}

/// Reads an HTML file; its path is `--path` or made from its name.
fn read_file(file: &Path, path: Option<&str>) -> anyhow::Result<Fetched> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let path = match path {
        Some(path) if path.starts_with('/') => path.to_owned(),
        Some(path) => bail!("--path {path:?} must start with /"),
        None => match file.file_stem().and_then(|stem| stem.to_str()) {
            Some("index") | None => "/".to_owned(),
            Some(stem) => format!("/{stem}"),
        },
    };
    let html = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_PAGE_BYTES)]).into_owned();
    Ok(Fetched { source: file.display().to_string(), path, html, permissions_policy: Vec::new() })
}

/// A topic as `369 /Autos & Vehicles/Bicycles & Accessories`.
fn topic_line(id: TopicId) -> String {
    Taxonomy::v2().get(id).map_or_else(|| id.to_string(), |topic| format!("{id} {}", topic.path))
}

/// The text report.
fn render(page: &Fetched, verdict: &PolicyVerdict, assignment: &Assignment, config: Option<&Config>) -> String {
    let mut out = format!("page: {} (path {})\n", page.source, page.path);
    if let PolicyVerdict::Unparsable { reason } = verdict {
        out.push_str(&format!("Permissions-Policy: does not parse ({reason}); ignored, as a browser ignores it\n"));
    }
    match &assignment.decision {
        Decision::OptedOut { opt_out } => {
            out.push_str(&format!("opt-out: yes, {opt_out}: crumb computes no interests on this page\n"))
        }
        _ => out.push_str("opt-out: no\n"),
    }
    match (&assignment.declared, config) {
        (Some(entry), _) => {
            let topics: Vec<String> = entry.topics.iter().map(|&id| topic_line(id)).collect();
            out.push_str(&format!(
                "declared ([[interests.page]] path = {:?}; declared topics win):\n  {}\n",
                entry.path,
                topics.join("\n  ")
            ));
        }
        (None, Some(config)) => out.push_str(&format!(
            "declared: none ({} has no [[interests.page]] covering {})\n",
            config.source, page.path
        )),
        (None, None) => out.push_str("declared: not known (no --config)\n"),
    }
    if assignment.proposals.is_empty() {
        out.push_str("classifier: no proposal (no topic's words scored enough)\n");
    } else {
        out.push_str("classifier proposes:\n");
        for (rank, proposal) in assignment.proposals.iter().enumerate() {
            out.push_str(&format!("  {}. {}  score {:.1}\n", rank + 1, topic_line(proposal.topic), proposal.score));
            for evidence in &proposal.evidence {
                let via = if evidence.topic == proposal.topic {
                    String::new()
                } else {
                    format!(", a word of {}", topic_line(evidence.topic))
                };
                let synonym = if evidence.from_synonyms { ", synonym" } else { "" };
                out.push_str(&format!(
                    "       {} {:?} +{:.1}{synonym}{via}\n",
                    evidence.field.name(),
                    evidence.words,
                    evidence.points
                ));
            }
        }
    }
    let assigned: Vec<String> = assignment.topics.iter().map(|&id| topic_line(id)).collect();
    let why = match (&assignment.decision, config) {
        (Decision::OptedOut { .. }, _) => "the page opts out".to_owned(),
        (Decision::Declaration { entry }, _) => format!("declared for {entry}"),
        (Decision::Classifier, _) => "[interests] classifier = \"propose\"".to_owned(),
        (Decision::Nothing, None) => {
            "no --config: with [interests] classifier = \"propose\" the proposal would be assigned".to_owned()
        }
        (Decision::Nothing, Some(_)) => {
            "no declared entry, and [interests] classifier is \"off\" (or it proposed nothing)".to_owned()
        }
    };
    if assigned.is_empty() {
        out.push_str(&format!("assigned: none ({why})\n"));
    } else {
        out.push_str(&format!("assigned ({why}):\n  {}\n", assigned.join("\n  ")));
    }
    if let Some(config) = config.filter(|c| !c.interests.enabled) {
        out.push_str(&format!(
            "note: {} has [interests] enabled = false: crumb serve computes no interests at all\n",
            config.source
        ));
    }
    out
}
