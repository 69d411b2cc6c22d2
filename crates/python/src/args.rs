//! Python arguments read into vader's requests: dates, instants, durations, model names, and
//! the options of a backtest.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use vader::api::time::{parse_duration_s, parse_instant};
use vader::api::{BacktestRequest, PriceSources};
use vader::backtest::Scope;
use vader::backtest::decisions::DecisionRule;
use vader::backtest::run::Sweep;
use vader::features::Target;
use vader::models::ModelSpec;

use crate::data::path_of;
use crate::errors::OrRaise;

/// Text of `object`: itself when a `str`, else its `isoformat()` (dates, datetimes, pandas
/// timestamps).
fn iso_text(object: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    if let Ok(s) = object.cast::<PyString>() {
        return Ok(s.to_str()?.to_string());
    }
    if object.hasattr("isoformat")? {
        return object.call_method0("isoformat")?.extract();
    }
    Err(PyTypeError::new_err(format!(
        "{what}: expected a str, date or datetime, got {}",
        object.get_type().name()?
    )))
}

/// A calendar day: `"2025-01-31"`, a `datetime.date`, or the day of a datetime.
pub fn day(object: &Bound<'_, PyAny>, what: &str) -> PyResult<NaiveDate> {
    let text = iso_text(object, what)?;
    let head = text.get(..10).unwrap_or(&text);
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .map_err(|_| PyValueError::new_err(format!("{what}: cannot read {text:?} as a day (YYYY-MM-DD)")))
}

