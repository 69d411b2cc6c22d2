//! Baseline rules: the forecasts a model must beat.
//!
//! Each rule reads one feature column. Where that value is missing (a day not yet known, a
//! gap), it falls back to the last known day, and then to the mean of the training targets.

use serde::{Deserialize, Serialize};

use crate::columns;
use crate::error::Error;
use crate::error::Result;
use crate::matrix::FeatureMatrix;
use crate::traits::{Family, Fit, Predict, check_rows};

/// Which baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineRule {
    /// The last complete day known at the decision time.
    Persistence,
    /// The same weekday one week earlier.
    SeasonalNaive,
    /// The mean of the last `k` complete days.
    MeanOfLastDays(u32),
    /// The production capacity rule on a rest-of-day target: the mean of the last `n` complete
    /// hours × hours in the day, minus what is already known.
    IntradayMean(usize),
}

impl BaselineRule {
    fn column(self) -> String {
        match self {
            Self::Persistence => columns::LAST_DAY.to_string(),
            Self::SeasonalNaive => columns::SAME_WEEKDAY_LAST_WEEK.to_string(),
            Self::MeanOfLastDays(k) => columns::mean_days(k),
            Self::IntradayMean(n) => columns::rate_hours(n),
        }
    }
}

/// A baseline recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Baseline {
    rule: BaselineRule,
}

impl Baseline {
    /// The recipe for `rule`.
    pub fn new(rule: BaselineRule) -> Self {
        Self { rule }
    }
}

impl BaselineRule {
    /// The rule's name: `persistence`, `seasonal-naive`, `mean-7d`, `intraday-5h`.
    pub fn name(self) -> String {
        match self {
            Self::Persistence => "persistence".to_string(),
            Self::SeasonalNaive => "seasonal-naive".to_string(),
            Self::MeanOfLastDays(k) => format!("mean-{k}d"),
            Self::IntradayMean(n) => format!("intraday-{n}h"),
        }
    }
}

/// The baseline family in the registry: `persistence`, `seasonal-naive`, `mean-<k>d`,
/// `intraday-<n>h`.
#[derive(Debug)]
pub struct BaselineFamily;

impl Family for BaselineFamily {
    type Spec = Baseline;
    type Fitted = FittedBaseline;

    const NAMES: &'static [&'static str] =
        &["persistence", "seasonal-naive", "mean-7d", "mean-14d", "mean-28d", "intraday-5h"];

    fn parse(text: &str) -> Option<Result<Baseline>> {
        let positive = |n: u32, what: &str| {
            if n == 0 {
                Err(Error::InvalidParam { name: "window", problem: format!("of {what} must be at least 1") })
            } else {
                Ok(n)
            }
        };
        let rule = match text {
            "persistence" => Ok(BaselineRule::Persistence),
            "seasonal-naive" => Ok(BaselineRule::SeasonalNaive),
            other => {
                if let Some(days) = other.strip_prefix("mean-").and_then(|d| d.strip_suffix('d')) {
                    days.parse().ok().map(|k| positive(k, text).map(BaselineRule::MeanOfLastDays))?
                } else {
                    let hours = other.strip_prefix("intraday-").and_then(|h| h.strip_suffix('h'))?;
                    hours
                        .parse()
                        .ok()
                        .map(|n| positive(n, text).map(|n| BaselineRule::IntradayMean(n as usize)))?
                }
            }
        };
        Some(rule.map(Baseline::new))
    }

    fn name(spec: &Baseline) -> String {
        spec.rule.name()
    }

    fn fit(spec: &Baseline, x: &FeatureMatrix, y: &[f64]) -> Result<FittedBaseline> {
        spec.fit(x, y)
    }
}

/// A fitted baseline: the rule, its columns and the fallback level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedBaseline {
    rule: BaselineRule,
    name: String,
    columns: Vec<String>,
    fallback: f64,
}

impl Fit for Baseline {
    type Fitted = FittedBaseline;

    fn fit(&self, x: &FeatureMatrix, y: &[f64]) -> Result<FittedBaseline> {
        check_rows(x, y)?;
        let mut cols = vec![self.rule.column()];
        if let BaselineRule::IntradayMean(_) = self.rule {
            cols.extend([columns::HOURS_IN_DAY, columns::CONSUMED_KNOWN].map(String::from));
        }
        if self.rule != BaselineRule::Persistence {
            cols.push(columns::LAST_DAY.to_string());
        }
        for c in &cols {
            x.require(c)?;
        }
        let known: Vec<f64> = y.iter().copied().filter(|v| v.is_finite()).collect();
        let fallback = if known.is_empty() { 0.0 } else { known.iter().sum::<f64>() / known.len() as f64 };
        Ok(FittedBaseline { rule: self.rule, name: self.rule.name(), columns: cols, fallback })
    }
}

impl Predict for FittedBaseline {
    fn name(&self) -> &str {
        &self.name
    }

    fn feature_names(&self) -> &[String] {
        &self.columns
    }

    fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>> {
        let x = x.select(&self.columns)?;
        let values = x.values();
        let intraday = matches!(self.rule, BaselineRule::IntradayMean(_));
        Ok(values
            .rows()
            .into_iter()
            .map(|row| {
                if intraday {
                    // rate × hours in day − consumed; else the last day's scaled value.
                    let (rate, hours, consumed) = (row[0], row[1], row[2]);
                    let projected = rate * hours - consumed;
                    if projected.is_finite() {
                        projected.max(0.0)
                    } else {
                        if row[3].is_finite() { row[3] } else { self.fallback }
                    }
                } else {
                    row.iter().copied().find(|v| v.is_finite()).unwrap_or(self.fallback)
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasonal_naive_falls_back_to_the_last_day_then_the_mean() -> Result<()> {
        let names = vec!["same_weekday_last_week".to_string(), "last_day".to_string(), "other".to_string()];
        let x = FeatureMatrix::from_rows(
            names,
            &[[5.0, 1.0, 9.0], [f64::NAN, 2.0, 9.0], [f64::NAN, f64::NAN, 9.0]],
        )?;
        let fitted = Baseline::new(BaselineRule::SeasonalNaive).fit(&x, &[4.0, 6.0, 8.0])?;
        assert_eq!(fitted.predict(&x)?, vec![5.0, 2.0, 6.0]);
        Ok(())
    }

    #[test]
    fn a_missing_column_is_named() {
        let x = FeatureMatrix::from_rows(vec!["a".into()], &[[1.0]]).expect("matrix");
        let err = Baseline::new(BaselineRule::MeanOfLastDays(7)).fit(&x, &[1.0]).expect_err("no mean_7d");
        assert!(err.to_string().contains("mean_7d"), "{err}");
    }
}
