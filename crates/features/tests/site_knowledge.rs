//! Site knowledge in a data folder: the meter's holiday calendar, planned closures and
//! covariates reach the feature table; bad files are refused with the file, line and column.

use std::path::Path;

use chrono::NaiveDate;
use vader_features::{Dataset, Target, features};

const READINGS: &str = "meter_id,timestamp,energy_kwh\n";

/// A data folder with one gas meter on site `s1`, 60 days of hourly readings from
/// 2024-03-01, and the given extra files.
fn folder(meters_extra: (&str, &str), files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut readings = String::from(READINGS);
    let start = 1_709_269_200_i64; // 2024-03-01T05:00:00Z, 06:00 Paris
    for h in 0..60 * 24 {
        let t = chrono::DateTime::from_timestamp(start + h * 3600, 0).expect("time");
        readings.push_str(&format!("M1,{},{}\n", t.format("%Y-%m-%dT%H:%M:%SZ"), 10 + h % 5));
    }
    std::fs::write(dir.path().join("readings.csv"), readings).expect("readings");
    let (header, cells) = meters_extra;
    let meters =
        format!("meter_id,name,site,commodity,timezone{header}\nM1,Boiler,s1,gas,Europe/London{cells}\n");
    std::fs::write(dir.path().join("meters.csv"), meters).expect("meters");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("file");
    }
    dir
}

fn column(dir: &Path, name: &str, days: &[NaiveDate]) -> Vec<f64> {
    let data = Dataset::open(dir).expect("dataset");
    let meters: Vec<_> = data.meters.iter().collect();
    let table = features(&data, &meters, Target::GasDay, days, 7200).expect("features");
    table.matrix.column(name).unwrap_or_else(|| panic!("no column {name}")).to_vec()
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, m, day).expect("date")
}

#[test]
fn the_meter_keeps_its_countrys_holidays() {
    // Good Friday 2024 (29 March) is a holiday in England, not in France; 8 May the reverse.
    let days = [d(3, 29), d(5, 8)];
    let england = folder((",country,subdivision", ",GB,ENG"), &[]);
    assert_eq!(column(england.path(), "holiday", &days), [1.0, 0.0]);
    let default = folder(("", ""), &[]);
    assert_eq!(column(default.path(), "holiday", &days), [0.0, 1.0]);
}

#[test]
fn an_unknown_calendar_or_country_code_is_refused() {
    let dir = folder((",country,subdivision", ",GB,XX"), &[]);
    let e = Dataset::open(dir.path()).expect_err("unknown subdivision").to_string();
    assert!(e.contains("GB-XX") && e.contains("ENG"), "{e}");
    let dir = folder((",country", ",England"), &[]);
    let e = Dataset::open(dir.path()).expect_err("bad code").to_string();
    assert!(e.contains("meters.csv, line 2") && e.contains("country"), "{e}");
    // A folder's own holidays.csv gives a calendar the shipped table lacks.
    let dir = folder(
        (",country", ",JP"),
        &[("holidays.csv", "country,subdivision,date,name\nJP,,2024-03-20,Vernal Equinox Day\n")],
    );
    assert_eq!(column(dir.path(), "holiday", &[d(3, 20), d(3, 21)]), [1.0, 0.0]);
}

#[test]
fn closures_flag_their_days() {
    let closures = "site,meter_id,first_day,last_day,reason\ns1,,2024-03-10,2024-03-12,turnaround\n,M1,2024-04-01,2024-04-01,\n";
    let dir = folder(("", ""), &[("closures.csv", closures)]);
    let days = [d(3, 9), d(3, 10), d(3, 12), d(3, 13), d(4, 1)];
    assert_eq!(column(dir.path(), "closed", &days), [0.0, 1.0, 1.0, 0.0, 1.0]);
    // Without a closures file there is no such column.
    let plain = folder(("", ""), &[]);
    let data = Dataset::open(plain.path()).expect("dataset");
    let meters: Vec<_> = data.meters.iter().collect();
    let table = features(&data, &meters, Target::GasDay, &days, 7200).expect("features");
    assert!(table.matrix.column("closed").is_none());
    for (text, needle) in [
        ("site,first_day,last_day\nnowhere,2024-03-10,2024-03-12\n", "site \"nowhere\""),
        ("meter_id,first_day,last_day\nM1,2024-03-12,2024-03-10\n", "before first_day"),
        ("site,first_day,last_day\ns1,10/03/2024,2024-03-12\n", "YYYY-MM-DD"),
        ("site,meter_id,first_day,last_day\n,,2024-03-10,2024-03-12\n", "give a site or a meter_id"),
    ] {
        let dir = folder(("", ""), &[("closures.csv", text)]);
        let e = Dataset::open(dir.path()).expect_err(needle).to_string();
        assert!(e.contains("closures.csv, line 2") && e.contains(needle), "{e}");
    }
}

#[test]
fn covariates_enter_as_their_mean_over_the_target_day() {
    // A plan of 100 until 2024-03-10T18:00Z, then 200: gas day 10 March (06:00 to 06:00 UTC,
    // winter in London) is 12 hours at 100 and 12 at 200.
    let plan = "site,meter_id,timestamp,name,value\ns1,,2024-03-01T00:00:00Z,throughput,100\ns1,,2024-03-10T18:00:00Z,throughput,200\n";
    let dir = folder(("", ""), &[("covariates.csv", plan)]);
    let days = [d(3, 9), d(3, 10), d(3, 11), d(3, 25)];
    assert_eq!(column(dir.path(), "cov_throughput", &days), [100.0, 150.0, 200.0, 200.0]);
    // A meter's own series replaces its site's: nothing is known before it starts.
    let own = format!("{plan},M1,2024-03-20T00:00:00Z,throughput,7\n");
    let dir = folder(("", ""), &[("covariates.csv", &own)]);
    let values = column(dir.path(), "cov_throughput", &days);
    assert!(values[..3].iter().all(|v| v.is_nan()) && values[3] == 7.0, "{values:?}");
    let bad = "site,timestamp,name,value\ns1,2024-03-01T00:00:00Z,crude throughput,1\n";
    let dir = folder(("", ""), &[("covariates.csv", bad)]);
    let e = Dataset::open(dir.path()).expect_err("bad name").to_string();
    assert!(e.contains("covariates.csv, line 2") && e.contains("name"), "{e}");
}
