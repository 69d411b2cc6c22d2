//! Embed a trained vader model in a service: load the model file and predict from numbers the
//! service already holds. Only `vader-models` is used (no polars, no data files).
//!
//! ```sh
//! cargo run -- train --model ridge --until 2024-12-31 --out model.json   # once, offline
//! cargo run --example embed_predictor -- model.json
//! ```
//!
//! Without arguments it uses the model and the feature row shipped in `examples/data/`, and
//! prints the nomination for meter L18460 on gas day 2025-01-15: the same number, bit for bit,
//! as `vader nominate --model examples/data/ridge-gas-day.json --day 2025-01-15`.

use std::error::Error;

use vader_models::{FeatureMatrix, ModelFile};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let model_path = args.next().unwrap_or_else(|| "examples/data/ridge-gas-day.json".into());
    let row_path = args.next().unwrap_or_else(|| "examples/data/L18460-2025-01-15.csv".into());

    // Loading checks the format and version, and keeps the feature names the model expects.
    let model = ModelFile::load(model_path.as_ref())?;
    println!(
        "{model_path}: {} for {}, trained {} to {}",
        model.model, model.target, model.trained_from, model.trained_until
    );

    // The numbers a service holds: here one row of `vader features` output.
    let (meter, x) = read_row(&std::fs::read_to_string(&row_path)?)?;
    model.check_columns(&x)?;
    let predictor = model.model_for(&meter).ok_or("no model for this meter")?;
    let nomination = predictor.predict(&x)?[0];
    println!(
        "{meter}: nominate {nomination} kWh ({} bits: {:#018x})",
        predictor.name(),
        nomination.to_bits()
    );
    // Quantiles from the out-of-sample residuals `vader train` stored in the file (slot 0: a
    // gas day has one value per day); the cost-optimal nomination is the quantile at
    // τ = c_u / (c_u + c_o), the median when being short and long cost the same.
    let q = |tau: f64| model.quantile(&meter, 0, nomination, tau).ok_or("model file has no calibration");
    println!(
        "{meter}: 80 % interval {:.0} to {:.0} kWh, cost-optimal (τ = 0.5) {:.0} kWh",
        q(0.1)?,
        q(0.9)?,
        q(0.5)?
    );
    Ok(())
}

/// Parses a `vader features` CSV with one row: the meter id, and the feature columns (those
/// between `decision_at` and `actual_kwh`) as a one-row matrix.
fn read_row(text: &str) -> Result<(String, FeatureMatrix), Box<dyn Error>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty file")?.split(',').collect();
    let cells: Vec<&str> = lines.next().ok_or("no data row")?.split(',').collect();
    let first = header.iter().position(|h| *h == "decision_at").ok_or("no decision_at column")? + 1;
    let last = header.iter().position(|h| *h == "actual_kwh").ok_or("no actual_kwh column")?;
    let names = header[first..last].iter().map(|s| s.to_string()).collect();
    let values = cells[first..last].iter().map(|c| c.parse::<f64>()).collect::<Result<Vec<_>, _>>()?;
    Ok((cells[0].to_string(), FeatureMatrix::from_rows(names, &[values])?))
}
