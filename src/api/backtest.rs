//! A whole backtest as the product runs it: the default models and champion, the test period
//! from the data, the walk-forward with calibration, euros, A/B verdicts, and the run folder.

use std::path::Path;

use chrono::NaiveDate;
use vader_backtest::ab::AbParams;
use vader_backtest::costing::Pricing;
use vader_backtest::decisions::{DecisionParams, DecisionRule};
use vader_backtest::results::{ReferenceSetup, write_forecasts};
use vader_backtest::run::{BacktestRun, BacktestSpec, Replay, Sweep, finish, replay};
use vader_backtest::{Progress, Scope, Valid, WalkForwardParams, Window};
use vader_features::{Dataset, Meter, Target};
use vader_models::ModelSpec;

use super::prices::PriceSources;
use crate::error::{Error, Result};
use crate::report::{Report, RunInfo};

/// How a backtest is run; [`BacktestRequest::new`] gives the command line's defaults.
#[derive(Debug, Clone)]
pub struct BacktestRequest {
    /// The forecast target.
    pub target: Target,
    /// The models; empty: [`default_models`] of the target.
    pub models: Vec<ModelSpec>,
    /// The model in use, which every other is compared with; `None`: [`default_champion`].
    pub champion: Option<ModelSpec>,
    /// Only these meters; empty: every meter the target applies to.
    pub meters: Vec<String>,
    /// First target day of the test period; `None`: 364 days before `test_to`.
    pub test_from: Option<NaiveDate>,
    /// Last target day of the test period; `None`: the last target day of the data.
    pub test_to: Option<NaiveDate>,
    /// Days between refits.
    pub refit_days: u32,
    /// Train each refit on the last N target days only; `None`: every day known then.
    pub window_days: Option<u32>,
    /// One model per meter, or one global model.
    pub scope: Scope,
    /// The decision rule of the leaderboard (both are always compared).
    pub decision: DecisionRule,
    /// Days replayed before the test period to calibrate the first decisions' quantiles.
    pub calibration_days: u32,
    /// Prices to rerun the decisions over, without refitting.
    pub sweep: Option<Sweep>,
    /// Where prices come from.
    pub prices: PriceSources,
    /// Local hours at which the capacity decision is taken; empty: every whole hour.
    pub capacity_hours: Vec<u32>,
    /// The A/B comparisons.
    pub ab: AbParams,
    /// Delay before a reading without `received_at` is known, seconds.
    pub delay_s: i64,
}

impl BacktestRequest {
    /// The defaults of `vader backtest` for `target`: the default models, the last year of the
    /// data, weekly refits on an expanding window, one model per meter, point decisions after a
    /// 56-day calibration burn-in, A/B tests at 5 %, the SPEC's prices, readings known two
    /// hours after their interval.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            models: Vec::new(),
            champion: None,
            meters: Vec::new(),
            test_from: None,
            test_to: None,
            refit_days: 7,
            window_days: None,
            scope: Scope::PerMeter,
            decision: DecisionRule::Point,
            calibration_days: 56,
            sweep: None,
            prices: PriceSources::default(),
            capacity_hours: Vec::new(),
            ab: AbParams::default(),
            delay_s: super::time::DEFAULT_DELAY_S,
        }
    }
}

/// The models a backtest of `target` compares by default: the baselines, OLS, ridge and the
/// GBM; for `rest-of-gas-day` the day-one rule, persistence, OLS and ridge.
pub fn default_models(target: Target) -> Vec<ModelSpec> {
    let names: &[&str] = match target {
        Target::RestOfGasDay => &["intraday-5h", "persistence", "ols", "ridge"],
        _ => &["persistence", "seasonal-naive", "mean-7d", "ols", "ridge", "gbm"],
    };
    names.iter().filter_map(|n| ModelSpec::named(n).ok()).collect()
}

/// The champion when none is named: the day-one rule `intraday-5h` on `rest-of-gas-day`,
/// else `persistence`, when among `models`; else the first model.
pub fn default_champion(target: Target, models: &[ModelSpec]) -> Option<String> {
    let preferred: &[&str] =
        if target == Target::RestOfGasDay { &["intraday-5h", "persistence"] } else { &["persistence"] };
    preferred
        .iter()
        .find(|n| models.iter().any(|m| m.name() == **n))
        .map(|n| n.to_string())
        .or_else(|| models.first().map(ModelSpec::name))
}

/// A finished backtest: how it was run and what it found.
#[derive(Debug, Clone)]
pub struct Backtest {
    /// How it was run.
    pub info: RunInfo,
    /// Forecasts, scores, A/B verdicts, the decisions' gains and the sweep.
    pub run: BacktestRun,
}

