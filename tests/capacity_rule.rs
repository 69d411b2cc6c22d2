//! `vader capacity` gives exactly the production rule's number, recomputed here independently
//! from the raw readings, including on 23- and 25-hour gas days.

mod common;

use std::collections::HashMap;

use chrono::{DateTime, NaiveTime, TimeZone, Timelike};
use chrono_tz::Europe::Paris;
use common::{parse_csv, stdout_ok, vader, write};

const HOUR: i64 = 3600;

/// One raw reading: meter, start, energy, known-at (Unix seconds).
type Raw = (String, i64, f64, i64);

/// Hours of the gas day containing `at`, from first principles: 06:00 to 06:00 Paris.
fn gas_day_hours(at: i64) -> i64 {
    let local = DateTime::from_timestamp(at, 0).expect("instant").with_timezone(&Paris);
    let mut day = local.date_naive();
    if local.hour() < 6 {
        day = day.pred_opt().expect("date");
    }
    let six = NaiveTime::from_hms_opt(6, 0, 0).expect("time");
    let start = Paris.from_local_datetime(&day.and_time(six)).single().expect("06:00 exists");
    let next = day.succ_opt().expect("date").and_time(six);
    let end = Paris.from_local_datetime(&next).single().expect("06:00 exists");
    (end - start).num_hours()
}

/// The production rule, written out plainly: the mean of the last `n` complete hourly readings
/// known at `at` (within the last 24 hours), times the hours of the gas day.
fn expected(raw: &[Raw], meter: &str, at: i64, n: usize) -> Option<f64> {
    let mut known: Vec<(i64, f64)> = raw
        .iter()
        .filter(|r| r.0 == meter && r.1 >= at - 24 * HOUR && r.1 < at && r.3 <= at)
        .filter(|r| r.2.is_finite() && r.2 >= 0.0)
        .map(|r| (r.1, r.2))
        .collect();
    known.sort_by_key(|r| r.0);
    known.dedup_by_key(|r| r.0);
    if known.len() < n {
        return None;
    }
    let last = &known[known.len() - n..];
    Some(last.iter().map(|r| r.1).sum::<f64>() / n as f64 * gas_day_hours(at) as f64)
}

fn check(data: &str, raw: &[Raw], at: &str, n: usize) -> usize {
    let at_s = DateTime::parse_from_rfc3339(at).expect("at").timestamp();
    let hours = n.to_string();
    let out = vader(&["capacity", "--data", data, "--at", at, "--hours", &hours, "--format", "csv"]);
    let rows = parse_csv(&stdout_ok(&out));
    assert!(!rows.is_empty());
    let mut judged = 0;
    for row in &rows {
        let want = expected(raw, &row["meter_id"], at_s, n);
        let got = Some(row["projected_kwh"].as_str())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<f64>().expect("number"));
        assert_eq!(got, want, "meter {} at {at}", row["meter_id"]);
        if let (Some(p), Ok(c)) = (got, row["capacity_kwh"].parse::<f64>()) {
            let extra: f64 = row["extra_capacity_kwh"].parse().expect("extra");
            assert_eq!(extra, (p - c).max(0.0));
            assert_eq!(row["over_capacity"], (p > c).to_string());
            judged += 1;
        }
    }
    judged
}

/// A small dataset around the 2024 changes: two meters, hourly, with a gap and a glitch.
fn dst_dataset(dir: &std::path::Path) -> Vec<Raw> {
    let mut raw = Vec::new();
    let mut csv = String::from("meter_id,timestamp,energy_kwh\n");
    for (from, to) in
        [("2024-03-28T00:00:00Z", "2024-04-02T00:00:00Z"), ("2024-10-24T00:00:00Z", "2024-10-29T00:00:00Z")]
    {
        let from = DateTime::parse_from_rfc3339(from).expect("from").timestamp();
        let to = DateTime::parse_from_rfc3339(to).expect("to").timestamp();
        for (m, meter) in ["G1", "G2"].iter().enumerate() {
            let mut t = from;
            let mut i = 0_i64;
            while t < to {
                let mut kwh = 40_000.0 + 1_000.0 * m as f64 + ((i * 37) % 101) as f64 * 13.25;
                if m == 1 && i % 50 == 7 {
                    kwh = -1.0; // a glitch the rule must skip
                }
                if !(m == 0 && i % 40 == 3) {
                    csv.push_str(&format!(
                        "{meter},{},{kwh}\n",
                        DateTime::from_timestamp(t, 0).expect("t").to_rfc3339()
                    ));
                    raw.push((meter.to_string(), t, kwh, t + HOUR + 2 * HOUR));
                }
                t += HOUR;
                i += 1;
            }
        }
    }
    write(dir, "readings.csv", &csv);
    write(
        dir,
        "meters.csv",
        "meter_id,name,site,commodity,capacity_kwh_per_day\nG1,Furnace,s,gas,1000000\nG2,Boiler,s,gas,900000\n",
    );
    raw
}

