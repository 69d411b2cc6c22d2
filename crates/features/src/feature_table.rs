//! Feature rows with their keys and targets, and the builder that produces them: a feature's
//! name and its value are pushed together, so names and values cannot drift apart.

use chrono::NaiveDate;
use ndarray::Array2;
use vader_models::FeatureMatrix;

use crate::error::{Error, Result};
use crate::target::Target;

/// One row's identity: which meter, which target interval, decided when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowKey {
    /// The meter.
    pub meter_id: String,
    /// The target day.
    pub day: NaiveDate,
    /// Start of the target interval (the day, or one settlement period), Unix seconds.
    pub start: i64,
    /// End of the target interval, Unix seconds.
    pub end: i64,
    /// The decision instant, Unix seconds.
    pub decision_at: i64,
    /// The slot of the day the row is for, read on the local clock from the day's start
    /// ([`crate::DayConvention::slot_of`]): 0 for day-level targets, the settlement period of
    /// an electricity schedule, the hour of a rest-of-gas-day decision. On a 25-hour day the
    /// repeated hour shares its slot with the first; on a 23-hour day the skipped hour's slot
    /// does not occur. Quantiles are calibrated per slot.
    pub slot: u32,
}

/// Feature rows with their keys and targets.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// The target the rows are for.
    pub target: Target,
    /// One key per row.
    pub keys: Vec<RowKey>,
    /// The features, one row per key.
    pub matrix: FeatureMatrix,
    /// The actual of each row's target interval, NaN where it is incomplete in the data.
    pub actual: Vec<f64>,
    /// When each actual became known (Unix seconds; `i64::MAX` if never): a row may train a
    /// model only from that instant on.
    pub actual_known_at: Vec<i64>,
}

/// Builds a [`FeatureTable`] row by row. The first row's names fix the columns; every later
/// row must push the same names in the same order, or [`TableBuilder::finish`] fails.
#[derive(Debug)]
pub(crate) struct TableBuilder {
    target: Target,
    names: Vec<String>,
    flat: Vec<f64>,
    keys: Vec<RowKey>,
    actual: Vec<f64>,
    actual_known_at: Vec<i64>,
    /// Position in the row being pushed.
    col: usize,
    /// How the first row that did not match the first row's names differed.
    drift: Option<String>,
}

impl TableBuilder {
    pub(crate) fn new(target: Target) -> Self {
        Self {
            target,
            names: Vec::new(),
            flat: Vec::new(),
            keys: Vec::new(),
            actual: Vec::new(),
            actual_known_at: Vec::new(),
            col: 0,
            drift: None,
        }
    }

    /// Pushes one feature of the current row.
    pub(crate) fn push(&mut self, name: &str, value: f64) {
        if self.keys.is_empty() {
            self.names.push(name.to_string());
        } else if self.drift.is_none() && self.names.get(self.col).map(String::as_str) != Some(name) {
            let expected = self.names.get(self.col).map_or("no feature", String::as_str);
            self.drift =
                Some(format!("row {} pushed {name:?} where the first row had {expected:?}", self.keys.len()));
        }
        self.flat.push(value);
        self.col += 1;
    }

    /// Pushes a block of features, names and values in the same order.
    pub(crate) fn push_all<const N: usize>(&mut self, names: &[&str; N], values: [f64; N]) {
        for (name, value) in names.iter().zip(values) {
            self.push(name, value);
        }
    }

    /// Ends the current row with its key and its actual.
    pub(crate) fn end_row(&mut self, key: RowKey, actual: f64, actual_known_at: i64) {
        if self.drift.is_none() && self.col != self.names.len() {
            self.drift = Some(format!(
                "row {} has {} features, the first row {}",
                self.keys.len(),
                self.col,
                self.names.len()
            ));
        }
        self.col = 0;
        self.keys.push(key);
        self.actual.push(actual);
        self.actual_known_at.push(actual_known_at);
    }

    /// The table; an error if a row's features did not match the first row's.
    pub(crate) fn finish(self) -> Result<FeatureTable> {
        if let Some(drift) = self.drift {
            return Err(Error::Invalid(format!("{} features: {drift}", self.target)));
        }
        let values = Array2::from_shape_vec((self.keys.len(), self.names.len()), self.flat)
            .map_err(|e| Error::Invalid(format!("feature matrix shape: {e}")))?;
        let matrix = FeatureMatrix::new(self.names, values).map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(FeatureTable {
            target: self.target,
            keys: self.keys,
            matrix,
            actual: self.actual,
            actual_known_at: self.actual_known_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(day: u32) -> RowKey {
        RowKey {
            meter_id: "M".into(),
            day: NaiveDate::from_ymd_opt(2025, 1, day).unwrap_or_default(),
            start: 0,
            end: 0,
            decision_at: 0,
            slot: 0,
        }
    }

    #[test]
    fn names_and_values_are_pushed_together() -> Result<()> {
        let mut b = TableBuilder::new(Target::GasDay);
        for day in 1..=2 {
            b.push("a", f64::from(day));
            b.push_all(&["b", "c"], [1.0, 2.0]);
            b.end_row(key(day), 0.0, 0);
        }
        let table = b.finish()?;
        assert_eq!(table.matrix.names(), ["a", "b", "c"]);
        assert_eq!(table.matrix.column("a").map(|c| c.to_vec()), Some(vec![1.0, 2.0]));
        Ok(())
    }

    #[test]
    fn a_row_that_drifts_from_the_first_is_an_error() {
        let mut b = TableBuilder::new(Target::GasDay);
        b.push_all(&["a", "b"], [1.0, 2.0]);
        b.end_row(key(1), 0.0, 0);
        b.push_all(&["b", "a"], [2.0, 1.0]);
        b.end_row(key(2), 0.0, 0);
        assert!(b.finish().is_err());
        let mut short = TableBuilder::new(Target::GasDay);
        short.push_all(&["a", "b"], [1.0, 2.0]);
        short.end_row(key(1), 0.0, 0);
        short.push("a", 1.0);
        short.end_row(key(2), 0.0, 0);
        assert!(short.finish().is_err());
    }
}
