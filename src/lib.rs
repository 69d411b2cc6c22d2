//! # vader
//!
//! Forecast the gas and electricity consumption of large industrial sites and turn forecasts
//! into euro-saving decisions. This crate is the `vader` command-line program and a thin
//! front door to the member crates:
//!
//! - [`features`] (`vader-features`): reading and validating meter data, gas days, as-of views;
//! - [`models`] (`vader-models`): predictors and projection rules, light enough to embed;
//! - [`backtest`] (`vader-backtest`): decisions replayed at their decision times, in euros.

pub use vader_backtest as backtest;
pub use vader_features as features;
pub use vader_models as models;
