//! Checked parameters.
//!
//! Every parameter set of this crate ([`crate::WalkForwardParams`],
//! [`crate::decisions::DecisionParams`], [`crate::ab::AbParams`], [`crate::cost::CostParams`],
//! [`crate::run::BacktestSpec`]) has a `check()` that validates it once and returns it as
//! [`Valid`]; the functions that replay, decide and compare take the checked form, so none of
//! them starts on a parameter out of range (linfa's `ParamGuard`, in one generic wrapper).
//!
//! ```
//! use vader_backtest::ab::AbParams;
//!
//! assert!(AbParams { level: 0.7, ..AbParams::default() }.check().is_err());
//! let checked = AbParams::default().check()?;
//! assert_eq!(checked.level, 0.05); // a `Valid<AbParams>` reads as the parameters
//! # Ok::<(), vader_backtest::Error>(())
//! ```

use std::ops::Deref;

/// Parameters that passed their `check()`; they read as the parameters themselves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valid<T>(T);

impl<T> Valid<T> {
    /// Wraps parameters just checked (only this crate's `check()` functions call it).
    pub(crate) fn checked(params: T) -> Self {
        Self(params)
    }

    /// The parameters.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Valid<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// An [`crate::Error::InvalidParam`] for `name`.
pub(crate) fn invalid<T>(name: &'static str, problem: impl Into<String>) -> crate::error::Result<T> {
    Err(crate::error::Error::InvalidParam { name, problem: problem.into() })
}
