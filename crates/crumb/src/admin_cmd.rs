//! `crumb admin create`: makes (or promotes) an administrator.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use crumb_core::accounts::credentials::{fold_email, hash_password};
use crumb_core::accounts::credentials::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crumb_core::accounts::hashing::{HashLimiter, DEFAULT_HASH_WAIT};
use crumb_store::{Account, StoreError};

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an administrator account, or make an existing account one.
    /// The password is read from the first line of standard input.
    Create {
        /// The administrator's e-mail.
        #[arg(long)]
        email: String,
        /// The declaration whose store to use (the built-in demo's without it).
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}

pub fn run(command: AdminCommand) -> anyhow::Result<ExitCode> {
    let AdminCommand::Create { email, config } = command;
    let config = crate::serve::load_config(config.as_deref())?;
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password).context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let length = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length) {
        bail!("the password must have {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters (it has {length})");
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let (store, _) = crate::serve::open_store(&config).await?;
        let folded = fold_email(&email);
        if !folded.contains('@') {
            bail!("--email {email:?} is not an e-mail address");
        }
        if let Some(existing) = store.account_by_email(&folded).await? {
            store.set_admin(&existing.user_id, true).await?;
            println!("{email} is now an administrator (password unchanged)");
            return Ok(ExitCode::SUCCESS);
        }
        // One command, one hash: a limiter of one permit.
        let limiter = HashLimiter::new(1, DEFAULT_HASH_WAIT);
        let password_hash = hash_password(&limiter, password).await?;
        let account = Account {
            user_id: crumb_core::keys::random_id(),
            email: email.trim().to_owned(),
            email_folded: folded,
            password_hash,
            is_admin: true,
            created_at: crumb_cookie::Timestamp::now().unix_micros() / 1000,
            theft_detected_at: None,
        };
        match store.create_account(&account).await {
            Ok(()) => println!("administrator {email} created"),
            Err(StoreError::Duplicate) => {
                bail!("{email} was registered meanwhile; run the command again to promote it")
            }
            Err(e) => return Err(e.into()),
        }
        Ok(ExitCode::SUCCESS)
    })
}
