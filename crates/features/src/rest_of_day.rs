//! As-of features for the rest of the gas day, at each whole hour of it: the capacity case.
//!
//! At hour `h` of gas day D, the target is what the day will still add to what is already
//! known: the day's total minus the energy of readings known at `h`. Features are what the
//! capacity alert sees at `h` (consumed so far, recent complete hours, hours not yet covered)
//! and the day-level history known at `h`, scaled to the hours not yet covered.

use chrono::{Days, NaiveDate, Timelike};
use vader_models::columns;

use crate::as_of::{FeatureTable, RowKey, degree_days, mean_if_enough};
use crate::calendar::{CALENDAR_FEATURES, calendar_features};
use crate::daily::DailyTotals;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::intraday::{IntradaySnapshot, SnapshotParams};
use crate::meters::Meter;
use crate::target::Target;

/// Hours averaged by the recent-rate features.
pub const RATE_HOURS: [usize; 3] = [1, 3, 5];

/// Names of the rest-of-day feature columns, in matrix order.
pub fn feature_names() -> Vec<String> {
    let mut names = vec![columns::LAST_DAY.to_string(), columns::SAME_WEEKDAY_LAST_WEEK.to_string()];
    names.push(columns::mean_days(7));
    names.extend(RATE_HOURS.iter().map(|&n| columns::rate_hours(n)));
    names.extend(
        [columns::HOURS_IN_DAY, columns::HOURS_UNCOVERED, columns::CONSUMED_KNOWN, "hour_sin", "hour_cos"]
            .map(String::from),
    );
    names.extend(CALENDAR_FEATURES.map(String::from));
    names.extend(["temp_mean", "hdd", "cdd"].map(String::from));
    names
}

/// Builds one row per meter, gas day of `days` and whole hour of that day.
pub fn rest_of_day_features(
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
    let params = SnapshotParams { convention, delay_s, recent_hours: 5, ..SnapshotParams::default() };
    for meter in meters {
        let series = data.series(&meter.meter_id)?;
        let tz = meter.timezone;
        let daily = DailyTotals::of(series, convention, tz, delay_s);
        let weather = data.weather.as_ref().and_then(|w| w.site(&meter.site));
        for &day in days {
            let (start, end) = convention.bounds(day, tz);
            let (start, end) = (start.timestamp(), end.timestamp());
            let hours_in_day = convention.hours_in_day(day, tz);
            let total = daily.final_total(day);
            let known_at_end = daily.index(day).map_or(i64::MAX, |i| daily.complete_at[i]);
            let calendar = calendar_features(day);
            let mut h = start;
            while h < end {
                let back = |k: u64| day.checked_sub_days(Days::new(k));
                let known_day = |k: u64| back(k).and_then(|d| daily.known_total(d, h));
                let snap = IntradaySnapshot::take(series, tz, h, params);
                let temp = weather.map_or(f64::NAN, |w| w.mean_temperature(start, end, h));
                let uncovered = (f64::from(hours_in_day) - snap.hours_covered).max(0.0);
                let share = uncovered / f64::from(hours_in_day);
                flat.push((1..=15).find_map(known_day).map_or(f64::NAN, |v| v * share));
                flat.push(known_day(7).map_or(f64::NAN, |v| v * share));
                let week: Vec<f64> = (1..=8).filter_map(known_day).collect();
                flat.push(mean_if_enough(&week, 7) * share);
                for n in RATE_HOURS {
                    let recent = &snap.recent_hours[snap.recent_hours.len().saturating_sub(n)..];
                    flat.push(if recent.len() == n {
                        recent.iter().map(|r| r.1).sum::<f64>() / n as f64
                    } else {
                        f64::NAN
                    });
                }
                flat.push(f64::from(hours_in_day));
                flat.push(uncovered);
                flat.push(snap.consumed_kwh);
                let local_hour =
                    chrono::DateTime::from_timestamp(h, 0).unwrap_or_default().with_timezone(&tz).hour();
                let hour_angle = std::f64::consts::TAU * f64::from(local_hour) / 24.0;
                flat.push(hour_angle.sin());
                flat.push(hour_angle.cos());
                flat.extend(calendar);
                flat.push(temp);
                flat.extend(degree_days(temp));

                keys.push(RowKey { meter_id: meter.meter_id.clone(), day, start: h, end, decision_at: h });
                actual.push(total.map_or(f64::NAN, |t| t - snap.consumed_kwh));
                actual_known_at.push(known_at_end);
                h += 3600;
            }
        }
    }
    FeatureTable::assemble(target, names, keys, flat, actual, actual_known_at)
}