/// An instant: RFC 3339 text or an aware datetime; a naive one (or `"2025-01-15 13:00"`) is
/// read on the wall clock of `tz`.
pub fn instant(object: &Bound<'_, PyAny>, what: &str, tz: Tz) -> PyResult<DateTime<Utc>> {
    let text = iso_text(object, what)?;
    parse_instant(&text, tz).map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

/// A delay: `"2h"`, `"90m"`, a number of seconds, or a `datetime.timedelta`.
pub fn duration_s(object: &Bound<'_, PyAny>, what: &str) -> PyResult<i64> {
    if let Ok(s) = object.cast::<PyString>() {
        return parse_duration_s(s.to_str()?).map_err(|e| PyValueError::new_err(format!("{what}: {e}")));
    }
    if object.hasattr("total_seconds")? {
        let seconds: f64 = object.call_method0("total_seconds")?.extract()?;
        return Ok(seconds.round() as i64);
    }
    object
        .extract::<i64>()
        .map_err(|_| PyTypeError::new_err(format!("{what}: expected \"2h\", seconds or a timedelta")))
}

/// Names: a list of str, or one comma-separated str.
pub fn names(object: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if let Ok(s) = object.cast::<PyString>() {
        return Ok(s
            .to_str()?
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect());
    }
    object
        .extract::<Vec<String>>()
        .map_err(|_| PyTypeError::new_err(format!("{what}: expected a list of str or a comma-separated str")))
}

/// A forecast target by name.
pub fn target(name: &str) -> PyResult<Target> {
    name.parse::<Target>().map_err(|e: String| PyValueError::new_err(format!("target: {e}")))
}

/// A model recipe by name (`gbm`, `ridge-0.5`, `gbm-q0.9`, ...).
pub fn model(name: &str) -> PyResult<ModelSpec> {
    ModelSpec::named(name).or_raise()
}

/// A decision rule: `point` or `cost-optimal`.
pub fn decision(name: &str) -> PyResult<DecisionRule> {
    match name {
        "point" => Ok(DecisionRule::Point),
        "cost-optimal" | "cost_optimal" => Ok(DecisionRule::CostOptimal),
        _ => Err(PyValueError::new_err(format!(
            "decision: {name:?} is neither \"point\" nor \"cost-optimal\""
        ))),
    }
}

/// A model scope: `per-meter` or `global`.
pub fn scope(name: &str) -> PyResult<Scope> {
    match name {
        "per-meter" | "per_meter" => Ok(Scope::PerMeter),
        "global" => Ok(Scope::Global),
        _ => Err(PyValueError::new_err(format!("scope: {name:?} is neither \"per-meter\" nor \"global\""))),
    }
}

/// A path argument, or an error naming it.
pub fn path(object: &Bound<'_, PyAny>, what: &str) -> PyResult<PathBuf> {
    path_of(object)
        .ok_or_else(|| PyTypeError::new_err(format!("{what}: expected a path (str or os.PathLike)")))
}

/// Where prices come from: a cost file and price series, each a path or `None`.
pub fn prices(
    cost: Option<&Bound<'_, PyAny>>,
    gas: Option<&Bound<'_, PyAny>>,
    electricity: Option<&Bound<'_, PyAny>>,
) -> PyResult<PriceSources> {
    Ok(PriceSources {
        cost: cost.map(|p| path(p, "cost")).transpose()?,
        gas: gas.map(|p| path(p, "gas_prices")).transpose()?,
        electricity: electricity.map(|p| path(p, "electricity_prices")).transpose()?,
    })
}

/// The options of a backtest (the keyword arguments of `vader.backtest`, as a dict).
pub const BACKTEST_OPTIONS: [&str; 18] = [
    "target",
    "models",
    "champion",
    "meters",
    "test_from",
    "test_to",
    "refit_days",
    "window_days",
    "scope",
    "decision",
    "calibration_days",
    "sweep",
    "cost",
    "gas_prices",
    "electricity_prices",
    "capacity_hours",
    "level",
    "delay",
];

/// The backtest request of `options`: every option given and not `None` replaces the
/// command line's default ([`BacktestRequest::new`]); an unknown option is refused.
pub fn backtest_request(options: Option<&Bound<'_, PyDict>>) -> PyResult<BacktestRequest> {
    let get = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
        Ok(options.map(|o| o.get_item(key)).transpose()?.flatten().filter(|v| !v.is_none()))
    };
    if let Some(options) = options {
        for key in options.keys() {
            let key: String = key.extract()?;
            if !BACKTEST_OPTIONS.contains(&key.as_str()) {
                return Err(PyTypeError::new_err(format!(
                    "backtest: unknown option {key:?} (options: {})",
                    BACKTEST_OPTIONS.join(", ")
                )));
            }
        }
    }
    let text =
        |key: &str| -> PyResult<Option<String>> { get(key)?.map(|v| v.extract::<String>()).transpose() };
    let whole = |key: &str| -> PyResult<Option<u32>> {
        get(key)?
            .map(|v| {
                v.extract::<u32>()
                    .map_err(|_| PyValueError::new_err(format!("{key}: expected a whole number ≥ 0")))
            })
            .transpose()
    };
    let target = match text("target")? {
        Some(t) => target(&t)?,
        None => Target::GasDay,
    };
    let mut request = BacktestRequest::new(target);
    if let Some(m) = get("models")? {
        request.models = names(&m, "models")?.iter().map(|n| model(n)).collect::<PyResult<_>>()?;
    }
    if let Some(c) = text("champion")? {
        request.champion = Some(model(&c)?);
    }
    if let Some(m) = get("meters")? {
        request.meters = names(&m, "meters")?;
    }
    if let Some(d) = get("test_from")? {
        request.test_from = Some(day(&d, "test_from")?);
    }
    if let Some(d) = get("test_to")? {
        request.test_to = Some(day(&d, "test_to")?);
    }
    if let Some(n) = whole("refit_days")? {
        request.refit_days = n;
    }
    request.window_days = whole("window_days")?;
    if let Some(s) = text("scope")? {
        request.scope = scope(&s)?;
    }
    if let Some(d) = text("decision")? {
        request.decision = decision(&d)?;
    }
    if let Some(n) = whole("calibration_days")? {
        request.calibration_days = n;
    }
    if let Some(s) = text("sweep")? {
        request.sweep = Some(s.parse::<Sweep>().or_raise()?);
    }
    request.prices =
        prices(get("cost")?.as_ref(), get("gas_prices")?.as_ref(), get("electricity_prices")?.as_ref())?;
    if let Some(h) = get("capacity_hours")? {
        request.capacity_hours = h
            .extract::<Vec<u32>>()
            .or_else(|_| h.extract::<u32>().map(|one| vec![one]))
            .map_err(|_| PyTypeError::new_err("capacity_hours: expected local hours (0 to 23)"))?;
    }
    if let Some(l) = get("level")? {
        request.ab.level = l.extract().map_err(|_| PyTypeError::new_err("level: expected a number"))?;
    }
    if let Some(d) = get("delay")? {
        request.delay_s = duration_s(&d, "delay")?;
    }
    Ok(request)
}
