//! `crumb policy …`: check a declaration, print the policy it generates.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use crumb_core::i18n::Language;

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Validate a crumb.toml: prints every error with file, line and rule.
    Check {
        /// The declaration to check.
        config: PathBuf,
        /// Accept plain-http origins that are not loopback (a test setup): warn, but exit 0.
        #[arg(long)]
        allow_insecure_origins: bool,
    },
    /// Print the cookie policy a declaration generates (the built-in demo without --config).
    Show {
        /// The declaration.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Language code: one of the 24 official EU languages (bg, cs, da, de, el, en, es, et, fi, fr, ga, hr, hu, it, lt, lv, mt, nl, pl, pt, ro, sk, sl, sv).
        #[arg(long, default_value = "en")]
        lang: String,
        /// Print JSON instead of HTML.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Check { config, allow_insecure_origins } => match crumb_core::config::load(&config) {
            Ok(parsed) => {
                let warnings = parsed.insecure_origin_warnings();
                for warning in &warnings {
                    eprintln!(
                        "{}: {}: {warning}",
                        if allow_insecure_origins { "warning" } else { "error" },
                        config.display()
                    );
                }
                if let Some(notice) = parsed.development_notice() {
                    eprintln!("note: {}: {notice}", config.display());
                }
                if !warnings.is_empty() && !allow_insecure_origins {
                    eprintln!("(--allow-insecure-origins accepts them, for a test setup)");
                    return Ok(ExitCode::from(1));
                }
                println!(
                    "{}: valid — {} cookies declared ({} set by crumb), policy version {}",
                    config.display(),
                    parsed.cookies.len(),
                    parsed.cookies.iter().filter(|c| c.set_by_crumb).count(),
                    parsed.policy_version
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(errors) => {
                eprintln!("{errors}");
                Ok(ExitCode::from(1))
            }
        },
        PolicyCommand::Show { config, lang, json } => {
            let parsed = crate::serve::load_config(config.as_deref())?;
            let language = Language::parse(&lang)
                .filter(|l| parsed.languages.contains(l))
                .ok_or_else(|| anyhow::anyhow!("--lang {lang:?}: not one of the declaration's languages"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&crumb_core::policy::build(&parsed, language))?);
            } else {
                println!("{}", crumb_server::policy::render(&parsed, language));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
