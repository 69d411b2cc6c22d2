//! `vader user`: the people who may use the service's pages (`HOME/users.json`).

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Utc;
use vader::serve::Config;
use vader::serve::users::{Role, Users};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add a user; the password is asked twice on the terminal, or read as one line from
    /// standard input when it is not a terminal.
    Add {
        /// The login name (a-z, 0-9, '.', '_', '-').
        name: String,
        /// buyer (reads), analyst (also runs backtests and promotes models), admin (also
        /// manages users).
        #[arg(long)]
        role: String,
        #[command(flatten)]
        env: EnvArgs,
    },
    /// List the users and their roles.
    List {
        #[command(flatten)]
        env: EnvArgs,
    },
    /// Remove a user.
    Remove {
        /// The login name.
        name: String,
        #[command(flatten)]
        env: EnvArgs,
    },
}

/// Which environment's users.
#[derive(Debug, clap::Args)]
pub struct EnvArgs {
    /// The configuration file of `vader serve`.
    #[arg(long)]
    config: PathBuf,
    /// The environment: the `[env.NAME]` section of the configuration.
    #[arg(long, default_value = "dev")]
    env: String,
}

impl EnvArgs {
    fn users(&self) -> anyhow::Result<Users> {
        let config = Config::load(&self.config, &self.env)?;
        std::fs::create_dir_all(&config.home)
            .with_context(|| format!("creating {}", config.home.display()))?;
        Ok(Users::load(&Users::path_in(&config.home))?)
    }
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Add { name, role, env } => {
            let role: Role = role.parse()?;
            let mut users = env.users()?;
            let password = read_password()?;
            users.add(&name, role, &password, Utc::now())?;
            eprintln!("added {name} ({})", role.as_str());
        }
        Command::List { env } => {
            for user in env.users()?.list() {
                outln!("{}\t{}\t{}", user.name, user.role.as_str(), user.created_at.to_rfc3339());
            }
        }
        Command::Remove { name, env } => {
            if !env.users()?.remove(&name)? {
                bail!("no user {name}");
            }
            eprintln!("removed {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The new password: typed twice without echo on a terminal, else one line of standard input.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("password: ")?;
        let second = rpassword::prompt_password("again: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
