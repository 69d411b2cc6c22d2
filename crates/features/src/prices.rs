//! Price series files: a day-ahead price per day, or per interval of a timed series.
//!
//! A price file (CSV or Parquet) has a `price_eur_per_mwh` column and one key column:
//!
//! - `day` (`YYYY-MM-DD`): one price per gas day or electricity day;
//! - `timestamp` (UTC, RFC 3339): the start of the interval the price applies to. Each price holds
//!   for the series' own step (the smallest gap between two timestamps), so an hourly series
//!   prices the four quarter-hours of its hour, and an hour missing from the file has no price.
//!
//! Optional columns: `vwap_eur_per_mwh` (electricity: the volume-weighted reference of the
//! imbalance prices; default the day-ahead price) and `small_adjustment` (gas: the share of the
//! price on each side, widened on stressed days; default the cost file's).
//!
//! ```
//! use vader_features::PriceSeries;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("gas.csv");
//! std::fs::write(&path, "day,price_eur_per_mwh\n2025-01-01,31.5\n2025-01-02,33.0\n")?;
//! let prices = PriceSeries::read(&path)?;
//! let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 2).unwrap_or_default();
//! assert_eq!(prices.at(day, 0).map(|p| p.price), Some(33.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{Error, Location, Result};
use crate::input::Input;
use crate::table::Table;

/// The prices that apply to one target interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Day-ahead (reference) price, EUR/MWh.
    pub price: f64,
    /// Volume-weighted average price of the imbalance settlement, EUR/MWh, if the file has it.
    pub vwap: Option<f64>,
    /// Small adjustment as a share of the price, if the file has it.
    pub small_adjustment: Option<f64>,
    /// Small adjustment when long (MSP = P − SA_long), if the file has it.
    pub small_adjustment_long: Option<f64>,
    /// Small adjustment when short (MBP = P + SA_short), if the file has it.
    pub small_adjustment_short: Option<f64>,
}

/// How rows of a price file are keyed.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    /// One price per day, sorted.
    Daily(Vec<NaiveDate>),
    /// One price per interval start (Unix seconds, sorted), each holding for `step_s`.
    Timed { starts: Vec<i64>, step_s: i64 },
}

/// A price series read from a file, sorted by its key.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceSeries {
    path: PathBuf,
    key: Key,
    prices: Vec<Price>,
}

impl PriceSeries {
    /// Columns a price file must have.
    pub const REQUIRED: [&'static str; 1] = ["price_eur_per_mwh"];
    /// Columns a price file may have (one of `day` and `timestamp` is needed).
    pub const OPTIONAL: [&'static str; 6] = [
        "day",
        "timestamp",
        "vwap_eur_per_mwh",
        "small_adjustment",
        "small_adjustment_long",
        "small_adjustment_short",
    ];

    /// Reads a price file. Every price must be a finite number, every key unique.
    pub fn read(input: impl Into<Input>) -> Result<Self> {
        let input = input.into();
        let path = input.label();
        let path = path.as_path();
        let table = Table::read(&input, &Self::REQUIRED, &Self::OPTIONAL)?;
        let price = table.numbers("price_eur_per_mwh")?;
        let vwap =
            if table.has("vwap_eur_per_mwh") { Some(table.numbers("vwap_eur_per_mwh")?) } else { None };
        let shares = |name: &'static str| -> Result<Option<Vec<Option<f64>>>> {
            if table.has(name) { table.numbers(name).map(Some) } else { Ok(None) }
        };
        let adjustment = shares("small_adjustment")?;
        let long = shares("small_adjustment_long")?;
        let short = shares("small_adjustment_short")?;
        let bad = |row: usize, column: &'static str, problem: &str| Error::BadValue {
            location: table.location(row),
            column,
            problem: problem.to_string(),
        };
        let mut prices = Vec::with_capacity(price.len());
        for row in 0..price.len() {
            let p = match price[row] {
                Some(p) if p.is_finite() => p,
                Some(_) => return Err(bad(row, "price_eur_per_mwh", "not a finite number")),
                None => return Err(bad(row, "price_eur_per_mwh", "empty value")),
            };
            let vwap = vwap.as_ref().and_then(|v| v[row]);
            if vwap.is_some_and(|v| !v.is_finite()) {
                return Err(bad(row, "vwap_eur_per_mwh", "not a finite number"));
            }
            let share = |column: &'static str, values: &Option<Vec<Option<f64>>>| {
                let v = values.as_ref().and_then(|v| v[row]);
                if v.is_some_and(|v| !(v.is_finite() && v >= 0.0)) {
                    return Err(bad(row, column, "must be a finite share, zero or more"));
                }
                Ok(v)
            };
            let small_adjustment = share("small_adjustment", &adjustment)?;
            let small_adjustment_long = share("small_adjustment_long", &long)?;
            let small_adjustment_short = share("small_adjustment_short", &short)?;
            prices.push(Price {
                price: p,
                vwap,
                small_adjustment,
                small_adjustment_long,
                small_adjustment_short,
            });
        }
        let (key, order) = if table.has("day") {
            let days = table
                .required_text("day")?
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    NaiveDate::parse_from_str(v, "%Y-%m-%d")
                        .map_err(|_| bad(row, "day", &format!("cannot parse {v:?} as a YYYY-MM-DD date")))
                })
                .collect::<Result<Vec<_>>>()?;
            let order = sorted_unique(&days, &table, "day")?;
            (Key::Daily(order.iter().map(|&i| days[i]).collect()), order)
        } else if table.has("timestamp") {
            let times = table.timestamps("timestamp")?;
            let order = sorted_unique(&times, &table, "timestamp")?;
            let starts: Vec<i64> = order.iter().map(|&i| times[i]).collect();
            let step_s = starts.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(86_400);
            (Key::Timed { starts, step_s }, order)
        } else {
            return Err(Error::MissingColumn {
                location: Location::file(path),
                column: "day` or `timestamp",
                found: table.names(),
            });
        };
        let prices = order.iter().map(|&i| prices[i]).collect();
        Ok(Self { path: path.to_path_buf(), key, prices })
    }

    /// A daily series from values in memory (for tests and embedding).
    pub fn daily(path: impl Into<PathBuf>, rows: impl IntoIterator<Item = (NaiveDate, Price)>) -> Self {
        let mut rows: Vec<(NaiveDate, Price)> = rows.into_iter().collect();
        rows.sort_by_key(|r| r.0);
        rows.dedup_by_key(|r| r.0);
        let (days, prices) = rows.into_iter().unzip();
        Self { path: path.into(), key: Key::Daily(days), prices }
    }

    /// The file the series was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of prices.
    pub fn len(&self) -> usize {
        self.prices.len()
    }

    /// Whether the series is empty (never, for a series read from a file).
    pub fn is_empty(&self) -> bool {
        self.prices.is_empty()
    }

    /// The price of the interval of target day `day` starting at `start` (Unix seconds): the
    /// day's price for a daily series, the price whose interval holds `start` for a timed one.
    pub fn at(&self, day: NaiveDate, start: i64) -> Option<Price> {
        let i = match &self.key {
            Key::Daily(days) => days.binary_search(&day).ok()?,
            Key::Timed { starts, step_s } => {
                let i = starts.partition_point(|&t| t <= start).checked_sub(1)?;
                if start >= starts[i] + step_s {
                    return None;
                }
                i
            }
        };
        self.prices.get(i).copied()
    }

    /// What the series covers, for error messages: `daily, 2025-01-01 to 2025-12-31`.
    pub fn coverage(&self) -> String {
        match &self.key {
            Key::Daily(days) => match (days.first(), days.last()) {
                (Some(a), Some(b)) => format!("daily, {a} to {b}"),
                _ => "empty".into(),
            },
            Key::Timed { starts, step_s } => match (starts.first(), starts.last()) {
                (Some(&a), Some(&b)) => format!(
                    "every {} min, {} to {}",
                    step_s / 60,
                    crate::format_utc(a),
                    crate::format_utc(b + step_s)
                ),
                _ => "empty".into(),
            },
        }
    }
}

