//! Boosted trees tuned to the meter: at every fit, a nested time-ordered validation chooses
//! what the trees correct and how they grow, using only the rows the fit is given.
//!
//! The rows are taken to be in time order (as the walk-forward gives them). The last quarter is
//! held out; each candidate is fitted on the rows before it and scored there with the model's
//! own loss (squared error, or the pinball loss at τ); the best candidate is then fitted on all
//! rows. The search runs in three stages, each keeping the best so far:
//!
//! 1. what the trees correct ([`Correction`]): nothing, the last known day, the same weekday
//!    last week, or a ridge forecast fitted on the same rows;
//! 2. leaves per tree and rows per leaf: 7 or 31 leaves, 5 or 20 rows;
//! 3. learning rate: 0.05 or 0.15.
//!
//! Ties keep the earlier candidate, so the choice is deterministic. With too few rows to hold a
//! quarter out (fewer than 80), the defaults of [`crate::gbm::GbmFamily`] are used.

use serde::{Deserialize, Serialize};

use super::{FittedGbm, GbmParams, Loss, ValidGbmParams, loss_value};
use crate::columns::{LAST_DAY, SAME_WEEKDAY_LAST_WEEK};
use crate::error::{Error, Result};
use crate::linear::{FittedLinear, LinearParams, Penalty};
use crate::matrix::FeatureMatrix;
use crate::traits::{Family, Fit, Predict, check_rows};

/// The column a ridge correction adds to the trees' matrix.
const RIDGE_COLUMN: &str = "ridge_forecast";

/// What the trees learn to correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Correction {
    /// Nothing: the trees forecast the target itself.
    None,
    /// The last known day ([`LAST_DAY`]).
    LastDay,
    /// The same weekday last week ([`SAME_WEEKDAY_LAST_WEEK`]).
    SameWeekday,
    /// A ridge forecast (λ chosen on a validation tail) fitted on the same rows.
    Ridge,
}

impl std::fmt::Display for Correction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "nothing",
            Self::LastDay => "the last known day",
            Self::SameWeekday => "the same weekday last week",
            Self::Ridge => "a ridge forecast",
        })
    }
}

/// One point of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// What the trees correct.
    pub correction: Correction,
    /// Leaves per tree.
    pub max_leaves: usize,
    /// Rows per leaf at least.
    pub min_data_in_leaf: usize,
    /// Shrinkage of each tree.
    pub learning_rate: f64,
}

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "corrects {}, {} leaves, {} rows per leaf, learning rate {}",
            self.correction, self.max_leaves, self.min_data_in_leaf, self.learning_rate
        )
    }
}

const DEFAULT_CHOICE: Choice =
    Choice { correction: Correction::LastDay, max_leaves: 31, min_data_in_leaf: 20, learning_rate: 0.05 };

/// The tuned recipe: the loss is fixed by the name, the rest is chosen at each fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TunedGbm {
    loss: Loss,
}

impl TunedGbm {
    /// A tuned recipe with this loss (a quantile level must be in (0, 1)).
    pub fn new(loss: Loss) -> Result<Self> {
        GbmParams { loss, ..GbmParams::default() }.check()?;
        Ok(Self { loss })
    }

    /// The recipe's name: `gbm-tuned`, or `gbm-tuned-q<τ>` for the quantile loss.
    pub fn name(&self) -> String {
        match self.loss {
            Loss::Squared => "gbm-tuned".to_string(),
            Loss::Quantile(t) => format!("gbm-tuned-q{t}"),
        }
    }

    fn params(&self, choice: Choice, x: &FeatureMatrix, refit_on_all: bool) -> Result<ValidGbmParams> {
        let offset = match choice.correction {
            Correction::None => None,
            Correction::LastDay => Some(LAST_DAY),
            Correction::SameWeekday => Some(SAME_WEEKDAY_LAST_WEEK),
            Correction::Ridge => Some(RIDGE_COLUMN),
        }
        .filter(|c| x.column(c).is_some())
        .map(str::to_string);
        GbmParams {
            loss: self.loss,
            max_leaves: choice.max_leaves,
            min_data_in_leaf: choice.min_data_in_leaf,
            learning_rate: choice.learning_rate,
            offset,
            refit_on_all,
            ..GbmParams::default()
        }
        .check()
    }

