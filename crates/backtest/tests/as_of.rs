//! The capacity alert at an instant, and every walk-forward forecast, depend only on readings
//! known by then: deleting or changing every later reading (by arrival time) changes nothing.

use chrono::{DateTime, NaiveDate};
use vader_backtest::{
    AlertParams, Forecast, Scope, Valid, WalkForwardParams, Window, capacity_alert, walk_forward,
};
use vader_features::{Dataset, Meter, MeterSeries, Readings, Target};
use vader_models::ModelSpec;

fn refinery() -> Dataset {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/refinery");
    Dataset::open(&dir).expect("default dataset")
}

/// Keeps only readings known at `at`; with `scramble`, keeps the others but multiplies them
/// by ten instead.
fn as_known_at(data: &Dataset, at: i64, delay_s: i64, scramble: bool) -> Dataset {
    let series = data
        .readings
        .iter()
        .map(|s| {
            let keep: Vec<usize> =
                (0..s.len()).filter(|&i| scramble || s.known_at(i, delay_s) <= at).collect();
            let energy = keep
                .iter()
                .map(|&i| if s.known_at(i, delay_s) > at { s.energy_kwh[i] * 10.0 } else { s.energy_kwh[i] })
                .collect();
            let mut out =
                MeterSeries::new(s.meter_id.clone(), keep.iter().map(|&i| s.start[i]).collect(), energy);
            out.received_at = s.received_at.as_ref().map(|r| keep.iter().map(|&i| r[i]).collect());
            out.interval_s = s.interval_s;
            out
        })
        .collect();
    Dataset { readings: Readings::from_series(series), ..data.clone() }
}

#[test]
fn no_alert_uses_a_reading_before_it_arrived() {
    let data = refinery();
    let params = AlertParams::default();
    // Deterministic pseudo-random instants over 2023-2025 (a small LCG).
    let (from, span) = (1_672_556_400_i64, 3 * 365 * 86_400_i64);
    let mut x: u64 = 12345;
    let mut judged = 0;
    for _ in 0..40 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let at = from + (x >> 33) as i64 % span;
        let when = DateTime::from_timestamp(at, 0).expect("instant");
        let full = capacity_alert(&data, when, &params);
        for scramble in [false, true] {
            let cut = capacity_alert(&as_known_at(&data, at, params.delay_s, scramble), when, &params);
            assert_eq!(full, cut, "at {when} (scramble: {scramble})");
        }
        judged += full.iter().filter(|r| r.projected_kwh.is_some()).count();
    }
    assert!(judged > 300, "too few projections judged: {judged}");
}

#[test]
fn the_leak_check_catches_a_rule_that_peeks() {
    // An alert that trusted readings from the moment their hour ended (ignoring when they
    // really arrived) would differ from the alert on the data truly known: the comparison
    // above is able to fail.
    let data = refinery();
    let params = AlertParams::default();
    let at = DateTime::parse_from_rfc3339("2025-02-11T13:30:00Z").expect("at").to_utc();
    let peeking: Vec<MeterSeries> = data
        .readings
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.received_at = Some(s.start.iter().map(|t| t + s.interval_s).collect());
            s
        })
        .collect();
    let peeking = Dataset { readings: Readings::from_series(peeking), ..data.clone() };
    let leaked = capacity_alert(&peeking, at, &params);
    let truly_known = capacity_alert(&as_known_at(&data, at.timestamp(), params.delay_s, false), at, &params);
    assert_ne!(leaked, truly_known);
}

/// A walk-forward over the single target day `day`, per meter, expanding window.
fn one_day(target: Target, day: NaiveDate) -> Valid<WalkForwardParams> {
    WalkForwardParams {
        target,
        test_from: day,
        test_to: day,
        refit_days: 7,
        window: Window::Expanding,
        delay_s: AlertParams::default().delay_s,
        scope: Scope::PerMeter,
    }
    .check()
    .expect("one day is a valid test period")
}

/// The walk-forward's forecasts for a decision, on the full data and on the data cut to what was
/// known at that decision (later readings deleted, or kept and scrambled).
fn forecasts_as_of(
    target: Target,
    day: NaiveDate,
    models: &[&str],
    pick: impl Fn(&Forecast) -> bool,
) -> Vec<(Vec<Forecast>, bool)> {
    let data = refinery();
    let meters: Vec<&Meter> = ["L18460", "L18442"].iter().filter_map(|id| data.meters.get(id)).collect();
    let models: Vec<ModelSpec> = models.iter().filter_map(|m| ModelSpec::named(m).ok()).collect();
    let params = one_day(target, day);
    let run = |d: &Dataset| -> Vec<Forecast> {
        walk_forward(d, &meters, &models, &params).expect("walk-forward").into_iter().filter(&pick).collect()
    };
    let full = run(&data);
    let at = full.first().expect("a forecast").decision_at;
    let mut out = vec![(full, false)];
    for scramble in [false, true] {
        out.push((run(&as_known_at(&data, at, params.delay_s, scramble)), scramble));
    }
    out
}

