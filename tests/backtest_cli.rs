//! `vader backtest` in euros and `vader compare`: reports, identical reruns, price files, real
//! prices, and an A/B verdict that `compare` reproduces from the saved forecasts.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{stdout_ok, vader, write};

/// Every file of a results folder, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("results folder")
        .map(|e| {
            let e = e.expect("entry");
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("file"))
        })
        .collect()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).expect("summary.json")).expect("json")
}

fn backtest(out: &Path, extra: &[&str]) -> std::process::Output {
    let out = out.to_str().expect("path");
    vader(&[&["backtest", "--out", out, "--format", "csv"][..], extra].concat())
}

const Q4: [&str; 10] = [
    "--models",
    "persistence,ridge,gbm",
    "--test-from",
    "2025-10-01",
    "--test-to",
    "2025-12-31",
    "--decision",
    "cost-optimal",
    "--sweep",
    "small-adjustment=0.01,0.02,0.05",
];

/// Every model's 80 % interval covers between 75 % and 85 % of the actuals.
fn assert_calibrated(summary: &serde_json::Value) {
    for m in summary["leaderboard"].as_array().into_iter().flatten() {
        let coverage = m["metrics"]["coverage_80"].as_f64().expect("coverage");
        assert!((0.75..=0.85).contains(&coverage), "{}: 80 % interval covers {coverage}", m["model"]);
    }
}

#[test]
fn two_runs_decide_and_price_identically_and_compare_reproduces_the_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    stdout_ok(&backtest(&a, &Q4));
    stdout_ok(&backtest(&b, &Q4));
    let (fa, fb) = (files(&a), files(&b));
    let names: Vec<&str> = fa.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "errors.png",
            "euros.png",
            "forecasts.parquet",
            "report.html",
            "report.md",
            "savings.png",
            "summary.json",
            "sweep.png"
        ]
    );
    for (name, bytes) in &fa {
        assert!(fb.get(name) == Some(bytes), "{name} differs between two runs");
    }

    let s = summary(&a);
    assert_calibrated(&s);
    assert_eq!(s["run"]["decision"]["rule"], "cost-optimal");
    assert_eq!(
        s["decision_gains"].as_array().map(Vec::len),
        Some(3),
        "cost-optimal against point, per model"
    );
    assert_eq!(s["sweep"].as_array().map(Vec::len), Some(9), "three prices × three models");
    assert_eq!(s["champion"], "persistence");
    assert_eq!(s["leaderboard"].as_array().map(Vec::len), Some(3));
    assert!(
        s["leaderboard"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|m| m["euros"].as_f64().is_some_and(|e| e > 0.0))
    );
    let comparisons = s["comparisons"].as_array().expect("comparisons");
    assert_eq!(comparisons.len(), 2);
    let gbm = comparisons.iter().find(|c| c["euros"]["challenger"] == "gbm").expect("gbm compared");
    assert_eq!(gbm["euros"]["days"], 92);

    // `vader compare` on the saved forecasts gives the same comparison as the backtest.
    let run = a.to_str().expect("path");
    let out =
        vader(&["compare", run, run, "--champion", "persistence", "--challenger", "gbm", "--format", "json"]);
    let compared: serde_json::Value = serde_json::from_str(&stdout_ok(&out)).expect("json");
    assert_eq!(&compared, gbm);

    // The Markdown report names the verdicts; the HTML holds the same tables and the plots.
    let md = String::from_utf8(fa["report.md"].clone()).expect("utf-8");
    assert!(md.contains("## Leaderboard") && md.contains("| gbm |"), "{md}");
    let html = String::from_utf8(fa["report.html"].clone()).expect("utf-8");
    assert!(html.contains("<table>") && html.contains("src=\"savings.png\""));
}

