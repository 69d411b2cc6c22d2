//! Rows of the per-period target (the electricity day-ahead schedule): one row per meter and
//! settlement period of day D, all decided on D-1.
//!
//! A period is matched with the same slot of the local clock on earlier days (the 02:00 slot
//! of a 25-hour day matches 02:00 of other days twice; a 23-hour day has no 02:00 slot). A
//! past slot's value is used only if its reading was known at the decision time, so the rules
//! of [`crate::as_of`] hold here too.

use std::collections::HashMap;

use chrono::NaiveDate;
use vader_models::columns;

use crate::builder::{MeterInputs, TargetRows};
use crate::degree_days::degree_days;
use crate::feature_table::{RowKey, TableBuilder};
use crate::rolling::{mean_if_enough, std_if_enough};

const WINDOWS: [u64; 2] = [7, 28];

/// The per-period rows, with the names of their windowed columns.
pub(crate) struct PeriodRows {
    means: [String; 2],
    spread: String,
    yearly: String,
}

impl PeriodRows {
    pub(crate) fn new() -> Self {
        Self {
            means: [7, 28].map(columns::mean_days),
            spread: columns::std_days(7),
            yearly: columns::lag_days(364),
        }
    }
}

/// Mean energy per interval of the readings of the 24 hours before the last one that could be
/// known at `at` (readings arrive `delay_s` after their interval ends), counting only those
/// known by `at`; NaN with fewer than half of them.
fn recent_rate(m: &MeterInputs<'_>, at: i64) -> f64 {
    let step = m.series.interval_s.max(1);
    let end = at - m.delay_s;
    let range = m.series.range(end - 86_400 - step, end);
    let known: Vec<f64> = range
        .filter(|&i| m.series.is_usable(i) && m.series.known_at(i, m.delay_s) <= at)
        .map(|i| m.series.energy_kwh[i])
        .collect();
    let expected = usize::try_from(86_400 / step).unwrap_or(1).max(1);
    if known.len() * 2 < expected { f64::NAN } else { known.iter().sum::<f64>() / known.len() as f64 }
}

/// A meter's usable readings by (local day, slot), with when each was known.
pub(crate) struct Slots {
    step: i64,
    slot_minutes: u32,
    slots_per_day: u32,
    known: HashMap<(NaiveDate, u32), (f64, i64)>,
}

impl TargetRows for PeriodRows {
    type Prepared = Slots;

    fn prepare(&self, m: &MeterInputs<'_>) -> Slots {
        let convention = m.target.convention();
        let step = m.series.interval_s.max(1);
        let slot_minutes = u32::try_from((step / 60).max(1)).unwrap_or(u32::MAX);
        let slots_per_day = (1440 / slot_minutes).max(1);
        let mut known = HashMap::with_capacity(m.series.len());
        for i in 0..m.series.len() {
            if m.series.is_usable(i) {
                let t = chrono::DateTime::from_timestamp(m.series.start[i], 0).unwrap_or_default();
                let at = (convention.day_of(t, m.tz), convention.slot_of(t, m.tz, slot_minutes));
                known.entry(at).or_insert((m.series.energy_kwh[i], m.series.known_at(i, m.delay_s)));
            }
        }
        Slots { step, slot_minutes, slots_per_day, known }
    }

    fn push_day(&self, m: &MeterInputs<'_>, slots: &Slots, day: NaiveDate, out: &mut TableBuilder) {
        let convention = m.target.convention();
        let at = m.target.decision_time(day, m.tz);
        let known_day = |k: u64| m.known_day(day, k, at);
        let day_last = (1..=15).find_map(known_day).unwrap_or(f64::NAN);
        let day_mean: Vec<f64> = (1..=8).filter_map(known_day).collect();
        let day_mean = mean_if_enough(&day_mean, 7);
        let (day_start, day_end) = convention.bounds(day, m.tz);
        let day_temps = m.temperatures(day_start.timestamp(), day_end.timestamp(), at);
        let rate_24h = recent_rate(m, at);
        let calendar = m.calendar(day);
        let step = slots.step;
        let mut t = day_start.timestamp();
        while t < day_end.timestamp() {
            let instant = chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
            let slot = convention.slot_of(instant, m.tz, slots.slot_minutes);
            let known_slot = |k: u64| {
                day.checked_sub_days(chrono::Days::new(k))
                    .and_then(|d| slots.known.get(&(d, slot)))
                    .filter(|(_, known)| *known <= at)
                    .map(|(v, _)| *v)
            };
            out.push(columns::LAST_DAY, (1..=15).find_map(known_slot).unwrap_or(f64::NAN));
            out.push(columns::SAME_WEEKDAY_LAST_WEEK, known_slot(7).unwrap_or(f64::NAN));
            for (name, k) in self.means.iter().zip(WINDOWS) {
                let v: Vec<f64> = (1..=k + 1).filter_map(known_slot).collect();
                out.push(name, mean_if_enough(&v, u32::try_from(k).unwrap_or(u32::MAX)));
            }
            let v: Vec<f64> = (1..=8).filter_map(known_slot).collect();
            out.push(&self.spread, std_if_enough(&v, 7));
            out.push(&self.yearly, known_slot(364).unwrap_or(f64::NAN));
            let weekdays: Vec<f64> = [7, 14, 21, 28].into_iter().filter_map(known_slot).collect();
            out.push(columns::SAME_WEEKDAY_MEAN_4W, mean_if_enough(&weekdays, 4));
            out.push(columns::RATE_24H, rate_24h);
            out.push("day_total_last", day_last);
            out.push("day_total_mean_7d", day_mean);
            let slot_angle = std::f64::consts::TAU * f64::from(slot) / f64::from(slots.slots_per_day);
            out.push("slot_sin", slot_angle.sin());
            out.push("slot_cos", slot_angle.cos());
            calendar.push(out);
            let temp = m.temperature(t - 1800, t + step + 1800, at);
            out.push("temp", temp);
            out.push_all(&["hdd", "cdd"], degree_days(temp));
            out.push("temp_day_mean", day_temps.mean);
            out.push("temp_day_min", day_temps.min);
            out.push("temp_day_max", day_temps.max);
            m.push_covariates(t, t + step, at, out);

            let here = m.series.range(t, t + 1);
            let (value, known) = match here.start {
                i if here.len() == 1 && m.series.is_usable(i) => {
                    (m.series.energy_kwh[i], m.series.known_at(i, m.delay_s))
                }
                _ => (f64::NAN, i64::MAX),
            };
            let key = RowKey {
                meter_id: m.meter.meter_id.clone(),
                day,
                start: t,
                end: t + step,
                decision_at: at,
                slot,
            };
            out.end_row(key, value, known);
            t += step;
        }
    }
}
