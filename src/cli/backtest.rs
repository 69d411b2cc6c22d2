//! `vader backtest` and `vader compare`: replay decisions over a test period, price them in
//! euros, and say whether a challenger beats the champion.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use vader::api::{Backtest, BacktestRequest, CompareRequest, compare, plan};
use vader::backtest::ab::{AbTest, Loss};
use vader::backtest::results::{Reference, Scores};
use vader::backtest::run::Sweep;
use vader::features::Dataset;
use vader::format::{EnergyUnit, csv_line, decision_gain_line, money, verdict_line};
use vader::models::ModelSpec;

use super::args::{AbArgs, Common, DecisionArg, OutputFormat, PriceArgs, ScopeArg, model_spec};
use super::progress::Bar;

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

impl BacktestArgs {
    fn request(&self) -> BacktestRequest {
        BacktestRequest {
            target: self.common.target,
            models: self.models.clone(),
            champion: self.champion.clone(),
            meters: self.common.meters.clone(),
            test_from: self.test_from,
            test_to: self.test_to,
            refit_days: self.refit_days,
            window_days: self.window_days,
            scope: self.scope.into(),
            decision: self.decision.into(),
            calibration_days: self.calibration_days,
            sweep: self.sweep.clone(),
            prices: self.prices.sources(),
            capacity_hours: self.capacity_hours.clone(),
            ab: self.ab.params(),
            delay_s: self.common.data_delay,
        }
    }
}

