//! Tables across the Python boundary through the Arrow C stream interface (the
//! `__arrow_c_stream__` PyCapsule protocol), so that any Arrow producer or consumer works (the
//! user's polars, pandas, pyarrow, DuckDB), whatever its version.
//!
//! The only `unsafe` code of the workspace is here: moving a stream out of a capsule, and
//! reading it. Both follow the protocol: the consumer moves the stream struct out and leaves a
//! released one behind, so the capsule's destructor frees only a stream nobody took.

#![allow(unsafe_code)]

use std::ffi::CStr;

use polars::prelude::{CompatLevel, DataFrame, PolarsResult};
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field};
use polars_arrow::ffi::{ArrowArrayStream, ArrowArrayStreamReader, export_iterator};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::VaderError;

/// The capsule name the protocol requires.
const STREAM: &CStr = c"arrow_array_stream";

/// An exported stream, owned by its capsule until a consumer moves it out.
#[repr(transparent)]
struct OwnedStream(ArrowArrayStream);

// SAFETY: the stream's private data (an iterator over owned arrays) is not tied to a thread;
// the protocol lets a consumer read it from any thread, one at a time.
unsafe impl Send for OwnedStream {}

/// A table leaving vader: a polars DataFrame that Python reads through
/// `__arrow_c_stream__` (`polars.DataFrame(stream)`, `pyarrow.table(stream)`).
#[pyclass(module = "vader._vader", frozen)]
pub struct ArrowStream {
    frame: DataFrame,
}

impl ArrowStream {
    /// Wraps a table to hand to Python.
    pub fn new(mut frame: DataFrame) -> Self {
        frame.rechunk_mut();
        Self { frame }
    }
}

#[pymethods]
impl ArrowStream {
    /// Exports the table as an Arrow C stream in a PyCapsule (the Arrow PyCapsule
    /// interface). `requested_schema` is accepted and ignored, as the protocol allows.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let stream = export(&self.frame);
        PyCapsule::new_with_value(py, OwnedStream(stream), STREAM)
    }

    /// Number of rows.
    fn __len__(&self) -> usize {
        self.frame.height()
    }

    /// The column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.frame.get_column_names().iter().map(|n| n.to_string()).collect()
    }

    fn __repr__(&self) -> String {
        format!("<ArrowStream: {} rows, columns {}>", self.frame.height(), self.columns().join(", "))
    }
}

/// The Arrow C stream of `frame`, one struct array per chunk. Strings go out as large UTF-8
/// (the oldest Arrow layout polars writes), which every consumer reads.
fn export(frame: &DataFrame) -> ArrowArrayStream {
    let level = CompatLevel::oldest();
    let fields: Vec<Field> = frame.columns().iter().map(|c| c.field().to_arrow(level)).collect();
    let dtype = ArrowDataType::Struct(fields);
    let batches: Vec<PolarsResult<Box<dyn Array>>> = frame
        .iter_chunks(level, false)
        .map(|batch| {
            let height = batch.height();
            Ok(StructArray::new(dtype.clone(), height, batch.into_arrays(), None).boxed())
        })
        .collect();
    export_iterator(Box::new(batches.into_iter()), Field::new("".into(), dtype, false))
}

/// Reads a table coming from Python: any object with `__arrow_c_stream__` (polars ≥ 1.4,
/// pandas ≥ 2.2, pyarrow ≥ 14, ...). `what` names it in errors.
pub fn import(object: &Bound<'_, PyAny>, what: &str) -> PyResult<DataFrame> {
    if !object.hasattr("__arrow_c_stream__")? {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected a data folder or file path, or a table with __arrow_c_stream__ \
             (polars, pandas >= 2.2, pyarrow), got {}",
            object.get_type().name()?
        )));
    }
    let capsule = object.call_method0("__arrow_c_stream__")?;
    let capsule = capsule.cast::<PyCapsule>().map_err(|_| {
        PyTypeError::new_err(format!("{what}: __arrow_c_stream__ did not return a PyCapsule"))
    })?;
    let pointer = capsule.pointer_checked(Some(STREAM))?.cast::<ArrowArrayStream>();
    // SAFETY: the capsule holds a valid ArrowArrayStream (its name says so); we move it out
    // and leave a released (empty) stream behind, as the protocol asks of a consumer.
    let stream = unsafe { std::ptr::replace(pointer.as_ptr(), ArrowArrayStream::empty()) };
    let fail = |e: polars::prelude::PolarsError| VaderError::new_err(format!("{what}: {e}"));
    // SAFETY: the stream was produced by an Arrow C stream producer and is now ours alone.
    let mut reader = unsafe { ArrowArrayStreamReader::try_new(Box::new(stream)) }.map_err(fail)?;
    let mut frame: Option<DataFrame> = None;
    // SAFETY: `reader` owns the stream; each array it yields is owned.
    while let Some(array) = unsafe { reader.next() } {
        let array = array.map_err(fail)?;
        let Some(batch) = array.as_any().downcast_ref::<StructArray>() else {
            return Err(VaderError::new_err(format!("{what}: the Arrow stream does not hold a table")));
        };
        let batch = DataFrame::try_from(batch.clone()).map_err(fail)?;
        match frame.as_mut() {
            None => frame = Some(batch),
            Some(f) => {
                f.vstack_mut(&batch).map_err(fail)?;
            }
        }
    }
    match frame {
        Some(mut f) => {
            f.rechunk_mut();
            Ok(f)
        }
        None => {
            // No batch: an empty table with the stream's columns.
            let ArrowDataType::Struct(fields) = reader.field().dtype() else {
                return Err(VaderError::new_err(format!("{what}: the Arrow stream does not hold a table")));
            };
            let schema: polars::prelude::Schema = fields.iter().map(polars::prelude::Field::from).collect();
            Ok(DataFrame::empty_with_schema(&schema))
        }
    }
}
