//! A data folder: readings, meters and (optionally) weather, found by file name.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::meters::Meters;
use crate::readings::Readings;
use crate::weather::Weather;

/// Everything vader knows about a set of sites, read from one folder:
///
/// - `readings.parquet` or `readings.csv` (required),
/// - `meters.csv` or `meters.parquet` (required),
/// - `weather.parquet` or `weather.csv` (optional).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The folder.
    pub dir: PathBuf,
    /// The meter readings.
    pub readings: Readings,
    /// The meters.
    pub meters: Meters,
    /// The weather, if the folder has a weather file.
    pub weather: Option<Weather>,
}

impl Dataset {
    /// Reads and checks the files of a data folder.
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::Io {
                path: dir.to_path_buf(),
                action: "opening the data folder",
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
            });
        }
        let readings = Readings::read(&find(dir, "readings", true)?.unwrap_or_default())?;
        let meters = Meters::read(&find(dir, "meters", true)?.unwrap_or_default())?;
        let weather = find(dir, "weather", false)?.map(|p| Weather::read(&p)).transpose()?;
        Ok(Self { dir: dir.to_path_buf(), readings, meters, weather })
    }
}

impl Dataset {
    /// The readings of `meter_id`, or an error saying it has none.
    pub fn series(&self, meter_id: &str) -> Result<&crate::readings::MeterSeries> {
        self.readings.get(meter_id).ok_or_else(|| Error::Invalid(format!("meter {meter_id} has no readings")))
    }

    /// The dataset as it stood at `at` (Unix seconds): readings not yet known are removed.
    pub fn known_at(&self, at: i64, delay_s: i64) -> Self {
        Self { readings: self.readings.known_at(at, delay_s), ..self.clone() }
    }
}

fn find(dir: &Path, stem: &'static str, required: bool) -> Result<Option<PathBuf>> {
    let candidates = [format!("{stem}.parquet"), format!("{stem}.csv")];
    if let Some(found) = candidates.iter().map(|c| dir.join(c)).find(|p| p.is_file()) {
        return Ok(Some(found));
    }
    if required {
        return Err(Error::MissingFile {
            dir: dir.to_path_buf(),
            what: stem,
            expected: candidates.join(", "),
        });
    }
    Ok(None)
}
