//! Fitting and prediction latency of every model on one meter's as-of feature rows.
//!
//! `cargo bench --bench models`; CI runs it once in test mode.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use vader::features::days_between;
use vader::features::{Dataset, Target, daily_features};
use vader::models::{FeatureMatrix, FitBoxed, ModelSpec};

fn rows() -> (FeatureMatrix, Vec<f64>) {
    let data =
        Dataset::open(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/refinery"))).expect("dataset");
    let meter = data.meters.get("L18460").expect("meter");
    let first = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).expect("date");
    let last = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
    let table =
        daily_features(&data, &[meter], Target::GasDay, &days_between(first, last), 7200).expect("features");
    let keep: Vec<usize> = (0..table.actual.len()).filter(|&i| table.actual[i].is_finite()).collect();
    (table.matrix.rows(&keep), keep.iter().map(|&i| table.actual[i]).collect())
}

fn models(c: &mut Criterion) {
    let (x, y) = rows();
    let specs: Vec<ModelSpec> =
        ["persistence", "seasonal-naive", "mean-7d", "ols", "ridge", "gbm", "gbm-q0.9"]
            .iter()
            .map(|n| ModelSpec::named(n).expect("model"))
            .collect();
    let one = x.rows(&[0]);
    let thousand = x.rows(&(0..1000).map(|i| i % x.nrows()).collect::<Vec<_>>());
    let mut fit = c.benchmark_group("fit_one_meter_3y");
    for spec in &specs {
        fit.bench_with_input(BenchmarkId::from_parameter(spec.name()), spec, |b, spec| {
            b.iter(|| spec.fit_boxed(black_box(&x), black_box(&y)).expect("fit"))
        });
    }
    fit.finish();
    let mut predict = c.benchmark_group("predict");
    for spec in &specs {
        let fitted = spec.fit_boxed(&x, &y).expect("fit");
        predict.bench_with_input(BenchmarkId::new("1_row", spec.name()), &one, |b, one| {
            b.iter(|| fitted.predict(black_box(one)).expect("predict"))
        });
        predict.bench_with_input(BenchmarkId::new("1000_rows", spec.name()), &thousand, |b, rows| {
            b.iter(|| fitted.predict(black_box(rows)).expect("predict"))
        });
    }
    predict.finish();
}

criterion_group!(benches, models);
criterion_main!(benches);