/// Runs the backtest of `request` on `data`, reporting progress to `progress`: [`plan`],
/// replay every meter, finish.
pub fn backtest(data: &Dataset, request: &BacktestRequest, progress: &dyn Progress) -> Result<Backtest> {
    let plan = plan(data, request)?;
    let replayed = plan.replay(data, &plan.meter_ids(), progress)?;
    plan.finish(replayed)
}

/// A backtest resolved against its data, before any model is fitted: the models, the
/// champion, the meters, the test period, the prices. Its meters can be replayed in shards
/// ([`Plan::replay`], on other processes or machines, each with the same data and request)
/// and the shards merged and finished ([`Plan::finish`]) into the very run [`backtest`] gives.
/// The plan holds what it needs of the data (the meters' descriptions, the span of their
/// target days), so the readings can be freed between the replay and the finish.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How the run is set up, for the report.
    pub info: RunInfo,
    meters: Vec<Meter>,
    data_days: (NaiveDate, NaiveDate),
    models: Vec<ModelSpec>,
    spec: Valid<BacktestSpec>,
    pricing: Pricing,
}

/// Resolves `request` against `data` (see [`Plan`]): every check that can fail before a fit.
pub fn plan(data: &Dataset, request: &BacktestRequest) -> Result<Plan> {
    let mut pricing = request.prices.read()?;
    pricing.capacity_hours = (!request.capacity_hours.is_empty()).then(|| request.capacity_hours.clone());
    let target = request.target;
    let mut models = if request.models.is_empty() { default_models(target) } else { request.models.clone() };
    if let Some(c) = &request.champion
        && !models.contains(c)
    {
        models.insert(0, c.clone());
    }
    let champion = match &request.champion {
        Some(c) => c.name(),
        None => {
            default_champion(target, &models).ok_or_else(|| Error::Request("no model to backtest".into()))?
        }
    };
    let meters = data.meters_for(target, &request.meters)?;
    let (first, last) = data.target_days(&meters, target).ok_or_else(|| {
        Error::Request(format!("{}: the meters for {target} have no readings", data.dir.display()))
    })?;
    let test_to = request.test_to.unwrap_or(last);
    let test_from = request.test_from.unwrap_or_else(|| test_to - chrono::Days::new(364));
    if test_from > last || test_to < first {
        return Err(Error::Request(format!(
            "the test period {test_from} to {test_to} is outside the data ({}: {target} days {first} to {last}); \
             choose a test period inside it",
            data.dir.display()
        )));
    }
    let walk = WalkForwardParams {
        target,
        test_from,
        test_to,
        refit_days: request.refit_days,
        window: request.window_days.map_or(Window::Expanding, |days| Window::Sliding { days }),
        delay_s: request.delay_s,
        scope: request.scope,
    };
    let spec = BacktestSpec {
        walk,
        decision: DecisionParams { rule: request.decision, ..DecisionParams::default() },
        calibration_days: request.calibration_days,
        champion,
        ab: request.ab,
        sweep: request.sweep.clone(),
    }
    .check()?;
    let series_label = |s: &Option<vader_features::PriceSeries>| {
        s.as_ref().map(|s| format!("{} ({})", s.path().display(), s.coverage()))
    };
    let info = RunInfo {
        vader_version: env!("CARGO_PKG_VERSION").to_string(),
        data: data.dir.display().to_string(),
        target: target.to_string(),
        scope: match request.scope {
            Scope::PerMeter => "per-meter",
            Scope::Global => "global",
        }
        .to_string(),
        test_from,
        test_to,
        refit_days: request.refit_days,
        window_days: request.window_days,
        decision: spec.decision,
        calibration_days: request.calibration_days,
        data_delay_s: request.delay_s,
        meters: meters.iter().map(|m| m.meter_id.clone()).collect(),
        cost: pricing.params,
        cost_file: request.prices.cost.as_ref().map(|p| p.display().to_string()),
        gas_prices: series_label(&pricing.gas),
        electricity_prices: series_label(&pricing.electricity),
        ab: request.ab,
        sweep: request.sweep.clone(),
    };
    let meters = meters.into_iter().cloned().collect();
    Ok(Plan { info, meters, data_days: (first, last), models, spec, pricing })
}

impl Plan {
    /// The meters of the run, in the order of the meters file: what shards split.
    pub fn meter_ids(&self) -> Vec<String> {
        self.meters.iter().map(|m| m.meter_id.clone()).collect()
    }

