//! A whole backtest: walk-forward, calibrated quantiles, decisions, euros, scores, the A/B of
//! cost-optimal against point decisions, and an optional price sweep.
//!
//! The walk-forward starts [`BacktestSpec::calibration_days`] before the test period so that
//! the first decisions of the period already have past residuals to calibrate on; those
//! earlier forecasts are never scored. Prices enter only after the forecasts: a sweep over
//! prices reprices (and, for cost-optimal decisions, re-decides) without refitting any model.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use vader_features::{Dataset, Meter};
use vader_models::FitBoxed;

use crate::ab::{AbParams, AbTest, Loss, Paired, ab_test};
use crate::cost::CostParams;
use crate::costing::{Pricing, price};
use crate::decisions::{DecisionParams, DecisionRule, decide};
use crate::error::{Error, Result};
use crate::in_place;
use crate::params::{Valid, invalid};
use crate::results::{DecisionGain, MIN_PAIRED_DAYS, Scores};
use crate::walk_forward::{
    Forecast, Progress, RefitChoice, WalkForwardParams, model_ranks, sort_forecasts_in_replay_order,
    sort_in_replay_order, walk_forward_recorded,
};

/// A price of the cost file that a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriceKey {
    /// Capacity overrun penalty π, EUR/MWh.
    Penalty,
    /// Yearly capacity tariff `T_y`.
    YearlyTariff,
    /// Daily capacity multiplier `m_day`.
    DailyMultiplier,
    /// Gas reference price `P`, EUR/MWh.
    GasPrice,
    /// Gas small adjustment, share of `P`.
    SmallAdjustment,
    /// Electricity day-ahead price, EUR/MWh.
    ElectricityPrice,
    /// Electricity imbalance spread `k`.
    K,
}

impl PriceKey {
    const ALL: [(&'static str, Self); 7] = [
        ("penalty", Self::Penalty),
        ("yearly-tariff", Self::YearlyTariff),
        ("daily-multiplier", Self::DailyMultiplier),
        ("gas-price", Self::GasPrice),
        ("small-adjustment", Self::SmallAdjustment),
        ("electricity-price", Self::ElectricityPrice),
        ("k", Self::K),
    ];

    /// The key as written in `--sweep`.
    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(_, k)| *k == self).map_or("?", |(n, _)| n)
    }

    /// `params` with this price set to `value`.
    pub fn set(self, mut params: CostParams, value: f64) -> CostParams {
        match self {
            Self::Penalty => params.capacity.penalty_eur_per_mwh = value,
            Self::YearlyTariff => params.capacity.yearly_tariff_eur_per_mwh_day = value,
            Self::DailyMultiplier => params.capacity.daily_multiplier = value,
            Self::GasPrice => params.gas.price_eur_per_mwh = value,
            Self::SmallAdjustment => params.gas.small_adjustment = value,
            Self::ElectricityPrice => params.electricity.price_eur_per_mwh = value,
            Self::K => params.electricity.k = value,
        }
        params
    }
}

/// Several values of one price: `penalty=100,200,400`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// The price varied.
    pub key: PriceKey,
    /// Its values, in the order given.
    pub values: Vec<f64>,
}

impl FromStr for Sweep {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let names = || PriceKey::ALL.map(|(n, _)| n).join(", ");
        let bad = |problem: String| Error::InvalidParam { name: "sweep", problem };
        let (key, values) = text
            .split_once('=')
            .ok_or_else(|| bad(format!("is KEY=V1,V2,... (keys: {}), not {text:?}", names())))?;
        let key = PriceKey::ALL
            .iter()
            .find(|(n, _)| *n == key.trim())
            .map(|(_, k)| *k)
            .ok_or_else(|| bad(format!("has no key {key:?} (keys: {})", names())))?;
        let values = values
            .split(',')
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| bad(format!("value {v:?} is not a number")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { key, values })
    }
}

/// The setup of a backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestSpec {
    /// The walk-forward over the test period.
    pub walk: WalkForwardParams,
    /// The decision rule of the leaderboard, and the calibration of quantiles.
    pub decision: DecisionParams,
    /// Days replayed before the test period to calibrate the first decisions' quantiles.
    pub calibration_days: u32,
    /// The model every other is compared with.
    pub champion: String,
    /// The A/B comparisons.
    pub ab: AbParams,
    /// Prices to rerun the decisions over.
    pub sweep: Option<Sweep>,
}

impl BacktestSpec {
    /// The defaults of `vader backtest` around `walk`: point decisions with 56 residuals of
    /// calibration after a 56-day burn-in, A/B tests at 5 % against `champion`, no sweep.
    pub fn new(walk: WalkForwardParams, champion: &str) -> Self {
        Self {
            walk,
            decision: DecisionParams::default(),
            calibration_days: 56,
            champion: champion.to_string(),
            ab: AbParams::default(),
            sweep: None,
        }
    }
}

