//! As-of features for daily targets: everything a forecast for day D may know at its decision
//! time, and nothing more.
//!
//! Readings enter a feature only through [`DailyTotals::known_total`] (a day counts once all of
//! its readings had arrived) and [`IntradaySnapshot`] (readings known at the instant), so a
//! reading that arrives after the decision time cannot change any feature. Calendar features
//! are known in advance. Temperatures of the target day come from the weather file: the latest
//! forecast issued by the decision time when the file has `issued_at`, else the observations,
//! read as a perfect forecast.

use chrono::{Days, NaiveDate};
use ndarray::Array2;
use vader_models::{FeatureMatrix, IntradayState, ProjectionRule, columns};

use crate::calendar::{CALENDAR_FEATURES, calendar_features};
use crate::daily::DailyTotals;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::intraday::{IntradaySnapshot, SnapshotParams};
use crate::meters::Meter;
use crate::target::{Shape, Target};

/// Heating degree-day base, °C.
pub const HDD_BASE_C: f64 = 15.0;
/// Cooling degree-day base, °C.
pub const CDD_BASE_C: f64 = 22.0;

/// Heating and cooling degrees of a mean temperature: `[(15 − t)⁺, (t − 22)⁺]`.
pub fn degree_days(temp_c: f64) -> [f64; 2] {
    [(HDD_BASE_C - temp_c).max(0.0), (temp_c - CDD_BASE_C).max(0.0)]
}

const LAGS: [u32; 2] = [3, 14];
const WINDOWS: [u32; 3] = [7, 14, 28];

/// Names of the feature columns, in matrix order.
pub fn feature_names() -> Vec<String> {
    let mut names = vec![columns::LAST_DAY.to_string(), columns::SAME_WEEKDAY_LAST_WEEK.to_string()];
    names.extend(LAGS.iter().map(|&k| columns::lag_days(k)));
    names.extend(WINDOWS.iter().map(|&k| columns::mean_days(k)));
    names.extend([7, 28].iter().map(|&k| columns::std_days(k)));
    names.extend(["eve_projected", "eve_known_hours"].map(String::from));
    names.extend(CALENDAR_FEATURES.map(String::from));
    names.extend(["temp_mean", "hdd", "cdd", "temp_change"].map(String::from));
    names
}

/// One row's identity: which meter, which target interval, decided when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowKey {
    /// The meter.
    pub meter_id: String,
    /// The target day.
    pub day: NaiveDate,
    /// Start of the target interval (the day, or one settlement period), Unix seconds.
    pub start: i64,
    /// End of the target interval, Unix seconds.
    pub end: i64,
    /// The decision instant, Unix seconds.
    pub decision_at: i64,
}

/// Feature rows with their keys and targets.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// The target the rows are for.
    pub target: Target,
    /// One key per row.
    pub keys: Vec<RowKey>,
    /// The features, one row per key.
    pub matrix: FeatureMatrix,
    /// The actual total of each target day, NaN where the day is incomplete in the data.
    pub actual: Vec<f64>,
    /// When each actual became known (Unix seconds; `i64::MAX` if never): a row may train a
    /// model only from that instant on.
    pub actual_known_at: Vec<i64>,
}

impl FeatureTable {
    /// A table from its parts: `flat` holds the feature values row by row, one row per key.
    pub(crate) fn assemble(
        target: Target,
        names: Vec<String>,
        keys: Vec<RowKey>,
        flat: Vec<f64>,
        actual: Vec<f64>,
        actual_known_at: Vec<i64>,
    ) -> Result<Self> {
        let values = Array2::from_shape_vec((keys.len(), names.len()), flat)
            .map_err(|e| Error::Invalid(format!("feature matrix shape: {e}")))?;
        let matrix = FeatureMatrix::new(names, values).map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(Self { target, keys, matrix, actual, actual_known_at })
    }
}

/// Builds as-of rows for `target` (any target) for every day in `days` and every meter in
/// `meters`: one row per meter and day, or per meter and settlement period.
pub fn features(
    data: &Dataset,
    meters: &[&Meter],
    target: Target,
    days: &[NaiveDate],
    delay_s: i64,
) -> Result<FeatureTable> {
    match target.shape() {
        Shape::Daily => daily_features(data, meters, target, days, delay_s),
        Shape::PerPeriod => crate::periods::period_features(data, meters, target, days, delay_s),
        Shape::Hourly => crate::rest_of_day::rest_of_day_features(data, meters, target, days, delay_s),
    }
}

