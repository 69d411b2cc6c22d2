//! Histogram-based gradient-boosted trees, written on ndarray (see ADR 0003 for why no crate,
//! ADR 0010 for how they are made fast).
//!
//! Leaf-wise growth on gradient histograms (at most 255 bins per feature, plus a bin for missing
//! values whose direction is learned; the histograms are exact integer sums of quantized
//! gradients, so a fit gives the same bits on any number of threads; leaf values use the exact
//! gradients), squared-error or quantile (pinball) loss, and early
//! stopping on a time-ordered validation tail: the last `validation_fraction` of the training
//! rows, which are taken to be in time order. The number of rounds found there is then refitted
//! on all rows, so the most recent days also shape the trees. There is no randomness: the same
//! rows give the same model, bit for bit.
//!
//! With `offset`, the trees learn the difference between the target and a feature column (for
//! example `last_day`): trees cannot extrapolate a level they have not seen, a baseline plus a
//! learned correction can.
//!
//! | Name | Default | Purpose | Range |
//! | --- | --- | --- | --- |
//! | `loss` | `Squared` | squared error, or `Quantile(τ)` for the τ-quantile | 0 < τ < 1 |
//! | `learning_rate` | 0.05 | shrinkage of each tree | (0, 1] |
//! | `max_rounds` | 2000 | trees at most | ≥ 1 |
//! | `early_stopping_rounds` | 50 | rounds without improvement on the tail before stopping | ≥ 1 |
//! | `validation_fraction` | 0.2 | share of the (time-ordered) rows held out for stopping | [0, 0.5] |
//! | `max_leaves` | 31 | leaves per tree | ≥ 2 |
//! | `min_data_in_leaf` | 20 | rows per leaf at least | ≥ 1 |
//! | `lambda_l2` | 0 | L2 penalty on leaf values | ≥ 0 |
//! | `max_bins` | 255 | histogram bins per feature (254 finite + missing) | 2 to 255 |
//! | `offset` | none | feature column the trees correct | a column name |
//! | `refit_on_all` | true | refit the early-stopped round count on all rows | |

mod binning;
mod grow;
mod rows;
mod tree;
pub mod tuned;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::matrix::FeatureMatrix;
use crate::traits::{Family, Fit, Predict, check_rows};
use binning::Bins;
use grow::{Growth, grow};
use rows::Rows;
pub use tree::{Node, Tree};

/// The loss the trees minimize.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// Squared error: forecasts the mean.
    Squared,
    /// Pinball loss at τ: forecasts the τ-quantile.
    Quantile(f64),
}

/// Parameters of the boosted trees (unchecked).
#[derive(Debug, Clone, PartialEq)]
pub struct GbmParams {
    /// The loss.
    pub loss: Loss,
    /// Shrinkage of each tree.
    pub learning_rate: f64,
    /// Trees at most.
    pub max_rounds: usize,
    /// Rounds without improvement on the validation tail before stopping.
    pub early_stopping_rounds: usize,
    /// Share of the training rows (the latest) held out for early stopping; 0 disables it.
    pub validation_fraction: f64,
    /// Leaves per tree.
    pub max_leaves: usize,
    /// Rows per leaf at least.
    pub min_data_in_leaf: usize,
    /// L2 penalty on leaf values.
    pub lambda_l2: f64,
    /// Finite histogram bins per feature.
    pub max_bins: usize,
    /// A feature column the trees learn to correct, if any.
    pub offset: Option<String>,
    /// After early stopping, refit the chosen number of rounds on all rows (default), or keep
    /// the model fitted without the validation tail.
    pub refit_on_all: bool,
}

impl Default for GbmParams {
    fn default() -> Self {
        Self {
            loss: Loss::Squared,
            learning_rate: 0.05,
            max_rounds: 2000,
            early_stopping_rounds: 50,
            validation_fraction: 0.2,
            max_leaves: 31,
            min_data_in_leaf: 20,
            lambda_l2: 0.0,
            max_bins: 255,
            offset: None,
            refit_on_all: true,
        }
    }
}

