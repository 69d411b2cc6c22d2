//! `vader backtest` and `vader compare`: replay decisions over a test period, price them in
//! euros, and say whether a challenger beats the champion.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vader::backtest::ab::{AbParams, AbTest, Loss, Paired, ab_test};
use vader::backtest::cost::CostParams;
use vader::backtest::costing::Pricing;
use vader::backtest::decisions::{DecisionParams, DecisionRule};
use vader::backtest::results::{Comparison, Reference, ReferenceSetup, read_forecasts, write_forecasts};
use vader::backtest::run::{BacktestSpec, Sweep, run};
use vader::backtest::{Forecast, Progress, WalkForwardParams, Window};
use vader::features::{Dataset, PriceSeries, Target};
use vader::models::ModelSpec;

use super::OutputFormat;
use super::models::{Common, ScopeArg, data_span, model_spec};
use super::report::{Report, RunInfo};

#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    common: Common,
    /// Models to compare (comma-separated). Default: persistence, seasonal-naive, mean-7d, ols,
    /// ridge, gbm; for rest-of-gas-day: intraday-5h, persistence, ols, ridge.
    #[arg(long, value_delimiter = ',', value_parser = model_spec)]
    models: Vec<ModelSpec>,
    /// The model in use, which every other model is compared with. Default: intraday-5h (the
    /// day-one rule) for rest-of-gas-day, else persistence, else the first model.
    #[arg(long, value_parser = model_spec)]
    champion: Option<ModelSpec>,
    /// First target day of the test period. Default: one year before the last day of data.
    #[arg(long)]
    test_from: Option<NaiveDate>,
    /// Last target day of the test period. Default: the last day of data.
    #[arg(long)]
    test_to: Option<NaiveDate>,
    /// Days between refits (expanding window).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=3650))]
    refit_days: u32,
    /// Train each refit on the last N target days only (sliding window). Default: every day
    /// known by then (expanding window).
    #[arg(long, value_parser = clap::value_parser!(u32).range(28..=36_600))]
    window_days: Option<u32>,
    /// One model per meter, or one global model with the meter as a feature.
    #[arg(long, value_enum, default_value_t)]
    scope: ScopeArg,
    /// How forecasts become decisions: the point forecast, or the quantile that minimises the
    /// expected cost (τ = c_u / (c_u + c_o); 1 − p_day/π for capacity). The report always
    /// compares the two for every model.
    #[arg(long, value_enum, default_value_t)]
    decision: DecisionArg,
    /// Days replayed before the test period so that its first decisions have past residuals
    /// to calibrate quantiles on.
    #[arg(long, default_value_t = 56, value_parser = clap::value_parser!(u32).range(0..=3650))]
    calibration_days: u32,
    /// Rerun the decisions over several values of one price, without refitting:
    /// KEY=V1,V2,... with KEY one of penalty, yearly-tariff, daily-multiplier, gas-price,
    /// small-adjustment, electricity-price, k.
    #[arg(long, value_parser = |s: &str| s.parse::<Sweep>().map_err(|e| e.to_string()))]
    sweep: Option<Sweep>,
    #[command(flatten)]
    prices: PriceArgs,
    /// Local hours at which the capacity decision is taken (rest-of-gas-day; comma-separated,
    /// 0 to 23). Default: every whole hour, as the hourly alert runs.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(0..=23))]
    capacity_hours: Vec<u32>,
    #[command(flatten)]
    ab: AbArgs,
    /// Folder for the results: forecasts.parquet, summary.json, report.md, report.html and the
    /// plots. Replaced only once the run succeeded. Default: reports/backtest-<target>.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output format of the leaderboard on standard output.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
    /// Regression gate: compare this run with the reference figures in FILE (same setup) and
    /// exit with status 1 if any MAE, WAPE, euros or interval coverage got worse beyond the
    /// file's tolerance.
    #[arg(long, value_name = "FILE")]
    check: Option<PathBuf>,
    /// Write this run's figures as a reference file for --check.
    #[arg(long, value_name = "FILE")]
    save_reference: Option<PathBuf>,
}

/// How forecasts become decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub(super) enum DecisionArg {
    /// Nominate the point forecast (buy capacity up to it).
    #[default]
    Point,
    /// Nominate the cost-minimising quantile of the calibrated forecast distribution.
    CostOptimal,
}

