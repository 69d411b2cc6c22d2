//! What a backtest produces: the leaderboard, per-meter scores, the A/B comparisons against the
//! champion, and the forecast rows as a Parquet file that `vader compare` and notebooks read back.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::ab::{AbParams, AbTest, Loss, Paired, Verdict, ab_test};
use crate::error::{Error, Result};
use crate::params::Valid;
use crate::walk_forward::{Forecast, Metrics, RefitChoice};

/// Fewest paired days an A/B comparison is run on.
pub const MIN_PAIRED_DAYS: usize = 3;

/// One model's overall score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelScore {
    /// The model.
    pub model: String,
    /// Error metrics over every scored forecast.
    pub metrics: Metrics,
    /// Total cost of its decisions, EUR.
    pub euros: f64,
    /// Days with at least one priced decision.
    pub days: usize,
    /// Mean cost per such day, EUR.
    pub euros_per_day: f64,
}

/// One model's score on one meter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeterScore {
    /// The meter.
    pub meter_id: String,
    /// The model.
    pub model: String,
    /// Error metrics on this meter.
    pub metrics: Metrics,
    /// Total cost on this meter, EUR.
    pub euros: f64,
}

/// A challenger against the champion, in euros and in absolute error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Paired daily euros.
    pub euros: AbTest,
    /// Paired daily mean absolute errors.
    pub error: AbTest,
}

/// Scores and comparisons of a set of priced forecasts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Every model, cheapest first (ties by MAE, then name).
    pub leaderboard: Vec<ModelScore>,
    /// Every (meter, model), by meter then model.
    pub per_meter: Vec<MeterScore>,
    /// The model in use, which every other is compared with.
    pub champion: String,
    /// Each other model against the champion, in leaderboard order (those with at least
    /// [`MIN_PAIRED_DAYS`] paired days).
    pub comparisons: Vec<Comparison>,
}

impl Scores {
    /// The comparison of `model` against the champion, if it was compared.
    pub fn comparison(&self, model: &str) -> Option<&Comparison> {
        self.comparisons.iter().find(|c| c.euros.challenger == model)
    }

    /// `model`'s standing in euros: `champion`, its verdict against the champion, or
    /// `too few days` when it could not be compared.
    pub fn verdict_of(&self, model: &str) -> &'static str {
        match self.comparison(model) {
            Some(c) => c.euros.verdict.as_str(),
            None if model == self.champion => "champion",
            None => "too few days",
        }
    }

    /// Scores `forecasts` (priced) and compares every model with `champion`.
    pub fn of(forecasts: &[Forecast], champion: &str, ab: &Valid<AbParams>) -> Result<Self> {
        let mut by_model: BTreeMap<&str, Vec<&Forecast>> = BTreeMap::new();
        for f in forecasts {
            by_model.entry(f.model.as_str()).or_default().push(f);
        }
        let Some(champion_rows) = by_model.get(champion) else {
            let known: Vec<&str> = by_model.keys().copied().collect();
            return Err(Error::UnknownChampion { champion: champion.to_string(), models: known.join(", ") });
        };
        let mut leaderboard: Vec<ModelScore> = by_model
            .iter()
            .map(|(model, rows)| {
                let mut daily: BTreeMap<chrono::NaiveDate, f64> = BTreeMap::new();
                for f in rows.iter().filter(|f| f.cost_eur.is_finite()) {
                    *daily.entry(f.day).or_default() += f.cost_eur;
                }
                let euros: f64 = daily.values().sum();
                ModelScore {
                    model: model.to_string(),
                    metrics: Metrics::of(rows.iter().copied()),
                    euros,
                    days: daily.len(),
                    euros_per_day: if daily.is_empty() { f64::NAN } else { euros / daily.len() as f64 },
                }
            })
            .collect();
        leaderboard.sort_by(|a, b| {
            a.euros
                .total_cmp(&b.euros)
                .then(a.metrics.mae.total_cmp(&b.metrics.mae))
                .then(a.model.cmp(&b.model))
        });
        let mut per_meter: BTreeMap<(&str, &str), Vec<&Forecast>> = BTreeMap::new();
        for f in forecasts {
            per_meter.entry((f.meter_id.as_str(), f.model.as_str())).or_default().push(f);
        }
        let per_meter = per_meter
            .into_iter()
            .map(|((meter_id, model), rows)| MeterScore {
                meter_id: meter_id.to_string(),
                model: model.to_string(),
                metrics: Metrics::of(rows.iter().copied()),
                euros: rows.iter().map(|f| f.cost_eur).filter(|c| c.is_finite()).sum(),
            })
            .collect();
        let mut comparisons = Vec::new();
        for score in leaderboard.iter().filter(|s| s.model != champion) {
            let rows = &by_model[score.model.as_str()];
            let paired = |loss| Paired::of(champion_rows.iter().copied(), rows.iter().copied(), loss);
            let (euros, error) = (paired(Loss::Euros), paired(Loss::AbsoluteError));
            // A test needs a few paired days; a shorter run is scored but not compared.
            if euros.days.len() < MIN_PAIRED_DAYS || error.days.len() < MIN_PAIRED_DAYS {
                continue;
            }
            comparisons.push(Comparison {
                euros: ab_test(champion, &score.model, &euros, Loss::Euros, ab)?,
                error: ab_test(champion, &score.model, &error, Loss::AbsoluteError, ab)?,
            });
        }
        Ok(Self { leaderboard, per_meter, champion: champion.to_string(), comparisons })
    }
}

