//! Ingestion: each meter file of the inbox is read and validated by vader's own reader, its
//! readings merged into the [`Store`], and the file archived; what cannot be stored goes to
//! the quarantine with a report, and the rest of the batch goes on.
//!
//! | the file | what happens |
//! | --- | --- |
//! | readable, new readings | stored; file moved to `archive/YYYY-MM-DD/` |
//! | readings already stored, same energy | nothing stored (duplicates counted); archived |
//! | a reading stored with another energy | the others stored; the conflicting rows written to `quarantine/NAME.conflicts.csv` with both energies; archived |
//! | a meter not in the meters file | its rows written to `quarantine/NAME.conflicts.csv`; archived |
//! | unreadable (bad column, timestamp, number; two energies for one interval in the file) | moved to `quarantine/` whole, with `NAME.error.txt` saying why |
//!
//! Crash safety: the file leaves the inbox only after every partition it touches has been
//! written (each partition is replaced atomically), so a process killed at any point finds the
//! file in the inbox on its next cycle and merging it again stores what was missing and
//! duplicates nothing.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::json;
use vader_features::validate::MeterReport;
use vader_features::{Input, Meters, Readings, format_utc};

use super::error::{Error, Result};
use super::files;
use super::log::{Log, chain};
use super::state::write_atomic;
use super::store::{Store, StoreConflict};

/// What happened to one file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileOutcome {
    /// Read and merged (possibly with quarantined rows), then archived.
    Archived {
        /// Readings added to the store.
        added: usize,
        /// Readings already stored with the same energy.
        duplicates: usize,
        /// Rows quarantined: conflicts with the store and meters not in the meters file.
        quarantined: usize,
        /// Validation findings (gaps, negative or missing energies, ...), all meters.
        findings: usize,
    },
    /// Unreadable: moved to the quarantine whole.
    Malformed {
        /// Why.
        reason: String,
    },
}

/// The outcome of one ingestion pass, file by file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ingested {
    /// Each file of the inbox, in the order processed.
    pub files: Vec<(String, FileOutcome)>,
}

impl Ingested {
    /// Readings added over every file.
    pub fn added(&self) -> usize {
        self.files
            .iter()
            .map(|(_, o)| match o {
                FileOutcome::Archived { added, .. } => *added,
                FileOutcome::Malformed { .. } => 0,
            })
            .sum()
    }
}

/// The folders ingestion works with.
#[derive(Debug, Clone)]
pub struct Folders {
    /// Where files arrive.
    pub inbox: PathBuf,
    /// Where ingested files go, by day.
    pub archive: PathBuf,
    /// Where unreadable files and rejected rows go.
    pub quarantine: PathBuf,
}

/// The meter files waiting in `inbox`: `.csv` and `.parquet` files, sorted by name (hidden
/// files, such as downloads in progress, are not).
pub fn waiting(inbox: &Path) -> Result<Vec<PathBuf>> {
    if !inbox.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(inbox)
        .map_err(Error::io(inbox, "listing"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with('.')))
        .collect();
    files.sort();
    Ok(files)
}

/// Ingests every file waiting in the inbox into `store`, at cycle time `now`.
pub fn ingest(
    folders: &Folders,
    store: &Store,
    meters: &Meters,
    now: DateTime<Utc>,
    log: &Log,
) -> Result<Ingested> {
    let mut done = Ingested::default();
    for path in waiting(&folders.inbox)? {
        let name = file_name(&path);
        let outcome = ingest_file(folders, store, meters, &path, now)?;
        match &outcome {
            FileOutcome::Archived { added, duplicates, quarantined, findings } => log.event(
                now,
                "ingest",
                "archived",
                json!({ "file": name, "added": added, "duplicates": duplicates, "quarantined": quarantined, "findings": findings }),
            ),
            FileOutcome::Malformed { reason } => {
                log.event(now, "ingest", "quarantined", json!({ "file": name, "reason": reason }))
            }
        }
        done.files.push((name, outcome));
    }
    Ok(done)
}

