#![doc = include_str!("../README.md")]

pub mod capacity;
pub mod cost;
mod error;
pub mod walk_forward;

pub use capacity::{AlertParams, AlertRow, AlertStatus, capacity_alert};
pub use error::{Error, Result};
pub use walk_forward::{Forecast, Metrics, Scope, WalkForwardParams, walk_forward};
