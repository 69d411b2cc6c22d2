//! Arguments shared by several commands, and how they become the library's requests.

use std::path::PathBuf;

use clap::ValueEnum;
use vader::api::PriceSources;
use vader::backtest::Scope;
use vader::backtest::ab::AbParams;
use vader::backtest::decisions::DecisionRule;
use vader::features::Target;
use vader::models::ModelSpec;

use vader::api::time::parse_duration_s;

/// How tables are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Aligned text for the terminal.
    #[default]
    Table,
    /// Comma-separated values with a header, full precision.
    Csv,
    /// JSON, full precision.
    Json,
}

/// The data folder argument shared by commands.
#[derive(Debug, clap::Args)]
pub struct DataArg {
    /// Data folder with readings.{parquet,csv}, meters.csv and optionally weather, closures,
    /// covariates ({parquet,csv}) and holidays.csv.
    #[arg(long, default_value = "datasets/refinery")]
    pub data: PathBuf,
}

/// Options shared by the model commands.
#[derive(Debug, clap::Args)]
pub struct Common {
    #[command(flatten)]
    pub data: DataArg,
    /// Forecast target: gas-day (gas meters, decided D-1 14:00), electricity-day (electricity
    /// meters, one row per period, decided D-1 11:00), daily (all meters, calendar day) or
    /// rest-of-gas-day (gas meters, what remains of the gas day at each whole hour).
    #[arg(long, default_value = "gas-day", value_parser = |s: &str| s.parse::<Target>())]
    pub target: Target,
    /// Only these meters (comma-separated ids). Default: every meter the target applies to.
    #[arg(long, value_delimiter = ',')]
    pub meters: Vec<String>,
    /// Delay before a reading is known after its interval ends (readings without received_at).
    #[arg(long, default_value = "2h", value_parser = parse_duration_s)]
    pub data_delay: i64,
}

/// Which rows a model is fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ScopeArg {
    /// One model per meter (default: meters differ by an order of magnitude in level and
    /// heating sensitivity, and each has years of its own days).
    #[default]
    PerMeter,
    /// One model over all meters, with the meter as a feature.
    Global,
}

impl From<ScopeArg> for Scope {
    fn from(s: ScopeArg) -> Self {
        match s {
            ScopeArg::PerMeter => Scope::PerMeter,
            ScopeArg::Global => Scope::Global,
        }
    }
}

/// How forecasts become decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DecisionArg {
    /// Nominate the point forecast (buy capacity up to it).
    #[default]
    Point,
    /// Nominate the cost-minimising quantile of the calibrated forecast distribution.
    CostOptimal,
}

impl From<DecisionArg> for DecisionRule {
    fn from(d: DecisionArg) -> Self {
        match d {
            DecisionArg::Point => DecisionRule::Point,
            DecisionArg::CostOptimal => DecisionRule::CostOptimal,
        }
    }
}

/// Where prices come from.
#[derive(Debug, clap::Args)]
pub struct PriceArgs {
    /// Cost file (TOML): any of the SPEC's prices; the others keep their defaults.
    #[arg(long)]
    pub cost: Option<PathBuf>,
    /// Gas price series (CSV/Parquet: `day` or `timestamp`, `price_eur_per_mwh`, optional
    /// `small_adjustment`). Default: the cost file's constant price.
    #[arg(long)]
    pub gas_prices: Option<PathBuf>,
    /// Electricity day-ahead price series (CSV/Parquet: `timestamp` or `day`,
    /// `price_eur_per_mwh`, optional `vwap_eur_per_mwh`). Default: the cost file's price.
    #[arg(long)]
    pub electricity_prices: Option<PathBuf>,
}

impl PriceArgs {
    /// The price inputs named.
    pub fn sources(&self) -> PriceSources {
        PriceSources {
            cost: self.cost.clone(),
            gas: self.gas_prices.clone(),
            electricity: self.electricity_prices.clone(),
        }
    }
}

/// How the A/B comparisons are run (ranges checked by the library's `AbParams::check`).
#[derive(Debug, clap::Args)]
pub struct AbArgs {
    /// Significance level of the A/B test, between 0 and 0.5 (the interval has level 1 − this).
    #[arg(long, default_value_t = 0.05)]
    level: f64,
    /// Bootstrap resamples of the savings interval (100 to 1,000,000).
    #[arg(long, default_value_t = 2000)]
    resamples: usize,
    /// Bootstrap block length in days (1 to 365). Default: the cube root of the number of days,
    /// rounded up.
    #[arg(long)]
    block: Option<usize>,
}

impl AbArgs {
    /// The A/B parameters given.
    pub fn params(&self) -> AbParams {
        AbParams {
            level: self.level,
            resamples: self.resamples,
            block_len: self.block,
            ..AbParams::default()
        }
    }
}

/// Parses a model name for clap, with the list of known names in the error.
pub fn model_spec(text: &str) -> Result<ModelSpec, String> {
    ModelSpec::named(text).map_err(|e| e.to_string())
}
