//! As-of features for per-period targets (the electricity day-ahead schedule): one row per
//! settlement period of day D, decided on D-1.
//!
//! A period is matched with the same local time slot of earlier days (the 02:00 slot of a
//! 25-hour day matches 02:00 of other days twice; a 23-hour day has no 02:00 slot). A past
//! slot's value is used only if its reading was known at the decision time, so the rules of
//! [`crate::as_of`] hold here too.

use std::collections::HashMap;

use chrono::{Days, NaiveDate, Timelike};
use vader_models::columns;

use crate::as_of::{FeatureTable, RowKey, degree_days, mean_if_enough, std_if_enough};
use crate::calendar::{CALENDAR_FEATURES, calendar_features};
use crate::daily::DailyTotals;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::meters::Meter;
use crate::target::Target;

/// Names of the per-period feature columns, in matrix order.
pub fn feature_names() -> Vec<String> {
    let mut names = vec![columns::LAST_DAY.to_string(), columns::SAME_WEEKDAY_LAST_WEEK.to_string()];
    names.extend([7, 28].iter().map(|&k| columns::mean_days(k)));
    names.push(columns::std_days(7));
    names.extend(["day_total_last", "day_total_mean_7d", "slot_sin", "slot_cos"].map(String::from));
    names.extend(CALENDAR_FEATURES.map(String::from));
    names.extend(["temp", "hdd", "cdd"].map(String::from));
    names
}

/// Builds one row per meter, day of `days` and settlement period of that day.
pub fn period_features(
    data: &Dataset,
    meters: &[&Meter],
    target: Target,
    days: &[NaiveDate],
    delay_s: i64,
) -> Result<FeatureTable> {
    let names = feature_names();
    let convention = target.convention();
    let (mut keys, mut actual, mut actual_known_at, mut flat) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for meter in meters {
        let series = data.series(&meter.meter_id)?;
        let tz = meter.timezone;
        let step = series.interval_s.max(1);
        let slot_minutes = (step / 60).max(1);
        let slots_per_day = (1440 / slot_minutes).max(1);
        // (local day, slot) -> (energy, known at), for usable readings.
        let to_local = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or_default().with_timezone(&tz);
        let slot_of = |t: i64| {
            let local = to_local(t);
            let minutes = i64::from(local.hour() * 60 + local.minute());
            (local.date_naive(), minutes / slot_minutes)
        };
        let mut slots: HashMap<(NaiveDate, i64), (f64, i64)> = HashMap::with_capacity(series.len());
        for i in 0..series.len() {
            if series.is_usable(i) {
                slots
                    .entry(slot_of(series.start[i]))
                    .or_insert((series.energy_kwh[i], series.known_at(i, delay_s)));
            }
        }
        let daily = DailyTotals::of(series, convention, tz, delay_s);
        let weather = data.weather.as_ref().and_then(|w| w.site(&meter.site));

        for &day in days {
            let at = target.decision_time(day, tz);
            let back = |k: u64| day.checked_sub_days(Days::new(k));
            let known_day = |k: u64| back(k).and_then(|d| daily.known_total(d, at));
            let day_last = (1..=15).find_map(known_day).unwrap_or(f64::NAN);
            let day_mean: Vec<f64> = (1..=8).filter_map(known_day).collect();
            let day_mean = mean_if_enough(&day_mean, 7);
            let (day_start, day_end) = convention.bounds(day, tz);
            let calendar = calendar_features(day);
            let mut t = day_start.timestamp();
            while t < day_end.timestamp() {
                let (_, slot) = slot_of(t);
                let known_slot = |k: u64| {
                    back(k)
                        .and_then(|d| slots.get(&(d, slot)))
                        .filter(|(_, known)| *known <= at)
                        .map(|(v, _)| *v)
                };
                flat.push((1..=15).find_map(known_slot).unwrap_or(f64::NAN));
                flat.push(known_slot(7).unwrap_or(f64::NAN));
                for k in [7_u64, 28] {
                    let v: Vec<f64> = (1..=k + 1).filter_map(known_slot).collect();
                    flat.push(mean_if_enough(&v, u32::try_from(k).unwrap_or(u32::MAX)));
                }
                let v: Vec<f64> = (1..=8).filter_map(known_slot).collect();
                flat.push(std_if_enough(&v, 7));
                flat.push(day_last);
                flat.push(day_mean);
                let slot_angle = std::f64::consts::TAU * slot as f64 / slots_per_day as f64;
                flat.push(slot_angle.sin());
                flat.push(slot_angle.cos());
                flat.extend(calendar);
                let temp = weather.map_or(f64::NAN, |w| w.mean_temperature(t - 1800, t + step + 1800, at));
                flat.push(temp);
                flat.extend(degree_days(temp));

                let here = series.range(t, t + 1);
                let (value, known) = match here.start {
                    i if here.len() == 1 && series.is_usable(i) => {
                        (series.energy_kwh[i], series.known_at(i, delay_s))
                    }
                    _ => (f64::NAN, i64::MAX),
                };
                keys.push(RowKey {
                    meter_id: meter.meter_id.clone(),
                    day,
                    start: t,
                    end: t + step,
                    decision_at: at,
                });
                actual.push(value);
                actual_known_at.push(known);
                t += step;
            }
        }
    }
    FeatureTable::assemble(target, names, keys, flat, actual, actual_known_at)
}
