//! `vader train`, `vader nominate` and `vader backtest`: models on daily targets.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate};
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use vader::backtest::{Scope, WalkForwardParams, Window, walk_forward};
use vader::features::as_of::days_between;
use vader::features::{Commodity, Dataset, Meter, Target, features};
use vader::models::{FitBoxed, ModelFile, ModelSpec};

use super::backtest::{DecisionArg, PriceArgs};
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
    /// Days before --until replayed walk-forward (weekly refits) to store out-of-sample
    /// residuals in the file, from which `nominate --decision cost-optimal` takes quantiles.
    /// 0: none.
    #[arg(long, default_value_t = 56, value_parser = clap::value_parser!(u32).range(0..=3650))]
    calibration_days: u32,
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
        file.models.insert(
            key.clone(),
            fitted
                .to_saved()
                .with_context(|| format!("{} cannot be saved to a model file", args.model.name()))?,
        );
        let who = if key == "*" { "all meters" } else { key.as_str() };
        eprintln!("{who}: {} trained on {} rows ({lo} to {hi})", args.model.name(), rows.len());
    }
    let (lo, hi) = span.context("no meter had a complete day to train on")?;
    (file.trained_from, file.trained_until) = (lo.to_string(), hi.to_string());
    if args.calibration_days > 0 {
        file.calibration = calibration(&data, &meters, &args, lo)?;
        let n: usize = file.calibration.values().flatten().map(Vec::len).sum();
        eprintln!("calibration: {n} out-of-sample residuals over the last {} days", args.calibration_days);
    }
    file.save(&args.out)?;
    outln!("wrote {} ({} model(s), target {target})", args.out.display(), file.models.len());
    Ok(ExitCode::SUCCESS)
}

