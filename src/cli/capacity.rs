//! `vader capacity`: the intraday capacity alert.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::ValueEnum;
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use vader::backtest::{AlertParams, AlertRow, AlertStatus, capacity_alert};
use vader::features::{Commodity, DEFAULT_TIMEZONE, Dataset, Target, features};
use vader::models::{ModelFile, ProjectionRule};

use super::backtest::{DecisionArg, PriceArgs};

use super::time_arg::{parse_duration_s, parse_instant};
use super::validate::csv_cell;
use super::{DataArg, OutputFormat};

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
    let dataset = Dataset::open(&args.data.data)?;
    let tz = dataset
        .meters
        .iter()
        .find(|m| m.commodity == Commodity::Gas)
        .map_or(DEFAULT_TIMEZONE, |m| m.timezone);
    let at = match &args.at {
        Some(text) => parse_instant(text, tz)?,
        None => {
            // The freshest view of the data: when the last reading of any gas meter was known.
            let latest = dataset
                .meters
                .iter()
                .filter(|m| m.commodity == Commodity::Gas)
                .filter_map(|m| dataset.readings.get(&m.meter_id))
                .filter(|s| !s.is_empty())
                .map(|s| s.known_at(s.len() - 1, args.data_delay))
                .max()
                .context("no gas meter has readings; pass --at")?;
            let next_hour = (latest + 3599).div_euclid(3600) * 3600;
            DateTime::from_timestamp(next_hour, 0).context("latest reading out of range")?
        }
    };
    let hours = usize::from(args.hours);
    let rule = match args.rule {
        Rule::MeanOfLastHours => ProjectionRule::MeanOfLastHours { hours },
        Rule::SoFarPlusRate => ProjectionRule::SoFarPlusRate { hours },
    };
    let params = AlertParams { rule, delay_s: args.data_delay, ..AlertParams::default() };
    let mut rows = capacity_alert(&dataset, at, &params);
    if rows.is_empty() {
        anyhow::bail!("{}: no gas meter in the meters file", args.data.data.display());
    }
    let mut how = describe(rule);
    if let Some(path) = &args.model {
        how = project_with_model(&dataset, &mut rows, at, path, &args)?;
    }

    match args.format {
        OutputFormat::Csv => print_csv(&rows)?,
        OutputFormat::Json => print_json(&rows, at, &how)?,
        OutputFormat::Table => print_table(&rows, at, tz, &how)?,
    }
    if let Some(png) = &args.png {
        let title = super::table_png::AlertPicture { rows: &rows, at, tz, how: &how };
        title.write(png)?;
        eprintln!("wrote {}", png.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

const HEADER: &str = "meter_id,name,gas_day,hours_elapsed,consumed_kwh,projected_kwh,capacity_kwh,\
over_capacity,extra_capacity_kwh,hours_used,status";

fn print_csv(rows: &[AlertRow]) -> anyhow::Result<()> {
    outln!("{HEADER}");
    for r in rows {
        outln!(
            "{},{},{},{},{},{},{},{},{},{},{}",
            csv_cell(&r.meter_id),
            csv_cell(&r.name),
            r.gas_day,
            r.hours_elapsed,
            r.consumed_kwh,
            opt(r.projected_kwh),
            opt(r.capacity_kwh),
            r.over_capacity.map(|b| b.to_string()).unwrap_or_default(),
            opt(r.extra_capacity_kwh),
            r.hours_used,
            r.status.as_str(),
        );
    }
    Ok(())
}

fn print_json(rows: &[AlertRow], at: DateTime<Utc>, how: &str) -> anyhow::Result<()> {
    let doc = serde_json::json!({ "at": at.to_rfc3339(), "projection": how, "meters": rows });
    outln!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

/// Replaces each row's projection by a rest-of-gas-day model's: consumed so far + the model's
/// forecast of the rest (or its cost-optimal quantile), as of `at`. Returns the description of
/// the projection for titles.
fn project_with_model(
    data: &Dataset,
    rows: &mut [AlertRow],
    at: DateTime<Utc>,
    path: &std::path::Path,
    args: &Args,
) -> anyhow::Result<String> {
    let file = ModelFile::load(path)?;
    if file.target != Target::RestOfGasDay.as_str() {
        anyhow::bail!(
            "{}: a {} model; the capacity alert needs a rest-of-gas-day model",
            path.display(),
            file.target
        );
    }
    let pricing = args.prices.read()?;
    let tau = pricing.params.capacity.buy_quantile();
    let cost_optimal = args.decision == DecisionArg::CostOptimal;
    for row in rows.iter_mut() {
        let (Some(meter), Some(model)) = (data.meters.get(&row.meter_id), file.model_for(&row.meter_id))
        else {
            continue;
        };
        let table = features(data, &[meter], Target::RestOfGasDay, &[row.gas_day], args.data_delay)?;
        file.check_columns(&table.matrix)?;
        // The latest whole hour of the gas day at or before `at`: its rank is its slot.
        let Some(slot) = table.keys.iter().rposition(|k| k.decision_at <= at.timestamp()) else { continue };
        let x = table.matrix.rows(&[slot]);
        let Some(&rest) = model.predict(&x)?.first() else { continue };
        let known =
            x.column(vader::models::columns::CONSUMED_KNOWN).and_then(|c| c.first().copied()).unwrap_or(0.0);
        let decided = if cost_optimal {
            file.quantile(&row.meter_id, slot, rest, tau).with_context(|| {
                format!(
                    "{}: no calibration residuals for {} (train with --calibration-days)",
                    path.display(),
                    row.meter_id
                )
            })?
        } else {
            rest
        };
        row.consumed_kwh = known;
        row.projected_kwh = Some(known + rest);
        let buy_up_to = known + decided;
        row.over_capacity = row.capacity_kwh.map(|c| buy_up_to > c);
        row.extra_capacity_kwh = row.capacity_kwh.map(|c| (buy_up_to - c).max(0.0));
        row.status = if row.capacity_kwh.is_some() { AlertStatus::Ok } else { AlertStatus::NoCapacity };
    }
    Ok(if cost_optimal {
        format!("{} model, buy up to its {:.2} % quantile", file.model, 100.0 * tau)
    } else {
        format!("{} model (rest of gas day)", file.model)
    })
}

/// Describes a rule for people.
pub fn describe(rule: ProjectionRule) -> String {
    match rule {
        ProjectionRule::MeanOfLastHours { hours } => format!("mean of last {hours} h × hours in gas day"),
        ProjectionRule::SoFarPlusRate { hours } => format!("so far + mean of last {hours} h × hours left"),
    }
}

/// The unit energies are shown in: MWh for industrial meters, kWh when every value is small.
pub fn display_unit(rows: &[AlertRow]) -> (f64, &'static str) {
    let largest = rows
        .iter()
        .flat_map(|r| [Some(r.consumed_kwh), r.projected_kwh, r.capacity_kwh])
        .flatten()
        .fold(0.0_f64, f64::max);
    if largest >= 10_000.0 { (1000.0, "MWh") } else { (1.0, "kWh") }
}

fn shown(kwh: Option<f64>, divisor: f64) -> String {
    kwh.map_or_else(|| "-".to_string(), |v| format!("{:.1}", v / divisor))
}

fn print_table(rows: &[AlertRow], at: DateTime<Utc>, tz: chrono_tz::Tz, how: &str) -> anyhow::Result<()> {
    let (divisor, unit) = display_unit(rows);
    outln!(
        "Capacity alert at {} ({} {}), rule: {}. Energies in {unit}.",
        at.format("%Y-%m-%dT%H:%MZ"),
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        tz.name(),
        how
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
    for r in rows {
        table.add_row([
            r.meter_id.clone(),
            r.name.clone(),
            r.gas_day.to_string(),
            format!("{:.1}", r.hours_elapsed),
            shown(Some(r.consumed_kwh), divisor),
            shown(r.projected_kwh, divisor),
            shown(r.capacity_kwh, divisor),
            match r.over_capacity {
                Some(true) => "OVER".to_string(),
                Some(false) => "no".to_string(),
                None => "-".to_string(),
            },
            shown(r.extra_capacity_kwh, divisor),
            r.status.as_str().to_string(),
        ]);
    }
    for i in [3, 4, 5, 6, 8] {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    outln!("{table}");
    let over = rows.iter().filter(|r| r.over_capacity == Some(true)).count();
    outln!("{over} of {} gas meter(s) projected over capacity", rows.len());
    Ok(())
}
