//! vader's results as typed tables: one function per table, each column named as in the
//! command line's CSV and JSON outputs.

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use vader::api::{Nominations, Trained};
use vader::backtest::ab::AbTest;
use vader::backtest::results::Scores;
use vader::backtest::run::SweepPoint;
use vader::backtest::{AlertRow, Metrics};
use vader::features::ValidationReport;

/// Columns pushed one by one, then made a table.
#[derive(Default)]
struct Columns(Vec<Column>);

impl Columns {
    fn text<S: AsRef<str>>(mut self, name: &str, values: impl IntoIterator<Item = S>) -> Self {
        let v: Vec<String> = values.into_iter().map(|s| s.as_ref().to_string()).collect();
        self.0.push(Column::new(name.into(), v));
        self
    }

    fn maybe_text(mut self, name: &str, values: impl IntoIterator<Item = Option<String>>) -> Self {
        let v: Vec<Option<String>> = values.into_iter().collect();
        self.0.push(Column::new(name.into(), v));
        self
    }

    fn float(mut self, name: &str, values: impl IntoIterator<Item = f64>) -> Self {
        let v: Vec<f64> = values.into_iter().collect();
        self.0.push(Column::new(name.into(), v));
        self
    }

    fn maybe_float(mut self, name: &str, values: impl IntoIterator<Item = Option<f64>>) -> Self {
        let v: Vec<Option<f64>> = values.into_iter().collect();
        self.0.push(Column::new(name.into(), v));
        self
    }

    fn int(mut self, name: &str, values: impl IntoIterator<Item = i64>) -> Self {
        let v: Vec<i64> = values.into_iter().collect();
        self.0.push(Column::new(name.into(), v));
        self
    }

    fn maybe_bool(mut self, name: &str, values: impl IntoIterator<Item = Option<bool>>) -> Self {
        let v: Vec<Option<bool>> = values.into_iter().collect();
        self.0.push(Column::new(name.into(), v));
        self
    }

    fn date(mut self, name: &str, values: impl IntoIterator<Item = NaiveDate>) -> PolarsResult<Self> {
        let v: Vec<i32> = values.into_iter().map(days_since_epoch).collect();
        self.0.push(Column::new(name.into(), v).cast(&DataType::Date)?);
        Ok(self)
    }

    fn utc(mut self, name: &str, values: impl IntoIterator<Item = DateTime<Utc>>) -> PolarsResult<Self> {
        let v: Vec<i64> = values.into_iter().map(|t| t.timestamp_millis()).collect();
        self.0.push(
            Column::new(name.into(), v)
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))?,
        );
        Ok(self)
    }

    fn frame(self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(self.0)
    }
}

fn days_since_epoch(day: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((day - epoch).num_days()).unwrap_or(i32::MAX)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `vader validate --format csv`: one row per meter of the readings.
pub fn validation(report: &ValidationReport) -> PolarsResult<DataFrame> {
    let m = &report.meters;
    Columns::default()
        .text("meter_id", m.iter().map(|r| &r.meter_id))
        .int("readings", m.iter().map(|r| count(r.readings)))
        .text("first", m.iter().map(|r| &r.first))
        .text("last", m.iter().map(|r| &r.last))
        .float("interval_min", m.iter().map(|r| r.interval_minutes))
        .int("duplicates_dropped", m.iter().map(|r| count(r.duplicates_dropped)))
        .int("gaps", m.iter().map(|r| count(r.gaps)))
        .int("missing_intervals", m.iter().map(|r| r.missing_intervals))
        .maybe_text(
            "longest_gap",
            m.iter().map(|r| {
                r.longest_gap.as_ref().map(|g| format!("{} intervals from {}", g.missing_intervals, g.from))
            }),
        )
        .int("negative", m.iter().map(|r| count(r.negative)))
        .int("non_finite", m.iter().map(|r| count(r.non_finite)))
        .int("off_grid", m.iter().map(|r| count(r.off_grid)))
        .maybe_text("first_problem", m.iter().map(|r| r.first_problem.clone()))
        .frame()
}

/// `vader capacity --format csv`: one row per gas meter.
pub fn alert(rows: &[AlertRow]) -> PolarsResult<DataFrame> {
    Columns::default()
        .text("meter_id", rows.iter().map(|r| &r.meter_id))
        .text("name", rows.iter().map(|r| &r.name))
        .date("gas_day", rows.iter().map(|r| r.gas_day))?
        .float("hours_elapsed", rows.iter().map(|r| r.hours_elapsed))
        .float("consumed_kwh", rows.iter().map(|r| r.consumed_kwh))
        .maybe_float("projected_kwh", rows.iter().map(|r| r.projected_kwh))
        .maybe_float("capacity_kwh", rows.iter().map(|r| r.capacity_kwh))
        .maybe_bool("over_capacity", rows.iter().map(|r| r.over_capacity))
        .maybe_float("extra_capacity_kwh", rows.iter().map(|r| r.extra_capacity_kwh))
        .int("hours_used", rows.iter().map(|r| count(r.hours_used)))
        .text("status", rows.iter().map(|r| r.status.as_str()))
        .frame()
}

/// `vader nominate --format csv`: one row per meter and period.
pub fn nominations(done: &Nominations) -> PolarsResult<DataFrame> {
    let n = &done.rows;
    Columns::default()
        .text("meter_id", n.iter().map(|r| &r.meter_id))
        .text("name", n.iter().map(|r| &r.name))
        .text("target", n.iter().map(|r| &r.target))
        .date("day", n.iter().map(|r| r.day))?
        .utc("period_start", n.iter().map(|r| r.period_start))?
        .utc("decision_at", n.iter().map(|r| r.decision_at))?
        .text("model", n.iter().map(|r| &r.model))
        .float("point_kwh", n.iter().map(|r| r.point_kwh))
        .maybe_float("q10_kwh", n.iter().map(|r| r.q10_kwh))
        .maybe_float("q90_kwh", n.iter().map(|r| r.q90_kwh))
        .maybe_float("tau", n.iter().map(|r| r.tau))
        .float("nomination_kwh", n.iter().map(|r| r.nomination_kwh))
        .frame()
}

/// What `vader train` fitted: one row per meter (or `*` for a global model).
pub fn trained_units(done: &Trained) -> PolarsResult<DataFrame> {
    let u = &done.units;
    Columns::default()
        .text("unit", u.iter().map(|r| &r.unit))
        .int("rows", u.iter().map(|r| count(r.rows)))
        .maybe_text("first_day", u.iter().map(|r| r.span.map(|s| s.0.to_string())))
        .maybe_text("last_day", u.iter().map(|r| r.span.map(|s| s.1.to_string())))
        .frame()
}

/// The metric columns of a score row.
fn metrics<'a>(columns: Columns, m: impl Iterator<Item = &'a Metrics> + Clone) -> Columns {
    columns
        .int("n", m.clone().map(|x| count(x.n)))
        .float("mae", m.clone().map(|x| x.mae))
        .float("rmse", m.clone().map(|x| x.rmse))
        .float("mape", m.clone().map(|x| x.mape))
        .float("wape", m.clone().map(|x| x.wape))
        .float("bias", m.clone().map(|x| x.bias))
        .float("coverage_80", m.clone().map(|x| x.coverage_80))
        .float("width_80", m.clone().map(|x| x.width_80))
        .float("pinball", m.map(|x| x.pinball))
}

