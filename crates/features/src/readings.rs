//! Meter readings in the canonical long format: one row per meter and interval.
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `meter_id` | text | delivery point code |
//! | `timestamp` | UTC datetime (CSV: RFC 3339) | start of the interval |
//! | `energy_kwh` | number | energy consumed during the interval |
//! | `received_at` (optional) | UTC datetime | when the reading reached us |
//!
//! Loading sorts rows by meter and time, drops exact duplicates (counted, for the validation
//! report) and refuses conflicting duplicates, naming both rows.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::error::{Conflict, Error, Result, RowCount};
use crate::input::Input;
use crate::table::Table;

/// The readings of one meter, sorted by time, without duplicate timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterSeries {
    /// The meter.
    pub meter_id: String,
    /// Interval starts, Unix seconds (UTC), strictly increasing.
    pub start: Vec<i64>,
    /// Energy of each interval in kWh, as read: may be negative or non-finite.
    pub energy_kwh: Vec<f64>,
    /// When each reading reached us (Unix seconds), if the file says.
    pub received_at: Option<Vec<i64>>,
    /// The meter's interval length in seconds: the most common step between readings.
    pub interval_s: i64,
}

impl MeterSeries {
    /// Builds a series from sorted, distinct interval starts; the interval is inferred.
    pub fn new(meter_id: impl Into<String>, start: Vec<i64>, energy_kwh: Vec<f64>) -> Self {
        let interval_s = infer_interval(&start);
        Self { meter_id: meter_id.into(), start, energy_kwh, received_at: None, interval_s }
    }

    /// Number of readings.
    pub fn len(&self) -> usize {
        self.start.len()
    }

    /// Whether the series has no readings.
    pub fn is_empty(&self) -> bool {
        self.start.is_empty()
    }

    /// Whether reading `i` can be used: finite, not negative, and on the interval grid.
    pub fn is_usable(&self, i: usize) -> bool {
        let e = self.energy_kwh[i];
        e.is_finite() && e >= 0.0 && self.on_grid(self.start[i])
    }

    /// Whether an interval start lies on the meter's grid: multiples of the interval from
    /// midnight UTC for intervals shorter than a day. A daily reading (a gas-day index read at
    /// 06:00 local, say) may start at any time: its day is the one its start falls in.
    pub fn on_grid(&self, start: i64) -> bool {
        self.interval_s <= 0
            || self.interval_s >= 86_400
            || 86_400 % self.interval_s != 0
            || start.rem_euclid(self.interval_s) == 0
    }

    /// The instant reading `i` became known: its `received_at`, or else the end of its
    /// interval plus `delay_s`.
    pub fn known_at(&self, i: usize, delay_s: i64) -> i64 {
        match &self.received_at {
            Some(received) => received[i],
            None => self.start[i] + self.interval_s + delay_s,
        }
    }

    /// Index range of readings whose interval starts in `[from, to)`.
    pub fn range(&self, from: i64, to: i64) -> std::ops::Range<usize> {
        let lo = self.start.partition_point(|&t| t < from);
        let hi = self.start.partition_point(|&t| t < to);
        lo..hi.max(lo)
    }
}

/// The most common positive step between consecutive starts (the smaller one on ties);
/// one hour when there are fewer than two readings.
pub fn infer_interval(start: &[i64]) -> i64 {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for w in start.windows(2) {
        let step = w[1] - w[0];
        if step > 0 {
            *counts.entry(step).or_default() += 1;
        }
    }
    counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map_or(3600, |(step, _)| *step)
}

/// All readings of a file, one sorted series per meter.
#[derive(Debug, Clone, Default)]
pub struct Readings {
    /// The file they were read from.
    pub path: PathBuf,
    series: Vec<MeterSeries>,
    duplicates_dropped: BTreeMap<String, usize>,
}

