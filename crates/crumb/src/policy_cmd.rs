//! `crumb policy …`: check a declaration, print the policy it generates,
//! list what the gateway saw beyond it (`crumb policy audit`).

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
    /// List the cookies the gateway saw beyond the declaration (undeclared, or set for longer or with weaker
    /// attributes than declared), from the store; exits 1 when there are any.
    Audit {
        /// The declaration (its storage section names the store).
        #[arg(long, short, env = "CRUMB_CONFIG")]
        config: Option<PathBuf>,
        /// Print JSON (an array of sightings) instead of lines.
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
        PolicyCommand::Audit { config, json } => audit(config, json),
    }
}

/// `crumb policy audit`.
fn audit(config: Option<PathBuf>, json: bool) -> anyhow::Result<ExitCode> {
    let parsed = crate::serve::load_config(config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let sightings = runtime.block_on(async {
        let (store, _) = crate::serve::open_store(&parsed).await?;
        anyhow::Ok(store.gateway_sightings(&parsed.site_name).await?)
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&sightings)?);
    } else if sightings.is_empty() {
        println!("{}: the gateway has seen no cookie beyond the declaration", parsed.site_name);
    } else {
        for s in &sightings {
            let finding = match s.kind {
                crumb_store::SightingKind::Undeclared => "undeclared".to_owned(),
                crumb_store::SightingKind::BeyondDeclaration => format!("beyond its declaration: {}", s.detail),
            };
            let domain = if s.domain.is_empty() { "(host only)" } else { s.domain.as_str() };
            let path = if s.path.is_empty() { "(no path)" } else { s.path.as_str() };
            println!(
                "{}\t{finding}\tdomain {domain}\tpath {path}\tseen {} times, last at {}",
                s.name, s.count, s.sample_path
            );
        }
    }
    Ok(if sightings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
