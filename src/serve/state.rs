//! What the service remembers between cycles (`home/state.json`): which remote files it
//! fetched, which alert slot ran last, which overruns were mailed, which days were
//! nominated, when the models were retrained. Written whole to a temporary file and renamed,
//! so a kill leaves the old state or the new one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::error::{Error, Result};
use super::files;

/// The remembered state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// Remote files already fetched ([`super::sftp::RemoteFile::key`]).
    pub sftp_seen: BTreeSet<String>,
    /// Start (Unix seconds) of the last alert slot that ran.
    pub last_alert_slot: Option<i64>,
    /// The projected overrun last mailed (kWh), by `meter_id/gas_day`.
    pub mailed: BTreeMap<String, f64>,
    /// The last day nominated, by target (`gas-day`, `electricity-day`).
    pub nominated: BTreeMap<String, NaiveDate>,
    /// Start (Unix seconds) of the last weekly retraining slot that ran.
    pub last_retrain_slot: Option<i64>,
}

impl State {
    /// Reads the state file (a missing file is the empty state).
    pub fn load(path: &Path) -> Result<Self> {
        Ok(read_json(path)?.unwrap_or_default())
    }

    /// Writes the state file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
}

/// Reads a JSON file of the service: `None` when there is no file, [`Error::Corrupt`] when it
/// does not parse as a `T`.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::Corrupt { path: path.to_path_buf(), reason: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, "reading")(e)),
    }
}

/// Writes `value` as pretty JSON to `path`, whole or not at all ([`write_atomic`]).
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Corrupt { path: path.to_path_buf(), reason: e.to_string() })?;
    write_atomic(path, text.as_bytes())
}

/// Writes `bytes` to `path` whole or not at all ([`files::write_atomic`]), creating its folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io(dir, "creating the folder"))?;
    files::write_atomic(path, bytes).map_err(Error::io(path, "writing"))
}
