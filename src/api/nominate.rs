//! Day-ahead nominations with a saved model: the point forecast, its calibrated interval, and
//! the quantity nominated (the point, or the cost-optimal quantile at the day's prices).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use vader_backtest::costing::Pricing;
use vader_backtest::decisions::DecisionRule;
use vader_features::{Dataset, FeatureTable, Target, features, pool, pooled_meters};
use vader_models::ModelFile;

use crate::error::{Error, Result};
use crate::format::{csv_line, csv_number};

/// What to nominate.
#[derive(Debug, Clone)]
pub struct NominateRequest {
    /// Target day D (the forecast is made as of its decision time on D-1).
    pub day: NaiveDate,
    /// Delay before a reading without `received_at` is known, seconds.
    pub delay_s: i64,
    /// Nominate the point forecast, or the quantile that minimises the expected cost.
    pub decision: DecisionRule,
    /// The prices of a cost-optimal decision.
    pub pricing: Pricing,
}

/// One nomination: a meter and target interval of day D.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nomination {
    /// The meter.
    pub meter_id: String,
    /// Its name.
    pub name: String,
    /// The target (`gas-day`, `electricity-day`, ...).
    pub target: String,
    /// Day D.
    pub day: NaiveDate,
    /// Start of the target interval (the day, or one settlement period).
    #[serde(serialize_with = "rfc3339")]
    pub period_start: DateTime<Utc>,
    /// When the forecast is made.
    #[serde(serialize_with = "rfc3339")]
    pub decision_at: DateTime<Utc>,
    /// The model recipe.
    pub model: String,
    /// The point forecast, kWh.
    pub point_kwh: f64,
    /// The calibrated 10 % quantile, kWh (none without calibration residuals).
    pub q10_kwh: Option<f64>,
    /// The calibrated 90 % quantile, kWh.
    pub q90_kwh: Option<f64>,
    /// The quantile level nominated (cost-optimal decisions only).
    pub tau: Option<f64>,
    /// What is nominated, kWh.
    pub nomination_kwh: f64,
}

/// An instant as RFC 3339 with a `+00:00` offset, as the CSV writes it.
fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

/// The nominations of day D, one per meter and target interval.
#[derive(Debug, Clone)]
pub struct Nominations {
    /// The target.
    pub target: Target,
    /// The model recipe.
    pub model: String,
    /// First and last day the model was trained on.
    pub trained: (String, String),
    /// By meter, then interval.
    pub rows: Vec<Nomination>,
    /// Meters nominated at the point forecast because the file holds no calibration residuals
    /// for them (a cost-optimal request only).
    pub uncalibrated: Vec<String>,
}

/// The CSV columns of the nominations (`vader nominate --format csv`, the service's outbox
/// files), in order: the meter and its name, the target, day D, the start of the target
/// interval and the decision time (RFC 3339), the model recipe, the point forecast, its
/// calibrated 10 % and 90 % quantiles, the quantile level nominated (cost-optimal decisions)
/// and the quantity nominated, all energies in kWh.
pub const NOMINATION_COLUMNS: [&str; 12] = [
    "meter_id",
    "name",
    "target",
    "day",
    "period_start",
    "decision_at",
    "model",
    "point_kwh",
    "q10_kwh",
    "q90_kwh",
    "tau",
    "nomination_kwh",
];

impl Nominations {
    /// The nominations as CSV text ([`NOMINATION_COLUMNS`], one line per meter and interval).
    pub fn to_csv(&self) -> String {
        let at = |t: DateTime<Utc>| t.to_rfc3339();
        let mut out = NOMINATION_COLUMNS.join(",");
        out.push('\n');
        for r in &self.rows {
            let cells: [String; 12] = [
                r.meter_id.clone(),
                r.name.clone(),
                r.target.clone(),
                r.day.to_string(),
                at(r.period_start),
                at(r.decision_at),
                r.model.clone(),
                r.point_kwh.to_string(),
                csv_number(r.q10_kwh),
                csv_number(r.q90_kwh),
                csv_number(r.tau),
                r.nomination_kwh.to_string(),
            ];
            out.push_str(&csv_line(cells));
            out.push('\n');
        }
        out
    }
}

