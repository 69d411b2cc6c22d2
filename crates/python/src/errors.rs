//! vader's errors as Python exceptions: `vader.VaderError`, with vader's message and its causes.

use pyo3::PyErr;
use pyo3::create_exception;
use pyo3::exceptions::PyException;

create_exception!(
    _vader,
    VaderError,
    PyException,
    "What vader could not do, and why: a file, row and column that cannot be read, a meter with \
     no readings, a test period outside the data. The message is vader's, causes included."
);

/// The Python exception for a vader error: its message, then each cause not already in it.
pub fn to_py(error: &(dyn std::error::Error + 'static)) -> PyErr {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = e.source();
    }
    VaderError::new_err(message)
}

/// Converts a vader result for Python.
pub trait OrRaise<T> {
    /// The value, or the error as a [`VaderError`].
    fn or_raise(self) -> Result<T, PyErr>;
}

impl<T, E: std::error::Error + 'static> OrRaise<T> for Result<T, E> {
    fn or_raise(self) -> Result<T, PyErr> {
        self.map_err(|e| to_py(&e))
    }
}
