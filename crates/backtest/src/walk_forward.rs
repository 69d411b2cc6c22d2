//! Walk-forward evaluation: replay daily decisions over a test period, refitting models on
//! what was known at each refit.
//!
//! For each meter, every target day of the test period gets a forecast made at its decision
//! time from as-of features. Models are refitted every `refit_days` days on the rows whose
//! actual was known at the decision time of the refit day (on an expanding or a sliding
//! window), so no forecast is made by a model that saw its own target, or any later one.

use std::sync::{Mutex, PoisonError};

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;
use vader_features::{Dataset, Meter, Target, days_between, features, pool};
use vader_models::FitBoxed;

use crate::error::{Error, Result};
use crate::in_place;
use crate::params::{Valid, invalid};

/// How a walk-forward run is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkForwardParams {
    /// The forecast target.
    pub target: Target,
    /// First target day of the test period.
    pub test_from: NaiveDate,
    /// Last target day of the test period.
    pub test_to: NaiveDate,
    /// Days between refits.
    pub refit_days: u32,
    /// Which past rows each refit trains on.
    pub window: Window,
    /// Delay before a reading is known, for readings without `received_at`, seconds.
    pub delay_s: i64,
    /// One model per meter, or one global model over all meters.
    pub scope: Scope,
}

impl WalkForwardParams {
    /// The defaults of `vader backtest` for `target` over target days `test_from..=test_to`:
    /// weekly refits on an expanding window, readings known 2 hours after their interval ends,
    /// one model per meter.
    pub fn new(target: Target, test_from: NaiveDate, test_to: NaiveDate) -> Self {
        Self {
            target,
            test_from,
            test_to,
            refit_days: 7,
            window: Window::Expanding,
            delay_s: 2 * 3600,
            scope: Scope::PerMeter,
        }
    }
}

impl WalkForwardParams {
    /// Checks that refits are at least a day apart, a sliding window at least a day long and
    /// the test period not empty.
    pub fn check(self) -> Result<Valid<Self>> {
        if self.refit_days == 0 {
            return invalid("refit_days", "must be at least 1");
        }
        if self.window == (Window::Sliding { days: 0 }) {
            return invalid("window", "a sliding window needs at least 1 day");
        }
        if self.test_to < self.test_from {
            return invalid("test_to", format!("{} is before test_from {}", self.test_to, self.test_from));
        }
        Ok(Valid::checked(self))
    }
}

/// Which past rows a refit trains on (always only rows whose actual was known by then).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    /// Every earlier row (the default: years of history help the seasonal and heating terms).
    #[default]
    Expanding,
    /// Rows of the last `days` target days before the refit's first target day: adapts faster
    /// to a plant that changed, forgets more.
    Sliding {
        /// Length of the window, days.
        days: u32,
    },
}

/// Which rows a model is fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// One model per meter (the default: meters differ by an order of magnitude in level and in
    /// heating sensitivity, and each has years of days of its own).
    #[default]
    PerMeter,
    /// One model over all meters, with the meter as a feature (one indicator column each).
    Global,
}

