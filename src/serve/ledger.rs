//! What the service's decisions saved, recomputed as readings arrive: the product measures
//! its own value.
//!
//! Each decision is recorded when it is taken, beside the decision its reference would have
//! taken at the same time on the same data:
//!
//! | decision | recorded in | reference |
//! | --- | --- | --- |
//! | extra capacity (the hourly alert) | `decisions/capacity/GASDAY.json` | the day-one rule at the same alerts |
//! | gas nomination, electricity schedule | `decisions/nominations/TARGET-DAY.json` | persistence's point forecast at the same deadline |
//!
//! Capacity bought during a gas day is kept, so a day's purchase is the largest extra the
//! day's alerts recommended, for the champion as for the day-one rule (as the backtest's
//! capacity replay books it). Every cycle, [`update`] prices each recorded decision whose day
//! is complete in the store at the SPEC's costs and writes `ledger/nominations.json`,
//! `ledger/capacity.json` and `ledger/value.json` (the euros saved per site and month); a day
//! still incomplete is listed without a cost until its readings arrive.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use vader_backtest::cost::CostParams;
use vader_features::{Commodity, DailyTotals, Dataset, DayConvention, Target};

use super::error::{Error, Result};
use super::state::{read_json, write_json};
use crate::api::capacity::CapacityAlert;
use crate::api::nominate::Nominations;

/// The capacity decisions of one gas meter and gas day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityDecision {
    /// The meter.
    pub meter_id: String,
    /// Its site.
    pub site: String,
    /// The gas day.
    pub gas_day: NaiveDate,
    /// Subscribed capacity, kWh/day.
    pub subscribed_kwh: f64,
    /// Extra capacity the alerts recommended (the day's largest), kWh.
    pub bought_kwh: f64,
    /// Extra capacity the day-one rule recommended at the same alerts, kWh.
    pub day_one_kwh: f64,
    /// Alerts that ran for the day.
    pub alerts: u32,
    /// The last of them.
    pub last_at: DateTime<Utc>,
}

/// One nomination (a meter and period of day D) and persistence's at the same deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NominationDecision {
    /// The meter.
    pub meter_id: String,
    /// Its site.
    pub site: String,
    /// The target (`gas-day`, `electricity-day`).
    pub target: String,
    /// Day D.
    pub day: NaiveDate,
    /// Start of the period (the day's start for a daily target).
    pub period_start: DateTime<Utc>,
    /// When the decision was made.
    pub decision_at: DateTime<Utc>,
    /// The champion's recipe and registry version.
    pub model: String,
    /// Its registry version.
    pub version: u32,
    /// What was nominated, kWh.
    pub nominated_kwh: f64,
    /// Persistence's point forecast for the same period, kWh (none when it could not be made).
    pub persistence_kwh: Option<f64>,
}

/// A nominated day of one meter, priced once its readings are complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricedNomination {
    /// The target.
    pub target: String,
    /// Day D.
    pub day: NaiveDate,
    /// The meter.
    pub meter_id: String,
    /// Its site.
    pub site: String,
    /// The champion's recipe.
    pub model: String,
    /// Its registry version.
    pub version: u32,
    /// Nominated over the day, kWh.
    pub nominated_kwh: f64,
    /// Consumed over the day, kWh (none until every period is known).
    pub actual_kwh: Option<f64>,
    /// Persistence's nomination over the day, kWh.
    pub persistence_kwh: Option<f64>,
    /// Imbalance cost of the nomination, EUR.
    pub cost_eur: Option<f64>,
    /// Imbalance cost persistence would have paid, EUR.
    pub persistence_cost_eur: Option<f64>,
    /// What the nomination saved over persistence, EUR.
    pub saved_eur: Option<f64>,
}

/// A gas day of one meter's capacity decisions, priced once its readings are complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricedCapacity {
    /// The decisions.
    #[serde(flatten)]
    pub decision: CapacityDecision,
    /// Consumed over the gas day, kWh.
    pub actual_kwh: Option<f64>,
    /// Capacity bought plus overrun penalty, EUR.
    pub cost_eur: Option<f64>,
    /// What the day-one rule's decisions would have cost, EUR.
    pub day_one_cost_eur: Option<f64>,
    /// What the decisions saved over the day-one rule, EUR.
    pub saved_eur: Option<f64>,
}

