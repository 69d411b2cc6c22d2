//! Linear models: ordinary least squares (linfa-linear) and ridge (linfa-elasticnet).
//!
//! Features are standardized on the training rows; a missing value (NaN) is replaced by the
//! training mean of its column, so it adds nothing to the prediction. Constant columns are
//! left out. Targets are standardized too, which makes the ridge penalty independent of the
//! meter's size.
//!
//! | Name | Default | Purpose | Range |
//! | --- | --- | --- | --- |
//! | `penalty` | `None` | `None` for OLS, `Ridge(λ)` for ridge | λ > 0 |

use linfa::Dataset;
use linfa::traits::Fit as _;
use linfa_elasticnet::ElasticNet;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::matrix::FeatureMatrix;
use crate::model::{Fit, Predict, check_rows};
use crate::saved::FittedModel;

/// The penalty of a linear model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Penalty {
    /// Ordinary least squares.
    None,
    /// Ridge: L2 penalty λ on standardized coefficients.
    Ridge(f64),
}

/// Unchecked parameters of a linear model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearParams {
    penalty: Penalty,
}

/// Checked parameters of a linear model, ready to fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidLinearParams {
    penalty: Penalty,
}

impl LinearParams {
    /// Parameters with this penalty.
    pub fn new(penalty: Penalty) -> Self {
        Self { penalty }
    }

    /// Checks the parameters.
    pub fn check(self) -> Result<ValidLinearParams> {
        if let Penalty::Ridge(l) = self.penalty
            && !(l.is_finite() && l > 0.0)
        {
            return Err(Error::InvalidParam {
                name: "lambda",
                problem: format!("must be positive and finite, got {l}"),
            });
        }
        Ok(ValidLinearParams { penalty: self.penalty })
    }
}

/// A fitted linear model, in the original units of its features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedLinear {
    name: String,
    penalty: Penalty,
    columns: Vec<String>,
    mean: Vec<f64>,
    scale: Vec<f64>,
    coef: Vec<f64>,
    y_mean: f64,
    y_scale: f64,
    intercept: f64,
}

impl FittedLinear {
    /// Coefficients per feature column, on standardized features and targets.
    pub fn coefficients(&self) -> impl Iterator<Item = (&str, f64)> {
        self.columns.iter().map(String::as_str).zip(self.coef.iter().copied())
    }
}

impl Fit for ValidLinearParams {
    type Fitted = FittedLinear;

    fn fit(&self, x: &FeatureMatrix, y: &[f64]) -> Result<FittedLinear> {
        check_rows(x, y)?;
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i].is_finite()).collect();
        if rows.len() < 2 {
            return Err(Error::NotEnoughData { needed: 2, found: rows.len() });
        }
        let x = x.rows(&rows);
        let y: Vec<f64> = rows.iter().map(|&i| y[i]).collect();

        // Column statistics on finite values; constant or empty columns are left out.
        let values = x.values();
        let (mut columns, mut mean, mut scale, mut keep) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (j, name) in x.names().iter().enumerate() {
            let col: Vec<f64> = values.column(j).iter().copied().filter(|v| v.is_finite()).collect();
            let (m, s) = mean_std(&col);
            if col.is_empty() || s <= 1e-12 * m.abs().max(1.0) {
                continue;
            }
            columns.push(name.clone());
            mean.push(m);
            scale.push(s);
            keep.push(j);
        }
        let (y_mean, y_std) = mean_std(&y);
        let y_scale = if y_std > 0.0 { y_std } else { 1.0 };
        let z = Array2::from_shape_fn((x.nrows(), keep.len()), |(i, k)| {
            let v = values[[i, keep[k]]];
            if v.is_finite() { (v - mean[k]) / scale[k] } else { 0.0 }
        });
        let t = Array1::from_iter(y.iter().map(|v| (v - y_mean) / y_scale));
        let data = Dataset::new(z, t);

        let (coef, intercept, name) = match self.penalty {
            Penalty::None => {
                let fitted = LinearRegression::new()
                    .fit(&data)
                    .map_err(|e| Error::Fit { model: "ols", reason: e.to_string() })?;
                (fitted.params().to_vec(), fitted.intercept(), "ols")
            }
            Penalty::Ridge(lambda) => {
                let fitted = ElasticNet::ridge()
                    .penalty(lambda)
                    .fit(&data)
                    .map_err(|e| Error::Fit { model: "ridge", reason: e.to_string() })?;
                (fitted.hyperplane().to_vec(), fitted.intercept(), "ridge")
            }
        };
        if coef.iter().any(|c| !c.is_finite()) {
            return Err(Error::Fit {
                model: "ols",
                reason: "non-finite coefficients (collinear features?)".into(),
            });
        }
        Ok(FittedLinear {
            name: name.to_string(),
            penalty: self.penalty,
            columns,
            mean,
            scale,
            coef,
            y_mean,
            y_scale,
            intercept,
        })
    }
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, var.sqrt())
}

