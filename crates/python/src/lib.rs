//! The native module of the Python package `vader` (`vader._vader`): the use cases of
//! [`vader::api`] on DataFrames, the same functions the command line calls.
//!
//! Tables go in and out through the Arrow C stream interface (`arrow.rs`); results come back as
//! polars DataFrames and plain Python objects; errors as `vader.VaderError` with vader's
//! message. The interpreter is released while vader works, so other Python threads run.

mod args;
mod arrow;
mod data;
mod errors;
mod results;
mod tables;

use pyo3::prelude::*;

/// The native module `vader._vader`.
#[pymodule]
fn _vader(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("VaderError", m.py().get_type::<errors::VaderError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<arrow::ArrowStream>()?;
    m.add_class::<results::Validation>()?;
    m.add_class::<results::Alert>()?;
    m.add_class::<results::Trained>()?;
    m.add_class::<results::Backtest>()?;
    m.add_function(wrap_pyfunction!(results::validate, m)?)?;
    m.add_function(wrap_pyfunction!(results::capacity_alert, m)?)?;
    m.add_function(wrap_pyfunction!(results::train, m)?)?;
    m.add_function(wrap_pyfunction!(results::nominate, m)?)?;
    m.add_function(wrap_pyfunction!(results::backtest, m)?)?;
    m.add_function(wrap_pyfunction!(results::backtest_plan, m)?)?;
    m.add_function(wrap_pyfunction!(results::backtest_shard, m)?)?;
    m.add_function(wrap_pyfunction!(results::backtest_merge, m)?)?;
    m.add_function(wrap_pyfunction!(results::compare, m)?)?;
    Ok(())
}
