//! `vader train`, `vader nominate` and `vader backtest` end to end, on the default and the real
//! dataset.

mod common;

use common::{parse_csv, stdout_ok, vader};

#[test]
fn every_model_trains_and_nominates_on_the_default_dataset() {
    let dir = tempfile::tempdir().expect("tempdir");
    for model in ["persistence", "seasonal-naive", "mean-7d", "ols", "ridge", "gbm", "gbm-q0.9"] {
        let file = dir.path().join(format!("{model}.json"));
        let file = file.to_str().expect("path");
        stdout_ok(&vader(&["train", "--model", model, "--until", "2024-12-31", "--out", file]));
        let out = vader(&["nominate", "--model", file, "--day", "2025-01-15", "--format", "csv"]);
        let rows = parse_csv(&stdout_ok(&out));
        assert_eq!(rows.len(), 10, "{model}: one nomination per gas meter");
        for row in rows {
            let kwh: f64 = row["nomination_kwh"].parse().expect("number");
            assert!(kwh.is_finite() && kwh > 0.0, "{model} {}: {kwh}", row["meter_id"]);
            // Decided on the eve at 14:00 Paris (13:00 UTC in winter).
            assert_eq!(row["decision_at"], "2025-01-14T13:00:00+00:00");
        }
    }
}

#[test]
fn every_model_trains_and_nominates_on_the_real_dataset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = ["--data", "datasets/eemeter-uk"];
    for model in ["persistence", "seasonal-naive", "mean-7d", "ols", "ridge", "gbm", "gbm-q0.9"] {
        let file = dir.path().join(format!("{model}.json"));
        let file = file.to_str().expect("path");
        let train = ["train", "--target", "daily", "--model", model, "--until", "2021-12-31", "--out", file];
        stdout_ok(&vader(&[&train[..], &data[..]].concat()));
        let nominate = ["nominate", "--model", file, "--day", "2022-02-01", "--format", "csv"];
        let rows = parse_csv(&stdout_ok(&vader(&[&nominate[..], &data[..]].concat())));
        // UK-ELEC-1 ends in 2014 but has a model trained on its own span: every meter is nominated.
        assert_eq!(rows.len(), 3, "{model}");
        assert!(rows.iter().all(|r| r["nomination_kwh"].parse::<f64>().is_ok_and(f64::is_finite)), "{model}");
    }
}

#[test]
fn a_model_refuses_data_without_its_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("m.json");
    std::fs::write(&file, "{\"format\": \"something-else\"}").expect("write");
    let out = vader(&["nominate", "--model", file.to_str().expect("path"), "--day", "2025-01-15"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a vader model file"), "{stderr}");
}

#[test]
fn backtest_scores_every_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = vader(&[
        "backtest",
        "--out",
        dir.path().to_str().expect("path"),
        "--test-from",
        "2025-11-01",
        "--test-to",
        "2025-11-30",
        "--refit-days",
        "14",
        "--format",
        "csv",
    ]);
    let rows = parse_csv(&stdout_ok(&out));
    assert_eq!(rows.len(), 6);
    for row in rows {
        let n: usize = row["n"].parse().expect("n");
        assert!(n >= 250, "{}: {n} forecasts scored", row["model"]);
        assert!(row["mae_kwh"].parse::<f64>().is_ok_and(|m| m > 0.0));
    }
}

#[test]
fn electricity_schedules_have_one_row_per_period_including_dst_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("el.json");
    let file = file.to_str().expect("path");
    stdout_ok(&vader(&[
        "train",
        "--target",
        "electricity-day",
        "--model",
        "ridge",
        "--until",
        "2025-06-30",
        "--out",
        file,
    ]));
    // (day, periods, decision: the eve at 11:00 Paris)
    for (day, periods, decided) in [
        ("2025-03-30", 23, "2025-03-29T10:00:00+00:00"),
        ("2025-10-26", 25, "2025-10-25T09:00:00+00:00"),
        ("2025-07-01", 24, "2025-06-30T09:00:00+00:00"),
    ] {
        let rows =
            parse_csv(&stdout_ok(&vader(&["nominate", "--model", file, "--day", day, "--format", "csv"])));
        assert_eq!(rows.len(), 2 * periods, "{day}: two meters × {periods} periods");
        assert!(rows.iter().all(|r| r["decision_at"] == decided), "{day}");
        assert!(rows.iter().all(|r| r["nomination_kwh"].parse::<f64>().is_ok_and(|v| v > 0.0)));
    }
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::io::Read as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vader"))
        .args(["validate", "--format", "csv"])
        .current_dir(common::root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take()); // the reader goes away at once
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.success(), "{stderr}");
}

