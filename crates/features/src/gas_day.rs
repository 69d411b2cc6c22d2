//! Energy days: the gas day (06:00 to 06:00 local time) and the calendar day of electricity.
//!
//! A day is named by the local calendar date on which it starts. Bounds are computed in the
//! site's time zone and returned in UTC, so a day has 23, 24 or 25 hours around daylight-saving
//! changes.
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use chrono_tz::Europe::Paris;
//! use vader_features::DayConvention;
//!
//! // Clocks jump from 02:00 to 03:00 in the night of 30 to 31 March 2024: the gas day that
//! // started at 06:00 on 30 March has 23 hours.
//! let day = NaiveDate::from_ymd_opt(2024, 3, 30).unwrap();
//! assert_eq!(DayConvention::GAS.hours_in_day(day, Paris), 23);
//! // 05:30 Paris (03:30 UTC, summer time) on 31 March still belongs to gas day 30 March.
//! let t = Utc.with_ymd_and_hms(2024, 3, 31, 3, 30, 0).unwrap();
//! assert_eq!(DayConvention::GAS.day_of(t, Paris), day);
//! ```

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// When an energy day starts, in local wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DayConvention {
    start_hour: u32,
}

impl DayConvention {
    /// The gas day: 06:00 to 06:00 local time.
    pub const GAS: Self = Self { start_hour: 6 };
    /// The calendar day (electricity): 00:00 to 24:00 local time.
    pub const CALENDAR: Self = Self { start_hour: 0 };

    /// A day that starts at `start_hour` (0 to 23) local time, or `None` for a later hour.
    pub fn starting_at(start_hour: u32) -> Option<Self> {
        (start_hour < 24).then_some(Self { start_hour })
    }

    /// The local hour at which the day starts.
    pub fn start_hour(self) -> u32 {
        self.start_hour
    }

    /// The day that the instant `t` belongs to.
    pub fn day_of(self, t: DateTime<Utc>, tz: Tz) -> NaiveDate {
        // Day boundaries never fall inside a daylight-saving jump for the conventions in use
        // (06:00 and 00:00 in Europe), so shifting the local wall-clock time is exact.
        let local = t.with_timezone(&tz).naive_local();
        (local - Duration::hours(i64::from(self.start_hour))).date()
    }

    /// The first instant of `day`, in UTC.
    pub fn start_of(self, day: NaiveDate, tz: Tz) -> DateTime<Utc> {
        let time = NaiveTime::from_hms_opt(self.start_hour, 0, 0).unwrap_or(NaiveTime::MIN);
        local_to_utc(day.and_time(time), tz)
    }

    /// The bounds `[start, end)` of `day`, in UTC.
    pub fn bounds(self, day: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let next = day.succ_opt().unwrap_or(day);
        (self.start_of(day, tz), self.start_of(next, tz))
    }

    /// The slot of its day that the instant `t` falls in, read on the local clock: the number
    /// of whole `slot_minutes` from the day's local start hour to `t`'s local time. On a
    /// 25-hour day both passes of the repeated hour get the same slots; on a 23-hour day the
    /// skipped hour's slots do not occur; every other slot is the same clock time on every day.
    pub fn slot_of(self, t: DateTime<Utc>, tz: Tz, slot_minutes: u32) -> u32 {
        let local = t.with_timezone(&tz).time();
        let minutes = (local.hour() * 60 + local.minute() + 1440 - self.start_hour * 60) % 1440;
        minutes / slot_minutes.max(1)
    }

    /// How many hours `day` lasts: 24, or 23 and 25 on daylight-saving change days.
    pub fn hours_in_day(self, day: NaiveDate, tz: Tz) -> u32 {
        let (start, end) = self.bounds(day, tz);
        u32::try_from((end - start).num_hours()).unwrap_or(24)
    }
}