/// Where prices come from.
#[derive(Debug, clap::Args)]
pub(super) struct PriceArgs {
    /// Cost file (TOML): any of the SPEC's prices; the others keep their defaults.
    #[arg(long)]
    cost: Option<PathBuf>,
    /// Gas price series (CSV/Parquet: `day` or `timestamp`, `price_eur_per_mwh`, optional
    /// `small_adjustment`). Default: the cost file's constant price.
    #[arg(long)]
    gas_prices: Option<PathBuf>,
    /// Electricity day-ahead price series (CSV/Parquet: `timestamp` or `day`,
    /// `price_eur_per_mwh`, optional `vwap_eur_per_mwh`). Default: the cost file's price.
    #[arg(long)]
    electricity_prices: Option<PathBuf>,
}

impl PriceArgs {
    /// Reads every price input: done first, so that a bad file fails before any work.
    pub(super) fn read(&self) -> anyhow::Result<Pricing> {
        let params = match &self.cost {
            Some(path) => CostParams::read(path)?,
            None => CostParams::default(),
        };
        let series = |p: &Option<PathBuf>| p.as_deref().map(PriceSeries::read).transpose();
        Ok(Pricing {
            params,
            gas: series(&self.gas_prices)?,
            electricity: series(&self.electricity_prices)?,
            capacity_hours: None,
        })
    }
}

/// How the A/B comparisons are run.
#[derive(Debug, clap::Args)]
struct AbArgs {
    /// Significance level of the A/B test (the interval has level 1 − this).
    #[arg(long, default_value_t = 0.05)]
    level: f64,
    /// Bootstrap resamples of the savings interval.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(100..=1_000_000))]
    resamples: u64,
    /// Bootstrap block length in days. Default: the cube root of the number of days, rounded up.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=365))]
    block: Option<u64>,
}

impl AbArgs {
    fn params(&self) -> anyhow::Result<AbParams> {
        if !(self.level > 0.0 && self.level < 0.5) {
            bail!("--level must be between 0 and 0.5, not {}", self.level);
        }
        Ok(AbParams {
            level: self.level,
            resamples: usize::try_from(self.resamples)?,
            block_len: self.block.map(usize::try_from).transpose()?,
            ..AbParams::default()
        })
    }
}

/// A progress bar on standard error, drawn only on a terminal.
struct Bar(ProgressBar);

impl Bar {
    fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix:>9} [{bar:32}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Self(bar)
    }
}

impl Progress for Bar {
    fn stage(&self, what: &str, total: u64) {
        self.0.set_prefix(what.to_string());
        self.0.set_length(total);
        self.0.set_position(0);
    }

    fn step(&self) {
        self.0.inc(1);
    }
}

fn default_models(target: Target) -> Vec<ModelSpec> {
    let names: &[&str] = match target {
        Target::RestOfGasDay => &["intraday-5h", "persistence", "ols", "ridge"],
        _ => &["persistence", "seasonal-naive", "mean-7d", "ols", "ridge", "gbm"],
    };
    names.iter().filter_map(|n| ModelSpec::parse(n)).collect()
}

