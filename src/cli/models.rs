//! `vader train`, `vader nominate` and `vader features`: models on a target.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use vader::api::{
    FeaturesRequest, NominateRequest, Nominations, TrainRequest, feature_table, nominate, train,
};
use vader::backtest::decisions::DecisionRule;
use vader::features::Dataset;
use vader::format::EnergyUnit;
use vader::models::{ModelFile, ModelSpec};

use super::args::{Common, DataArg, DecisionArg, OutputFormat, PriceArgs, ScopeArg, model_spec};
use vader::api::time::parse_duration_s;

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    common: Common,
    /// Model: persistence, seasonal-naive, mean-7d, mean-14d, mean-28d, intraday-5h, ols, ridge,
    /// ridge-<λ>, gbm, gbm-q<τ> (quantile τ, e.g. gbm-q0.9).
    #[arg(long, default_value = "ridge", value_parser = model_spec)]
    model: ModelSpec,
    /// Last target day used for training (its actual must be in the data).
    #[arg(long)]
    until: NaiveDate,
    /// Model file to write (JSON).
    #[arg(long)]
    out: PathBuf,
    /// One model per meter, or one global model with the meter as a feature.
    #[arg(long, value_enum, default_value_t)]
    scope: ScopeArg,
    /// Days before --until replayed walk-forward (weekly refits) to store out-of-sample
    /// residuals in the file, from which `nominate --decision cost-optimal` takes quantiles.
    /// 0: none.
    #[arg(long, default_value_t = 56, value_parser = clap::value_parser!(u32).range(0..=3650))]
    calibration_days: u32,
}

pub fn train_command(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let data = Dataset::open(&args.common.data.data)?;
    let request = TrainRequest {
        target: args.common.target,
        model: args.model.clone(),
        until: args.until,
        scope: args.scope.into(),
        meters: args.common.meters.clone(),
        delay_s: args.common.data_delay,
        calibration_days: args.calibration_days,
    };
    let trained = train(&data, &request)?;
    for unit in &trained.units {
        let who = if unit.unit == "*" { "all meters" } else { unit.unit.as_str() };
        match unit.span {
            Some((lo, hi)) => {
                eprintln!("{who}: {} trained on {} rows ({lo} to {hi})", args.model.name(), unit.rows);
            }
            None => eprintln!("{who}: no complete day up to {}, skipped", args.until),
        }
    }
    if args.calibration_days > 0 {
        eprintln!(
            "calibration: {} out-of-sample residuals over the last {} days",
            trained.residuals, args.calibration_days
        );
    }
    trained.file.save(&args.out)?;
    outln!(
        "wrote {} ({} model(s), target {})",
        args.out.display(),
        trained.file.models.len(),
        args.common.target
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct NominateArgs {
    #[command(flatten)]
    data: DataArg,
    /// Model file from `vader train`.
    #[arg(long)]
    model: PathBuf,
    /// Target day D to nominate for (the forecast is made as of its decision time on D-1).
    #[arg(long)]
    day: NaiveDate,
    /// Delay before a reading is known after its interval ends (readings without received_at).
    #[arg(long, default_value = "2h", value_parser = parse_duration_s)]
    data_delay: i64,
    /// Nominate the point forecast, or the quantile that minimises the expected cost
    /// (τ = c_u / (c_u + c_o) at the day's prices), calibrated on the residuals stored by
    /// `vader train`.
    #[arg(long, value_enum, default_value_t)]
    decision: DecisionArg,
    #[command(flatten)]
    prices: PriceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn nominate_command(args: NominateArgs) -> anyhow::Result<ExitCode> {
    let file = ModelFile::load(&args.model)?;
    let data = Dataset::open(&args.data.data)?;
    let request = NominateRequest {
        day: args.day,
        delay_s: args.data_delay,
        decision: args.decision.into(),
        pricing: args.prices.sources().read()?,
    };
    let done = nominate(&data, &file, &args.model, &request)?;
    for meter in &done.uncalibrated {
        eprintln!(
            "{meter}: no calibration residuals in {} (train with --calibration-days): point forecast nominated",
            args.model.display()
        );
    }
    match args.format {
        OutputFormat::Csv => outln!("{}", done.to_csv().trim_end()),
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&done.rows)?),
        OutputFormat::Table => print_nominations(&done, args.day, request.decision)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_nominations(done: &Nominations, day: NaiveDate, decision: DecisionRule) -> anyhow::Result<()> {
    let unit = EnergyUnit::for_values(done.rows.iter().map(|r| r.nomination_kwh));
    let rule = match decision {
        DecisionRule::Point => "point forecasts",
        DecisionRule::CostOptimal => "cost-optimal quantiles",
    };
    outln!(
        "Nominations for {} {day} with {} (trained {} to {}), {rule}. {unit}.",
        done.target,
        done.model,
        done.trained.0,
        done.trained.1
    );
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "meter",
        "name",
        "from (UTC)",
        "decided at (UTC)",
        "forecast",
        "80 % interval",
        "nomination",
    ]);
    for r in &done.rows {
        let interval = match (r.q10_kwh, r.q90_kwh) {
            (Some(lo), Some(hi)) => format!("{} to {}", unit.show(lo, 1), unit.show(hi, 1)),
            _ => "n/a".into(),
        };
        table.add_row([
            r.meter_id.clone(),
            r.name.clone(),
            r.period_start.format("%Y-%m-%d %H:%M").to_string(),
            r.decision_at.format("%Y-%m-%d %H:%M").to_string(),
            unit.show(r.point_kwh, 1),
            interval,
            unit.show(r.nomination_kwh, 1),
        ]);
    }
    for i in 4..7 {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    outln!("{table}");
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct FeaturesArgs {
    #[command(flatten)]
    common: Common,
    /// First target day. Default: the first day of data.
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Last target day. Default: the last day of data.
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Output file, .csv or .parquet.
    #[arg(long)]
    out: PathBuf,
}

/// `vader features`: the as-of feature table, for notebooks and other tools.
pub fn features_command(args: FeaturesArgs) -> anyhow::Result<ExitCode> {
    let data = Dataset::open(&args.common.data.data)?;
    let request = FeaturesRequest {
        target: args.common.target,
        meters: args.common.meters.clone(),
        from: args.from,
        to: args.to,
        delay_s: args.common.data_delay,
    };
    let (table, meters, days) = feature_table(&data, &request)?;
    table.write(&args.out)?;
    outln!(
        "wrote {} ({} rows: {meters} meter(s) × {days} day(s), {} features)",
        args.out.display(),
        table.keys.len(),
        table.matrix.ncols()
    );
    Ok(ExitCode::SUCCESS)
}
