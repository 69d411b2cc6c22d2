//! The one error type of `vader-backtest`.

/// Everything that can go wrong while replaying decisions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or shaping the data failed.
    #[error(transparent)]
    Features(#[from] vader_features::Error),
    /// Fitting or applying a model failed.
    #[error(transparent)]
    Model(#[from] vader_models::Error),
    /// A request that does not make sense.
    #[error("{0}")]
    Invalid(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
