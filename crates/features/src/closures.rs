//! The optional closures file: planned shutdowns and turnarounds, known in advance.
//!
//! `closures.csv` (or `.parquet`) in a data folder has one row per closure:
//!
//! | column | meaning |
//! | --- | --- |
//! | `site` | the site closed (every meter of it), or empty when `meter_id` is given |
//! | `meter_id` | the meter closed, or empty when `site` is given |
//! | `first_day` | the first day closed, `YYYY-MM-DD` (the meter's local day) |
//! | `last_day` | the last day closed, inclusive |
//! | `reason` (optional) | free text: `turnaround`, `strike`, ... |
//!
//! A closure is site knowledge planned ahead, so it is read as known at every decision time;
//! the features flag the target days inside one (`closed`).

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::input::Input;
use crate::meters::Meters;
use crate::table::Table;

/// One planned closure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    /// The site closed, or `None` for one meter.
    pub site: Option<String>,
    /// The meter closed, or `None` for a whole site.
    pub meter_id: Option<String>,
    /// First day closed.
    pub first_day: NaiveDate,
    /// Last day closed (inclusive).
    pub last_day: NaiveDate,
    /// Why.
    pub reason: Option<String>,
}

impl Closure {
    /// Whether the closure applies to a meter of `site`.
    pub fn applies_to(&self, meter_id: &str, site: &str) -> bool {
        self.meter_id.as_deref() == Some(meter_id) || self.site.as_deref() == Some(site)
    }

    /// Whether `day` is inside the closure.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.first_day <= day && day <= self.last_day
    }
}

/// Columns a closures file must have.
pub const REQUIRED: [&str; 2] = ["first_day", "last_day"];
/// Columns a closures file may have (one of `site` and `meter_id` is needed per row).
pub const OPTIONAL: [&str; 3] = ["site", "meter_id", "reason"];

/// Reads and checks a closures file against the meters it may name.
pub fn read(input: impl Into<Input>, meters: &Meters) -> Result<Vec<Closure>> {
    let table = Table::read(&input.into(), &REQUIRED, &OPTIONAL)?;
    let (sites, ids, reasons) =
        (table.optional_text("site")?, table.optional_text("meter_id")?, table.optional_text("reason")?);
    let (first, last) = (table.dates("first_day")?, table.dates("last_day")?);
    let mut out = Vec::with_capacity(table.height());
    for row in 0..table.height() {
        let bad =
            |column, problem: String| Error::BadValue { location: table.location(row), column, problem };
        let (site, meter_id) = (sites[row].clone(), ids[row].clone());
        match (&site, &meter_id) {
            (None, None) => return Err(bad("site", "give a site or a meter_id".into())),
            (Some(_), Some(_)) => return Err(bad("site", "give a site or a meter_id, not both".into())),
            (Some(s), None) if !meters.iter().any(|m| &m.site == s) => {
                return Err(bad("site", format!("no meter of the meters file is on site {s:?}")));
            }
            (None, Some(id)) if meters.get(id).is_none() => {
                return Err(bad("meter_id", format!("unknown meter {id:?} (not in the meters file)")));
            }
            _ => {}
        }
        if last[row] < first[row] {
            return Err(bad("last_day", format!("{} is before first_day {}", last[row], first[row])));
        }
        out.push(Closure {
            site,
            meter_id,
            first_day: first[row],
            last_day: last[row],
            reason: reasons[row].clone(),
        });
    }
    Ok(out)
}
