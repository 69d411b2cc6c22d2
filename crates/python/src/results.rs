//! The Python functions and the result objects they return.

use std::path::PathBuf;

use polars::prelude::DataFrame;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use vader::api::capacity::alert_timezone;
use vader::api::{CapacityRequest, CompareRequest, ModelProjection, NominateRequest, TrainRequest, plan};
use vader::backtest::ab::AbParams;
use vader::backtest::results::{choices_frame, choices_of_frame, forecasts_frame, forecasts_of_frame};
use vader::backtest::run::Replay;
use vader::features::ValidationReport;
use vader::models::{ModelFile, ProjectionRule};

use crate::arrow::{self, ArrowStream};
use crate::errors::OrRaise;
use crate::{args, data, tables};

/// A table for Python: a polars DataFrame, read through the Arrow C stream.
fn polars(py: Python<'_>, frame: polars::prelude::PolarsResult<DataFrame>) -> PyResult<Py<PyAny>> {
    let stream = Bound::new(py, ArrowStream::new(frame.or_raise()?))?;
    Ok(py.import("polars")?.getattr("DataFrame")?.call1((stream,))?.unbind())
}

/// JSON text as Python objects.
fn from_json(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

fn to_json(value: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// What is wrong with a dataset, meter by meter (`vader validate`).
#[pyclass(module = "vader._vader", frozen, get_all)]
pub struct Validation {
    /// One row per meter: readings, span, interval, duplicates dropped, gaps, negative and
    /// non-finite values, readings off the grid, the first problem (polars DataFrame).
    table: Py<PyAny>,
    /// The whole report as `vader validate --format json` prints it (dict): meters, calendars,
    /// closures, covariates, findings.
    report: Py<PyAny>,
    /// How many problems were found (0: clean).
    findings: usize,
}

#[pymethods]
impl Validation {
    fn __repr__(&self) -> String {
        format!("<Validation: {} finding(s)>", self.findings)
    }
}

/// Checks a dataset and reports what is wrong with it, meter by meter.
///
/// `data` is a data folder (str or os.PathLike) or a dict of tables: `readings` and `meters`
/// (required), `weather`, `closures`, `covariates`, `holidays`, each a file path or a
/// DataFrame (polars, pandas >= 2.2, pyarrow: anything with `__arrow_c_stream__`).
///
/// >>> report = vader.validate("datasets/refinery")
/// >>> report.findings
/// 0
#[pyfunction]
pub fn validate(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Validation> {
    let dataset = data::dataset(py, data)?;
    let report = py.detach(|| ValidationReport::of(&dataset));
    Ok(Validation {
        table: polars(py, tables::validation(&report))?,
        report: from_json(py, &to_json(&report)?)?,
        findings: report.findings(),
    })
}

/// The intraday capacity alert of every gas meter.
#[pyclass(module = "vader._vader", frozen)]
pub struct Alert {
    inner: vader::api::CapacityAlert,
    /// The decision time (datetime, UTC).
    #[pyo3(get)]
    at: Py<PyAny>,
    /// How the day was projected, in words.
    #[pyo3(get)]
    how: String,
    /// The time zone the gas days are read in.
    #[pyo3(get)]
    timezone: String,
    /// One row per gas meter: consumed so far, projected, capacity, over_capacity, extra
    /// capacity to buy, status (polars DataFrame).
    #[pyo3(get)]
    table: Py<PyAny>,
}

#[pymethods]
impl Alert {
    /// How many meters are projected over their capacity.
    #[getter]
    fn over(&self) -> usize {
        self.inner.over()
    }

    /// The alert table drawn as a PNG image (bytes), as mailed to the buyers.
    fn png<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = py.detach(|| vader::picture::alert_png(&self.inner)).or_raise()?;
        Ok(PyBytes::new(py, &bytes))
    }

    fn __repr__(&self) -> String {
        format!(
            "<Alert at {}: {} meter(s), {} over capacity>",
            self.inner.at.to_rfc3339(),
            self.inner.rows.len(),
            self.inner.over()
        )
    }
}

/// The capacity alert: each gas meter's projected gas-day consumption against its capacity.
///
/// `at` is the decision time (RFC 3339 text, an aware datetime, or a naive one read on the
/// sites' wall clock); by default the whole hour at which the last gas reading was known.
/// The day-one rule projects the mean of the last `hours` complete hours × the hours of the
/// gas day (`rule="so-far-plus-rate"`: consumed so far + that rate × the hours left). With
/// `model` (a rest-of-gas-day model file from `vader.train`), the model projects instead;
/// `decision="cost-optimal"` buys up to its `1 − p_day/π` quantile (prices from `cost`).
///
/// >>> alert = vader.capacity_alert("datasets/refinery", "2025-01-15T12:00:00Z")
/// >>> alert.table.columns[:3]
/// ['meter_id', 'name', 'gas_day']
#[pyfunction]
#[pyo3(signature = (data, at = None, *, rule = "mean-of-last-hours", hours = 5, model = None, decision = "point", cost = None, delay = None))]
#[allow(clippy::too_many_arguments)]
pub fn capacity_alert(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    rule: &str,
    hours: usize,
    model: Option<&Bound<'_, PyAny>>,
    decision: &str,
    cost: Option<&Bound<'_, PyAny>>,
    delay: Option<&Bound<'_, PyAny>>,
) -> PyResult<Alert> {
    if !(1..=24).contains(&hours) {
        return Err(PyValueError::new_err(format!("hours: must be 1 to 24, got {hours}")));
    }
    let rule = match rule {
        "mean-of-last-hours" => ProjectionRule::MeanOfLastHours { hours },
        "so-far-plus-rate" => ProjectionRule::SoFarPlusRate { hours },
        _ => {
            return Err(PyValueError::new_err(format!(
                "rule: {rule:?} is neither \"mean-of-last-hours\" nor \"so-far-plus-rate\""
            )));
        }
    };
    let dataset = data::dataset(py, data)?;
    let at = at.map(|a| args::instant(a, "at", alert_timezone(&dataset))).transpose()?;
    let mut request = CapacityRequest::day_one_rule(at);
    request.rule = rule;
    if let Some(d) = delay {
        request.delay_s = args::duration_s(d, "delay")?;
    }
    if let Some(path) = model {
        let path = args::path(path, "model")?;
        request.model = Some(ModelProjection {
            file: ModelFile::load(&path).or_raise()?,
            path,
            decision: args::decision(decision)?,
            tau: args::prices(cost, None, None)?.read().or_raise()?.params.capacity.buy_quantile(),
        });
    } else if decision != "point" {
        return Err(PyValueError::new_err("decision: a cost-optimal purchase needs a model"));
    }
    let alert = py.detach(|| vader::api::capacity(&dataset, &request)).or_raise()?;
    let datetime = py.import("datetime")?.getattr("datetime")?;
    Ok(Alert {
        at: datetime.call_method1("fromisoformat", (alert.at.to_rfc3339(),))?.unbind(),
        how: alert.how.clone(),
        timezone: alert.tz.name().to_string(),
        table: polars(py, tables::alert(&alert.rows))?,
        inner: alert,
    })
}

/// A model trained and saved.
#[pyclass(module = "vader._vader", frozen, get_all)]
pub struct Trained {
    /// Where the model file was written.
    path: PathBuf,
    /// The model's name (`gbm`, `ridge-0.1`, ...).
    model: String,
    /// The forecast target.
    target: String,
    /// First target day trained on.
    trained_from: String,
    /// Last target day trained on.
    trained_until: String,
    /// Calibration residuals stored for cost-optimal decisions.
    residuals: usize,
    /// One row per meter (or `*` for a global model): rows trained on and their days
    /// (polars DataFrame).
    units: Py<PyAny>,
}

#[pymethods]
impl Trained {
    fn __repr__(&self) -> String {
        format!("<Trained {} for {} -> {}>", self.model, self.target, self.path.display())
    }
}

/// Trains a model for a forecast target (one per meter, or one global model) on the days up
/// to `until` and saves it to `out` (JSON), with the out-of-sample residuals of the last
/// `calibration_days` days for cost-optimal decisions.
///
/// Models: persistence, seasonal-naive, mean-7d, mean-14d, mean-28d, intraday-5h, ols,
/// ridge, ridge-<λ>, gbm, gbm-q<τ>, gbm-tuned, gbm-tuned-q<τ>, forest.
#[pyfunction]
#[pyo3(signature = (data, model = "ridge", *, until, out, target = "gas-day", scope = "per-meter", meters = None, calibration_days = 56, delay = None))]
#[allow(clippy::too_many_arguments)]
pub fn train(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    model: &str,
    until: &Bound<'_, PyAny>,
    out: &Bound<'_, PyAny>,
    target: &str,
    scope: &str,
    meters: Option<&Bound<'_, PyAny>>,
    calibration_days: u32,
    delay: Option<&Bound<'_, PyAny>>,
) -> PyResult<Trained> {
    let out = args::path(out, "out")?;
    let mut request =
        TrainRequest::new(args::target(target)?, args::model(model)?, args::day(until, "until")?);
    request.scope = args::scope(scope)?;
    request.calibration_days = calibration_days;
    if let Some(m) = meters {
        request.meters = args::names(m, "meters")?;
    }
    if let Some(d) = delay {
        request.delay_s = args::duration_s(d, "delay")?;
    }
    let dataset = data::dataset(py, data)?;
    let done = py.detach(|| vader::api::train(&dataset, &request)).or_raise()?;
    done.file.save(&out).or_raise()?;
    Ok(Trained {
        units: polars(py, tables::trained_units(&done))?,
        path: out,
        model: done.file.model.clone(),
        target: done.file.target.clone(),
        trained_from: done.file.trained_from.clone(),
        trained_until: done.file.trained_until.clone(),
        residuals: done.residuals,
    })
}

/// Day-ahead nominations for day `day` with a saved model, as of the day's decision time on
/// D-1: the point forecast, its calibrated 10 % and 90 % quantiles, and what is nominated
/// (the point forecast, or with `decision="cost-optimal"` the quantile that minimises the
/// expected imbalance cost at the day's prices). Returns a polars DataFrame, one row per
/// meter and period.
#[pyfunction]
#[pyo3(signature = (data, model, day, *, decision = "point", cost = None, gas_prices = None, electricity_prices = None, delay = None))]
#[allow(clippy::too_many_arguments)]
pub fn nominate(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    model: &Bound<'_, PyAny>,
    day: &Bound<'_, PyAny>,
    decision: &str,
    cost: Option<&Bound<'_, PyAny>>,
    gas_prices: Option<&Bound<'_, PyAny>>,
    electricity_prices: Option<&Bound<'_, PyAny>>,
    delay: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let path = args::path(model, "model")?;
    let file = ModelFile::load(&path).or_raise()?;
    let request = NominateRequest {
        day: args::day(day, "day")?,
        delay_s: delay
            .map(|d| args::duration_s(d, "delay"))
            .transpose()?
            .unwrap_or(vader::api::time::DEFAULT_DELAY_S),
        decision: args::decision(decision)?,
        pricing: args::prices(cost, gas_prices, electricity_prices)?.read().or_raise()?,
    };
    let dataset = data::dataset(py, data)?;
    let done = py.detach(|| vader::api::nominate(&dataset, &file, &path, &request)).or_raise()?;
    if !done.uncalibrated.is_empty() {
        let warnings = py.import("warnings")?;
        warnings.call_method1(
            "warn",
            (format!(
                "no calibration residuals in {} for {} (train with calibration_days): point forecast nominated",
                path.display(),
                done.uncalibrated.join(", ")
            ),),
        )?;
    }
    polars(py, tables::nominations(&done))
}

/// A finished backtest: the leaderboard in euros, the A/B verdicts, every forecast.
#[pyclass(module = "vader._vader", frozen)]
pub struct Backtest {
    inner: vader::api::Backtest,
    /// One row per model, cheapest first: MAE, RMSE, WAPE, bias, 80 % interval coverage and
    /// width, pinball loss, euros, verdict against the champion (polars DataFrame).
    #[pyo3(get)]
    leaderboard: Py<PyAny>,
    /// The same scores per meter and model (polars DataFrame).
    #[pyo3(get)]
    per_meter: Py<PyAny>,
    /// Each model against the champion, in euros and in absolute error: mean daily saving,
    /// bootstrap interval, Diebold–Mariano p-value, verdict (polars DataFrame).
    #[pyo3(get)]
    comparisons: Py<PyAny>,
    /// Each model's cost-optimal decisions against its point decisions, in euros.
    #[pyo3(get)]
    decision_gains: Py<PyAny>,
    /// Every forecast of the test period, decided and priced (polars DataFrame; the columns of
    /// `forecasts.parquet`).
    #[pyo3(get)]
    forecasts: Py<PyAny>,
    /// Euros per model over the swept prices (empty without `sweep`).
    #[pyo3(get)]
    sweep: Py<PyAny>,
    /// What the tuned models chose at each refit (polars DataFrame).
    #[pyo3(get)]
    choices: Py<PyAny>,
    /// Everything `summary.json` holds (dict).
    #[pyo3(get)]
    summary: Py<PyAny>,
}

impl Backtest {
    fn new(py: Python<'_>, inner: vader::api::Backtest) -> PyResult<Self> {
        let run = &inner.run;
        let scores = &run.scores;
        let comparisons = scores.comparisons.iter().flat_map(|c| [&c.euros, &c.error]);
        Ok(Self {
            leaderboard: polars(py, tables::leaderboard(scores))?,
            per_meter: polars(py, tables::per_meter(scores))?,
            comparisons: polars(py, tables::ab_tests(comparisons))?,
            decision_gains: polars(py, tables::ab_tests(run.decision_gains.iter()))?,
            forecasts: polars(py, forecasts_frame(&inner.info.target, &run.forecasts))?,
            sweep: polars(py, tables::sweep(&run.sweep))?,
            choices: polars(py, choices_frame(&run.choices))?,
            summary: from_json(py, &to_json(&inner.report().summary())?)?,
            inner,
        })
    }
}

#[pymethods]
impl Backtest {
    /// The model every other is compared with.
    #[getter]
    fn champion(&self) -> String {
        self.inner.run.scores.champion.clone()
    }

    /// Writes the run folder `vader backtest --out` writes: forecasts.parquet, summary.json,
    /// report.md, report.html and the plots (replacing the folder only once complete).
    fn write(&self, py: Python<'_>, out: &Bound<'_, PyAny>) -> PyResult<()> {
        let out = args::path(out, "out")?;
        py.detach(|| self.inner.write(&out)).or_raise()
    }

    fn __repr__(&self) -> String {
        let best = self.inner.run.scores.leaderboard.first();
        format!(
            "<Backtest {} {} to {}: {} model(s), cheapest {}, champion {}>",
            self.inner.info.target,
            self.inner.info.test_from,
            self.inner.info.test_to,
            self.inner.run.scores.leaderboard.len(),
            best.map_or("-", |b| b.model.as_str()),
            self.inner.run.scores.champion
        )
    }
}

/// Runs a backtest (the options of `vader.backtest`, as a dict) and, with `out`, writes its
/// run folder.
#[pyfunction]
#[pyo3(signature = (data, options = None, out = None))]
pub fn backtest(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
    out: Option<&Bound<'_, PyAny>>,
) -> PyResult<Backtest> {
    let request = args::backtest_request(options)?;
    let dataset = data::dataset(py, data)?;
    finished(py, out, || vader::api::backtest(&dataset, &request, &()))
}

/// Runs `work` without holding the interpreter, writes its run folder to `out` when given, and
/// hands the run to Python.
fn finished(
    py: Python<'_>,
    out: Option<&Bound<'_, PyAny>>,
    work: impl FnOnce() -> vader::Result<vader::api::Backtest> + Send,
) -> PyResult<Backtest> {
    let out = out.map(|o| args::path(o, "out")).transpose()?;
    let done = py
        .detach(|| -> vader::Result<vader::api::Backtest> {
            let done = work()?;
            if let Some(out) = &out {
                done.write(out)?;
            }
            Ok(done)
        })
        .or_raise()?;
    Backtest::new(py, done)
}

/// The meters a backtest replays (what shards split), in the meters file's order.
#[pyfunction]
#[pyo3(signature = (data, options = None))]
pub fn backtest_plan(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<String>> {
    let request = args::backtest_request(options)?;
    let dataset = data::dataset(py, data)?;
    py.detach(|| plan(&dataset, &request).map(|p| p.meter_ids())).or_raise()
}

/// Replays the walk-forward of some meters of a backtest: a dict with `meters` (list of str),
/// `forecasts` and `choices` (polars DataFrames), for `backtest_merge`.
#[pyfunction]
#[pyo3(signature = (data, options, meters))]
pub fn backtest_shard<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    options: Option<&Bound<'py, PyDict>>,
    meters: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let request = args::backtest_request(options)?;
    let ids = args::names(meters, "meters")?;
    let dataset = data::dataset(py, data)?;
    let replayed = py
        .detach(|| -> vader::Result<Replay> {
            let plan = plan(&dataset, &request)?;
            plan.replay(&dataset, &ids, &())
        })
        .or_raise()?;
    let target = request.target.as_str();
    let out = PyDict::new(py);
    out.set_item("meters", PyList::new(py, &replayed.meters)?)?;
    out.set_item("forecasts", polars(py, forecasts_frame(target, &replayed.forecasts))?)?;
    out.set_item("choices", polars(py, choices_frame(&replayed.choices))?)?;
    Ok(out)
}

/// Merges the shards of a backtest (dicts from `backtest_shard`, in any order) and finishes
/// it: the same run `backtest` gives, bit for bit.
#[pyfunction]
#[pyo3(signature = (data, options, shards, out = None))]
pub fn backtest_merge(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    options: Option<&Bound<'_, PyDict>>,
    shards: &Bound<'_, PyAny>,
    out: Option<&Bound<'_, PyAny>>,
) -> PyResult<Backtest> {
    let request = args::backtest_request(options)?;
    let mut parts = Vec::new();
    for (i, shard) in shards.try_iter()?.enumerate() {
        let shard = shard?;
        let what = |key: &str| format!("shards[{i}][{key:?}]");
        let item = |key: &str| {
            shard.get_item(key).map_err(|_| PyValueError::new_err(format!("{}: missing", what(key))))
        };
        let meters = args::names(&item("meters")?, &what("meters"))?;
        let forecasts = arrow::import(&item("forecasts")?, &what("forecasts"))?;
        let choices = arrow::import(&item("choices")?, &what("choices"))?;
        let label = PathBuf::from(what("forecasts"));
        let (_, forecasts) = forecasts_of_frame(&forecasts, &label).or_raise()?;
        let choices = choices_of_frame(&choices, &PathBuf::from(what("choices"))).or_raise()?;
        let mut meters = meters;
        meters.sort();
        parts.push(Replay { meters, forecasts, choices });
    }
    let dataset = data::dataset(py, data)?;
    finished(py, out, || plan(&dataset, &request)?.finish(Replay::merge(parts)))
}

/// A/B test of two models from saved backtest runs (folders written by `Backtest.write` or
/// `vader backtest --out`, or their forecasts.parquet): the daily saving of the challenger in
/// euros and in absolute error, with bootstrap intervals, Diebold–Mariano p-values and
/// verdicts. Returns a polars DataFrame of two rows (euros, absolute_error).
#[pyfunction]
#[pyo3(signature = (champion_run, challenger_run, *, champion = None, challenger = None, level = 0.05))]
pub fn compare(
    py: Python<'_>,
    champion_run: &Bound<'_, PyAny>,
    challenger_run: &Bound<'_, PyAny>,
    champion: Option<String>,
    challenger: Option<String>,
    level: f64,
) -> PyResult<Py<PyAny>> {
    let request = CompareRequest {
        champion_run: args::path(champion_run, "champion_run")?,
        challenger_run: args::path(challenger_run, "challenger_run")?,
        champion,
        challenger,
        ab: AbParams { level, ..AbParams::default() },
    };
    let done = py.detach(|| vader::api::compare(&request)).or_raise()?;
    let c = &done.comparison;
    polars(py, tables::ab_tests([&c.euros, &c.error].into_iter()))
}
