//! The backtest engine: as-of features, walk-forward replays, pricing in euros and the A/B
//! statistics.
//!
//! `cargo bench --bench backtest`; CI runs it once in test mode (`cargo test --benches`). The
//! full default backtest (all models, ten meters, a year of daily decisions, weekly refits, 56
//! days of calibration, both decision rules, euros and A/B tests) is `backtest/default_year`;
//! the others isolate its parts.

use std::hint::black_box;
use std::path::Path;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use vader::backtest::ab::{AbParams, Loss, Paired, ab_test};
use vader::backtest::costing::{Pricing, price};
use vader::backtest::results::Scores;
use vader::backtest::run::{BacktestSpec, run};
use vader::backtest::{Valid, WalkForwardParams, walk_forward};
use vader::features::{Commodity, Dataset, Meter, Target, features};
use vader::models::ModelSpec;

fn dataset() -> Dataset {
    Dataset::open(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/refinery")))
        .expect("default dataset")
}

fn params(target: Target, from: (i32, u32, u32), to: (i32, u32, u32)) -> Valid<WalkForwardParams> {
    let day = |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).expect("day");
    WalkForwardParams::new(target, day(from), day(to)).check().expect("params")
}

fn models(names: &[&str]) -> Vec<ModelSpec> {
    names.iter().filter_map(|n| ModelSpec::named(n).ok()).collect()
}

fn engine(c: &mut Criterion) {
    let data = dataset();
    let gas: Vec<&Meter> = data.meters.iter().filter(|m| m.commodity == Commodity::Gas).collect();
    let mut group = c.benchmark_group("backtest");
    group.sample_size(10);
    let all = models(&["persistence", "seasonal-naive", "mean-7d", "ols", "ridge", "gbm"]);
    let year = params(Target::GasDay, (2025, 1, 1), (2025, 12, 31));
    // What `vader backtest` does without arguments, less reading the files and the report:
    // the walk-forward from 56 days of calibration on, both decision rules, euros, A/B tests.
    let spec = BacktestSpec::new(year.clone().into_inner(), "persistence").check().expect("spec");
    group.bench_function("default_year", |b| {
        b.iter(|| {
            run(&data, black_box(&gas), &all, &spec, &Pricing::default(), &()).map(|r| r.forecasts.len())
        })
    });
    let fast = models(&["persistence", "mean-7d", "ols", "ridge"]);
    group.bench_function("year_without_gbm", |b| {
        b.iter(|| walk_forward(&data, black_box(&gas), &fast, &year).map(|f| f.len()))
    });
    let month = params(Target::RestOfGasDay, (2025, 2, 1), (2025, 2, 28));
    let hourly = models(&["intraday-5h", "ridge"]);
    group.bench_function("rest_of_gas_day_month", |b| {
        b.iter(|| walk_forward(&data, black_box(&gas), &hourly, &month).map(|f| f.len()))
    });
    group.finish();
}

fn features_as_of(c: &mut Criterion) {
    let data = dataset();
    let gas: Vec<&Meter> = data.meters.iter().filter(|m| m.commodity == Commodity::Gas).collect();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("day");
    let three_years = vader::features::days_between(day(2023, 1, 1), day(2025, 12, 31));
    let february = vader::features::days_between(day(2025, 2, 1), day(2025, 2, 28));
    let mut group = c.benchmark_group("features");
    group.sample_size(10);
    group.bench_function("gas_day_10_meters_3y", |b| {
        b.iter(|| features(&data, black_box(&gas), Target::GasDay, &three_years, 7200).map(|t| t.keys.len()))
    });
    group.bench_function("rest_of_gas_day_10_meters_month", |b| {
        b.iter(|| {
            features(&data, black_box(&gas), Target::RestOfGasDay, &february, 7200).map(|t| t.keys.len())
        })
    });
    group.finish();
}

fn pricing_and_ab(c: &mut Criterion) {
    let data = dataset();
    let gas: Vec<&Meter> = data.meters.iter().filter(|m| m.commodity == Commodity::Gas).collect();
    let year = params(Target::GasDay, (2025, 1, 1), (2025, 12, 31));
    let mut forecasts =
        walk_forward(&data, &gas, &models(&["persistence", "mean-7d"]), &year).expect("walk-forward");
    let pricing = Pricing::default();
    c.bench_function("price_year_of_gas_days", |b| {
        b.iter(|| price(black_box(&mut forecasts), Target::GasDay, &gas, &pricing))
    });
    let persistence: Vec<_> = forecasts.iter().filter(|f| f.model == "persistence").collect();
    let mean: Vec<_> = forecasts.iter().filter(|f| f.model == "mean-7d").collect();
    let paired = Paired::of(persistence.iter().copied(), mean.iter().copied(), Loss::Euros);
    let ab = AbParams::default().check().expect("A/B parameters");
    c.bench_function("ab_test_365_days_2000_resamples", |b| {
        b.iter(|| ab_test("persistence", "mean-7d", black_box(&paired), Loss::Euros, &ab))
    });
    c.bench_function("scores_two_models_year", |b| {
        b.iter(|| Scores::of(black_box(&forecasts), "persistence", &ab).map(|s| s.comparisons.len()))
    });
}

criterion_group!(benches, engine, features_as_of, pricing_and_ab);
criterion_main!(benches);
