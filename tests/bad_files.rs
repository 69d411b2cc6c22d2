//! Bad input gets one clear error line naming the file, the line and the column, and a
//! non-zero exit; never a panic.

mod common;

use common::{vader, write};

const METERS: &str = "meter_id,name,site,commodity,capacity_kwh_per_day\nG1,Furnace,s,gas,1000\n";

/// Runs `vader validate` and `vader capacity` on a folder holding `readings` and returns the
/// single error line, after checking both fail the same way.
#[track_caller]
fn error_line(readings: &str, meters: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "readings.csv", readings);
    write(dir.path(), "meters.csv", meters);
    let data = dir.path().to_str().expect("path");
    let mut lines = Vec::new();
    for args in
        [vec!["validate", "--data", data], vec!["capacity", "--data", data, "--at", "2024-01-01T12:00:00Z"]]
    {
        let out = vader(&args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(data), "the error names the file: {stderr}");
        lines.push(stderr.trim_end().to_string());
    }
    assert_eq!(lines[0], lines[1]);
    lines.remove(0)
}

#[test]
fn missing_column() {
    let e = error_line("meter_id,timestamp,kwh\nG1,2024-01-01T00:00:00Z,1\n", METERS);
    assert!(
        e.contains("readings.csv: missing column `energy_kwh` (columns found: meter_id, timestamp, kwh)"),
        "{e}"
    );
}

#[test]
fn bad_timestamp() {
    let e = error_line(
        "meter_id,timestamp,energy_kwh\nG1,2024-01-01T00:00:00Z,1\nG1,2024-01-01 01:00,2\n",
        METERS,
    );
    assert!(e.contains("readings.csv, line 3: column `timestamp`: cannot parse \"2024-01-01 01:00\""), "{e}");
}

#[test]
fn bad_number() {
    let e = error_line(
        "meter_id,timestamp,energy_kwh\nG1,2024-01-01T00:00:00Z,1\nG1,2024-01-01T01:00:00Z,1,5\n",
        METERS,
    );
    // A ragged line (here a decimal comma) is found and named too.
    assert!(e.contains("readings.csv, line 3: 4 fields where the header has 3"), "{e}");
    let e = error_line(
        "meter_id,timestamp,energy_kwh\nG1,2024-01-01T00:00:00Z,1\nG1,2024-01-01T01:00:00Z,12kWh\n",
        METERS,
    );
    assert!(
        e.contains("readings.csv, line 3: column `energy_kwh`: cannot parse \"12kWh\" as a number"),
        "{e}"
    );
}

#[test]
fn conflicting_duplicate_names_both_rows() {
    let e = error_line(
        "meter_id,timestamp,energy_kwh\nG1,2024-01-01T00:00:00Z,1\nG1,2024-01-01T01:00:00Z,2\nG1,2024-01-01T00:00:00Z,3\n",
        METERS,
    );
    assert!(
        e.contains("conflicting duplicate readings for meter G1 at 2024-01-01T00:00:00Z")
            && e.contains("line 2 says 1 kWh, line 4 says 3 kWh"),
        "{e}"
    );
}

#[test]
fn identical_duplicates_are_dropped_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "readings.csv",
        "meter_id,timestamp,energy_kwh\nG1,2024-01-01T00:00:00Z,1\nG1,2024-01-01T00:00:00Z,1\nG1,2024-01-01T01:00:00Z,2\n",
    );
    write(dir.path(), "meters.csv", METERS);
    let out = vader(&["validate", "--data", dir.path().to_str().expect("path"), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&common::stdout_ok(&out)).expect("json");
    assert_eq!(report["meters"][0]["duplicates_dropped"], 1);
    assert_eq!(report["meters"][0]["readings"], 2);
}

#[test]
fn empty_file() {
    let e = error_line("", METERS);
    assert!(e.contains("readings.csv: file is empty"), "{e}");
    let e = error_line("meter_id,timestamp,energy_kwh\n", METERS);
    assert!(e.contains("readings.csv: file is empty"), "{e}");
}

#[test]
fn bad_meters_file() {
    let readings = "meter_id,timestamp,energy_kwh\nG1,2024-01-01T00:00:00Z,1\n";
    let e = error_line(readings, "meter_id,name,site,commodity\nG1,Furnace,s,steam\n");
    assert!(e.contains("meters.csv, line 2: column `commodity`: unknown commodity \"steam\""), "{e}");
    let e = error_line(readings, "meter_id,name,site,commodity,timezone\nG1,Furnace,s,gas,Europe/Pariss\n");
    assert!(e.contains("meters.csv, line 2: column `timezone`: unknown time zone \"Europe/Pariss\""), "{e}");
    let e = error_line(readings, "meter_id,name,site,commodity,capacity_kwh_per_day\nG1,F,s,gas,-5\n");
    assert!(e.contains("meters.csv, line 2: column `capacity_kwh_per_day`"), "{e}");
}

#[test]
fn missing_folder_and_missing_file() {
    let out = vader(&["validate", "--data", "no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "meters.csv", METERS);
    let out = vader(&["validate", "--data", dir.path().to_str().expect("path")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no readings file (expected one of: readings.parquet, readings.csv)"),
        "{stderr}"
    );
}

#[test]
fn a_parquet_file_that_is_not_parquet() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "readings.parquet", "meter_id,timestamp,energy_kwh\nG1,2024-01-01T00:00:00Z,1\n");
    write(dir.path(), "meters.csv", METERS);
    let out = vader(&["validate", "--data", dir.path().to_str().expect("path")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("readings.parquet: not a readable Parquet file"), "{stderr}");
}
