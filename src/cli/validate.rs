//! `vader validate`: the validation report of a data folder.

use std::process::ExitCode;

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use vader::features::{Dataset, ValidationReport};
use vader::format::csv_line;

use super::args::{DataArg, OutputFormat};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
    /// Exit with status 1 when anything is reported (for use in pipelines).
    #[arg(long)]
    strict: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dataset = Dataset::open(&args.data.data)?;
    let report = ValidationReport::of(&dataset);
    match args.format {
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
        OutputFormat::Csv => print_csv(&report)?,
        OutputFormat::Table => print_table(&dataset, &report)?,
    }
    Ok(if args.strict && report.findings() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The CSV columns of `vader validate --format csv`, in order.
pub const CSV_COLUMNS: [&str; 13] = [
    "meter_id",
    "readings",
    "first",
    "last",
    "interval_min",
    "duplicates_dropped",
    "gaps",
    "missing_intervals",
    "longest_gap",
    "negative",
    "non_finite",
    "off_grid",
    "first_problem",
];

fn cells(m: &vader::features::validate::MeterReport) -> [String; 13] {
    [
        m.meter_id.clone(),
        m.readings.to_string(),
        m.first.clone(),
        m.last.clone(),
        m.interval_minutes.to_string(),
        m.duplicates_dropped.to_string(),
        m.gaps.to_string(),
        m.missing_intervals.to_string(),
        m.longest_gap
            .as_ref()
            .map(|g| format!("{} intervals from {}", g.missing_intervals, g.from))
            .unwrap_or_default(),
        m.negative.to_string(),
        m.non_finite.to_string(),
        m.off_grid.to_string(),
        m.first_problem.clone().unwrap_or_default(),
    ]
}

fn print_csv(report: &ValidationReport) -> anyhow::Result<()> {
    outln!("{}", CSV_COLUMNS.join(","));
    for m in &report.meters {
        outln!("{}", csv_line(cells(m)));
    }
    Ok(())
}

fn print_table(dataset: &Dataset, report: &ValidationReport) -> anyhow::Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "meter",
        "readings",
        "from",
        "to",
        "step",
        "dupes",
        "gaps",
        "missing",
        "longest gap",
        "neg",
        "NaN",
        "off-grid",
    ]);
    for m in &report.meters {
        let c = cells(m);
        let longest =
            m.longest_gap.as_ref().map(|g| format!("{} × {} min", g.missing_intervals, m.interval_minutes));
        table.add_row([
            c[0].as_str(),
            &c[1],
            &c[2][..10.min(c[2].len())],
            &c[3][..10.min(c[3].len())],
            &format!("{} min", c[4]),
            &c[5],
            &c[6],
            &c[7],
            longest.as_deref().unwrap_or("-"),
            &c[9],
            &c[10],
            &c[11],
        ]);
    }
    outln!(
        "{}: {} readings of {} meters ({} in meters file)",
        dataset.dir.display(),
        dataset.readings.len(),
        report.meters.len() + report.unknown_meters.len(),
        dataset.meters.len()
    );
    outln!("{table}");
    for m in report.meters.iter().filter(|m| m.first_problem.is_some()) {
        outln!("{}: first bad reading at {}", m.meter_id, m.first_problem.as_deref().unwrap_or(""));
    }
    for u in &report.unknown_meters {
        outln!("unknown meter {} ({} readings): not in the meters file, ignored", u.meter_id, u.readings);
    }
    for id in &report.meters_without_readings {
        outln!("meter {id} has no readings");
    }
    for id in &report.gas_meters_without_capacity {
        outln!("gas meter {id} has no capacity_kwh_per_day: the capacity alert cannot judge it");
    }
    for w in &report.weather {
        outln!(
            "weather {}: {} rows from {} to {}, {} without temperature",
            w.site,
            w.rows,
            w.first,
            w.last,
            w.missing_temperature
        );
    }
    for site in &report.sites_without_weather {
        outln!("site {site} has no weather in the weather file");
    }
    outln!("{} finding(s)", report.findings());
    Ok(())
}
