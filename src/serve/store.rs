//! The store of readings: a Parquet dataset partitioned by meter and month
//! (`readings/meter_id=L18442/month=2025-03/data.parquet`), read by polars.
//!
//! Each partition holds the readings of one meter whose interval starts in one UTC month,
//! sorted by time, one row per interval: `meter_id`, `timestamp` and `energy_kwh` (the data
//! contract's columns), then `ingested_at` (when `vader serve` stored it) and `source` (the
//! file it came from). A partition is replaced whole, by writing a temporary file and renaming
//! it over the old one: a process killed at any point leaves either the old partition or the
//! new one, never a mix, so merging the same file again after a kill completes the work.
//!
//! Merging is idempotent: a reading already stored with the same energy (bit for bit, or both
//! missing) is a duplicate and changes nothing; a reading stored with another energy is a
//! conflict, returned to the caller and never written over the stored one.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use polars::prelude::*;

use super::error::{Error, Result};

/// One stored reading.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReading {
    /// Start of the interval, Unix seconds.
    pub timestamp: i64,
    /// Energy of the interval, kWh (NaN: missing in the file it came from).
    pub energy_kwh: f64,
    /// When it was stored, Unix seconds.
    pub ingested_at: i64,
    /// The file it came from.
    pub source: String,
}

/// A reading that disagrees with the stored one: both values, neither lost.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoreConflict {
    /// The meter.
    pub meter_id: String,
    /// Start of the interval, Unix seconds.
    pub timestamp: i64,
    /// The energy in the store, kWh.
    pub stored_kwh: f64,
    /// Where the stored energy came from.
    pub stored_source: String,
    /// The energy in the incoming file, kWh.
    pub incoming_kwh: f64,
}

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    /// Readings added.
    pub added: usize,
    /// Readings already stored with the same energy.
    pub duplicates: usize,
    /// Readings stored with another energy: not written.
    pub conflicts: Vec<StoreConflict>,
    /// Partitions rewritten.
    pub partitions: usize,
}