#[test]
fn no_walk_forward_forecast_uses_a_reading_before_it_arrived() {
    let day = NaiveDate::from_ymd_opt(2025, 2, 11).expect("day");
    type Pick = Box<dyn Fn(&Forecast) -> bool>;
    let cases: [(Target, &[&str], Pick); 2] = [
        (Target::GasDay, &["persistence", "mean-7d", "ridge", "gbm"], Box::new(|_: &Forecast| true)),
        // One decision hour of the capacity case: 10:00 UTC on the day.
        (
            Target::RestOfGasDay,
            &["intraday-5h", "ridge"],
            Box::new(|f: &Forecast| f.decision_at % 86_400 == 36_000),
        ),
    ];
    for (target, models, pick) in cases {
        let runs = forecasts_as_of(target, day, models, pick);
        let full = &runs[0].0;
        assert_eq!(full.len(), 2 * models.len(), "{target}: one forecast per meter and model");
        for (cut, scramble) in &runs[1..] {
            let pairs = full.iter().zip(cut);
            for (a, b) in pairs {
                assert_eq!((&a.meter_id, &a.model, a.start), (&b.meter_id, &b.model, b.start));
                assert_eq!(
                    a.forecast_kwh.to_bits(),
                    b.forecast_kwh.to_bits(),
                    "{target} {} {}: forecast changed when later readings were {}",
                    a.meter_id,
                    a.model,
                    if *scramble { "scrambled" } else { "deleted" }
                );
            }
        }
    }
}

#[test]
fn the_capacity_replay_projects_what_the_live_alert_shows() {
    // The day-one rule replayed by the walk-forward (intraday-5h on rest-of-gas-day) projects,
    // at every hour, exactly the total the live alert (`vader capacity --at`) shows then.
    let data = refinery();
    let meters: Vec<&Meter> = data.meters.iter().filter(|m| m.capacity_kwh_per_day.is_some()).collect();
    let day = NaiveDate::from_ymd_opt(2025, 2, 11).expect("day");
    let params = one_day(Target::RestOfGasDay, day);
    let models = [ModelSpec::named("intraday-5h").expect("model")];
    let forecasts = walk_forward(&data, &meters, &models, &params).expect("walk-forward");
    let mut compared = 0;
    for f in &forecasts {
        let at = DateTime::from_timestamp(f.decision_at, 0).expect("instant");
        let alert = capacity_alert(&data, at, &AlertParams::default());
        let row = alert.iter().find(|r| r.meter_id == f.meter_id).expect("alert row");
        match row.projected_kwh {
            Some(p) => {
                assert!((p - (f.known_kwh + f.forecast_kwh)).abs() <= 1e-6 * p, "{} at {at}", f.meter_id);
                compared += 1;
            }
            None => assert!(f.forecast_kwh.is_nan(), "{} at {at}", f.meter_id),
        }
    }
    assert_eq!(compared, meters.len() * 24, "every hour of every meter");
}

#[test]
fn a_sliding_window_changes_fitted_models_only() {
    let data = refinery();
    let meters: Vec<&Meter> = data.meters.get("L18460").into_iter().collect();
    let models: Vec<ModelSpec> =
        ["persistence", "ridge"].iter().filter_map(|m| ModelSpec::named(m).ok()).collect();
    let run = |window| {
        let params = WalkForwardParams {
            target: Target::GasDay,
            test_from: NaiveDate::from_ymd_opt(2025, 3, 1).expect("day"),
            test_to: NaiveDate::from_ymd_opt(2025, 3, 14).expect("day"),
            refit_days: 7,
            window,
            delay_s: 7200,
            scope: Scope::PerMeter,
        };
        walk_forward(&data, &meters, &models, &params.check()?)
    };
    let expanding = run(Window::Expanding).expect("expanding");
    let sliding = run(Window::Sliding { days: 90 }).expect("sliding");
    let of = |rows: &[Forecast], model: &str| -> Vec<u64> {
        rows.iter().filter(|f| f.model == model).map(|f| f.forecast_kwh.to_bits()).collect()
    };
    assert_eq!(of(&expanding, "persistence"), of(&sliding, "persistence"));
    assert_ne!(of(&expanding, "ridge"), of(&sliding, "ridge"), "ridge trained on 90 days is another model");
    assert!(run(Window::Sliding { days: 0 }).is_err());
}
