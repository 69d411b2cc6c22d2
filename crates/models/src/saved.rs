//! Saving and loading fitted models: a versioned JSON file that records what the model was
//! trained on, so that a service can refuse inputs that do not match.
//!
//! Numbers are written in their shortest exact decimal form and read back exactly, so a loaded
//! model predicts bit for bit what the saved one did.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::matrix::FeatureMatrix;
use crate::registry::FittedModel;
use crate::traits::Predict;

/// The model-file format this version writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT: &str = "vader-model";

/// A model file: one fitted model per meter (or one for all meters), with what it was
/// trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Always `vader-model`.
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The vader version that trained the model.
    pub vader_version: String,
    /// The forecast target (`gas-day`, `electricity-day`, ...).
    pub target: String,
    /// The model recipe's name (`ols`, `seasonal-naive`, ...).
    pub model: String,
    /// First target day of the training rows.
    pub trained_from: String,
    /// Last target day of the training rows.
    pub trained_until: String,
    /// Feature columns the models expect, in order.
    pub feature_names: Vec<String>,
    /// Fitted models by meter id; a model for all meters is under the key `*`.
    pub models: BTreeMap<String, FittedModel>,
    /// Out-of-sample residuals (`actual − forecast`, kWh, sorted) of the model's recipe over the
    /// last days before `trained_until`, by meter and slot of the day (the period of an
    /// electricity schedule, the hour of a rest-of-day forecast; one slot for daily targets):
    /// what [`ModelFile::quantile`] calibrates quantiles on. Empty when not calibrated.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub calibration: BTreeMap<String, Vec<Vec<f64>>>,
}

impl ModelFile {
    /// A new file for `target`, stamped with this crate's version.
    pub fn new(target: &str, model: &str, span: (String, String), feature_names: Vec<String>) -> Self {
        Self {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            vader_version: env!("CARGO_PKG_VERSION").to_string(),
            target: target.to_string(),
            model: model.to_string(),
            trained_from: span.0,
            trained_until: span.1,
            feature_names,
            models: BTreeMap::new(),
            calibration: BTreeMap::new(),
        }
    }

    /// Fewest residuals [`ModelFile::quantile`] calibrates on.
    pub const MIN_RESIDUALS: usize = 14;

    /// The τ-quantile of `forecast` for `meter_id` at `slot` of its day, from the calibration
    /// residuals; none without at least [`ModelFile::MIN_RESIDUALS`] of them.
    pub fn quantile(&self, meter_id: &str, slot: usize, forecast: f64, tau: f64) -> Option<f64> {
        let sorted = self.calibration.get(meter_id)?.get(slot)?;
        (sorted.len() >= Self::MIN_RESIDUALS && forecast.is_finite())
            .then(|| crate::quantiles::quantile_of(forecast, sorted, tau))
    }

    /// The model for `meter_id`, or the model for all meters.
    pub fn model_for(&self, meter_id: &str) -> Option<&dyn Predict> {
        self.models.get(meter_id).or_else(|| self.models.get("*")).map(FittedModel::as_predictor)
    }

    /// Checks that `x` has every column the models were trained on.
    pub fn check_columns(&self, x: &FeatureMatrix) -> Result<()> {
        x.select(&self.feature_names).map(|_| ())
    }

    /// Writes the file (JSON), replacing `path` only once the whole file is written.
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |source| Error::Io { path: path.to_path_buf(), action: "writing", source };
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::BadModelFile { path: path.to_path_buf(), reason: e.to_string() })?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("model");
        let tmp = path.with_file_name(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a model file, refusing other formats and newer format versions.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            action: "reading",
            source,
        })?;
        let bad = |reason: String| Error::BadModelFile { path: path.to_path_buf(), reason };
        let head: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(bad("no `format: vader-model` field".into()));
        }
        let version = head.get("format_version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if version != u64::from(FORMAT_VERSION) {
            return Err(bad(format!("format version {version}, this vader reads {FORMAT_VERSION}")));
        }
        serde_json::from_value(head).map_err(|e| bad(e.to_string()))
    }
}
