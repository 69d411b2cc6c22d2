//! Your own model in vader's backtest: implement the two traits, and it is replayed, priced and
//! A/B-tested exactly like the built-in ones.
//!
//! `cargo run --example custom_model`. The model here blends yesterday's consumption and the
//! same weekday last week with a weight chosen on the training rows; it is compared with
//! `persistence` and `ridge` on the gas days of the last quarter of 2025.

use chrono::NaiveDate;
use vader::backtest::WalkForwardParams;
use vader::backtest::costing::Pricing;
use vader::backtest::run::{BacktestSpec, run};
use vader::features::{Commodity, Dataset, Target};
use vader::models::columns::{LAST_DAY, SAME_WEEKDAY_LAST_WEEK};
use vader::models::{FeatureMatrix, FitBoxed, ModelSpec, Predict};

/// The recipe: blend `last_day` and `same_weekday_last_week`, weight chosen among 0, 0.1, ..., 1.
struct Blend;

/// A fitted blend.
struct FittedBlend {
    weight: f64,
    names: Vec<String>,
}

impl FittedBlend {
    fn blend(weight: f64, yesterday: f64, last_week: f64) -> f64 {
        match (yesterday.is_finite(), last_week.is_finite()) {
            (true, true) => weight * yesterday + (1.0 - weight) * last_week,
            (true, false) => yesterday,
            (false, _) => last_week,
        }
    }
}

impl Predict for FittedBlend {
    fn name(&self) -> &str {
        "blend"
    }

    fn feature_names(&self) -> &[String] {
        &self.names
    }

    fn predict(&self, x: &FeatureMatrix) -> vader::models::Result<Vec<f64>> {
        let (a, b) = (x.require(LAST_DAY)?, x.require(SAME_WEEKDAY_LAST_WEEK)?);
        Ok(a.iter().zip(b.iter()).map(|(&a, &b)| Self::blend(self.weight, a, b)).collect())
    }
}

impl FitBoxed for Blend {
    fn name(&self) -> String {
        "blend".into()
    }

    fn fit_boxed(&self, x: &FeatureMatrix, y: &[f64]) -> vader::models::Result<Box<dyn Predict>> {
        let (a, b) = (x.require(LAST_DAY)?, x.require(SAME_WEEKDAY_LAST_WEEK)?);
        let error = |w: f64| -> f64 {
            a.iter()
                .zip(b.iter())
                .zip(y)
                .map(|((&a, &b), &y)| (FittedBlend::blend(w, a, b) - y).abs())
                .filter(|e| e.is_finite())
                .sum()
        };
        let weight = (0..=10)
            .map(|k| f64::from(k) / 10.0)
            .min_by(|p, q| error(*p).total_cmp(&error(*q)))
            .unwrap_or(0.5);
        let names = vec![LAST_DAY.to_string(), SAME_WEEKDAY_LAST_WEEK.to_string()];
        Ok(Box::new(FittedBlend { weight, names }))
    }
}

fn main() -> anyhow::Result<()> {
    let data = Dataset::open(std::path::Path::new("datasets/refinery"))?;
    let gas: Vec<_> = data.meters.iter().filter(|m| m.commodity == Commodity::Gas).collect();
    // Built-in and custom models side by side: boxed, they share one list.
    let models: Vec<Box<dyn FitBoxed>> = vec![
        Box::new(ModelSpec::named("persistence")?),
        Box::new(ModelSpec::named("ridge")?),
        Box::new(Blend),
    ];
    let quarter = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap_or_default();
    let walk = WalkForwardParams::new(Target::GasDay, quarter(10, 1), quarter(12, 31));
    let spec = BacktestSpec::new(walk, "persistence").check()?;
    let outcome = run(&data, &gas, &models, &spec, &Pricing::default(), &())?;
    for s in &outcome.scores.leaderboard {
        println!(
            "{:>12}: MAE {:>6.2} MWh, {:>6.0} EUR, 80 % interval covers {:.1} %",
            s.model,
            s.metrics.mae / 1000.0,
            s.euros,
            100.0 * s.metrics.coverage_80
        );
    }
    for c in &outcome.scores.comparisons {
        let t = &c.euros;
        println!(
            "{} against persistence: {:+.1} EUR/day, {}",
            t.challenger,
            t.mean_saving,
            t.verdict.as_str()
        );
    }
    Ok(())
}
