//! The as-of feature table of a target, for notebooks and other tools.

use chrono::NaiveDate;
use vader_features::{Dataset, FeatureTable, Target, days_between, features};

use crate::error::{Error, Result};

/// Which rows to build.
#[derive(Debug, Clone)]
pub struct FeaturesRequest {
    /// The forecast target.
    pub target: Target,
    /// Only these meters; empty: every meter the target applies to.
    pub meters: Vec<String>,
    /// First target day; `None`: the first day of data.
    pub from: Option<NaiveDate>,
    /// Last target day; `None`: the last day of data.
    pub to: Option<NaiveDate>,
    /// Delay before a reading without `received_at` is known, seconds.
    pub delay_s: i64,
}

/// The as-of feature table of `request` on `data`, with the number of meters and days in it.
pub fn feature_table(data: &Dataset, request: &FeaturesRequest) -> Result<(FeatureTable, usize, usize)> {
    let meters = data.meters_for(request.target, &request.meters)?;
    let (first, last) = data
        .target_days(&meters, request.target)
        .ok_or_else(|| Error::Request(format!("{}: the meters have no readings", data.dir.display())))?;
    let days = days_between(request.from.unwrap_or(first), request.to.unwrap_or(last));
    let table = features(data, &meters, request.target, &days, request.delay_s)?;
    Ok((table, meters.len(), days.len()))
}
