//! Every `--format csv` and `--format json` output of every command: the CSV parses with polars
//! into exactly the columns README.md documents, every row as wide as the header, and the JSON
//! parses with the documented keys.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{root, stdout_ok, vader};
use polars::prelude::*;

/// The documented CSV columns and JSON keys of each command, read from README.md's
/// "Machine-readable output" table.
fn documented() -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section =
        readme.split("### Machine-readable output").nth(1).expect("the README documents the output");
    let ticked =
        |cell: &str| -> Vec<String> { cell.split('`').skip(1).step_by(2).map(str::to_string).collect() };
    section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| `vader "))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let command = cells[1].trim_matches('`').trim_start_matches("vader ").to_string();
            (command, (ticked(cells[2]), ticked(cells[3])))
        })
        .collect()
}

/// Parses CSV text with polars (strict: a row wider or narrower than the header is an error).
#[track_caller]
fn csv_frame(text: &str, dir: &Path, name: &str) -> DataFrame {
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, text).expect("write csv");
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.clone()))
        .and_then(SerReader::finish);
    let frame = frame.unwrap_or_else(|e| panic!("{name}: the CSV does not parse: {e}\n{text}"));
    for (i, line) in text.lines().enumerate() {
        // A quoted cell may hold commas: count fields outside quotes.
        let (mut fields, mut quoted) = (1, false);
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => fields += 1,
                _ => {}
            }
        }
        assert_eq!(
            fields,
            frame.width(),
            "{name}: line {} has {fields} fields, the header {}",
            i + 1,
            frame.width()
        );
    }
    frame
}

#[track_caller]
fn check(command: &str, csv_args: &[&str], json_args: &[&str], dir: &Path) {
    let docs = documented();
    let (columns, keys) =
        docs.get(command).unwrap_or_else(|| panic!("README documents no `vader {command}` output"));
    let csv = stdout_ok(&vader(csv_args));
    let frame = csv_frame(&csv, dir, command);
    let names: Vec<String> = frame.get_column_names().iter().map(|n| n.to_string()).collect();
    assert_eq!(&names, columns, "{command}: CSV header against README");
    assert!(frame.height() > 0, "{command}: no rows");

    let json: serde_json::Value = serde_json::from_str(&stdout_ok(&vader(json_args))).expect("JSON parses");
    let object_keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    match &json {
        // A list of rows: each row has the CSV's columns.
        serde_json::Value::Array(rows) => {
            assert!(keys.is_empty(), "{command}: README names JSON keys, the output is a list");
            assert!(!rows.is_empty(), "{command}: empty JSON list");
            for row in rows {
                assert_eq!(
                    object_keys(row),
                    sorted(columns),
                    "{command}: JSON row keys against the CSV columns"
                );
            }
        }
        object => {
            assert_eq!(object_keys(object), sorted(keys), "{command}: JSON keys against README");
            if let Some(rows) = object.get("meters").and_then(|m| m.as_array())
                && command == "capacity"
            {
                for row in rows {
                    assert_eq!(
                        object_keys(row),
                        sorted(columns),
                        "capacity: JSON meter keys against the CSV columns"
                    );
                }
            }
        }
    }
}

#[test]
fn validate_and_capacity_outputs_have_the_documented_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    check("validate", &["validate", "--format", "csv"], &["validate", "--format", "json"], dir.path());
    let at = ["--at", "2025-02-11 14:00"];
    check(
        "capacity",
        &[&["capacity", "--format", "csv"][..], &at].concat(),
        &[&["capacity", "--format", "json"][..], &at].concat(),
        dir.path(),
    );
}

#[test]
fn nominate_outputs_have_the_documented_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = ["nominate", "--model", "examples/data/ridge-gas-day.json", "--day", "2025-01-15"];
    check(
        "nominate",
        &[&args[..], &["--format", "csv"]].concat(),
        &[&args[..], &["--format", "json"]].concat(),
        dir.path(),
    );
}

#[test]
fn backtest_and_compare_outputs_have_the_documented_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("run");
    let out = out.to_str().expect("path");
    let args = [
        "backtest",
        "--models",
        "persistence,mean-7d,ols",
        "--test-from",
        "2025-11-01",
        "--test-to",
        "2025-12-31",
        "--calibration-days",
        "21",
        "--out",
        out,
    ];
    check(
        "backtest",
        &[&args[..], &["--format", "csv"]].concat(),
        &[&args[..], &["--format", "json"]].concat(),
        dir.path(),
    );
    // The bug this pins: the header had 14 names for 17 values, so `euros` held the coverage.
    let csv = stdout_ok(&vader(&[&args[..], &["--format", "csv"]].concat()));
    let frame = csv_frame(&csv, dir.path(), "backtest-values");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(out).join("summary.json")).expect("summary"))
            .expect("json");
    let euros = frame.column("euros").expect("euros").str().expect("text").get(0).expect("a row").to_string();
    let first = &summary["leaderboard"][0];
    assert_eq!(euros.parse::<f64>().expect("a number"), first["euros"].as_f64().expect("euros"));
    let compare = ["compare", out, out, "--champion", "persistence", "--challenger", "ols"];
    check(
        "compare",
        &[&compare[..], &["--format", "csv"]].concat(),
        &[&compare[..], &["--format", "json"]].concat(),
        dir.path(),
    );
}
