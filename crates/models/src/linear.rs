//! Linear models: ordinary least squares and ridge, both solved by linfa-linear.
//!
//! Features are standardized on the training rows; a missing value (NaN) is replaced by the
//! training mean of its column, so it adds nothing to the prediction. Constant columns are
//! left out. Targets are standardized too, which makes the ridge penalty independent of the
//! meter's size.
//!
//! Ridge is solved exactly as least squares on the standardized rows augmented with
//! `√(nλ)·I`, which minimizes `‖t − Zβ‖²/(2n) + λ‖β‖²/2`; with [`Penalty::RidgeCv`], λ is chosen
//! from a grid by the error on the last fifth of the training rows (rows are taken to be in time
//! order), then the model is refitted on all rows.
//!
//! | Name | Default | Purpose | Range |
//! | --- | --- | --- | --- |
//! | `penalty` | `None` | `None` for OLS, `Ridge(λ)` for ridge, `RidgeCv` to choose λ | λ > 0 |

use linfa::Dataset;
use linfa::traits::Fit as _;
use linfa_linalg::cholesky::SolveC;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::matrix::FeatureMatrix;
use crate::traits::{Family, Fit, Predict, check_rows};

/// The penalty of a linear model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Penalty {
    /// Ordinary least squares.
    None,
    /// Ridge: L2 penalty λ on standardized coefficients.
    Ridge(f64),
    /// Ridge with λ chosen from [`RIDGE_GRID`] on a time-ordered validation tail.
    RidgeCv,
}

/// The λ values [`Penalty::RidgeCv`] chooses from.
pub const RIDGE_GRID: [f64; 6] = [1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 1.0];

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

impl ValidLinearParams {
    /// The recipe's name: `ols`, `ridge` (λ chosen on a validation tail) or `ridge-<λ>`.
    pub fn name(&self) -> String {
        match self.penalty {
            Penalty::None => "ols".to_string(),
            Penalty::RidgeCv => "ridge".to_string(),
            Penalty::Ridge(lambda) => format!("ridge-{lambda}"),
        }
    }
}

/// The linear family in the registry: `ols` (or `linear`), `ridge`, `ridge-<λ>`.
#[derive(Debug)]
pub struct LinearFamily;

impl Family for LinearFamily {
    type Spec = ValidLinearParams;
    type Fitted = FittedLinear;

    const NAMES: &'static [&'static str] = &["ols", "ridge", "ridge-<λ>"];

    fn parse(text: &str) -> Option<Result<ValidLinearParams>> {
        let penalty = match text {
            "ols" | "linear" => Penalty::None,
            "ridge" => Penalty::RidgeCv,
            other => {
                let lambda = other.strip_prefix("ridge-")?;
                match lambda.parse::<f64>() {
                    Ok(l) => Penalty::Ridge(l),
                    Err(_) => {
                        return Some(Err(Error::InvalidParam {
                            name: "lambda",
                            problem: format!("must be a number, got {lambda:?}"),
                        }));
                    }
                }
            }
        };
        Some(LinearParams::new(penalty).check())
    }

    fn name(spec: &ValidLinearParams) -> String {
        spec.name()
    }

    fn fit(spec: &ValidLinearParams, x: &FeatureMatrix, y: &[f64]) -> Result<FittedLinear> {
        spec.fit(x, y)
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
    /// Degree-day bases learned on the training rows (none without temperature columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    degree_days: Option<DegreeDayBases>,
}

/// Heating degree-day bases a linear fit chooses from, °C.
pub const HEATING_BASES_C: [f64; 7] = [12.0, 14.0, 15.0, 16.0, 17.0, 18.0, 20.0];
/// Cooling degree-day bases a linear fit chooses from, °C.
pub const COOLING_BASES_C: [f64; 5] = [18.0, 20.0, 22.0, 24.0, 26.0];

/// Degree-day bases learned per meter: when the matrix has `hdd`, `cdd` and a temperature
/// column (`temp_mean`, else `temp`), a linear fit recomputes `hdd = (base − t)⁺` and
/// `cdd = (t − base)⁺` with the bases of [`HEATING_BASES_C`] and [`COOLING_BASES_C`] that
/// forecast the last fifth of the training rows best when fitted on the rows before it
/// (absolute error; heating first, then cooling; the fixed bases 15 and 22 °C are kept unless
/// another does strictly better), and prediction uses the same bases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DegreeDayBases {
    /// The temperature column the degrees are computed from.
    pub temperature: String,
    /// Heating base, °C.
    pub heating_c: f64,
    /// Cooling base, °C.
    pub cooling_c: f64,
}

