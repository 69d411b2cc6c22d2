//! The optional covariates file: what the site knows in advance (a production plan, a
//! throughput target, a planned load), per site or meter, as of a decision time.
//!
//! `covariates.csv` (or `.parquet`) in a data folder, long format:
//!
//! | column | meaning |
//! | --- | --- |
//! | `site` | the site the value applies to (every meter of it), or empty when `meter_id` is given |
//! | `meter_id` | the meter it applies to, or empty when `site` is given |
//! | `timestamp` | from when the value holds (RFC 3339 UTC); it holds until the next one |
//! | `name` | the covariate's name (`crude_throughput`); becomes the feature `cov_<name>` |
//! | `value` | a number |
//! | `issued_at` (optional) | when the value was issued; without it a value is known at any time |
//!
//! A covariate is a step function of time. The feature of a target day (or period) is its
//! time-weighted mean over the day (or period), using for every step the latest value issued
//! by the decision time, exactly as weather forecast vintages are read. A meter with its own
//! series of a name uses it instead of its site's.
//!
//! ```
//! use vader_features::covariates::StepSeries;
//!
//! // 10 from t = 0, then 30 from t = 50 (issued at 60): known at 45, only the first step.
//! let s = StepSeries { start: vec![0, 50], value: vec![10.0, 30.0], issued_at: Some(vec![0, 60]) };
//! assert_eq!(s.mean(0, 100, 45), 10.0);
//! assert_eq!(s.mean(0, 100, 60), 20.0);
//! assert!(s.mean(0, 100, -1).is_nan());
//! ```

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::input::Input;
use crate::meters::{Meter, Meters};
use crate::table::Table;

/// One covariate of one site or meter: values in force from each start, sorted by start then
/// issue time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepSeries {
    /// From when each value holds, Unix seconds.
    pub start: Vec<i64>,
    /// The values.
    pub value: Vec<f64>,
    /// When each value was issued (Unix seconds), if the file says.
    pub issued_at: Option<Vec<i64>>,
}

impl StepSeries {
    /// Time-weighted mean over `[from, to)` of the values known at `at` (for each start, the
    /// latest value issued by then); NaN when no known value covers any of the interval.
    pub fn mean(&self, from: i64, to: i64, at: i64) -> f64 {
        let known =
            |i: usize| self.issued_at.as_ref().is_none_or(|v| v[i] <= at) && self.value[i].is_finite();
        // From the last known value starting at or before `from` to the last start before `to`.
        let hi = self.start.partition_point(|&t| t < to);
        let mut lo = self.start.partition_point(|&t| t <= from);
        while lo > 0 && !known(lo - 1) {
            lo -= 1;
        }
        let lo = lo.saturating_sub(1);
        // The known steps: for each start, the latest value issued by `at`.
        let mut steps: Vec<(i64, f64)> = Vec::new();
        for i in lo..hi.max(lo) {
            if !known(i) {
                continue;
            }
            match steps.last_mut() {
                Some(last) if last.0 == self.start[i] => last.1 = self.value[i],
                _ => steps.push((self.start[i], self.value[i])),
            }
        }
        let (mut weighted, mut covered) = (0.0, 0_i64);
        for (k, &(start, value)) in steps.iter().enumerate() {
            let end = steps.get(k + 1).map_or(i64::MAX, |s| s.0);
            let (lo, hi) = (start.max(from), end.min(to));
            if hi > lo {
                weighted += value * (hi - lo) as f64;
                covered += hi - lo;
            }
        }
        if covered == 0 { f64::NAN } else { weighted / covered as f64 }
    }
}

/// Where a covariate applies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    Site(String),
    Meter(String),
}

/// Every covariate of a data folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Covariates {
    names: Vec<String>,
    series: BTreeMap<(Scope, String), StepSeries>,
}

