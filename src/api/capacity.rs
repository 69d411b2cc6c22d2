//! The intraday capacity alert, with the day-one rule or with a rest-of-gas-day model.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use vader_backtest::decisions::DecisionRule;
use vader_backtest::{AlertParams, AlertRow, AlertStatus, capacity_alert};
use vader_features::{Commodity, DEFAULT_TIMEZONE, Dataset, Target, features};
use vader_models::{ModelFile, ProjectionRule, columns};

use crate::error::{Error, Result};
use crate::format::{EnergyUnit, csv_line, csv_number};

/// A rest-of-gas-day model that projects the gas day instead of the rule: consumed so far +
/// the model's forecast of the rest of the day.
#[derive(Debug, Clone)]
pub struct ModelProjection {
    /// The model file (from `vader train --target rest-of-gas-day`).
    pub file: ModelFile,
    /// Where it was read from, for messages.
    pub path: PathBuf,
    /// Buy up to the point projection, or up to its cost-optimal quantile.
    pub decision: DecisionRule,
    /// The quantile level of a cost-optimal purchase: `1 − p_day/π`
    /// (`CapacityPrices::buy_quantile`).
    pub tau: f64,
}

/// What the alert is asked.
#[derive(Debug, Clone)]
pub struct CapacityRequest {
    /// The decision time; `None`: the whole hour at which the last gas reading was known.
    pub at: Option<DateTime<Utc>>,
    /// The projection rule (the day-one rule is `MeanOfLastHours { hours: 5 }`); with a model,
    /// it still judges the meters the model file has no model for.
    pub rule: ProjectionRule,
    /// A rest-of-gas-day model that projects instead of the rule.
    pub model: Option<ModelProjection>,
    /// Delay before a reading without `received_at` is known, seconds.
    pub delay_s: i64,
}

impl CapacityRequest {
    /// The day-one rule (mean of the last 5 hours × hours in the day) at `at`, readings known
    /// two hours after their interval.
    pub fn day_one_rule(at: Option<DateTime<Utc>>) -> Self {
        Self {
            at,
            rule: ProjectionRule::MeanOfLastHours { hours: 5 },
            model: None,
            delay_s: super::time::DEFAULT_DELAY_S,
        }
    }
}

/// The alert: one row per gas meter.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityAlert {
    /// The decision time.
    pub at: DateTime<Utc>,
    /// The time zone the alert is read in (the first gas meter's).
    #[serde(serialize_with = "serialize_tz")]
    pub tz: Tz,
    /// How the projection was made, in words.
    pub how: String,
    /// One row per gas meter of the meters file.
    pub rows: Vec<AlertRow>,
}

