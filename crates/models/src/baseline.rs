//! Baseline rules: the forecasts a model must beat.
//!
//! Each rule reads one feature column. Where that value is missing (a day not yet known, a
//! gap), it falls back to the last known day, and then to the mean of the training targets.

use serde::{Deserialize, Serialize};

use crate::columns;
use crate::error::Result;
use crate::matrix::FeatureMatrix;
use crate::model::{Fit, Predict, check_rows};
use crate::saved::FittedModel;

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
        let name = match self.rule {
            BaselineRule::Persistence => "persistence".to_string(),
            BaselineRule::SeasonalNaive => "seasonal-naive".to_string(),
            BaselineRule::MeanOfLastDays(k) => format!("mean-{k}d"),
            BaselineRule::IntradayMean(n) => format!("intraday-{n}h"),
        };
        Ok(FittedBaseline { rule: self.rule, name, columns: cols, fallback })
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

    fn to_saved(&self) -> Option<FittedModel> {
        Some(FittedModel::Baseline(self.clone()))
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
