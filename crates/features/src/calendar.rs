//! Calendar facts of a day: public holidays (the meter's calendar, French by default), bridge
//! days and planned closures.
//!
//! ```
//! use chrono::NaiveDate;
//! use vader_features::calendar::{easter_sunday, is_bridge_day, is_french_holiday};
//!
//! let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
//! assert_eq!(easter_sunday(2025), Some(d(2025, 4, 20)));
//! assert!(is_french_holiday(d(2025, 5, 29))); // Ascension Thursday
//! assert!(is_bridge_day(d(2025, 5, 30)));     // the Friday after it
//! ```

use chrono::{Datelike, NaiveDate, Weekday};

use crate::closures::Closure;
pub use crate::holidays::{Holidays, easter_sunday, is_french_holiday};

/// Whether `day` is a bridge day of the French calendar ("pont"): see
/// [`SiteCalendar::is_bridge_day`].
pub fn is_bridge_day(day: NaiveDate) -> bool {
    SiteCalendar::default().is_bridge_day(day)
}

/// What a meter's site knows about its days: its public holidays and its planned closures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteCalendar {
    /// The public holidays of the meter's country (and subdivision).
    pub holidays: Holidays,
    /// The closures that apply to the meter.
    pub closures: Vec<Closure>,
}

impl SiteCalendar {
    /// Whether `day` is a public holiday.
    pub fn is_holiday(&self, day: NaiveDate) -> bool {
        self.holidays.contains(day)
    }

    /// Whether `day` is a bridge day: a Monday before a Tuesday holiday or a Friday after a
    /// Thursday holiday, which many sites take off.
    pub fn is_bridge_day(&self, day: NaiveDate) -> bool {
        let next_to_holiday = match day.weekday() {
            Weekday::Mon => day.succ_opt().is_some_and(|d| self.is_holiday(d)),
            Weekday::Fri => day.pred_opt().is_some_and(|d| self.is_holiday(d)),
            _ => false,
        };
        next_to_holiday && !self.is_holiday(day)
    }

    /// Whether a planned closure covers `day`.
    pub fn is_closed(&self, day: NaiveDate) -> bool {
        self.closures.iter().any(|c| c.covers(day))
    }
}

/// Names of the calendar feature columns of [`calendar_features`], in order.
pub const CALENDAR_FEATURES: [&str; 10] = [
    "dow_mon", "dow_tue", "dow_wed", "dow_thu", "dow_fri", "dow_sat", "holiday", "bridge", "doy_sin",
    "doy_cos",
];

/// Name of the closure column, present when the data folder has a closures file.
pub const CLOSED: &str = "closed";

/// Calendar features of a target day: weekday indicators (Sunday is the reference), public
/// holiday and bridge day of the meter's calendar, and day of year on the unit circle.
pub fn calendar_features(day: NaiveDate, calendar: &SiteCalendar) -> [f64; 10] {
    let flag = |b: bool| f64::from(u8::from(b));
    let dow = day.weekday();
    let angle = std::f64::consts::TAU * f64::from(day.ordinal0()) / 365.25;
    [
        flag(dow == Weekday::Mon),
        flag(dow == Weekday::Tue),
        flag(dow == Weekday::Wed),
        flag(dow == Weekday::Thu),
        flag(dow == Weekday::Fri),
        flag(dow == Weekday::Sat),
        flag(calendar.is_holiday(day)),
        flag(calendar.is_bridge_day(day)),
        angle.sin(),
        angle.cos(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn easter_dates_match_the_published_ones() {
        for (y, m, day) in [
            (2019, 4, 21),
            (2020, 4, 12),
            (2021, 4, 4),
            (2022, 4, 17),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
        ] {
            assert_eq!(easter_sunday(y), Some(d(y, m, day)));
        }
    }

    #[test]
    fn french_holidays_of_2024_are_the_eleven() {
        let mut day = d(2024, 1, 1);
        let mut holidays = Vec::new();
        while day.year() == 2024 {
            if is_french_holiday(day) {
                holidays.push(day.format("%m-%d").to_string());
            }
            day = day.succ_opt().expect("date");
        }
        assert_eq!(
            holidays,
            [
                "01-01", "04-01", "05-01", "05-08", "05-09", "05-20", "07-14", "08-15", "11-01", "11-11",
                "12-25"
            ]
        );
    }

    #[test]
    fn bridges_follow_thursday_and_precede_tuesday_holidays() {
        assert!(is_bridge_day(d(2024, 5, 10))); // Friday after Ascension (Thursday 9 May)
        assert!(is_bridge_day(d(2025, 12, 26))); // Friday after a Thursday Christmas
        assert!(is_bridge_day(d(2026, 7, 13))); // Monday before Tuesday 14 July
        assert!(!is_bridge_day(d(2024, 5, 9))); // the holiday itself
        assert!(!is_bridge_day(d(2025, 8, 14))); // Thursday before a Friday holiday: no bridge
        assert!(!is_bridge_day(d(2024, 5, 13))); // an ordinary Monday
    }
}