impl Readings {
    /// Columns a readings file must have.
    pub const REQUIRED: [&'static str; 3] = ["meter_id", "timestamp", "energy_kwh"];
    /// Columns a readings file may have.
    pub const OPTIONAL: [&'static str; 1] = ["received_at"];

    /// Reads a readings file (CSV or Parquet).
    ///
    /// Fails on a missing column, an unparsable timestamp or number (naming file, line and
    /// column), an empty file, or two different energies for one meter and interval. An empty
    /// energy cell is read as a missing value (NaN), which validation reports.
    pub fn read(input: impl Into<Input>) -> Result<Self> {
        let input = input.into();
        let path = input.label();
        // Each column is dropped from the table once taken out: a fleet's file is large.
        let mut table = Table::read(&input, &Self::REQUIRED, &Self::OPTIONAL)?;
        drop(input);
        let (names, ids) = table.required_codes("meter_id")?;
        table.forget("meter_id");
        let start = table.timestamps("timestamp")?;
        table.forget("timestamp");
        let energy: Vec<f64> =
            table.numbers("energy_kwh")?.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect();
        table.forget("energy_kwh");
        let received = if table.has("received_at") { Some(table.timestamps("received_at")?) } else { None };
        // The columns are out: the file's contents can go before the series are built.
        let table = table.into_locator();

        let rows = u32::try_from(ids.len()).map_err(|_| Error::TooManyRows { path: path.to_path_buf() })?;
        let mut order: Vec<u32> = (0..rows).collect();
        order.sort_unstable_by_key(|&r| (ids[r as usize], start[r as usize], r));

        let mut readings = Self { path: path.to_path_buf(), ..Self::default() };
        let mut current: Option<(MeterSeries, usize)> = None; // series and row of its last reading
        for &row in &order {
            let row = row as usize;
            let id = &names[ids[row] as usize];
            if current.as_ref().is_none_or(|(s, _)| &s.meter_id != id) {
                if let Some((s, _)) = current.take() {
                    readings.push_series(s);
                }
                let s = MeterSeries {
                    meter_id: id.clone(),
                    start: Vec::new(),
                    energy_kwh: Vec::new(),
                    received_at: received.as_ref().map(|_| Vec::new()),
                    interval_s: 0,
                };
                current = Some((s, row));
            }
            let Some((series, last_row)) = current.as_mut() else { continue };
            if series.start.last() == Some(&start[row]) {
                let kept = *series.energy_kwh.last().unwrap_or(&f64::NAN);
                let same = kept == energy[row] || (kept.is_nan() && energy[row].is_nan());
                if !same {
                    let (first, second) = (table.location(*last_row), table.location(row));
                    return Err(Error::ConflictingDuplicate(Box::new(Conflict {
                        path: path.to_path_buf(),
                        meter_id: id.clone(),
                        timestamp: format_utc(start[row]),
                        first: (first.line.unwrap_or(0), kept),
                        second: (second.line.unwrap_or(0), energy[row]),
                        unit: if first.rows == RowCount::CsvLine { "line" } else { "row" },
                    })));
                }
                *readings.duplicates_dropped.entry(id.clone()).or_default() += 1;
                continue;
            }
            series.start.push(start[row]);
            series.energy_kwh.push(energy[row]);
            if let (Some(out), Some(received)) = (series.received_at.as_mut(), received.as_ref()) {
                out.push(received[row]);
            }
            *last_row = row;
        }
        if let Some((s, _)) = current {
            readings.push_series(s);
        }
        Ok(readings)
    }

    fn push_series(&mut self, mut series: MeterSeries) {
        series.interval_s = infer_interval(&series.start);
        self.series.push(series);
    }

    /// Builds readings from series already in memory (sorted by meter id here).
    pub fn from_series(mut series: Vec<MeterSeries>) -> Self {
        series.sort_by(|a, b| a.meter_id.cmp(&b.meter_id));
        Self { path: PathBuf::new(), series, duplicates_dropped: BTreeMap::new() }
    }

    /// The readings as they stood at `at`: only those known by then (see
    /// [`MeterSeries::known_at`]). Replaying a decision on this view is what "as of" means.
    pub fn known_at(&self, at: i64, delay_s: i64) -> Self {
        let series = self
            .series
            .iter()
            .map(|s| {
                let keep: Vec<usize> = (0..s.len()).filter(|&i| s.known_at(i, delay_s) <= at).collect();
                MeterSeries {
                    meter_id: s.meter_id.clone(),
                    start: keep.iter().map(|&i| s.start[i]).collect(),
                    energy_kwh: keep.iter().map(|&i| s.energy_kwh[i]).collect(),
                    received_at: s.received_at.as_ref().map(|r| keep.iter().map(|&i| r[i]).collect()),
                    interval_s: s.interval_s,
                }
            })
            .collect();
        Self { path: self.path.clone(), series, duplicates_dropped: self.duplicates_dropped.clone() }
    }

    /// The series of one meter.
    pub fn get(&self, meter_id: &str) -> Option<&MeterSeries> {
        self.series.binary_search_by(|s| s.meter_id.as_str().cmp(meter_id)).ok().map(|i| &self.series[i])
    }

    /// All series, sorted by meter id.
    pub fn iter(&self) -> impl Iterator<Item = &MeterSeries> {
        self.series.iter()
    }

    /// How many exact duplicate rows were dropped for `meter_id`.
    pub fn duplicates_dropped(&self, meter_id: &str) -> usize {
        self.duplicates_dropped.get(meter_id).copied().unwrap_or(0)
    }

    /// Total number of distinct readings.
    pub fn len(&self) -> usize {
        self.series.iter().map(MeterSeries::len).sum()
    }

    /// Whether there are no readings.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

/// Formats Unix seconds as RFC 3339 UTC (`2024-01-31T05:00:00Z`).
pub fn format_utc(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0)
        .map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}