/// The readings store under a folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// The store under `root` (its `readings/` folder is created when missing).
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let readings = root.join("readings");
        std::fs::create_dir_all(&readings).map_err(Error::io(&readings, "creating the folder"))?;
        Ok(Self { root })
    }

    /// Removes the temporary files that a process killed while writing a partition left
    /// behind (readers never look at them). Run it when no other process writes the store.
    pub fn sweep(&self) -> Result<usize> {
        let mut removed = 0;
        for meter in sorted_dirs(&self.root.join("readings"))? {
            for month in sorted_dirs(&meter)? {
                for entry in std::fs::read_dir(&month).map_err(Error::io(&month, "listing"))?.flatten() {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with(".data.") && name.ends_with(".tmp") {
                        std::fs::remove_file(entry.path()).map_err(Error::io(entry.path(), "removing"))?;
                        removed += 1;
                    }
                }
            }
        }
        Ok(removed)
    }

    /// The folder of the store.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of one partition.
    pub fn partition_path(&self, meter_id: &str, month: &str) -> PathBuf {
        self.root
            .join("readings")
            .join(format!("meter_id={meter_id}"))
            .join(format!("month={month}"))
            .join("data.parquet")
    }

    /// Every partition file, sorted (meter, then month).
    pub fn partitions(&self) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        let readings = self.root.join("readings");
        for meter in sorted_dirs(&readings)? {
            for month in sorted_dirs(&meter)? {
                let file = month.join("data.parquet");
                if file.is_file() {
                    out.push(file);
                }
            }
        }
        Ok(out)
    }

    /// The readings of one partition, sorted by time (empty when it does not exist).
    pub fn read_partition(&self, meter_id: &str, month: &str) -> Result<Vec<StoredReading>> {
        let path = self.partition_path(meter_id, month);
        if !path.is_file() {
            return Ok(Vec::new());
        }
        let frame = read_parquet(&path)?;
        let bad = |e: PolarsError| Error::Store { path: path.clone(), reason: e.to_string() };
        let seconds = |name: &str| -> Result<Vec<i64>> {
            let c = frame.column(name).map_err(bad)?.cast(&DataType::Int64).map_err(bad)?;
            Ok(c.i64().map_err(bad)?.iter().map(|v| v.unwrap_or(0).div_euclid(1000)).collect())
        };
        let timestamp = seconds("timestamp")?;
        let ingested_at = seconds("ingested_at")?;
        let energy: Vec<f64> = frame
            .column("energy_kwh")
            .map_err(bad)?
            .f64()
            .map_err(bad)?
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect();
        let source: Vec<String> = frame
            .column("source")
            .map_err(bad)?
            .str()
            .map_err(bad)?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect();
        Ok((0..timestamp.len())
            .map(|i| StoredReading {
                timestamp: timestamp[i],
                energy_kwh: energy[i],
                ingested_at: ingested_at[i],
                source: source[i].clone(),
            })
            .collect())
    }

    /// Merges the readings of one meter (interval start and energy, any order) into the
    /// store, recording `source` and `ingested_at` on the readings added.
    pub fn merge(
        &self,
        meter_id: &str,
        readings: &[(i64, f64)],
        ingested_at: i64,
        source: &str,
    ) -> Result<Merged> {
        let mut by_month: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
        for &(t, e) in readings {
            by_month.entry(month_of(t)?).or_default().push((t, e));
        }
        let mut merged = Merged::default();
        for (month, incoming) in by_month {
            let stored = self.read_partition(meter_id, &month)?;
            let mut rows: BTreeMap<i64, StoredReading> =
                stored.into_iter().map(|r| (r.timestamp, r)).collect();
            let mut added = 0;
            for (t, e) in incoming {
                match rows.get(&t) {
                    Some(kept) if same_energy(kept.energy_kwh, e) => merged.duplicates += 1,
                    Some(kept) => merged.conflicts.push(StoreConflict {
                        meter_id: meter_id.to_string(),
                        timestamp: t,
                        stored_kwh: kept.energy_kwh,
                        stored_source: kept.source.clone(),
                        incoming_kwh: e,
                    }),
                    None => {
                        rows.insert(
                            t,
                            StoredReading {
                                timestamp: t,
                                energy_kwh: e,
                                ingested_at,
                                source: source.to_string(),
                            },
                        );
                        added += 1;
                    }
                }
            }
            if added > 0 {
                self.write_partition(meter_id, &month, rows.values())?;
                merged.added += added;
                merged.partitions += 1;
            }
        }
        Ok(merged)
    }

    /// Every stored reading as a DataFrame with the data contract's readings columns
    /// (`meter_id`, `timestamp`, `energy_kwh`), for [`vader_features::Input::frame`].
    pub fn readings_frame(&self) -> Result<DataFrame> {
        let (mut ids, mut starts, mut energies) = (Vec::new(), Vec::new(), Vec::new());
        for path in self.partitions()? {
            let meter_id = meter_of(&path);
            let month = month_dir(&path);
            for r in self.read_partition(&meter_id, &month)? {
                ids.push(meter_id.clone());
                starts.push(r.timestamp * 1000);
                energies.push(r.energy_kwh);
            }
        }
        let frame = DataFrame::new_infer_height(vec![
            Column::new("meter_id".into(), ids),
            datetime(Column::new("timestamp".into(), starts))?,
            Column::new("energy_kwh".into(), energies),
        ])
        .map_err(|e| Error::Store { path: self.root.clone(), reason: e.to_string() })?;
        Ok(frame)
    }

    /// Number of stored readings.
    pub fn len(&self) -> Result<usize> {
        let mut n = 0;
        for path in self.partitions()? {
            n += read_parquet(&path)?.height();
        }
        Ok(n)
    }

    /// Whether the store holds no reading.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.partitions()?.is_empty())
    }

    fn write_partition<'a>(
        &self,
        meter_id: &str,
        month: &str,
        rows: impl Iterator<Item = &'a StoredReading> + Clone,
    ) -> Result<()> {
        let path = self.partition_path(meter_id, month);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir, "creating the folder"))?;
        let n = rows.clone().count();
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("meter_id".into(), vec![meter_id; n]),
            datetime(Column::new(
                "timestamp".into(),
                rows.clone().map(|r| r.timestamp * 1000).collect::<Vec<_>>(),
            ))?,
            Column::new("energy_kwh".into(), rows.clone().map(|r| r.energy_kwh).collect::<Vec<_>>()),
            datetime(Column::new(
                "ingested_at".into(),
                rows.clone().map(|r| r.ingested_at * 1000).collect::<Vec<_>>(),
            ))?,
            Column::new("source".into(), rows.map(|r| r.source.as_str()).collect::<Vec<_>>()),
        ])
        .map_err(|e| Error::Store { path: path.clone(), reason: e.to_string() })?;
        let tmp = dir.join(format!(".data.{}.tmp", std::process::id()));
        let file = File::create(&tmp).map_err(Error::io(&tmp, "creating"))?;
        ParquetWriter::new(file)
            .finish(&mut frame)
            .map_err(|e| Error::Store { path: tmp.clone(), reason: e.to_string() })?;
        std::fs::rename(&tmp, &path).map_err(Error::io(&path, "replacing"))
    }
}