const HDD: &str = "hdd";
const CDD: &str = "cdd";

impl DegreeDayBases {
    fn degrees(&self, t: f64) -> [f64; 2] {
        if t.is_nan() {
            return [f64::NAN; 2];
        }
        [(self.heating_c - t).max(0.0), (t - self.cooling_c).max(0.0)]
    }

    /// `x` with its `hdd` and `cdd` columns recomputed at these bases.
    fn apply(&self, x: &FeatureMatrix) -> Result<FeatureMatrix> {
        let names = x.names();
        let (Some(jt), Some(jh), Some(jc)) = (
            names.iter().position(|n| n == &self.temperature),
            names.iter().position(|n| n == HDD),
            names.iter().position(|n| n == CDD),
        ) else {
            return Ok(x.clone());
        };
        let mut values = x.values().to_owned();
        for mut row in values.rows_mut() {
            let [h, c] = self.degrees(row[jt]);
            row[jh] = h;
            row[jc] = c;
        }
        FeatureMatrix::new(names.to_vec(), values)
    }

    /// The bases that fit `y` best on `x`, if `x` has the columns for them.
    fn learn(x: &FeatureMatrix, y: &[f64]) -> Result<Option<Self>> {
        let names = x.names();
        let temperature = ["temp_mean", "temp"].into_iter().find(|n| names.iter().any(|m| m == n));
        let (Some(temperature), true, true) =
            (temperature, names.iter().any(|n| n == HDD), names.iter().any(|n| n == CDD))
        else {
            return Ok(None);
        };
        let temp: Vec<f64> = x.require(temperature)?.to_vec();
        if temp.iter().all(|t| t.is_nan()) {
            return Ok(None);
        }
        // The other columns, standardized once; each candidate adds its two degree columns,
        // is fitted on the first four fifths of the rows (in time order) and scored by its
        // absolute error on the last fifth, as ridge chooses λ.
        let n = y.len();
        let cut = n - n / 5;
        if n / 5 < 10 {
            return Ok(None);
        }
        let keep: Vec<String> = names.iter().filter(|n| *n != HDD && *n != CDD).cloned().collect();
        let base = Design::of(&x.select(&keep)?);
        let (y_mean, y_std) = mean_std(y);
        let t = Array1::from_iter(y.iter().map(|v| (v - y_mean) / if y_std > 0.0 { y_std } else { 1.0 }));
        let (z_fit, t_fit) = (base.z.slice(ndarray::s![..cut, ..]), t.slice(ndarray::s![..cut]));
        let gram = z_fit.t().dot(&z_fit);
        let zt = z_fit.t().dot(&t_fit);
        let error = |bases: &Self| -> Option<f64> {
            let extra: Vec<Array1<f64>> = (0..2)
                .filter_map(|k| {
                    let col: Vec<f64> = temp.iter().map(|&v| bases.degrees(v)[k]).collect();
                    let finite: Vec<f64> = col[..cut].iter().copied().filter(|v| v.is_finite()).collect();
                    let (m, s) = mean_std(&finite);
                    (s > 1e-12 * m.abs().max(1.0)).then(|| {
                        Array1::from_iter(col.iter().map(|v| if v.is_finite() { (v - m) / s } else { 0.0 }))
                    })
                })
                .collect();
            let (p, k) = (gram.nrows(), extra.len());
            let mut g = Array2::<f64>::zeros((p + k, p + k));
            g.slice_mut(ndarray::s![..p, ..p]).assign(&gram);
            let mut b = Array1::<f64>::zeros(p + k);
            b.slice_mut(ndarray::s![..p]).assign(&zt);
            for (a, col) in extra.iter().enumerate() {
                let fit = col.slice(ndarray::s![..cut]);
                let cross = z_fit.t().dot(&fit);
                g.slice_mut(ndarray::s![..p, p + a]).assign(&cross);
                g.slice_mut(ndarray::s![p + a, ..p]).assign(&cross);
                for (c, other) in extra.iter().enumerate() {
                    g[[p + a, p + c]] = fit.dot(&other.slice(ndarray::s![..cut]));
                }
                b[p + a] = fit.dot(&t_fit);
            }
            let beta = Array1::from(ridge(&g, &b, cut, 1e-6).ok()?);
            let mut err = 0.0;
            for i in cut..n {
                let mut pred = base.z.row(i).dot(&beta.slice(ndarray::s![..p]));
                for (a, col) in extra.iter().enumerate() {
                    pred += beta[p + a] * col[i];
                }
                err += (pred - t[i]).abs();
            }
            err.is_finite().then_some(err)
        };
        let mut best = Self { temperature: temperature.to_string(), heating_c: 15.0, cooling_c: 22.0 };
        let mut best_error = error(&best).unwrap_or(f64::INFINITY);
        for heating_c in HEATING_BASES_C {
            let candidate = Self { heating_c, ..best.clone() };
            if let Some(e) = error(&candidate).filter(|e| *e < best_error) {
                (best, best_error) = (candidate, e);
            }
        }
        for cooling_c in COOLING_BASES_C {
            let candidate = Self { cooling_c, ..best.clone() };
            if let Some(e) = error(&candidate).filter(|e| *e < best_error) {
                (best, best_error) = (candidate, e);
            }
        }
        Ok(Some(best))
    }
}

