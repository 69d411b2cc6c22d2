//! Random forests (smartcore's `RandomForestRegressor`): `forest`, 100 bootstrapped trees of at
//! least 5 rows per leaf, each split among a random third of the features, seed 0.
//!
//! Bagging averages deep trees grown on resamples, where boosting adds shallow corrections:
//! on a few hundred daily rows (a household's gas meter) it overfits less than the booster, and
//! on the GRDF Gazpar meter it is vader's best model (ADR 0014). smartcore's trees take no
//! missing value: a missing feature is replaced by its column's mean on the training rows (kept
//! in the model, so prediction does the same), and columns constant on the training rows are
//! left out.
//!
//! ```
//! use vader_models::{FeatureMatrix, ModelSpec};
//!
//! let rows: Vec<[f64; 2]> = (0..60).map(|i| [f64::from(i), f64::from(i % 7)]).collect();
//! let y: Vec<f64> = rows.iter().map(|r| 2.0 * r[0] + r[1]).collect();
//! let x = FeatureMatrix::from_rows(vec!["t".into(), "weekday".into()], &rows)?;
//! let model = ModelSpec::named("forest")?.fit(&x, &y)?;
//! let p = model.as_predictor().predict(&x)?;
//! assert!((p[30] - y[30]).abs() < 10.0);
//! # Ok::<(), vader_models::Error>(())
//! ```

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{RandomForestRegressor, RandomForestRegressorParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;

use crate::error::{Error, Result};
use crate::matrix::FeatureMatrix;
use crate::traits::{Family, Predict, check_rows};

/// Trees in a forest.
pub const TREES: usize = 100;
/// Fewest training rows in a leaf.
pub const MIN_ROWS_PER_LEAF: usize = 5;
/// Fewest training rows a forest is fitted on.
pub const MIN_ROWS: usize = 20;

/// The recipe: a forest of [`TREES`] trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForestParams;

/// The forest family in the registry: `forest`.
#[derive(Debug)]
pub struct ForestFamily;

type Forest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

/// A fitted forest: its columns, the fill of each, and smartcore's trees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedForest {
    name: String,
    columns: Vec<String>,
    fill: Vec<f64>,
    forest: Arc<Forest>,
}

impl Family for ForestFamily {
    type Spec = ForestParams;
    type Fitted = FittedForest;

    const NAMES: &'static [&'static str] = &["forest"];

    fn parse(text: &str) -> Option<Result<ForestParams>> {
        (text == "forest").then_some(Ok(ForestParams))
    }

    fn name(_: &ForestParams) -> String {
        "forest".into()
    }

    fn fit(_: &ForestParams, x: &FeatureMatrix, y: &[f64]) -> Result<FittedForest> {
        check_rows(x, y)?;
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i].is_finite()).collect();
        if rows.len() < MIN_ROWS {
            return Err(Error::NotEnoughData { needed: MIN_ROWS, found: rows.len() });
        }
        let train = x.rows(&rows);
        let values = train.values();
        let mut columns = Vec::new();
        let mut fill = Vec::new();
        for (j, name) in train.names().iter().enumerate() {
            let finite: Vec<f64> = values.column(j).iter().copied().filter(|v| v.is_finite()).collect();
            if finite.windows(2).any(|w| w[0] != w[1]) {
                columns.push(name.clone());
                fill.push(finite.iter().sum::<f64>() / finite.len() as f64);
            }
        }
        let target: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
        let matrix = dense(&train, &columns, &fill)?;
        let params = RandomForestRegressorParameters::default()
            .with_n_trees(TREES)
            .with_min_samples_leaf(MIN_ROWS_PER_LEAF)
            .with_m(columns.len().div_ceil(3).max(1))
            .with_seed(0);
        let forest = Forest::fit(&matrix, &target, params).map_err(|e| fit_error(&e))?;
        Ok(FittedForest { name: "forest".into(), columns, fill, forest: Arc::new(forest) })
    }
}

fn fit_error(e: &dyn std::fmt::Display) -> Error {
    Error::Fit { model: "forest", reason: e.to_string() }
}

/// The rows of `x`, columns `columns` in that order, missing values replaced by `fill`.
fn dense(x: &FeatureMatrix, columns: &[String], fill: &[f64]) -> Result<DenseMatrix<f64>> {
    let x = x.select(columns)?;
    let v = x.values();
    let mut values = Vec::with_capacity(x.nrows() * columns.len());
    for row in v.rows() {
        for (a, f) in row.iter().zip(fill) {
            values.push(if a.is_finite() { *a } else { *f });
        }
    }
    DenseMatrix::new(x.nrows(), columns.len(), values, false).map_err(|e| fit_error(&e))
}

impl Predict for FittedForest {
    fn name(&self) -> &str {
        &self.name
    }

    fn feature_names(&self) -> &[String] {
        &self.columns
    }

    fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>> {
        if x.nrows() == 0 {
            return Ok(Vec::new());
        }
        let matrix = dense(x, &self.columns, &self.fill)?;
        self.forest.predict(&matrix).map_err(|e| fit_error(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::ModelSpec;

    fn table() -> Result<(FeatureMatrix, Vec<f64>)> {
        let rows: Vec<[f64; 3]> = (0..200)
            .map(|i| [f64::from(i % 31), f64::from(i % 7), if i % 13 == 0 { f64::NAN } else { 1.0 }])
            .collect();
        let y: Vec<f64> = rows.iter().map(|r| 3.0 * r[0] + 10.0 * r[1]).collect();
        Ok((FeatureMatrix::from_rows(vec!["a".into(), "b".into(), "constant".into()], &rows)?, y))
    }

    #[test]
    fn a_forest_is_deterministic_skips_constant_columns_and_survives_a_model_file() -> Result<()> {
        let (x, y) = table()?;
        let spec = ModelSpec::named("forest")?;
        let (first, second) = (spec.fit(&x, &y)?, spec.fit(&x, &y)?);
        assert_eq!(first, second, "same rows and seed, same forest");
        assert_eq!(first.as_predictor().feature_names(), ["a", "b"]);
        let p = first.as_predictor().predict(&x)?;
        let mae = |f: &dyn Fn(usize) -> f64| {
            (0..y.len()).map(|i| (f(i) - y[i]).abs()).sum::<f64>() / y.len() as f64
        };
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let (forest, flat) = (mae(&|i| p[i]), mae(&|_| mean));
        assert!(forest < 0.5 * flat, "in-sample MAE {forest} against {flat} for the mean");
        let text = serde_json::to_string(&first).map_err(|e| Error::Shape(e.to_string()))?;
        let back: crate::registry::FittedModel =
            serde_json::from_str(&text).map_err(|e| Error::Shape(e.to_string()))?;
        assert_eq!(back.as_predictor().predict(&x)?, p, "the same predictions after a round trip");
        Ok(())
    }

    #[test]
    fn too_few_rows_is_an_error() -> Result<()> {
        let (x, y) = table()?;
        let few: Vec<usize> = (0..10).collect();
        let short: Vec<f64> = few.iter().map(|&i| y[i]).collect();
        let err = ModelSpec::named("forest")?.fit(&x.rows(&few), &short);
        assert!(matches!(err, Err(Error::NotEnoughData { needed: 20, found: 10 })));
        Ok(())
    }
}