/// Daily totals of one model: `(day, euros, mean absolute error)`, for plots.
pub fn daily_series(forecasts: &[Forecast], model: &str) -> Vec<(chrono::NaiveDate, f64, f64)> {
    let mut days: BTreeMap<chrono::NaiveDate, (f64, f64, usize)> = BTreeMap::new();
    for f in forecasts.iter().filter(|f| f.model == model) {
        let e = (f.forecast_kwh - f.actual_kwh).abs();
        let day = days.entry(f.day).or_default();
        if f.cost_eur.is_finite() {
            day.0 += f.cost_eur;
        }
        if e.is_finite() {
            day.1 += e;
            day.2 += 1;
        }
    }
    days.into_iter()
        .map(|(d, (eur, abs, n))| (d, eur, if n > 0 { abs / n as f64 } else { f64::NAN }))
        .collect()
}

const COLUMNS: [&str; 17] = [
    "target",
    "meter_id",
    "model",
    "day",
    "start",
    "decision_at",
    "forecast_kwh",
    "q10_kwh",
    "q50_kwh",
    "q90_kwh",
    "tau",
    "decision_kwh",
    "actual_kwh",
    "actual_known_at",
    "known_kwh",
    "extra_capacity_kwh",
    "cost_eur",
];

/// Writes forecast rows (made for `target`) to a Parquet file at `path`, one row per decision:
/// the columns of [`forecasts_frame`].
pub fn write_forecasts(path: &Path, target: &str, forecasts: &[Forecast]) -> Result<()> {
    let err = |source| Error::Parquet { path: path.to_path_buf(), action: "writing", source };
    let mut frame = forecasts_frame(target, forecasts).map_err(err)?;
    let file = File::create(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        action: "writing",
        source,
    })?;
    ParquetWriter::new(file).finish(&mut frame).map_err(err)?;
    Ok(())
}

