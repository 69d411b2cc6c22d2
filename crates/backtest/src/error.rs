//! The one error type of `vader-backtest`.

use std::path::PathBuf;

use chrono::NaiveDate;

/// Everything that can go wrong while replaying decisions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or shaping the data failed.
    #[error(transparent)]
    Features(#[from] vader_features::Error),
    /// Fitting or applying a model failed.
    #[error(transparent)]
    Model(#[from] vader_models::Error),
    /// A file could not be read or written.
    #[error("{path}: {action} failed")]
    Io {
        /// The file.
        path: PathBuf,
        /// "reading" or "writing".
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A Parquet file of forecasts could not be read or written.
    #[error("{path}: {action} forecasts failed")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// "reading" or "writing".
        action: &'static str,
        /// What polars said.
        #[source]
        source: polars::error::PolarsError,
    },
    /// A file is readable but not what it should be (a forecasts file without a column, a
    /// reference file of another shape).
    #[error("{path}: {problem}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A cost file that does not parse or holds a price out of range.
    #[error("{path}: {problem}")]
    CostFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the key.
        problem: String,
    },
    /// A price series does not cover an interval that must be priced.
    #[error("{path}: no {what} price for {day} (interval starting {start}); the series covers {coverage}")]
    PriceNotCovered {
        /// The series file.
        path: PathBuf,
        /// "gas" or "electricity".
        what: &'static str,
        /// The target day.
        day: NaiveDate,
        /// The interval start, RFC 3339.
        start: String,
        /// What the series covers.
        coverage: String,
    },
    /// A forecast names a meter that is not among the meters given.
    #[error("forecast for unknown meter {0}")]
    UnknownMeter(String),
    /// A parameter out of its range.
    #[error("parameter `{name}` {problem}")]
    InvalidParam {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A refit found no training row whose actual was known by its decision time.
    #[error(
        "meter {meter_id}, model {model}: nothing to train on at the refit for {refit_day} (no earlier target \
         day whose actual was known by {refit_at}); the replay starts with the calibration days before the test \
         period: start the test period later or calibrate on fewer days before it"
    )]
    NoTrainingRows {
        /// The meter (or `*` for a global model).
        meter_id: String,
        /// The model.
        model: String,
        /// First target day of the refit.
        refit_day: NaiveDate,
        /// The refit's decision time, RFC 3339.
        refit_at: String,
    },
    /// A model could not be fitted or applied on a meter.
    #[error("meter {meter_id}, model {model}")]
    Replay {
        /// The meter (or `*` for a global model).
        meter_id: String,
        /// The model.
        model: String,
        /// What went wrong.
        #[source]
        source: vader_models::Error,
    },
    /// No forecast of the test period has a known actual, so nothing can be scored.
    #[error(
        "no forecast between {from} and {to} has a known actual: the data has no complete target day there; \
         choose a test period inside the data ({span})"
    )]
    NothingToScore {
        /// First target day of the test period.
        from: NaiveDate,
        /// Last target day of the test period.
        to: NaiveDate,
        /// The target days the data holds.
        span: String,
    },
    /// The champion named is not among the models run.
    #[error("champion {champion} is not among the models ({models})")]
    UnknownChampion {
        /// The champion.
        champion: String,
        /// The models run.
        models: String,
    },
    /// Too few paired days for an A/B test.
    #[error("{challenger} against {champion}: {days} paired day(s); at least 3 are needed")]
    TooFewDays {
        /// The champion.
        champion: String,
        /// The challenger.
        challenger: String,
        /// Paired days found.
        days: usize,
    },
    /// A regression reference measured on another setup.
    #[error("the reference was measured on {reference}, this run is {run}: run the same setup")]
    OtherSetup {
        /// Its setup.
        reference: String,
        /// This run's setup.
        run: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
