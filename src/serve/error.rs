//! The errors of `vader serve`.

use std::path::PathBuf;

/// Everything that can stop a step of the service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A use case of the library failed.
    #[error(transparent)]
    Vader(#[from] crate::Error),
    /// Reading or shaping data failed.
    #[error(transparent)]
    Features(#[from] vader_features::Error),
    /// A model file could not be read or written.
    #[error(transparent)]
    Model(#[from] vader_models::Error),
    /// Pulling files from the SFTP server failed.
    #[error(transparent)]
    Sftp(#[from] super::sftp::SftpError),
    /// Queueing or sending mail failed.
    #[error(transparent)]
    Mail(#[from] super::mail::MailError),
    /// The store could not be read or written.
    #[error("{path}: {reason}")]
    Store {
        /// The partition or folder.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A state or index file is not what it should be.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration is wrong.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// A file or folder error of `path` ([`crate::Error::Io`]).
    pub(crate) fn io(path: impl Into<PathBuf>, action: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        let io = crate::Error::io(path, action);
        move |source| Self::Vader(io(source))
    }
}

/// Shorthand for results of the service.
pub type Result<T, E = Error> = std::result::Result<T, E>;
