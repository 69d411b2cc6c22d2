//! Quantiles on daylight-saving days: every settlement period of a 23- or 25-hour day is
//! calibrated with the residuals of its own clock hour.
//!
//! Regression test for the slot of the day computed by rank in the day: the 25th hour of the
//! autumn day had a slot that no other day has, so it never got a quantile, and after the
//! spring change every hour was calibrated with the next hour's residuals.

use chrono::NaiveDate;
use vader_backtest::costing::Pricing;
use vader_backtest::run::{BacktestSpec, run};
use vader_backtest::{Forecast, WalkForwardParams};
use vader_features::{Dataset, Target};
use vader_models::ModelSpec;

fn refinery() -> Dataset {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/refinery");
    Dataset::open(&dir).expect("default dataset")
}

/// The electricity-day forecasts of the refinery's two supplies for `day`, after a burn-in of
/// 56 days of calibration.
fn forecasts_of(day: NaiveDate) -> Vec<Forecast> {
    let data = refinery();
    let meters: Vec<_> = ["E-EST-01", "E-RHO-01"].iter().filter_map(|id| data.meters.get(id)).collect();
    let models = [ModelSpec::named("persistence").expect("model")];
    let walk = WalkForwardParams::new(Target::ElectricityDay, day, day);
    let spec = BacktestSpec::new(walk, "persistence").check().expect("spec");
    let done = run(&data, &meters, &models, &spec, &Pricing::default(), &()).expect("backtest");
    done.forecasts.into_iter().filter(|f| f.day == day).collect()
}

#[test]
fn every_period_of_the_25_hour_day_gets_a_calibrated_quantile() {
    let day = NaiveDate::from_ymd_opt(2025, 10, 26).expect("day");
    let rows = forecasts_of(day);
    assert_eq!(rows.len(), 2 * 25, "25 hourly periods per meter");
    let slots: Vec<u32> = rows.iter().filter(|f| f.meter_id == "E-EST-01").map(|f| f.slot).collect();
    assert_eq!(slots, (0..3).chain(2..24).collect::<Vec<u32>>(), "02:00 twice");
    let uncalibrated: Vec<String> = rows
        .iter()
        .filter(|f| !f.q10_kwh.is_finite())
        .map(|f| format!("{} slot {}", f.meter_id, f.slot))
        .collect();
    assert!(uncalibrated.is_empty(), "periods without a quantile: {uncalibrated:?}");
}

#[test]
fn the_hours_after_the_spring_change_keep_their_clock_slot() {
    let day = NaiveDate::from_ymd_opt(2025, 3, 30).expect("day");
    let rows = forecasts_of(day);
    assert_eq!(rows.len(), 2 * 23, "23 hourly periods per meter");
    let slots: Vec<u32> = rows.iter().filter(|f| f.meter_id == "E-EST-01").map(|f| f.slot).collect();
    assert_eq!(slots, (0..2).chain(3..24).collect::<Vec<u32>>(), "no 02:00");
    assert!(rows.iter().all(|f| f.q10_kwh.is_finite()), "every period calibrated");
}
