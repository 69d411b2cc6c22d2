#![doc = include_str!("../README.md")]

pub mod baseline;
pub mod columns;
mod error;
pub mod forest;
pub mod gbm;
pub mod intraday;
pub mod linear;
mod matrix;
pub mod quantiles;
pub mod registry;
pub mod saved;
mod traits;

pub use error::{Error, Result};
pub use intraday::{IntradayState, ProjectionRule};
pub use matrix::FeatureMatrix;
pub use registry::{FittedModel, ModelSpec};
pub use saved::ModelFile;
pub use traits::{Family, Fit, FitBoxed, Predict};