/// Whether two energies are the same reading: equal bits, or both missing.
fn same_energy(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The partition month (`2025-03`) of an interval start, in UTC.
pub fn month_of(t: i64) -> Result<String> {
    let d: DateTime<Utc> = DateTime::from_timestamp(t, 0)
        .ok_or_else(|| Error::Config(format!("timestamp {t} s is out of range")))?;
    Ok(format!("{:04}-{:02}", d.year(), d.month()))
}

fn datetime(column: Column) -> Result<Column> {
    column
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
        .map_err(|e| Error::Store { path: PathBuf::from(column.name().as_str()), reason: e.to_string() })
}

fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).map_err(Error::io(path, "opening"))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| Error::Store { path: path.to_path_buf(), reason: e.to_string() })
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(Error::io(dir, "listing"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    Ok(out)
}

/// The meter of a partition file (`.../meter_id=X/month=M/data.parquet`).
fn meter_of(path: &Path) -> String {
    key_of(path.parent().and_then(Path::parent), "meter_id=")
}

fn month_dir(path: &Path) -> String {
    key_of(path.parent(), "month=")
}

fn key_of(dir: Option<&Path>, prefix: &str) -> String {
    dir.and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(prefix))
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_twice_changes_nothing_and_conflicts_keep_both_values() -> Result<()> {
        let dir = tempfile::tempdir().map_err(Error::io("tmp", "creating"))?;
        let store = Store::open(dir.path())?;
        let jan = 1_735_689_600; // 2025-01-01T00:00Z
        let rows = [(jan, 1.0), (jan + 3600, 2.0), (jan - 3600, 3.0)];
        let first = store.merge("M1", &rows, 10, "a.csv")?;
        assert_eq!((first.added, first.duplicates, first.partitions), (3, 0, 2));
        let again = store.merge("M1", &rows, 20, "b.csv")?;
        assert_eq!((again.added, again.duplicates, again.partitions), (0, 3, 0));
        let conflict = store.merge("M1", &[(jan, 5.0), (jan + 7200, 4.0)], 30, "c.csv")?;
        assert_eq!(conflict.added, 1);
        assert_eq!(conflict.conflicts.len(), 1);
        assert_eq!((conflict.conflicts[0].stored_kwh, conflict.conflicts[0].incoming_kwh), (1.0, 5.0));
        let jan_rows = store.read_partition("M1", "2025-01")?;
        assert_eq!(jan_rows.iter().map(|r| r.energy_kwh).collect::<Vec<_>>(), [1.0, 2.0, 4.0]);
        assert_eq!(jan_rows[0].source, "a.csv");
        assert_eq!(store.len()?, 4);
        assert_eq!(store.readings_frame()?.height(), 4);
        Ok(())
    }
}
