//! Names of the feature columns that models refer to by meaning.
//!
//! The features crate builds these columns; baseline rules read them. Keeping the names in one
//! place keeps the two crates in step.

/// Total of the most recent complete day known at the decision time.
pub const LAST_DAY: &str = "last_day";
/// Total of the same weekday one week before the target day (if known at the decision time).
pub const SAME_WEEKDAY_LAST_WEEK: &str = "same_weekday_last_week";

/// Mean of the same weekday over the last four weeks (of the values known at the decision
/// time; at least two of them).
pub const SAME_WEEKDAY_MEAN_4W: &str = "same_weekday_mean_4w";

/// Mean energy per interval of the last 24 hours of readings known at the decision time.
pub const RATE_24H: &str = "rate_24h";

/// Mean daily total over the last `days` complete days known at the decision time.
pub fn mean_days(days: u32) -> String {
    format!("mean_{days}d")
}

/// Standard deviation of daily totals over the last `days` complete days known.
pub fn std_days(days: u32) -> String {
    format!("std_{days}d")
}

/// Total of the day `k` days before the target day, if complete and known at decision time.
pub fn lag_days(k: u32) -> String {
    format!("lag_{k}d")
}

/// Hours the current day lasts (rest-of-day targets).
pub const HOURS_IN_DAY: &str = "hours_in_day";
/// Hours of the current day not covered by known readings (rest-of-day targets).
pub const HOURS_UNCOVERED: &str = "hours_uncovered";
/// Energy of the current day already known (rest-of-day targets).
pub const CONSUMED_KNOWN: &str = "consumed_known";

/// Mean of the last `hours` complete hours known (rest-of-day targets).
pub fn rate_hours(hours: usize) -> String {
    format!("rate_{hours}h")
}
