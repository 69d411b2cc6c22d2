//! `kill -9` during ingestion loses no reading and duplicates none. A batch of overlapping
//! meter files is ingested by `vader serve --once`, killed (SIGKILL) at 24 random points
//! spread over the time an uninterrupted run takes to archive the batch; after each kill the store holds only
//! right readings, each once, and the next cycle completes it to exactly the readings of the
//! files.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use support::site::{self, Reading, ts};
use vader::serve::store::Store;

const KILLS: usize = 24;

/// Every stored reading, by (meter, timestamp), failing on a repeated one.
fn stored(home: &Path) -> BTreeMap<(String, i64), f64> {
    let store = Store::open(home.join("store")).expect("store");
    let mut out = BTreeMap::new();
    for meter in site::METERS {
        for month in ["2025-01", "2025-02", "2025-03", "2025-04"] {
            for r in store.read_partition(meter, month).expect("partition") {
                let again = out.insert((meter.to_string(), r.timestamp), r.energy_kwh);
                assert!(again.is_none(), "{meter} {} stored twice", r.timestamp);
            }
        }
    }
    out
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn serve(config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vader"));
    command
        .args(["serve", "--once", "--quiet", "--env", "test", "--now", "2025-02-01T12:00:00Z", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// A fresh environment with the batch in its inbox; returns the config file.
fn prepare(dir: &Path, batch: &[(String, Vec<Reading>)]) -> std::path::PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    site::data_folder(dir);
    let inbox = dir.join("home/inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    for (name, rows) in batch {
        site::write_csv(&inbox.join(name), rows);
    }
    let config = dir.join("serve.toml");
    std::fs::write(&config, "data = \"data\"\n[env.test]\nhome = \"home\"\n").expect("config");
    config
}

#[test]
fn kill_nine_at_random_points_loses_and_duplicates_nothing() {
    let all = site::readings();
    // Sixty files of one day each, every other one overlapping the previous day by half.
    let mut batch = Vec::new();
    for day in 0..60 {
        let start = ts("2025-01-01T00:00:00Z") + day * 86_400 - if day % 2 == 1 { 43_200 } else { 0 };
        let rows: Vec<_> =
            all.iter().filter(|r| r.1 >= start && r.1 < start + 86_400 + 43_200).cloned().collect();
        batch.push((format!("day-{day:02}.csv"), rows));
    }
    let mut expected: BTreeMap<(String, i64), f64> = BTreeMap::new();
    for (_, rows) in &batch {
        for r in rows {
            expected.insert((r.0.clone(), r.1), r.2);
        }
    }
    let root = tempfile::tempdir().expect("tmp");

    // An uninterrupted run, timed from its start to the last file archived (its log says
    // when): the kills are spread over that time.
    let full_dir = root.path().join("full");
    let config = prepare(&full_dir, &batch);
    let spawned = chrono::Utc::now();
    assert!(serve(&config).status().expect("run").success());
    assert_eq!(stored(&full_dir.join("home")), expected);
    let log = std::fs::read_to_string(full_dir.join("home/log/serve.jsonl")).expect("log");
    let last_archived = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "archived")
        .filter_map(|v| chrono::DateTime::parse_from_rfc3339(v["time"].as_str()?).ok())
        .max()
        .expect("files archived");
    let full = (last_archived.with_timezone(&chrono::Utc) - spawned).to_std().expect("a positive duration");

    // Deterministic kill points (a fixed linear congruential sequence), in [0, full).
    let mut seed: u64 = 20_251_207;
    let mut partial = 0;
    for round in 0..KILLS {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let fraction = (seed >> 11) as f64 / (1u64 << 53) as f64;
        let at = full.mul_f64(fraction);
        let dir = root.path().join(format!("kill-{round}"));
        let config = prepare(&dir, &batch);
        let mut child = serve(&config).spawn().expect("spawn");
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let home = dir.join("home");
        let after_kill = stored(&home);
        for (key, value) in &after_kill {
            assert_eq!(expected.get(key), Some(value), "round {round}: a stored reading that no file has");
        }
        if !after_kill.is_empty() && after_kill.len() < expected.len() {
            partial += 1;
        }
        // The next cycle completes the batch.
        assert!(serve(&config).status().expect("run").success(), "round {round}: the cycle after the kill");
        assert_eq!(stored(&home), expected, "round {round}: killed after {at:?} of {full:?}");
        let leftovers =
            walk(&home.join("store")).into_iter().filter(|p| !p.ends_with("data.parquet")).count();
        assert_eq!(leftovers, 0, "round {round}: temporary files left in the store");
        let inbox: Vec<_> = std::fs::read_dir(home.join("inbox")).expect("inbox").collect();
        assert!(inbox.is_empty(), "round {round}: files left in the inbox");
        let archived = std::fs::read_dir(home.join("archive/2025-02-01")).expect("archive").count();
        assert_eq!(archived, batch.len(), "round {round}: each file archived once");
    }
    eprintln!(
        "{partial} of {KILLS} kills landed in the middle of the batch (an uninterrupted run archived it in {full:?})"
    );
    assert!(
        partial >= KILLS / 2,
        "only {partial} of {KILLS} kills interrupted the batch: the test lost its point"
    );
}
