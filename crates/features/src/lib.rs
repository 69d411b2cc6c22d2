#![doc = include_str!("../README.md")]

pub mod as_of;
mod builder;
pub mod calendar;
pub mod closures;
pub mod covariates;
pub mod daily;
mod dataset;
mod day_rows;
pub mod degree_days;
mod error;
mod export;
mod feature_table;
pub mod gas_day;
pub mod holidays;
mod input;
pub mod intraday;
mod meters;
mod period_rows;
pub mod pool;
mod prices;
mod readings;
mod rest_of_day_rows;
pub mod rolling;
#[cfg(feature = "synth")]
pub mod synth;
mod table;
pub mod target;
pub mod validate;
mod weather;

pub use as_of::{daily_features, features};
pub use daily::DailyTotals;
pub use dataset::{Calendars, Dataset, Tables};
pub use error::{Conflict, Error, Location, Result, RowCount};
pub use feature_table::{FeatureTable, RowKey};
pub use gas_day::DayConvention;
pub use input::Input;
pub use intraday::{IntradaySnapshot, SnapshotParams};
pub use meters::{Commodity, DEFAULT_TIMEZONE, Meter, Meters};
pub use pool::{METER_PREFIX, pool, pooled_meters};
pub use prices::{Price, PriceSeries};
pub use readings::{MeterSeries, Readings, format_utc, infer_interval};
pub use rest_of_day_rows::RATE_HOURS;
pub use rolling::days_between;
pub use target::{Shape, Target};
pub use validate::ValidationReport;
pub use weather::{SiteWeather, Temperatures, Weather};
