//! What is known of the current day at a given instant: the capacity alert's view.
//!
//! Everything here is computed *as of* `at`: a reading counts only if it was known by then
//! ([`MeterSeries::known_at`]), so a later reading, or an earlier one that arrived late, can
//! never change a snapshot.

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::gas_day::DayConvention;
use crate::readings::MeterSeries;

const HOUR: i64 = 3600;

/// How a snapshot is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotParams {
    /// Day convention (gas day for the capacity alert).
    pub convention: DayConvention,
    /// Delay after an interval's end before its reading is known, in seconds, for readings
    /// without `received_at`.
    pub delay_s: i64,
    /// How many recent complete hours to collect.
    pub recent_hours: usize,
    /// How far back, in seconds, complete hours are looked for.
    pub lookback_s: i64,
}

impl Default for SnapshotParams {
    fn default() -> Self {
        Self { convention: DayConvention::GAS, delay_s: 2 * HOUR, recent_hours: 5, lookback_s: 24 * HOUR }
    }
}

/// One meter's current day as known at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct IntradaySnapshot {
    /// The day `at` falls in.
    pub day: NaiveDate,
    /// Start of that day, Unix seconds.
    pub day_start: i64,
    /// Hours the day lasts (23, 24 or 25).
    pub hours_in_day: u32,
    /// Hours from the day's start to `at`.
    pub hours_elapsed: f64,
    /// Energy of the day's usable readings known at `at`, kWh.
    pub consumed_kwh: f64,
    /// Hours of the day those readings cover.
    pub hours_covered: f64,
    /// The most recent complete hours known at `at` (up to `recent_hours`), oldest first:
    /// `(hour start in Unix seconds, kWh)`.
    pub recent_hours: Vec<(i64, f64)>,
}

impl IntradaySnapshot {
    /// Takes the snapshot of `series` at `at` (Unix seconds) in time zone `tz`.
    pub fn take(series: &MeterSeries, tz: Tz, at: i64, params: SnapshotParams) -> Self {
        let at_utc = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default();
        let day = params.convention.day_of(at_utc, tz);
        let (start, _) = params.convention.bounds(day, tz);
        let day_start = start.timestamp();
        let known = |i: usize| series.is_usable(i) && series.known_at(i, params.delay_s) <= at;

        let mut consumed = 0.0;
        let mut covered = 0_i64;
        for i in series.range(day_start, at) {
            if known(i) {
                consumed += series.energy_kwh[i];
                covered += series.interval_s;
            }
        }

        let mut recent = Vec::new();
        let per_hour = usize::try_from(HOUR / series.interval_s.max(1)).unwrap_or(0);
        if series.interval_s > 0 && series.interval_s <= HOUR && HOUR % series.interval_s == 0 {
            let mut hour: Option<(i64, f64, usize)> = None;
            for i in series.range(at - params.lookback_s, at) {
                let h = series.start[i].div_euclid(HOUR) * HOUR;
                if hour.is_some_and(|(start, _, _)| start != h) {
                    push_complete(&mut recent, hour.take(), per_hour);
                }
                let entry = hour.get_or_insert((h, 0.0, 0));
                if known(i) {
                    entry.1 += series.energy_kwh[i];
                    entry.2 += 1;
                }
            }
            push_complete(&mut recent, hour, per_hour);
        }
        let skip = recent.len().saturating_sub(params.recent_hours);
        recent.drain(..skip);

        Self {
            day,
            day_start,
            hours_in_day: params.convention.hours_in_day(day, tz),
            hours_elapsed: (at - day_start) as f64 / HOUR as f64,
            consumed_kwh: consumed,
            hours_covered: covered as f64 / HOUR as f64,
            recent_hours: recent,
        }
    }
}

fn push_complete(out: &mut Vec<(i64, f64)>, hour: Option<(i64, f64, usize)>, per_hour: usize) {
    if let Some((start, kwh, n)) = hour
        && n == per_hour
    {
        out.push((start, kwh));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn hourly(from: i64, values: &[f64]) -> MeterSeries {
        let start = (0..values.len() as i64).map(|i| from + i * HOUR).collect();
        MeterSeries::new("M", start, values.to_vec())
    }

    // 2024-01-15 05:00 UTC is 06:00 Paris: the start of gas day 15 January.
    const DAY_START: i64 = 1_705_294_800;

    #[test]
    fn readings_not_yet_known_are_ignored() {
        let series = hourly(DAY_START - 3 * HOUR, &[1.0, 2.0, 3.0, 10.0, 20.0, 30.0]);
        let params = SnapshotParams { delay_s: 2 * HOUR, ..SnapshotParams::default() };
        // At 06:00 + 3h, with a 2-hour delay, only the hour starting at 06:00 is known today.
        let snap = IntradaySnapshot::take(&series, Paris, DAY_START + 3 * HOUR, params);
        assert_eq!(snap.consumed_kwh, 10.0);
        assert_eq!(snap.hours_covered, 1.0);
        assert_eq!(snap.hours_elapsed, 3.0);
        let recent: Vec<f64> = snap.recent_hours.iter().map(|h| h.1).collect();
        assert_eq!(recent, [1.0, 2.0, 3.0, 10.0]);
    }

    #[test]
    fn late_received_readings_wait_for_their_arrival() {
        let mut series = hourly(DAY_START, &[10.0, 20.0]);
        series.received_at = Some(vec![DAY_START + 10 * HOUR, DAY_START + 2 * HOUR]);
        let snap = IntradaySnapshot::take(&series, Paris, DAY_START + 3 * HOUR, SnapshotParams::default());
        assert_eq!(snap.consumed_kwh, 20.0);
        assert_eq!(snap.recent_hours, [(DAY_START + HOUR, 20.0)]);
    }

    #[test]
    fn sub_hourly_hours_count_only_when_complete_and_usable() {
        let start: Vec<i64> = (0..8).map(|i| DAY_START + i * 900).collect();
        let mut energy = vec![1.0; 8];
        energy[6] = -5.0; // a negative glitch spoils the second hour
        let series = MeterSeries::new("M", start, energy);
        let snap = IntradaySnapshot::take(&series, Paris, DAY_START + 4 * HOUR, SnapshotParams::default());
        assert_eq!(snap.recent_hours, [(DAY_START, 4.0)]);
        assert_eq!(snap.consumed_kwh, 7.0);
    }
}
