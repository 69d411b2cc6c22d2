//! Reading the default dataset and running the capacity alert.
//!
//! `cargo bench --bench capacity`; CI runs it once in test mode (`cargo test --benches`).

use std::hint::black_box;
use std::path::Path;

use chrono::DateTime;
use criterion::{Criterion, criterion_group, criterion_main};
use vader::backtest::{AlertParams, capacity_alert};
use vader::features::{Dataset, ValidationReport};

fn dataset_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/refinery"))
}

fn read_and_validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("refinery_3y_12_meters");
    group.sample_size(10);
    group.bench_function("open", |b| b.iter(|| Dataset::open(black_box(dataset_dir()))));
    let data = Dataset::open(dataset_dir()).expect("default dataset");
    group.bench_function("validate", |b| b.iter(|| ValidationReport::of(black_box(&data))));
    group.finish();
}

fn alert(c: &mut Criterion) {
    let data = Dataset::open(dataset_dir()).expect("default dataset");
    let params = AlertParams::default();
    let start = DateTime::parse_from_rfc3339("2025-02-11T05:00:00Z").expect("instant").to_utc();
    c.bench_function("capacity_alert_one_gas_day_hourly", |b| {
        b.iter(|| {
            (0..24)
                .map(|h| capacity_alert(&data, start + chrono::Duration::hours(h), black_box(&params)).len())
                .sum::<usize>()
        })
    });
}

criterion_group!(benches, read_and_validate, alert);
criterion_main!(benches);
