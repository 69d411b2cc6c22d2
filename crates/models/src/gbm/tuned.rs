//! Boosted trees tuned to the meter: at every fit, a nested time-ordered validation chooses
//! what the trees correct and how they grow, using only the rows the fit is given.
//!
//! The rows are taken to be in time order (as the walk-forward gives them). Of the latest
//! [`TUNING_ROWS`] rows at most, the last quarter is held out; each candidate is fitted on the
//! rows before it and scored there with the model's own loss (squared error, or the pinball
//! loss at τ); the best candidate is then fitted on all rows. The search runs in three stages,
//! each keeping the best so far:
//!
//! 1. what the trees correct ([`Correction`]): nothing, the last known day, the same weekday
//!    last week, or a ridge forecast fitted on the same rows;
//! 2. leaves per tree and rows per leaf: 7 or 31 leaves, 5 or 20 rows;
//! 3. learning rate: 0.05 (at which stages 1 and 2 search) or 0.15.
//!
//! The [`MEMBERS`] best candidates are then fitted on all rows (early stopping on their latest
//! fifth, then the round count refitted on all), and the model forecasts the mean of their
//! forecasts: averaging the few best choices is steadier, refit
//! after refit, than betting on the single best of a noisy validation.
//!
//! Ties keep the earlier candidate, so the choice is deterministic. With too few rows to hold a
//! quarter out (fewer than 80), the defaults of [`crate::gbm::GbmFamily`] are used.

use std::sync::OnceLock;

use rayon::prelude::*;

use serde::{Deserialize, Serialize};

use super::{FittedGbm, GbmParams, Loss, ValidGbmParams, loss_value};
use crate::columns::{LAST_DAY, SAME_WEEKDAY_LAST_WEEK};
use crate::error::{Error, Result};
use crate::linear::{FittedLinear, LinearParams, Penalty};
use crate::matrix::FeatureMatrix;
use crate::traits::{Family, Fit, Predict, check_rows};

/// Rows the nested validation looks at, at most (the latest): the choice is about this meter
/// now, and the cost of tuning stays bounded on long hourly histories.
pub const TUNING_ROWS: usize = 12_000;

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

    fn params(&self, choice: Choice, x: &FeatureMatrix, final_fit: bool) -> Result<ValidGbmParams> {
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
            refit_on_all: final_fit,
            ..GbmParams::default()
        }
        .check()
    }

    /// Fits one candidate's trees on `rows`, with early stopping on their tail: the round
    /// count is refitted on all rows in a final fit, not in the search.
    fn fit_choice(&self, choice: Choice, rows: &Rows<'_>, final_fit: bool) -> Result<FittedGbm> {
        let x = if choice.correction == Correction::Ridge { &rows.with_ridge()?.1 } else { rows.x };
        self.params(choice, x, final_fit)?.fit(x, rows.y)
    }
}

/// Rows to fit on, with the ridge forecast that ridge corrections need fitted at most once.
struct Rows<'a> {
    x: &'a FeatureMatrix,
    y: &'a [f64],
    ridge: OnceLock<(FittedLinear, FeatureMatrix)>,
}

impl<'a> Rows<'a> {
    fn new(x: &'a FeatureMatrix, y: &'a [f64]) -> Self {
        Self { x, y, ridge: OnceLock::new() }
    }

    /// The ridge fitted on these rows, and the rows with its forecast as a column.
    fn with_ridge(&self) -> Result<&(FittedLinear, FeatureMatrix)> {
        if let Some(done) = self.ridge.get() {
            return Ok(done);
        }
        let ridge = LinearParams::new(Penalty::RidgeCv).check()?.fit(self.x, self.y)?;
        let with = self.x.with_column(RIDGE_COLUMN, &ridge.predict(self.x)?)?;
        Ok(self.ridge.get_or_init(|| (ridge, with)))
    }
}

/// `x` with the ridge forecast as a column, when a member corrects it.
fn with_ridge_column(ridge: &FittedLinear, x: &FeatureMatrix) -> Result<FeatureMatrix> {
    x.with_column(RIDGE_COLUMN, &ridge.predict(x)?)
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
        let choices = if n < 80 { vec![DEFAULT_CHOICE] } else { self.choose(&x, &y)? };
        let all = Rows::new(&x, &y);
        if choices.iter().any(|c| c.correction == Correction::Ridge) {
            // Fitted once, before the members share it.
            all.with_ridge()?;
        }
        // The members are independent fits: in parallel, collected in their order.
        let members = choices
            .into_par_iter()
            .map(|choice| Ok(Member { choice, trees: self.fit_choice(choice, &all, true)? }))
            .collect::<Result<_>>()?;
        let ridge = all.ridge.into_inner().map(|(ridge, _)| ridge);
        Ok(FittedTunedGbm { name: self.name(), columns: x.names().to_vec(), ridge, members })
    }
}

