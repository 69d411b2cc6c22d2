#![doc = include_str!("../README.md")]

pub mod baseline;
pub mod columns;
mod error;
pub mod gbm;
pub mod intraday;
pub mod linear;
mod matrix;
mod model;
pub mod quantiles;
pub mod saved;

pub use error::{Error, Result};
pub use intraday::{IntradayState, ProjectionRule};
pub use matrix::FeatureMatrix;
pub use model::{Fit, FitBoxed, ModelSpec, Predict};
pub use saved::{FittedModel, ModelFile};
