//! Window statistics over past days, and day ranges.
//!
//! A window statistic is computed only when at least half of the window's days are known, so
//! a meter back from an outage does not get a mean of two days labelled as a weekly mean.
//!
//! ```
//! use vader_features::rolling::{days_between, mean_if_enough};
//!
//! assert_eq!(mean_if_enough(&[1.0, 2.0, 3.0, 4.0], 7), 2.5);
//! assert!(mean_if_enough(&[1.0, 2.0], 7).is_nan());
//! let d = |day| chrono::NaiveDate::from_ymd_opt(2025, 1, day).unwrap();
//! assert_eq!(days_between(d(30), d(31)).len(), 2);
//! ```

use chrono::NaiveDate;

/// Mean of `v` if it holds at least half of the `window` days, else NaN.
pub fn mean_if_enough(v: &[f64], window: u32) -> f64 {
    if (v.len() as f64) < f64::from(window) / 2.0 {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Standard deviation of `v` if it holds at least half of the `window` days, else NaN.
pub fn std_if_enough(v: &[f64], window: u32) -> f64 {
    let m = mean_if_enough(v, window);
    if m.is_nan() || v.len() < 2 {
        return f64::NAN;
    }
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Every day from `first` to `last`, inclusive.
pub fn days_between(first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    first.iter_days().take_while(|d| *d <= last).collect()
}
