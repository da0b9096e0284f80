//! The `crumb` binary: `crumb serve` (to come) and the cookie tools.

mod jar_cmd;

use clap::{Parser, Subcommand};

/// crumb — a self-hosted cookie platform.
#[derive(Parser)]
#[command(name = "crumb", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Cookie-jar tools: replay scenarios, explain a Set-Cookie, import and export cookies.txt.
    #[command(subcommand)]
    Jar(jar_cmd::JarCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Jar(command) => jar_cmd::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("crumb: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}
