//! `crumb scan URL`: the cookie scanner a site's CI can run (see
//! docs/scan.md). Parses the options, runs `crumb_scan::scan`, writes the
//! report and the draft declaration, and turns the result into the exit
//! status: 0 no violation, 1 violations, 2 the scan could not run.
//!
//! What it is not: the scanner (crates/crumb-scan).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use crumb_scan::{Declaration, Format, ScanOptions};

/// The report formats.
#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Plain text.
    Text,
    /// JSON.
    Json,
    /// JUnit XML.
    Junit,
}

/// `crumb scan` options.
#[derive(Args)]
pub struct ScanArgs {
    /// The site's first page, e.g. https://www.example.com/.
    url: String,
    /// The declaration to judge against (default: the site's own crumb policy.json, if it runs crumb).
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: FormatArg,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Pages visited per consent state.
    #[arg(long, default_value_t = crumb_scan::crawl::DEFAULT_MAX_PAGES)]
    max_pages: usize,
    /// Seconds the whole scan may take.
    #[arg(long, default_value_t = crumb_scan::crawl::DEFAULT_MAX_SECONDS)]
    max_seconds: u64,
    /// Also write a crumb.toml drafted from the cookies seen to this file.
    #[arg(long)]
    write_declaration: Option<PathBuf>,
    /// Crawl with crumb's own cookie jar even when Chromium is installed (script-set cookies are not seen).
    #[arg(long)]
    no_browser: bool,
}

/// Runs `crumb scan`.
pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    if args.max_pages == 0 {
        anyhow::bail!("--max-pages must be at least 1");
    }
    if args.max_seconds == 0 {
        anyhow::bail!("--max-seconds must be at least 1");
    }
    let start = crumb_scan::run::parse_start(&args.url)?;
    let mut options = ScanOptions::new(&args.url);
    options.max_pages = args.max_pages;
    options.max_seconds = args.max_seconds;
    options.no_browser = args.no_browser;
    if let Some(path) = &args.config {
        let config = crumb_core::config::load(path).map_err(|errors| anyhow::anyhow!("--config: {errors}"))?;
        options.declaration = Some(Declaration::from_config(&config, &path.display().to_string()));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let declaration = options.declaration.clone();
    let report = runtime.block_on(crumb_scan::scan(options))?;
    let format = match args.format {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Junit => Format::Junit,
    };
    let rendered = crumb_scan::report::render(&report, format);
    match &args.output {
        Some(path) => std::fs::write(path, &rendered).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{rendered}"),
    }
    if let Some(path) = &args.write_declaration {
        let known = declaration.unwrap_or_else(Declaration::none);
        let text = crumb_scan::draft::draft(&report, &start, &known);
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("crumb scan: drafted a declaration in {} (fill in its TODOs)", path.display());
    }
    let count = report.violation_count();
    if count > 0 {
        eprintln!("crumb scan: {count} violation(s)");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
