//! The backtest report: `summary.json`, `report.md`, `report.html` and three plots drawn by
//! vader (cumulative euros per model, errors over time, A/B savings with their intervals).
//!
//! Nothing in the files depends on the clock or the machine, so two runs on the same inputs
//! write identical files.

use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;
use vader_backtest::ab::{AbParams, AbTest};
use vader_backtest::cost::CostParams;
use vader_backtest::decisions::DecisionParams;
use vader_backtest::results::Scores;
use vader_backtest::run::{BacktestRun, Sweep, SweepPoint};

use crate::error::{Error, Result};
use crate::fonts::register_fonts;
use crate::format::{EnergyUnit, decision_verdict, money, p_value, verdict_line};

mod plots;

/// The most frequent refit choices a report lists per meter and model; the rest are counted.
const SHOWN_CHOICES: usize = 3;

/// How a backtest was run.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// The vader version that ran it.
    pub vader_version: String,
    /// The data folder.
    pub data: String,
    /// The forecast target.
    pub target: String,
    /// `per-meter` or `global`.
    pub scope: String,
    /// First target day of the test period.
    pub test_from: NaiveDate,
    /// Last target day of the test period.
    pub test_to: NaiveDate,
    /// Days between refits.
    pub refit_days: u32,
    /// Sliding window length, days (`None`: expanding).
    pub window_days: Option<u32>,
    /// The decision rule and calibration.
    pub decision: DecisionParams,
    /// Calibration burn-in before the test period, days.
    pub calibration_days: u32,
    /// Delay before a reading without `received_at` is known, seconds.
    pub data_delay_s: i64,
    /// The meters replayed.
    pub meters: Vec<String>,
    /// The prices.
    pub cost: CostParams,
    /// The cost file, if any.
    pub cost_file: Option<String>,
    /// The gas price series and its coverage, if any.
    pub gas_prices: Option<String>,
    /// The electricity price series and its coverage, if any.
    pub electricity_prices: Option<String>,
    /// The A/B parameters.
    pub ab: AbParams,
    /// The price sweep, if any.
    pub sweep: Option<Sweep>,
}

/// Everything the report shows.
pub struct Report<'a> {
    /// How the backtest was run.
    pub info: &'a RunInfo,
    /// What it found.
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
    /// What the tuned models chose at each refit.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    choices: &'a [vader_backtest::RefitChoice],
}

