//! The backtest report: `summary.json`, `report.md`, `report.html` and three plots drawn by
//! vader (cumulative euros per model, errors over time, A/B savings with their intervals).
//!
//! Nothing in the files depends on the clock or the machine, so two runs on the same inputs
//! write identical files.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::{Days, NaiveDate};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use serde::Serialize;
use vader::backtest::ab::{AbParams, AbTest};
use vader::backtest::cost::CostParams;
use vader::backtest::decisions::DecisionParams;
use vader::backtest::results::{Scores, daily_series};
use vader::backtest::run::{BacktestRun, Sweep, SweepPoint};

use super::backtest::{energy_unit, format_p, money, verdict_line};
use super::table_png::register_fonts;

/// How a backtest was run.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub vader_version: String,
    pub data: String,
    pub target: String,
    pub scope: String,
    pub test_from: NaiveDate,
    pub test_to: NaiveDate,
    pub refit_days: u32,
    pub window_days: Option<u32>,
    pub decision: DecisionParams,
    pub calibration_days: u32,
    pub data_delay_s: i64,
    pub meters: Vec<String>,
    pub cost: CostParams,
    pub cost_file: Option<String>,
    pub gas_prices: Option<String>,
    pub electricity_prices: Option<String>,
    pub ab: AbParams,
    pub sweep: Option<Sweep>,
}

/// Everything the report shows.
pub struct Report<'a> {
    pub info: &'a RunInfo,
    pub run: &'a BacktestRun,
}

/// `summary.json`: the run and its scores.
#[derive(Serialize)]
pub struct Summary<'a> {
    run: &'a RunInfo,
    #[serde(flatten)]
    scores: &'a Scores,
    /// Each model's cost-optimal decisions against its point decisions, in euros.
    decision_gains: &'a [AbTest],
    /// Euros per model over the swept prices.
    sweep: &'a [SweepPoint],
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

const PLOT: (u32, u32) = (1200, 560);

