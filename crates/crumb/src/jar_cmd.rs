//! `crumb jar …`: the cookie engine on the command line.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use crumb_cookie::replay::{replay_line, DEFAULT_START};
use crumb_cookie::{Clock, Jar, RequestContext, RequestUrl, Timestamp};

#[derive(Subcommand)]
pub enum JarCommand {
    /// Replay cookie scenarios (JSON Lines on stdin) and print the Cookie headers
    /// the jar sends (JSON Lines on stdout); the protocol is docs/replay.md.
    Replay {
        /// Start of the virtual clock, in Unix seconds (default 2026-01-01T00:00:00Z).
        #[arg(long)]
        start: Option<i64>,
    },
    /// Explain what a browser does with one Set-Cookie value received from URL:
    /// the cookie it stores, or the rule that makes it drop the cookie.
    /// Exits 0 when the cookie is stored, 1 when it is dropped.
    Check {
        /// The URL of the response that carries the header.
        #[arg(long)]
        url: String,
        /// How the request was made.
        #[arg(long, value_enum, default_value_t = RequestKind::Navigation)]
        context: RequestKind,
        /// The Set-Cookie header value (without "Set-Cookie:").
        set_cookie: String,
    },
    /// Import a Netscape cookies.txt file (curl, wget, yt-dlp) into a crumb jar file.
    Import {
        /// The cookies.txt file to read.
        cookies_txt: PathBuf,
        /// The crumb jar (JSON) to add the cookies to; created if missing.
        #[arg(long)]
        jar: PathBuf,
    },
    /// Export a crumb jar file as Netscape cookies.txt.
    Export {
        /// The crumb jar (JSON) to read.
        #[arg(long)]
        jar: PathBuf,
        /// Where to write; standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// The request context for `crumb jar check`.
#[derive(Clone, Copy, ValueEnum)]
pub enum RequestKind {
    /// A top-level navigation the user typed (same-site GET).
    Navigation,
    /// A same-site subresource or fetch.
    SameSite,
    /// A cross-site top-level navigation (a followed link).
    CrossSiteNavigation,
    /// A cross-site subresource (image, iframe, fetch).
    CrossSite,
    /// document.cookie in a same-site page.
    Script,
}

impl RequestKind {
    fn request_context(self) -> RequestContext {
        match self {
            RequestKind::Navigation => RequestContext::typed_navigation(),
            RequestKind::SameSite => RequestContext::same_site("GET"),
            RequestKind::CrossSiteNavigation => RequestContext::cross_site_navigation("GET"),
            RequestKind::CrossSite => RequestContext::cross_site_subresource("GET"),
            RequestKind::Script => RequestContext::script(),
        }
    }
}

pub fn run(command: JarCommand) -> anyhow::Result<ExitCode> {
    match command {
        JarCommand::Replay { start } => replay(start.map(Timestamp::from_unix_seconds).unwrap_or(DEFAULT_START)),
        JarCommand::Check { url, context, set_cookie } => check(&url, context, &set_cookie),
        JarCommand::Import { cookies_txt, jar } => import(&cookies_txt, &jar),
        JarCommand::Export { jar, output } => export(&jar, output.as_deref()),
    }
}

fn replay(start: Timestamp) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.split(b'\n') {
        let line = line.context("reading scenarios from standard input")?;
        // JSON is UTF-8; a line that is not is reported as a malformed scenario.
        let text = String::from_utf8_lossy(&line);
        if let Some(observation) = replay_line(&text, start) {
            serde_json::to_writer(&mut stdout, &observation)?;
            stdout.write_all(b"\n")?;
        }
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn check(url: &str, context: RequestKind, set_cookie: &str) -> anyhow::Result<ExitCode> {
    let request_url = RequestUrl::parse(url).with_context(|| format!("--url {url:?}"))?;
    let jar = Jar::new();
    match jar.check(&request_url, set_cookie.as_bytes(), context.request_context()) {
        Ok(cookie) => {
            println!("stored");
            println!("  name:      {:?}", cookie.name_str());
            println!("  value:     {:?}", cookie.value_str());
            if cookie.host_only {
                println!("  domain:    {} (host-only: this host alone)", cookie.domain);
            } else {
                println!("  domain:    {} (and its subdomains)", cookie.domain);
            }
            println!("  path:      {}", cookie.path);
            match cookie.expiry {
                None => println!("  expires:   at the end of the session (session cookie)"),
                Some(expiry) if cookie.is_expired(jar.clock().now()) => {
                    println!("  expires:   {expiry} — already expired: this deletes any existing cookie of the same name, domain and path")
                }
                Some(expiry) => println!("  expires:   {expiry} (persistent; capped at 400 days)"),
            }
            println!("  secure:    {}", cookie.secure);
            println!("  httponly:  {}", cookie.http_only);
            println!("  samesite:  {:?}", cookie.same_site);
            if let Some(key) = &cookie.partition_key {
                println!("  partition: {key}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(rejection) => {
            println!("dropped: {rejection}");
            Ok(ExitCode::from(1))
        }
    }
}

fn load_jar(path: &Path) -> anyhow::Result<Jar> {
    let mut jar = Jar::new();
    match std::fs::read_to_string(path) {
        Ok(json) => {
            jar.load_json(&json).with_context(|| format!("reading jar {}", path.display()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading jar {}", path.display())),
    }
    Ok(jar)
}

fn import(cookies_txt: &Path, jar_path: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read(cookies_txt).with_context(|| format!("reading {}", cookies_txt.display()))?;
    let mut jar = load_jar(jar_path)?;
    let added = jar.load_netscape(&text).with_context(|| format!("in {}", cookies_txt.display()))?;
    let sessions = jar.iter().filter(|c| !c.is_persistent()).count();
    std::fs::write(jar_path, jar.to_json()).with_context(|| format!("writing {}", jar_path.display()))?;
    eprintln!(
        "imported {added} cookies into {}{}",
        jar_path.display(),
        if sessions > 0 {
            format!(" ({sessions} session cookies were not kept: the jar file holds persistent cookies only)")
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn export(jar_path: &Path, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    if !jar_path.exists() {
        bail!("no jar file at {}", jar_path.display());
    }
    let jar = load_jar(jar_path)?;
    let text = jar.to_netscape();
    match output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => std::io::stdout().write_all(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