/// The euros saved by one site in one month, on the days already priced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonthValue {
    /// The site.
    pub site: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Capacity: saved over the day-one rule, EUR.
    pub capacity_saved_eur: f64,
    /// Meter-days priced.
    pub capacity_days: usize,
    /// Gas nominations: saved over persistence, EUR.
    pub nominations_saved_eur: f64,
    /// Meter-days priced.
    pub nomination_days: usize,
    /// Electricity schedules: saved over persistence, EUR.
    pub schedules_saved_eur: f64,
    /// Meter-days priced.
    pub schedule_days: usize,
    /// Everything saved, EUR.
    pub total_saved_eur: f64,
}

/// `ledger/value.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Value {
    /// When it was computed.
    pub updated_at: Option<DateTime<Utc>>,
    /// By site, then month.
    pub months: Vec<MonthValue>,
    /// Everything saved to date, EUR.
    pub total_saved_eur: f64,
    /// The prices used.
    pub prices: CostParams,
}

fn decisions_dir(home: &Path, what: &str) -> PathBuf {
    home.join("decisions").join(what)
}

/// The ledger's folder.
pub fn ledger_dir(home: &Path) -> PathBuf {
    home.join("ledger")
}

/// Reads a ledger file of `home` (`nominations`, `capacity`, `value`, `validation`), if
/// written yet.
pub fn read<T: DeserializeOwned>(home: &Path, name: &str) -> Result<Option<T>> {
    read_json(&ledger_dir(home).join(format!("{name}.json")))
}

/// Writes the ledger file `name` of `home`.
pub fn write<T: Serialize>(home: &Path, name: &str, value: &T) -> Result<()> {
    write_json(&ledger_dir(home).join(format!("{name}.json")), value)
}

/// Records one alert's capacity decisions: `taken` (what the alert recommended) and
/// `day_one` (the day-one rule at the same time).
pub fn record_capacity(
    home: &Path,
    data: &Dataset,
    taken: &CapacityAlert,
    day_one: &CapacityAlert,
) -> Result<()> {
    let mut by_day: BTreeMap<NaiveDate, Vec<&vader_backtest::AlertRow>> = BTreeMap::new();
    for row in taken.rows.iter().filter(|r| r.capacity_kwh.is_some()) {
        by_day.entry(row.gas_day).or_default().push(row);
    }
    for (day, rows) in by_day {
        let path = decisions_dir(home, "capacity").join(format!("{day}.json"));
        let mut decisions: Vec<CapacityDecision> = read_json(&path)?.unwrap_or_default();
        for row in rows {
            let extra = row.extra_capacity_kwh.unwrap_or(0.0).max(0.0);
            let reference = day_one
                .rows
                .iter()
                .find(|r| r.meter_id == row.meter_id && r.gas_day == day)
                .and_then(|r| r.extra_capacity_kwh)
                .unwrap_or(0.0)
                .max(0.0);
            match decisions.iter_mut().find(|d| d.meter_id == row.meter_id) {
                Some(d) => {
                    d.bought_kwh = d.bought_kwh.max(extra);
                    d.day_one_kwh = d.day_one_kwh.max(reference);
                    d.alerts += 1;
                    d.last_at = taken.at;
                }
                None => decisions.push(CapacityDecision {
                    meter_id: row.meter_id.clone(),
                    site: data.meters.get(&row.meter_id).map(|m| m.site.clone()).unwrap_or_default(),
                    gas_day: day,
                    subscribed_kwh: row.capacity_kwh.unwrap_or_default(),
                    bought_kwh: extra,
                    day_one_kwh: reference,
                    alerts: 1,
                    last_at: taken.at,
                }),
            }
        }
        write_json(&path, &decisions)?;
    }
    Ok(())
}