/// A line chart of the report: days or prices against euros or energy.
type Chart<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws the series' legend in the upper left corner and writes the picture.
fn legend_and_present<'b>(
    chart: &mut Chart<'b, 'b>,
    root: &DrawingArea<BitMapBackend<'b>, Shift>,
) -> anyhow::Result<()> {
    let err = |e: DrawingAreaErrorKind<_>| anyhow!("{e}");
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

impl Report<'_> {
    pub fn summary(&self) -> Summary<'_> {
        Summary {
            run: self.info,
            scores: &self.run.scores,
            decision_gains: &self.run.decision_gains,
            sweep: &self.run.sweep,
        }
    }

    /// Writes the summary, the Markdown and HTML reports and the plots into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(&self.summary())?;
        std::fs::write(dir.join("summary.json"), json + "\n").context("writing summary.json")?;
        register_fonts()?;
        self.plot_euros(&dir.join("euros.png")).context("drawing euros.png")?;
        self.plot_errors(&dir.join("errors.png")).context("drawing errors.png")?;
        self.plot_savings(&dir.join("savings.png")).context("drawing savings.png")?;
        if !self.run.sweep.is_empty() {
            self.plot_sweep(&dir.join("sweep.png")).context("drawing sweep.png")?;
        }
        let markdown = self.markdown()?;
        std::fs::write(dir.join("report.md"), &markdown).context("writing report.md")?;
        std::fs::write(dir.join("report.html"), self.html(&markdown)).context("writing report.html")?;
        Ok(())
    }

    fn models(&self) -> Vec<&str> {
        self.run.scores.leaderboard.iter().map(|s| s.model.as_str()).collect()
    }

    fn markdown(&self) -> anyhow::Result<String> {
        let (info, scores) = (self.info, &self.run.scores);
        let largest = scores.leaderboard.iter().map(|s| s.metrics.mae).fold(0.0, f64::max);
        let (div, unit) = energy_unit(largest);
        let mut md = String::new();
        writeln!(md, "# Backtest: {}, {} to {}\n", info.target, info.test_from, info.test_to)?;
        writeln!(
            md,
            "Data `{}`, {} meter(s) ({}), {} scope; walk-forward with a refit every {} day(s) on {}; \
             readings known {} min after their interval ends (unless `received_at` says otherwise). \
             vader {}.\n",
            info.data,
            info.meters.len(),
            info.meters.join(", "),
            info.scope,
            info.refit_days,
            info.window_days
                .map_or("an expanding window".to_string(), |d| format!("a sliding window of {d} days")),
            info.data_delay_s / 60,
            info.vader_version
        )?;
        let c = &info.cost;
        writeln!(
            md,
            "Prices: gas {} EUR/MWh with a {} % small adjustment; capacity penalty {} EUR/MWh, daily \
             capacity {:.3} EUR/MWh ({} × {} / 365); electricity {} EUR/MWh, k = {}. Cost file: {}. \
             Gas price series: {}. Electricity price series: {}.\n",
            c.gas.price_eur_per_mwh,
            c.gas.small_adjustment * 100.0,
            c.capacity.penalty_eur_per_mwh,
            c.capacity.daily_price_eur_per_mwh(),
            c.capacity.daily_multiplier,
            c.capacity.yearly_tariff_eur_per_mwh_day,
            c.electricity.price_eur_per_mwh,
            c.electricity.k,
            info.cost_file.as_deref().unwrap_or("none (defaults)"),
            info.gas_prices.as_deref().unwrap_or("none"),
            info.electricity_prices.as_deref().unwrap_or("none"),
        )?;
        writeln!(md, "## Leaderboard\n\nCheapest first. Errors in {unit}.\n")?;
        writeln!(
            md,
            "| model | forecasts | MAE | RMSE | MAPE % | WAPE % | bias | cover 80 % | euros | EUR/day | vs champion |"
        )?;
        writeln!(md, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")?;
        for s in &scores.leaderboard {
            let m = &s.metrics;
            let verdict = match scores.verdict_of(&s.model) {
                "champion" => "**champion**",
                v => v,
            };
            writeln!(
                md,
                "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:+.2} | {:.1} | {} | {} | {verdict} |",
                s.model,
                m.n,
                m.mae / div,
                m.rmse / div,
                100.0 * m.mape,
                100.0 * m.wape,
                m.bias / div,
                100.0 * m.coverage_80,
                money(s.euros),
                money(s.euros_per_day)
            )?;
        }
        let level = info.ab.level;
        writeln!(
            md,
            "\n## A/B against the champion, {}\n\nFor each challenger, the daily differences \
             (champion − challenger) over the days both were scored on: their mean (what the \
             challenger saves per day), a {}% moving-block bootstrap interval ({} resamples), and the \
             Diebold-Mariano test with Newey-West variance and the Harvey-Leybourne-Newbold correction \
             (Student t, n − 1 d.f.) at level {level}.\n",
            scores.champion,
            ((1.0 - level) * 100.0).round(),
            info.ab.resamples
        )?;
        writeln!(
            md,
            "| challenger | days | saving EUR/day | interval | DM (HLN) | p | verdict | MAE saving ({unit}) | interval | p | verdict |"
        )?;
        writeln!(md, "|---|--:|--:|---|--:|--:|---|--:|---|--:|---|")?;
        for c in &scores.comparisons {
            let (e, a) = (&c.euros, &c.error);
            let stat = |t: &AbTest| t.dm.map_or("n/a".into(), |d| format!("{:.2}", d.hln_statistic));
            let p = |t: &AbTest| t.dm.map_or("n/a".into(), |d| format_p(d.p_value).replace("= ", ""));
            writeln!(
                md,
                "| {} | {} | {} | [{}, {}] | {} | {} | {} | {:.2} | [{:.2}, {:.2}] | {} | {} |",
                e.challenger,
                e.days,
                money(e.mean_saving),
                money(e.ci_low),
                money(e.ci_high),
                stat(e),
                p(e),
                e.verdict.as_str(),
                a.mean_saving / div,
                a.ci_low / div,
                a.ci_high / div,
                p(a),
                a.verdict.as_str()
            )?;
        }
        writeln!(md)?;
        for c in &scores.comparisons {
            writeln!(md, "- {}", verdict_line(&c.euros))?;
        }
        writeln!(
            md,
            "\n![A/B savings](savings.png)\n\n![Cumulative euros](euros.png)\n\n![Errors](errors.png)\n"
        )?;
        self.decisions_section(&mut md, div, unit)?;
        writeln!(md, "## Per meter\n\nMAE in {unit}, euros over the test period.\n")?;
        let models = self.models();
        write!(md, "| meter |")?;
        for m in &models {
            write!(md, " {m} MAE | {m} EUR |")?;
        }
        writeln!(md)?;
        writeln!(md, "|---|{}", "--:|".repeat(2 * models.len()))?;
        for meter in &info.meters {
            write!(md, "| {meter} |")?;
            for m in &models {
                match scores.per_meter.iter().find(|s| &s.meter_id == meter && s.model == *m) {
                    Some(s) => write!(md, " {:.2} | {} |", s.metrics.mae / div, money(s.euros))?,
                    None => write!(md, " | |")?,
                }
            }
            writeln!(md)?;
        }
        writeln!(
            md,
            "\nFiles: `forecasts.parquet` (one row per decision: decision time, target interval, meter, \
             model, forecast, actual, cost), `summary.json` (this report's figures)."
        )?;
        Ok(md)
    }

    /// Quantiles, cost-optimal decisions and the price sweep.
    fn decisions_section(&self, md: &mut String, div: f64, unit: &str) -> anyhow::Result<()> {
        let (info, run) = (self.info, self.run);
        let d = &info.decision;
        writeln!(
            md,
            "## Quantiles and cost-optimal decisions\n\nEvery model's quantiles are calibrated on its own \
             past residuals: for each decision, the last {} residuals of the same meter and slot of the \
             day whose actual had arrived by then (split conformal; none with fewer than {}), after a \
             burn-in of {} days before the test period. The cost-optimal decision nominates the quantile \
             τ = c_u / (c_u + c_o) (gas and electricity imbalance; τ = 1 − p_day / π = {:.4} for the \
             capacity decision); the leaderboard above uses **{}** decisions.\n",
            d.residuals,
            d.min_residuals,
            info.calibration_days,
            info.cost.capacity.buy_quantile(),
            d.rule.as_str()
        )?;
        writeln!(
            md,
            "| model | with quantiles | cover 80 % | width 80 % ({unit}) | pinball ({unit}) | cost-optimal saves EUR/day | interval | p | verdict |"
        )?;
        writeln!(md, "|---|--:|--:|--:|--:|--:|---|--:|---|")?;
        for s in &run.scores.leaderboard {
            let m = &s.metrics;
            write!(
                md,
                "| {} | {} | {:.1} | {:.2} | {:.2} |",
                s.model,
                m.quantiles_scored,
                100.0 * m.coverage_80,
                m.width_80 / div,
                m.pinball / div
            )?;
            match run.decision_gains.iter().find(|t| t.champion == format!("{} (point)", s.model)) {
                Some(t) => writeln!(
                    md,
                    " {} | [{}, {}] | {} | {} |",
                    money(t.mean_saving),
                    money(t.ci_low),
                    money(t.ci_high),
                    t.dm.map_or("n/a".into(), |d| format_p(d.p_value).replace("= ", "")),
                    t.verdict.as_str().replace("challenger", "cost-optimal").replace("champion", "point")
                )?,
                None => writeln!(md, " | | | too few days |")?,
            }
        }
        writeln!(md)?;
        if let Some(sweep) = &info.sweep {
            writeln!(
                md,
                "### Sensitivity to {}\n\nThe same forecasts decided and priced again at each value \
                 (no refit). Total euros over the test period.\n",
                sweep.key.as_str()
            )?;
            write!(md, "| {} |", sweep.key.as_str())?;
            let models = self.models();
            for m in &models {
                write!(md, " {m} point | {m} cost-optimal |")?;
            }
            writeln!(md, "\n|--:|{}", "--:|".repeat(2 * models.len()))?;
            for &v in &sweep.values {
                write!(md, "| {v} |")?;
                for m in &models {
                    match run.sweep.iter().find(|p| p.value == v && p.model == *m) {
                        Some(p) => write!(md, " {} | {} |", money(p.point_eur), money(p.cost_optimal_eur))?,
                        None => write!(md, " | |")?,
                    }
                }
                writeln!(md)?;
            }
            writeln!(md, "\n![Euros against {}](sweep.png)\n", sweep.key.as_str())?;
        }
        Ok(())
    }

    fn plot_sweep(&self, path: &Path) -> anyhow::Result<()> {
        let err = |e: DrawingAreaErrorKind<_>| anyhow!("{e}");
        let Some(sweep) = &self.info.sweep else { return Ok(()) };
        let root = BitMapBackend::new(path, PLOT).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let xs = sweep.values.iter().copied();
        let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let ys =
            self.run.sweep.iter().flat_map(|p| [p.point_eur, p.cost_optimal_eur]).filter(|v| v.is_finite());
        let (y_lo, y_hi) = ys.fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
        let (x_pad, y_pad) = (((x_hi - x_lo) * 0.05).max(1e-9), ((y_hi - y_lo) * 0.05).max(1e-9));
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Euros against {} (solid: point, dashed: cost-optimal)", sweep.key.as_str()),
                ("sans-serif", 24),
            )
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(90)
            .build_cartesian_2d((x_lo - x_pad)..(x_hi + x_pad), (y_lo - y_pad)..(y_hi + y_pad))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(sweep.key.as_str())
            .y_desc("EUR")
            .label_style(("sans-serif", 15))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (i, model) in self.models().into_iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let points = |optimal: bool| -> Vec<(f64, f64)> {
                sweep
                    .values
                    .iter()
                    .filter_map(|&v| {
                        let p = self.run.sweep.iter().find(|p| p.value == v && p.model == model)?;
                        Some((v, if optimal { p.cost_optimal_eur } else { p.point_eur }))
                    })
                    .collect()
            };
            chart
                .draw_series(std::iter::once(PathElement::new(points(false), color.stroke_width(2))))
                .map_err(err)?
                .label(model)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
            // Dashes: every other segment of the cost-optimal line.
            let optimal = points(true);
            let dashes: Vec<PathElement<(f64, f64)>> = optimal
                .windows(2)
                .flat_map(|w| {
                    let ((x0, y0), (x1, y1)) = (w[0], w[1]);
                    (0..10).step_by(2).map(move |k| {
                        let (a, b) = (f64::from(k) / 10.0, f64::from(k + 1) / 10.0);
                        PathElement::new(
                            vec![
                                (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a),
                                (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
                            ],
                            color.stroke_width(2),
                        )
                    })
                })
                .collect();
            chart.draw_series(dashes).map_err(err)?;
            chart.draw_series(optimal.iter().map(|&p| Circle::new(p, 4, color.filled()))).map_err(err)?;
        }
        legend_and_present(&mut chart, &root)
    }

    fn html(&self, markdown: &str) -> String {
        let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
        let mut body = String::new();
        pulldown_cmark::html::push_html(&mut body, parser);
        format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>vader backtest: {} {} to {}</title>\n<style>\n\
             body {{ font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #212529; }}\n\
             table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}\n\
             th, td {{ border: 1px solid #dee2e6; padding: 4px 8px; }}\n\
             th {{ background: #f1f3f5; }}\n\
             img {{ max-width: 100%; }}\n\
             </style>\n</head>\n<body>\n{body}</body>\n</html>\n",
            self.info.target, self.info.test_from, self.info.test_to
        )
    }

    fn day_axis(&self) -> (f64, impl Fn(&f64) -> String + '_) {
        let from = self.info.test_from;
        let span = (self.info.test_to - from).num_days().max(1) as f64;
        (span, move |x: &f64| {
            from.checked_add_days(Days::new(x.max(0.0) as u64))
                .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
        })
    }

    fn plot_euros(&self, path: &Path) -> anyhow::Result<()> {
        let series: Vec<(&str, Vec<(f64, f64)>)> = self
            .models()
            .into_iter()
            .map(|m| {
                let mut total = 0.0;
                let points = daily_series(&self.run.forecasts, m)
                    .into_iter()
                    .map(|(d, eur, _)| {
                        total += eur;
                        ((d - self.info.test_from).num_days() as f64, total)
                    })
                    .collect();
                (m, points)
            })
            .collect();
        self.lines(path, "Cumulative euros per model", "EUR", &series)
    }

    fn plot_errors(&self, path: &Path) -> anyhow::Result<()> {
        let largest = self.run.scores.leaderboard.iter().map(|s| s.metrics.mae).fold(0.0, f64::max);
        let (div, unit) = energy_unit(largest);
        let series: Vec<(&str, Vec<(f64, f64)>)> = self
            .models()
            .into_iter()
            .map(|m| {
                let daily = daily_series(&self.run.forecasts, m);
                // Mean absolute error over the last 7 days with a value, per day.
                let points = (0..daily.len())
                    .filter_map(|i| {
                        let window: Vec<f64> = daily[i.saturating_sub(6)..=i]
                            .iter()
                            .map(|d| d.2)
                            .filter(|v| v.is_finite())
                            .collect();
                        (!window.is_empty()).then(|| {
                            let x = (daily[i].0 - self.info.test_from).num_days() as f64;
                            (x, window.iter().sum::<f64>() / window.len() as f64 / div)
                        })
                    })
                    .collect();
                (m, points)
            })
            .collect();
        self.lines(path, &format!("Absolute error, 7-day mean ({unit})"), unit, &series)
    }

    fn lines(
        &self,
        path: &Path,
        title: &str,
        y_desc: &str,
        series: &[(&str, Vec<(f64, f64)>)],
    ) -> anyhow::Result<()> {
        let err = |e: DrawingAreaErrorKind<_>| anyhow!("{e}");
        let root = BitMapBackend::new(path, PLOT).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let values = series.iter().flat_map(|s| s.1.iter().map(|p| p.1)).filter(|v| v.is_finite());
        let (lo, hi) = values.fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
        let pad = ((hi - lo) * 0.05).max(1e-9);
        let (span, label) = self.day_axis();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 26))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..span, (lo - pad)..(hi + pad))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_labels(7)
            .x_label_formatter(&label)
            .y_desc(y_desc)
            .label_style(("sans-serif", 15))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (i, (name, points)) in series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(std::iter::once(PathElement::new(points.clone(), color.stroke_width(2))))
                .map_err(err)?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
        }
        legend_and_present(&mut chart, &root)
    }

    fn plot_savings(&self, path: &Path) -> anyhow::Result<()> {
        let err = |e: DrawingAreaErrorKind<_>| anyhow!("{e}");
        let tests: Vec<&AbTest> = self.run.scores.comparisons.iter().map(|c| &c.euros).collect();
        let height = (120 + 56 * tests.len().max(1)) as u32;
        let root = BitMapBackend::new(path, (PLOT.0, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let ends = tests.iter().flat_map(|t| [t.ci_low, t.ci_high, t.mean_saving]).filter(|v| v.is_finite());
        let (lo, hi) = ends.fold((0.0_f64, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
        let pad = ((hi - lo) * 0.08).max(1e-6);
        let n = tests.len().max(1) as f64;
        let names: Vec<String> = tests.iter().map(|t| t.challenger.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Saving per day against {} (EUR, with interval)", self.run.scores.champion),
                ("sans-serif", 24),
            )
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(150)
            .build_cartesian_2d((lo - pad)..(hi + pad), -0.5..(n - 0.5))
            .map_err(err)?;
        chart
            .configure_mesh()
            .y_labels(tests.len().max(1))
            .y_label_formatter(&|y: &f64| {
                let i = y.round();
                if (y - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style(("sans-serif", 16))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, -0.5), (0.0, n - 0.5)],
                BLACK.stroke_width(1),
            )))
            .map_err(err)?;
        for (i, t) in tests.iter().enumerate() {
            let y = i as f64;
            let color = match t.verdict {
                vader::backtest::ab::Verdict::AdoptChallenger => RGBColor(43, 138, 62),
                vader::backtest::ab::Verdict::KeepChampion => RGBColor(201, 42, 42),
                vader::backtest::ab::Verdict::NoSignificantDifference => RGBColor(108, 117, 125),
            };
            let style = color.stroke_width(3);
            chart
                .draw_series([
                    PathElement::new(vec![(t.ci_low, y), (t.ci_high, y)], style),
                    PathElement::new(vec![(t.ci_low, y - 0.15), (t.ci_low, y + 0.15)], style),
                    PathElement::new(vec![(t.ci_high, y - 0.15), (t.ci_high, y + 0.15)], style),
                ])
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Circle::new((t.mean_saving, y), 7, color.filled())))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
        Ok(())
    }
}
