//! The common traits: a recipe fits into a fitted model; a fitted model predicts; a model
//! family names its recipes.
//!
//! As in augurs, the recipe ([`Fit`]) and the fitted model ([`Predict`]) are distinct types, so
//! an unfitted model cannot be asked for a prediction. [`Predict`] is object-safe and
//! [`FitBoxed`] gives any recipe a boxed form, so a backtest can hold a list of different
//! models and run them side by side. A [`Family`] is what the registry
//! ([`crate::registry`]) lists: how its recipes are named, checked and fitted into a saveable
//! model.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::matrix::FeatureMatrix;

/// A model recipe: checked parameters, ready to fit.
pub trait Fit {
    /// The fitted model this recipe produces.
    type Fitted: Predict + 'static;

    /// Fits on the rows of `x` with targets `y` (one per row).
    fn fit(&self, x: &FeatureMatrix, y: &[f64]) -> Result<Self::Fitted>;
}

/// A fitted model.
pub trait Predict: Send + Sync {
    /// A short name for tables ("ols", "seasonal-naive", ...).
    fn name(&self) -> &str;

    /// The feature columns the model reads, in its order.
    fn feature_names(&self) -> &[String];

    /// Predicts one value per row of `x`. Columns are matched by name, so their order in `x`
    /// does not matter; a missing column is an error.
    fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>>;

    /// What the fit chose, for a report (a tuned model's parameters); `None` for a model with
    /// nothing to report.
    fn choice(&self) -> Option<String> {
        None
    }
}

/// The boxed form of [`Fit`], for lists of different models.
pub trait FitBoxed: Send + Sync {
    /// A short name for tables.
    fn name(&self) -> String;

    /// Fits and boxes the fitted model.
    fn fit_boxed(&self, x: &FeatureMatrix, y: &[f64]) -> Result<Box<dyn Predict>>;
}

impl<T: FitBoxed + ?Sized> FitBoxed for Box<T> {
    fn name(&self) -> String {
        (**self).name()
    }

    fn fit_boxed(&self, x: &FeatureMatrix, y: &[f64]) -> Result<Box<dyn Predict>> {
        (**self).fit_boxed(x, y)
    }
}

impl<T: FitBoxed + ?Sized> FitBoxed for &T {
    fn name(&self) -> String {
        (**self).name()
    }

    fn fit_boxed(&self, x: &FeatureMatrix, y: &[f64]) -> Result<Box<dyn Predict>> {
        (**self).fit_boxed(x, y)
    }
}

/// Checks that targets and rows agree, a check every model's `fit` starts with.
pub(crate) fn check_rows(x: &FeatureMatrix, y: &[f64]) -> Result<()> {
    if x.nrows() != y.len() {
        return Err(crate::error::Error::Shape(format!("{} rows for {} targets", x.nrows(), y.len())));
    }
    if y.is_empty() {
        return Err(crate::error::Error::NotEnoughData { needed: 1, found: 0 });
    }
    Ok(())
}

/// A family of models (the baselines, the linear models, the boosted trees): how its recipes
/// are named on the command line, checked, and fitted into a model that a model file can hold.
///
/// A new family is its own file implementing this trait, plus one line in
/// [`crate::registry`].
pub trait Family {
    /// A checked recipe of the family.
    type Spec: Debug + Clone + PartialEq + Send + Sync;
    /// What a recipe fits into: a predictor that serializes into a model file.
    type Fitted: Predict + Debug + Clone + PartialEq + Serialize + DeserializeOwned + 'static;

    /// The names the family parses, as shown in help and errors (`mean-<k>d` for a pattern).
    const NAMES: &'static [&'static str];

    /// Parses a recipe name: `None` when the name is not of this family, an error when it is
    /// but its parameters are out of range (`gbm-q1.5`).
    fn parse(text: &str) -> Option<Result<Self::Spec>>;

    /// The recipe's name, as [`Family::parse`] reads it back.
    fn name(spec: &Self::Spec) -> String;

    /// Fits the recipe on the rows of `x` with targets `y`; the fitted model carries the
    /// recipe's name.
    fn fit(spec: &Self::Spec, x: &FeatureMatrix, y: &[f64]) -> Result<Self::Fitted>;
}
