#![doc = include_str!("../README.md")]

pub mod ab;
pub mod capacity;
pub mod cost;
pub mod costing;
pub mod decisions;
mod error;
mod in_place;
pub mod params;
pub mod results;
pub mod run;
pub mod walk_forward;

pub use capacity::{AlertParams, AlertRow, AlertStatus, capacity_alert};
pub use error::{Error, Result};
pub use params::Valid;
pub use walk_forward::{
    Forecast, Metrics, Progress, RefitChoice, Scope, WalkForwardParams, Window, walk_forward,
    walk_forward_recorded, walk_forward_with,
};