/// One forecast and what happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// The meter.
    pub meter_id: String,
    /// The model.
    pub model: String,
    /// The target day.
    pub day: NaiveDate,
    /// The slot of the day, on the local clock ([`vader_features::RowKey::slot`]): quantiles
    /// are calibrated per meter, model and slot.
    pub slot: u32,
    /// Start of the target interval (the day or one settlement period), Unix seconds.
    pub start: i64,
    /// The decision instant, Unix seconds.
    pub decision_at: i64,
    /// The forecast, kWh.
    pub forecast_kwh: f64,
    /// The actual, kWh (NaN when the day is incomplete in the data).
    pub actual_kwh: f64,
    /// When the actual became known, Unix seconds (`i64::MAX` if never): from then on its
    /// residual may calibrate later decisions.
    pub actual_known_at: i64,
    /// What was decided (nominated, scheduled, or for `rest-of-gas-day` the projection of the
    /// rest of the day that capacity is bought against), kWh: the forecast itself for a point
    /// decision, a quantile of it for a cost-optimal one ([`crate::decisions`]).
    pub decision_kwh: f64,
    /// Quantile level of the decision (NaN for a point decision).
    pub tau: f64,
    /// Calibrated 10 % quantile, kWh (NaN until [`crate::decisions::decide`], or with too few
    /// past residuals).
    pub q10_kwh: f64,
    /// Calibrated median, kWh.
    pub q50_kwh: f64,
    /// Calibrated 90 % quantile, kWh.
    pub q90_kwh: f64,
    /// Energy of the target day already known at the decision time, kWh: zero for day-ahead
    /// targets, the gas day's consumption so far for `rest-of-gas-day` (the day's projected
    /// total is `known_kwh + forecast_kwh`, its actual total `known_kwh + actual_kwh`).
    pub known_kwh: f64,
    /// Extra daily capacity bought at this decision, kWh (capacity replay only; else zero).
    pub extra_capacity_kwh: f64,
    /// What this decision cost, EUR: NaN until priced by [`crate::costing::price`], and where
    /// the actual is unknown.
    pub cost_eur: f64,
}

/// What a model's fit chose at one refit (a tuned model's parameters, say).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RefitChoice {
    /// The meter (`*` for a pooled model).
    pub meter_id: String,
    /// The model.
    pub model: String,
    /// The first target day the refit forecasts.
    pub day: NaiveDate,
    /// What the fit chose, in words ([`vader_models::Predict::choice`]).
    pub choice: String,
}

/// Watches a long run: told how many steps there are, then of each one done (from any thread).
///
/// The command line draws a progress bar with it; `()` watches nothing.
pub trait Progress: Sync {
    /// A stage of `total` steps begins (`what`: "features", "models"; a run of one model per
    /// meter builds each meter's features with its models, in the "models" stage).
    fn stage(&self, _what: &str, _total: u64) {}
    /// One step is done.
    fn step(&self) {}
}

impl Progress for () {}

/// Runs the walk-forward for every meter in `meters` and every model in `models`: built-in
/// [`ModelSpec`](vader_models::ModelSpec)s, or any model of yours that implements [`FitBoxed`] (boxed to mix them).
pub fn walk_forward<M: FitBoxed>(
    data: &Dataset,
    meters: &[&Meter],
    models: &[M],
    params: &Valid<WalkForwardParams>,
) -> Result<Vec<Forecast>> {
    walk_forward_with(data, meters, models, params, &())
}

/// [`walk_forward`], reporting progress to `progress`: one step per meter's feature table,
/// then one per (meter or pool, model) replay.
pub fn walk_forward_with<M: FitBoxed>(
    data: &Dataset,
    meters: &[&Meter],
    models: &[M],
    params: &Valid<WalkForwardParams>,
    progress: &dyn Progress,
) -> Result<Vec<Forecast>> {
    walk_forward_recorded(data, meters, models, params, progress).map(|(forecasts, _)| forecasts)
}