/// Records day D's nominations of the champion (registry `version`) beside persistence's.
pub fn record_nominations(
    home: &Path,
    data: &Dataset,
    taken: &Nominations,
    version: u32,
    persistence: Option<&Nominations>,
) -> Result<PathBuf> {
    let day = taken.rows.first().map(|r| r.day);
    let mut rows = Vec::new();
    for r in &taken.rows {
        let reference = persistence.and_then(|p| {
            p.rows
                .iter()
                .find(|q| q.meter_id == r.meter_id && q.period_start == r.period_start)
                .map(|q| q.point_kwh)
        });
        rows.push(NominationDecision {
            meter_id: r.meter_id.clone(),
            site: data.meters.get(&r.meter_id).map(|m| m.site.clone()).unwrap_or_default(),
            target: r.target.clone(),
            day: r.day,
            period_start: r.period_start,
            decision_at: r.decision_at,
            model: r.model.clone(),
            version,
            nominated_kwh: r.nomination_kwh,
            persistence_kwh: reference.filter(|v| v.is_finite()),
        });
    }
    let name = format!("{}-{}.json", taken.target.as_str(), day.map(|d| d.to_string()).unwrap_or_default());
    let path = decisions_dir(home, "nominations").join(name);
    write_json(&path, &rows)?;
    Ok(path)
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, "listing")(e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Actual energies known at `at`: a day's total by convention, or one period's reading.
struct Actuals<'a> {
    data: &'a Dataset,
    at: i64,
    delay_s: i64,
    days: HashMap<(String, bool), DailyTotals>,
}

impl Actuals<'_> {
    fn day(&mut self, meter_id: &str, day: NaiveDate, gas: bool) -> Option<f64> {
        let meter = self.data.meters.get(meter_id)?;
        let series = self.data.readings.get(meter_id)?;
        let convention = if gas { DayConvention::GAS } else { DayConvention::CALENDAR };
        let delay = self.delay_s;
        self.days
            .entry((meter_id.to_string(), gas))
            .or_insert_with(|| DailyTotals::of(series, convention, meter.timezone, delay))
            .known_total(day, self.at)
    }

    fn period(&self, meter_id: &str, start: i64) -> Option<f64> {
        let series = self.data.readings.get(meter_id)?;
        let i = series.start.binary_search(&start).ok()?;
        (series.is_usable(i) && series.known_at(i, self.delay_s) <= self.at).then(|| series.energy_kwh[i])
    }
}

/// Prices every recorded decision at `prices` with the readings of `data` known at `now`
/// (`delay_s` for readings without their arrival time), and writes the ledger (see the
/// module's docs). Returns the value to date.
pub fn update(
    home: &Path,
    data: &Dataset,
    prices: &CostParams,
    delay_s: i64,
    now: DateTime<Utc>,
) -> Result<Value> {
    let mut actuals = Actuals { data, at: now.timestamp(), delay_s, days: HashMap::new() };
    let nominations = price_nominations(home, &mut actuals, prices)?;
    let capacity = price_capacity(home, &mut actuals, prices)?;
    let mut months: BTreeMap<(String, String), MonthValue> = BTreeMap::new();
    for n in &nominations {
        let Some(saved) = n.saved_eur else { continue };
        let m = month_of(&mut months, &n.site, n.day);
        if n.target == Target::ElectricityDay.as_str() {
            m.schedules_saved_eur += saved;
            m.schedule_days += 1;
        } else {
            m.nominations_saved_eur += saved;
            m.nomination_days += 1;
        }
    }
    for c in &capacity {
        let Some(saved) = c.saved_eur else { continue };
        let m = month_of(&mut months, &c.decision.site, c.decision.gas_day);
        m.capacity_saved_eur += saved;
        m.capacity_days += 1;
    }
    let mut months: Vec<MonthValue> = months.into_values().collect();
    for m in &mut months {
        m.total_saved_eur = m.capacity_saved_eur + m.nominations_saved_eur + m.schedules_saved_eur;
    }
    let value = Value {
        updated_at: Some(now),
        total_saved_eur: months.iter().map(|m| m.total_saved_eur).sum(),
        months,
        prices: *prices,
    };
    let dir = ledger_dir(home);
    write_json(&dir.join("nominations.json"), &nominations)?;
    write_json(&dir.join("capacity.json"), &capacity)?;
    write_json(&dir.join("value.json"), &value)?;
    Ok(value)
}

