//! The optional weather file: outdoor temperature per site.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Result;
use crate::table::Table;

/// Temperature series of one site, sorted by time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteWeather {
    /// Observation (or forecast validity) times, Unix seconds UTC.
    pub timestamp: Vec<i64>,
    /// Temperature in °C; NaN where the file leaves it empty.
    pub temperature_c: Vec<f64>,
}

/// Temperatures of every site in a weather file.
#[derive(Debug, Clone, Default)]
pub struct Weather {
    sites: BTreeMap<String, SiteWeather>,
}

impl Weather {
    /// Columns a weather file must have.
    pub const REQUIRED: [&'static str; 3] = ["site", "timestamp", "temperature_c"];

    /// Reads a weather file (CSV or Parquet).
    pub fn read(path: &Path) -> Result<Self> {
        let table = Table::read(path, &Self::REQUIRED, &[])?;
        let sites = table.required_text("site")?;
        let time = table.timestamps("timestamp")?;
        let temp = table.numbers("temperature_c")?;
        let mut rows: Vec<usize> = (0..sites.len()).collect();
        rows.sort_by(|&a, &b| sites[a].cmp(&sites[b]).then(time[a].cmp(&time[b])));
        let mut weather = Self::default();
        for row in rows {
            let site = weather.sites.entry(sites[row].clone()).or_default();
            if site.timestamp.last() != Some(&time[row]) {
                site.timestamp.push(time[row]);
                site.temperature_c.push(temp[row].unwrap_or(f64::NAN));
            }
        }
        Ok(weather)
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
