//! The validation report: what is wrong with a dataset, meter by meter.
//!
//! Files that cannot be read at all fail earlier, in [`Dataset::open`](crate::Dataset::open).
//! What is reported here is what a readable file can still get wrong: readings that are
//! missing, doubled, negative, non-finite or off the interval grid, and meters that the
//! readings and the meters file do not agree on.

use serde::Serialize;

use crate::dataset::Dataset;
use crate::readings::{MeterSeries, format_utc};

/// A stretch of missing readings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Start of the first missing interval (RFC 3339 UTC).
    pub from: String,
    /// Start of the next reading after the gap (RFC 3339 UTC).
    pub to: String,
    /// How many intervals are missing.
    pub missing_intervals: i64,
}

/// What validation found for one meter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeterReport {
    /// The meter.
    pub meter_id: String,
    /// Distinct readings.
    pub readings: usize,
    /// First interval start (RFC 3339 UTC).
    pub first: String,
    /// Last interval start (RFC 3339 UTC).
    pub last: String,
    /// The interval, in minutes.
    pub interval_minutes: f64,
    /// Exact duplicate rows dropped on reading.
    pub duplicates_dropped: usize,
    /// Number of gaps.
    pub gaps: usize,
    /// Intervals missing inside those gaps.
    pub missing_intervals: i64,
    /// The longest gap, if any.
    pub longest_gap: Option<Gap>,
    /// Readings below zero.
    pub negative: usize,
    /// Readings that are empty, NaN or infinite.
    pub non_finite: usize,
    /// Readings whose start is not on the interval grid.
    pub off_grid: usize,
    /// The first problem reading, for a quick look: `timestamp: problem`.
    pub first_problem: Option<String>,
}

impl MeterReport {
    /// Validates one meter's series.
    pub fn of(series: &MeterSeries, duplicates_dropped: usize) -> Self {
        let interval = series.interval_s;
        let (mut gaps, mut missing, mut longest): (usize, i64, Option<Gap>) = (0, 0, None);
        for w in series.start.windows(2) {
            let step = w[1] - w[0];
            if interval > 0 && step > interval {
                let n = step / interval - 1;
                if n > 0 {
                    gaps += 1;
                    missing += n;
                    if longest.as_ref().is_none_or(|g| n > g.missing_intervals) {
                        longest = Some(Gap {
                            from: format_utc(w[0] + interval),
                            to: format_utc(w[1]),
                            missing_intervals: n,
                        });
                    }
                }
            }
        }
        let (mut negative, mut non_finite, mut off_grid, mut first_problem) = (0, 0, 0, None);
        for (i, (&t, &e)) in series.start.iter().zip(&series.energy_kwh).enumerate() {
            let problem = if !e.is_finite() {
                non_finite += 1;
                Some(format!("non-finite energy {e}"))
            } else if e < 0.0 {
                negative += 1;
                Some(format!("negative energy {e} kWh"))
            } else if !series.on_grid(t) {
                off_grid += 1;
                Some("off the interval grid".to_string())
            } else {
                None
            };
            if let (Some(p), None) = (problem, &first_problem) {
                first_problem = Some(format!("{}: {p}", format_utc(series.start[i])));
            }
        }
        Self {
            meter_id: series.meter_id.clone(),
            readings: series.len(),
            first: series.start.first().map(|&t| format_utc(t)).unwrap_or_default(),
            last: series.start.last().map(|&t| format_utc(t)).unwrap_or_default(),
            interval_minutes: interval as f64 / 60.0,
            duplicates_dropped,
            gaps,
            missing_intervals: missing,
            longest_gap: longest,
            negative,
            non_finite,
            off_grid,
            first_problem,
        }
    }

    /// Number of findings: duplicates, gaps and bad readings.
    pub fn findings(&self) -> usize {
        self.duplicates_dropped + self.gaps + self.negative + self.non_finite + self.off_grid
    }
}

