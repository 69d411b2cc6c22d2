//! A small site for the service's tests, cut from the synthetic refinery: two gas meters of
//! the estuary site, their hourly readings written as meter files, and the site's weather.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use vader::features::{Input, Readings, format_utc};

/// The meters of the test site.
pub const METERS: [&str; 2] = ["L18442", "L18447"];

/// Capacity of `L18442`, kWh/day.
pub const CAPACITY_L18442: f64 = 1_440_000.0;

/// A reading: meter, interval start (Unix seconds), kWh.
pub type Reading = (String, i64, f64);

/// The hourly readings of the two meters.
pub fn readings() -> Vec<Reading> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/refinery");
    let all = Readings::read(Input::File(root.join("readings.parquet"))).expect("the refinery's readings");
    let mut out = Vec::new();
    for id in METERS {
        let s = all.get(id).expect("meter in the refinery");
        for (t, e) in s.start.iter().zip(&s.energy_kwh) {
            out.push((id.to_string(), *t, *e));
        }
    }
    out
}

/// Writes the data folder (meters.csv and weather.parquet) and returns it.
pub fn data_folder(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/refinery");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data folder");
    let meters = std::fs::read_to_string(root.join("meters.csv")).expect("meters.csv");
    let kept: Vec<&str> = meters
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || METERS.iter().any(|m| l.starts_with(&format!("{m},"))))
        .map(|(_, l)| l)
        .collect();
    std::fs::write(data.join("meters.csv"), kept.join("\n") + "\n").expect("write meters.csv");
    std::fs::copy(root.join("weather.parquet"), data.join("weather.parquet")).expect("copy weather");
    data
}

/// A meter file (CSV of the data contract) with `rows`.
pub fn write_csv(path: &Path, rows: &[Reading]) {
    let mut text = String::from("meter_id,timestamp,energy_kwh\n");
    for (m, t, e) in rows {
        let _ = writeln!(text, "{m},{},{e}", format_utc(*t));
    }
    std::fs::write(path, text).expect("write meter file");
}

/// Unix seconds of an RFC 3339 instant.
pub fn ts(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text).expect("an RFC 3339 instant").timestamp()
}
