//! A data folder: readings, meters and (optionally) weather, found by file name.

use std::path::{Path, PathBuf};

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate};

use crate::calendar::SiteCalendar;
use crate::closures::{self, Closure};
use crate::covariates::Covariates;
use crate::error::{Error, Result};
use crate::holidays::{CalendarKey, calendars_for};
use crate::input::Input;
use crate::meters::{Meter, Meters};
use crate::readings::Readings;
use crate::target::Target;
use crate::weather::Weather;

/// Everything vader knows about a set of sites, read from one folder (or from the same tables
/// as DataFrames: [`Dataset::from_tables`]):
///
/// - `readings.parquet` or `readings.csv` (required),
/// - `meters.csv` or `meters.parquet` (required),
/// - `weather.parquet` or `weather.csv` (optional),
/// - `closures.csv` or `closures.parquet` (optional): planned shutdowns ([`crate::closures`]),
/// - `covariates.csv` or `covariates.parquet` (optional): values known in advance
///   ([`crate::covariates`]),
/// - `holidays.csv` (optional): public-holiday calendars that the shipped ones lack
///   ([`crate::holidays`]).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The folder, or the name the tables were given ([`Tables::name`]), for messages.
    pub dir: PathBuf,
    /// The meter readings.
    pub readings: Readings,
    /// The meters.
    pub meters: Meters,
    /// The weather, if the folder has a weather file.
    pub weather: Option<Weather>,
    /// Each meter's calendar: its public holidays and planned closures.
    pub calendars: Calendars,
    /// Values known in advance, if the folder has a covariates file.
    pub covariates: Option<Covariates>,
}

/// The calendars of a dataset's meters.
#[derive(Debug, Clone, Default)]
pub struct Calendars {
    by_meter: HashMap<String, SiteCalendar>,
    default: SiteCalendar,
    closures: bool,
}

impl Calendars {
    /// The calendars of `meters`: holidays from each meter's country (the data folder's own
    /// `holidays.csv` first, when `folder_table` names it), closures from `closures`.
    pub fn new(
        meters: &Meters,
        folder_table: Option<&Input>,
        closures: Option<Vec<Closure>>,
    ) -> Result<Self> {
        let keys: BTreeSet<CalendarKey> = meters.iter().filter_map(Meter::calendar_key).collect();
        let holidays = calendars_for(&keys, folder_table)?;
        let has_closures = closures.is_some();
        let closures = closures.unwrap_or_default();
        let by_meter = meters
            .iter()
            .map(|m| {
                let calendar = SiteCalendar {
                    holidays: m.calendar_key().and_then(|k| holidays.get(&k).cloned()).unwrap_or_default(),
                    closures: closures
                        .iter()
                        .filter(|c| c.applies_to(&m.meter_id, &m.site))
                        .cloned()
                        .collect(),
                };
                (m.meter_id.clone(), calendar)
            })
            .collect();
        Ok(Self { by_meter, default: SiteCalendar::default(), closures: has_closures })
    }

    /// The calendar of a meter (the French one, without closures, for a meter not listed).
    pub fn of(&self, meter_id: &str) -> &SiteCalendar {
        self.by_meter.get(meter_id).unwrap_or(&self.default)
    }

    /// Whether the data folder has a closures file (then the features have a `closed` column).
    pub fn has_closures(&self) -> bool {
        self.closures
    }
}

/// The tables of a dataset, each a file or a DataFrame ([`Input`]): what
/// [`Dataset::from_tables`] reads. A data folder's are found by [`Tables::in_folder`].
#[derive(Debug, Clone)]
pub struct Tables {
    /// What the tables are called in messages: the data folder, or `DataFrames`.
    pub name: PathBuf,
    /// The meter readings (required).
    pub readings: Input,
    /// The meters (required).
    pub meters: Input,
    /// Outdoor temperatures per site.
    pub weather: Option<Input>,
    /// Planned shutdowns ([`crate::closures`]).
    pub closures: Option<Input>,
    /// Values known in advance ([`crate::covariates`]).
    pub covariates: Option<Input>,
    /// Public-holiday calendars that the shipped ones lack ([`crate::holidays`]).
    pub holidays: Option<Input>,
}

impl Tables {
    /// The tables of a data folder, found by file name (see [`Dataset`]).
    pub fn in_folder(dir: &Path) -> Result<Self> {
        check_folder(dir)?;
        let readings = find(dir, "readings", true)?.unwrap_or_default();
        Self::site_files(dir, readings.into())
    }

    /// The tables of a data folder with the readings taken from elsewhere (a store, say): the
    /// meters, weather, closures, covariates and holidays files of `dir`; its own readings
    /// file, if any, is not read.
    pub fn site_files(dir: &Path, readings: Input) -> Result<Self> {
        check_folder(dir)?;
        let optional = |stem| -> Result<Option<Input>> { Ok(find(dir, stem, false)?.map(Input::File)) };
        Ok(Self {
            name: dir.to_path_buf(),
            readings,
            meters: find(dir, "meters", true)?.unwrap_or_default().into(),
            weather: optional("weather")?,
            closures: optional("closures")?,
            covariates: optional("covariates")?,
            holidays: Some(dir.join("holidays.csv")).filter(|p| p.is_file()).map(Input::File),
        })
    }
}

fn check_folder(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    Err(Error::Io {
        path: dir.to_path_buf(),
        action: "opening the data folder",
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
    })
}

impl Dataset {
    /// Reads and checks the files of a data folder.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::from_tables(Tables::in_folder(dir)?)
    }

    /// Reads and checks a dataset's tables, files or DataFrames: the same checks, the same
    /// errors (naming the DataFrame and its row where a file's would name file and line).
    pub fn from_tables(tables: Tables) -> Result<Self> {
        let Tables { name, readings, meters, weather, closures, covariates, holidays } = tables;
        let readings = Readings::read(readings)?;
        let meters = Meters::read(meters)?;
        let weather = weather.map(Weather::read).transpose()?;
        let closures = closures.map(|c| closures::read(c, &meters)).transpose()?;
        let calendars = Calendars::new(&meters, holidays.as_ref(), closures)?;
        let covariates = covariates.map(|c| Covariates::read(c, &meters)).transpose()?;
        Ok(Self { dir: name, readings, meters, weather, calendars, covariates })
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
