//! Command-line arguments and the commands they run.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Writes a line to standard output, returning the error (a closed pipe, say) instead of
/// panicking as `println!` does.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod args;
mod backtest;
mod capacity;
mod dataset;
mod models;
mod progress;
#[cfg(feature = "serve")]
mod serve;
#[cfg(feature = "serve")]
mod user;
mod validate;

/// Forecast industrial gas and electricity consumption and turn forecasts into decisions.
#[derive(Debug, Parser)]
#[command(name = "vader", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a data folder and print what is wrong with it, meter by meter.
    Validate(validate::Args),
    /// Intraday capacity alert: projected gas-day consumption of each gas meter vs its capacity.
    Capacity(capacity::Args),
    /// Train a model for a forecast target (one per meter) and save it.
    Train(Box<models::TrainArgs>),
    /// Nominate day D with a saved model, as of D's decision time.
    Nominate(models::NominateArgs),
    /// Replay decisions over a test period (walk-forward), price them in euros, rank the models
    /// and A/B-test each against the champion; writes a report.
    Backtest(Box<backtest::BacktestArgs>),
    /// A/B-test two models from saved backtest results (forecasts.parquet).
    Compare(backtest::CompareArgs),
    /// Write the as-of feature table of a target (CSV or Parquet), for notebooks and other tools.
    Features(models::FeaturesArgs),
    /// Generate datasets.
    #[command(subcommand)]
    Dataset(dataset::Command),
    /// Run the buyer's day: ingest meter files (SFTP, inbox), mail the capacity alert, nominate
    /// at the deadlines, retrain and promote models on A/B verdicts.
    #[cfg(feature = "serve")]
    Serve(serve::Args),
    /// Manage the users of the service's pages (argon2 password hashes; no default account).
    #[cfg(feature = "serve")]
    #[command(subcommand)]
    User(user::Command),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Capacity(args) => capacity::run(args),
        Command::Train(args) => models::train_command(*args),
        Command::Nominate(args) => models::nominate_command(args),
        Command::Backtest(args) => backtest::backtest_command(*args),
        Command::Compare(args) => backtest::compare_command(args),
        Command::Features(args) => models::features_command(args),
        Command::Dataset(cmd) => dataset::run(cmd),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(args),
        #[cfg(feature = "serve")]
        Command::User(cmd) => user::run(cmd),
    }
}