#[test]
fn a_corrupted_price_file_fails_clearly_and_leaves_earlier_results_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("results");
    let short = ["--models", "persistence,mean-7d", "--test-from", "2025-12-01", "--test-to", "2025-12-10"];
    stdout_ok(&backtest(&out, &short));
    let before = files(&out);

    let prices = dir.path().join("gas.csv");
    for (text, expected) in [
        ("day,price_eur_per_mwh\n2025-12-01,30\n2025-12-02,thirty\n", "line 3"),
        ("day,price_eur_per_mwh\n2025-12-01,30\n", "no gas price for 2025-12-02"),
        ("day,price\n2025-12-01,30\n", "missing column `price_eur_per_mwh`"),
    ] {
        std::fs::write(&prices, text).expect("write");
        let run = backtest(&out, &[&short[..], &["--gas-prices", prices.to_str().expect("path")]].concat());
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("gas.csv") && stderr.contains(expected), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one error line: {stderr}");
        assert!(files(&out) == before, "a failed run changed the earlier results");
    }

    // A good series is used: at ten times the default price every gas imbalance costs ten times
    // as much (the small adjustment is a share of the price).
    let mut text = String::from("day,price_eur_per_mwh\n");
    for d in 1..=10 {
        text.push_str(&format!("2025-12-{d:02},350\n"));
    }
    std::fs::write(&prices, text).expect("write");
    let dear = dir.path().join("dear");
    stdout_ok(&backtest(&dear, &[&short[..], &["--gas-prices", prices.to_str().expect("path")]].concat()));
    let euros = |dir: &Path, model: &str| {
        summary(dir)["leaderboard"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["model"] == model)
            .and_then(|m| m["euros"].as_f64())
            .expect("euros")
    };
    for model in ["persistence", "mean-7d"] {
        let ratio = euros(&dear, model) / euros(&out, model);
        assert!((ratio - 10.0).abs() < 1e-9, "{model}: {ratio}");
    }
}

#[test]
fn a_cost_file_changes_the_prices_and_a_typo_in_it_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let short =
        ["--models", "intraday-5h,persistence", "--test-from", "2025-02-01", "--test-to", "2025-02-14"];
    let capacity = [&short[..], &["--target", "rest-of-gas-day"]].concat();
    let base = dir.path().join("base");
    stdout_ok(&backtest(&base, &capacity));
    write(dir.path(), "cost.toml", "[capacity]\npenalty_eur_per_mwh = 400.0\n");
    let severe = dir.path().join("severe");
    let cost = dir.path().join("cost.toml");
    stdout_ok(&backtest(&severe, &[&capacity[..], &["--cost", cost.to_str().expect("path")]].concat()));
    let s = summary(&severe);
    assert_eq!(s["run"]["cost"]["capacity"]["penalty_eur_per_mwh"], 400.0);
    let total = |dir: &Path| -> f64 {
        summary(dir)["leaderboard"].as_array().into_iter().flatten().filter_map(|m| m["euros"].as_f64()).sum()
    };
    assert!(total(&severe) >= total(&base), "a dearer penalty cannot make decisions cheaper");

    write(dir.path(), "cost.toml", "[capacity]\npenalty = 400.0\n");
    let run = backtest(&severe, &[&capacity[..], &["--cost", cost.to_str().expect("path")]].concat());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cost.toml") && stderr.contains("penalty"), "{stderr}");
}

#[test]
fn real_french_day_ahead_prices_price_electricity_schedules() {
    // A refinery synthesised over 2017-2018, priced with the real French day-ahead prices of 2018
    // (SMARD, converted by datasets/convert_smard.py).
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("path");
    stdout_ok(&vader(&["dataset", "synth", "--out", data_arg, "--start", "2017-09-01", "--days", "300"]));
    let prices = "datasets/prices/fr-day-ahead-2015-2018.csv";
    let args = |from: &str, to: &str| {
        [
            "--data",
            data_arg,
            "--target",
            "electricity-day",
            "--models",
            "persistence,ridge",
            "--test-from",
            from,
            "--test-to",
            to,
        ]
        .map(String::from)
    };
    let march = args("2018-03-01", "2018-03-31");
    let march: Vec<&str> = march.iter().map(String::as_str).collect();
    let real = dir.path().join("real");
    stdout_ok(&backtest(&real, &[&march[..], &["--electricity-prices", prices]].concat()));
    let constant = dir.path().join("constant");
    stdout_ok(&backtest(&constant, &march));
    let s = summary(&real);
    assert!(s["run"]["electricity_prices"].as_str().is_some_and(|p| p.contains("every 60 min")), "{s}");
    let euros = |dir: &Path| summary(dir)["leaderboard"][0]["euros"].as_f64().expect("euros");
    assert!(euros(&real) > 0.0 && euros(&real) != euros(&constant));

    // 2017 has no French prices in the file: refused, naming the first period without one.
    let autumn = args("2017-11-01", "2017-11-05");
    let autumn: Vec<&str> = autumn.iter().map(String::as_str).collect();
    let run =
        backtest(&dir.path().join("autumn"), &[&autumn[..], &["--electricity-prices", prices]].concat());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no electricity price for 2017-11-0"), "{stderr}");
}