/// [`walk_forward_with`], also returning what each fit chose at each refit (for the models
/// that report a choice), in meter, model, day order.
pub fn walk_forward_recorded<M: FitBoxed>(
    data: &Dataset,
    meters: &[&Meter],
    models: &[M],
    params: &Valid<WalkForwardParams>,
    progress: &dyn Progress,
) -> Result<(Vec<Forecast>, Vec<RefitChoice>)> {
    let test_days = days_between(params.test_from, params.test_to);
    let table_of = |meter: &&Meter| -> Result<Option<vader_features::FeatureTable>> {
        let series = data.series(&meter.meter_id)?;
        let Some(&first) = series.start.first() else { return Ok(None) };
        let first_day = params
            .target
            .convention()
            .day_of(chrono::DateTime::from_timestamp(first, 0).unwrap_or_default(), meter.timezone);
        let days = days_between(first_day, params.test_to);
        Ok(Some(features(data, std::slice::from_ref(meter), params.target, &days, params.delay_s)?))
    };
    // Every (unit, model) pair runs in parallel; each computes exactly what it would alone.
    // Its rows join the others' as soon as it ends (a fleet's memory holds them once, not a
    // copy per unit and then the whole), in whatever order the threads finish: the sort below
    // fixes one order, so results do not depend on the thread count.
    let gathered: Mutex<(Vec<Forecast>, Vec<RefitChoice>)> = Mutex::default();
    let keep = |unit: Result<(Vec<Forecast>, Vec<RefitChoice>)>| -> Result<()> {
        let (forecasts, chosen) = unit?;
        let mut all = gathered.lock().unwrap_or_else(PoisonError::into_inner);
        all.0.extend(forecasts);
        all.1.extend(chosen);
        Ok(())
    };
    let replay_kept = |table: &vader_features::FeatureTable, model: &M, pooled: bool| -> Result<()> {
        let out = replay(table, &test_days, model, params, pooled);
        progress.step();
        keep(out)
    };
    match params.scope {
        // Meter by meter: a meter's table lives while its models replay, so a fleet's memory
        // holds the tables in flight, not every meter's.
        Scope::PerMeter => {
            progress.stage("models", (meters.len() * models.len()) as u64);
            meters.par_iter().try_for_each(|meter| {
                let Some(table) = table_of(meter)? else {
                    (0..models.len()).for_each(|_| progress.step());
                    return Ok(());
                };
                models.par_iter().try_for_each(|model| replay_kept(&table, model, false))
            })?;
        }
        Scope::Global => {
            progress.stage("features", meters.len() as u64);
            let tables: Vec<vader_features::FeatureTable> = meters
                .par_iter()
                .map(|meter| {
                    let table = table_of(meter);
                    progress.step();
                    table
                })
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .collect();
            let ids: Vec<String> = meters.iter().map(|m| m.meter_id.clone()).collect();
            let pooled = pool(&tables, &ids)?;
            drop(tables);
            progress.stage("models", models.len() as u64);
            models.par_iter().try_for_each(|model| replay_kept(&pooled, model, true))?;
        }
    }
    let (mut out, mut choices) = gathered.into_inner().unwrap_or_else(PoisonError::into_inner);
    out.shrink_to_fit();
    let names: Vec<String> = models.iter().map(FitBoxed::name).collect();
    sort_in_replay_order(&mut out, &mut choices, &names);
    Ok((out, choices))
}

/// The one order of a walk-forward's rows, whatever the scope, the thread count or the shards
/// they were replayed in: forecasts as [`sort_forecasts_in_replay_order`], refit choices by
/// meter, model and day.
pub(crate) fn sort_in_replay_order(
    forecasts: &mut [Forecast],
    choices: &mut [RefitChoice],
    models: &[String],
) {
    sort_forecasts_in_replay_order(forecasts, models);
    choices.sort_by(|a, b| (&a.meter_id, &a.model, a.day).cmp(&(&b.meter_id, &b.model, b.day)));
}

/// Forecast rows by meter and interval, then by the model's rank in `models` (a stable sort
/// in place, so the rows of one meter and model keep their order; with no `models`, a
/// meter's rows keep the order they come in).
pub(crate) fn sort_forecasts_in_replay_order(forecasts: &mut [Forecast], models: &[String]) {
    let rank = model_ranks(forecasts, models);
    let order = in_place::stable_order(forecasts.len(), |a, b| {
        let (x, y) = (&forecasts[a], &forecasts[b]);
        x.meter_id.cmp(&y.meter_id).then(x.start.cmp(&y.start)).then(rank[a].cmp(&rank[b]))
    });
    drop(rank);
    in_place::apply(forecasts, &order);
}

/// Each row's model's position in `models` (`models.len()` for a model not among them).
pub(crate) fn model_ranks(forecasts: &[Forecast], models: &[String]) -> Vec<usize> {
    forecasts.iter().map(|f| models.iter().position(|m| *m == f.model).unwrap_or(models.len())).collect()
}