/// Forecast rows (made for `target`) as a table, one row per decision: `target`, `meter_id`,
/// `model`, `day`, `start` and `decision_at` (UTC datetimes), `slot`, `forecast_kwh`,
/// `q10_kwh`, `q50_kwh`, `q90_kwh`, `tau`, `decision_kwh`, `actual_kwh`, `actual_known_at`
/// (UTC datetime, null if never), `known_kwh`, `extra_capacity_kwh`, `cost_eur`.
/// [`forecasts_of_frame`] reads it back to the same bits.
pub fn forecasts_frame(target: &str, forecasts: &[Forecast]) -> PolarsResult<DataFrame> {
    let utc = |name: &str, v: Vec<i64>| {
        Column::new(name.into(), v.into_iter().map(|s| s * 1000).collect::<Vec<_>>())
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
    };
    let floats = |name: &str, get: fn(&Forecast) -> f64| {
        Column::new(name.into(), forecasts.iter().map(get).collect::<Vec<f64>>())
    };
    DataFrame::new_infer_height(vec![
        Column::new("target".into(), vec![target; forecasts.len()]),
        Column::new("meter_id".into(), forecasts.iter().map(|f| f.meter_id.as_str()).collect::<Vec<_>>()),
        Column::new("model".into(), forecasts.iter().map(|f| f.model.as_str()).collect::<Vec<_>>()),
        Column::new("day".into(), forecasts.iter().map(|f| f.day.to_string()).collect::<Vec<_>>()),
        utc("start", forecasts.iter().map(|f| f.start).collect())?,
        utc("decision_at", forecasts.iter().map(|f| f.decision_at).collect())?,
        Column::new("slot".into(), forecasts.iter().map(|f| f.slot).collect::<Vec<u32>>()),
        floats("forecast_kwh", |f| f.forecast_kwh),
        floats("q10_kwh", |f| f.q10_kwh),
        floats("q50_kwh", |f| f.q50_kwh),
        floats("q90_kwh", |f| f.q90_kwh),
        floats("tau", |f| f.tau),
        floats("decision_kwh", |f| f.decision_kwh),
        floats("actual_kwh", |f| f.actual_kwh),
        Column::new(
            "actual_known_at".into(),
            forecasts
                .iter()
                .map(|f| (f.actual_known_at != i64::MAX).then(|| f.actual_known_at * 1000))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))?,
        floats("known_kwh", |f| f.known_kwh),
        floats("extra_capacity_kwh", |f| f.extra_capacity_kwh),
        floats("cost_eur", |f| f.cost_eur),
    ])
}

/// Reads forecast rows written by [`write_forecasts`]: the target and the rows.
pub fn read_forecasts(path: &Path) -> Result<(String, Vec<Forecast>)> {
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        action: "reading",
        source,
    })?;
    let frame = ParquetReader::new(file).finish().map_err(|source| Error::Parquet {
        path: path.to_path_buf(),
        action: "reading",
        source,
    })?;
    forecasts_of_frame(&frame, path)
}