impl BacktestSpec {
    /// Checks every part: the walk-forward, the decision, the A/B parameters, the calibration
    /// burn-in (at most ten years) and that a champion is named.
    pub fn check(self) -> Result<Valid<Self>> {
        self.walk.clone().check()?;
        self.decision.check()?;
        self.ab.check()?;
        if self.calibration_days > 3650 {
            return invalid(
                "calibration_days",
                format!("must be at most 3650, got {}", self.calibration_days),
            );
        }
        if self.champion.trim().is_empty() {
            return invalid("champion", "must name one of the models");
        }
        Ok(Valid::checked(self))
    }
}

/// One model's euros at one value of a swept price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// The price's value.
    pub value: f64,
    /// The model.
    pub model: String,
    /// Total euros of its point decisions.
    pub point_eur: f64,
    /// Total euros of its cost-optimal decisions.
    pub cost_optimal_eur: f64,
}

/// What a backtest produces.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestRun {
    /// Forecast rows of the test period, decided by the chosen rule and priced.
    pub forecasts: Vec<Forecast>,
    /// Leaderboard, per-meter scores and comparisons with the champion.
    pub scores: Scores,
    /// For each model, its cost-optimal decisions against its point decisions, in euros.
    pub decision_gains: Vec<AbTest>,
    /// Euros per model over the swept prices (empty without a sweep).
    pub sweep: Vec<SweepPoint>,
    /// What the tuned models chose at each refit of the test period.
    pub choices: Vec<RefitChoice>,
}

/// Runs a backtest of `models` (built-in [`vader_models::ModelSpec`]s or your own
/// [`FitBoxed`] models) on `meters`: [`replay`], then [`finish`].
pub fn run<M: FitBoxed>(
    data: &Dataset,
    meters: &[&Meter],
    models: &[M],
    spec: &Valid<BacktestSpec>,
    pricing: &Pricing,
    progress: &dyn Progress,
) -> Result<BacktestRun> {
    let replayed = replay(data, meters, models, spec, progress)?;
    let names: Vec<String> = models.iter().map(FitBoxed::name).collect();
    let data_days = data.target_days(meters, spec.walk.target);
    finish(meters, &names, spec, pricing, replayed, data_days)
}

/// The walk-forward of a backtest, before decisions and prices: the forecasts of some meters
/// (from the calibration burn-in on) and what the tuned models chose.
///
/// Each meter's forecasts depend on that meter alone (one model per meter), so the meters of
/// a backtest can be replayed in parts, on other threads, processes or machines, and
/// [`Replay::merge`]d into exactly what one replay of them all gives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Replay {
    /// The meters replayed, sorted (a meter may have no forecast row: no readings, say).
    pub meters: Vec<String>,
    /// Forecast rows, in meter, interval, model order.
    pub forecasts: Vec<Forecast>,
    /// Refit choices of the test period, in meter, model, day order.
    pub choices: Vec<RefitChoice>,
}

impl Replay {
    /// One replay of the union of `parts`' meters (which must not share a meter), in the
    /// order a single replay would give, whatever the order of the parts.
    pub fn merge(parts: impl IntoIterator<Item = Replay>) -> Self {
        let mut merged = Self::default();
        for part in parts {
            merged.meters.extend(part.meters);
            merged.forecasts.extend(part.forecasts);
            merged.choices.extend(part.choices);
        }
        merged.meters.sort();
        // The walk-forward's own order; each meter's rows come from one part, in its order.
        sort_in_replay_order(&mut merged.forecasts, &mut merged.choices, &[]);
        merged
    }
}

/// Replays the walk-forward of `spec` for `meters` and `models`, from the calibration
/// burn-in before the test period on.
///
/// A global model pools every meter, so its replay cannot be split: replay all meters at once.
pub fn replay<M: FitBoxed>(
    data: &Dataset,
    meters: &[&Meter],
    models: &[M],
    spec: &Valid<BacktestSpec>,
    progress: &dyn Progress,
) -> Result<Replay> {
    let test_from = spec.walk.test_from;
    // Checked with the spec; an earlier start keeps the walk-forward valid.
    let walk = Valid::checked(WalkForwardParams {
        test_from: test_from - chrono::Days::new(u64::from(spec.calibration_days)),
        ..spec.walk.clone()
    });
    let (forecasts, mut choices) = walk_forward_recorded(data, meters, models, &walk, progress)?;
    choices.retain(|c| c.day >= test_from);
    let mut replayed: Vec<String> = meters.iter().map(|m| m.meter_id.clone()).collect();
    replayed.sort();
    Ok(Replay { meters: replayed, forecasts, choices })
}

