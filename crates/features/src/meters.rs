//! The meters file: what each delivery point is, where it is, and its subscribed capacity.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::input::Input;
use crate::table::Table;

/// The time zone of a site when the meters file does not give one.
pub const DEFAULT_TIMEZONE: Tz = chrono_tz::Europe::Paris;

/// What a meter measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Commodity {
    /// Natural gas, in kWh of higher heating value; settled per gas day.
    Gas,
    /// Electricity, in kWh; settled per period of the calendar day.
    Electricity,
}

impl FromStr for Commodity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "gas" => Ok(Self::Gas),
            "electricity" | "power" => Ok(Self::Electricity),
            _ => Err(format!("unknown commodity {s:?} (expected `gas` or `electricity`)")),
        }
    }
}

impl fmt::Display for Commodity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Gas => "gas",
            Self::Electricity => "electricity",
        })
    }
}

/// One delivery point, as described by a row of the meters file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meter {
    /// Delivery point code, e.g. `L18442`.
    pub meter_id: String,
    /// Human-readable name.
    pub name: String,
    /// The site the meter belongs to (links to the weather file).
    pub site: String,
    /// Gas or electricity.
    pub commodity: Commodity,
    /// Subscribed daily capacity in kWh/day (gas meters).
    pub capacity_kwh_per_day: Option<f64>,
    /// The site's time zone, for day boundaries and calendars.
    #[serde(serialize_with = "serialize_tz")]
    pub timezone: Tz,
    /// The country whose public holidays the site keeps (ISO 3166-1 alpha-2, upper case);
    /// `None` keeps the French national calendar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The subdivision of the country (the ISO 3166-2 part after the dash: `ENG`, `6AE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subdivision: Option<String>,
}

impl Meter {
    /// The public-holiday calendar the meter keeps, or `None` for the default French one.
    pub fn calendar_key(&self) -> Option<crate::holidays::CalendarKey> {
        self.country.as_ref().map(|country| crate::holidays::CalendarKey {
            country: country.clone(),
            subdivision: self.subdivision.clone(),
        })
    }
}

fn serialize_tz<S: serde::Serializer>(tz: &Tz, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

/// All meters of a dataset, in file order.
#[derive(Debug, Clone, Default)]
pub struct Meters {
    meters: Vec<Meter>,
    by_id: HashMap<String, usize>,
}

impl Meters {
    /// Columns the meters file must have.
    pub const REQUIRED: [&'static str; 4] = ["meter_id", "name", "site", "commodity"];
    /// Columns the meters file may have.
    pub const OPTIONAL: [&'static str; 4] = ["capacity_kwh_per_day", "timezone", "country", "subdivision"];

    /// Reads and checks a meters file (CSV or Parquet).
    pub fn read(input: impl Into<Input>) -> Result<Self> {
        let table = Table::read(&input.into(), &Self::REQUIRED, &Self::OPTIONAL)?;
        let ids = table.required_text("meter_id")?;
        let names = table.text("name")?;
        let sites = table.required_text("site")?;
        let commodities = table.required_text("commodity")?;
        let capacities = if table.has("capacity_kwh_per_day") {
            table.numbers("capacity_kwh_per_day")?
        } else {
            vec![None; table.height()]
        };
        let zones = table.optional_text("timezone")?;
        let countries = table.optional_text("country")?;
        let subdivisions = table.optional_text("subdivision")?;

        let mut meters = Self::default();
        for (row, meter_id) in ids.into_iter().enumerate() {
            let bad = |column, problem| Error::BadValue { location: table.location(row), column, problem };
            let commodity = commodities[row].parse().map_err(|p| bad("commodity", p))?;
            let capacity = capacities[row];
            if let Some(c) = capacity.filter(|c| !c.is_finite() || *c < 0.0) {
                return Err(bad(
                    "capacity_kwh_per_day",
                    format!("capacity must be a non-negative number, found {c}"),
                ));
            }
            let timezone = match &zones[row] {
                None => DEFAULT_TIMEZONE,
                Some(z) => z.parse().map_err(|_| bad("timezone", format!("unknown time zone {z:?}")))?,
            };
            let country = countries[row].as_deref().map(str::to_ascii_uppercase);
            if let Some(c) = &country
                && !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
            {
                return Err(bad(
                    "country",
                    format!("expected an ISO 3166-1 alpha-2 code such as GB, found {c:?}"),
                ));
            }
            let subdivision = subdivisions[row].as_deref().map(str::to_ascii_uppercase);
            if subdivision.is_some() && country.is_none() {
                return Err(bad("subdivision", "a subdivision needs a country".into()));
            }
            if let Some(&first) = meters.by_id.get(&meter_id) {
                return Err(Error::DuplicateMeter {
                    location: table.location(row),
                    meter_id,
                    first_line: table.location(first).line.unwrap_or(0),
                });
            }
            meters.by_id.insert(meter_id.clone(), meters.meters.len());
            meters.meters.push(Meter {
                name: names[row].clone().unwrap_or_else(|| meter_id.clone()),
                meter_id,
                site: sites[row].clone(),
                commodity,
                capacity_kwh_per_day: capacity,
                timezone,
                country,
                subdivision,
            });
        }
        Ok(meters)
    }

    /// Builds the meter list from meters already in memory; later duplicates are dropped.
    pub fn from_meters(list: impl IntoIterator<Item = Meter>) -> Self {
        let mut meters = Self::default();
        for meter in list {
            if !meters.by_id.contains_key(&meter.meter_id) {
                meters.by_id.insert(meter.meter_id.clone(), meters.meters.len());
                meters.meters.push(meter);
            }
        }
        meters
    }

    /// The meter with this id.
    pub fn get(&self, meter_id: &str) -> Option<&Meter> {
        self.by_id.get(meter_id).map(|&i| &self.meters[i])
    }

    /// All meters, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Meter> {
        self.meters.iter()
    }

    /// Number of meters.
    pub fn len(&self) -> usize {
        self.meters.len()
    }

    /// Whether there are no meters.
    pub fn is_empty(&self) -> bool {
        self.meters.is_empty()
    }
}
