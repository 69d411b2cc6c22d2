//! The one error type of the `vader` library.

use std::path::PathBuf;

/// Everything that can go wrong in a use case of [`crate::api`] or while writing its outputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or shaping the data failed.
    #[error(transparent)]
    Features(#[from] vader_features::Error),
    /// Fitting, applying, saving or loading a model failed.
    #[error(transparent)]
    Model(#[from] vader_models::Error),
    /// Replaying, pricing or comparing decisions failed.
    #[error(transparent)]
    Backtest(#[from] vader_backtest::Error),
    /// A file or folder could not be read or written.
    #[error("{path}: {action} failed")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done ("writing", "creating the folder", ...).
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A picture could not be drawn.
    #[error("{path}: drawing failed: {reason}")]
    Drawing {
        /// The picture.
        path: PathBuf,
        /// What the plotting library said.
        reason: String,
    },
    /// A model file that does not fit the request.
    #[error("{path}: {problem}")]
    ModelFile {
        /// The model file.
        path: PathBuf,
        /// What does not fit.
        problem: String,
    },
    /// A request that cannot be answered as asked.
    #[error("{0}")]
    Request(String),
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, action: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, action, source }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