/// Standardized columns of a matrix: constant, empty and duplicate columns left out, a missing
/// value counted as its column's mean.
struct Design {
    columns: Vec<String>,
    mean: Vec<f64>,
    scale: Vec<f64>,
    z: Array2<f64>,
}

impl Design {
    fn of(x: &FeatureMatrix) -> Self {
        let values = x.values();
        let (mut columns, mut mean, mut scale, mut keep) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut signatures: Vec<f64> = Vec::new();
        let standard = |j: usize, m: f64, s: f64, i: usize| {
            let v = values[[i, j]];
            if v.is_finite() { (v - m) / s } else { 0.0 }
        };
        for (j, name) in x.names().iter().enumerate() {
            let col: Vec<f64> = values.column(j).iter().copied().filter(|v| v.is_finite()).collect();
            let (m, s) = mean_std(&col);
            if col.is_empty() || s <= 1e-12 * m.abs().max(1.0) {
                continue;
            }
            // A column equal (after standardizing) to one already kept adds nothing and makes
            // least squares singular: daily weather gives equal daily mean, minimum and maximum.
            // A weighted sum screens the candidates; equal ones are compared value by value.
            let signature: f64 = (0..x.nrows()).map(|i| standard(j, m, s, i) * ((i % 97) as f64 + 1.0)).sum();
            let duplicate =
                keep.iter().zip(mean.iter().zip(&scale)).zip(&signatures).any(|((&k, (&mk, &sk)), &sig)| {
                    (sig - signature).abs() <= 1e-6 * x.nrows() as f64
                        && (0..x.nrows())
                            .all(|i| (standard(j, m, s, i) - standard(k, mk, sk, i)).abs() <= 1e-9)
                });
            if duplicate {
                continue;
            }
            columns.push(name.clone());
            mean.push(m);
            scale.push(s);
            keep.push(j);
            signatures.push(signature);
        }
        let z =
            Array2::from_shape_fn((x.nrows(), keep.len()), |(i, k)| standard(keep[k], mean[k], scale[k], i));
        Self { columns, mean, scale, z }
    }
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

        let degree_days = DegreeDayBases::learn(&x, &y)?;
        let x = match &degree_days {
            Some(bases) => bases.apply(&x)?,
            None => x,
        };
        let Design { columns, mean, scale, z } = Design::of(&x);
        let (y_mean, y_std) = mean_std(&y);
        let y_scale = if y_std > 0.0 { y_std } else { 1.0 };
        let t = Array1::from_iter(y.iter().map(|v| (v - y_mean) / y_scale));

        let lambda = match self.penalty {
            Penalty::None => 0.0,
            Penalty::Ridge(lambda) => lambda,
            Penalty::RidgeCv => choose_lambda(&z, &t)?,
        };
        let (coef, intercept) = solve(&z, &t, lambda)?;
        let penalty = if lambda > 0.0 { Penalty::Ridge(lambda) } else { Penalty::None };
        if coef.iter().any(|c| !c.is_finite()) {
            return Err(Error::Fit {
                model: "ols",
                reason: "non-finite coefficients (collinear features?)".into(),
            });
        }
        Ok(FittedLinear {
            name: self.name(),
            penalty,
            columns,
            mean,
            scale,
            coef,
            y_mean,
            y_scale,
            intercept,
            degree_days,
        })
    }
}

