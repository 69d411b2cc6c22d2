//! What Python passes as data: a data folder, or a dict of tables (files or DataFrames).

use std::path::PathBuf;

use pyo3::exceptions::{PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use vader::features::{Dataset, Input, Tables};

use crate::arrow;
use crate::errors::OrRaise;

/// The tables a dict may hold.
const TABLES: [&str; 6] = ["readings", "meters", "weather", "closures", "covariates", "holidays"];

/// A path given as `str` or `os.PathLike`, or `None` when `object` is neither.
pub fn path_of(object: &Bound<'_, PyAny>) -> Option<PathBuf> {
    if object.is_instance_of::<PyString>() || object.hasattr("__fspath__").unwrap_or(false) {
        object.extract::<PathBuf>().ok()
    } else {
        None
    }
}

/// The tables of `data`: a folder (`str` or `os.PathLike`), or a dict whose keys are table
/// names and whose values are file paths or Arrow tables (polars, pandas, pyarrow).
pub fn tables(data: &Bound<'_, PyAny>) -> PyResult<Tables> {
    if let Some(dir) = path_of(data) {
        return Tables::in_folder(&dir).or_raise();
    }
    let Ok(dict) = data.cast::<PyDict>() else {
        return Err(PyTypeError::new_err(format!(
            "data: expected a data folder (str or os.PathLike) or a dict of tables ({}), got {}",
            TABLES.join(", "),
            data.get_type().name()?
        )));
    };
    let mut found: [Option<Input>; 6] = Default::default();
    for (key, value) in dict.iter() {
        let key: String =
            key.extract().map_err(|_| PyTypeError::new_err("data: the dict's keys are table names"))?;
        let Some(slot) = TABLES.iter().position(|t| *t == key) else {
            return Err(PyKeyError::new_err(format!(
                "data: no table {key:?} (tables: {})",
                TABLES.join(", ")
            )));
        };
        found[slot] = Some(match path_of(&value) {
            Some(path) => Input::File(path),
            None => Input::frame(key.clone(), arrow::import(&value, &format!("data[{key:?}]"))?),
        });
    }
    let [readings, meters, weather, closures, covariates, holidays] = found;
    let required = |table: Option<Input>, name: &str| {
        table.ok_or_else(|| PyKeyError::new_err(format!("data: the dict has no {name:?} table (required)")))
    };
    Ok(Tables {
        name: PathBuf::from("DataFrames"),
        readings: required(readings, "readings")?,
        meters: required(meters, "meters")?,
        weather,
        closures,
        covariates,
        holidays,
    })
}

/// Reads `data` (see [`tables`]) into a dataset, without holding the interpreter.
pub fn dataset(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Dataset> {
    let tables = tables(data)?;
    py.detach(|| Dataset::from_tables(tables)).or_raise()
}