impl Covariates {
    /// Columns a covariates file must have.
    pub const REQUIRED: [&'static str; 3] = ["timestamp", "name", "value"];
    /// Columns a covariates file may have (one of `site` and `meter_id` is needed per row).
    pub const OPTIONAL: [&'static str; 3] = ["site", "meter_id", "issued_at"];

    /// Reads and checks a covariates file against the meters it may name.
    pub fn read(input: impl Into<Input>, meters: &Meters) -> Result<Self> {
        let table = Table::read(&input.into(), &Self::REQUIRED, &Self::OPTIONAL)?;
        let (sites, ids) = (table.optional_text("site")?, table.optional_text("meter_id")?);
        let time = table.timestamps("timestamp")?;
        let names = table.required_text("name")?;
        let values = table.numbers("value")?;
        let issued = if table.has("issued_at") { Some(table.timestamps("issued_at")?) } else { None };
        let mut rows: Vec<(Scope, String, i64, i64, f64)> = Vec::with_capacity(table.height());
        for row in 0..table.height() {
            let bad =
                |column, problem: String| Error::BadValue { location: table.location(row), column, problem };
            let scope = match (&sites[row], &ids[row]) {
                (Some(s), None) if meters.iter().any(|m| &m.site == s) => Scope::Site(s.clone()),
                (Some(s), None) => {
                    return Err(bad("site", format!("no meter of the meters file is on site {s:?}")));
                }
                (None, Some(id)) if meters.get(id).is_some() => Scope::Meter(id.clone()),
                (None, Some(id)) => {
                    return Err(bad("meter_id", format!("unknown meter {id:?} (not in the meters file)")));
                }
                (None, None) => return Err(bad("site", "give a site or a meter_id".into())),
                (Some(_), Some(_)) => return Err(bad("site", "give a site or a meter_id, not both".into())),
            };
            let name = &names[row];
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad("name", format!("{name:?}: use letters, digits and `_` only")));
            }
            let value = values[row].ok_or_else(|| bad("value", "empty value".into()))?;
            if !value.is_finite() {
                return Err(bad("value", format!("must be a finite number, found {value}")));
            }
            let issue = issued.as_ref().map_or(i64::MIN, |v| v[row]);
            rows.push((scope, name.clone(), time[row], issue, value));
        }
        rows.sort_by(|a, b| (&a.0, &a.1, a.2, a.3).cmp(&(&b.0, &b.1, b.2, b.3)));
        let mut out = Self::default();
        for (scope, name, start, issue, value) in rows {
            if !out.names.contains(&name) {
                out.names.push(name.clone());
            }
            let s = out.series.entry((scope, name)).or_default();
            s.start.push(start);
            s.value.push(value);
            if issued.is_some() {
                s.issued_at.get_or_insert_with(Vec::new).push(issue);
            }
        }
        out.names.sort();
        Ok(out)
    }

    /// Builds covariates from series already in memory: `(site, name, series)` rows.
    pub fn for_sites(series: impl IntoIterator<Item = (String, String, StepSeries)>) -> Self {
        let mut out = Self::default();
        for (site, name, s) in series {
            if !out.names.contains(&name) {
                out.names.push(name.clone());
            }
            out.series.insert((Scope::Site(site), name), s);
        }
        out.names.sort();
        out
    }

    /// The same covariates with every series passed through `f` (to build what-if views).
    pub fn map(&self, f: impl Fn(&StepSeries) -> StepSeries) -> Self {
        Self {
            names: self.names.clone(),
            series: self.series.iter().map(|(k, s)| (k.clone(), f(s))).collect(),
        }
    }

    /// The covariate names, sorted.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The feature column name of a covariate.
    pub fn column(name: &str) -> String {
        format!("cov_{name}")
    }

    /// The series of covariate `name` for `meter` (its own, else its site's).
    pub fn for_meter(&self, meter: &Meter, name: &str) -> Option<&StepSeries> {
        self.series
            .get(&(Scope::Meter(meter.meter_id.clone()), name.to_string()))
            .or_else(|| self.series.get(&(Scope::Site(meter.site.clone()), name.to_string())))
    }
}
