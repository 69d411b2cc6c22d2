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
    /// A file or folder could not be read or written.
    #[error("{path}: {action} failed")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
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
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, action: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, action, source }
    }
}

/// Shorthand for results of the service.
pub type Result<T, E = Error> = std::result::Result<T, E>;