    /// Fits one candidate on `x`, `y`.
    fn fit_choice(&self, choice: Choice, x: &FeatureMatrix, y: &[f64], refit_on_all: bool) -> Result<FittedTunedGbm> {
        let (ridge, trees) = if choice.correction == Correction::Ridge {
            let ridge = LinearParams::new(Penalty::RidgeCv).check()?.fit(x, y)?;
            let with = x.with_column(RIDGE_COLUMN, &ridge.predict(x)?)?;
            (Some(ridge), self.params(choice, &with, refit_on_all)?.fit(&with, y)?)
        } else {
            (None, self.params(choice, x, refit_on_all)?.fit(x, y)?)
        };
        Ok(FittedTunedGbm { name: self.name(), columns: x.names().to_vec(), choice, ridge, trees })
    }
}

/// The tuned family in the registry: `gbm-tuned` and `gbm-tuned-q<τ>`.
#[derive(Debug)]
pub struct TunedGbmFamily;

impl Family for TunedGbmFamily {
    type Spec = TunedGbm;
    type Fitted = FittedTunedGbm;

    const NAMES: &'static [&'static str] = &["gbm-tuned", "gbm-tuned-q<τ>"];

    fn parse(text: &str) -> Option<Result<TunedGbm>> {
        let loss = match text.strip_prefix("gbm-tuned")? {
            "" => Loss::Squared,
            rest => {
                let tau = rest.strip_prefix("-q")?;
                match tau.parse::<f64>() {
                    Ok(t) => Loss::Quantile(t),
                    Err(_) => {
                        return Some(Err(Error::InvalidParam {
                            name: "quantile",
                            problem: format!("must be a number in (0, 1), got {tau:?}"),
                        }));
                    }
                }
            }
        };
        Some(TunedGbm::new(loss))
    }

    fn name(spec: &TunedGbm) -> String {
        spec.name()
    }

    fn fit(spec: &TunedGbm, x: &FeatureMatrix, y: &[f64]) -> Result<FittedTunedGbm> {
        spec.fit(x, y)
    }
}

impl Fit for TunedGbm {
    type Fitted = FittedTunedGbm;

    fn fit(&self, x: &FeatureMatrix, y: &[f64]) -> Result<FittedTunedGbm> {
        check_rows(x, y)?;
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i].is_finite()).collect();
        let n = rows.len();
        let x = x.rows(&rows);
        let y: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
        let choice = if n < 80 { DEFAULT_CHOICE } else { self.choose(&x, &y)? };
        self.fit_choice(choice, &x, &y, true)
    }
}

impl TunedGbm {
    /// The nested validation: fit on the first three quarters, score on the last.
    fn choose(&self, x: &FeatureMatrix, y: &[f64]) -> Result<Choice> {
        let n = y.len();
        let cut = n - n / 4;
        let fit_rows: Vec<usize> = (0..cut).collect();
        let val_rows: Vec<usize> = (cut..n).collect();
        let (x_fit, x_val) = (x.rows(&fit_rows), x.rows(&val_rows));
        let (y_fit, y_val) = (&y[..cut], &y[cut..]);
        let score = |choice: Choice| -> Option<f64> {
            let model = self.fit_choice(choice, &x_fit, y_fit, false).ok()?;
            let p = model.predict(&x_val).ok()?;
            let loss: f64 = p.iter().zip(y_val).map(|(p, y)| loss_value(self.loss, y - p)).sum();
            loss.is_finite().then_some(loss)
        };
        let mut best: Option<(f64, Choice)> = None;
        let consider = |choice: Choice, best: &mut Option<(f64, Choice)>| {
            if let Some(loss) = score(choice)
                && best.is_none_or(|(b, _)| loss < b)
            {
                *best = Some((loss, choice));
            }
        };
        let base = Choice { correction: Correction::None, ..DEFAULT_CHOICE };
        let mut corrections = vec![Correction::None];
        if x.column(LAST_DAY).is_some() {
            corrections.push(Correction::LastDay);
        }
        if x.column(SAME_WEEKDAY_LAST_WEEK).is_some() {
            corrections.push(Correction::SameWeekday);
        }
        corrections.push(Correction::Ridge);
        for correction in corrections {
            consider(Choice { correction, ..base }, &mut best);
        }
        let stage1 = best.map_or(DEFAULT_CHOICE, |b| b.1);
        for (max_leaves, min_data_in_leaf) in [(7, 5), (7, 20), (31, 5)] {
            consider(Choice { max_leaves, min_data_in_leaf, ..stage1 }, &mut best);
        }
        let stage2 = best.map_or(stage1, |b| b.1);
        consider(Choice { learning_rate: 0.15, ..stage2 }, &mut best);
        Ok(best.map_or(DEFAULT_CHOICE, |b| b.1))
    }
}

