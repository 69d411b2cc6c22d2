#![doc = include_str!("../README.md")]

mod dataset;
mod error;
pub mod gas_day;
pub mod intraday;
mod meters;
mod readings;
#[cfg(feature = "synth")]
pub mod synth;
mod table;
pub mod validate;
mod weather;

pub use dataset::Dataset;
pub use error::{Conflict, Error, Location, Result};
pub use gas_day::DayConvention;
pub use intraday::{IntradaySnapshot, SnapshotParams};
pub use meters::{Commodity, DEFAULT_TIMEZONE, Meter, Meters};
pub use readings::{MeterSeries, Readings, format_utc, infer_interval};
pub use validate::ValidationReport;
pub use weather::{SiteWeather, Weather};