/// Row order sorting `keys`; an error naming both lines when a key repeats.
fn sorted_unique<K: Ord + Copy + std::fmt::Debug>(
    keys: &[K],
    table: &Table,
    column: &'static str,
) -> Result<Vec<usize>> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| (keys[i], i));
    for w in order.windows(2) {
        if keys[w[0]] == keys[w[1]] {
            let first = table.location(w[0]).line.unwrap_or_default();
            return Err(Error::BadValue {
                location: table.location(w[1]),
                column,
                problem: format!("the same {column} as line {first}: one price per {column}"),
            });
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    #[test]
    fn an_hourly_series_prices_quarter_hours_and_leaves_gaps_unpriced() -> Result<()> {
        let (_dir, path) = write(
            "timestamp,price_eur_per_mwh,vwap_eur_per_mwh\n\
             2018-01-01T01:00:00Z,40.0,\n2018-01-01T00:00:00Z,30.0,35.5\n2018-01-01T03:00:00Z,50.0,\n",
            "el.csv",
        );
        let prices = PriceSeries::read(&path)?;
        let day = NaiveDate::from_ymd_opt(2018, 1, 1).unwrap_or_default();
        let t0 = 1_514_764_800; // 2018-01-01T00:00:00Z
        assert_eq!(
            prices.at(day, t0 + 900),
            Some(Price {
                price: 30.0,
                vwap: Some(35.5),
                small_adjustment: None,
                small_adjustment_long: None,
                small_adjustment_short: None
            })
        );
        assert_eq!(prices.at(day, t0 + 3600).map(|p| p.price), Some(40.0));
        assert_eq!(prices.at(day, t0 + 2 * 3600), None, "02:00 is missing from the file");
        assert_eq!(prices.at(day, t0 + 3 * 3600 + 2700).map(|p| p.price), Some(50.0));
        assert_eq!(prices.at(day, t0 + 4 * 3600), None);
        assert_eq!(prices.at(day, t0 - 1), None);
        assert!(prices.coverage().contains("every 60 min"), "{}", prices.coverage());
        Ok(())
    }

    #[test]
    fn a_corrupted_price_file_is_refused_with_its_line() {
        for (text, needle) in [
            ("day,price_eur_per_mwh\n2025-01-01,31.5\n2025-01-02,\n", "line 3"),
            ("day,price_eur_per_mwh\n2025-01-01,31.5\n2025-01-02,abc\n", "line 3"),
            ("day,price_eur_per_mwh\n2025-01-01,31.5\n2025-01-01,32\n", "same day as line 2"),
            ("day,price_eur_per_mwh\n2025-13-01,31.5\n", "YYYY-MM-DD"),
            ("date,price_eur_per_mwh\n2025-01-01,31.5\n", "`day` or `timestamp`"),
            ("day,price_eur_per_mwh,small_adjustment\n2025-01-01,31.5,-0.1\n", "small_adjustment"),
        ] {
            let (_dir, path) = write(text, "gas.csv");
            let err = PriceSeries::read(&path).expect_err(text).to_string();
            assert!(err.contains(needle) && err.contains("gas.csv"), "{err}");
        }
    }
}