impl TunedGbm {
    /// The nested validation: fit on the first three quarters, score on the last; the
    /// [`MEMBERS`] best candidates, best first.
    fn choose(&self, x: &FeatureMatrix, y: &[f64]) -> Result<Vec<Choice>> {
        let n = y.len();
        let from = n.saturating_sub(TUNING_ROWS);
        let cut = n - (n - from) / 4;
        let fit_rows: Vec<usize> = (from..cut).collect();
        let val_rows: Vec<usize> = (cut..n).collect();
        let (x_fit, x_val) = (x.rows(&fit_rows), x.rows(&val_rows));
        let (fit, y_val) = (Rows::new(&x_fit, &y[from..cut]), &y[cut..]);
        // The validation rows with the ridge forecast, made (once) before a stage that needs it.
        let val_with_ridge: OnceLock<Option<FeatureMatrix>> = OnceLock::new();
        let ridge_ready = || {
            val_with_ridge.get_or_init(|| {
                fit.with_ridge().ok().and_then(|(ridge, _)| with_ridge_column(ridge, &x_val).ok())
            });
        };
        let score = |choice: Choice| -> Option<f64> {
            let trees = self.fit_choice(choice, &fit, false).ok()?;
            let x =
                if choice.correction == Correction::Ridge { val_with_ridge.get()?.as_ref()? } else { &x_val };
            let p = trees.predict(x).ok()?;
            let loss: f64 = p.iter().zip(y_val).map(|(p, y)| loss_value(self.loss, y - p)).sum();
            loss.is_finite().then_some(loss)
        };
        // Every candidate scored, in search order; the best so far is the first of the least.
        // A stage's candidates are independent fits, scored in parallel and kept in their order.
        let mut scored: Vec<(f64, Choice)> = Vec::new();
        let mut consider = |stage: Vec<Choice>| {
            let fresh: Vec<Choice> =
                stage.into_iter().filter(|c| !scored.iter().any(|(_, s)| s == c)).collect();
            if fresh.iter().any(|c| c.correction == Correction::Ridge) {
                ridge_ready();
            }
            let losses: Vec<Option<f64>> = fresh.par_iter().map(|&c| score(c)).collect();
            scored.extend(fresh.into_iter().zip(losses).filter_map(|(c, l)| Some((l?, c))));
            scored
                .iter()
                .fold(None, |best: Option<(f64, Choice)>, &(l, c)| match best {
                    Some((b, _)) if b <= l => best,
                    _ => Some((l, c)),
                })
                .map(|(_, c)| c)
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
        let stage1 =
            consider(corrections.into_iter().map(|correction| Choice { correction, ..base }).collect())
                .unwrap_or(DEFAULT_CHOICE);
        let stage2 = consider(
            [(7, 5), (7, 20), (31, 5)]
                .into_iter()
                .map(|(max_leaves, min_data_in_leaf)| Choice { max_leaves, min_data_in_leaf, ..stage1 })
                .collect(),
        )
        .unwrap_or(stage1);
        consider(vec![Choice { learning_rate: 0.15, ..stage2 }]);
        // Best first; ties keep the order of the search.
        scored.sort_by(|a, b| a.0.total_cmp(&b.0));
        let top: Vec<Choice> = scored.into_iter().take(MEMBERS).map(|(_, c)| c).collect();
        Ok(if top.is_empty() { vec![DEFAULT_CHOICE] } else { top })
    }
}

/// How many of the best candidates a tuned model averages.
pub const MEMBERS: usize = 3;

/// One fitted candidate: the choice and its trees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    choice: Choice,
    trees: FittedGbm,
}

/// A fitted tuned model: the best candidates of its nested validation, fitted on all rows,
/// whose forecasts it averages, and the ridge that those correcting a ridge forecast share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedTunedGbm {
    name: String,
    columns: Vec<String>,
    ridge: Option<FittedLinear>,
    members: Vec<Member>,
}

impl FittedTunedGbm {
    /// What the nested validation chose, best first.
    pub fn choices(&self) -> Vec<Choice> {
        self.members.iter().map(|m| m.choice).collect()
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
        let with_ridge = self.ridge.as_ref().map(|r| with_ridge_column(r, &x)).transpose()?;
        let mut sum = vec![0.0; x.nrows()];
        for member in &self.members {
            let rows = match (&with_ridge, member.choice.correction) {
                (Some(with), Correction::Ridge) => with,
                _ => &x,
            };
            for (s, p) in sum.iter_mut().zip(member.trees.predict(rows)?) {
                *s += p;
            }
        }
        let k = self.members.len().max(1) as f64;
        Ok(sum.into_iter().map(|s| s / k).collect())
    }

    fn choice(&self) -> Option<String> {
        let list: Vec<String> = self.members.iter().map(|m| m.choice.to_string()).collect();
        Some(match list.len() {
            1 => list.join(""),
            k => format!("mean of {k}: {}", list.join(" | ")),
        })
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
        assert!(mae < 1.0, "mae {mae}, chose {:?}", a.choices());
        assert!(a.choices()[0].correction != Correction::LastDay, "chose {:?}", a.choices());
        Ok(())
    }

    #[test]
    fn names_read_back_and_bad_levels_are_refused() {
        assert_eq!(
            TunedGbmFamily::parse("gbm-tuned").and_then(Result::ok).map(|s| s.name()),
            Some("gbm-tuned".into())
        );
        assert_eq!(
            TunedGbmFamily::parse("gbm-tuned-q0.8").and_then(Result::ok).map(|s| s.name()),
            Some("gbm-tuned-q0.8".into())
        );
        assert!(matches!(TunedGbmFamily::parse("gbm-tuned-q2"), Some(Err(_))));
        assert!(TunedGbmFamily::parse("gbm-q0.5").is_none());
    }
}