pub fn backtest(args: BacktestArgs) -> anyhow::Result<ExitCode> {
    let mut pricing = args.prices.read()?;
    pricing.capacity_hours = (!args.capacity_hours.is_empty()).then(|| args.capacity_hours.clone());
    let ab = args.ab.params()?;
    let target = args.common.target;
    let mut models = if args.models.is_empty() { default_models(target) } else { args.models.clone() };
    let champion = match &args.champion {
        Some(c) => c.name(),
        None => ["intraday-5h", "persistence"]
            .into_iter()
            .find(|n| {
                (*n != "intraday-5h" || target == Target::RestOfGasDay)
                    && models.iter().any(|m| m.name() == *n)
            })
            .map_or_else(|| models[0].name(), String::from),
    };
    if let Some(c) = &args.champion
        && !models.contains(c)
    {
        models.insert(0, c.clone());
    }
    let out_dir = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("reports/backtest-{target}")));

    let data = Dataset::open(&args.common.data.data)?;
    let meters = args.common.meters(&data)?;
    let (_, last) = data_span(&data, &meters, target).context("no readings")?;
    let test_to = args.test_to.unwrap_or(last);
    let test_from = args.test_from.unwrap_or_else(|| test_to - chrono::Days::new(364));
    let params = WalkForwardParams {
        target,
        test_from,
        test_to,
        refit_days: args.refit_days,
        window: args.window_days.map_or(Window::Expanding, |days| Window::Sliding { days }),
        delay_s: args.common.data_delay,
        scope: args.scope.into(),
    };
    let spec = BacktestSpec {
        walk: params,
        decision: DecisionParams {
            rule: match args.decision {
                DecisionArg::Point => DecisionRule::Point,
                DecisionArg::CostOptimal => DecisionRule::CostOptimal,
            },
            ..DecisionParams::default()
        },
        calibration_days: args.calibration_days,
        champion: champion.clone(),
        ab,
        sweep: args.sweep.clone(),
    };
    let bar = Bar::new();
    let outcome = run(&data, &meters, &models, &spec, &pricing, &bar)?;
    bar.0.finish_and_clear();

    let info = RunInfo {
        vader_version: env!("CARGO_PKG_VERSION").to_string(),
        data: args.common.data.data.display().to_string(),
        target: target.to_string(),
        scope: match args.scope {
            ScopeArg::PerMeter => "per-meter",
            ScopeArg::Global => "global",
        }
        .to_string(),
        test_from,
        test_to,
        refit_days: args.refit_days,
        window_days: args.window_days,
        decision: spec.decision,
        calibration_days: args.calibration_days,
        data_delay_s: args.common.data_delay,
        meters: meters.iter().map(|m| m.meter_id.clone()).collect(),
        cost: pricing.params,
        cost_file: args.prices.cost.as_ref().map(|p| p.display().to_string()),
        gas_prices: pricing.gas.as_ref().map(|s| format!("{} ({})", s.path().display(), s.coverage())),
        electricity_prices: pricing
            .electricity
            .as_ref()
            .map(|s| format!("{} ({})", s.path().display(), s.coverage())),
        ab,
        sweep: args.sweep.clone(),
    };
    let report = Report { info: &info, run: &outcome };
    write_run(&out_dir, &report)?;

    print_leaderboard(&report, args.format)?;
    if args.format == OutputFormat::Table {
        outln!("Report: {}", out_dir.join("report.html").display());
    }
    let setup = ReferenceSetup {
        data: info.data.clone(),
        target: info.target.clone(),
        test_from,
        test_to,
        refit_days: args.refit_days,
        scope: info.scope.clone(),
        decision: spec.decision.rule.as_str().to_string(),
    };
    if let Some(path) = &args.save_reference {
        Reference::of(setup.clone(), &outcome.scores).write(path)?;
        eprintln!("wrote reference figures to {}", path.display());
    }
    match &args.check {
        Some(path) => check_against(path, &setup, &outcome.scores),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The regression gate: every figure that moved beyond the reference's tolerance, and exit
/// status 1 when one got worse.
fn check_against(
    path: &Path,
    setup: &ReferenceSetup,
    scores: &vader::backtest::results::Scores,
) -> anyhow::Result<ExitCode> {
    let reference = Reference::read(path)?;
    let drifts = reference.compare(setup, scores)?;
    let worse: Vec<_> = drifts.iter().filter(|d| d.worse).collect();
    for d in &drifts {
        let verb = if d.worse { "WORSE" } else { "better" };
        if d.figure == "model" {
            eprintln!("{verb}: {} is in {} but not in this run", d.model, path.display());
        } else {
            eprintln!(
                "{verb}: {} {} {} -> {} (reference {})",
                d.model,
                d.figure,
                d.reference,
                d.now,
                path.display()
            );
        }
    }
    if worse.is_empty() {
        eprintln!(
            "check passed: {} model(s) within {} % of {}{}",
            reference.models.len(),
            100.0 * reference.tolerance,
            path.display(),
            if drifts.is_empty() {
                ""
            } else {
                " (update the reference with --save-reference to keep the gains)"
            }
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("check failed: {} figure(s) worse than {}", worse.len(), path.display());
        Ok(ExitCode::from(1))
    }
}

/// Writes every output of a run into a fresh folder next to `out`, then swaps it into place, so
/// a failed run leaves the previous results as they were.
fn write_run(out: &Path, report: &Report) -> anyhow::Result<()> {
    let name = out.file_name().and_then(|n| n.to_str()).context("--out needs a folder name")?;
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let fresh = parent.join(format!(".{name}.new-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir_all(&fresh).with_context(|| format!("creating {}", fresh.display()))?;
    let written = (|| -> anyhow::Result<()> {
        write_forecasts(&fresh.join("forecasts.parquet"), &report.info.target, &report.run.forecasts)?;
        report.write(&fresh)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&fresh);
        return Err(e);
    }
    if out.exists() {
        std::fs::rename(out, &old).with_context(|| format!("moving the previous {} aside", out.display()))?;
    }
    if let Err(e) = std::fs::rename(&fresh, out) {
        let _ = std::fs::rename(&old, out);
        return Err(e).with_context(|| format!("writing {}", out.display()));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// MWh when the largest value reaches 1,000 kWh, else kWh (for errors and their savings).
pub(super) fn energy_unit(largest_kwh: f64) -> (f64, &'static str) {
    if largest_kwh >= 1000.0 { (1000.0, "MWh") } else { (1.0, "kWh") }
}

fn print_leaderboard(report: &Report, format: OutputFormat) -> anyhow::Result<()> {
    let scores = &report.run.scores;
    match format {
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&report.summary())?),
        OutputFormat::Csv => {
            outln!(
                "model,n,mae_kwh,rmse_kwh,mape,wape,bias_kwh,euros,euros_per_day,verdict,saving_eur_per_day,ci_low,ci_high,p_value"
            );
            for s in &scores.leaderboard {
                let m = &s.metrics;
                let verdict = scores.verdict_of(&s.model);
                let (saving, lo, hi, p) =
                    scores.comparison(&s.model).map_or((f64::NAN, f64::NAN, f64::NAN, f64::NAN), |c| {
                        let e = &c.euros;
                        (e.mean_saving, e.ci_low, e.ci_high, e.dm.map_or(f64::NAN, |d| d.p_value))
                    });
                outln!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{verdict},{saving},{lo},{hi},{p}",
                    s.model,
                    m.n,
                    m.mae,
                    m.rmse,
                    m.mape,
                    m.wape,
                    m.bias,
                    m.coverage_80,
                    m.width_80,
                    m.pinball,
                    s.euros,
                    s.euros_per_day
                );
            }
        }
        OutputFormat::Table => {
            let info = report.info;
            let largest = scores.leaderboard.iter().map(|s| s.metrics.mae).fold(0.0, f64::max);
            let (div, unit) = energy_unit(largest);
            outln!(
                "Walk-forward on {}, {} meter(s) ({}), target days {} to {}, refit every {} day(s). Errors in {unit}.",
                info.target,
                info.meters.len(),
                info.scope,
                info.test_from,
                info.test_to,
                info.refit_days
            );
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_header([
                "model",
                "forecasts",
                "MAE",
                "RMSE",
                "WAPE %",
                "bias",
                "cover 80 %",
                "euros",
                "EUR/day",
                "vs champion",
            ]);
            for s in &scores.leaderboard {
                let m = &s.metrics;
                let verdict = scores.verdict_of(&s.model);
                table.add_row([
                    s.model.clone(),
                    m.n.to_string(),
                    format!("{:.2}", m.mae / div),
                    format!("{:.2}", m.rmse / div),
                    format!("{:.2}", 100.0 * m.wape),
                    format!("{:+.2}", m.bias / div),
                    if m.coverage_80.is_finite() {
                        format!("{:.1}", 100.0 * m.coverage_80)
                    } else {
                        "n/a".into()
                    },
                    money(s.euros),
                    money(s.euros_per_day),
                    verdict.to_string(),
                ]);
            }
            for i in 1..9 {
                if let Some(c) = table.column_mut(i) {
                    c.set_cell_alignment(CellAlignment::Right);
                }
            }
            outln!("{table}");
            outln!(
                "A/B against the champion {} (paired days; {}% bootstrap interval; Diebold-Mariano with HLN correction, level {}):",
                scores.champion,
                ((1.0 - info.ab.level) * 100.0).round(),
                info.ab.level
            );
            for c in &scores.comparisons {
                outln!("  {}", verdict_line(&c.euros));
            }
            outln!(
                "Cost-optimal decisions (the quantile τ = c_u / (c_u + c_o) of the calibrated forecast) against point decisions:"
            );
            for t in &report.run.decision_gains {
                let line = verdict_line(t);
                outln!(
                    "  {}",
                    line.replace("keep champion", "keep point")
                        .replace("adopt challenger", "adopt cost-optimal")
                );
            }
        }
    }
    Ok(())
}

/// One sentence per comparison: `gbm saves 12.3 EUR/day [4.1, 20.2], p = 0.003: adopt challenger`.
pub(super) fn verdict_line(t: &AbTest) -> String {
    let (verb, value, lo, hi) = if t.mean_saving >= 0.0 {
        ("saves", t.mean_saving, t.ci_low, t.ci_high)
    } else {
        ("costs", -t.mean_saving, -t.ci_high, -t.ci_low)
    };
    let p = t.dm.map_or("n/a".to_string(), |d| format_p(d.p_value));
    let unit = t.loss.unit();
    let (value, lo, hi) = (money(value), money(lo), money(hi));
    format!(
        "{} {verb} {value} {unit} [{lo}, {hi}] over {} days, p {p}: {}",
        t.challenger,
        t.days,
        t.verdict.as_str()
    )
}

/// An amount with about three significant digits (whole units from 100 up): sites differ by
/// orders of magnitude, and a household's 0.02 EUR/day must not print as 0.0.
pub(super) fn money(x: f64) -> String {
    let a = x.abs();
    let digits = if a >= 100.0 || a == 0.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        (2 - a.log10().floor() as i64).clamp(3, 6) as usize
    };
    format!("{x:.digits$}")
}

/// A p-value as `= 0.031` or `< 0.001`.
pub(super) fn format_p(p: f64) -> String {
    if p < 0.001 { "< 0.001".into() } else { format!("= {p:.3}") }
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Backtest results of the champion: a forecasts.parquet file or the folder holding it.
    champion_run: PathBuf,
    /// Backtest results of the challenger (may be the same run as the champion's).
    challenger_run: PathBuf,
    /// Champion model in its run (needed when the run holds several models).
    #[arg(long)]
    champion: Option<String>,
    /// Challenger model in its run (needed when the run holds several models).
    #[arg(long)]
    challenger: Option<String>,
    #[command(flatten)]
    ab: AbArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// Reads a run and picks one model's rows from it.
fn model_rows(
    run: &Path,
    model: Option<&str>,
    role: &str,
) -> anyhow::Result<(String, String, Vec<Forecast>)> {
    let file = if run.is_dir() { run.join("forecasts.parquet") } else { run.to_path_buf() };
    if !file.exists() {
        bail!(
            "{}: no such backtest result (expected forecasts.parquet from `vader backtest`)",
            file.display()
        );
    }
    let (target, rows) = read_forecasts(&file)?;
    let mut models: Vec<&str> = rows.iter().map(|f| f.model.as_str()).collect();
    models.sort_unstable();
    models.dedup();
    let chosen = match model {
        Some(m) if models.contains(&m) => m.to_string(),
        Some(m) => bail!("{}: no model {m} (models: {})", file.display(), models.join(", ")),
        None if models.len() == 1 => models[0].to_string(),
        None => {
            bail!("{}: several models ({}); name the {role} with --{role}", file.display(), models.join(", "))
        }
    };
    let rows = rows.into_iter().filter(|f| f.model == chosen).collect();
    Ok((target, chosen, rows))
}

pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let ab = args.ab.params()?;
    let (target_a, a, rows_a) = model_rows(&args.champion_run, args.champion.as_deref(), "champion")?;
    let (target_b, b, rows_b) = model_rows(&args.challenger_run, args.challenger.as_deref(), "challenger")?;
    if target_a != target_b {
        bail!("the runs are for different targets ({target_a} and {target_b})");
    }
    // The same model from two runs (per-meter against global, say) is named by its run too.
    let (a, b) = if a == b {
        (format!("{a} ({})", args.champion_run.display()), format!("{b} ({})", args.challenger_run.display()))
    } else {
        (a, b)
    };
    let test = |loss| ab_test(&a, &b, &Paired::of(&rows_a, &rows_b, loss), loss, &ab);
    let result = Comparison { euros: test(Loss::Euros)?, error: test(Loss::AbsoluteError)? };
    match args.format {
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&result)?),
        OutputFormat::Csv => {
            outln!(
                "loss,champion,challenger,days,champion_mean,challenger_mean,mean_saving,ci_low,ci_high,dm,dm_hln,p_value,lags,block_len,verdict"
            );
            for t in [&result.euros, &result.error] {
                let (dm, hln, p, lags) = t.dm.map_or((f64::NAN, f64::NAN, f64::NAN, 0), |d| {
                    (d.statistic, d.hln_statistic, d.p_value, d.lags)
                });
                outln!(
                    "{},{},{},{},{},{},{},{},{},{dm},{hln},{p},{lags},{},{}",
                    match t.loss {
                        Loss::Euros => "euros",
                        Loss::AbsoluteError => "absolute_error",
                    },
                    t.champion,
                    t.challenger,
                    t.days,
                    t.champion_mean,
                    t.challenger_mean,
                    t.mean_saving,
                    t.ci_low,
                    t.ci_high,
                    t.block_len,
                    t.verdict.as_str()
                );
            }
        }
        OutputFormat::Table => {
            outln!("{target_a}: champion {a} against challenger {b}, level {}.", ab.level);
            outln!("  euros: {}", verdict_line(&result.euros));
            outln!("  error: {}", verdict_line(&result.error));
            outln!("Verdict (in euros): {}.", result.euros.verdict.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}