fn serialize_tz<S: serde::Serializer>(tz: &Tz, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

/// The CSV columns of the alert (`vader capacity --format csv`, the mail's attachment), in
/// order.
pub const CSV_COLUMNS: [&str; 11] = [
    "meter_id",
    "name",
    "gas_day",
    "hours_elapsed",
    "consumed_kwh",
    "projected_kwh",
    "capacity_kwh",
    "over_capacity",
    "extra_capacity_kwh",
    "hours_used",
    "status",
];

impl CapacityAlert {
    /// The alert as CSV text ([`CSV_COLUMNS`], one line per meter, energies in kWh).
    pub fn to_csv(&self) -> String {
        let mut out = CSV_COLUMNS.join(",");
        out.push('\n');
        for r in &self.rows {
            let cells: [String; 11] = [
                r.meter_id.clone(),
                r.name.clone(),
                r.gas_day.to_string(),
                r.hours_elapsed.to_string(),
                r.consumed_kwh.to_string(),
                csv_number(r.projected_kwh),
                csv_number(r.capacity_kwh),
                r.over_capacity.map(|b| b.to_string()).unwrap_or_default(),
                csv_number(r.extra_capacity_kwh),
                r.hours_used.to_string(),
                r.status.as_str().to_string(),
            ];
            out.push_str(&csv_line(cells));
            out.push('\n');
        }
        out
    }

    /// Meters projected over their capacity.
    pub fn over(&self) -> usize {
        self.rows.iter().filter(|r| r.over_capacity == Some(true)).count()
    }
}

/// The time zone a data folder's alert is read in: its first gas meter's.
pub fn alert_timezone(data: &Dataset) -> Tz {
    data.meters.iter().find(|m| m.commodity == Commodity::Gas).map_or(DEFAULT_TIMEZONE, |m| m.timezone)
}

/// The freshest view of the data: the whole hour at which the last reading of any gas meter
/// was known.
pub fn latest_decision_time(data: &Dataset, delay_s: i64) -> Result<DateTime<Utc>> {
    let latest = data
        .meters
        .iter()
        .filter(|m| m.commodity == Commodity::Gas)
        .filter_map(|m| data.readings.get(&m.meter_id))
        .filter(|s| !s.is_empty())
        .map(|s| s.known_at(s.len() - 1, delay_s))
        .max()
        .ok_or_else(|| {
            Error::Request(format!("{}: no gas meter has readings; give a decision time", data.dir.display()))
        })?;
    let next_hour = (latest + 3599).div_euclid(3600) * 3600;
    DateTime::from_timestamp(next_hour, 0)
        .ok_or_else(|| Error::Request(format!("latest reading at {latest} s is out of range")))
}

/// The capacity alert for every gas meter of `data`.
pub fn capacity(data: &Dataset, request: &CapacityRequest) -> Result<CapacityAlert> {
    let at = match request.at {
        Some(at) => at,
        None => latest_decision_time(data, request.delay_s)?,
    };
    let params = AlertParams { rule: request.rule, delay_s: request.delay_s, ..AlertParams::default() };
    let mut rows = capacity_alert(data, at, &params);
    if rows.is_empty() {
        return Err(Error::Request(format!("{}: no gas meter in the meters file", data.dir.display())));
    }
    let how = match &request.model {
        None => describe(request.rule),
        Some(model) => project_with_model(data, &mut rows, at, model, request.delay_s)?,
    };
    Ok(CapacityAlert { at, tz: alert_timezone(data), how, rows })
}

/// Replaces each row's projection by a rest-of-gas-day model's: consumed so far + the model's
/// forecast of the rest (or its cost-optimal quantile), as of `at`. Returns the description of
/// the projection.
fn project_with_model(
    data: &Dataset,
    rows: &mut [AlertRow],
    at: DateTime<Utc>,
    model: &ModelProjection,
    delay_s: i64,
) -> Result<String> {
    let ModelProjection { file, path, decision, tau } = model;
    let tau = *tau;
    if file.target != Target::RestOfGasDay.as_str() {
        return Err(Error::ModelFile {
            path: path.clone(),
            problem: format!("a {} model; the capacity alert needs a rest-of-gas-day model", file.target),
        });
    }
    let cost_optimal = *decision == DecisionRule::CostOptimal;
    for row in rows.iter_mut() {
        let (Some(meter), Some(predictor)) = (data.meters.get(&row.meter_id), file.model_for(&row.meter_id))
        else {
            continue;
        };
        let table = features(data, &[meter], Target::RestOfGasDay, &[row.gas_day], delay_s)?;
        file.check_columns(&table.matrix)?;
        // The latest whole hour of the gas day at or before `at`.
        let Some(i) = table.keys.iter().rposition(|k| k.decision_at <= at.timestamp()) else { continue };
        let x = table.matrix.rows(&[i]);
        let Some(&rest) = predictor.predict(&x)?.first() else { continue };
        let known = x.column(columns::CONSUMED_KNOWN).and_then(|c| c.first().copied()).unwrap_or(0.0);
        let slot = table.keys[i].slot as usize;
        let decided = if cost_optimal {
            file.quantile(&row.meter_id, slot, rest, tau).ok_or_else(|| Error::ModelFile {
                path: path.clone(),
                problem: format!(
                    "no calibration residuals for {} (train with --calibration-days)",
                    row.meter_id
                ),
            })?
        } else {
            rest
        };
        row.consumed_kwh = known;
        row.projected_kwh = Some(known + rest);
        let buy_up_to = known + decided;
        row.over_capacity = row.capacity_kwh.map(|c| buy_up_to > c);
        row.extra_capacity_kwh = row.capacity_kwh.map(|c| (buy_up_to - c).max(0.0));
        row.status = if row.capacity_kwh.is_some() { AlertStatus::Ok } else { AlertStatus::NoCapacity };
    }
    Ok(if cost_optimal {
        format!("{} model, buy up to its {:.2} % quantile", file.model, 100.0 * tau)
    } else {
        format!("{} model (rest of gas day)", file.model)
    })
}

/// Describes a rule for people.
pub fn describe(rule: ProjectionRule) -> String {
    match rule {
        ProjectionRule::MeanOfLastHours { hours } => format!("mean of last {hours} h × hours in gas day"),
        ProjectionRule::SoFarPlusRate { hours } => format!("so far + mean of last {hours} h × hours left"),
    }
}

/// The unit the alert's energies are shown in ([`EnergyUnit::for_largest`] over every energy).
pub fn display_unit(rows: &[AlertRow]) -> EnergyUnit {
    EnergyUnit::for_values(
        rows.iter().flat_map(|r| [Some(r.consumed_kwh), r.projected_kwh, r.capacity_kwh]).flatten(),
    )
}