impl Predict for FittedLinear {
    fn name(&self) -> &str {
        &self.name
    }

    fn feature_names(&self) -> &[String] {
        &self.columns
    }

    fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>> {
        let x = x.select(&self.columns)?;
        Ok(x.values()
            .rows()
            .into_iter()
            .map(|row| {
                let mut z = self.intercept;
                for (k, &v) in row.iter().enumerate() {
                    if v.is_finite() {
                        z += self.coef[k] * (v - self.mean[k]) / self.scale[k];
                    }
                }
                self.y_mean + self.y_scale * z
            })
            .collect())
    }

    fn to_saved(&self) -> FittedModel {
        FittedModel::Linear(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (FeatureMatrix, Vec<f64>) {
        // y = 3 a − 2 b + 10, exactly, plus a constant column that must be ignored.
        let rows: Vec<[f64; 3]> = (0..40).map(|i| [f64::from(i), f64::from((i * 7) % 11), 5.0]).collect();
        let y = rows.iter().map(|r| 3.0 * r[0] - 2.0 * r[1] + 10.0).collect();
        (FeatureMatrix::from_rows(vec!["a".into(), "b".into(), "c".into()], &rows).expect("matrix"), y)
    }

    #[test]
    fn ols_recovers_an_exact_linear_relation() -> Result<()> {
        let (x, y) = data();
        let fitted = LinearParams::new(Penalty::None).check()?.fit(&x, &y)?;
        for (p, t) in fitted.predict(&x)?.iter().zip(&y) {
            assert!((p - t).abs() < 1e-6, "{p} vs {t}");
        }
        assert_eq!(fitted.feature_names(), ["a", "b"]);
        Ok(())
    }

    #[test]
    fn ridge_shrinks_but_stays_close() -> Result<()> {
        let (x, y) = data();
        let fitted = LinearParams::new(Penalty::Ridge(0.01)).check()?.fit(&x, &y)?;
        let mae: f64 = fitted.predict(&x)?.iter().zip(&y).map(|(p, t)| (p - t).abs()).sum::<f64>() / 40.0;
        assert!(mae < 2.0, "mae {mae}");
        Ok(())
    }

    #[test]
    fn missing_values_count_as_the_training_mean() -> Result<()> {
        let (x, y) = data();
        let fitted = LinearParams::new(Penalty::None).check()?.fit(&x, &y)?;
        let probe = FeatureMatrix::from_rows(vec!["b".into(), "a".into()], &[[f64::NAN, 0.0]])?;
        let mean_b = (0..40).map(|i| f64::from((i * 7) % 11)).sum::<f64>() / 40.0;
        let p = fitted.predict(&probe)?[0];
        assert!((p - (10.0 - 2.0 * mean_b)).abs() < 1e-6, "{p}");
        Ok(())
    }

    #[test]
    fn bad_lambda_is_refused() {
        assert!(LinearParams::new(Penalty::Ridge(0.0)).check().is_err());
        assert!(LinearParams::new(Penalty::Ridge(f64::NAN)).check().is_err());
    }
}
