//! `vader serve`: the pipeline, one cycle (`--once`) or forever.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use vader::api::time::parse_instant;
use vader::serve::web::{self, Web};
use vader::serve::{Config, Service};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration file (TOML; see the README's "Running the buyer's day").
    #[arg(long)]
    config: PathBuf,
    /// The environment: the `[env.NAME]` section of the configuration.
    #[arg(long, default_value = "dev")]
    env: String,
    /// Run one cycle and exit (for cron, systemd timers and tests); exit code 1 when a job
    /// of the cycle failed.
    #[arg(long)]
    once: bool,
    /// Run the cycle as if it were this instant (RFC 3339, or a Paris local time such as
    /// 2025-03-02T11:00): replays and tests. Only with --once.
    #[arg(long, requires = "once")]
    now: Option<String>,
    /// Do not print the log lines (they are still appended to HOME/log/serve.jsonl).
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config, &args.env)?;
    let tz = vader::features::DEFAULT_TIMEZONE;
    let fixed: Option<DateTime<Utc>> = args.now.as_deref().map(|t| parse_instant(t, tz)).transpose()?;
    let service = std::sync::Arc::new(Service::open(config, !args.quiet)?);
    if args.once {
        let cycle = service.cycle(fixed.unwrap_or_else(Utc::now))?;
        return Ok(if cycle.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    if let Some(settings) = service.config.web.clone() {
        // The pages run beside the cycles, on their own threads.
        let listener = std::net::TcpListener::bind(&settings.listen)
            .with_context(|| format!("listening on {} (web.listen)", settings.listen))?;
        let web = Web::new(std::sync::Arc::clone(&service), settings);
        std::thread::spawn(move || {
            if let Err(e) = web::serve(&web, listener) {
                eprintln!("error: the web server stopped: {}", vader::serve::log::chain(&e));
            }
        });
    }
    let tick = std::time::Duration::from_secs(service.config.schedule.tick_s.max(1));
    loop {
        let started = std::time::Instant::now();
        // A cycle that fails as a whole (the state file unreadable) is logged; the next
        // tick tries again.
        if let Err(e) = service.cycle(Utc::now()) {
            service.log.error(Utc::now(), "cycle", &e);
        }
        std::thread::sleep(tick.saturating_sub(started.elapsed()));
    }
}