/// Readings of a meter that the meters file does not describe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownMeter {
    /// The meter id found in the readings.
    pub meter_id: String,
    /// How many readings it has.
    pub readings: usize,
}

/// What validation found in the weather file for one site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteWeatherReport {
    /// The site.
    pub site: String,
    /// Distinct timestamps.
    pub rows: usize,
    /// First timestamp (RFC 3339 UTC).
    pub first: String,
    /// Last timestamp (RFC 3339 UTC).
    pub last: String,
    /// Rows without a temperature, or with a non-finite one.
    pub missing_temperature: usize,
}

/// The validation report of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationReport {
    /// One report per meter that has readings, sorted by meter id.
    pub meters: Vec<MeterReport>,
    /// Meters in the readings but not in the meters file (their readings are ignored).
    pub unknown_meters: Vec<UnknownMeter>,
    /// Meters in the meters file without a single reading.
    pub meters_without_readings: Vec<String>,
    /// Gas meters without a subscribed capacity (the capacity alert cannot judge them).
    pub gas_meters_without_capacity: Vec<String>,
    /// One entry per site of the weather file (empty without a weather file).
    pub weather: Vec<SiteWeatherReport>,
    /// Sites of the meters file that the weather file does not cover (when there is one).
    pub sites_without_weather: Vec<String>,
}

impl ValidationReport {
    /// Validates a dataset that has been read.
    pub fn of(dataset: &Dataset) -> Self {
        let meters = dataset
            .readings
            .iter()
            .filter(|s| dataset.meters.get(&s.meter_id).is_some())
            .map(|s| MeterReport::of(s, dataset.readings.duplicates_dropped(&s.meter_id)))
            .collect();
        let unknown_meters = dataset
            .readings
            .iter()
            .filter(|s| dataset.meters.get(&s.meter_id).is_none())
            .map(|s| UnknownMeter { meter_id: s.meter_id.clone(), readings: s.len() })
            .collect();
        let meters_without_readings = dataset
            .meters
            .iter()
            .filter(|m| dataset.readings.get(&m.meter_id).is_none())
            .map(|m| m.meter_id.clone())
            .collect();
        let gas_meters_without_capacity = dataset
            .meters
            .iter()
            .filter(|m| m.commodity == crate::meters::Commodity::Gas && m.capacity_kwh_per_day.is_none())
            .map(|m| m.meter_id.clone())
            .collect();
        let weather: Vec<SiteWeatherReport> = dataset
            .weather
            .iter()
            .flat_map(|w| w.iter())
            .map(|(site, w)| SiteWeatherReport {
                site: site.to_string(),
                rows: w.timestamp.len(),
                first: w.timestamp.first().map(|&t| format_utc(t)).unwrap_or_default(),
                last: w.timestamp.last().map(|&t| format_utc(t)).unwrap_or_default(),
                missing_temperature: w.temperature_c.iter().filter(|t| !t.is_finite()).count(),
            })
            .collect();
        let mut sites_without_weather: Vec<String> = match &dataset.weather {
            None => Vec::new(),
            Some(w) => {
                dataset.meters.iter().filter(|m| w.site(&m.site).is_none()).map(|m| m.site.clone()).collect()
            }
        };
        sites_without_weather.sort();
        sites_without_weather.dedup();
        Self {
            meters,
            unknown_meters,
            meters_without_readings,
            gas_meters_without_capacity,
            weather,
            sites_without_weather,
        }
    }

    /// Total number of findings, all meters together.
    pub fn findings(&self) -> usize {
        self.meters.iter().map(MeterReport::findings).sum::<usize>()
            + self.unknown_meters.len()
            + self.meters_without_readings.len()
            + self.gas_meters_without_capacity.len()
            + self.weather.iter().map(|w| w.missing_temperature).sum::<usize>()
            + self.sites_without_weather.len()
    }
}