/// Checked parameters, ready to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidGbmParams(GbmParams);

impl GbmParams {
    /// Checks every parameter against its range.
    pub fn check(self) -> Result<ValidGbmParams> {
        let bad = |name, problem: String| Err(Error::InvalidParam { name, problem });
        if let Loss::Quantile(t) = self.loss
            && !(t > 0.0 && t < 1.0)
        {
            return bad("quantile", format!("must be in (0, 1), got {t}"));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 1.0) {
            return bad("learning_rate", format!("must be in (0, 1], got {}", self.learning_rate));
        }
        if self.max_rounds == 0 || self.early_stopping_rounds == 0 {
            return bad("max_rounds", "and early_stopping_rounds must be at least 1".into());
        }
        if !(0.0..=0.5).contains(&self.validation_fraction) {
            return bad(
                "validation_fraction",
                format!("must be in [0, 0.5], got {}", self.validation_fraction),
            );
        }
        if self.max_leaves < 2 || self.min_data_in_leaf == 0 {
            return bad("max_leaves", "must be at least 2 (and min_data_in_leaf at least 1)".into());
        }
        if !(self.lambda_l2 >= 0.0 && self.lambda_l2.is_finite()) {
            return bad("lambda_l2", format!("must be finite and non-negative, got {}", self.lambda_l2));
        }
        if !(2..=255).contains(&self.max_bins) {
            return bad("max_bins", format!("must be in 2..=255, got {}", self.max_bins));
        }
        Ok(ValidGbmParams(self))
    }
}

impl ValidGbmParams {
    /// The recipe's name: `gbm` for squared loss, `gbm-q<τ>` for quantile loss.
    pub fn name(&self) -> String {
        match self.0.loss {
            Loss::Squared => "gbm".to_string(),
            Loss::Quantile(t) => format!("gbm-q{t}"),
        }
    }
}

/// The boosted-tree family in the registry: `gbm` (squared loss) and `gbm-q<τ>` (quantile loss
/// at τ), both at the default parameters and correcting the last known day when the matrix
/// has that column ([`crate::columns::LAST_DAY`]).
#[derive(Debug)]
pub struct GbmFamily;

impl Family for GbmFamily {
    type Spec = ValidGbmParams;
    type Fitted = FittedGbm;

    const NAMES: &'static [&'static str] = &["gbm", "gbm-q<τ>"];

    fn parse(text: &str) -> Option<Result<ValidGbmParams>> {
        let loss = match text {
            "gbm" => Loss::Squared,
            other => {
                let tau = other.strip_prefix("gbm-q")?;
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
        Some(GbmParams { loss, ..GbmParams::default() }.check())
    }

    fn name(spec: &ValidGbmParams) -> String {
        spec.name()
    }

    fn fit(spec: &ValidGbmParams, x: &FeatureMatrix, y: &[f64]) -> Result<FittedGbm> {
        let offset = x.column(crate::columns::LAST_DAY).map(|_| crate::columns::LAST_DAY.to_string());
        ValidGbmParams(GbmParams { offset, ..spec.0.clone() }).fit(x, y)
    }
}

/// A fitted boosted-tree model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedGbm {
    name: String,
    columns: Vec<String>,
    loss: Loss,
    offset: Option<usize>,
    fallback_offset: f64,
    base: f64,
    trees: Vec<Tree>,
}

impl FittedGbm {
    /// Number of trees.
    pub fn rounds(&self) -> usize {
        self.trees.len()
    }

    fn offset_of(&self, row: &[f64]) -> f64 {
        self.offset.map_or(0.0, |j| if row[j].is_finite() { row[j] } else { self.fallback_offset })
    }
}

