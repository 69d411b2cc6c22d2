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

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::error::{Conflict, Error, Result, RowCount};
use crate::input::Input;
use crate::table::{Locator, Table};

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
        Self::read_in_parts(&input.into(), Self::PART_ROWS)
    }

    /// Rows of a Parquet readings file read at a time (about 30 MB of columns).
    const PART_ROWS: usize = 1 << 20;

    /// [`Readings::read`], a Parquet file `part_rows` rows at a time.
    fn read_in_parts(input: &Input, part_rows: usize) -> Result<Self> {
        let path = input.label();
        // Part by part: a fleet's file (tens of millions of readings) is never in memory whole,
        // only the readings gathered so far and one part of the file.
        let mut meters: Vec<Gathered> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let at = Table::read_parts(input, &Self::REQUIRED, &Self::OPTIONAL, part_rows, |table| {
            let (names, ids) = table.required_codes("meter_id")?;
            let start = table.timestamps("timestamp")?;
            let energy = table.numbers("energy_kwh")?;
            let received =
                if table.has("received_at") { Some(table.timestamps("received_at")?) } else { None };
            let first_row = table.first_row();
            drop(table);
            let slots: Vec<usize> = names
                .into_iter()
                .map(|name| {
                    *index.entry(name).or_insert_with_key(|name| {
                        meters.push(Gathered::new(name.clone(), received.is_some()));
                        meters.len() - 1
                    })
                })
                .collect();
            for (i, &id) in ids.iter().enumerate() {
                let row =
                    u32::try_from(first_row + i).map_err(|_| Error::TooManyRows { path: path.clone() })?;
                let meter = &mut meters[slots[id as usize]];
                meter.push(start[i], energy[i].unwrap_or(f64::NAN), received.as_ref().map(|r| r[i]), row);
            }
            Ok(())
        })?;
        drop(index);
        meters.sort_unstable_by(|a, b| a.meter_id.cmp(&b.meter_id));
        let mut readings = Self { path: path.clone(), ..Self::default() };
        for meter in meters {
            let (series, dropped) = meter.into_series(&at)?;
            if dropped > 0 {
                readings.duplicates_dropped.insert(series.meter_id.clone(), dropped);
            }
            readings.push_series(series);
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

/// One meter's readings in the order the file gives them, with the rows they came from, until
/// [`Gathered::into_series`] sorts them and drops duplicates.
struct Gathered {
    meter_id: String,
    start: Vec<i64>,
    energy_kwh: Vec<f64>,
    received_at: Option<Vec<i64>>,
    rows: Vec<u32>,
    /// Whether every reading so far came after the one before (files are mostly sorted).
    in_order: bool,
}

impl Gathered {
    fn new(meter_id: String, received: bool) -> Self {
        Self {
            meter_id,
            start: Vec::new(),
            energy_kwh: Vec::new(),
            received_at: received.then(Vec::new),
            rows: Vec::new(),
            in_order: true,
        }
    }

    fn push(&mut self, start: i64, energy_kwh: f64, received_at: Option<i64>, row: u32) {
        self.in_order &= self.start.last().is_none_or(|&last| last <= start);
        self.start.push(start);
        self.energy_kwh.push(energy_kwh);
        if let (Some(out), Some(r)) = (self.received_at.as_mut(), received_at) {
            out.push(r);
        }
        self.rows.push(row);
    }

    /// The meter's series, sorted by time (a stable sort: the first row of a time is kept),
    /// and how many exact duplicates were dropped; two different energies for one time are an
    /// error naming both rows (`at` names a row of the whole input).
    fn into_series(mut self, at: &Locator) -> Result<(MeterSeries, usize)> {
        if !self.in_order {
            let mut order: Vec<usize> = (0..self.start.len()).collect();
            order.sort_by_key(|&i| (self.start[i], self.rows[i]));
            let permute = |values: &mut Vec<i64>| *values = order.iter().map(|&i| values[i]).collect();
            permute(&mut self.start);
            if let Some(r) = self.received_at.as_mut() {
                permute(r);
            }
            self.energy_kwh = order.iter().map(|&i| self.energy_kwh[i]).collect();
            self.rows = order.iter().map(|&i| self.rows[i]).collect();
        }
        let mut dropped = 0;
        let mut kept = 0;
        for i in 0..self.start.len() {
            if kept > 0 && self.start[kept - 1] == self.start[i] {
                let (first, second) = (self.energy_kwh[kept - 1], self.energy_kwh[i]);
                if first != second && !(first.is_nan() && second.is_nan()) {
                    let (a, b) =
                        (at.location(self.rows[kept - 1] as usize), at.location(self.rows[i] as usize));
                    return Err(Error::ConflictingDuplicate(Box::new(Conflict {
                        path: a.path.clone(),
                        meter_id: self.meter_id,
                        timestamp: format_utc(self.start[i]),
                        first: (a.line.unwrap_or(0), first),
                        second: (b.line.unwrap_or(0), second),
                        unit: if a.rows == RowCount::CsvLine { "line" } else { "row" },
                    })));
                }
                dropped += 1;
                continue;
            }
            self.start[kept] = self.start[i];
            self.energy_kwh[kept] = self.energy_kwh[i];
            if let Some(r) = self.received_at.as_mut() {
                r[kept] = r[i];
            }
            self.rows[kept] = self.rows[i];
            kept += 1;
        }
        let fit = |values: &mut Vec<i64>| {
            values.truncate(kept);
            values.shrink_to_fit();
        };
        fit(&mut self.start);
        self.energy_kwh.truncate(kept);
        self.energy_kwh.shrink_to_fit();
        if let Some(r) = self.received_at.as_mut() {
            fit(r);
        }
        let series = MeterSeries {
            meter_id: self.meter_id,
            start: self.start,
            energy_kwh: self.energy_kwh,
            received_at: self.received_at,
            interval_s: 0,
        };
        Ok((series, dropped))
    }
}

/// Formats Unix seconds as RFC 3339 UTC (`2024-01-31T05:00:00Z`).
pub fn format_utc(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0)
        .map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::*;

    /// Writes a readings Parquet file of `rows` (meter, Unix seconds, kWh) into `dir`.
    fn parquet(dir: &std::path::Path, rows: &[(&str, i64, f64)]) -> PathBuf {
        let ms = Series::new("timestamp".into(), rows.iter().map(|r| r.1 * 1000).collect::<Vec<_>>())
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .expect("datetimes");
        let mut frame = DataFrame::new(
            rows.len(),
            vec![
                Column::new("meter_id".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
                ms.into(),
                Column::new("energy_kwh".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
            ],
        )
        .expect("frame");
        let path = dir.join("readings.parquet");
        let file = std::fs::File::create(&path).expect("file");
        ParquetWriter::new(file).with_row_group_size(Some(2)).finish(&mut frame).expect("write");
        path
    }

    #[test]
    fn parts_of_a_file_give_the_readings_of_the_whole_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Out of order within and across parts, meters interleaved, an exact duplicate in
        // another part than its first.
        let rows = [
            ("B", 7200, 2.0),
            ("A", 3600, 1.0),
            ("A", 0, 0.5),
            ("B", 0, 3.0),
            ("A", 7200, f64::NAN),
            ("A", 3600, 1.0),
            ("B", 3600, 4.0),
        ];
        let path = parquet(dir.path(), &rows);
        let whole = Readings::read_in_parts(&Input::File(path.clone()), 1_000).expect("whole");
        for part_rows in [1, 2, 3] {
            let parts = Readings::read_in_parts(&Input::File(path.clone()), part_rows).expect("parts");
            assert_eq!(parts.series.len(), 2);
            for (a, b) in whole.iter().zip(parts.iter()) {
                assert_eq!(a.meter_id, b.meter_id);
                assert_eq!(a.start, b.start);
                assert_eq!(format!("{:?}", a.energy_kwh), format!("{:?}", b.energy_kwh));
            }
            assert_eq!(parts.duplicates_dropped("A"), 1);
        }
        let a = whole.get("A").expect("A");
        assert_eq!(a.start, vec![0, 3600, 7200]);
        assert_eq!(a.energy_kwh[..2], [0.5, 1.0]);
        assert_eq!(whole.get("B").expect("B").energy_kwh, vec![3.0, 4.0, 2.0]);
    }

    #[test]
    fn a_conflict_across_parts_names_both_rows_of_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rows = [("A", 0, 1.0), ("A", 3600, 2.0), ("B", 0, 1.0), ("A", 0, 1.5)];
        let path = parquet(dir.path(), &rows);
        for part_rows in [1, 2, 1_000] {
            let error =
                Readings::read_in_parts(&Input::File(path.clone()), part_rows).expect_err("a conflict");
            let text = error.to_string();
            assert!(text.contains("at 1970-01-01T00:00:00Z: row 1 says 1 kWh, row 4 says 1.5 kWh"), "{text}");
        }
    }

    #[test]
    fn an_empty_parquet_file_is_named_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let no_rows = parquet(dir.path(), &[]);
        let no_bytes = dir.path().join("zero.parquet");
        std::fs::write(&no_bytes, b"").expect("write");
        for path in [no_rows, no_bytes] {
            let error = Readings::read(&path).expect_err("empty");
            assert!(error.to_string().ends_with("file is empty (no data rows)"), "{error}");
        }
    }
}
