//! As-of features: everything a forecast may know at its decision time, and nothing more.
//!
//! Readings enter a feature only through [`crate::DailyTotals::known_total`] (a day counts
//! once all of its readings had arrived), [`crate::IntradaySnapshot`] (readings known at the
//! instant) and, for a past settlement period, the instant its reading was known; so a reading
//! that arrives after the decision time cannot change any feature. Calendar features are known
//! in advance. Temperatures of the target day come from the weather file: the latest forecast
//! issued by the decision time when the file has `issued_at`, else the observations, read as a
//! perfect forecast.
//!
//! Each target's rows are built by one file of this crate (`day_rows.rs`, `period_rows.rs`,
//! `rest_of_day_rows.rs`) in the one shape of `builder.rs`.

use chrono::NaiveDate;

use crate::builder::build;
use crate::dataset::Dataset;
use crate::day_rows::DayRows;
use crate::error::{Error, Result};
use crate::feature_table::FeatureTable;
use crate::meters::Meter;
use crate::period_rows::PeriodRows;
use crate::rest_of_day_rows::RestOfDayRows;
use crate::target::{Shape, Target};

/// Builds as-of rows for `target` for every day in `days` and every meter in `meters`
/// (meter-major order): one row per meter and day, per settlement period, or per hour of the
/// day, as the target's [`Shape`] says. `delay_s` applies to readings without `received_at`.
pub fn features(
    data: &Dataset,
    meters: &[&Meter],
    target: Target,
    days: &[NaiveDate],
    delay_s: i64,
) -> Result<FeatureTable> {
    match target.shape() {
        Shape::Daily => build(&DayRows::new(), data, meters, target, days, delay_s),
        Shape::PerPeriod => build(&PeriodRows::new(), data, meters, target, days, delay_s),
        Shape::Hourly => build(&RestOfDayRows::new(), data, meters, target, days, delay_s),
    }
}

/// [`features`] for a day-level target, refusing the others.
pub fn daily_features(
    data: &Dataset,
    meters: &[&Meter],
    target: Target,
    days: &[NaiveDate],
    delay_s: i64,
) -> Result<FeatureTable> {
    if target.shape() != Shape::Daily {
        return Err(Error::Invalid(format!("{target} is not a daily target: use `features`")));
    }
    features(data, meters, target, days, delay_s)
}