/// The τ-quantile of `v` (lower interpolation), or the mean for squared loss.
fn location(loss: Loss, v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    match loss {
        Loss::Squared => v.iter().sum::<f64>() / v.len() as f64,
        Loss::Quantile(t) => {
            // The value at rank i of the sorted residuals, found in linear time.
            let i = (((v.len() - 1) as f64 * t).round() as usize).min(v.len() - 1);
            *v.select_nth_unstable_by(i, f64::total_cmp).1
        }
    }
}

fn loss_value(loss: Loss, residual: f64) -> f64 {
    match loss {
        Loss::Squared => residual * residual,
        Loss::Quantile(t) => {
            if residual >= 0.0 {
                t * residual
            } else {
                (t - 1.0) * residual
            }
        }
    }
}

impl ValidGbmParams {
    /// Boosts `rounds` trees (or until the validation rows stop improving) on `fit` rows.
    /// Returns the model and the best number of rounds.
    fn boost(&self, x: &Prepared, fit: &[u32], val: &[u32], rounds: usize) -> (f64, Vec<Tree>, usize) {
        let p = &self.0;
        let mut r: Vec<f64> = fit.iter().map(|&i| x.target[i as usize]).collect();
        let base = location(p.loss, &mut r);
        let n = x.target.len();
        let mut pred = vec![base; n];
        let growth =
            Growth { max_leaves: p.max_leaves, min_data_in_leaf: p.min_data_in_leaf, lambda: p.lambda_l2 };
        let (mut trees, mut best, mut best_loss, mut since) = (Vec::new(), 0, f64::INFINITY, 0);
        let mut rows = Rows::new(&x.binned, x.nfeat, fit);
        for round in 0..rounds {
            rows.set_gradients(|i| match p.loss {
                Loss::Squared => pred[i] - x.target[i],
                Loss::Quantile(t) => {
                    if x.target[i] > pred[i] {
                        -t
                    } else {
                        1.0 - t
                    }
                }
            });
            let mut leaf_value = |ids: &[u32], grad: &[f64]| -> f64 {
                let value = match p.loss {
                    Loss::Squared => -grad.iter().sum::<f64>() / (ids.len() as f64 + p.lambda_l2),
                    Loss::Quantile(_) => {
                        let mut res: Vec<f64> =
                            ids.iter().map(|&i| x.target[i as usize] - pred[i as usize]).collect();
                        location(p.loss, &mut res)
                    }
                };
                value * p.learning_rate
            };
            let grown = grow(&x.bins, &mut rows, growth, &mut leaf_value);
            // The training rows take their leaf's value, the validation rows are routed on
            // their bins: the same values as the tree gives on raw features, without walking it.
            for (i, v) in grown.training_values(&rows) {
                pred[i] += v;
            }
            for &i in val {
                let i = i as usize;
                pred[i] += grown.predict_binned(&x.bins, &x.binned[i * x.nfeat..(i + 1) * x.nfeat]);
            }
            trees.push(grown.tree);
            if !val.is_empty() {
                let l: f64 =
                    val.iter().map(|&i| loss_value(p.loss, x.target[i as usize] - pred[i as usize])).sum();
                if l < best_loss {
                    (best_loss, best, since) = (l, round + 1, 0);
                } else {
                    since += 1;
                    if since >= p.early_stopping_rounds {
                        break;
                    }
                }
            } else {
                best = round + 1;
            }
        }
        trees.truncate(best);
        (base, trees, best)
    }
}

/// Training rows in the shapes the booster needs.
struct Prepared {
    nfeat: usize,
    bins: Bins,
    /// `rows × features`, row-major.
    binned: Vec<u8>,
    target: Vec<f64>,
}

impl Fit for ValidGbmParams {
    type Fitted = FittedGbm;

