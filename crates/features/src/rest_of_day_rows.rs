//! Rows of the rest of the gas day, at each whole hour of it: the capacity case.
//!
//! At hour `h` of gas day D, the target is what the day will still add to what is already
//! known: the day's total minus the energy of readings known at `h`. Features are what the
//! capacity alert sees at `h` (consumed so far, recent complete hours, hours not yet covered)
//! and the day-level history known at `h`, scaled to the hours not yet covered.

use chrono::{NaiveDate, Timelike};
use vader_models::columns;

use crate::builder::{MeterInputs, TargetRows};
use crate::degree_days::degree_days;
use crate::feature_table::{RowKey, TableBuilder};
use crate::intraday::{IntradaySnapshot, SnapshotParams};
use crate::rolling::mean_if_enough;

/// Hours averaged by the recent-rate features.
pub const RATE_HOURS: [usize; 3] = [1, 3, 5];

/// The rest-of-day rows, with the names of their windowed columns.
pub(crate) struct RestOfDayRows {
    mean: String,
    rates: [String; 3],
}

impl RestOfDayRows {
    pub(crate) fn new() -> Self {
        Self { mean: columns::mean_days(7), rates: RATE_HOURS.map(columns::rate_hours) }
    }
}

impl TargetRows for RestOfDayRows {
    type Prepared = ();

    fn prepare(&self, _: &MeterInputs<'_>) {}

    fn push_day(&self, m: &MeterInputs<'_>, (): &(), day: NaiveDate, out: &mut TableBuilder) {
        let convention = m.target.convention();
        let params =
            SnapshotParams { convention, delay_s: m.delay_s, recent_hours: 5, ..SnapshotParams::default() };
        let (start, end) = convention.bounds(day, m.tz);
        let (start, end) = (start.timestamp(), end.timestamp());
        let hours_in_day = convention.hours_in_day(day, m.tz);
        let total = m.daily.final_total(day);
        let known_at_end = m.daily.index(day).map_or(i64::MAX, |i| m.daily.complete_at[i]);
        let calendar = m.calendar(day);
        let mut h = start;
        while h < end {
            let known_day = |k: u64| m.known_day(day, k, h);
            let snap = IntradaySnapshot::take(m.series, m.tz, h, params);
            let temp = m.temperature(start, end, h);
            let uncovered = (f64::from(hours_in_day) - snap.hours_covered).max(0.0);
            let share = uncovered / f64::from(hours_in_day);
            out.push(columns::LAST_DAY, (1..=15).find_map(known_day).map_or(f64::NAN, |v| v * share));
            out.push(columns::SAME_WEEKDAY_LAST_WEEK, known_day(7).map_or(f64::NAN, |v| v * share));
            let week: Vec<f64> = (1..=8).filter_map(known_day).collect();
            out.push(&self.mean, mean_if_enough(&week, 7) * share);
            for (name, n) in self.rates.iter().zip(RATE_HOURS) {
                let recent = &snap.recent_hours[snap.recent_hours.len().saturating_sub(n)..];
                let rate = if recent.len() == n {
                    recent.iter().map(|r| r.1).sum::<f64>() / n as f64
                } else {
                    f64::NAN
                };
                out.push(name, rate);
            }
            out.push(columns::HOURS_IN_DAY, f64::from(hours_in_day));
            out.push(columns::HOURS_UNCOVERED, uncovered);
            out.push(columns::CONSUMED_KNOWN, snap.consumed_kwh);
            let instant = chrono::DateTime::from_timestamp(h, 0).unwrap_or_default();
            let local_hour = instant.with_timezone(&m.tz).hour();
            let hour_angle = std::f64::consts::TAU * f64::from(local_hour) / 24.0;
            out.push("hour_sin", hour_angle.sin());
            out.push("hour_cos", hour_angle.cos());
            calendar.push(out);
            out.push("temp_mean", temp);
            out.push_all(&["hdd", "cdd"], degree_days(temp));
            m.push_covariates(h, end, h, out);

            let slot = convention.slot_of(instant, m.tz, 60);
            let key = RowKey { meter_id: m.meter.meter_id.clone(), day, start: h, end, decision_at: h, slot };
            out.end_row(key, total.map_or(f64::NAN, |t| t - snap.consumed_kwh), known_at_end);
            h += 3600;
        }
    }
}
