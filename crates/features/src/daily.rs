//! Daily totals of one meter, with the instant each day became completely known.
//!
//! A day's total is usable at a decision time only if every interval of the day had a valid
//! reading by then; [`DailyTotals::known_total`] answers exactly that, so lags and rolling
//! statistics built on it cannot see a day before it was complete.

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::gas_day::DayConvention;
use crate::readings::MeterSeries;

/// Daily totals of a meter over consecutive days.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyTotals {
    first_day: Option<NaiveDate>,
    /// Sum of the day's valid readings, kWh (complete or not).
    pub total_kwh: Vec<f64>,
    /// Whether every interval of the day has a valid reading.
    pub complete: Vec<bool>,
    /// When the last reading of the day arrived (Unix seconds); `i64::MAX` for an incomplete day.
    pub complete_at: Vec<i64>,
}

impl DailyTotals {
    /// Aggregates `series` into days of `convention` in time zone `tz`; `delay_s` applies to
    /// readings without `received_at`.
    pub fn of(series: &MeterSeries, convention: DayConvention, tz: Tz, delay_s: i64) -> Self {
        let mut out =
            Self { first_day: None, total_kwh: Vec::new(), complete: Vec::new(), complete_at: Vec::new() };
        let Some(&first) = series.start.first() else { return out };
        let to_utc = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
        let mut day = convention.day_of(to_utc(first), tz);
        out.first_day = Some(day);
        let (mut start, mut end) = bounds(convention, day, tz);
        let (mut sum, mut count, mut last_known) = (0.0, 0_i64, i64::MIN);
        let flush = |out: &mut Self, start: i64, end: i64, sum: f64, count: i64, last_known: i64| {
            // Rounded, so that a daily reading completes a 23- or 25-hour day too.
            let step = series.interval_s;
            let expected = if step > 0 { (end - start + step / 2) / step } else { 0 };
            let complete = expected > 0 && count == expected;
            out.total_kwh.push(sum);
            out.complete.push(complete);
            out.complete_at.push(if complete { last_known } else { i64::MAX });
        };
        for i in 0..series.len() {
            let t = series.start[i];
            while t >= end {
                flush(&mut out, start, end, sum, count, last_known);
                (sum, count, last_known) = (0.0, 0, i64::MIN);
                day = day.succ_opt().unwrap_or(day);
                (start, end) = bounds(convention, day, tz);
            }
            if series.is_usable(i) {
                sum += series.energy_kwh[i];
                count += 1;
                last_known = last_known.max(series.known_at(i, delay_s));
            }
        }
        flush(&mut out, start, end, sum, count, last_known);
        out
    }

    /// Index of `day`, if inside the span.
    pub fn index(&self, day: NaiveDate) -> Option<usize> {
        let first = self.first_day?;
        let i = usize::try_from((day - first).num_days()).ok()?;
        (i < self.total_kwh.len()).then_some(i)
    }

    /// The day's total if it was complete and fully known at `at`.
    pub fn known_total(&self, day: NaiveDate, at: i64) -> Option<f64> {
        let i = self.index(day)?;
        (self.complete[i] && self.complete_at[i] <= at).then_some(self.total_kwh[i])
    }

    /// The day's total if the day is complete, whenever it became known (the target).
    pub fn final_total(&self, day: NaiveDate) -> Option<f64> {
        let i = self.index(day)?;
        self.complete[i].then_some(self.total_kwh[i])
    }

    /// First and last day covered.
    pub fn span(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first = self.first_day?;
        let last =
            first.checked_add_days(chrono::Days::new(self.total_kwh.len().saturating_sub(1) as u64))?;
        Some((first, last))
    }
}

fn bounds(convention: DayConvention, day: NaiveDate, tz: Tz) -> (i64, i64) {
    let (s, e) = convention.bounds(day, tz);
    (s.timestamp(), e.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    #[test]
    fn a_25_hour_gas_day_needs_25_readings_and_waits_for_the_last() {
        // Gas day 2024-10-26 runs 04:00 UTC to 05:00 UTC next day: 25 hours.
        let start = 1_729_915_200; // 2024-10-26T04:00:00Z
        let series = MeterSeries::new("M", (0..26).map(|h| start + h * 3600).collect(), vec![1.0; 26]);
        let daily = DailyTotals::of(&series, DayConvention::GAS, Paris, 7200);
        let day = NaiveDate::from_ymd_opt(2024, 10, 26).expect("date");
        assert_eq!(daily.final_total(day), Some(25.0));
        let last_end = start + 25 * 3600;
        assert_eq!(daily.known_total(day, last_end + 7199), None);
        assert_eq!(daily.known_total(day, last_end + 7200), Some(25.0));
        // The next day has one reading: incomplete.
        assert_eq!(daily.final_total(day.succ_opt().expect("date")), None);
    }

    #[test]
    fn one_daily_reading_completes_a_gas_day_of_23_24_or_25_hours() {
        // Gas-day indexes read at 06:00 Paris time around both changes of 2024: 04:00 UTC in
        // summer, 05:00 UTC in winter, so consecutive starts are 23, 24 or 25 hours apart.
        let at = |d: &str| chrono::DateTime::parse_from_rfc3339(d).map(|t| t.timestamp()).expect("time");
        let starts = [
            "2024-03-29T05:00:00Z",
            "2024-03-30T05:00:00Z", // 23-hour gas day (spring change on the 31st)
            "2024-03-31T04:00:00Z",
            "2024-04-01T04:00:00Z",
            "2024-10-25T04:00:00Z",
            "2024-10-26T04:00:00Z", // 25-hour gas day
            "2024-10-27T05:00:00Z",
            "2024-10-28T05:00:00Z",
        ];
        let series = MeterSeries::new("M", starts.iter().map(|d| at(d)).collect(), vec![10.0; 8]);
        assert_eq!(series.interval_s, 86_400);
        assert!((0..8).all(|i| series.is_usable(i)));
        let daily = DailyTotals::of(&series, DayConvention::GAS, Paris, 7200);
        let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).expect("date");
        for day in [d(3, 29), d(3, 30), d(3, 31), d(4, 1), d(10, 25), d(10, 26), d(10, 27), d(10, 28)] {
            assert_eq!(daily.final_total(day), Some(10.0), "{day}");
        }
        assert_eq!(daily.final_total(d(4, 2)), None);
    }
}