impl Report<'_> {
    /// The figures of `summary.json`.
    pub fn summary(&self) -> Summary<'_> {
        Summary {
            run: self.info,
            scores: &self.run.scores,
            decision_gains: &self.run.decision_gains,
            sweep: &self.run.sweep,
            choices: &self.run.choices,
        }
    }

    /// Writes the summary, the Markdown and HTML reports and the plots into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let summary = dir.join("summary.json");
        let json = serde_json::to_string_pretty(&self.summary())
            .map_err(|e| Error::Request(format!("{}: {e}", summary.display())))?;
        std::fs::write(&summary, json + "\n").map_err(Error::io(&summary, "writing"))?;
        let drawn = |name: &str, draw: &dyn Fn(&Path) -> std::result::Result<(), String>| {
            let path = dir.join(name);
            draw(&path).map_err(|reason| Error::Drawing { path, reason })
        };
        register_fonts().map_err(|e| Error::Drawing { path: dir.to_path_buf(), reason: e.to_string() })?;
        drawn("euros.png", &|p| self.plot_euros(p))?;
        drawn("errors.png", &|p| self.plot_errors(p))?;
        drawn("savings.png", &|p| self.plot_savings(p))?;
        if !self.run.sweep.is_empty() {
            drawn("sweep.png", &|p| self.plot_sweep(p))?;
        }
        let markdown = self.markdown().map_err(|e| Error::Request(format!("report.md: {e}")))?;
        let md = dir.join("report.md");
        std::fs::write(&md, &markdown).map_err(Error::io(&md, "writing"))?;
        let html = dir.join("report.html");
        std::fs::write(&html, self.html(&markdown)).map_err(Error::io(&html, "writing"))?;
        Ok(())
    }

    fn models(&self) -> Vec<&str> {
        self.run.scores.leaderboard.iter().map(|s| s.model.as_str()).collect()
    }

    fn markdown(&self) -> std::result::Result<String, std::fmt::Error> {
        let (info, scores) = (self.info, &self.run.scores);
        let unit = EnergyUnit::for_values(scores.leaderboard.iter().map(|s| s.metrics.mae));
        let div = f64::from(unit.kwh_per_unit);
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
            "Prices: gas {} EUR/MWh with a {} small adjustment; capacity penalty {} EUR/MWh, daily \
             capacity {:.3} EUR/MWh ({} × {} / 365); electricity {} EUR/MWh, k = {}. Cost file: {}. \
             Gas price series: {}. Electricity price series: {}.\n",
            c.gas.price_eur_per_mwh,
            gas_adjustment(&c.gas),
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
            let p = |t: &AbTest| t.dm.map_or("n/a".into(), |d| p_value(d.p_value).replace("= ", ""));
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
        self.decisions_section(&mut md, unit)?;
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
        self.choices_section(&mut md)?;
        writeln!(
            md,
            "\nFiles: `forecasts.parquet` (one row per decision: decision time, target interval, meter, \
             model, forecast, actual, cost), `summary.json` (this report's figures)."
        )?;
        Ok(md)
    }

    /// What the tuned models chose: per meter and model, the choice of the last refit and how
    /// many refits made each choice (the [`SHOWN_CHOICES`] most frequent, then a count of the
    /// others: a model that changes its mind at every refit would fill the cell otherwise).
    fn choices_section(&self, md: &mut String) -> std::fmt::Result {
        let choices = &self.run.choices;
        if choices.is_empty() {
            return Ok(());
        }
        writeln!(
            md,
            "\n## What the tuned models chose\n\nAt every refit a nested time-ordered validation, on the \
             rows known then, chooses what the trees correct and how they grow. Per meter and model: \
             the choice of the last refit, and the most frequent choices with the number of refits that \
             made each.\n"
        )?;
        writeln!(md, "| meter | model | last refit | choices (refits) |\n|---|---|---|---|")?;
        for refits in choices.chunk_by(|a, b| a.meter_id == b.meter_id && a.model == b.model) {
            let (first, last) = (&refits[0], &refits[refits.len() - 1]);
            writeln!(
                md,
                "| {} | {} | {} | {} |",
                first.meter_id,
                first.model,
                last.choice,
                choice_counts(refits)
            )?;
        }
        Ok(())
    }

    /// Quantiles, cost-optimal decisions and the price sweep.
    fn decisions_section(&self, md: &mut String, unit: EnergyUnit) -> std::fmt::Result {
        let (info, run) = (self.info, self.run);
        let div = f64::from(unit.kwh_per_unit);
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
                    t.dm.map_or("n/a".into(), |d| p_value(d.p_value).replace("= ", "")),
                    decision_verdict(t.verdict)
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
}

/// The gas small adjustment in words: `2 %`, or `1 % long / 4 % short` when the sides differ.
fn gas_adjustment(gas: &vader_backtest::cost::GasPrices) -> String {
    let (short, long) = gas.adjustments();
    if short == long {
        format!("{} %", short * 100.0)
    } else {
        format!("{} % long / {} % short", long * 100.0, short * 100.0)
    }
}

/// The [`SHOWN_CHOICES`] most frequent choices of `refits` with their counts (ties in text
/// order), then how many other choices the remaining refits made.
fn choice_counts(refits: &[vader_backtest::RefitChoice]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for c in refits {
        match counts.iter_mut().find(|(text, _)| *text == c.choice) {
            Some(entry) => entry.1 += 1,
            None => counts.push((&c.choice, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut list: Vec<String> =
        counts.iter().take(SHOWN_CHOICES).map(|(text, n)| format!("{text} ({n})")).collect();
    if let Some(rest) = counts.get(SHOWN_CHOICES..).filter(|rest| !rest.is_empty()) {
        let refits: usize = rest.iter().map(|(_, n)| n).sum();
        list.push(format!("{} other choices ({refits})", rest.len()));
    }
    list.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choices_cell_lists_the_most_frequent_and_counts_the_rest() {
        let refit = |choice: &str| vader_backtest::RefitChoice {
            meter_id: "M".into(),
            model: "gbm-tuned".into(),
            day: NaiveDate::default(),
            choice: choice.into(),
        };
        let refits: Vec<_> = ["b", "a", "b", "c", "d", "e", "b", "a"].map(refit).into();
        assert_eq!(choice_counts(&refits), "b (3); a (2); c (1); 2 other choices (2)");
        assert_eq!(choice_counts(&refits[..2]), "a (1); b (1)");
    }
}
