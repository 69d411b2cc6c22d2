//! The registry: every model family vader knows, in one list.
//!
//! [`ModelSpec`] (a recipe named on the command line or in a config file) and [`FittedModel`]
//! (what a model file holds) are generated from the list at the bottom of this file, so that a
//! new family is its own file implementing [`Family`] plus one line here.
//!
//! ```
//! use vader_models::ModelSpec;
//!
//! let spec = ModelSpec::named("gbm-q0.9")?;
//! assert_eq!(spec.name(), "gbm-q0.9");
//! assert!(ModelSpec::named("gbm-q1.5").is_err()); // a quantile level must be in (0, 1)
//! assert!(ModelSpec::named("prophet").unwrap_err().to_string().contains("persistence"));
//! # Ok::<(), vader_models::Error>(())
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::matrix::FeatureMatrix;
use crate::traits::{Family, FitBoxed, Predict};

/// Generates [`ModelSpec`] and [`FittedModel`] with one variant per family.
macro_rules! families {
    ($($(#[$doc:meta])* $variant:ident => $family:ty),+ $(,)?) => {
        /// A model recipe of any family vader knows: what a command line or a config file names.
        ///
        /// It reads and writes as its name (`"ridge"`, `"gbm-q0.9"`), in text and in serde.
        #[derive(Debug, Clone, PartialEq)]
        pub enum ModelSpec {
            $($(#[$doc])* $variant(<$family as Family>::Spec)),+
        }

        /// Any fitted model of a family vader knows, in the form a model file holds.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "kebab-case")]
        pub enum FittedModel {
            $($(#[$doc])* $variant(<$family as Family>::Fitted)),+
        }

        impl ModelSpec {
            /// Parses a recipe name (`persistence`, `mean-7d`, `ridge-0.1`, `gbm-q0.9`, ...):
            /// `None` when no family knows it, an error when its parameters are out of range.
            pub fn parse(text: &str) -> Option<Result<Self>> {
                let text = text.trim();
                $(if let Some(spec) = <$family as Family>::parse(text) {
                    return Some(spec.map(Self::$variant));
                })+
                None
            }

            /// The recipe's name, as [`ModelSpec::parse`] reads it back.
            pub fn name(&self) -> String {
                match self {
                    $(Self::$variant(spec) => <$family as Family>::name(spec)),+
                }
            }

            /// Fits the recipe into a model that a model file can hold.
            pub fn fit(&self, x: &FeatureMatrix, y: &[f64]) -> Result<FittedModel> {
                match self {
                    $(Self::$variant(spec) => <$family as Family>::fit(spec, x, y).map(FittedModel::$variant)),+
                }
            }

            /// Every name the families parse, for help and errors.
            pub fn known_names() -> Vec<&'static str> {
                [$(<$family as Family>::NAMES),+].concat()
            }
        }

        impl FittedModel {
            /// The model as a predictor.
            pub fn as_predictor(&self) -> &dyn Predict {
                match self {
                    $(Self::$variant(model) => model),+
                }
            }
        }
    };
}

impl ModelSpec {
    /// Parses a recipe name, with an error naming the known models when no family knows it.
    pub fn named(text: &str) -> Result<Self> {
        Self::parse(text).unwrap_or_else(|| {
            Err(Error::UnknownModel { name: text.to_string(), known: Self::known_names().join(", ") })
        })
    }
}

impl std::str::FromStr for ModelSpec {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::named(text)
    }
}

impl std::fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for ModelSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for ModelSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::named(&name).map_err(serde::de::Error::custom)
    }
}

impl FitBoxed for ModelSpec {
    fn name(&self) -> String {
        ModelSpec::name(self)
    }

    fn fit_boxed(&self, x: &FeatureMatrix, y: &[f64]) -> Result<Box<dyn Predict>> {
        Ok(Box::new(self.fit(x, y)?))
    }
}

impl Predict for FittedModel {
    fn name(&self) -> &str {
        self.as_predictor().name()
    }

    fn feature_names(&self) -> &[String] {
        self.as_predictor().feature_names()
    }

    fn predict(&self, x: &FeatureMatrix) -> Result<Vec<f64>> {
        self.as_predictor().predict(x)
    }

    fn choice(&self) -> Option<String> {
        self.as_predictor().choice()
    }
}

families! {
    /// Baseline rules: persistence, seasonal naive, k-day means, the intraday capacity rule.
    Baseline => crate::baseline::BaselineFamily,
    /// OLS and ridge regression.
    Linear => crate::linear::LinearFamily,
    /// Gradient-boosted trees, squared or quantile loss.
    Gbm => crate::gbm::GbmFamily,
    /// Boosted trees tuned per meter by nested time-series validation.
    TunedGbm => crate::gbm::tuned::TunedGbmFamily,
    /// Random forests (smartcore).
    Forest => crate::forest::ForestFamily,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_name_reads_back_as_itself() -> Result<()> {
        for name in [
            "persistence",
            "seasonal-naive",
            "mean-7d",
            "mean-28d",
            "intraday-5h",
            "ols",
            "ridge",
            "ridge-0.1",
            "gbm",
            "gbm-q0.9",
            "gbm-tuned",
            "gbm-tuned-q0.5",
            "forest",
        ] {
            let spec = ModelSpec::named(name)?;
            assert_eq!(spec.name(), name);
            let json = serde_json::to_string(&spec).map_err(|e| Error::Shape(e.to_string()))?;
            assert_eq!(json, format!("\"{name}\""));
        }
        assert_eq!(ModelSpec::named("linear")?.name(), "ols");
        Ok(())
    }

    #[test]
    fn out_of_range_parameters_are_refused_when_named() {
        for name in ["gbm-q0", "gbm-q1.5", "ridge-0", "ridge--1", "mean-0d", "intraday-0h"] {
            assert!(matches!(ModelSpec::parse(name), Some(Err(_))), "{name}");
        }
        assert!(ModelSpec::parse("prophet").is_none());
    }

    #[test]
    fn the_fitted_model_carries_the_recipe_name() -> Result<()> {
        let x = FeatureMatrix::from_rows(vec!["a".into()], &[[1.0], [2.0], [3.0], [4.0]])?;
        let fitted = ModelSpec::named("ridge-0.1")?.fit(&x, &[1.0, 2.0, 3.0, 4.0])?;
        assert_eq!(fitted.name(), "ridge-0.1");
        Ok(())
    }
}