/// Replays one model on one unit (a meter's table, or the pooled table) over the test days.
///
/// Each refit sees only the rows known at its own time and nothing of the other refits, so the
/// refits run in parallel (both cores work on a run of one meter and one model) and are put
/// back in day order: the forecasts, and the first error, are those of a replay in order.
fn replay<M: FitBoxed>(
    table: &vader_features::FeatureTable,
    test_days: &[NaiveDate],
    spec: &M,
    params: &WalkForwardParams,
    pooled: bool,
) -> Result<(Vec<Forecast>, Vec<RefitChoice>)> {
    let groups: Vec<&[NaiveDate]> = test_days.chunks(params.refit_days as usize).collect();
    let refits: Vec<Result<Option<Refit>>> =
        groups.par_iter().map(|group| refit(table, group, spec, params, pooled)).collect();
    let (mut out, mut choices) = (Vec::new(), Vec::new());
    for refit in refits {
        if let Some(Refit { forecasts, choice }) = refit? {
            out.extend(forecasts);
            choices.extend(choice);
        }
    }
    Ok((out, choices))
}

/// What one refit forecasts, and what it chose.
struct Refit {
    forecasts: Vec<Forecast>,
    choice: Option<RefitChoice>,
}

/// Fits `spec` on the rows of `table` known at the first decision of `group` (a run of target
/// days) and forecasts the rows of those days; `None` when the days have no rows.
fn refit<M: FitBoxed>(
    table: &vader_features::FeatureTable,
    group: &[NaiveDate],
    spec: &M,
    params: &WalkForwardParams,
    pooled: bool,
) -> Result<Option<Refit>> {
    let known = table.matrix.column(vader_models::columns::CONSUMED_KNOWN);
    let (first, last) = (group[0], group[group.len() - 1]);
    let rows: Vec<usize> =
        (0..table.keys.len()).filter(|&i| (first..=last).contains(&table.keys[i].day)).collect();
    let Some(refit_at) = rows.iter().map(|&i| table.keys[i].decision_at).min() else { return Ok(None) };
    let oldest = match params.window {
        Window::Expanding => NaiveDate::MIN,
        Window::Sliding { days } => first - chrono::Days::new(u64::from(days)),
    };
    let train: Vec<usize> = (0..table.keys.len())
        .filter(|&i| {
            table.actual_known_at[i] <= refit_at && table.actual[i].is_finite() && table.keys[i].day >= oldest
        })
        .collect();
    let unit = || table.keys.first().map_or_else(|| "*".to_string(), |k| k.meter_id.clone());
    let meter_id = if pooled { "*".to_string() } else { unit() };
    if train.is_empty() {
        return Err(Error::NoTrainingRows {
            meter_id,
            model: spec.name(),
            refit_day: first,
            refit_at: vader_features::format_utc(refit_at),
        });
    }
    let x_train = table.matrix.rows(&train);
    let y_train: Vec<f64> = train.iter().map(|&i| table.actual[i]).collect();
    let x_test = table.matrix.rows(&rows);
    let replay_error = |source| Error::Replay { meter_id: meter_id.clone(), model: spec.name(), source };
    let fitted = spec.fit_boxed(&x_train, &y_train).map_err(replay_error)?;
    let predictions = fitted.predict(&x_test).map_err(replay_error)?;
    let choice = fitted.choice().map(|choice| RefitChoice {
        meter_id: meter_id.clone(),
        model: spec.name(),
        day: first,
        choice,
    });
    let forecasts = rows
        .iter()
        .zip(predictions)
        .map(|(&i, p)| {
            let key = &table.keys[i];
            Forecast {
                meter_id: key.meter_id.clone(),
                model: spec.name(),
                day: key.day,
                slot: key.slot,
                start: key.start,
                decision_at: key.decision_at,
                forecast_kwh: p,
                actual_kwh: table.actual[i],
                actual_known_at: table.actual_known_at[i],
                decision_kwh: p,
                tau: f64::NAN,
                q10_kwh: f64::NAN,
                q50_kwh: f64::NAN,
                q90_kwh: f64::NAN,
                known_kwh: known.as_ref().map_or(0.0, |k| k[i]),
                extra_capacity_kwh: 0.0,
                cost_eur: f64::NAN,
            }
        })
        .collect();
    Ok(Some(Refit { forecasts, choice }))
}

