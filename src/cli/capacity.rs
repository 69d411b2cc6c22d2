//! `vader capacity`: the intraday capacity alert.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use vader::api::capacity::{
    CapacityAlert, CapacityRequest, ModelProjection, alert_timezone, capacity, display_unit,
};
use vader::format::EnergyUnit;
use vader::models::{ModelFile, ProjectionRule};
use vader::picture::write_alert_png;

use super::args::{DataArg, DecisionArg, OutputFormat, PriceArgs};
use vader::api::time::{parse_duration_s, parse_instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
enum Rule {
    /// Mean of the last N complete hours × hours in the gas day (the production rule).
    #[default]
    MeanOfLastHours,
    /// Consumed so far + mean of the last N complete hours × hours not yet covered.
    SoFarPlusRate,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArg,
    /// Decision time: RFC 3339 (2025-01-15T12:00:00Z) or local "YYYY-MM-DD HH:MM" in the first
    /// gas meter's time zone. Default: the whole hour at which the last gas reading was known
    /// (for a live feed, about now).
    #[arg(long)]
    at: Option<String>,
    /// Projection rule.
    #[arg(long, value_enum, default_value_t)]
    rule: Rule,
    /// Number of recent complete hours the rule averages.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=24))]
    hours: u16,
    /// Delay before a reading is known after its interval ends (readings without received_at).
    #[arg(long, default_value = "2h", value_parser = parse_duration_s)]
    data_delay: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
    /// Also draw the table as a PNG image, readable on a phone.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
    /// Project with a rest-of-gas-day model from `vader train --target rest-of-gas-day`
    /// instead of the rule: consumed so far + the model's forecast of the rest of the day.
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// With --model: buy extra capacity up to the point projection, or up to its cost-optimal
    /// quantile 1 − p_day/π (from the cost file; calibrated on the residuals in the model file).
    #[arg(long, value_enum, default_value_t, requires = "model")]
    decision: DecisionArg,
    #[command(flatten)]
    prices: PriceArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let data = vader::features::Dataset::open(&args.data.data)?;
    let at = args.at.as_deref().map(|text| parse_instant(text, alert_timezone(&data))).transpose()?;
    let hours = usize::from(args.hours);
    let rule = match args.rule {
        Rule::MeanOfLastHours => ProjectionRule::MeanOfLastHours { hours },
        Rule::SoFarPlusRate => ProjectionRule::SoFarPlusRate { hours },
    };
    let model = match &args.model {
        Some(path) => Some(ModelProjection {
            file: ModelFile::load(path)?,
            path: path.clone(),
            decision: args.decision.into(),
            tau: args.prices.sources().read()?.params.capacity.buy_quantile(),
        }),
        None => None,
    };
    let alert = capacity(&data, &CapacityRequest { at, rule, model, delay_s: args.data_delay })?;
    match args.format {
        OutputFormat::Csv => outln!("{}", alert.to_csv().trim_end()),
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&json(&alert))?),
        OutputFormat::Table => print_table(&alert)?,
    }
    if let Some(png) = &args.png {
        write_alert_png(&alert, png)?;
        eprintln!("wrote {}", png.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `vader capacity --format json`: the decision time, how it was projected, and one object per
/// meter with the CSV's columns.
fn json(alert: &CapacityAlert) -> serde_json::Value {
    serde_json::json!({ "at": alert.at.to_rfc3339(), "projection": alert.how, "meters": alert.rows })
}

fn shown(kwh: Option<f64>, unit: EnergyUnit) -> String {
    kwh.map_or_else(|| "-".to_string(), |v| unit.show(v, 1))
}

fn print_table(alert: &CapacityAlert) -> anyhow::Result<()> {
    let unit = display_unit(&alert.rows);
    let (at, tz) = (alert.at, alert.tz);
    outln!(
        "Capacity alert at {} ({} {}), rule: {}. Energies in {unit}.",
        at.format("%Y-%m-%dT%H:%MZ"),
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        tz.name(),
        alert.how
    );
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "meter",
        "name",
        "gas day",
        "hours",
        "consumed",
        "projected",
        "capacity",
        "over?",
        "extra to buy",
        "status",
    ]);
    for r in &alert.rows {
        table.add_row([
            r.meter_id.clone(),
            r.name.clone(),
            r.gas_day.to_string(),
            format!("{:.1}", r.hours_elapsed),
            shown(Some(r.consumed_kwh), unit),
            shown(r.projected_kwh, unit),
            shown(r.capacity_kwh, unit),
            match r.over_capacity {
                Some(true) => "OVER".to_string(),
                Some(false) => "no".to_string(),
                None => "-".to_string(),
            },
            shown(r.extra_capacity_kwh, unit),
            r.status.as_str().to_string(),
        ]);
    }
    for i in [3, 4, 5, 6, 8] {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    outln!("{table}");
    outln!("{} of {} gas meter(s) projected over capacity", alert.over(), alert.rows.len());
    Ok(())
}
