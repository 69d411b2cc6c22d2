//! The shipped datasets pass through `validate` and `capacity`, the synthetic one is
//! reproducible bit for bit, and the alert picture is a real PNG.

mod common;

use common::{parse_csv, root, stdout_ok, vader};

#[test]
fn real_dataset_passes_validate_and_capacity() {
    let out = vader(&["validate", "--data", "datasets/eemeter-uk", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout_ok(&out)).expect("json");
    let meters = report["meters"].as_array().expect("meters");
    assert_eq!(meters.len(), 3);
    // The half-hourly UK sample has exact duplicates and long gaps: both are reported.
    let elec1 = meters.iter().find(|m| m["meter_id"] == "UK-ELEC-1").expect("UK-ELEC-1");
    assert_eq!(elec1["interval_minutes"], 30.0);
    assert!(elec1["duplicates_dropped"].as_u64() > Some(0));
    assert!(elec1["longest_gap"]["missing_intervals"].as_i64() >= Some(48));

    // A winter evening: the gas meter has readings and a capacity.
    let out = vader(&[
        "capacity",
        "--data",
        "datasets/eemeter-uk",
        "--at",
        "2021-01-12T18:00:00Z",
        "--format",
        "csv",
    ]);
    let rows = parse_csv(&stdout_ok(&out));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["meter_id"], "UK-GAS-0");
    assert_eq!(rows[0]["status"], "ok");
    assert!(rows[0]["projected_kwh"].parse::<f64>().expect("number") > 0.0);
}

#[test]
fn default_dataset_validates_and_shows_its_dirt() {
    let out = vader(&["validate", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout_ok(&out)).expect("json");
    let meters = report["meters"].as_array().expect("meters");
    assert_eq!(meters.len(), 12);
    let sum = |key: &str| meters.iter().map(|m| m[key].as_u64().unwrap_or(0)).sum::<u64>();
    assert!(sum("gaps") > 12, "gaps");
    assert!(sum("duplicates_dropped") > 0, "duplicates");
    assert!(sum("negative") > 0, "negative glitches");
    assert_eq!(report["unknown_meters"].as_array().map(Vec::len), Some(0));
}

#[test]
fn default_dataset_is_reproducible_from_its_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout_ok(&vader(&["dataset", "synth", "--out", dir.path().to_str().expect("path")]));
    for file in ["readings.parquet", "meters.csv", "weather.parquet"] {
        let fresh = std::fs::read(dir.path().join(file)).expect("fresh file");
        let committed = std::fs::read(root().join("datasets/refinery").join(file)).expect("committed file");
        assert!(fresh == committed, "{file} differs from a fresh `vader dataset synth`");
    }
}

#[test]
fn a_fleet_repeats_the_twelve_kinds_and_keeps_the_first_twelve_meters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let synth = |meters: &str, out: &str| {
        let out = dir.path().join(out);
        let args = ["dataset", "synth", "--meters", meters, "--days", "14", "--format", "csv", "--out"];
        stdout_ok(&vader(&[&args[..], &[out.to_str().expect("path")]].concat()));
        out
    };
    let (twelve, fleet) = (synth("12", "twelve"), synth("30", "fleet"));
    let meters = std::fs::read_to_string(fleet.join("meters.csv")).expect("meters");
    let ids: Vec<&str> = meters.lines().skip(1).map(|l| l.split(',').next().unwrap_or("")).collect();
    assert_eq!(ids.len(), 30);
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), 30, "ids are unique: {ids:?}");
    assert!(ids.contains(&"L18442-2") && ids.contains(&"E-RHO-01-1"), "{ids:?}");
    // The first twelve meters are the refinery's, reading for reading.
    let readings =
        |dir: &std::path::Path| std::fs::read_to_string(dir.join("readings.csv")).expect("readings");
    let of_refinery: Vec<String> = readings(&fleet)
        .lines()
        .filter(|l| {
            l.split(',').next().is_some_and(|id| !id.contains('-') || id.starts_with("E-") && id.len() == 8)
        })
        .map(str::to_string)
        .collect();
    let refinery: Vec<String> = readings(&twelve).lines().map(str::to_string).collect();
    assert_eq!(of_refinery, refinery);
}

#[test]
fn default_dataset_overruns_a_few_times_a_year() {
    // Capacities are set from the true load so that each gas meter is over on about four gas
    // days a year; the alert at the end of those days must see some of them.
    let out = vader(&["validate", "--format", "json"]);
    stdout_ok(&out);
    let meters = std::fs::read_to_string(root().join("datasets/refinery/meters.csv")).expect("meters");
    let gas: Vec<&str> = meters.lines().filter(|l| l.contains(",gas,")).collect();
    assert_eq!(gas.len(), 10);
    assert!(gas.iter().all(|l| l.split(',').nth(4).is_some_and(|c| c.parse::<f64>().is_ok_and(|c| c > 0.0))));
}

#[test]
fn png_is_a_picture_of_the_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let png = dir.path().join("alert.png");
    let out = vader(&["capacity", "--at", "2025-01-15T12:00:00Z", "--png", png.to_str().expect("path")]);
    stdout_ok(&out);
    let bytes = std::fs::read(&png).expect("png written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let height = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    assert_eq!(width, 1080);
    assert!(height > 700, "ten rows and a title: {height}");
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

#[test]
fn output_formats_agree() {
    let at = "2025-02-03T09:00:00Z";
    let csv = parse_csv(&stdout_ok(&vader(&["capacity", "--at", at, "--format", "csv"])));
    let json: serde_json::Value =
        serde_json::from_str(&stdout_ok(&vader(&["capacity", "--at", at, "--format", "json"])))
            .expect("json");
    let table = stdout_ok(&vader(&["capacity", "--at", at]));
    let meters = json["meters"].as_array().expect("meters");
    assert_eq!(meters.len(), csv.len());
    for (row, meter) in csv.iter().zip(meters) {
        assert_eq!(meter["meter_id"], row["meter_id"].as_str());
        assert_eq!(meter["projected_kwh"].as_f64(), row["projected_kwh"].parse().ok());
        assert!(table.contains(&row["meter_id"]));
    }
}
