//! Forecast targets: what is forecast, and when the forecast must be made.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

use crate::gas_day::DayConvention;
use crate::meters::Commodity;

/// A forecast target, defined by its day convention and its decision time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Total of gas day D (06:00 to 06:00 local), decided on D-1 at 14:00 local time (the gas
    /// nomination deadline).
    GasDay,
    /// Total of calendar day D of the site, decided on D-1 at 14:00 local time.
    Daily,
    /// Energy of each settlement period of calendar day D (the data's resolution: hour,
    /// half-hour or quarter-hour; 23 or 25 hours on daylight-saving days), decided on D-1 at
    /// 11:00 local time (the electricity day-ahead schedule).
    ElectricityDay,
    /// What remains of the current gas day at each whole hour: the day's total minus the
    /// energy already known at that hour (the capacity case). One row per hour of the gas day,
    /// each decided at its own hour.
    RestOfGasDay,
}

/// How a target's rows are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One row per day, decided on the eve.
    Daily,
    /// One row per settlement period of the day, all decided on the eve.
    PerPeriod,
    /// One row per whole hour of the day, each decided at that hour.
    Hourly,
}

impl Target {
    /// Every target, in the order commands list them.
    pub const ALL: [Self; 4] = [Self::GasDay, Self::Daily, Self::ElectricityDay, Self::RestOfGasDay];

    /// The day convention of the target.
    pub fn convention(self) -> DayConvention {
        match self {
            Self::GasDay | Self::RestOfGasDay => DayConvention::GAS,
            Self::Daily | Self::ElectricityDay => DayConvention::CALENDAR,
        }
    }

    /// Whether the target forecasts meters of `commodity`: gas for `gas-day` and
    /// `rest-of-gas-day`, electricity for `electricity-day`, both for `daily`.
    pub fn applies_to(self, commodity: Commodity) -> bool {
        match self {
            Self::GasDay | Self::RestOfGasDay => commodity == Commodity::Gas,
            Self::ElectricityDay => commodity == Commodity::Electricity,
            Self::Daily => true,
        }
    }

    /// How the target's rows are laid out.
    pub fn shape(self) -> Shape {
        match self {
            Self::GasDay | Self::Daily => Shape::Daily,
            Self::ElectricityDay => Shape::PerPeriod,
            Self::RestOfGasDay => Shape::Hourly,
        }
    }

    /// Local hour on D-1 at which the forecast for day D is made (for `rest-of-gas-day`, whose
    /// forecasts are made through the day itself, the eve's 14:00 is used to order days).
    pub fn decision_hour(self) -> u32 {
        match self {
            Self::GasDay | Self::Daily | Self::RestOfGasDay => 14,
            Self::ElectricityDay => 11,
        }
    }

    /// The decision instant (Unix seconds) of the forecast for `day` in time zone `tz`.
    pub fn decision_time(self, day: NaiveDate, tz: Tz) -> i64 {
        let eve = day.pred_opt().unwrap_or(day);
        let time = NaiveTime::from_hms_opt(self.decision_hour(), 0, 0).unwrap_or(NaiveTime::MIN);
        crate::gas_day::local_to_utc(eve.and_time(time), tz).timestamp()
    }

    /// The name used on the command line and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GasDay => "gas-day",
            Self::Daily => "daily",
            Self::ElectricityDay => "electricity-day",
            Self::RestOfGasDay => "rest-of-gas-day",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            format!(
                "unknown target {s:?} (expected one of: gas-day, daily, electricity-day, rest-of-gas-day)"
            )
        })
    }
}
