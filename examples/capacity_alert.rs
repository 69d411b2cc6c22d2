//! The capacity alert from Rust: open a data folder, run the alert at an instant, act on it.
//!
//! `cargo run --example capacity_alert -- [DATA_DIR] [RFC3339_TIME]`

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use vader::api::{CapacityRequest, capacity};
use vader::features::Dataset;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "datasets/refinery".into()));
    let at: DateTime<Utc> = args.next().unwrap_or_else(|| "2025-02-11T13:00:00Z".into()).parse()?;

    let data = Dataset::open(&dir)?;
    // The production rule of day one: the mean of the last 5 hours × the hours of the gas day.
    let alert = capacity(&data, &CapacityRequest::day_one_rule(Some(at)))?;
    for row in &alert.rows {
        match (row.over_capacity, row.extra_capacity_kwh) {
            (Some(true), Some(extra)) => {
                println!(
                    "{} ({}): buy {:.0} kWh of extra capacity for gas day {}",
                    row.name, row.meter_id, extra, row.gas_day
                )
            }
            (Some(false), _) => println!("{} ({}): within capacity", row.name, row.meter_id),
            _ => println!("{} ({}): cannot judge ({})", row.name, row.meter_id, row.status.as_str()),
        }
    }
    Ok(())
}