fn month_of<'a>(
    months: &'a mut BTreeMap<(String, String), MonthValue>,
    site: &str,
    day: NaiveDate,
) -> &'a mut MonthValue {
    let (site, month) = (site.to_string(), day.format("%Y-%m").to_string());
    months.entry((site.clone(), month.clone())).or_insert_with(|| MonthValue {
        site,
        month,
        ..MonthValue::default()
    })
}

fn price_nominations(
    home: &Path,
    actuals: &mut Actuals<'_>,
    prices: &CostParams,
) -> Result<Vec<PricedNomination>> {
    let mut out = Vec::new();
    for path in json_files(&decisions_dir(home, "nominations"))? {
        let rows: Vec<NominationDecision> = read_json(&path)?.unwrap_or_default();
        let mut by_meter: BTreeMap<&str, Vec<&NominationDecision>> = BTreeMap::new();
        for r in &rows {
            by_meter.entry(r.meter_id.as_str()).or_default().push(r);
        }
        for (meter_id, periods) in by_meter {
            let first = periods[0];
            let electricity = first.target == Target::ElectricityDay.as_str();
            let gas = actuals.data.meters.get(meter_id).is_some_and(|m| m.commodity == Commodity::Gas);
            // Per period: (nominated, actual, persistence) → costs.
            let mut cost = Some(0.0);
            let mut reference_cost = Some(0.0);
            let mut actual_total = Some(0.0);
            let imbalance = |nominated: f64, actual: f64| {
                if electricity || !gas {
                    prices.electricity.imbalance_eur(nominated, actual, None, None)
                } else {
                    prices.gas.imbalance_eur(nominated, actual, None)
                }
            };
            for p in &periods {
                let actual = if electricity {
                    actuals.period(meter_id, p.period_start.timestamp())
                } else {
                    actuals.day(meter_id, p.day, gas)
                };
                actual_total = actual_total.zip(actual).map(|(t, a)| t + a);
                cost = cost.zip(actual).map(|(c, a)| c + imbalance(p.nominated_kwh, a));
                reference_cost =
                    reference_cost.zip(actual.zip(p.persistence_kwh)).map(|(c, (a, r))| c + imbalance(r, a));
            }
            let persistence: Option<f64> = periods.iter().map(|p| p.persistence_kwh).sum();
            out.push(PricedNomination {
                target: first.target.clone(),
                day: first.day,
                meter_id: meter_id.to_string(),
                site: first.site.clone(),
                model: first.model.clone(),
                version: first.version,
                nominated_kwh: periods.iter().map(|p| p.nominated_kwh).sum(),
                actual_kwh: actual_total,
                persistence_kwh: persistence,
                cost_eur: cost,
                persistence_cost_eur: reference_cost,
                saved_eur: reference_cost.zip(cost).map(|(r, c)| r - c),
            });
        }
    }
    out.sort_by(|a, b| (b.day, &a.target, &a.meter_id).cmp(&(a.day, &b.target, &b.meter_id)));
    Ok(out)
}

fn price_capacity(
    home: &Path,
    actuals: &mut Actuals<'_>,
    prices: &CostParams,
) -> Result<Vec<PricedCapacity>> {
    let mut out = Vec::new();
    for path in json_files(&decisions_dir(home, "capacity"))? {
        let rows: Vec<CapacityDecision> = read_json(&path)?.unwrap_or_default();
        for d in rows {
            let actual = actuals.day(&d.meter_id, d.gas_day, true);
            let cost = actual.map(|a| prices.capacity.day_eur(a, d.subscribed_kwh, d.bought_kwh));
            let reference = actual.map(|a| prices.capacity.day_eur(a, d.subscribed_kwh, d.day_one_kwh));
            out.push(PricedCapacity {
                actual_kwh: actual,
                cost_eur: cost,
                day_one_cost_eur: reference,
                saved_eur: reference.zip(cost).map(|(r, c)| r - c),
                decision: d,
            });
        }
    }
    out.sort_by(|a, b| {
        (b.decision.gas_day, &a.decision.meter_id).cmp(&(a.decision.gas_day, &b.decision.meter_id))
    });
    Ok(out)
}