#[test]
fn capacity_matches_the_rule_on_23_and_25_hour_gas_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dst_dataset(dir.path());
    let data = dir.path().to_str().expect("path");
    // 23-hour gas day 2024-03-30 (before and after the jump), 25-hour gas day 2024-10-26
    // (before, inside and after the repeated hour), and an ordinary day.
    assert_eq!(
        gas_day_hours(DateTime::parse_from_rfc3339("2024-03-30T20:00:00Z").expect("t").timestamp()),
        23
    );
    assert_eq!(
        gas_day_hours(DateTime::parse_from_rfc3339("2024-10-26T20:00:00Z").expect("t").timestamp()),
        25
    );
    let mut judged = 0;
    for at in [
        "2024-03-30T20:00:00Z",
        "2024-03-31T02:00:00Z",
        "2024-03-31T04:30:00Z",
        "2024-10-26T20:00:00Z",
        "2024-10-27T01:00:00Z",
        "2024-10-27T04:00:00Z",
        "2024-10-28T12:00:00Z",
    ] {
        for n in [1, 5, 8] {
            judged += check(data, &raw, at, n);
        }
    }
    assert!(judged >= 40, "only {judged} rows were judged");
}

#[test]
fn a_meter_with_too_few_readings_gets_a_status_not_a_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    dst_dataset(dir.path());
    // Two hours after the data starts only one reading is known.
    let out = vader(&[
        "capacity",
        "--data",
        dir.path().to_str().expect("path"),
        "--at",
        "2024-03-28T04:00:00Z",
        "--format",
        "csv",
    ]);
    for row in parse_csv(&stdout_ok(&out)) {
        assert_eq!(row["status"], "too_few_readings");
        assert_eq!(row["projected_kwh"], "");
        assert_eq!(row["extra_capacity_kwh"], "");
    }
}

/// Readings of the default dataset, from its CSV twin generated with the same seed.
fn refinery_raw() -> Vec<Raw> {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_str().expect("path");
    stdout_ok(&vader(&["dataset", "synth", "--format", "csv", "--out", out_dir]));
    let text = std::fs::read_to_string(dir.path().join("readings.csv")).expect("csv");
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let t = |s: &str| DateTime::parse_from_rfc3339(s).expect("timestamp").timestamp();
            (f[0].to_string(), t(f[1]), f[2].parse().expect("energy"), t(f[3]))
        })
        .collect()
}

#[test]
fn capacity_on_the_default_dataset_matches_the_rule() {
    let raw = refinery_raw();
    let mut judged = 0;
    // 2025-03-29 and 2025-10-25 are the 23- and 25-hour gas days of 2025.
    for at in [
        "2025-03-29T21:00:00Z",
        "2025-03-30T03:00:00Z",
        "2025-10-25T22:00:00Z",
        "2025-10-26T02:30:00Z",
        "2024-01-15T11:00:00Z",
    ] {
        judged += check("datasets/refinery", &raw, at, 5);
    }
    assert!(judged >= 45, "only {judged} rows were judged");
}

#[test]
fn so_far_plus_rate_adds_the_known_part_of_the_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dst_dataset(dir.path());
    let at = "2024-10-26T20:00:00Z";
    let at_s = DateTime::parse_from_rfc3339(at).expect("at").timestamp();
    let data = dir.path().to_str().expect("path");
    let out =
        vader(&["capacity", "--data", data, "--at", at, "--rule", "so-far-plus-rate", "--format", "csv"]);
    let rows: HashMap<String, HashMap<String, String>> =
        parse_csv(&stdout_ok(&out)).into_iter().map(|r| (r["meter_id"].clone(), r)).collect();
    // Gas day 2024-10-26 starts at 04:00 UTC (06:00 CEST).
    let day_start = DateTime::parse_from_rfc3339("2024-10-26T04:00:00Z").expect("t").timestamp();
    for meter in ["G1", "G2"] {
        let known: Vec<&Raw> = raw
            .iter()
            .filter(|r| r.0 == meter && r.1 >= day_start && r.1 < at_s && r.3 <= at_s && r.2 >= 0.0)
            .collect();
        let consumed: f64 = known.iter().map(|r| r.2).sum();
        let rate = expected(&raw, meter, at_s, 5).expect("enough data") / 25.0;
        let want = consumed + rate * (25.0 - known.len() as f64);
        let got: f64 = rows[meter]["projected_kwh"].parse().expect("number");
        assert!((got - want).abs() < 1e-6 * want, "{meter}: {got} vs {want}");
        assert_eq!(rows[meter]["consumed_kwh"].parse::<f64>().expect("number"), consumed);
    }
}
