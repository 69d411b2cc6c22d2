//! smartcore's elastic net in vader's backtest, side by side with vader's own models (and
//! `forest`, smartcore's random forest, a family of the model crate) on the same rows, refits
//! and prices. ADR 0014 records what this measured: the forest was adopted, the elastic net
//! not.
//!
//! ```sh
//! cargo run --example smartcore_models -- DATA [TARGET] [CHAMPION] [METER...]
//! cargo run --example smartcore_models -- datasets/eemeter-uk gas-day ridge UK-GAS-0
//! ```
//!
//! The elastic net is plugged in through the library's extension point ([`FitBoxed`], as in
//! `examples/custom_model.rs`): the feature matrix of each refit, a missing value replaced by
//! its column's mean on the training rows and constant columns left out (smartcore's solver
//! takes neither), standardized features, its penalty `alpha` (0.001 to 1) and L1 share (0.1,
//! 0.5, 0.9) chosen on the last fifth of the training rows when fitted on the rows before, as
//! `ridge` chooses its λ. The
//! test period is the last 365 target days of the data, refits weekly, point decisions.
//! `SMARTCORE=enet` leaves the forest out (slow on hourly rows).

use std::path::PathBuf;

use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::elastic_net::{ElasticNet, ElasticNetParameters};
use vader::backtest::WalkForwardParams;
use vader::backtest::costing::Pricing;
use vader::backtest::run::{BacktestSpec, run};
use vader::features::{Dataset, Target};
use vader::models::{Error, FeatureMatrix, FitBoxed, ModelSpec, Predict, Result};

/// Column means of the finite values (0 for a column without any).
fn means(x: &FeatureMatrix) -> Vec<f64> {
    let v = x.values();
    (0..x.ncols())
        .map(|j| {
            let (s, n) =
                v.column(j).iter().filter(|x| x.is_finite()).fold((0.0, 0.0), |(s, n), x| (s + x, n + 1.0));
            if n > 0.0 { s / n } else { 0.0 }
        })
        .collect()
}

/// The rows of `x` (columns `names`, in that order) as a dense matrix, NaN replaced by `fill`
/// (one per name).
fn dense(x: &FeatureMatrix, names: &[String], fill: &[f64], rows: &[usize]) -> Result<DenseMatrix<f64>> {
    let x = x.select(names)?;
    let v = x.values();
    let mut values = Vec::with_capacity(rows.len() * names.len());
    for &i in rows {
        for j in 0..names.len() {
            let a = v[[i, j]];
            values.push(if a.is_finite() { a } else { fill[j] });
        }
    }
    DenseMatrix::new(rows.len(), names.len(), values, false).map_err(|e| fit_error(&e))
}

fn fit_error(e: &dyn std::fmt::Display) -> Error {
    Error::Fit { model: "smartcore", reason: e.to_string() }
}

type Net = ElasticNet<f64, f64, DenseMatrix<f64>, Vec<f64>>;

/// A fitted elastic net with the columns and fills it was fitted with.
struct FittedNet {
    names: Vec<String>,
    fill: Vec<f64>,
    net: Net,
}

impl Predict for FittedNet {
    fn name(&self) -> &str {
        "smartcore-enet"
    }

    fn feature_names(&self) -> &[String] {
        &self.names
    }

    fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>> {
        let rows: Vec<usize> = (0..x.nrows()).collect();
        let m = dense(x, &self.names, &self.fill, &rows)?;
        self.net.predict(&m).map_err(|e| fit_error(&e))
    }
}

/// The recipe: `smartcore-enet`.
struct ElasticNetRecipe;

impl FitBoxed for ElasticNetRecipe {
    fn name(&self) -> String {
        "smartcore-enet".into()
    }