/// The leaderboard: one row per model, cheapest first, with its verdict against the champion.
pub fn leaderboard(scores: &Scores) -> PolarsResult<DataFrame> {
    let b = &scores.leaderboard;
    let columns =
        Columns::default().int("rank", (1..=b.len()).map(count)).text("model", b.iter().map(|s| &s.model));
    metrics(columns, b.iter().map(|s| &s.metrics))
        .float("euros", b.iter().map(|s| s.euros))
        .int("days", b.iter().map(|s| count(s.days)))
        .float("euros_per_day", b.iter().map(|s| s.euros_per_day))
        .text("verdict", b.iter().map(|s| scores.verdict_of(&s.model)))
        .frame()
}

/// Scores per meter and model.
pub fn per_meter(scores: &Scores) -> PolarsResult<DataFrame> {
    let p = &scores.per_meter;
    let columns = Columns::default()
        .text("meter_id", p.iter().map(|s| &s.meter_id))
        .text("model", p.iter().map(|s| &s.model));
    metrics(columns, p.iter().map(|s| &s.metrics)).float("euros", p.iter().map(|s| s.euros)).frame()
}

/// A/B tests, one row each: the champion and challenger, what is compared, the mean daily
/// saving of the challenger with its bootstrap interval, the Diebold–Mariano p-value, and the
/// verdict.
pub fn ab_tests<'a>(tests: impl Iterator<Item = &'a AbTest> + Clone) -> PolarsResult<DataFrame> {
    let t = tests;
    Columns::default()
        .text("champion", t.clone().map(|x| &x.champion))
        .text("challenger", t.clone().map(|x| &x.challenger))
        .text("loss", t.clone().map(|x| x.loss.as_str()))
        .int("days", t.clone().map(|x| count(x.days)))
        .float("champion_mean", t.clone().map(|x| x.champion_mean))
        .float("challenger_mean", t.clone().map(|x| x.challenger_mean))
        .float("mean_saving", t.clone().map(|x| x.mean_saving))
        .float("ci_low", t.clone().map(|x| x.ci_low))
        .float("ci_high", t.clone().map(|x| x.ci_high))
        .maybe_float("p_value", t.clone().map(|x| x.dm.as_ref().map(|d| d.p_value)))
        .float("level", t.clone().map(|x| x.level))
        .text("verdict", t.map(|x| x.verdict.as_str()))
        .frame()
}

/// Euros per model over the swept prices.
pub fn sweep(points: &[SweepPoint]) -> PolarsResult<DataFrame> {
    Columns::default()
        .float("value", points.iter().map(|p| p.value))
        .text("model", points.iter().map(|p| &p.model))
        .float("point_eur", points.iter().map(|p| p.point_eur))
        .float("cost_optimal_eur", points.iter().map(|p| p.cost_optimal_eur))
        .frame()
}
