//! A matrix of named feature columns: what every model fits on and predicts from.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Rows of observations, columns of named features.
///
/// Missing values are NaN; each model says how it treats them.
///
/// ```
/// use vader_models::FeatureMatrix;
///
/// let x = FeatureMatrix::from_rows(vec!["lag_1".into(), "hdd".into()], &[[10.0, 2.0], [11.0, 0.0]])?;
/// assert_eq!(x.nrows(), 2);
/// assert_eq!(x.column("hdd").map(|c| c.to_vec()), Some(vec![2.0, 0.0]));
/// # Ok::<(), vader_models::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureMatrix {
    names: Vec<String>,
    values: Array2<f64>,
}

impl FeatureMatrix {
    /// A matrix from column names and a rows × columns array.
    pub fn new(names: Vec<String>, values: Array2<f64>) -> Result<Self> {
        if names.len() != values.ncols() {
            return Err(Error::Shape(format!("{} names for {} columns", names.len(), values.ncols())));
        }
        let mut sorted: Vec<&String> = names.iter().collect();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::Shape(format!("column {} appears twice", w[0])));
        }
        Ok(Self { names, values })
    }

    /// A matrix from column names and rows of equal length.
    pub fn from_rows<R: AsRef<[f64]>>(names: Vec<String>, rows: &[R]) -> Result<Self> {
        let ncols = names.len();
        let mut flat = Vec::with_capacity(rows.len() * ncols);
        for (i, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != ncols {
                return Err(Error::Shape(format!("row {i} has {} values for {ncols} columns", row.len())));
            }
            flat.extend_from_slice(row);
        }
        let values =
            Array2::from_shape_vec((rows.len(), ncols), flat).map_err(|e| Error::Shape(e.to_string()))?;
        Self::new(names, values)
    }

    /// Column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The values, rows × columns.
    pub fn values(&self) -> ArrayView2<'_, f64> {
        self.values.view()
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.values.nrows()
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.values.ncols()
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<ArrayView1<'_, f64>> {
        self.names.iter().position(|n| n == name).map(|i| self.values.column(i))
    }

    /// The column called `name`, or an error naming the columns there are.
    pub fn require(&self, name: &str) -> Result<ArrayView1<'_, f64>> {
        self.column(name)
            .ok_or_else(|| Error::MissingFeature { name: name.to_string(), available: self.names.join(", ") })
    }

    /// The columns `names`, in that order: how a fitted model lines a matrix up with the
    /// columns it was trained on.
    pub fn select(&self, names: &[String]) -> Result<Self> {
        let idx: Vec<usize> =
            names.iter().map(|n| self.names.iter().position(|m| m == n)).collect::<Option<_>>().ok_or_else(
                || {
                    let missing: Vec<&str> =
                        names.iter().filter(|n| !self.names.contains(n)).map(String::as_str).collect();
                    Error::ColumnMismatch { expected: names.join(", "), missing: missing.join(", ") }
                },
            )?;
        Ok(Self { names: names.to_vec(), values: self.values.select(Axis(1), &idx) })
    }

    /// The matrix with one more column at the end (an error if the name is taken or the
    /// length differs).
    pub fn with_column(&self, name: &str, values: &[f64]) -> Result<Self> {
        if values.len() != self.nrows() {
            return Err(Error::Shape(format!("{} values for {} rows", values.len(), self.nrows())));
        }
        let column = ndarray::ArrayView2::from_shape((values.len(), 1), values)
            .map_err(|e| Error::Shape(e.to_string()))?;
        let joined = ndarray::concatenate(Axis(1), &[self.values.view(), column])
            .map_err(|e| Error::Shape(e.to_string()))?;
        let mut names = self.names.clone();
        names.push(name.to_string());
        Self::new(names, joined)
    }

    /// The rows `rows`, in that order.
    pub fn rows(&self, rows: &[usize]) -> Self {
        Self { names: self.names.clone(), values: self.values.select(Axis(0), rows) }
    }
}