    fn fit_boxed(&self, x: &FeatureMatrix, y: &[f64]) -> Result<Box<dyn Predict>> {
        let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i].is_finite()).collect();
        if rows.len() < 20 {
            return Err(Error::NotEnoughData { needed: 20, found: rows.len() });
        }
        // Columns constant on the training rows say nothing (and the elastic net's scaling
        // refuses them).
        let train = x.rows(&rows);
        let varies = |j: usize| {
            let col = train.values().column(j).to_vec();
            let finite: Vec<f64> = col.into_iter().filter(|v| v.is_finite()).collect();
            finite.windows(2).any(|w| w[0] != w[1])
        };
        let names: Vec<String> =
            x.names().iter().enumerate().filter(|(j, _)| varies(*j)).map(|(_, n)| n.clone()).collect();
        let fill = means(&train.select(&names)?);
        let target: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
        let cut = rows.len() - rows.len() / 5;
        let (fit_rows, val_rows) = (&rows[..cut], &rows[cut..]);
        let m_fit = dense(x, &names, &fill, fit_rows)?;
        let m_val = dense(x, &names, &fill, val_rows)?;
        let t_fit: Vec<f64> = target[..cut].to_vec();
        let mut best: Option<(f64, ElasticNetParameters)> = None;
        for alpha in [0.001, 0.01, 0.1, 1.0] {
            for l1 in [0.1, 0.5, 0.9] {
                let p =
                    ElasticNetParameters::default().with_alpha(alpha).with_l1_ratio(l1).with_normalize(true);
                let Ok(net) = Net::fit(&m_fit, &t_fit, p.clone()) else { continue };
                let Ok(pred) = net.predict(&m_val) else { continue };
                let err: f64 = pred.iter().zip(&target[cut..]).map(|(p, t)| (p - t).abs()).sum();
                if err.is_finite() && best.as_ref().is_none_or(|b| err < b.0) {
                    best = Some((err, p));
                }
            }
        }
        let params = best.map_or_else(ElasticNetParameters::default, |b| b.1);
        let m = dense(x, &names, &fill, &rows)?;
        let net = Net::fit(&m, &target, params).map_err(|e| fit_error(&e))?;
        Ok(Box::new(FittedNet { names, fill, net }))
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data_dir = PathBuf::from(args.first().map_or("datasets/refinery", String::as_str));
    let target: Target = args.get(1).map_or("gas-day", String::as_str).parse().map_err(anyhow::Error::msg)?;
    let champion = args.get(2).map_or("ridge", String::as_str).to_string();
    // `TEST_FROM=YYYY-MM-DD` for data shorter than a year and its calibration.
    let test_from = std::env::var("TEST_FROM").ok().map(|d| d.parse::<chrono::NaiveDate>()).transpose()?;
    let ids: Vec<String> = args.iter().skip(3).cloned().collect();
    let data = Dataset::open(&data_dir)?;
    let meters = data.meters_for(target, &ids)?;
    let (_, last) = data.target_days(&meters, target).ok_or_else(|| anyhow::anyhow!("no readings"))?;
    let first = test_from.unwrap_or(last - chrono::Days::new(364));
    let mut models: Vec<Box<dyn FitBoxed>> = Vec::new();
    for name in ["ols", "ridge", "gbm-q0.5", "gbm-tuned-q0.5"] {
        models.push(Box::new(ModelSpec::named(name)?));
    }
    // `SMARTCORE=enet` leaves the forest out (it is slow on hourly rows).
    let which = std::env::var("SMARTCORE").unwrap_or_else(|_| "enet,forest".into());
    if which.contains("enet") {
        models.push(Box::new(ElasticNetRecipe));
    }
    if which.contains("forest") {
        models.push(Box::new(ModelSpec::named("forest")?));
    }
    let walk = WalkForwardParams::new(target, first, last);
    let spec = BacktestSpec::new(walk, &champion).check()?;
    let started = std::time::Instant::now();
    let outcome = run(&data, &meters, &models, &spec, &Pricing::default(), &())?;
    println!(
        "{} {target}, {} meter(s), {first} to {last} ({:.0} s)",
        data_dir.display(),
        meters.len(),
        started.elapsed().as_secs_f64()
    );
    println!("| model | MAE (kWh) | euros |\n| --- | --: | --: |");
    for s in &outcome.scores.leaderboard {
        println!("| {} | {:.4} | {:.2} |", s.model, s.metrics.mae, s.euros);
    }
    for c in &outcome.scores.comparisons {
        let t = &c.euros;
        println!(
            "{} against {}: {:+.4} EUR/day [{:+.4}, {:+.4}], {}",
            t.challenger,
            t.champion,
            t.mean_saving,
            t.ci_low,
            t.ci_high,
            t.verdict.as_str()
        );
    }
    Ok(())
}