/// Error metrics of a set of forecasts (rows with a known actual).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Metrics {
    /// Forecasts scored.
    pub n: usize,
    /// Mean absolute error, kWh.
    pub mae: f64,
    /// Root mean squared error, kWh.
    pub rmse: f64,
    /// Mean absolute percentage error over forecasts whose actual is not zero (a gas meter that
    /// reads zero in summer has no percentage error those days).
    pub mape: f64,
    /// Weighted absolute percentage error: Σ|e| / Σ|actual|.
    pub wape: f64,
    /// Mean error (forecast − actual), kWh: positive when nominating long.
    pub bias: f64,
    /// Forecasts with calibrated quantiles and a known actual.
    pub quantiles_scored: usize,
    /// Share of actuals inside the calibrated 80 % interval `[q10, q90]`.
    pub coverage_80: f64,
    /// Mean width of the 80 % interval, kWh.
    pub width_80: f64,
    /// Mean pinball loss of the 10 %, 50 % and 90 % quantiles, kWh.
    pub pinball: f64,
}

impl Metrics {
    /// Scores `forecasts`, skipping those without an actual.
    pub fn of<'a>(forecasts: impl IntoIterator<Item = &'a Forecast>) -> Self {
        let (mut n, mut abs, mut sq, mut err, mut total) = (0_usize, 0.0, 0.0, 0.0, 0.0);
        let (mut n_pct, mut pct) = (0_usize, 0.0);
        let (mut n_q, mut covered, mut width, mut pinball) = (0_usize, 0_usize, 0.0, 0.0);
        for f in forecasts {
            if f.actual_kwh.is_finite() && [f.q10_kwh, f.q50_kwh, f.q90_kwh].iter().all(|q| q.is_finite()) {
                n_q += 1;
                covered += usize::from(f.q10_kwh <= f.actual_kwh && f.actual_kwh <= f.q90_kwh);
                width += f.q90_kwh - f.q10_kwh;
                pinball += [(0.1, f.q10_kwh), (0.5, f.q50_kwh), (0.9, f.q90_kwh)]
                    .iter()
                    .map(|&(tau, q)| pinball_loss(tau, q, f.actual_kwh))
                    .sum::<f64>()
                    / 3.0;
            }
            if !(f.actual_kwh.is_finite() && f.forecast_kwh.is_finite()) {
                continue;
            }
            let e = f.forecast_kwh - f.actual_kwh;
            n += 1;
            abs += e.abs();
            sq += e * e;
            err += e;
            total += f.actual_kwh.abs();
            if f.actual_kwh != 0.0 {
                n_pct += 1;
                pct += (e / f.actual_kwh).abs();
            }
        }
        let k = n.max(1) as f64;
        Self {
            n,
            mae: abs / k,
            rmse: (sq / k).sqrt(),
            mape: if n_pct > 0 { pct / n_pct as f64 } else { f64::NAN },
            wape: if total > 0.0 { abs / total } else { f64::NAN },
            bias: err / k,
            quantiles_scored: n_q,
            coverage_80: if n_q > 0 { covered as f64 / n_q as f64 } else { f64::NAN },
            width_80: if n_q > 0 { width / n_q as f64 } else { f64::NAN },
            pinball: if n_q > 0 { pinball / n_q as f64 } else { f64::NAN },
        }
    }
}

/// Pinball (quantile) loss of quantile `q` at level `tau` for the outcome `actual`:
/// `τ (a − q)` when under, `(1 − τ)(q − a)` when over.
pub fn pinball_loss(tau: f64, q: f64, actual: f64) -> f64 {
    let e = actual - q;
    if e >= 0.0 { tau * e } else { (tau - 1.0) * e }
}
