//! A walk-forward gives the same forecasts, bit for bit and in the same order, on one thread and
//! on several: (meter, model) replays and the refits inside each run in parallel.

use chrono::NaiveDate;
use vader_backtest::{AlertParams, Scope, WalkForwardParams, Window, walk_forward};
use vader_features::{Dataset, Meter, Target};
use vader_models::ModelSpec;

#[test]
fn the_forecasts_do_not_depend_on_the_thread_count() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/refinery");
    let data = Dataset::open(&dir).expect("default dataset");
    let meters: Vec<&Meter> = ["L18460"].iter().filter_map(|id| data.meters.get(id)).collect();
    // One meter and one model: the only parallel work is the refits (five, weekly).
    let models: Vec<ModelSpec> = ["gbm"].iter().filter_map(|m| ModelSpec::named(m).ok()).collect();
    let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).expect("day");
    let params = WalkForwardParams {
        target: Target::GasDay,
        test_from: day(3, 1),
        test_to: day(4, 4),
        refit_days: 7,
        window: Window::Expanding,
        delay_s: AlertParams::default().delay_s,
        scope: Scope::PerMeter,
    }
    .check()
    .expect("valid period");
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
        pool.install(|| walk_forward(&data, &meters, &models, &params).expect("walk-forward"))
    };
    let one = on(1);
    assert_eq!(one.len(), 35, "one forecast per test day");
    assert!(one.windows(2).all(|w| w[0].start < w[1].start), "in day order");
    let bits = |f: &[vader_backtest::Forecast]| {
        f.iter().map(|f| (f.start, f.forecast_kwh.to_bits())).collect::<Vec<_>>()
    };
    assert_eq!(bits(&one), bits(&on(2)));
    assert_eq!(bits(&one), bits(&on(3)));
}
