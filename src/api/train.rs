//! Training a model file: one fitted model per meter (or one for all meters), with the
//! out-of-sample residuals that calibrate its quantiles.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use vader_backtest::{Scope, WalkForwardParams, Window, walk_forward};
use vader_features::{Dataset, FeatureTable, Meter, Target, days_between, features, pool};
use vader_models::{ModelFile, ModelSpec};

use crate::error::{Error, Result};

/// What to train.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    /// The forecast target.
    pub target: Target,
    /// The model recipe.
    pub model: ModelSpec,
    /// Last target day used for training (its actual must be in the data).
    pub until: NaiveDate,
    /// One model per meter, or one global model with the meter as a feature.
    pub scope: Scope,
    /// Only these meters; empty: every meter the target applies to.
    pub meters: Vec<String>,
    /// Delay before a reading without `received_at` is known, seconds.
    pub delay_s: i64,
    /// Days before `until` replayed walk-forward (weekly refits) to store out-of-sample
    /// residuals in the file, from which cost-optimal decisions take quantiles; 0: none.
    pub calibration_days: u32,
}

impl TrainRequest {
    /// `model` on `target` up to `until`, per meter, with 56 days of calibration and readings
    /// known two hours after their interval (the command line's defaults).
    pub fn new(target: Target, model: ModelSpec, until: NaiveDate) -> Self {
        Self {
            target,
            model,
            until,
            scope: Scope::PerMeter,
            meters: Vec::new(),
            delay_s: super::time::DEFAULT_DELAY_S,
            calibration_days: 56,
        }
    }
}

/// One model of the file: which meter (`*` for all), on how many rows of which days.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedUnit {
    /// The meter, or `*` for a global model.
    pub unit: String,
    /// Training rows (0: skipped, no complete day up to `until`).
    pub rows: usize,
    /// First and last training day.
    pub span: Option<(NaiveDate, NaiveDate)>,
}

/// A trained model file and what went into it.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The file, ready to save.
    pub file: ModelFile,
    /// Each model of the file (and each meter skipped).
    pub units: Vec<TrainedUnit>,
    /// Calibration residuals stored.
    pub residuals: usize,
}

/// Trains `request.model` on `data`.
pub fn train(data: &Dataset, request: &TrainRequest) -> Result<Trained> {
    let meters = data.meters_for(request.target, &request.meters)?;
    let target = request.target;
    let mut tables: Vec<(String, FeatureTable)> = Vec::new();
    for meter in &meters {
        let Some((first, _)) = data.target_days(std::slice::from_ref(meter), target) else { continue };
        let days = days_between(first, request.until);
        tables.push((
            meter.meter_id.clone(),
            features(data, std::slice::from_ref(meter), target, &days, request.delay_s)?,
        ));
    }
    let units: Vec<(String, FeatureTable)> = match request.scope {
        Scope::PerMeter => tables,
        Scope::Global => {
            let ids: Vec<String> = meters.iter().map(|m| m.meter_id.clone()).collect();
            let tables: Vec<FeatureTable> = tables.into_iter().map(|t| t.1).collect();
            vec![("*".to_string(), pool(&tables, &ids)?)]
        }
    };
    let names =
        units.iter().find(|u| !u.1.keys.is_empty()).map(|u| u.1.matrix.names().to_vec()).unwrap_or_default();
    let name = request.model.name();
    let mut file = ModelFile::new(target.as_str(), &name, (String::new(), String::new()), names);
    let mut trained = Vec::new();
    let mut span: Option<(NaiveDate, NaiveDate)> = None;
    for (key, table) in &units {
        let rows: Vec<usize> = (0..table.keys.len()).filter(|&i| table.actual[i].is_finite()).collect();
        let days = rows.iter().map(|&i| table.keys[i].day);
        let (Some(lo), Some(hi)) = (days.clone().min(), days.max()) else {
            trained.push(TrainedUnit { unit: key.clone(), rows: 0, span: None });
            continue;
        };
        let y: Vec<f64> = rows.iter().map(|&i| table.actual[i]).collect();
        let fitted = request.model.fit(&table.matrix.rows(&rows), &y).map_err(|source| {
            Error::Backtest(vader_backtest::Error::Replay {
                meter_id: key.clone(),
                model: name.clone(),
                source,
            })
        })?;
        span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        file.models.insert(key.clone(), fitted);
        trained.push(TrainedUnit { unit: key.clone(), rows: rows.len(), span: Some((lo, hi)) });
    }
    let (lo, hi) = span.ok_or_else(|| {
        Error::Request(format!(
            "no meter had a complete {target} day up to {} to train on (the data's days: {})",
            request.until,
            data.target_days(&meters, target).map_or("none".into(), |(a, b)| format!("{a} to {b}"))
        ))
    })?;
    (file.trained_from, file.trained_until) = (lo.to_string(), hi.to_string());
    if request.calibration_days > 0 {
        file.calibration = calibration(data, &meters, request, lo)?;
    }
    let residuals = file.calibration.values().flatten().map(Vec::len).sum();
    Ok(Trained { file, units: trained, residuals })
}

/// Out-of-sample residuals of the recipe over the `calibration_days` up to `until`, by meter
/// and slot of the day, sorted: a walk-forward with weekly refits, as the backtest does.
fn calibration(
    data: &Dataset,
    meters: &[&Meter],
    request: &TrainRequest,
    first: NaiveDate,
) -> Result<BTreeMap<String, Vec<Vec<f64>>>> {
    let from = (request.until - chrono::Days::new(u64::from(request.calibration_days) - 1)).max(first);
    let params = WalkForwardParams {
        target: request.target,
        test_from: from,
        test_to: request.until,
        refit_days: 7,
        window: Window::Expanding,
        delay_s: request.delay_s,
        scope: request.scope,
    }
    .check()?;
    let forecasts = walk_forward(data, meters, std::slice::from_ref(&request.model), &params)?;
    let mut out: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
    for f in &forecasts {
        let residual = f.actual_kwh - f.forecast_kwh;
        if residual.is_finite() {
            let slots = out.entry(f.meter_id.clone()).or_default();
            let slot = f.slot as usize;
            if slots.len() <= slot {
                slots.resize(slot + 1, Vec::new());
            }
            slots[slot].push(residual);
        }
    }
    for r in out.values_mut().flatten() {
        r.sort_by(f64::total_cmp);
    }
    Ok(out)
}
