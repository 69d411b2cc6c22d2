//! A data folder: readings, meters and (optionally) weather, found by file name.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};

use crate::error::{Error, Result};
use crate::meters::{Meter, Meters};
use crate::readings::Readings;
use crate::target::Target;
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

    /// The first and last target day of `target` that the readings of `meters` touch, in each
    /// meter's time zone; `None` when none of them has a reading.
    pub fn target_days(&self, meters: &[&Meter], target: Target) -> Option<(NaiveDate, NaiveDate)> {
        let days: Vec<NaiveDate> = meters
            .iter()
            .filter_map(|m| {
                let s = self.readings.get(&m.meter_id)?;
                let day =
                    |t: i64| Some(target.convention().day_of(DateTime::from_timestamp(t, 0)?, m.timezone));
                Some([day(*s.start.first()?)?, day(*s.start.last()?)?])
            })
            .flatten()
            .collect();
        Some((*days.iter().min()?, *days.iter().max()?))
    }

    /// The meters that `target` applies to (gas meters for the gas targets, electricity
    /// meters for the electricity schedule, every meter for `daily`) and that have readings;
    /// or, when `ids` is not empty, exactly those meters.
    pub fn meters_for(&self, target: Target, ids: &[String]) -> Result<Vec<&Meter>> {
        if !ids.is_empty() {
            return ids
                .iter()
                .map(|id| {
                    self.meters
                        .get(id)
                        .ok_or_else(|| Error::UnknownMeter { meter_id: id.clone(), dir: self.dir.clone() })
                })
                .collect();
        }
        let chosen: Vec<&Meter> = self
            .meters
            .iter()
            .filter(|m| target.applies_to(m.commodity) && self.readings.get(&m.meter_id).is_some())
            .collect();
        if chosen.is_empty() {
            return Err(Error::NoMeterForTarget { target, dir: self.dir.clone() });
        }
        Ok(chosen)
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