/// Nominates `request.day` for every meter of `file` (read from `path`, named in errors).
pub fn nominate(
    data: &Dataset,
    file: &ModelFile,
    path: &std::path::Path,
    request: &NominateRequest,
) -> Result<Nominations> {
    let target: Target = file
        .target
        .parse()
        .map_err(|problem: String| Error::ModelFile { path: path.to_path_buf(), problem })?;
    // A global model (key `*`) names its meters in its indicator columns.
    let global = file.models.contains_key("*");
    let meter_ids: Vec<String> =
        if global { pooled_meters(&file.feature_names) } else { file.models.keys().cloned().collect() };
    let mut tables: Vec<FeatureTable> = Vec::new();
    for meter_id in &meter_ids {
        let meter = data.meters.get(meter_id).ok_or_else(|| Error::ModelFile {
            path: path.to_path_buf(),
            problem: format!("meter {meter_id} of the model is not in {}", data.dir.display()),
        })?;
        tables.push(features(data, &[meter], target, &[request.day], request.delay_s)?);
    }
    if global {
        tables = vec![pool(&tables, &meter_ids)?];
    }
    let at = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
    let mut rows: Vec<Nomination> = Vec::new();
    let mut uncalibrated = Vec::new();
    for table in &tables {
        file.check_columns(&table.matrix)?;
        for (key, point) in table.keys.iter().zip(predict(file, table, path)?) {
            let meter = data.meters.get(&key.meter_id).ok_or_else(|| Error::ModelFile {
                path: path.to_path_buf(),
                problem: format!("meter {} of the model is not in {}", key.meter_id, data.dir.display()),
            })?;
            // Quantiles from the file's calibration residuals of the row's slot of the day.
            let q = |tau: f64| file.quantile(&key.meter_id, key.slot as usize, point, tau);
            let (mut tau, mut nomination) = (None, point);
            if request.decision == DecisionRule::CostOptimal {
                let level = request.pricing.tau(target, meter, request.day, key.start)?;
                match q(level) {
                    Some(v) => (tau, nomination) = (Some(level), v),
                    None if !uncalibrated.contains(&key.meter_id) => uncalibrated.push(key.meter_id.clone()),
                    None => {}
                }
            }
            rows.push(Nomination {
                meter_id: meter.meter_id.clone(),
                name: meter.name.clone(),
                target: target.to_string(),
                day: request.day,
                period_start: at(key.start),
                decision_at: at(key.decision_at),
                model: file.model.clone(),
                point_kwh: point,
                q10_kwh: q(0.1),
                q90_kwh: q(0.9),
                tau,
                nomination_kwh: nomination,
            });
        }
    }
    rows.sort_by(|a, b| a.meter_id.cmp(&b.meter_id).then(a.period_start.cmp(&b.period_start)));
    uncalibrated.sort();
    Ok(Nominations {
        target,
        model: file.model.clone(),
        trained: (file.trained_from.clone(), file.trained_until.clone()),
        rows,
        uncalibrated,
    })
}

/// The model's point forecasts for the rows of one meter's (or the pooled) table.
fn predict(file: &ModelFile, table: &FeatureTable, path: &std::path::Path) -> Result<Vec<f64>> {
    let Some(meter_id) = table.keys.first().map(|k| k.meter_id.as_str()) else { return Ok(Vec::new()) };
    let model = file.model_for(meter_id).ok_or_else(|| Error::ModelFile {
        path: path.to_path_buf(),
        problem: format!("no model for meter {meter_id}"),
    })?;
    Ok(model.predict(&table.matrix)?)
}
