//! The intraday capacity alert: will each gas meter exceed its subscribed daily capacity today,
//! and how much extra capacity should be bought?
//!
//! The alert is a decision taken at an instant with only the readings known then; the same
//! function serves the live alert (`vader capacity --at`) and, hour by hour, the backtest.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use vader_features::{Commodity, Dataset, IntradaySnapshot, Meter, SnapshotParams};
use vader_models::{IntradayState, ProjectionRule};

/// How the alert is computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertParams {
    /// The projection rule (default: mean of the last 5 complete hours × hours in the day).
    pub rule: ProjectionRule,
    /// Delay after an interval's end before its reading is known, seconds (readings without
    /// `received_at`). Default: 2 hours.
    pub delay_s: i64,
    /// How far back recent complete hours are looked for, seconds. Default: 24 hours.
    pub lookback_s: i64,
}

impl Default for AlertParams {
    fn default() -> Self {
        let snap = SnapshotParams::default();
        Self { rule: ProjectionRule::default(), delay_s: snap.delay_s, lookback_s: snap.lookback_s }
    }
}

/// Why a meter's row has no projection, or that it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Projection computed and compared with the capacity.
    Ok,
    /// Projection computed, but the meter has no subscribed capacity to compare with.
    NoCapacity,
    /// Fewer complete hours known in the look-back window than the rule needs.
    TooFewReadings,
    /// The meter has no readings at all.
    NoReadings,
}

impl AlertStatus {
    /// The status as written in tables and files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NoCapacity => "no_capacity",
            Self::TooFewReadings => "too_few_readings",
            Self::NoReadings => "no_readings",
        }
    }
}

/// One row of the alert: one gas meter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRow {
    /// The meter.
    pub meter_id: String,
    /// Its name.
    pub name: String,
    /// The gas day the alert is about.
    pub gas_day: NaiveDate,
    /// Hours since the gas day started.
    pub hours_elapsed: f64,
    /// Energy known to be consumed so far this gas day, kWh.
    pub consumed_kwh: f64,
    /// Projected total of the gas day, kWh (none when the rule cannot be applied).
    pub projected_kwh: Option<f64>,
    /// Subscribed capacity, kWh/day.
    pub capacity_kwh: Option<f64>,
    /// Whether the projection exceeds the capacity.
    pub over_capacity: Option<bool>,
    /// Extra capacity to buy: `max(projected − capacity, 0)`, kWh.
    pub extra_capacity_kwh: Option<f64>,
    /// Complete hours the projection used (or found, when too few).
    pub hours_used: usize,
    /// Whether the row could be computed.
    pub status: AlertStatus,
}

/// The capacity alert for every gas meter of `dataset` at `at`, in meters-file order.
pub fn capacity_alert(dataset: &Dataset, at: DateTime<Utc>, params: &AlertParams) -> Vec<AlertRow> {
    dataset
        .meters
        .iter()
        .filter(|m| m.commodity == Commodity::Gas)
        .map(|meter| alert_row(dataset, meter, at.timestamp(), params))
        .collect()
}

fn alert_row(dataset: &Dataset, meter: &Meter, at: i64, params: &AlertParams) -> AlertRow {
    let snap_params = SnapshotParams {
        delay_s: params.delay_s,
        recent_hours: params.rule.hours(),
        lookback_s: params.lookback_s,
        ..SnapshotParams::default()
    };
    let series = dataset.readings.get(&meter.meter_id);
    let empty = vader_features::MeterSeries::new(meter.meter_id.clone(), Vec::new(), Vec::new());
    let snap = IntradaySnapshot::take(series.unwrap_or(&empty), meter.timezone, at, snap_params);
    let recent: Vec<f64> = snap.recent_hours.iter().map(|&(_, kwh)| kwh).collect();
    let state = IntradayState {
        hours_in_day: f64::from(snap.hours_in_day),
        consumed_kwh: snap.consumed_kwh,
        hours_covered: snap.hours_covered,
        recent_hours_kwh: &recent,
    };
    let projected = params.rule.project(&state).ok();
    let capacity = meter.capacity_kwh_per_day;
    let status = match (series, projected, capacity) {
        (None, _, _) => AlertStatus::NoReadings,
        (_, None, _) => AlertStatus::TooFewReadings,
        (_, Some(_), None) => AlertStatus::NoCapacity,
        (_, Some(_), Some(_)) => AlertStatus::Ok,
    };
    let judged = projected.zip(capacity);
    AlertRow {
        meter_id: meter.meter_id.clone(),
        name: meter.name.clone(),
        gas_day: snap.day,
        hours_elapsed: snap.hours_elapsed,
        consumed_kwh: snap.consumed_kwh,
        projected_kwh: projected,
        capacity_kwh: capacity,
        over_capacity: judged.map(|(p, c)| p > c),
        extra_capacity_kwh: judged.map(|(p, c)| (p - c).max(0.0)),
        hours_used: recent.len().min(params.rule.hours()),
        status,
    }
}