/// Ingests one file (see the module's table).
pub fn ingest_file(
    folders: &Folders,
    store: &Store,
    meters: &Meters,
    path: &Path,
    now: DateTime<Utc>,
) -> Result<FileOutcome> {
    let name = file_name(path);
    let supported = matches!(path.extension().and_then(|e| e.to_str()), Some("csv" | "parquet"));
    let readings = if supported {
        Readings::read(Input::File(path.to_path_buf())).map_err(|e| chain(&e))
    } else {
        Err(format!("{name}: not a meter file (expected .csv or .parquet)"))
    };
    let readings = match readings {
        Ok(r) => r,
        Err(reason) => {
            quarantine_file(folders, path, &reason)?;
            return Ok(FileOutcome::Malformed { reason });
        }
    };
    let (mut added, mut duplicates, mut findings) = (0, 0, 0);
    let mut rejected: Vec<(StoreConflict, &'static str)> = Vec::new();
    for series in readings.iter() {
        findings += MeterReport::of(series, readings.duplicates_dropped(&series.meter_id)).findings();
        let rows: Vec<(i64, f64)> =
            series.start.iter().copied().zip(series.energy_kwh.iter().copied()).collect();
        if meters.get(&series.meter_id).is_none() {
            rejected.extend(rows.iter().map(|&(t, e)| {
                let row = StoreConflict {
                    meter_id: series.meter_id.clone(),
                    timestamp: t,
                    stored_kwh: f64::NAN,
                    stored_source: String::new(),
                    incoming_kwh: e,
                };
                (row, "meter not in the meters file")
            }));
            continue;
        }
        let merged = store.merge(&series.meter_id, &rows, now.timestamp(), &name)?;
        added += merged.added;
        duplicates += merged.duplicates;
        rejected.extend(merged.conflicts.into_iter().map(|c| (c, "another energy is stored")));
    }
    if !rejected.is_empty() {
        write_rejected(folders, &name, &rejected)?;
    }
    archive(folders, path, now)?;
    Ok(FileOutcome::Archived { added, duplicates, quarantined: rejected.len(), findings })
}

/// `quarantine/NAME.conflicts.csv`: the rows not stored, with the stored energy beside the
/// incoming one.
fn write_rejected(folders: &Folders, name: &str, rows: &[(StoreConflict, &str)]) -> Result<()> {
    let mut text = String::from("meter_id,timestamp,stored_kwh,stored_source,incoming_kwh,reason\n");
    for (c, reason) in rows {
        let stored = if c.stored_kwh.is_nan() && c.stored_source.is_empty() {
            String::new()
        } else {
            c.stored_kwh.to_string()
        };
        text.push_str(&crate::format::csv_line([
            c.meter_id.clone(),
            format_utc(c.timestamp),
            stored,
            c.stored_source.clone(),
            c.incoming_kwh.to_string(),
            (*reason).to_string(),
        ]));
        text.push('\n');
    }
    write_atomic(&folders.quarantine.join(format!("{name}.conflicts.csv")), text.as_bytes())
}

/// Moves an unreadable file to the quarantine, with `NAME.error.txt` beside it.
fn quarantine_file(folders: &Folders, path: &Path, reason: &str) -> Result<()> {
    let target = free_name(&folders.quarantine, &file_name(path))?;
    write_atomic(
        &target.with_file_name(format!("{}.error.txt", file_name(&target))),
        format!("{reason}\n").as_bytes(),
    )?;
    std::fs::rename(path, &target).map_err(Error::io(path, "moving to the quarantine"))
}

/// Moves an ingested file to `archive/YYYY-MM-DD/`.
fn archive(folders: &Folders, path: &Path, now: DateTime<Utc>) -> Result<()> {
    let dir = folders.archive.join(now.format("%Y-%m-%d").to_string());
    let target = free_name(&dir, &file_name(path))?;
    std::fs::rename(path, &target).map_err(Error::io(path, "moving to the archive"))
}

/// A free name for `name` in `dir` (the folder is created).
fn free_name(dir: &Path, name: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir, "creating the folder"))?;
    Ok(files::free_name(dir, name))
}

fn file_name(path: &Path) -> String {
    path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string()
}
