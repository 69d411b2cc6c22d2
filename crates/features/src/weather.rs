//! The optional weather file: outdoor temperature per site.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::input::Input;
use crate::table::Table;

/// Temperature series of one site, sorted by time (then by issue time).
///
/// Without `issued_at`, a value is an observation, read as a perfect forecast of its hour.
/// With `issued_at`, each row is a forecast for `timestamp` issued at `issued_at`, and a
/// decision taken at instant `t` sees, for each hour, the latest forecast issued by `t`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteWeather {
    /// Observation (or forecast validity) times, Unix seconds UTC.
    pub timestamp: Vec<i64>,
    /// Temperature in °C; NaN where the file leaves it empty.
    pub temperature_c: Vec<f64>,
    /// When each forecast was issued (Unix seconds), if the file says.
    pub issued_at: Option<Vec<i64>>,
}

impl SiteWeather {
    /// Mean temperature over hours in `[start, end)` as known at `known_at`: for each hour the
    /// latest forecast issued by then (or the observation when there is no `issued_at`); NaN
    /// when nothing is known.
    pub fn mean_temperature(&self, start: i64, end: i64, known_at: i64) -> f64 {
        self.temperatures(start, end, known_at).mean
    }

    /// Mean, minimum and maximum of the hourly temperatures in `[start, end)` as known at
    /// `known_at`, read as [`SiteWeather::mean_temperature`] reads them; NaN when nothing is
    /// known.
    pub fn temperatures(&self, start: i64, end: i64, known_at: i64) -> Temperatures {
        let lo = self.timestamp.partition_point(|&t| t < start);
        let hi = self.timestamp.partition_point(|&t| t < end).max(lo);
        let (mut sum, mut n) = (0.0, 0_usize);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut i = lo;
        while i < hi {
            // Rows of one hour are contiguous and sorted by issue time.
            let mut j = i;
            let mut value = None;
            while j < hi && self.timestamp[j] == self.timestamp[i] {
                let issued = self.issued_at.as_ref().map_or(i64::MIN, |v| v[j]);
                if issued <= known_at && self.temperature_c[j].is_finite() {
                    value = Some(self.temperature_c[j]);
                }
                j += 1;
            }
            if let Some(v) = value {
                sum += v;
                n += 1;
                min = min.min(v);
                max = max.max(v);
            }
            i = j;
        }
        if n == 0 { Temperatures::UNKNOWN } else { Temperatures { mean: sum / n as f64, min, max } }
    }
}

/// The temperatures of an interval, °C.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Temperatures {
    /// Mean of the hourly values.
    pub mean: f64,
    /// Lowest hourly value.
    pub min: f64,
    /// Highest hourly value.
    pub max: f64,
}

impl Temperatures {
    /// Nothing known: every figure NaN.
    pub const UNKNOWN: Self = Self { mean: f64::NAN, min: f64::NAN, max: f64::NAN };
}

/// Temperatures of every site in a weather file.
#[derive(Debug, Clone, Default)]
pub struct Weather {
    sites: BTreeMap<String, SiteWeather>,
}

impl Weather {
    /// Columns a weather file must have.
    pub const REQUIRED: [&'static str; 3] = ["site", "timestamp", "temperature_c"];
    /// Columns a weather file may have.
    pub const OPTIONAL: [&'static str; 1] = ["issued_at"];

    /// Reads a weather file (CSV or Parquet).
    pub fn read(input: impl Into<Input>) -> Result<Self> {
        let table = Table::read(&input.into(), &Self::REQUIRED, &Self::OPTIONAL)?;
        let sites = table.required_text("site")?;
        let time = table.timestamps("timestamp")?;
        let temp = table.numbers("temperature_c")?;
        let issued = if table.has("issued_at") { Some(table.timestamps("issued_at")?) } else { None };
        let issue = |row: usize| issued.as_ref().map_or(0, |v| v[row]);
        let mut rows: Vec<usize> = (0..sites.len()).collect();
        rows.sort_by(|&a, &b| {
            sites[a].cmp(&sites[b]).then(time[a].cmp(&time[b])).then(issue(a).cmp(&issue(b)))
        });
        let mut weather = Self::default();
        for row in rows {
            let site = weather.sites.entry(sites[row].clone()).or_default();
            let same = site.timestamp.last() == Some(&time[row])
                && site.issued_at.as_ref().is_none_or(|v| v.last() == Some(&issue(row)));
            if same {
                continue; // a duplicate row: the first one is kept
            }
            site.timestamp.push(time[row]);
            site.temperature_c.push(temp[row].unwrap_or(f64::NAN));
            if issued.is_some() {
                site.issued_at.get_or_insert_with(Vec::new).push(issue(row));
            }
        }
        Ok(weather)
    }

    /// Weather built from series already in memory (each sorted by time, then issue time).
    pub fn from_sites(sites: impl IntoIterator<Item = (String, SiteWeather)>) -> Self {
        Self { sites: sites.into_iter().collect() }
    }

    /// The series of one site.
    pub fn site(&self, site: &str) -> Option<&SiteWeather> {
        self.sites.get(site)
    }

    /// All sites with their series, sorted by site.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SiteWeather)> {
        self.sites.iter().map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_sees_the_latest_forecast_issued_before_it() {
        // Two hours, each forecast twice: at 0 (10 °C, 20 °C) and at 100 (12 °C, 22 °C).
        let w = SiteWeather {
            timestamp: vec![3600, 3600, 7200, 7200],
            temperature_c: vec![10.0, 12.0, 20.0, 22.0],
            issued_at: Some(vec![0, 100, 0, 100]),
        };
        assert_eq!(w.mean_temperature(0, 10_000, 50), 15.0);
        assert_eq!(w.mean_temperature(0, 10_000, 100), 17.0);
        assert!(w.mean_temperature(0, 10_000, -1).is_nan());
        let t = w.temperatures(0, 10_000, 100);
        assert_eq!((t.min, t.max), (12.0, 22.0));
        assert!(w.temperatures(0, 10_000, -1).max.is_nan());
        let observed = SiteWeather { timestamp: vec![3600], temperature_c: vec![5.0], issued_at: None };
        assert_eq!(observed.mean_temperature(0, 10_000, i64::MIN), 5.0);
    }
}