/// Decides, prices, scores and A/B-tests a [`Replay`] of `meters` with the models named
/// `models`: the rest of [`run`]. It needs no readings (the forecast rows carry their
/// actuals), so a caller can free them first; `data_days`, the first and last target days
/// the data holds for `meters` ([`Dataset::target_days`]), only explains the error when the
/// test period has nothing to score.
pub fn finish(
    meters: &[&Meter],
    models: &[String],
    spec: &Valid<BacktestSpec>,
    pricing: &Pricing,
    replayed: Replay,
    data_days: Option<(NaiveDate, NaiveDate)>,
) -> Result<BacktestRun> {
    let test_from = spec.walk.test_from;
    let target = spec.walk.target;
    let ab = Valid::checked(spec.ab);
    let Replay { forecasts, choices, .. } = replayed;
    let decided = |mut rows: Vec<Forecast>, rule: DecisionRule, pricing: &Pricing| -> Result<Vec<Forecast>> {
        decide(
            &mut rows,
            target,
            meters,
            pricing,
            &Valid::checked(DecisionParams { rule, ..spec.decision }),
            test_from,
        )?;
        rows.retain(|f| f.day >= test_from);
        price(&mut rows, target, meters, pricing)?;
        Ok(rows)
    };
    let total = |rows: &[Forecast]| -> f64 {
        rows.iter().filter(|f| f.cost_eur.is_finite()).map(|f| f.cost_eur).sum()
    };
    // Model by model (a model's decisions depend on its own forecasts only): a fleet's memory
    // holds the forecasts once, and one model's decisions both ways, not every model's.
    let by_model = split_by_model(forecasts, models);
    let mut chosen = Vec::new();
    let mut decision_gains = Vec::new();
    let mut sweep: Vec<(usize, usize, SweepPoint)> = Vec::new();
    for (m, (model, rows)) in models.iter().zip(by_model).enumerate() {
        if let Some(s) = &spec.sweep {
            for (v, &value) in s.values.iter().enumerate() {
                let swept = Pricing {
                    params: s.key.set(pricing.params, value).check()?.into_inner(),
                    ..pricing.clone()
                };
                let point_eur = total(&decided(rows.clone(), DecisionRule::Point, &swept)?);
                let cost_optimal_eur = total(&decided(rows.clone(), DecisionRule::CostOptimal, &swept)?);
                sweep.push((v, m, SweepPoint { value, model: model.clone(), point_eur, cost_optimal_eur }));
            }
        }
        let point = decided(rows.clone(), DecisionRule::Point, pricing)?;
        let optimal = decided(rows, DecisionRule::CostOptimal, pricing)?;
        let paired = Paired::of(point.iter(), optimal.iter(), Loss::Euros);
        if paired.days.len() >= MIN_PAIRED_DAYS {
            let (a, b) = (format!("{model}{}", DecisionGain::POINT), format!("{model} (cost-optimal)"));
            decision_gains.push(ab_test(&a, &b, &paired, Loss::Euros, &ab)?);
        }
        chosen.extend(match spec.decision.rule {
            DecisionRule::Point => point,
            DecisionRule::CostOptimal => optimal,
        });
    }
    // Back in the walk-forward's order.
    sort_forecasts_in_replay_order(&mut chosen, models);
    // The sweep by value, then model.
    sweep.sort_by_key(|&(v, m, _)| (v, m));
    let sweep: Vec<SweepPoint> = sweep.into_iter().map(|(_, _, p)| p).collect();
    if !chosen.iter().any(|f| f.actual_kwh.is_finite()) {
        let span = data_days.map_or_else(
            || "none: the meters have no readings".to_string(),
            |(first, last)| format!("target days {first} to {last}"),
        );
        return Err(Error::NothingToScore { from: test_from, to: spec.walk.test_to, span });
    }
    let scores = Scores::of(&chosen, &spec.champion, &ab)?;
    Ok(BacktestRun { forecasts: chosen, scores, decision_gains, sweep, choices })
}

/// The rows of each of `models`, in their order (rows of other models are dropped), moved out
/// of `rows` without a second copy of them all: sorted by model in place, then cut from the end,
/// the rest of the buffer given back after each cut.
fn split_by_model(mut rows: Vec<Forecast>, models: &[String]) -> Vec<Vec<Forecast>> {
    let mut ranks = model_ranks(&rows, models);
    let order = in_place::stable_order(rows.len(), |a, b| ranks[a].cmp(&ranks[b]));
    in_place::apply(&mut rows, &order);
    drop(order);
    ranks.sort_unstable();
    let mut parts: Vec<Vec<Forecast>> = Vec::with_capacity(models.len());
    for m in (0..models.len()).rev() {
        let from = ranks.partition_point(|&r| r < m);
        let mut part = rows.split_off(from);
        rows.shrink_to_fit();
        part.truncate(ranks.partition_point(|&r| r <= m) - from);
        ranks.truncate(from);
        parts.push(part);
    }
    parts.reverse();
    parts
}
