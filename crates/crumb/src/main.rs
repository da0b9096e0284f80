//! The `crumb` binary: `crumb serve`, the main job, and the tools around it
//! (`crumb scan`, the cookie scanner, among them).

mod admin_cmd;
mod analytics_cmd;
mod interests_cmd;
mod jar_cmd;
mod policy_cmd;
mod scan_cmd;
mod serve;
mod tls;

use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: ingestion allocates an event's
/// fields on the request's thread and frees them on the group commit's, a
/// pattern glibc's malloc serves with arena locks. Measured at 64 events in
/// flight on two cores (`docs/benchmarks.md`, ingest).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// crumb — a self-hosted cookie platform.
#[derive(Parser)]
#[command(name = "crumb", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the consent API, the site script, the policy page (and the demo site).
    Serve(serve::ServeArgs),
    /// Check a crumb.toml, or print the cookie policy it generates.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// Administration: create the first administrator.
    #[command(subcommand)]
    Admin(admin_cmd::AdminCommand),
    /// Statistics tools: synthetic traffic, rollups.
    #[command(subcommand)]
    Analytics(analytics_cmd::AnalyticsCommand),
    /// Cookie-jar tools: replay scenarios, explain a Set-Cookie, import and export cookies.txt.
    #[command(subcommand)]
    Jar(jar_cmd::JarCommand),
    /// Interests: the topics of the Topics taxonomy v2 crumb would assign a page, and why.
    #[command(subcommand)]
    Interests(interests_cmd::InterestsCommand),
    /// Crawl a site before and after each consent choice and judge its cookies against the declaration (exit 1 on any violation).
    Scan(scan_cmd::ScanArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args).map(|()| std::process::ExitCode::SUCCESS),
        Command::Policy(command) => policy_cmd::run(command),
        Command::Admin(command) => admin_cmd::run(command),
        Command::Jar(command) => jar_cmd::run(command),
        Command::Analytics(command) => analytics_cmd::run(command),
        Command::Scan(args) => scan_cmd::run(args),
        Command::Interests(command) => interests_cmd::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("crumb: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}
