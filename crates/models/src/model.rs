//! The common trait: a recipe fits into a fitted model; a fitted model predicts.
//!
//! As in augurs, the recipe ([`Fit`]) and the fitted model ([`Predict`]) are distinct types, so
//! an unfitted model cannot be asked for a prediction. [`Predict`] is object-safe and
//! [`FitBoxed`] gives any recipe a boxed form, so a backtest can hold a list of different
//! models and run them side by side.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::matrix::FeatureMatrix;
use crate::saved::FittedModel;

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

    /// The model in its serializable form, for saving; `None` for a model that cannot be saved
    /// in a vader model file (a model of your own, say).
    fn to_saved(&self) -> Option<FittedModel> {
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
        return Err(crate::Error::Shape(format!("{} rows for {} targets", x.nrows(), y.len())));
    }
    if y.is_empty() {
        return Err(crate::Error::NotEnoughData { needed: 1, found: 0 });
    }
    Ok(())
}

/// Every model vader knows, by recipe: the type a command line or a config file names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum ModelSpec {
    /// The last complete day known at the decision time.
    Persistence,
    /// The same weekday one week before the target day.
    SeasonalNaive,
    /// The mean of the last `days` complete days (7, 14 or 28).
    MeanOfLastDays {
        /// Window length in days.
        days: u32,
    },
    /// The capacity rule on a rest-of-day target: mean of the last `hours` complete hours ×
    /// hours in the day, minus what is known.
    IntradayMean {
        /// Recent complete hours averaged (1, 3 or 5).
        hours: usize,
    },
    /// Ordinary least squares on all features.
    Ols,
    /// Gradient-boosted trees correcting the last known day (squared loss).
    Gbm,
    /// Gradient-boosted trees with quantile loss at `tau`, correcting the last known day.
    GbmQuantile {
        /// The quantile level.
        tau: f64,
    },
    /// Ridge regression on standardized features; λ chosen on a validation tail when `None`.
    Ridge {
        /// L2 penalty.
        lambda: Option<f64>,
    },
}

impl ModelSpec {
    /// A short name for tables.
    pub fn name(&self) -> String {
        match self {
            Self::Persistence => "persistence".into(),
            Self::SeasonalNaive => "seasonal-naive".into(),
            Self::MeanOfLastDays { days } => format!("mean-{days}d"),
            Self::IntradayMean { hours } => format!("intraday-{hours}h"),
            Self::Ols => "ols".into(),
            Self::Gbm => "gbm".into(),
            Self::GbmQuantile { tau } => format!("gbm-q{tau}"),
            Self::Ridge { lambda: None } => "ridge".into(),
            Self::Ridge { lambda: Some(l) } => format!("ridge-{l}"),
        }
    }

    /// Parses a name as written on the command line: `persistence`, `seasonal-naive`,
    /// `mean-7d`, `intraday-5h`, `ols`, `linear` (= ols), `ridge` (λ chosen on a validation tail),
    /// `ridge-0.1`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "persistence" => Self::Persistence,
            "seasonal-naive" => Self::SeasonalNaive,
            "ols" | "linear" => Self::Ols,
            "gbm" => Self::Gbm,
            other if other.starts_with("gbm-q") => Self::GbmQuantile { tau: other[5..].parse().ok()? },
            "ridge" => Self::Ridge { lambda: None },
            other if other.starts_with("ridge-") => Self::Ridge { lambda: Some(other[6..].parse().ok()?) },
            other if other.starts_with("intraday-") => Self::IntradayMean {
                hours: other.strip_prefix("intraday-")?.strip_suffix('h')?.parse().ok()?,
            },
            other => {
                let days = other.strip_prefix("mean-")?.strip_suffix('d')?.parse().ok()?;
                Self::MeanOfLastDays { days }
            }
        })
    }
}

impl FitBoxed for ModelSpec {
    fn name(&self) -> String {
        ModelSpec::name(self)
    }

    fn fit_boxed(&self, x: &FeatureMatrix, y: &[f64]) -> Result<Box<dyn Predict>> {
        use crate::baseline::{Baseline, BaselineRule};
        use crate::linear::{LinearParams, Penalty};
        Ok(match *self {
            Self::Persistence => Box::new(Baseline::new(BaselineRule::Persistence).fit(x, y)?),
            Self::SeasonalNaive => Box::new(Baseline::new(BaselineRule::SeasonalNaive).fit(x, y)?),
            Self::MeanOfLastDays { days } => {
                Box::new(Baseline::new(BaselineRule::MeanOfLastDays(days)).fit(x, y)?)
            }
            Self::IntradayMean { hours } => {
                Box::new(Baseline::new(BaselineRule::IntradayMean(hours)).fit(x, y)?)
            }
            Self::Ols => Box::new(LinearParams::new(Penalty::None).check()?.fit(x, y)?),
            Self::Gbm | Self::GbmQuantile { .. } => {
                use crate::gbm::{GbmParams, Loss};
                let loss = match *self {
                    Self::GbmQuantile { tau } => Loss::Quantile(tau),
                    _ => Loss::Squared,
                };
                let offset = x.column(crate::columns::LAST_DAY).map(|_| crate::columns::LAST_DAY.to_string());
                Box::new(GbmParams { loss, offset, ..GbmParams::default() }.check()?.fit(x, y)?)
            }
            Self::Ridge { lambda } => {
                let penalty = lambda.map_or(Penalty::RidgeCv, Penalty::Ridge);
                Box::new(LinearParams::new(penalty).check()?.fit(x, y)?)
            }
        })
    }
}