/// Out-of-sample residuals of the recipe over the `calibration_days` up to `--until`, by meter
/// and slot of the day, sorted: a walk-forward with weekly refits, as the backtest does.
fn calibration(
    data: &Dataset,
    meters: &[&Meter],
    args: &TrainArgs,
    first: NaiveDate,
) -> anyhow::Result<BTreeMap<String, Vec<Vec<f64>>>> {
    let from = (args.until - chrono::Days::new(u64::from(args.calibration_days) - 1)).max(first);
    let params = WalkForwardParams {
        target: args.common.target,
        test_from: from,
        test_to: args.until,
        refit_days: 7,
        window: Window::Expanding,
        delay_s: args.common.data_delay,
        scope: args.scope.into(),
    };
    let forecasts = walk_forward(data, meters, std::slice::from_ref(&args.model), &params)
        .context("replaying the last days for calibration")?;
    let mut out: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
    let mut rank: BTreeMap<(&str, NaiveDate), usize> = BTreeMap::new();
    // walk_forward orders rows by meter, then interval: a row's rank in its day is its slot.
    for f in &forecasts {
        let slot = rank.entry((f.meter_id.as_str(), f.day)).or_default();
        let residual = f.actual_kwh - f.forecast_kwh;
        if residual.is_finite() {
            let slots = out.entry(f.meter_id.clone()).or_default();
            if slots.len() <= *slot {
                slots.resize(*slot + 1, Vec::new());
            }
            slots[*slot].push(residual);
        }
        *slot += 1;
    }
    for r in out.values_mut().flatten() {
        r.sort_by(f64::total_cmp);
    }
    Ok(out)
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
    let pricing = args.prices.read()?;
    let mut rows: Vec<Nomination> = Vec::new();
    for table in &tables {
        file.check_columns(&table.matrix)?;
        let Some(meter_id) = table.keys.first().map(|k| k.meter_id.clone()) else { continue };
        let model = file.model_for(&meter_id).context("model file has no model for this meter")?;
        for (key, value) in table.keys.iter().zip(model.predict(&table.matrix)?) {
            let meter = data.meters.get(&key.meter_id).context("meter of a row is not in the data")?;
            let at = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
            rows.push(Nomination {
                meter,
                decided: at(key.decision_at),
                start: at(key.start),
                point: value,
                q10: None,
                q90: None,
                tau: None,
                value,
            });
        }
    }
    rows.sort_by(|a, b| a.meter.meter_id.cmp(&b.meter.meter_id).then(a.start.cmp(&b.start)));
    // Quantiles from the file's calibration residuals, slot by slot of the day.
    let mut slot = 0;
    for i in 0..rows.len() {
        slot = if i > 0 && rows[i - 1].meter.meter_id == rows[i].meter.meter_id { slot + 1 } else { 0 };
        let r = &mut rows[i];
        let q = |tau: f64| file.quantile(&r.meter.meter_id, slot, r.point, tau);
        (r.q10, r.q90) = (q(0.1), q(0.9));
        if args.decision == DecisionArg::CostOptimal {
            let tau = pricing.tau(target, r.meter, args.day, r.start.timestamp())?;
            match q(tau) {
                Some(v) => (r.tau, r.value) = (Some(tau), v),
                None => eprintln!(
                    "{}: no calibration residuals in {} (train with --calibration-days): point forecast nominated",
                    r.meter.meter_id,
                    args.model.display()
                ),
            }
        }
    }
    let at = |t: DateTime<chrono::Utc>| t.to_rfc3339();
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    match args.format {
        OutputFormat::Csv => {
            outln!(
                "meter_id,name,target,day,period_start,decision_at,model,point_kwh,q10_kwh,q90_kwh,tau,nomination_kwh"
            );
            for r in &rows {
                outln!(
                    "{},{},{target},{},{},{},{},{},{},{},{},{}",
                    csv_cell(&r.meter.meter_id),
                    csv_cell(&r.meter.name),
                    args.day,
                    at(r.start),
                    at(r.decided),
                    file.model,
                    r.point,
                    opt(r.q10),
                    opt(r.q90),
                    opt(r.tau),
                    r.value
                );
            }
        }
        OutputFormat::Json => {
            let list: Vec<_> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({"meter_id": r.meter.meter_id, "name": r.meter.name, "target": target.as_str(),
                        "day": args.day, "period_start": at(r.start), "decision_at": at(r.decided),
                        "model": file.model, "point_kwh": r.point, "q10_kwh": r.q10, "q90_kwh": r.q90,
                        "tau": r.tau, "nomination_kwh": r.value})
                })
                .collect();
            outln!("{}", serde_json::to_string_pretty(&list)?);
        }
        OutputFormat::Table => {
            let largest = rows.iter().map(|r| r.value).fold(0.0, f64::max);
            let (div, unit) = if largest >= 10_000.0 { (1000.0, "MWh") } else { (1.0, "kWh") };
            let rule = match args.decision {
                DecisionArg::Point => "point forecasts",
                DecisionArg::CostOptimal => "cost-optimal quantiles",
            };
            outln!(
                "Nominations for {target} {} with {} (trained {} to {}), {rule}. {unit}.",
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
                "forecast",
                "80 % interval",
                "nomination",
            ]);
            let num = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{:.1}", v / div));
            for r in &rows {
                table.add_row([
                    r.meter.meter_id.clone(),
                    r.meter.name.clone(),
                    r.start.format("%Y-%m-%d %H:%M").to_string(),
                    r.decided.format("%Y-%m-%d %H:%M").to_string(),
                    format!("{:.1}", r.point / div),
                    match (r.q10, r.q90) {
                        (Some(_), Some(_)) => format!("{} to {}", num(r.q10), num(r.q90)),
                        _ => "n/a".into(),
                    },
                    format!("{:.1}", r.value / div),
                ]);
            }
            for i in 4..7 {
                if let Some(c) = table.column_mut(i) {
                    c.set_cell_alignment(CellAlignment::Right);
                }
            }
            outln!("{table}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One nomination: the point forecast, its interval, and what is nominated.
struct Nomination<'a> {
    meter: &'a Meter,
    decided: DateTime<chrono::Utc>,
    start: DateTime<chrono::Utc>,
    point: f64,
    q10: Option<f64>,
    q90: Option<f64>,
    tau: Option<f64>,
    value: f64,
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