/// Reads the rows of a [`forecasts_frame`] table (`path` names it in errors: its file, or what
/// else it is): the target and the rows.
pub fn forecasts_of_frame(frame: &DataFrame, path: &Path) -> Result<(String, Vec<Forecast>)> {
    let err = |source: PolarsError| Error::Parquet { path: path.to_path_buf(), action: "reading", source };
    for c in COLUMNS {
        if frame.column(c).is_err() {
            return Err(Error::BadFile {
                path: path.to_path_buf(),
                problem: format!("not a vader forecasts file (no column `{c}`)"),
            });
        }
    }
    let text = |name: &str| -> Result<Vec<String>> {
        let c = frame.column(name).map_err(err)?.str().map_err(err)?.clone();
        Ok(c.iter().map(|v| v.unwrap_or_default().to_string()).collect())
    };
    let float = |name: &str| -> Result<Vec<f64>> {
        let c = frame.column(name).map_err(err)?.cast(&DataType::Float64).map_err(err)?;
        Ok(c.f64().map_err(err)?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    };
    let seconds = |name: &str, missing: i64| -> Result<Vec<i64>> {
        let c = frame
            .column(name)
            .map_err(err)?
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .and_then(|c| c.cast(&DataType::Int64))
            .map_err(err)?;
        Ok(c.i64().map_err(err)?.iter().map(|v| v.map_or(missing, |v| v.div_euclid(1000))).collect())
    };
    let target = text("target")?.first().cloned().unwrap_or_default();
    let (meter, model, day) = (text("meter_id")?, text("model")?, text("day")?);
    let (start, decision) = (seconds("start", 0)?, seconds("decision_at", 0)?);
    // Files written before the slot was recorded read as slot 0 (day-level targets).
    let slot: Vec<u32> = match frame.column("slot") {
        Ok(c) => {
            let c = c.cast(&DataType::UInt32).map_err(err)?;
            c.u32().map_err(err)?.iter().map(Option::unwrap_or_default).collect()
        }
        Err(_) => vec![0; meter.len()],
    };
    let known_at = seconds("actual_known_at", i64::MAX)?;
    let (q10, q50, q90, tau, decided) =
        (float("q10_kwh")?, float("q50_kwh")?, float("q90_kwh")?, float("tau")?, float("decision_kwh")?);
    let (forecast, actual, known, extra, cost) = (
        float("forecast_kwh")?,
        float("actual_kwh")?,
        float("known_kwh")?,
        float("extra_capacity_kwh")?,
        float("cost_eur")?,
    );
    let mut rows = Vec::with_capacity(meter.len());
    for i in 0..meter.len() {
        let day = chrono::NaiveDate::parse_from_str(&day[i], "%Y-%m-%d").map_err(|_| Error::BadFile {
            path: path.to_path_buf(),
            problem: format!("row {}: bad day {:?}", i + 1, day[i]),
        })?;
        rows.push(Forecast {
            meter_id: meter[i].clone(),
            model: model[i].clone(),
            day,
            slot: slot[i],
            start: start[i],
            decision_at: decision[i],
            forecast_kwh: forecast[i],
            actual_kwh: actual[i],
            actual_known_at: known_at[i],
            decision_kwh: decided[i],
            tau: tau[i],
            q10_kwh: q10[i],
            q50_kwh: q50[i],
            q90_kwh: q90[i],
            known_kwh: known[i],
            extra_capacity_kwh: extra[i],
            cost_eur: cost[i],
        });
    }
    Ok((target, rows))
}

/// What the tuned models chose at each refit, as a table: `meter_id`, `model`, `day`,
/// `choice` ([`choices_of_frame`] reads it back).
pub fn choices_frame(choices: &[RefitChoice]) -> PolarsResult<DataFrame> {
    let text = |name: &str, get: fn(&RefitChoice) -> String| {
        Column::new(name.into(), choices.iter().map(get).collect::<Vec<String>>())
    };
    DataFrame::new_infer_height(vec![
        text("meter_id", |c| c.meter_id.clone()),
        text("model", |c| c.model.clone()),
        text("day", |c| c.day.to_string()),
        text("choice", |c| c.choice.clone()),
    ])
}

/// Reads the rows of a [`choices_frame`] table (`what` names it in errors).
pub fn choices_of_frame(frame: &DataFrame, what: &Path) -> Result<Vec<RefitChoice>> {
    let err = |source: PolarsError| Error::Parquet { path: what.to_path_buf(), action: "reading", source };
    let text = |name: &str| -> Result<Vec<String>> {
        let c = frame.column(name).map_err(err)?.str().map_err(err)?.clone();
        Ok(c.iter().map(|v| v.unwrap_or_default().to_string()).collect())
    };
    let (meters, models, days, chosen) = (text("meter_id")?, text("model")?, text("day")?, text("choice")?);
    let mut out = Vec::with_capacity(meters.len());
    for (i, (((meter_id, model), day), choice)) in
        meters.into_iter().zip(models).zip(days).zip(chosen).enumerate()
    {
        let day = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|_| Error::BadFile {
            path: what.to_path_buf(),
            problem: format!("row {}: bad day {day:?}", i + 1),
        })?;
        out.push(RefitChoice { meter_id, model, day, choice });
    }
    Ok(out)
}

/// What a reference was measured on: a check applies only to a run with the same setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceSetup {
    /// Data folder, as given on the command line.
    pub data: String,
    /// Forecast target.
    pub target: String,
    /// First target day of the test period.
    pub test_from: chrono::NaiveDate,
    /// Last target day of the test period.
    pub test_to: chrono::NaiveDate,
    /// Days between refits.
    pub refit_days: u32,
    /// `per-meter` or `global`.
    pub scope: String,
    /// `point` or `cost-optimal`.
    pub decision: String,
    /// The cost file, when the run was priced with one (its prices move the euros and the
    /// cost-optimal quantile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_file: Option<String>,
}

