//! # vader
//!
//! Forecast the gas and electricity consumption of large industrial sites and turn forecasts
//! into euro-saving decisions. This crate is the `vader` command-line program and the library
//! that every front end calls:
//!
//! - [`api`]: the use cases (the capacity alert, train, nominate, backtest, compare, the
//!   feature table), each a function from a typed request to a typed result;
//! - [`report`], [`picture`], [`format`](mod@format): the backtest report, the alert's picture, and how
//!   numbers are written for people;
//! - `serve` (cargo feature `serve`, on by default): `vader serve`, the running pipeline
//!   (ingestion into a Parquet store, the alert by mail, nominations, the model registry);
//! - the member crates, re-exported: [`features`] (`vader-features`: reading and validating
//!   meter data, gas days, as-of features), [`models`] (`vader-models`: predictors, light
//!   enough to embed), [`backtest`] (`vader-backtest`: decisions replayed at their decision
//!   times, in euros).

pub mod api;
mod error;
mod fonts;
pub mod format;
pub mod picture;
pub mod report;
#[cfg(feature = "serve")]
pub mod serve;

pub use error::{Error, Result};
pub use vader_backtest as backtest;
pub use vader_features as features;
pub use vader_models as models;
