//! The report's plots: cumulative euros per model, errors over time, A/B savings with their
//! intervals, and euros against a swept price. Money axes read as euros (`35 M€`).

use std::path::Path;

use chrono::Days;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use vader_backtest::ab::{AbTest, Verdict};
use vader_backtest::results::daily_series;

use super::Report;
use crate::format::{EnergyUnit, money_axis};

/// What drawing returns: the plotting library's error in words.
type Drawn = Result<(), String>;

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
fn legend_and_present<'b>(chart: &mut Chart<'b, 'b>, root: &DrawingArea<BitMapBackend<'b>, Shift>) -> Drawn {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
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
    pub(super) fn plot_sweep(&self, path: &Path) -> Drawn {
        let err = |e: DrawingAreaErrorKind<_>| e.to_string();
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
            .y_label_formatter(&|y: &f64| money_axis(*y))
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

    fn day_axis(&self) -> (f64, impl Fn(&f64) -> String + '_) {
        let from = self.info.test_from;
        let span = (self.info.test_to - from).num_days().max(1) as f64;
        (span, move |x: &f64| {
            from.checked_add_days(Days::new(x.max(0.0) as u64))
                .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
        })
    }

    pub(super) fn plot_euros(&self, path: &Path) -> Drawn {
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
        self.lines(path, "Cumulative euros per model", "EUR", &series, true)
    }

    pub(super) fn plot_errors(&self, path: &Path) -> Drawn {
        let unit = EnergyUnit::for_values(self.run.scores.leaderboard.iter().map(|s| s.metrics.mae));
        let div = f64::from(unit.kwh_per_unit);
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
        self.lines(path, &format!("Absolute error, 7-day mean ({unit})"), unit.name, &series, false)
    }

    fn lines(
        &self,
        path: &Path,
        title: &str,
        y_desc: &str,
        series: &[(&str, Vec<(f64, f64)>)],
        euros: bool,
    ) -> Drawn {
        let err = |e: DrawingAreaErrorKind<_>| e.to_string();
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
            .y_label_formatter(&|y: &f64| if euros { money_axis(*y) } else { format!("{y}") })
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

    pub(super) fn plot_savings(&self, path: &Path) -> Drawn {
        let err = |e: DrawingAreaErrorKind<_>| e.to_string();
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
            .x_label_formatter(&|x: &f64| money_axis(*x))
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
                Verdict::AdoptChallenger => RGBColor(43, 138, 62),
                Verdict::KeepChampion => RGBColor(201, 42, 42),
                Verdict::NoSignificantDifference => RGBColor(108, 117, 125),
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