/// One model's reference figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Mean absolute error, kWh.
    pub mae_kwh: f64,
    /// Weighted absolute percentage error.
    pub wape: f64,
    /// Total euros over the test period.
    pub euros: f64,
    /// Coverage of the 80 % interval.
    pub coverage_80: f64,
}

impl Figures {
    fn of(score: &ModelScore) -> Self {
        let m = &score.metrics;
        Self { mae_kwh: m.mae, wape: m.wape, euros: score.euros, coverage_80: m.coverage_80 }
    }
}

/// Reference figures of a backtest, committed so that CI fails when accuracy or euros worsen
/// (`vader backtest --check FILE`). Improving a figure means updating the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// The setup the figures were measured on.
    pub setup: ReferenceSetup,
    /// Relative worsening of MAE, WAPE and euros tolerated (0.002 = 0.2 %).
    pub tolerance: f64,
    /// Widening of the 80 % interval's miss `|coverage − 0.8|` tolerated, absolute.
    pub coverage_tolerance: f64,
    /// Figures by model.
    pub models: BTreeMap<String, Figures>,
    /// The independent peer's best figures on the same data and protocol, when the reference
    /// is a real dataset: the run's best model must beat both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<PeerFigures>,
    /// Each model's cost-optimal decisions against its point decisions: where the reference's
    /// verdict adopted them, a run that no longer does fails the check.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cost_optimal: BTreeMap<String, DecisionGain>,
}

/// A model's cost-optimal decisions against its own point decisions (the A/B test of
/// [`crate::run::BacktestRun::decision_gains`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionGain {
    /// Mean daily saving of the cost-optimal decisions, EUR.
    pub saving_eur_per_day: f64,
    /// The verdict: adopt the challenger (the cost-optimal decisions), keep the champion (the
    /// point decisions), or no significant difference; written in words (`"adopt challenger"`).
    #[serde(with = "crate::ab::verdict_words")]
    pub verdict: Verdict,
}

impl DecisionGain {
    /// What follows a model's name in the champion of its decision-gain test (`MODEL (point)`).
    pub(crate) const POINT: &'static str = " (point)";

    /// The model a gain is about, from its test's champion `MODEL (point)`.
    fn model(test: &AbTest) -> &str {
        test.champion.strip_suffix(Self::POINT).unwrap_or(&test.champion)
    }
}

/// The best figures of an independent peer (`benches/peers/`), measured on the same data,
/// target, test period and information set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerFigures {
    /// Where the figures come from (the results file and its command).
    pub source: String,
    /// The peer's model with the lowest MAE.
    pub best_mae_model: String,
    /// Its MAE, kWh.
    pub mae_kwh: f64,
    /// The peer's model with the lowest euros.
    pub best_euros_model: String,
    /// Its euros over the test period.
    pub euros: f64,
}

/// One figure that moved beyond the tolerance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// The model.
    pub model: String,
    /// `mae_kwh`, `wape`, `euros`, `coverage_80`, `model` (missing from the run),
    /// `peer_mae_kwh` or `peer_euros` (the peer not beaten), or `cost_optimal` (the
    /// cost-optimal decisions no longer adopted).
    pub figure: &'static str,
    /// The reference value.
    pub reference: f64,
    /// This run's value.
    pub now: f64,
    /// Whether it got worse (else better).
    pub worse: bool,
}

impl Reference {
    /// The reference figures of `scores` and of each model's cost-optimal decisions
    /// (`gains`), measured on `setup`.
    pub fn of(setup: ReferenceSetup, scores: &Scores, gains: &[AbTest]) -> Self {
        Self {
            setup,
            tolerance: 0.002,
            coverage_tolerance: 0.01,
            models: scores.leaderboard.iter().map(|s| (s.model.clone(), Figures::of(s))).collect(),
            peer: None,
            cost_optimal: gains
                .iter()
                .map(|t| {
                    let gain = DecisionGain { saving_eur_per_day: t.mean_saving, verdict: t.verdict };
                    (DecisionGain::model(t).to_string(), gain)
                })
                .collect(),
        }
    }

