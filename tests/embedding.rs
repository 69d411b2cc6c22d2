//! A saved model predicts bit for bit what it predicted before saving, training is
//! deterministic, and the model shipped with the embedding example is up to date.

mod common;

use common::{parse_csv, root, stdout_ok, vader};
use vader_models::{FeatureMatrix, ModelFile};

#[test]
fn training_is_deterministic_and_the_example_model_is_current() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = dir.path().join("ridge.json");
    stdout_ok(&vader(&[
        "train",
        "--model",
        "ridge",
        "--until",
        "2024-12-31",
        "--out",
        fresh.to_str().expect("path"),
    ]));
    let fresh = std::fs::read(&fresh).expect("fresh model");
    let shipped = std::fs::read(root().join("examples/data/ridge-gas-day.json")).expect("shipped model");
    assert!(
        fresh == shipped,
        "examples/data/ridge-gas-day.json differs from a fresh `vader train`: regenerate it"
    );
}

#[test]
fn a_loaded_model_predicts_what_nominate_prints_bit_for_bit() {
    let model = ModelFile::load(&root().join("examples/data/ridge-gas-day.json")).expect("model");
    let text = std::fs::read_to_string(root().join("examples/data/L18460-2025-01-15.csv")).expect("row");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let cells: Vec<&str> = lines.next().expect("row").split(',').collect();
    let (a, b) = (3, header.iter().position(|h| *h == "actual_kwh").expect("actual"));
    let x = FeatureMatrix::from_rows(
        header[a..b].iter().map(|s| s.to_string()).collect(),
        &[cells[a..b].iter().map(|c| c.parse::<f64>().expect("number")).collect::<Vec<_>>()],
    )
    .expect("matrix");
    let embedded = model.model_for("L18460").expect("meter").predict(&x).expect("prediction")[0];

    let out = vader(&[
        "nominate",
        "--model",
        "examples/data/ridge-gas-day.json",
        "--day",
        "2025-01-15",
        "--format",
        "csv",
    ]);
    let rows = parse_csv(&stdout_ok(&out));
    let cli: f64 = rows.iter().find(|r| r["meter_id"] == "L18460").expect("L18460")["nomination_kwh"]
        .parse()
        .expect("number");
    assert_eq!(embedded.to_bits(), cli.to_bits(), "{embedded} vs {cli}");

    // Columns in another order give the same answer; a missing column is refused.
    let mut names: Vec<String> = x.names().to_vec();
    names.reverse();
    let reversed = x.select(&names).expect("reorder");
    assert_eq!(
        model.model_for("L18460").expect("meter").predict(&reversed).expect("prediction")[0].to_bits(),
        embedded.to_bits()
    );
    let short = x.select(&names[1..]).expect("drop one");
    assert!(model.check_columns(&short).is_err());
}
