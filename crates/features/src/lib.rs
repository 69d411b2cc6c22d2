#![doc = include_str!("../README.md")]

pub mod as_of;
pub mod calendar;
pub mod daily;
mod dataset;
mod error;
mod export;
pub mod gas_day;
pub mod intraday;
mod meters;
pub mod periods;
pub mod pool;
mod prices;
mod readings;
pub mod rest_of_day;
#[cfg(feature = "synth")]
pub mod synth;
mod table;
pub mod target;
pub mod validate;
mod weather;

pub use as_of::{FeatureTable, RowKey, daily_features, features};
pub use daily::DailyTotals;
pub use dataset::Dataset;
pub use error::{Conflict, Error, Location, Result};
pub use gas_day::DayConvention;
pub use intraday::{IntradaySnapshot, SnapshotParams};
pub use meters::{Commodity, DEFAULT_TIMEZONE, Meter, Meters};
pub use pool::{METER_PREFIX, pool, pooled_meters};
pub use prices::{Price, PriceSeries};
pub use readings::{MeterSeries, Readings, format_utc, infer_interval};
pub use target::{Shape, Target};
pub use validate::ValidationReport;
pub use weather::{SiteWeather, Weather};
