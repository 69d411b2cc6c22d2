//! The use cases of vader, one function each, under every front end: the command line calls
//! them, and so do the Python package and the service (`vader serve`). Each takes a typed request and
//! returns a typed result; printing, files and exit codes are the front end's.
//!
//! | use case | function | returns |
//! | --- | --- | --- |
//! | the capacity alert, with the rule or a model | [`capacity()`] | [`CapacityAlert`] |
//! | train a model file, with calibration residuals | [`train()`] | [`Trained`] |
//! | day-ahead nominations with a model file | [`nominate()`] | [`Nominations`] |
//! | a backtest in euros with A/B verdicts | [`backtest()`] | [`Backtest`] |
//! | A/B test of two saved runs | [`compare()`] | [`Compared`] |
//! | the as-of feature table | [`feature_table()`] | [`vader_features::FeatureTable`] |
//! | what is wrong with a data folder | [`vader_features::ValidationReport::of`] | [`vader_features::ValidationReport`] |
//!
//! ```no_run
//! use vader::api::{BacktestRequest, backtest};
//! use vader::features::{Dataset, Target};
//!
//! let data = Dataset::open("datasets/refinery".as_ref())?;
//! let done = backtest(&data, &BacktestRequest::new(Target::GasDay), &())?;
//! for score in &done.run.scores.leaderboard {
//!     println!("{}: {:.0} EUR", score.model, score.euros);
//! }
//! done.write("reports/backtest-gas-day".as_ref())?;
//! # Ok::<(), vader::Error>(())
//! ```

pub mod backtest;
pub mod capacity;
pub mod compare;
pub mod features;
pub mod nominate;
pub mod prices;
pub mod time;
pub mod train;

pub use backtest::{Backtest, BacktestRequest, Plan, backtest, default_champion, default_models, plan};
pub use capacity::{CapacityAlert, CapacityRequest, ModelProjection, capacity};
pub use compare::{CompareRequest, Compared, compare};
pub use features::{FeaturesRequest, feature_table};
pub use nominate::{NominateRequest, Nomination, Nominations, nominate};
pub use prices::PriceSources;
pub use train::{TrainRequest, Trained, TrainedUnit, train};