    fn fit(&self, x: &FeatureMatrix, y: &[f64]) -> Result<FittedGbm> {
        check_rows(x, y)?;
        let p = &self.0;
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i].is_finite()).collect();
        if rows.len() < 2 * p.min_data_in_leaf {
            return Err(Error::NotEnoughData { needed: 2 * p.min_data_in_leaf, found: rows.len() });
        }
        if rows.len() > rows::MAX_ROWS {
            return Err(Error::InvalidParam {
                name: "rows",
                problem: format!(
                    "{} training rows is more than one booster takes ({})",
                    rows.len(),
                    rows::MAX_ROWS
                ),
            });
        }
        let x = x.rows(&rows);
        let offset = p.offset.as_ref().map(|name| x.require(name).map(|_| ())).transpose()?;
        let offset_col = p.offset.as_ref().and_then(|name| x.names().iter().position(|n| n == name));
        let _ = offset;
        let values = x.values();
        let fallback_offset = offset_col.map_or(0.0, |j| {
            let v: Vec<f64> = values.column(j).iter().copied().filter(|v| v.is_finite()).collect();
            if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 }
        });
        let target: Vec<f64> = rows
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let off = offset_col.map_or(0.0, |j| {
                    let v = values[[k, j]];
                    if v.is_finite() { v } else { fallback_offset }
                });
                y[i] - off
            })
            .collect();
        let bins = Bins::fit(values, p.max_bins);
        let prepared = Prepared { nfeat: x.ncols(), binned: bins.apply(values), bins, target };
        let n = rows.len();
        let n_val = ((n as f64) * p.validation_fraction) as usize;
        let all: Vec<u32> = (0..u32::try_from(n).unwrap_or(u32::MAX)).collect();
        // Boosting runs on a thread of rayon's pool (where the walk-forward already runs its
        // fits), so that the histogram jobs a fit splits off are taken up by an idle thread or
        // done by this one, never waited for.
        let (base, trees) = rayon::scope(|_| {
            if n_val >= p.min_data_in_leaf && n - n_val >= 2 * p.min_data_in_leaf {
                let (fit, val) = all.split_at(n - n_val);
                let (base, trees, rounds) = self.boost(&prepared, fit, val, p.max_rounds);
                if p.refit_on_all {
                    let (base, trees, _) = self.boost(&prepared, &all, &[], rounds.max(1));
                    (base, trees)
                } else {
                    (base, trees)
                }
            } else {
                let (base, trees, _) = self.boost(&prepared, &all, &[], p.max_rounds.min(200));
                (base, trees)
            }
        });
        Ok(FittedGbm {
            name: self.name(),
            columns: x.names().to_vec(),
            loss: p.loss,
            offset: offset_col,
            fallback_offset,
            base,
            trees,
        })
    }
}

impl Predict for FittedGbm {
    fn name(&self) -> &str {
        &self.name
    }

    fn feature_names(&self) -> &[String] {
        &self.columns
    }

    fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>> {
        let x = x.select(&self.columns)?;
        let mut row = vec![0.0; self.columns.len()];
        Ok(x.values()
            .rows()
            .into_iter()
            .map(|r| {
                for (dst, src) in row.iter_mut().zip(r.iter()) {
                    *dst = *src;
                }
                self.offset_of(&row) + self.base + self.trees.iter().map(|t| t.predict_row(&row)).sum::<f64>()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> (FeatureMatrix, Vec<f64>) {
        // y = 10·[a > 0.5] + 3·b + noise-free, with some missing b.
        let rows: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let a = ((i * 37) % 101) as f64 / 100.0;
                let b = if i % 17 == 0 { f64::NAN } else { ((i * 13) % 29) as f64 / 29.0 };
                [a, b]
            })
            .collect();
        let y = rows
            .iter()
            .map(|r| 10.0 * f64::from(u8::from(r[0] > 0.5)) + if r[1].is_finite() { 3.0 * r[1] } else { 0.0 })
            .collect();
        (FeatureMatrix::from_rows(vec!["a".into(), "b".into()], &rows).expect("matrix"), y)
    }

    #[test]
    fn learns_a_step_and_a_slope() -> Result<()> {
        let (x, y) = data(600);
        let model = GbmParams { min_data_in_leaf: 5, ..GbmParams::default() }.check()?.fit(&x, &y)?;
        let p = model.predict(&x)?;
        let mae = p.iter().zip(&y).map(|(a, b)| (a - b).abs()).sum::<f64>() / y.len() as f64;
        assert!(mae < 0.3, "mae {mae}");
        Ok(())
    }

    #[test]
    fn is_deterministic_and_survives_serde_bit_for_bit() -> Result<()> {
        let (x, y) = data(400);
        let params = GbmParams { min_data_in_leaf: 5, ..GbmParams::default() }.check()?;
        let (a, b) = (params.fit(&x, &y)?, params.fit(&x, &y)?);
        assert_eq!(a, b);
        let json = serde_json::to_string(&a).map_err(|e| Error::Shape(e.to_string()))?;
        let c: FittedGbm = serde_json::from_str(&json).map_err(|e| Error::Shape(e.to_string()))?;
        let (pa, pc) = (a.predict(&x)?, c.predict(&x)?);
        assert!(pa.iter().zip(&pc).all(|(u, v)| u.to_bits() == v.to_bits()));
        Ok(())
    }

    #[test]
    fn one_thread_or_two_give_the_same_bits() -> Result<()> {
        // Large enough for the split jobs to be cut into feature groups.
        let n = 40_000;
        let rows: Vec<[f64; 4]> = (0..n)
            .map(|i| {
                let a = ((i * 37) % 1013) as f64;
                [
                    a,
                    (i % 7) as f64,
                    if i % 11 == 0 { f64::NAN } else { ((i * 13) % 97) as f64 },
                    (i % 3) as f64,
                ]
            })
            .collect();
        let y: Vec<f64> = rows
            .iter()
            .map(|r| r[0] / 100.0 + 3.0 * r[1] + if r[2].is_nan() { 1.0 } else { r[2] / 50.0 })
            .collect();
        let x = FeatureMatrix::from_rows(vec!["a".into(), "b".into(), "c".into(), "d".into()], &rows)?;
        let params = GbmParams { max_rounds: 30, ..GbmParams::default() }.check()?;
        let fit_on = |threads: usize| -> Result<FittedGbm> {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| Error::Shape(e.to_string()))?;
            pool.install(|| params.fit(&x, &y))
        };
        let (one, two) = (fit_on(1)?, fit_on(2)?);
        assert_eq!(one, two);
        assert!(one.rounds() > 10);
        Ok(())
    }

    #[test]
    fn quantile_loss_brackets_the_data() -> Result<()> {
        // Same features, noisy target: the 0.9 quantile lies above ~90 % of the targets.
        let n = 2000;
        let rows: Vec<[f64; 1]> = (0..n).map(|i| [(i % 10) as f64]).collect();
        let y: Vec<f64> = (0..n).map(|i| (i % 10) as f64 + ((i * 7919) % 100) as f64 / 10.0).collect();
        let x = FeatureMatrix::from_rows(vec!["k".into()], &rows)?;
        let model = GbmParams {
            loss: Loss::Quantile(0.9),
            validation_fraction: 0.0,
            max_rounds: 300,
            ..GbmParams::default()
        }
        .check()?
        .fit(&x, &y)?;
        let p = model.predict(&x)?;
        let below = p.iter().zip(&y).filter(|(q, t)| t <= q).count() as f64 / n as f64;
        assert!((below - 0.9).abs() < 0.03, "coverage {below}");
        Ok(())
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(GbmParams { learning_rate: 0.0, ..GbmParams::default() }.check().is_err());
        assert!(GbmParams { loss: Loss::Quantile(1.0), ..GbmParams::default() }.check().is_err());
        assert!(GbmParams { max_bins: 300, ..GbmParams::default() }.check().is_err());
    }
}
