//! Pooling the feature tables of several meters for one global model, with the meter as a
//! feature (one indicator column per meter).

use ndarray::{Array2, Axis};
use vader_models::FeatureMatrix;

use crate::error::{Error, Result};
use crate::feature_table::FeatureTable;

/// Prefix of the meter indicator columns: `meter_L18442` is 1 on that meter's rows.
pub const METER_PREFIX: &str = "meter_";

/// The meters a pooled matrix has indicator columns for, in column order.
pub fn pooled_meters(names: &[String]) -> Vec<String> {
    names.iter().filter_map(|n| n.strip_prefix(METER_PREFIX)).map(str::to_string).collect()
}

/// Stacks per-meter tables of one target into one, adds an indicator column per meter (in the
/// order of `meters`), and orders rows by decision time, then interval, then meter, so that
/// the latest rows are last (the early-stopping tail of a global model is the latest period).
pub fn pool(tables: &[FeatureTable], meters: &[String]) -> Result<FeatureTable> {
    // A table without rows (a meter with no day in range) adds nothing, and has no columns.
    let tables: Vec<&FeatureTable> = tables.iter().filter(|t| !t.keys.is_empty()).collect();
    let first = *tables.first().ok_or_else(|| Error::Invalid("nothing to pool".into()))?;
    let target = first.target;
    let mut names = first.matrix.names().to_vec();
    names.extend(meters.iter().map(|m| format!("{METER_PREFIX}{m}")));
    let (mut keys, mut actual, mut known, mut rows) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for table in &tables {
        if table.matrix.names() != first.matrix.names() || table.target != target {
            return Err(Error::Invalid("pooled tables must share target and columns".into()));
        }
        for (i, key) in table.keys.iter().enumerate() {
            let mut row = table.matrix.values().row(i).to_vec();
            row.extend(meters.iter().map(|m| f64::from(u8::from(*m == key.meter_id))));
            rows.push(row);
            keys.push(key.clone());
            actual.push(table.actual[i]);
            known.push(table.actual_known_at[i]);
        }
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| {
        let (ka, kb) = (&keys[a], &keys[b]);
        ka.decision_at.cmp(&kb.decision_at).then(ka.start.cmp(&kb.start)).then(ka.meter_id.cmp(&kb.meter_id))
    });
    let ncols = names.len();
    let mut values = Array2::zeros((0, ncols));
    for &i in &order {
        values
            .push(Axis(0), ndarray::ArrayView1::from(&rows[i]))
            .map_err(|e| Error::Invalid(e.to_string()))?;
    }
    Ok(FeatureTable {
        target,
        keys: order.iter().map(|&i| keys[i].clone()).collect(),
        matrix: FeatureMatrix::new(names, values).map_err(|e| Error::Invalid(e.to_string()))?,
        actual: order.iter().map(|&i| actual[i]).collect(),
        actual_known_at: order.iter().map(|&i| known[i]).collect(),
    })
}