/// The UTC instant of a local wall-clock time; in a spring-forward gap, the first valid
/// instant after it; in an autumn overlap, the earlier of the two.
pub(crate) fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        probe += Duration::minutes(30);
    }
    // No zone has a gap longer than two hours; fall back to reading the time as UTC.
    Utc.from_utc_datetime(&local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::{London, Paris};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid instant")
    }

    /// The slots of every whole hour of `day`.
    fn hourly_slots(convention: DayConvention, day: NaiveDate) -> Vec<u32> {
        let (start, end) = convention.bounds(day, Paris);
        let hours = (end - start).num_hours();
        (0..hours).map(|h| convention.slot_of(start + Duration::hours(h), Paris, 60)).collect()
    }

    #[test]
    fn slots_follow_the_local_clock_on_23_and_25_hour_days() {
        // Spring 2024: the gas day of 30 March skips 02:00, 20 hours after its 06:00 start.
        let spring: Vec<u32> = (0..20).chain(21..24).collect();
        assert_eq!(hourly_slots(DayConvention::GAS, date(2024, 3, 30)), spring);
        // Autumn 2024: the gas day of 26 October passes 02:00 twice: both get slot 20.
        let autumn: Vec<u32> = (0..21).chain(20..24).collect();
        assert_eq!(hourly_slots(DayConvention::GAS, date(2024, 10, 26)), autumn);
        // An ordinary gas day: slot = rank from 06:00.
        assert_eq!(hourly_slots(DayConvention::GAS, date(2024, 6, 1)), (0..24).collect::<Vec<_>>());
        // The calendar day of 27 October 2024: 02:00 twice, slot = the local hour.
        let calendar: Vec<u32> = (0..3).chain(2..24).collect();
        assert_eq!(hourly_slots(DayConvention::CALENDAR, date(2024, 10, 27)), calendar);
        // Quarter-hours: 06:45 is the fourth slot of the gas day.
        assert_eq!(DayConvention::GAS.slot_of(utc(2024, 6, 1, 4, 45), Paris, 15), 3);
    }

    #[test]
    fn gas_day_lengths_on_french_dst_change_days_2023_to_2025() {
        // (spring change, autumn change) in France.
        for (spring, autumn) in [
            (date(2023, 3, 26), date(2023, 10, 29)),
            (date(2024, 3, 31), date(2024, 10, 27)),
            (date(2025, 3, 30), date(2025, 10, 26)),
        ] {
            // The change happens at 02:00/03:00 local, inside the gas day that started at
            // 06:00 the day before.
            let spring_day = spring.pred_opt().expect("date");
            let autumn_day = autumn.pred_opt().expect("date");
            assert_eq!(DayConvention::GAS.hours_in_day(spring_day, Paris), 23, "{spring_day}");
            assert_eq!(DayConvention::GAS.hours_in_day(autumn_day, Paris), 25, "{autumn_day}");
            assert_eq!(DayConvention::GAS.hours_in_day(spring, Paris), 24);
            assert_eq!(DayConvention::GAS.hours_in_day(autumn, Paris), 24);
            // The calendar day is the change day itself.
            assert_eq!(DayConvention::CALENDAR.hours_in_day(spring, Paris), 23);
            assert_eq!(DayConvention::CALENDAR.hours_in_day(autumn, Paris), 25);
        }
    }

    #[test]
    fn gas_day_bounds_are_six_oclock_paris_in_utc() {
        // Winter: 06:00 CET = 05:00 UTC. Summer: 06:00 CEST = 04:00 UTC.
        let (start, end) = DayConvention::GAS.bounds(date(2024, 1, 15), Paris);
        assert_eq!((start, end), (utc(2024, 1, 15, 5, 0), utc(2024, 1, 16, 5, 0)));
        let (start, end) = DayConvention::GAS.bounds(date(2024, 3, 30), Paris);
        assert_eq!((start, end), (utc(2024, 3, 30, 5, 0), utc(2024, 3, 31, 4, 0)));
        let (start, end) = DayConvention::GAS.bounds(date(2024, 10, 26), Paris);
        assert_eq!((start, end), (utc(2024, 10, 26, 4, 0), utc(2024, 10, 27, 5, 0)));
    }

    #[test]
    fn instants_map_to_the_gas_day_they_fall_in() {
        let gas = DayConvention::GAS;
        assert_eq!(gas.day_of(utc(2024, 1, 15, 4, 59), Paris), date(2024, 1, 14));
        assert_eq!(gas.day_of(utc(2024, 1, 15, 5, 0), Paris), date(2024, 1, 15));
        // Autumn night 2024-10-27: 02:30 local happens twice; both belong to gas day 26 Oct.
        assert_eq!(gas.day_of(utc(2024, 10, 27, 0, 30), Paris), date(2024, 10, 26));
        assert_eq!(gas.day_of(utc(2024, 10, 27, 1, 30), Paris), date(2024, 10, 26));
        assert_eq!(gas.day_of(utc(2024, 10, 27, 4, 59), Paris), date(2024, 10, 26));
        assert_eq!(gas.day_of(utc(2024, 10, 27, 5, 0), Paris), date(2024, 10, 27));
    }

    #[test]
    fn every_hour_of_a_year_lands_in_exactly_one_gas_day() {
        let gas = DayConvention::GAS;
        let mut t = utc(2024, 1, 1, 5, 0);
        let mut day = date(2024, 1, 1);
        let mut hours = 0;
        while t < utc(2025, 1, 1, 5, 0) {
            let d = gas.day_of(t, Paris);
            if d != day {
                assert_eq!(hours, gas.hours_in_day(day, Paris), "{day}");
                assert_eq!(d, day.succ_opt().expect("date"));
                day = d;
                hours = 0;
            }
            hours += 1;
            t += Duration::hours(1);
        }
        assert_eq!(hours, 24);
    }

    #[test]
    fn other_time_zones_follow_their_own_changes() {
        // UK changes on the same Sundays at 01:00 UTC; the gas day starts 06:00 London.
        assert_eq!(DayConvention::GAS.hours_in_day(date(2024, 3, 30), London), 23);
        assert_eq!(DayConvention::GAS.start_of(date(2024, 7, 1), London), utc(2024, 7, 1, 5, 0));
    }
}