/// Builds as-of rows for a daily `target` for every day in `days` and every meter in `meters`
/// (meter-major order). `delay_s` applies to readings without `received_at`.
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
    let names = feature_names();
    let mut keys = Vec::with_capacity(meters.len() * days.len());
    let mut actual = Vec::with_capacity(keys.capacity());
    let mut actual_known_at = Vec::with_capacity(keys.capacity());
    let mut flat: Vec<f64> = Vec::with_capacity(keys.capacity() * names.len());
    for meter in meters {
        let series = data.series(&meter.meter_id)?;
        let tz = meter.timezone;
        let daily = DailyTotals::of(series, target.convention(), tz, delay_s);
        let weather = data.weather.as_ref().and_then(|w| w.site(&meter.site));
        for &day in days {
            let at = target.decision_time(day, tz);
            let row_start = flat.len();
            let back = |k: u32| day.checked_sub_days(Days::new(u64::from(k)));
            let known = |d: Option<NaiveDate>| d.and_then(|d| daily.known_total(d, at)).unwrap_or(f64::NAN);

            // Most recent complete day known at decision time (up to two weeks back).
            let last =
                (2..=15).find_map(|k| back(k).and_then(|d| daily.known_total(d, at))).unwrap_or(f64::NAN);
            flat.push(last);
            flat.push(known(back(7)));
            flat.extend(LAGS.iter().map(|&k| known(back(k))));
            let window = |k: u32| -> Vec<f64> {
                (2..k + 2).filter_map(|j| back(j).and_then(|d| daily.known_total(d, at))).collect()
            };
            for k in WINDOWS {
                flat.push(mean_if_enough(&window(k), k));
            }
            for k in [7, 28] {
                flat.push(std_if_enough(&window(k), k));
            }

            // The eve (D-1) is under way at decision time: project it with the production rule.
            let snap = IntradaySnapshot::take(
                series,
                tz,
                at,
                SnapshotParams { convention: target.convention(), delay_s, ..SnapshotParams::default() },
            );
            let recent: Vec<f64> = snap.recent_hours.iter().map(|h| h.1).collect();
            let state = IntradayState {
                hours_in_day: f64::from(snap.hours_in_day),
                consumed_kwh: snap.consumed_kwh,
                hours_covered: snap.hours_covered,
                recent_hours_kwh: &recent,
            };
            flat.push(ProjectionRule::SoFarPlusRate { hours: 5 }.project(&state).unwrap_or(f64::NAN));
            flat.push(snap.hours_covered);

            // Calendar of the target day.
            flat.extend(calendar_features(day));

            // Weather of the target day (and the change from the eve).
            let temp = |d: NaiveDate| {
                weather.map_or(f64::NAN, |w| {
                    let (s, e) = target.convention().bounds(d, tz);
                    w.mean_temperature(s.timestamp(), e.timestamp(), at)
                })
            };
            let t = temp(day);
            flat.push(t);
            flat.extend(degree_days(t));
            flat.push(t - back(1).map_or(f64::NAN, temp));
            debug_assert_eq!(flat.len() - row_start, names.len());

            let (start, end) = target.convention().bounds(day, tz);
            keys.push(RowKey {
                meter_id: meter.meter_id.clone(),
                day,
                start: start.timestamp(),
                end: end.timestamp(),
                decision_at: at,
            });
            actual.push(daily.final_total(day).unwrap_or(f64::NAN));
            actual_known_at.push(daily.index(day).map_or(i64::MAX, |i| daily.complete_at[i]));
        }
    }
    FeatureTable::assemble(target, names, keys, flat, actual, actual_known_at)
}

/// Mean of `v` if it holds at least half of the `window` days, else NaN.
pub(crate) fn mean_if_enough(v: &[f64], window: u32) -> f64 {
    if (v.len() as f64) < f64::from(window) / 2.0 {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Standard deviation of `v` if it holds at least half of the `window` days, else NaN.
pub(crate) fn std_if_enough(v: &[f64], window: u32) -> f64 {
    let m = mean_if_enough(v, window);
    if m.is_nan() || v.len() < 2 {
        return f64::NAN;
    }
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Every day from `first` to `last`, inclusive.
pub fn days_between(first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    first.iter_days().take_while(|d| *d <= last).collect()
}
