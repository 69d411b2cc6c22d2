//! The one error type of `vader-models`.

use std::path::PathBuf;

/// Everything that can go wrong while fitting, applying, saving or loading a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is out of its range.
    #[error("parameter `{name}` {problem}")]
    InvalidParam {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// No model family knows this name.
    #[error("unknown model {name:?} (known: {known})")]
    UnknownModel {
        /// The name given.
        name: String,
        /// The names the families know.
        known: String,
    },
    /// Not enough observations to apply the model.
    #[error("needs at least {needed} training rows with a known actual, found {found}")]
    NotEnoughData {
        /// How many are needed.
        needed: usize,
        /// How many there are.
        found: usize,
    },
    /// Inconsistent shapes: names and columns, rows and targets.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A model needs a feature the matrix does not have.
    #[error("feature `{name}` is not in the matrix (columns: {available})")]
    MissingFeature {
        /// The feature.
        name: String,
        /// The columns there are.
        available: String,
    },
    /// A matrix does not have the columns a fitted model was trained on.
    #[error("the matrix lacks columns the model was trained on: {missing} (model columns: {expected})")]
    ColumnMismatch {
        /// The model's columns.
        expected: String,
        /// Those the matrix lacks.
        missing: String,
    },
    /// The underlying solver failed.
    #[error("{model} failed to fit: {reason}")]
    Fit {
        /// The model.
        model: &'static str,
        /// What the solver said.
        reason: String,
    },
    /// A model file could not be read or written.
    #[error("{path}: {action} failed")]
    Io {
        /// The file.
        path: PathBuf,
        /// "reading" or "writing".
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A model file is not a vader model, or of a format this version cannot read.
    #[error("{path}: not a vader model file: {reason}")]
    BadModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
