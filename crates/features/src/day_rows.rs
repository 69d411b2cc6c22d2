//! Rows of the day-level targets (`gas-day`, `daily`): one row per meter and day D, decided on
//! D-1 at the target's decision hour.
//!
//! Past days enter only through [`crate::DailyTotals::known_total`] (a day counts once all of
//! its readings had arrived), the eve through an [`IntradaySnapshot`] at the decision time.

use chrono::NaiveDate;
use vader_models::{IntradayState, ProjectionRule, columns};

use crate::builder::{MeterInputs, TargetRows};
use crate::degree_days::degree_days;
use crate::feature_table::{RowKey, TableBuilder};
use crate::intraday::{IntradaySnapshot, SnapshotParams};
use crate::rolling::{mean_if_enough, std_if_enough};

const LAGS: [u32; 2] = [3, 14];
const WINDOWS: [u32; 3] = [7, 14, 28];
const SPREADS: [u32; 2] = [7, 28];

/// The day-level rows, with the names of their windowed columns.
pub(crate) struct DayRows {
    lags: [String; 2],
    means: [String; 3],
    spreads: [String; 2],
}

impl DayRows {
    pub(crate) fn new() -> Self {
        Self {
            lags: LAGS.map(columns::lag_days),
            means: WINDOWS.map(columns::mean_days),
            spreads: SPREADS.map(columns::std_days),
        }
    }
}

impl TargetRows for DayRows {
    type Prepared = ();

    fn prepare(&self, _: &MeterInputs<'_>) {}

    fn push_day(&self, m: &MeterInputs<'_>, (): &(), day: NaiveDate, out: &mut TableBuilder) {
        let convention = m.target.convention();
        let at = m.target.decision_time(day, m.tz);
        let known = |k: u32| m.known_day(day, u64::from(k), at);

        // Most recent complete day known at decision time (up to two weeks back).
        out.push(columns::LAST_DAY, (2..=15).find_map(known).unwrap_or(f64::NAN));
        out.push(columns::SAME_WEEKDAY_LAST_WEEK, known(7).unwrap_or(f64::NAN));
        for (name, k) in self.lags.iter().zip(LAGS) {
            out.push(name, known(k).unwrap_or(f64::NAN));
        }
        let window = |k: u32| -> Vec<f64> { (2..k + 2).filter_map(known).collect() };
        for (name, k) in self.means.iter().zip(WINDOWS) {
            out.push(name, mean_if_enough(&window(k), k));
        }

        for (name, k) in self.spreads.iter().zip(SPREADS) {
            out.push(name, std_if_enough(&window(k), k));
        }

        // The eve (D-1) is under way at decision time: project it with the production rule.
        let snap = IntradaySnapshot::take(
            m.series,
            m.tz,
            at,
            SnapshotParams { convention, delay_s: m.delay_s, ..SnapshotParams::default() },
        );
        let recent: Vec<f64> = snap.recent_hours.iter().map(|h| h.1).collect();
        let state = IntradayState {
            hours_in_day: f64::from(snap.hours_in_day),
            consumed_kwh: snap.consumed_kwh,
            hours_covered: snap.hours_covered,
            recent_hours_kwh: &recent,
        };
        out.push(
            "eve_projected",
            ProjectionRule::SoFarPlusRate { hours: 5 }.project(&state).unwrap_or(f64::NAN),
        );
        out.push("eve_known_hours", snap.hours_covered);

        // Calendar of the target day.
        m.calendar(day).push(out);

        // Weather of the target day (and the change from the eve).
        let temps = |d: NaiveDate| {
            let (s, e) = convention.bounds(d, m.tz);
            m.temperatures(s.timestamp(), e.timestamp(), at)
        };
        let t = temps(day);
        out.push("temp_mean", t.mean);
        out.push_all(&["hdd", "cdd"], degree_days(t.mean));
        out.push("temp_change", t.mean - day.pred_opt().map_or(f64::NAN, |d| temps(d).mean));
        out.push("temp_min", t.min);
        out.push("temp_max", t.max);

        let (start, end) = convention.bounds(day, m.tz);
        m.push_covariates(start.timestamp(), end.timestamp(), at, out);
        let key = RowKey {
            meter_id: m.meter.meter_id.clone(),
            day,
            start: start.timestamp(),
            end: end.timestamp(),
            decision_at: at,
            slot: 0,
        };
        let known_at = m.daily.index(day).map_or(i64::MAX, |i| m.daily.complete_at[i]);
        out.end_row(key, m.daily.final_total(day).unwrap_or(f64::NAN), known_at);
    }
}
