//! A backtest replayed in shards and merged, in any order, is the backtest replayed whole, bit
//! for bit; shards that miss or repeat a meter are refused.

use std::path::Path;

use vader::api::{BacktestRequest, backtest, plan};
use vader::backtest::run::Replay;
use vader::features::{Dataset, Target};
use vader::models::ModelSpec;

fn request() -> BacktestRequest {
    let mut request = BacktestRequest::new(Target::GasDay);
    request.models = ["persistence", "ridge"].iter().filter_map(|m| ModelSpec::named(m).ok()).collect();
    request.test_from = chrono::NaiveDate::from_ymd_opt(2025, 11, 1);
    request.calibration_days = 28;
    request
}

#[test]
fn shards_merged_in_any_order_give_the_whole_run() -> vader::Result<()> {
    let data = Dataset::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/refinery").as_path())?;
    let whole = backtest(&data, &request(), &())?;
    let plan = plan(&data, &request())?;
    let ids = plan.meter_ids();
    let parts = [&ids[..3], &ids[3..4], &ids[4..]];
    // Replayed last shard first: the merge restores the walk-forward's order.
    let replays =
        parts.iter().rev().map(|p| plan.replay(&data, p, &())).collect::<vader::Result<Vec<_>>>()?;
    let merged = plan.finish(Replay::merge(replays))?;
    // Debug prints every float in its shortest round-trip form (NaN as NaN): equal text, equal bits.
    assert_eq!(format!("{:?}", merged.run.forecasts), format!("{:?}", whole.run.forecasts));
    assert_eq!(format!("{:?}", merged.run.scores), format!("{:?}", whole.run.scores));
    assert_eq!(format!("{:?}", merged.run.decision_gains), format!("{:?}", whole.run.decision_gains));
    Ok(())
}

#[test]
fn a_shard_missing_or_twice_is_refused_by_name() -> vader::Result<()> {
    let data = Dataset::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/refinery").as_path())?;
    let plan = plan(&data, &request())?;
    let ids = plan.meter_ids();
    let first = plan.replay(&data, &ids[..1], &())?;
    let rest = plan.replay(&data, &ids[1..], &())?;
    let missing = plan.clone().finish(Replay::merge([rest.clone()])).expect_err("a meter is missing");
    assert!(missing.to_string().contains(&format!("not replayed: {}", ids[0])), "{missing}");
    let twice = plan.finish(Replay::merge([first.clone(), first, rest])).expect_err("a meter twice");
    assert!(twice.to_string().contains(&format!("replayed twice: {}", ids[0])), "{twice}");
    Ok(())
}
