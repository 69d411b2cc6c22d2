//! `vader train`, `vader nominate` and `vader backtest`: models on daily targets.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate};
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use vader::backtest::Scope;
use vader::features::as_of::days_between;
use vader::features::{Commodity, Dataset, Meter, Target, features};
use vader::models::{FitBoxed, ModelFile, ModelSpec};

use super::time_arg::parse_duration_s;
use super::validate::csv_cell;
use super::{DataArg, OutputFormat};

/// Options shared by the model commands.
#[derive(Debug, clap::Args)]
pub struct Common {
    #[command(flatten)]
    pub(super) data: DataArg,
    /// Forecast target: gas-day (gas meters, decided D-1 14:00), electricity-day (electricity
    /// meters, one row per period, decided D-1 11:00), daily (all meters, calendar day) or
    /// rest-of-gas-day (gas meters, what remains of the gas day at each whole hour).
    #[arg(long, default_value = "gas-day", value_parser = |s: &str| s.parse::<Target>())]
    pub(super) target: Target,
    /// Only these meters (comma-separated ids). Default: every meter the target applies to.
    #[arg(long, value_delimiter = ',')]
    meters: Vec<String>,
    /// Delay before a reading is known after its interval ends (readings without received_at).
    #[arg(long, default_value = "2h", value_parser = parse_duration_s)]
    pub(super) data_delay: i64,
}

impl Common {
    pub(super) fn meters<'a>(&self, data: &'a Dataset) -> anyhow::Result<Vec<&'a Meter>> {
        let applies = |m: &&Meter| match self.target {
            Target::GasDay | Target::RestOfGasDay => m.commodity == Commodity::Gas,
            Target::ElectricityDay => m.commodity == Commodity::Electricity,
            Target::Daily => true,
        };
        let chosen: Vec<&Meter> = if self.meters.is_empty() {
            data.meters.iter().filter(applies).filter(|m| data.readings.get(&m.meter_id).is_some()).collect()
        } else {
            self.meters
                .iter()
                .map(|id| data.meters.get(id).with_context(|| format!("unknown meter {id}")))
                .collect::<anyhow::Result<_>>()?
        };
        if chosen.is_empty() {
            bail!("no meter with readings for target {}", self.target);
        }
        Ok(chosen)
    }
}

/// Which rows a model is fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ScopeArg {
    /// One model per meter (default: meters differ by an order of magnitude in level and
    /// heating sensitivity, and each has years of its own days).
    #[default]
    PerMeter,
    /// One model over all meters, with the meter as a feature.
    Global,
}

impl From<ScopeArg> for Scope {
    fn from(s: ScopeArg) -> Self {
        match s {
            ScopeArg::PerMeter => Scope::PerMeter,
            ScopeArg::Global => Scope::Global,
        }
    }
}

pub(super) fn model_spec(text: &str) -> Result<ModelSpec, String> {
    ModelSpec::parse(text).ok_or_else(|| {
        format!("unknown model {text:?} (expected persistence, seasonal-naive, mean-7d, mean-14d, mean-28d, intraday-5h, ols, ridge, gbm, gbm-q0.9)")
    })
}

/// First target day with data for `meter`.
fn first_day(data: &Dataset, meter: &Meter, target: Target) -> Option<NaiveDate> {
    let first = *data.readings.get(&meter.meter_id)?.start.first()?;
    Some(target.convention().day_of(DateTime::from_timestamp(first, 0)?, meter.timezone))
}

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    common: Common,
    /// Model: persistence, seasonal-naive, mean-7d, mean-14d, mean-28d, intraday-5h, ols, ridge,
    /// gbm, gbm-q<τ> (quantile τ, e.g. gbm-q0.9).
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
}