    /// Replays the walk-forward for the meters `ids` of the plan (a shard; all of them for a
    /// whole run). A global model pools every meter, so its plan replays all at once only.
    pub fn replay(&self, data: &Dataset, ids: &[String], progress: &dyn Progress) -> Result<Replay> {
        let meters = ids
            .iter()
            .map(|id| {
                self.meters.iter().find(|m| &m.meter_id == id).ok_or_else(|| {
                    Error::Request(format!("meter {id} is not among the meters of this backtest"))
                })
            })
            .collect::<Result<Vec<&Meter>>>()?;
        if self.spec.walk.scope == Scope::Global && meters.len() != self.meters.len() {
            return Err(Error::Request(
                "a global model pools every meter: its backtest cannot be split into shards".into(),
            ));
        }
        Ok(replay(data, &meters, &self.models, &self.spec, progress)?)
    }

    /// Decides, prices, scores and A/B-tests the merged replays of every meter of the plan. It
    /// needs no readings: a fleet's can be dropped before it.
    pub fn finish(self, replayed: Replay) -> Result<Backtest> {
        let names: Vec<String> = self.models.iter().map(ModelSpec::name).collect();
        let mut expected = self.meter_ids();
        expected.sort();
        if replayed.meters != expected {
            let missing: Vec<&String> =
                expected.iter().filter(|m| replayed.meters.binary_search(m).is_err()).collect();
            let twice: Vec<&String> =
                replayed.meters.windows(2).filter(|w| w[0] == w[1]).map(|w| &w[0]).collect();
            let foreign: Vec<&String> =
                replayed.meters.iter().filter(|m| expected.binary_search(m).is_err()).collect();
            let few = |ids: &[&String]| {
                let shown: Vec<&str> = ids.iter().take(5).map(|s| s.as_str()).collect();
                let more = ids.len().saturating_sub(5);
                if more > 0 { format!("{} and {more} more", shown.join(", ")) } else { shown.join(", ") }
            };
            let mut problems = Vec::new();
            if !missing.is_empty() {
                problems.push(format!("not replayed: {}", few(&missing)));
            }
            if !twice.is_empty() {
                problems.push(format!("replayed twice: {}", few(&twice)));
            }
            if !foreign.is_empty() {
                problems.push(format!("not in the plan: {}", few(&foreign)));
            }
            return Err(Error::Request(format!(
                "the replays do not cover each meter of the backtest once ({})",
                problems.join("; ")
            )));
        }
        let meters: Vec<&Meter> = self.meters.iter().collect();
        let run = finish(&meters, &names, &self.spec, &self.pricing, replayed, Some(self.data_days))?;
        Ok(Backtest { info: self.info, run })
    }
}

impl Backtest {
    /// The setup a regression reference is measured on.
    pub fn reference_setup(&self) -> ReferenceSetup {
        let info = &self.info;
        ReferenceSetup {
            data: info.data.clone(),
            target: info.target.clone(),
            test_from: info.test_from,
            test_to: info.test_to,
            refit_days: info.refit_days,
            scope: info.scope.clone(),
            decision: info.decision.rule.as_str().to_string(),
            cost_file: info.cost_file.clone(),
        }
    }

    /// The report of the run.
    pub fn report(&self) -> Report<'_> {
        Report { info: &self.info, run: &self.run }
    }

    /// Writes every output of the run (`forecasts.parquet`, `summary.json`, `report.md`,
    /// `report.html`, the plots) into a fresh folder next to `out`, then swaps it into place,
    /// so a failed write leaves the previous results as they were.
    pub fn write(&self, out: &Path) -> Result<()> {
        let name = out
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::Request(format!("{}: the output needs a folder name", out.display())))?;
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(Error::io(parent, "creating the folder"))?;
        let fresh = parent.join(format!(".{name}.new-{}", std::process::id()));
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&fresh);
        std::fs::create_dir_all(&fresh).map_err(Error::io(&fresh, "creating the folder"))?;
        let written =
            write_forecasts(&fresh.join("forecasts.parquet"), &self.info.target, &self.run.forecasts)
                .map_err(Error::from)
                .and_then(|()| self.report().write(&fresh));
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&fresh);
            return Err(e);
        }
        if out.exists() {
            std::fs::rename(out, &old).map_err(Error::io(out, "moving the previous results aside"))?;
        }
        if let Err(e) = std::fs::rename(&fresh, out) {
            let _ = std::fs::rename(&old, out);
            return Err(Error::io(out, "writing")(e));
        }
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }
}