pub fn backtest_command(args: BacktestArgs) -> anyhow::Result<ExitCode> {
    let request = args.request();
    let out =
        args.out.clone().unwrap_or_else(|| PathBuf::from(format!("reports/backtest-{}", request.target)));
    let data = Dataset::open(&args.common.data.data)?;
    let plan = plan(&data, &request)?;
    let bar = Bar::new();
    let replayed = plan.replay(&data, &plan.meter_ids(), &bar);
    bar.finish();
    let replayed = replayed?;
    // Deciding, scoring and writing need no readings: a fleet's memory goes back first.
    drop(data);
    let done = plan.finish(replayed)?;
    done.write(&out)?;
    print_leaderboard(&done, args.format)?;
    if args.format == OutputFormat::Table {
        outln!("Report: {}", out.join("report.html").display());
    }
    let setup = done.reference_setup();
    if let Some(path) = &args.save_reference {
        // A reference keeps the peer figures it had: they come from the peer's run, not vader's.
        let peer = Reference::read(path).ok().and_then(|r| r.peer);
        Reference { peer, ..Reference::of(setup.clone(), &done.run.scores, &done.run.decision_gains) }
            .write(path)?;
        eprintln!("wrote reference figures to {}", path.display());
    }
    match &args.check {
        Some(path) => check_against(path, &done),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The regression gate: every figure that moved beyond the reference's tolerance, and exit
/// status 1 when one got worse.
fn check_against(path: &Path, done: &Backtest) -> anyhow::Result<ExitCode> {
    let reference = Reference::read(path)?;
    let drifts = reference
        .compare(&done.reference_setup(), &done.run.scores, &done.run.decision_gains)
        .map_err(|e| {
            anyhow::Error::new(e)
                .context(format!("{}: the regression reference does not fit this run", path.display()))
        })?;
    let worse = drifts.iter().filter(|d| d.worse).count();
    for d in &drifts {
        let verb = if d.worse { "WORSE" } else { "better" };
        if d.figure == "model" {
            eprintln!("{verb}: {} is in {} but not in this run", d.model, path.display());
        } else if d.figure == "cost_optimal" {
            eprintln!(
                "{verb}: {}'s cost-optimal decisions no longer beat its point decisions ({} EUR/day saved, \
                 reference {} with the verdict adopt cost-optimal, {})",
                d.model,
                d.now,
                d.reference,
                path.display()
            );
        } else if let (Some(peer), Some(what)) = (&reference.peer, d.figure.strip_prefix("peer_")) {
            let (peer_model, unit) = match what {
                "euros" => (&peer.best_euros_model, "EUR"),
                _ => (&peer.best_mae_model, "kWh MAE"),
            };
            eprintln!(
                "{verb}: vader's best ({}) {} {unit} is not below the independent peer's best ({peer_model}) {} \
                 {unit} ({})",
                d.model, d.now, d.reference, peer.source
            );
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
    if worse == 0 {
        let peer = reference.peer.as_ref().map_or(String::new(), |p| {
            format!(
                ", and the best model beats the independent peer ({} kWh MAE, {} EUR)",
                p.mae_kwh, p.euros
            )
        });
        eprintln!(
            "check passed: {} model(s) within {} % of {}{peer}{}",
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
        eprintln!("check failed: {worse} figure(s) worse than {}", path.display());
        Ok(ExitCode::from(1))
    }
}

/// One leaderboard row as (CSV column, value) pairs, so that the header and every row come
/// from the same list.
fn leaderboard_cells(
    scores: &Scores,
    model: &vader::backtest::results::ModelScore,
) -> Vec<(&'static str, String)> {
    let m = &model.metrics;
    let (saving, lo, hi, p) =
        scores.comparison(&model.model).map_or((f64::NAN, f64::NAN, f64::NAN, f64::NAN), |c| {
            let e = &c.euros;
            (e.mean_saving, e.ci_low, e.ci_high, e.dm.map_or(f64::NAN, |d| d.p_value))
        });
    vec![
        ("model", model.model.clone()),
        ("n", m.n.to_string()),
        ("mae_kwh", m.mae.to_string()),
        ("rmse_kwh", m.rmse.to_string()),
        ("mape", m.mape.to_string()),
        ("wape", m.wape.to_string()),
        ("bias_kwh", m.bias.to_string()),
        ("coverage_80", m.coverage_80.to_string()),
        ("width_80_kwh", m.width_80.to_string()),
        ("pinball_kwh", m.pinball.to_string()),
        ("euros", model.euros.to_string()),
        ("euros_per_day", model.euros_per_day.to_string()),
        ("verdict", scores.verdict_of(&model.model).to_string()),
        ("saving_eur_per_day", saving.to_string()),
        ("ci_low", lo.to_string()),
        ("ci_high", hi.to_string()),
        ("p_value", p.to_string()),
    ]
}

fn print_leaderboard(done: &Backtest, format: OutputFormat) -> anyhow::Result<()> {
    let scores = &done.run.scores;
    match format {
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&done.report().summary())?),
        OutputFormat::Csv => {
            for (i, s) in scores.leaderboard.iter().enumerate() {
                let cells = leaderboard_cells(scores, s);
                if i == 0 {
                    outln!("{}", csv_line(cells.iter().map(|c| c.0)));
                }
                outln!("{}", csv_line(cells.into_iter().map(|c| c.1)));
            }
        }
        OutputFormat::Table => print_table(done)?,
    }
    Ok(())
}

fn print_table(done: &Backtest) -> anyhow::Result<()> {
    let (info, scores) = (&done.info, &done.run.scores);
    let unit = EnergyUnit::for_values(scores.leaderboard.iter().map(|s| s.metrics.mae));
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
        table.add_row([
            s.model.clone(),
            m.n.to_string(),
            unit.show(m.mae, 2),
            unit.show(m.rmse, 2),
            format!("{:.2}", 100.0 * m.wape),
            format!("{:+.2}", unit.of(m.bias)),
            if m.coverage_80.is_finite() { format!("{:.1}", 100.0 * m.coverage_80) } else { "n/a".into() },
            money(s.euros),
            money(s.euros_per_day),
            scores.verdict_of(&s.model).to_string(),
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
    for t in &done.run.decision_gains {
        outln!("  {}", decision_gain_line(t));
    }
    Ok(())
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

/// One comparison as (CSV column, value) pairs.
fn comparison_cells(t: &AbTest) -> Vec<(&'static str, String)> {
    let (dm, hln, p, lags) =
        t.dm.map_or((f64::NAN, f64::NAN, f64::NAN, 0), |d| (d.statistic, d.hln_statistic, d.p_value, d.lags));
    vec![
        (
            "loss",
            match t.loss {
                Loss::Euros => "euros",
                Loss::AbsoluteError => "absolute_error",
            }
            .to_string(),
        ),
        ("champion", t.champion.clone()),
        ("challenger", t.challenger.clone()),
        ("days", t.days.to_string()),
        ("champion_mean", t.champion_mean.to_string()),
        ("challenger_mean", t.challenger_mean.to_string()),
        ("mean_saving", t.mean_saving.to_string()),
        ("ci_low", t.ci_low.to_string()),
        ("ci_high", t.ci_high.to_string()),
        ("dm", dm.to_string()),
        ("dm_hln", hln.to_string()),
        ("p_value", p.to_string()),
        ("lags", lags.to_string()),
        ("block_len", t.block_len.to_string()),
        ("verdict", t.verdict.as_str().to_string()),
    ]
}

pub fn compare_command(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let request = CompareRequest {
        champion_run: args.champion_run.clone(),
        challenger_run: args.challenger_run.clone(),
        champion: args.champion.clone(),
        challenger: args.challenger.clone(),
        ab: args.ab.params(),
    };
    let done = compare(&request)?;
    let result = &done.comparison;
    match args.format {
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(result)?),
        OutputFormat::Csv => {
            outln!("{}", csv_line(comparison_cells(&result.euros).iter().map(|c| c.0)));
            for t in [&result.euros, &result.error] {
                outln!("{}", csv_line(comparison_cells(t).into_iter().map(|c| c.1)));
            }
        }
        OutputFormat::Table => {
            let e = &result.euros;
            outln!(
                "{}: champion {} against challenger {}, level {}.",
                done.target,
                e.champion,
                e.challenger,
                request.ab.level
            );
            outln!("  euros: {}", verdict_line(&result.euros));
            outln!("  error: {}", verdict_line(&result.error));
            outln!("Verdict (in euros): {}.", result.euros.verdict.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}
