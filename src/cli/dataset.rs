//! `vader dataset`: generate the synthetic refinery dataset.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use vader::features::synth::{FileFormat, SynthParams, generate};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate the synthetic refinery dataset (deterministic for a seed).
    Synth(SynthArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
enum Format {
    #[default]
    Parquet,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Output folder.
    #[arg(long, default_value = "datasets/refinery")]
    out: PathBuf,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// First gas day.
    #[arg(long, default_value = "2023-01-01")]
    start: NaiveDate,
    /// Number of gas days.
    #[arg(long, default_value_t = 1096, value_parser = clap::value_parser!(u32).range(7..=36_600))]
    days: u32,
    /// Number of meters: 12 is the refinery (ten gas delivery points, two electricity
    /// supplies); more repeat the twelve kinds as a fleet (ids get a suffix `-N`), each with its
    /// own random stream.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    meters: u64,
    /// File format of readings and weather.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Synth(args) => {
            let meters = usize::try_from(args.meters)?;
            let params = SynthParams { seed: args.seed, start: args.start, days: args.days, meters };
            let data = generate(&params);
            let format = match args.format {
                Format::Parquet => FileFormat::Parquet,
                Format::Csv => FileFormat::Csv,
            };
            let files = data.write(&args.out, format)?;
            outln!(
                "{} meters, {} readings, {} weather rows (seed {}, {} gas days from {})",
                data.meters.len(),
                data.readings.len(),
                data.weather.len(),
                args.seed,
                args.days,
                args.start
            );
            for f in files {
                outln!("wrote {}", f.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