pub fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let data = Dataset::open(&args.common.data.data)?;
    let meters = args.common.meters(&data)?;
    let target = args.common.target;
    let mut tables = Vec::new();
    for meter in &meters {
        let Some(first) = first_day(&data, meter, target) else { continue };
        let days = days_between(first, args.until);
        tables.push(features(&data, std::slice::from_ref(meter), target, &days, args.common.data_delay)?);
    }
    let units: Vec<(String, vader::features::FeatureTable)> = match args.scope {
        ScopeArg::PerMeter => meters.iter().map(|m| m.meter_id.clone()).zip(tables).collect(),
        ScopeArg::Global => {
            let ids: Vec<String> = meters.iter().map(|m| m.meter_id.clone()).collect();
            vec![("*".to_string(), vader::features::pool(&tables, &ids)?)]
        }
    };
    let names = units.first().map(|u| u.1.matrix.names().to_vec()).unwrap_or_default();
    let mut span: Option<(NaiveDate, NaiveDate)> = None;
    let mut file = ModelFile::new(target.as_str(), &args.model.name(), (String::new(), String::new()), names);
    for (key, table) in &units {
        let rows: Vec<usize> = (0..table.keys.len()).filter(|&i| table.actual[i].is_finite()).collect();
        if rows.is_empty() {
            eprintln!("{key}: no complete day up to {}, skipped", args.until);
            continue;
        }
        let y: Vec<f64> = rows.iter().map(|&i| table.actual[i]).collect();
        let fitted = args
            .model
            .fit_boxed(&table.matrix.rows(&rows), &y)
            .with_context(|| format!("training {} for meter {key}", args.model.name()))?;
        let days = rows.iter().map(|&i| table.keys[i].day);
        let (lo, hi) = (days.clone().min().unwrap_or_default(), days.max().unwrap_or_default());
        span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        file.models.insert(key.clone(), fitted.to_saved());
        let who = if key == "*" { "all meters" } else { key.as_str() };
        eprintln!("{who}: {} trained on {} rows ({lo} to {hi})", args.model.name(), rows.len());
    }
    let (lo, hi) = span.context("no meter had a complete day to train on")?;
    (file.trained_from, file.trained_until) = (lo.to_string(), hi.to_string());
    file.save(&args.out)?;
    outln!("wrote {} ({} model(s), target {target})", args.out.display(), file.models.len());
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
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn nominate(args: NominateArgs) -> anyhow::Result<ExitCode> {
    let file = ModelFile::load(&args.model)?;
    let target: Target =
        file.target.parse().map_err(|e: String| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let data = Dataset::open(&args.data.data)?;
    // A global model (key `*`) names its meters in its indicator columns.
    let global = vader::features::pooled_meters(&file.feature_names);
    let meter_ids: Vec<String> =
        if file.models.contains_key("*") { global.clone() } else { file.models.keys().cloned().collect() };
    let mut tables = Vec::new();
    for meter_id in &meter_ids {
        let meter = data
            .meters
            .get(meter_id)
            .with_context(|| format!("meter {meter_id} of the model is not in the data"))?;
        tables.push(features(&data, &[meter], target, &[args.day], args.data_delay)?);
    }
    if file.models.contains_key("*") {
        tables = vec![vader::features::pool(&tables, &global)?];
    }
    let mut rows = Vec::new();
    for table in &tables {
        file.check_columns(&table.matrix)?;
        let Some(meter_id) = table.keys.first().map(|k| k.meter_id.clone()) else { continue };
        let model = file.model_for(&meter_id).context("model file has no model for this meter")?;
        for (key, value) in table.keys.iter().zip(model.predict(&table.matrix)?) {
            let meter = data.meters.get(&key.meter_id).context("meter of a row is not in the data")?;
            let at = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
            rows.push((meter, at(key.decision_at), at(key.start), value));
        }
    }
    rows.sort_by(|a, b| a.0.meter_id.cmp(&b.0.meter_id).then(a.2.cmp(&b.2)));
    let at = |t: DateTime<chrono::Utc>| t.to_rfc3339();
    match args.format {
        OutputFormat::Csv => {
            outln!("meter_id,name,target,day,period_start,decision_at,model,nomination_kwh");
            for (m, decided, start, v) in &rows {
                outln!(
                    "{},{},{target},{},{},{},{},{v}",
                    csv_cell(&m.meter_id),
                    csv_cell(&m.name),
                    args.day,
                    at(*start),
                    at(*decided),
                    file.model
                );
            }
        }
        OutputFormat::Json => {
            let list: Vec<_> = rows
                .iter()
                .map(|(m, decided, start, v)| {
                    serde_json::json!({"meter_id": m.meter_id, "name": m.name, "target": target.as_str(),
                        "day": args.day, "period_start": at(*start), "decision_at": at(*decided),
                        "model": file.model, "nomination_kwh": v})
                })
                .collect();
            outln!("{}", serde_json::to_string_pretty(&list)?);
        }
        OutputFormat::Table => {
            let largest = rows.iter().map(|r| r.3).fold(0.0, f64::max);
            let (div, unit) = if largest >= 10_000.0 { (1000.0, "MWh") } else { (1.0, "kWh") };
            outln!(
                "Nominations for {target} {} with {} (trained {} to {}). {unit}.",
                args.day,
                file.model,
                file.trained_from,
                file.trained_until
            );
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_header([
                "meter",
                "name",
                "from (UTC)",
                "decided at (UTC)",
                "nomination",
            ]);
            for (m, decided, start, v) in &rows {
                table.add_row([
                    m.meter_id.clone(),
                    m.name.clone(),
                    start.format("%Y-%m-%d %H:%M").to_string(),
                    decided.format("%Y-%m-%d %H:%M").to_string(),
                    format!("{:.1}", v / div),
                ]);
            }
            if let Some(c) = table.column_mut(4) {
                c.set_cell_alignment(CellAlignment::Right);
            }
            outln!("{table}");
        }
    }
    Ok(ExitCode::SUCCESS)
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
pub fn export_features(args: FeaturesArgs) -> anyhow::Result<ExitCode> {
    let data = Dataset::open(&args.common.data.data)?;
    let meters = args.common.meters(&data)?;
    let target = args.common.target;
    let (first, last) = data_span(&data, &meters, target).context("no readings")?;
    let days = days_between(args.from.unwrap_or(first), args.to.unwrap_or(last));
    let table = features(&data, &meters, target, &days, args.common.data_delay)?;
    table.write(&args.out)?;
    outln!(
        "wrote {} ({} rows: {} meter(s) × {} day(s), {} features)",
        args.out.display(),
        table.keys.len(),
        meters.len(),
        days.len(),
        table.matrix.ncols()
    );
    Ok(ExitCode::SUCCESS)
}

/// First and last target day with readings over `meters`.
pub(super) fn data_span(data: &Dataset, meters: &[&Meter], target: Target) -> Option<(NaiveDate, NaiveDate)> {
    let days: Vec<NaiveDate> = meters
        .iter()
        .filter_map(|m| {
            let s = data.readings.get(&m.meter_id)?;
            let day = |t: i64| Some(target.convention().day_of(DateTime::from_timestamp(t, 0)?, m.timezone));
            Some([day(*s.start.first()?)?, day(*s.start.last()?)?])
        })
        .flatten()
        .collect();
    Some((*days.iter().min()?, *days.iter().max()?))
}
