//! Intraday projection rules: how much a meter will have consumed by the end of the day,
//! judged from what is known part-way through it.
//!
//! These are the rules of the capacity alert. The production rule of day one is
//! [`ProjectionRule::MeanOfLastHours`]: the mean of the last five complete hours, times the
//! number of hours in the day.
//!
//! ```
//! use vader_models::{IntradayState, ProjectionRule};
//!
//! let state = IntradayState {
//!     hours_in_day: 24.0,
//!     consumed_kwh: 400.0,
//!     hours_covered: 4.0,
//!     recent_hours_kwh: &[90.0, 100.0, 110.0, 100.0, 100.0],
//! };
//! assert_eq!(ProjectionRule::MeanOfLastHours { hours: 5 }.project(&state)?, 2400.0);
//! assert_eq!(ProjectionRule::SoFarPlusRate { hours: 5 }.project(&state)?, 400.0 + 100.0 * 20.0);
//! # Ok::<(), vader_models::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What is known of one meter's current day at a decision instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntradayState<'a> {
    /// Hours the day lasts (23, 24 or 25 for gas days).
    pub hours_in_day: f64,
    /// Energy already known to be consumed this day, kWh.
    pub consumed_kwh: f64,
    /// Hours of the day covered by those known readings.
    pub hours_covered: f64,
    /// Most recent complete hourly energies known, oldest first, kWh.
    pub recent_hours_kwh: &'a [f64],
}

/// A rule projecting the day's total consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum ProjectionRule {
    /// Mean of the last `hours` complete hours × hours in the day (the production rule).
    MeanOfLastHours {
        /// How many recent hours to average.
        hours: usize,
    },
    /// Consumed so far + mean of the last `hours` complete hours × hours not yet covered.
    SoFarPlusRate {
        /// How many recent hours to average.
        hours: usize,
    },
}

impl Default for ProjectionRule {
    fn default() -> Self {
        Self::MeanOfLastHours { hours: 5 }
    }
}

impl ProjectionRule {
    /// How many recent complete hours the rule needs.
    pub fn hours(self) -> usize {
        match self {
            Self::MeanOfLastHours { hours } | Self::SoFarPlusRate { hours } => hours,
        }
    }

    /// Checks the rule's parameters.
    pub fn check(self) -> Result<Self> {
        if self.hours() == 0 {
            return Err(Error::InvalidParam { name: "hours", problem: "must be at least 1".into() });
        }
        Ok(self)
    }

    /// Projects the day's total from `state`, using its last [`hours`](Self::hours) hours.
    ///
    /// Fails with [`Error::NotEnoughData`] when fewer complete hours are known.
    pub fn project(self, state: &IntradayState<'_>) -> Result<f64> {
        let n = self.check()?.hours();
        let recent = state.recent_hours_kwh;
        if recent.len() < n {
            return Err(Error::NotEnoughData { needed: n, found: recent.len() });
        }
        let rate = recent[recent.len() - n..].iter().sum::<f64>() / n as f64;
        Ok(match self {
            Self::MeanOfLastHours { .. } => rate * state.hours_in_day,
            Self::SoFarPlusRate { .. } => {
                state.consumed_kwh + rate * (state.hours_in_day - state.hours_covered).max(0.0)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_rule_uses_only_the_last_n_hours() {
        let state = IntradayState {
            hours_in_day: 25.0,
            consumed_kwh: 0.0,
            hours_covered: 0.0,
            recent_hours_kwh: &[1000.0, 2.0, 4.0],
        };
        let rule = ProjectionRule::MeanOfLastHours { hours: 2 };
        assert_eq!(rule.project(&state).ok(), Some(75.0));
    }

    #[test]
    fn too_few_hours_is_an_error_not_a_number() {
        let state = IntradayState {
            hours_in_day: 24.0,
            consumed_kwh: 0.0,
            hours_covered: 0.0,
            recent_hours_kwh: &[1.0],
        };
        let err = ProjectionRule::default().project(&state);
        assert!(matches!(err, Err(Error::NotEnoughData { needed: 5, found: 1 })));
    }

    #[test]
    fn zero_hours_is_refused() {
        assert!(ProjectionRule::SoFarPlusRate { hours: 0 }.check().is_err());
    }
}
