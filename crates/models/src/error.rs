//! The one error type of `vader-models`.

/// Everything that can go wrong while fitting or applying a model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
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
    /// Not enough observations to apply the model.
    #[error("needs {needed} complete observations, found {found}")]
    NotEnoughData {
        /// How many are needed.
        needed: usize,
        /// How many there are.
        found: usize,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