#[test]
fn the_real_dataset_backtests_in_euros() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("uk");
    // The last year of data (2021-12-07 to 2022-12-06): a whole heating cycle.
    let args = ["--data", "datasets/eemeter-uk", "--models", "persistence,ridge"];
    stdout_ok(&backtest(&out, &args));
    let s = summary(&out);
    assert_calibrated(&s);
    assert_eq!(s["run"]["meters"], serde_json::json!(["UK-GAS-0"]));
    assert!(s["comparisons"][0]["euros"]["verdict"].is_string(), "{s}");
    assert!(s["leaderboard"][0]["euros"].as_f64().is_some_and(|e| e > 0.0));
}

#[test]
fn the_regression_gate_passes_on_its_own_figures_and_fails_on_a_worse_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reference = dir.path().join("reference.json");
    let reference_arg = reference.to_str().expect("path");
    let short = ["--models", "persistence,mean-7d", "--test-from", "2025-11-01", "--test-to", "2025-11-30"];
    let out = dir.path().join("out");
    stdout_ok(&backtest(&out, &[&short[..], &["--save-reference", reference_arg]].concat()));
    let check = |extra: &[&str]| backtest(&out, &[&short[..], &["--check", reference_arg], extra].concat());
    let run = check(&[]);
    assert!(run.status.success() && String::from_utf8_lossy(&run.stderr).contains("check passed"));

    // A reference that mean-7d used to beat by half: this run's mean-7d is now the worse model.
    let text = std::fs::read_to_string(&reference).expect("reference");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
    let mae = value["models"]["mean-7d"]["mae_kwh"].as_f64().expect("mae");
    value["models"]["mean-7d"]["mae_kwh"] = serde_json::json!(mae / 2.0);
    std::fs::write(&reference, value.to_string()).expect("write");
    let run = check(&[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("WORSE: mean-7d mae_kwh") && stderr.contains("check failed"), "{stderr}");

    // Another setup is refused, not compared.
    let run = check(&["--refit-days", "14"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("run the same setup"));

    // A peer block: the run's best model must beat the peer's best on MAE and on euros.
    value["models"]["mean-7d"]["mae_kwh"] = serde_json::json!(mae);
    let best = value["models"].as_object().expect("models").values();
    let (best_mae, best_euros) = best.fold((f64::INFINITY, f64::INFINITY), |(m, e), f| {
        (m.min(f["mae_kwh"].as_f64().expect("mae")), e.min(f["euros"].as_f64().expect("euros")))
    });
    let peer = |mae: f64, euros: f64| {
        serde_json::json!({"source": "test", "best_mae_model": "peer-a", "mae_kwh": mae,
            "best_euros_model": "peer-b", "euros": euros})
    };
    value["peer"] = peer(best_mae * 1.01, best_euros * 1.01);
    std::fs::write(&reference, value.to_string()).expect("write");
    let run = check(&[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success() && stderr.contains("beats the independent peer"), "{stderr}");
    value["peer"] = peer(best_mae * 1.01, best_euros * 0.99);
    std::fs::write(&reference, value.to_string()).expect("write");
    let run = check(&[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not below the independent peer's best (peer-b)") && !stderr.contains("peer-a"),
        "{stderr}"
    );
    // Saving a reference keeps the peer block.
    stdout_ok(&backtest(&out, &[&short[..], &["--save-reference", reference_arg]].concat()));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&reference).expect("reference")).expect("json");
    assert_eq!(saved["peer"]["best_euros_model"], "peer-b");

    // Other prices are another setup.
    let run = check(&["--cost", "examples/data/asymmetric-gas.toml"]);
    assert_eq!(run.status.code(), Some(2), "{}", String::from_utf8_lossy(&run.stderr));

    // Cost-optimal decisions the reference adopted must still beat the point decisions.
    let mut value = saved;
    let gains = value["cost_optimal"].as_object().expect("cost_optimal").clone();
    let (model, _) = gains
        .iter()
        .find(|(_, g)| g["verdict"] != "adopt challenger")
        .expect("a model whose cost-optimal decisions were not adopted on 30 days");
    value["cost_optimal"][model]["verdict"] = serde_json::json!("adopt challenger");
    std::fs::write(&reference, value.to_string()).expect("write");
    let run = check(&[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("WORSE: {model}'s cost-optimal decisions no longer beat")), "{stderr}");
}