/// A fitted tuned model: the choice, the ridge it corrects (if any) and the trees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedTunedGbm {
    name: String,
    columns: Vec<String>,
    choice: Choice,
    ridge: Option<FittedLinear>,
    trees: FittedGbm,
}

impl FittedTunedGbm {
    /// What the nested validation chose.
    pub fn choice(&self) -> Choice {
        self.choice
    }
}

impl Predict for FittedTunedGbm {
    fn name(&self) -> &str {
        &self.name
    }

    fn feature_names(&self) -> &[String] {
        &self.columns
    }

    fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>> {
        let x = x.select(&self.columns)?;
        match &self.ridge {
            Some(ridge) => self.trees.predict(&x.with_column(RIDGE_COLUMN, &ridge.predict(&x)?)?),
            None => self.trees.predict(&x),
        }
    }

    fn choice(&self) -> Option<String> {
        Some(self.choice.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A weekly cycle on a trend: `last_day` (two days back) misleads, the level is learnable.
    fn data(n: usize) -> (FeatureMatrix, Vec<f64>) {
        let y: Vec<f64> = (0..n).map(|i| 100.0 + if i % 7 < 5 { 50.0 } else { 0.0 }).collect();
        let rows: Vec<[f64; 3]> = (0..n)
            .map(|i| {
                let last = if i >= 2 { y[i - 2] } else { f64::NAN };
                [last, f64::from(u8::from(i % 7 < 5)), (i % 7) as f64]
            })
            .collect();
        let names = vec![LAST_DAY.to_string(), "weekday".into(), "dow".into()];
        (FeatureMatrix::from_rows(names, &rows).expect("matrix"), y)
    }

    #[test]
    fn chooses_deterministically_and_predicts_the_cycle() -> Result<()> {
        let (x, y) = data(400);
        let spec = TunedGbm::new(Loss::Quantile(0.5))?;
        let (a, b) = (spec.fit(&x, &y)?, spec.fit(&x, &y)?);
        assert_eq!(a, b);
        let p = a.predict(&x)?;
        let mae = p.iter().zip(&y).map(|(p, y)| (p - y).abs()).sum::<f64>() / y.len() as f64;
        assert!(mae < 1.0, "mae {mae}, chose {}", a.choice());
        assert!(a.choice.correction != Correction::LastDay, "chose {}", a.choice());
        Ok(())
    }

    #[test]
    fn names_read_back_and_bad_levels_are_refused() {
        assert_eq!(TunedGbmFamily::parse("gbm-tuned").and_then(Result::ok).map(|s| s.name()), Some("gbm-tuned".into()));
        assert_eq!(
            TunedGbmFamily::parse("gbm-tuned-q0.8").and_then(Result::ok).map(|s| s.name()),
            Some("gbm-tuned-q0.8".into())
        );
        assert!(matches!(TunedGbmFamily::parse("gbm-tuned-q2"), Some(Err(_))));
        assert!(TunedGbmFamily::parse("gbm-q0.5").is_none());
    }
}