#[test]
fn a_global_model_trains_once_and_nominates_every_meter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("global.json");
    let file = file.to_str().expect("path");
    stdout_ok(&vader(&[
        "train",
        "--scope",
        "global",
        "--model",
        "gbm",
        "--until",
        "2024-12-31",
        "--out",
        file,
    ]));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("model file")).expect("json");
    assert_eq!(
        saved["models"].as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["*".to_string()])
    );
    assert!(saved["feature_names"].as_array().is_some_and(|n| n.iter().any(|n| n == "meter_L18460")));
    let rows = parse_csv(&stdout_ok(&vader(&[
        "nominate",
        "--model",
        file,
        "--day",
        "2025-01-15",
        "--format",
        "csv",
    ])));
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r["nomination_kwh"].parse::<f64>().is_ok_and(|v| v > 0.0)));
    // The global walk-forward scores exactly the rows the per-meter one does.
    let scored = |scope: &str| {
        let report = dir.path().join(scope);
        let out = vader(&[
            "backtest",
            "--out",
            report.to_str().expect("path"),
            "--scope",
            scope,
            "--models",
            "ridge",
            "--test-from",
            "2025-11-01",
            "--test-to",
            "2025-11-14",
            "--format",
            "csv",
        ]);
        parse_csv(&stdout_ok(&out))[0]["n"].parse::<usize>().expect("n")
    };
    let n = scored("global");
    assert!(n > 120 && n <= 140, "ten meters × 14 days, less incomplete days: {n}");
    assert_eq!(n, scored("per-meter"));
}

#[test]
fn backtest_results_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |threads: &str| {
        let report = dir.path().join(threads);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vader"))
            .args([
                "backtest",
                "--out",
                report.to_str().expect("path"),
                "--models",
                "ols,gbm",
                "--test-from",
                "2025-06-01",
                "--test-to",
                "2025-06-21",
                "--format",
                "csv",
            ])
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(common::root())
            .output()
            .expect("vader runs");
        stdout_ok(&out);
        std::fs::read(report.join("forecasts.parquet")).expect("forecasts written")
    };
    assert_eq!(run("1"), run("2"), "forecasts.parquet differs between 1 and 2 threads");
}

#[test]
fn cost_optimal_nominations_are_calibrated_quantiles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ridge.json");
    let file = file.to_str().expect("path");
    stdout_ok(&vader(&["train", "--model", "ridge", "--until", "2025-01-14", "--out", file]));
    let nominate = |decision: &str| {
        let args =
            ["nominate", "--model", file, "--day", "2025-01-15", "--format", "csv", "--decision", decision];
        parse_csv(&stdout_ok(&vader(&args)))
    };
    let (point, optimal) = (nominate("point"), nominate("cost-optimal"));
    assert_eq!(point.len(), 10);
    for (p, o) in point.iter().zip(&optimal) {
        let num = |row: &std::collections::HashMap<String, String>, c: &str| row[c].parse::<f64>().expect(c);
        assert_eq!(num(p, "nomination_kwh"), num(p, "point_kwh"), "a point decision nominates the forecast");
        // Gas imbalance costs the same either side: the cost-optimal nomination is the median,
        // inside the 80 % interval.
        assert_eq!(num(o, "tau"), 0.5);
        let (q10, q90, v) = (num(o, "q10_kwh"), num(o, "q90_kwh"), num(o, "nomination_kwh"));
        assert!(q10 <= v && v <= q90, "{}: {q10} {v} {q90}", o["meter_id"]);
    }
    // Without calibration residuals the point forecast is nominated, with a warning.
    stdout_ok(&vader(&[
        "train",
        "--model",
        "ridge",
        "--until",
        "2025-01-14",
        "--out",
        file,
        "--calibration-days",
        "0",
    ]));
    let out = vader(&[
        "nominate",
        "--model",
        file,
        "--day",
        "2025-01-15",
        "--format",
        "csv",
        "--decision",
        "cost-optimal",
    ]);
    let rows = parse_csv(&stdout_ok(&out));
    assert!(rows.iter().all(|r| r["nomination_kwh"] == r["point_kwh"] && r["tau"].is_empty()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no calibration residuals"));
}

#[test]
fn the_capacity_alert_projects_with_a_model_and_buys_up_to_its_quantile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("rod.json");
    let file = file.to_str().expect("path");
    let train =
        ["train", "--target", "rest-of-gas-day", "--model", "ols", "--until", "2025-02-10", "--out", file];
    stdout_ok(&vader(&train));
    let alert = |decision: &str| {
        let args = [
            "capacity",
            "--at",
            "2025-02-11 14:00",
            "--model",
            file,
            "--decision",
            decision,
            "--format",
            "csv",
        ];
        parse_csv(&stdout_ok(&vader(&args)))
    };
    let (point, optimal) = (alert("point"), alert("cost-optimal"));
    assert_eq!(point.len(), 10);
    let num = |r: &std::collections::HashMap<String, String>, c: &str| r[c].parse::<f64>().expect(c);
    let mut differs = 0;
    for (p, o) in point.iter().zip(&optimal) {
        // Same model, same projection; the cost-optimal purchase covers the 99.7 % quantile.
        assert_eq!(p["projected_kwh"], o["projected_kwh"]);
        let extra_point = (num(p, "projected_kwh") - num(p, "capacity_kwh")).max(0.0);
        assert!((num(p, "extra_capacity_kwh") - extra_point).abs() < 1e-6);
        differs += usize::from(p["extra_capacity_kwh"] != o["extra_capacity_kwh"]);
    }
    assert!(differs > 0, "the 99.7 % quantile buys more than the point projection somewhere");
    // A day-ahead model cannot project the rest of a gas day.
    let day_ahead = dir.path().join("gd.json");
    let day_ahead = day_ahead.to_str().expect("path");
    stdout_ok(&vader(&["train", "--model", "ols", "--until", "2025-02-10", "--out", day_ahead]));
    let out = vader(&["capacity", "--at", "2025-02-11 14:00", "--model", day_ahead]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a rest-of-gas-day model"));
}
