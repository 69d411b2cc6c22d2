//! A backtest from Rust with a site's own cost file: walk-forward, euros, and the A/B verdict.
//!
//! `cargo run --example backtest_with_cost_file -- [COST_FILE]` (default:
//! `examples/data/dear-gas.toml`). Replays the gas-day nominations of the last quarter of 2025
//! on the default dataset with three models and compares each with `persistence`.

use std::path::PathBuf;

use chrono::NaiveDate;
use vader::backtest::WalkForwardParams;
use vader::backtest::cost::CostParams;
use vader::backtest::costing::Pricing;
use vader::backtest::run::{BacktestSpec, run};
use vader::features::{Commodity, Dataset, Target};
use vader::models::ModelSpec;

fn main() -> anyhow::Result<()> {
    let cost = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "examples/data/dear-gas.toml".into()));
    let pricing = Pricing { params: CostParams::read(&cost)?.into_inner(), ..Pricing::default() };
    let data = Dataset::open(std::path::Path::new("datasets/refinery"))?;
    let gas: Vec<_> = data.meters.iter().filter(|m| m.commodity == Commodity::Gas).collect();
    let models: Vec<ModelSpec> =
        ["persistence", "mean-7d", "ridge"].iter().map(|m| ModelSpec::named(m)).collect::<Result<_, _>>()?;
    let quarter = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap_or_default();
    let walk = WalkForwardParams::new(Target::GasDay, quarter(10, 1), quarter(12, 31));
    let spec = BacktestSpec::new(walk, "persistence").check()?;
    let outcome = run(&data, &gas, &models, &spec, &pricing, &())?;

    let gas_prices = pricing.params.gas;
    println!(
        "Gas at {} EUR/MWh, small adjustment {} %; {} forecasts priced.",
        gas_prices.price_eur_per_mwh,
        100.0 * gas_prices.small_adjustment,
        outcome.forecasts.len()
    );
    for s in &outcome.scores.leaderboard {
        println!("{:>12}: MAE {:>6.2} MWh, {:>8.0} EUR", s.model, s.metrics.mae / 1000.0, s.euros);
    }
    for c in &outcome.scores.comparisons {
        let t = &c.euros;
        let p = t.dm.map_or(f64::NAN, |d| d.p_value);
        println!(
            "{} against {}: saves {:.1} EUR/day [{:.1}, {:.1}], p = {p:.3}: {}",
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
