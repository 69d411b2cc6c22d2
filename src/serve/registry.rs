//! The model registry: a folder of model files and a JSON index (`registry/index.json`) saying,
//! for each version, its target and recipe, the days it was trained on, its backtest figures,
//! its status, and who or what promoted it and why; and every A/B verdict the weekly job took.
//!
//! A model file is written before the index names it, and both are replaced atomically: a
//! kill leaves at worst a file the index does not name.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vader_models::ModelFile;

use super::error::{Error, Result};
use super::state::{read_json, write_json};
use std::sync::{Mutex, PoisonError};

/// Held while the index is read, changed and written: the cycles and the pages (an analyst
/// promoting a model) run on different threads of one process.
static WRITING: Mutex<()> = Mutex::new(());

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The model in use for its target.
    Champion,
    /// A former champion.
    Retired,
}

/// One version of the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Version number, unique over the registry, increasing.
    pub version: u32,
    /// The forecast target (`gas-day`, `electricity-day`, `rest-of-gas-day`).
    pub target: String,
    /// The model recipe (`ridge`, `gbm`, ...).
    pub recipe: String,
    /// The model file, relative to the registry folder.
    pub file: String,
    /// First and last training day.
    pub trained_from: String,
    /// Last training day.
    pub trained_until: String,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// Where it stands.
    pub status: Status,
    /// Who or what promoted it (`bootstrap`, `weekly A/B test`, `weekly retrain`).
    pub promoted_by: String,
    /// Why, in words (the verdict and its figures).
    pub reason: String,
    /// Its recipe's backtest figures when it was promoted (EUR/day, MAE in kWh), if any.
    pub euros_per_day: Option<f64>,
    /// MAE of its recipe's backtest, kWh.
    pub mae_kwh: Option<f64>,
}

/// One A/B verdict of the weekly job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbRecord {
    /// When it was taken.
    pub at: DateTime<Utc>,
    /// The target.
    pub target: String,
    /// The champion's recipe.
    pub champion: String,
    /// The challenger's recipe.
    pub challenger: String,
    /// Days paired.
    pub days: usize,
    /// Mean daily saving of the challenger, EUR (negative: it costs more).
    pub saving_per_day: f64,
    /// 95 % bootstrap interval of the saving.
    pub ci: (f64, f64),
    /// The Diebold-Mariano p-value, if the test could be made.
    pub p_value: Option<f64>,
    /// `adopt challenger`, `keep champion` or `no significant difference`.
    pub verdict: String,
    /// The backtest report's folder under `home/reports/`, if it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}

/// The index file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Index {
    /// Every version, oldest first.
    pub models: Vec<Entry>,
    /// Every A/B verdict, oldest first.
    pub verdicts: Vec<AbRecord>,
}

/// The registry in a folder.
#[derive(Debug, Clone)]
pub struct Registry {
    dir: PathBuf,
}

impl Registry {
    /// The registry in `dir` (created when missing).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir, "creating the folder"))?;
        Ok(Self { dir })
    }

    /// The registry's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    /// Reads the index (empty when there is none yet).
    pub fn index(&self) -> Result<Index> {
        Ok(read_json(&self.index_path())?.unwrap_or_default())
    }

    fn save(&self, index: &Index) -> Result<()> {
        write_json(&self.index_path(), index)
    }

    /// The champion of `target` and its model file, if there is one.
    pub fn champion(&self, target: &str) -> Result<Option<(Entry, ModelFile, PathBuf)>> {
        let index = self.index()?;
        let Some(entry) =
            index.models.iter().rev().find(|e| e.target == target && e.status == Status::Champion)
        else {
            return Ok(None);
        };
        let path = self.dir.join(&entry.file);
        let file = ModelFile::load(&path)?;
        Ok(Some((entry.clone(), file, path)))
    }

    /// Makes the registered `version` its target's champion again (the current one retired),
    /// noting who decided and why; the entry is returned.
    pub fn reinstate(&self, version: u32, now: DateTime<Utc>, by: &str, reason: &str) -> Result<Entry> {
        let _guard = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        let mut index = self.index()?;
        let target = index
            .models
            .iter()
            .find(|e| e.version == version)
            .map(|e| e.target.clone())
            .ok_or_else(|| Error::Config(format!("no model version {version} in the registry")))?;
        for e in index.models.iter_mut().filter(|e| e.target == target) {
            if e.version == version {
                e.status = Status::Champion;
                e.promoted_by = by.to_string();
                e.reason = format!("{reason} (reinstated {})", now.format("%Y-%m-%d %H:%M UTC"));
            } else if e.status == Status::Champion {
                e.status = Status::Retired;
            }
        }
        self.save(&index)?;
        index
            .models
            .into_iter()
            .find(|e| e.version == version)
            .ok_or_else(|| Error::Config(format!("no model version {version} in the registry")))
    }

    /// Registers `file` as the new champion of its target (the old one retired), with who
    /// promoted it and why, and its recipe's backtest figures if known.
    pub fn promote(
        &self,
        file: &ModelFile,
        now: DateTime<Utc>,
        promoted_by: &str,
        reason: &str,
        figures: Option<(f64, f64)>,
    ) -> Result<Entry> {
        let _guard = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        let mut index = self.index()?;
        let version = index.models.iter().map(|e| e.version).max().unwrap_or(0) + 1;
        let name = format!("{}/v{version:04}-{}.json", file.target, file.model);
        let path = self.dir.join(&name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io(dir, "creating the folder"))?;
        }
        file.save(&path)?;
        for e in index.models.iter_mut().filter(|e| e.target == file.target && e.status == Status::Champion) {
            e.status = Status::Retired;
        }
        let entry = Entry {
            version,
            target: file.target.clone(),
            recipe: file.model.clone(),
            file: name,
            trained_from: file.trained_from.clone(),
            trained_until: file.trained_until.clone(),
            created_at: now,
            status: Status::Champion,
            promoted_by: promoted_by.to_string(),
            reason: reason.to_string(),
            euros_per_day: figures.map(|f| f.0),
            mae_kwh: figures.map(|f| f.1),
        };
        index.models.push(entry.clone());
        self.save(&index)?;
        Ok(entry)
    }

    /// Records A/B verdicts.
    pub fn record(&self, verdicts: &[AbRecord]) -> Result<()> {
        let _guard = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
        let mut index = self.index()?;
        index.verdicts.extend(verdicts.iter().cloned());
        self.save(&index)
    }
}
