//! The capacity alert at an instant depends only on readings known by then: deleting or
//! changing every later reading (by arrival time) changes nothing.

use chrono::DateTime;
use vader_backtest::{AlertParams, capacity_alert};
use vader_features::{Dataset, MeterSeries, Readings};

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