    /// Reads a reference file (JSON).
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            action: "reading the reference",
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| Error::BadFile {
            path: path.to_path_buf(),
            problem: format!("not a reference file: {e}"),
        })
    }

    /// Writes the reference (JSON, one figure per line so that diffs show each change).
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::BadFile { path: path.to_path_buf(), problem: e.to_string() })?;
        std::fs::write(path, text + "\n").map_err(|source| Error::Io {
            path: path.to_path_buf(),
            action: "writing the reference",
            source,
        })
    }

    /// Every figure of `scores` beyond the tolerance of its reference, worse or better, and
    /// every model whose cost-optimal decisions the reference adopted and `gains` no longer
    /// do (figure `cost_optimal`); an error when `setup` is not the reference's.
    pub fn compare(&self, setup: &ReferenceSetup, scores: &Scores, gains: &[AbTest]) -> Result<Vec<Drift>> {
        if setup != &self.setup {
            return Err(Error::OtherSetup {
                reference: format!("{:?}", self.setup),
                run: format!("{setup:?}"),
            });
        }
        let mut drifts = Vec::new();
        for (model, reference) in &self.models {
            let Some(score) = scores.leaderboard.iter().find(|s| &s.model == model) else {
                drifts.push(Drift {
                    model: model.clone(),
                    figure: "model",
                    reference: 1.0,
                    now: 0.0,
                    worse: true,
                });
                continue;
            };
            let now = Figures::of(score);
            let relative = [
                ("mae_kwh", reference.mae_kwh, now.mae_kwh),
                ("wape", reference.wape, now.wape),
                ("euros", reference.euros, now.euros),
            ];
            for (figure, r, n) in relative {
                let band = self.tolerance * r.abs() + 1e-9;
                if (n - r).abs() > band || n.is_nan() != r.is_nan() {
                    drifts.push(Drift {
                        model: model.clone(),
                        figure,
                        reference: r,
                        now: n,
                        worse: n > r || n.is_nan(),
                    });
                }
            }
            let (r_miss, n_miss) = ((reference.coverage_80 - 0.8).abs(), (now.coverage_80 - 0.8).abs());
            if (n_miss - r_miss).abs() > self.coverage_tolerance || n_miss.is_nan() != r_miss.is_nan() {
                drifts.push(Drift {
                    model: model.clone(),
                    figure: "coverage_80",
                    reference: reference.coverage_80,
                    now: now.coverage_80,
                    worse: n_miss > r_miss || n_miss.is_nan(),
                });
            }
        }
        if let Some(peer) = &self.peer {
            drifts.extend(peer.beaten_by(scores));
        }
        for (model, reference) in
            self.cost_optimal.iter().filter(|(_, g)| g.verdict == Verdict::AdoptChallenger)
        {
            let now = gains.iter().find(|t| DecisionGain::model(t) == model);
            if now.is_none_or(|t| t.verdict != Verdict::AdoptChallenger) {
                drifts.push(Drift {
                    model: model.clone(),
                    figure: "cost_optimal",
                    reference: reference.saving_eur_per_day,
                    now: now.map_or(f64::NAN, |t| t.mean_saving),
                    worse: true,
                });
            }
        }
        Ok(drifts)
    }
}

impl PeerFigures {
    /// The figures on which the best model of `scores` does not beat the peer's best
    /// (`peer_mae_kwh`, `peer_euros`), as drifts: `model` is the run's best on that figure.
    pub fn beaten_by(&self, scores: &Scores) -> Vec<Drift> {
        let best = |figure: fn(&ModelScore) -> f64| {
            scores
                .leaderboard
                .iter()
                .filter(|s| figure(s).is_finite())
                .min_by(|a, b| figure(a).total_cmp(&figure(b)))
                .map_or((String::new(), f64::NAN), |s| (s.model.clone(), figure(s)))
        };
        let mut out = Vec::new();
        for (name, reference, (model, now)) in [
            ("peer_mae_kwh", self.mae_kwh, best(|s| s.metrics.mae)),
            ("peer_euros", self.euros, best(|s| s.euros)),
        ] {
            if now.is_nan() || now >= reference {
                out.push(Drift { model, figure: name, reference, now, worse: true });
            }
        }
        out
    }
}