/// Least squares of `t` on `z`: OLS (with intercept) by linfa-linear when `lambda` is 0; ridge
/// otherwise, from the normal equations `(ZᵀZ + nλI)β = Zᵀt` solved by Cholesky (features and
/// targets are centred, so no intercept).
fn solve(z: &Array2<f64>, t: &Array1<f64>, lambda: f64) -> Result<(Vec<f64>, f64)> {
    if lambda <= 0.0 {
        let fitted = LinearRegression::new()
            .fit(&Dataset::new(z.clone(), t.clone()))
            .map_err(|e| Error::Fit { model: "ols", reason: e.to_string() })?;
        return Ok((fitted.params().to_vec(), fitted.intercept()));
    }
    Ok((ridge(&z.t().dot(z), &z.t().dot(t), z.nrows(), lambda)?, 0.0))
}

/// Ridge coefficients from the Gram matrix `ZᵀZ` and `Zᵀt` of `n` rows.
fn ridge(gram: &Array2<f64>, zt: &Array1<f64>, n: usize, lambda: f64) -> Result<Vec<f64>> {
    let mut a = gram.clone();
    for j in 0..a.nrows() {
        a[[j, j]] += n as f64 * lambda;
    }
    let b = zt.clone().insert_axis(ndarray::Axis(1));
    let beta = a.solvec(&b).map_err(|e| Error::Fit { model: "ridge", reason: e.to_string() })?;
    Ok(beta.column(0).to_vec())
}

/// The λ of [`RIDGE_GRID`] with the least absolute error on the last fifth of the rows, fitted
/// on the rows before it (on standardized, centred data).
fn choose_lambda(z: &Array2<f64>, t: &Array1<f64>) -> Result<f64> {
    let n = z.nrows();
    let cut = n - n / 5;
    if n / 5 < 5 || cut < 10 {
        return Ok(RIDGE_GRID[2]);
    }
    let (z_fit, z_val) = (z.slice(ndarray::s![..cut, ..]), z.slice(ndarray::s![cut.., ..]));
    let (t_fit, t_val) = (t.slice(ndarray::s![..cut]), t.slice(ndarray::s![cut..]));
    let (gram, zt) = (z_fit.t().dot(&z_fit), z_fit.t().dot(&t_fit));
    let mut best = (f64::INFINITY, RIDGE_GRID[2]);
    for lambda in RIDGE_GRID {
        let coef = Array1::from(ridge(&gram, &zt, cut, lambda)?);
        let err: f64 = (z_val.dot(&coef) - t_val).mapv(f64::abs).sum();
        if err < best.0 {
            best = (err, lambda);
        }
    }
    Ok(best.1)
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
        let x = match &self.degree_days {
            Some(bases) => bases.apply(x)?.select(&self.columns)?,
            None => x.select(&self.columns)?,
        };
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
    fn degree_day_bases_are_learned_from_the_training_rows() -> Result<()> {
        // Heating load below 17 °C, cooling above 24 °C; the columns come at the fixed bases.
        let names = ["temp_mean", "hdd", "cdd"].map(String::from).to_vec();
        // Temperatures spread over the rows, so that the validation tail sees both regimes.
        let rows: Vec<[f64; 3]> = (0..120)
            .map(|i| {
                let t = -5.0 + f64::from((i * 37) % 120) * 0.3;
                [t, (15.0 - t).max(0.0), (t - 22.0).max(0.0)]
            })
            .collect();
        let y: Vec<f64> = rows
            .iter()
            .map(|r| 100.0 + 8.0 * (17.0 - r[0]).max(0.0) + 5.0 * (r[0] - 24.0).max(0.0))
            .collect();
        let x = FeatureMatrix::from_rows(names, &rows)?;
        let model = LinearParams::new(Penalty::None).check()?.fit(&x, &y)?;
        let bases = model.degree_days.clone().expect("bases");
        assert_eq!((bases.heating_c, bases.cooling_c), (17.0, 24.0));
        let p = model.predict(&x)?;
        assert!(p.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-6));
        // An unknown temperature gives unknown degrees, which count as the training mean.
        let unknown = FeatureMatrix::from_rows(x.names().to_vec(), &[[f64::NAN, f64::NAN, f64::NAN]])?;
        assert!(model.predict(&unknown)?[0].is_finite());
        Ok(())
    }

    #[test]
    fn bad_lambda_is_refused() {
        assert!(LinearParams::new(Penalty::Ridge(0.0)).check().is_err());
        assert!(LinearParams::new(Penalty::Ridge(f64::NAN)).check().is_err());
    }
}
