//! A synthetic refinery, deterministic for a seed: vader's default dataset.
//!
//! Ten gas delivery points and two electricity meters on two sites, hourly over three years.
//! Each gas meter has a process load with weekly and seasonal shape, a heating component driven
//! by the site's temperature, throughput changes ramped over hours, unit trips, one multi-week
//! turnaround with its start-up surge, and noise. The data is dirtied the way meter data is:
//! missing hours, telemetry outages, exact duplicates, negative glitches and late arrivals
//! (`received_at`). Capacities are set so that overruns happen a few times a year.
//!
//! Every meter draws from its own random stream (seeded from the seed and its index), so the
//! output is the same bit for bit on every run.

use std::f64::consts::TAU;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Timelike, Weekday};
use chrono_tz::Tz;
use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::gas_day::DayConvention;
use crate::meters::{Commodity, DEFAULT_TIMEZONE, Meter};
use crate::readings::format_utc;

const HOUR: i64 = 3600;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthParams {
    /// Seed of every random draw.
    pub seed: u64,
    /// First gas day.
    pub start: NaiveDate,
    /// Number of gas days.
    pub days: u32,
    /// Number of meters: the refinery's twelve ([`KINDS`]) by default; more repeat the twelve
    /// kinds in order (a fleet: meter `k` is kind `k mod 12`, with its own random stream and the
    /// id suffix `-N` for its `N`-th repetition), fewer keep the first ones.
    pub meters: usize,
}

impl Default for SynthParams {
    fn default() -> Self {
        Self {
            seed: 42,
            start: NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default(),
            days: 1096,
            meters: KINDS,
        }
    }
}

/// The kinds of meter the generator knows (ten gas delivery points, two electricity supplies).
pub const KINDS: usize = METERS.len();

/// A generated dataset, in memory.
#[derive(Debug, Clone, Default)]
pub struct Synthetic {
    /// The meters, with capacities.
    pub meters: Vec<Meter>,
    /// Readings: meter index, interval start, energy kWh, received at (Unix seconds).
    pub readings: Vec<(usize, i64, f64, i64)>,
    /// Weather: site, time (Unix seconds), temperature °C.
    pub weather: Vec<(String, i64, f64)>,
}

struct Site {
    name: &'static str,
    mean_c: f64,
    amplitude_c: f64,
}

const SITES: [Site; 2] = [
    Site { name: "estuary", mean_c: 11.5, amplitude_c: 7.0 },
    Site { name: "rhone", mean_c: 13.5, amplitude_c: 9.5 },
];

/// (id, name, site, commodity, base load kWh/h, heating share per °C below 15 °C)
const METERS: [(&str, &str, usize, Commodity, f64, f64); 12] = [
    ("L18442", "Crude distillation furnaces", 0, Commodity::Gas, 52_000.0, 0.004),
    ("L18447", "Vacuum distillation", 0, Commodity::Gas, 21_000.0, 0.003),
    ("L18451", "Hydrocracker", 0, Commodity::Gas, 34_000.0, 0.002),
    ("L18460", "Steam boilers", 0, Commodity::Gas, 28_000.0, 0.018),
    ("L18463", "Hydrogen plant (SMR)", 0, Commodity::Gas, 45_000.0, 0.001),
    ("L18470", "Tank farm heating", 0, Commodity::Gas, 6_000.0, 0.060),
    ("L27105", "Catalytic reformer", 1, Commodity::Gas, 30_000.0, 0.003),
    ("L27112", "FCC preheat", 1, Commodity::Gas, 24_000.0, 0.004),
    ("L27118", "Cogeneration unit", 1, Commodity::Gas, 40_000.0, 0.006),
    ("L27120", "Utilities and flare", 1, Commodity::Gas, 9_000.0, 0.025),
    ("E-EST-01", "Estuary HV supply", 0, Commodity::Electricity, 38_000.0, 0.0),
    ("E-RHO-01", "Rhone HV supply", 1, Commodity::Electricity, 26_000.0, 0.0),
];

/// Generates the dataset for `params`.
pub fn generate(params: &SynthParams) -> Synthetic {
    let tz = DEFAULT_TIMEZONE;
    let start = DayConvention::GAS.start_of(params.start, tz).timestamp();
    let end_day = params.start + chrono::Days::new(u64::from(params.days));
    let end = DayConvention::GAS.start_of(end_day, tz).timestamp();
    let hours: Vec<i64> = (start..end).step_by(3600).collect();
    let calendar: Vec<Calendar> = hours.iter().map(|&t| Calendar::of(t, tz)).collect();

    let mut out = Synthetic::default();
    let temperatures: Vec<Vec<f64>> = SITES
        .iter()
        .enumerate()
        .map(|(i, site)| temperature(site, &calendar, stream(params.seed, 1000 + i as u64)))
        .collect();
    for (i, site) in SITES.iter().enumerate() {
        for (h, &t) in hours.iter().enumerate() {
            out.weather.push((site.name.to_string(), t, round_to(temperatures[i][h], 1)));
        }
    }

    for m in 0..params.meters {
        let (id, name, site, commodity, base, heating) = METERS[m % KINDS];
        let repeat = m / KINDS;
        let mut rng = stream(params.seed, m as u64);
        let load = consumption(&mut rng, &calendar, &temperatures[site], commodity, base, heating);
        let capacity = (commodity == Commodity::Gas).then(|| capacity_for(&load, &calendar, params.days));
        dirty_readings(&mut rng, m, &hours, &load, &mut out.readings);
        out.meters.push(Meter {
            meter_id: if repeat == 0 { id.to_string() } else { format!("{id}-{repeat}") },
            name: if repeat == 0 { name.to_string() } else { format!("{name} #{}", repeat + 1) },
            site: SITES[site].name.to_string(),
            commodity,
            capacity_kwh_per_day: capacity,
            timezone: tz,
            country: None,
            subdivision: None,
        });
    }
    out
}

fn stream(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let k = 10_f64.powi(decimals);
    (x * k).round() / k
}

/// Local calendar facts of one hour.
struct Calendar {
    gas_day: NaiveDate,
    day_of_year: f64,
    local_hour: f64,
    weekend: bool,
}

impl Calendar {
    fn of(t: i64, tz: Tz) -> Self {
        let utc = chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
        let local = utc.with_timezone(&tz);
        let gas_day = DayConvention::GAS.day_of(utc, tz);
        Self {
            gas_day,
            day_of_year: f64::from(local.ordinal0()),
            local_hour: f64::from(local.hour()),
            weekend: matches!(gas_day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }
}

/// A standard normal draw (Box-Muller), so that no distribution crate is needed.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

fn temperature(site: &Site, calendar: &[Calendar], mut rng: ChaCha8Rng) -> Vec<f64> {
    // Weather anomalies persist for days: AR(1) per hour with a stationary spread of 3 °C.
    let phi: f64 = 0.995;
    let sigma = 3.0 * (1.0 - phi * phi).sqrt();
    let mut anomaly = 0.0;
    calendar
        .iter()
        .map(|c| {
            anomaly = phi * anomaly + sigma * normal(&mut rng);
            let seasonal = site.amplitude_c * (TAU * (c.day_of_year - 200.0) / 365.25).cos();
            let diurnal = 3.5 * (TAU * (c.local_hour - 15.0) / 24.0).cos();
            site.mean_c + seasonal + diurnal + anomaly
        })
        .collect()
}

/// Hourly consumption of one meter, kWh, before any data problem.
fn consumption(
    rng: &mut ChaCha8Rng,
    calendar: &[Calendar],
    temperature: &[f64],
    commodity: Commodity,
    base: f64,
    heating: f64,
) -> Vec<f64> {
    let n = calendar.len();
    let hours_per_year = 8766.0;
    let mut state = vec![1.0_f64; n];

    // Throughput changes: every one to three months, a new rate reached over a 12-hour ramp.
    let mut level = 1.0;
    let mut t = 0;
    while t < n {
        let segment = rng.random_range(720..2160).min(n - t);
        let next = (level * (1.0 + 0.05 * normal(rng))).clamp(0.85, 1.12);
        for h in 0..segment {
            let ramp = (h as f64 / 12.0).min(1.0);
            state[t + h] = level + (next - level) * ramp;
        }
        level = next;
        t += segment;
    }

    // One turnaround of three to six weeks, with a slow shut-down and a start-up surge.
    let ta_len = rng.random_range(21 * 24..42 * 24);
    let ta_start = rng.random_range(24 * 30..n.saturating_sub(ta_len + 24 * 30).max(24 * 31));
    let depth = if commodity == Commodity::Gas { rng.random_range(0.03..0.12) } else { 0.45 };
    for h in 0..ta_len + 24 * 7 {
        let Some(s) = state.get_mut(ta_start + h) else { break };
        let f = if h < 36 {
            1.0 - (1.0 - depth) * h as f64 / 36.0
        } else if h < ta_len {
            depth
        } else {
            // Start-up: furnaces heat up, consumption overshoots, then settles.
            let x = (h - ta_len) as f64 / 24.0;
            depth + (1.0 - depth) * (x / 2.0).min(1.0) + 0.22 * (-((x - 2.5) * (x - 2.5)) / 1.5).exp()
        };
        *s *= f;
    }

    // Unit trips: about three a year, a sudden drop and a recovery over hours.
    let trips = (3.0 * n as f64 / hours_per_year) as usize + rng.random_range(0..3);
    for _ in 0..trips {
        let at = rng.random_range(0..n);
        let drop = rng.random_range(0.2..0.6);
        let recovery = rng.random_range(6..48);
        for h in 0..recovery {
            if let Some(s) = state.get_mut(at + h) {
                *s *= drop + (1.0 - drop) * h as f64 / recovery as f64;
            }
        }
    }

    // Process upsets: rare days of extra firing.
    let upsets = (2.0 * n as f64 / hours_per_year) as usize;
    for _ in 0..upsets {
        let at = rng.random_range(0..n);
        let extra = rng.random_range(0.08..0.2);
        for h in 0..rng.random_range(12..60) {
            if let Some(s) = state.get_mut(at + h) {
                *s *= 1.0 + extra;
            }
        }
    }

    let weekend = 1.0 - rng.random_range(0.0..0.04);
    let season = rng.random_range(0.0..0.04);
    let mut noise = 0.0;
    (0..n)
        .map(|h| {
            let c = &calendar[h];
            noise = 0.9 * noise + 0.015 * (1.0 - 0.81_f64).sqrt() * normal(rng);
            let mut shape = 1.0 + season * (TAU * (c.day_of_year - 15.0) / 365.25).cos();
            if c.weekend {
                shape *= weekend;
            }
            if commodity == Commodity::Electricity {
                shape *= 1.0 + 0.06 * (TAU * (c.local_hour - 14.0) / 24.0).cos();
                shape *= 1.0 + 0.004 * (temperature[h] - 20.0).max(0.0);
            }
            let heat = heating * (15.0 - temperature[h]).max(0.0);
            let kwh = base * state[h] * (shape + heat) * (1.0 + noise + 0.008 * normal(rng));
            kwh.max(0.0).round()
        })
        .collect()
}

/// A capacity exceeded on about four gas days a year: the value of the `4 × years`-th
/// largest gas-day total, rounded up to 10 MWh.
fn capacity_for(load: &[f64], calendar: &[Calendar], days: u32) -> f64 {
    let mut totals: Vec<f64> = Vec::new();
    let mut current: Option<NaiveDate> = None;
    for (kwh, c) in load.iter().zip(calendar) {
        if current != Some(c.gas_day) {
            totals.push(0.0);
            current = Some(c.gas_day);
        }
        if let Some(last) = totals.last_mut() {
            *last += kwh;
        }
    }
    totals.sort_by(|a, b| b.total_cmp(a));
    let k = ((f64::from(days) / 365.25 * 4.0).round() as usize).clamp(1, totals.len().max(1));
    let value = totals.get(k - 1).copied().unwrap_or(0.0);
    (value / 10_000.0).ceil() * 10_000.0
}

/// Turns the true load into what the meter feed delivers.
fn dirty_readings(
    rng: &mut ChaCha8Rng,
    meter: usize,
    hours: &[i64],
    load: &[f64],
    out: &mut Vec<(usize, i64, f64, i64)>,
) {
    let n = hours.len();
    let mut missing = vec![false; n];
    // Telemetry outages of 3 to 72 hours, two to four per meter.
    for _ in 0..rng.random_range(2..5) {
        let at = rng.random_range(0..n);
        let len = rng.random_range(3..72);
        for m in missing.iter_mut().skip(at).take(len) {
            *m = true;
        }
    }
    for h in 0..n {
        if missing[h] || rng.random::<f64>() < 0.002 {
            continue;
        }
        let end = hours[h] + HOUR;
        // Most readings arrive within 20 to 90 minutes; one in a hundred is late by hours.
        let delay = if rng.random::<f64>() < 0.01 {
            rng.random_range(3 * HOUR..30 * HOUR)
        } else {
            rng.random_range(20 * 60..90 * 60)
        };
        let mut kwh = load[h];
        if rng.random::<f64>() < 0.0002 {
            kwh = -kwh.mul_add(0.001, 1.0).round(); // a sign glitch of the feed
        }
        out.push((meter, hours[h], kwh, end + delay));
        if rng.random::<f64>() < 0.0005 {
            out.push((meter, hours[h], kwh, end + delay)); // sent twice
        }
    }
}

/// Output file format for readings and weather.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// RFC 3339 text timestamps.
    Csv,
    /// Compressed columnar files (the default: a tenth of the size).
    Parquet,
}

impl Synthetic {
    /// Writes `readings`, `meters.csv` and `weather` into `dir`, creating it if needed.
    ///
    /// Files are written under temporary names and renamed only when all are complete, so a
    /// failed run leaves any earlier dataset in `dir` untouched.
    pub fn write(&self, dir: &Path, format: FileFormat) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            action: "creating",
            source,
        })?;
        let ext = match format {
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
        };
        let files = [format!("readings.{ext}"), "meters.csv".to_string(), format!("weather.{ext}")];
        let tmp: Vec<PathBuf> = files.iter().map(|f| dir.join(format!(".{f}.tmp"))).collect();
        let written = self
            .write_readings(&tmp[0], format)
            .and_then(|()| self.write_meters(&tmp[1]))
            .and_then(|()| self.write_weather(&tmp[2], format));
        if let Err(e) = written {
            for t in &tmp {
                let _ = std::fs::remove_file(t);
            }
            return Err(e);
        }
        let mut done = Vec::new();
        for (t, f) in tmp.iter().zip(&files) {
            let path = dir.join(f);
            std::fs::rename(t, &path).map_err(|source| Error::Io {
                path: path.clone(),
                action: "renaming into place",
                source,
            })?;
            done.push(path);
        }
        Ok(done)
    }

    fn write_readings(&self, path: &Path, format: FileFormat) -> Result<()> {
        let ids: Vec<&str> = self.readings.iter().map(|r| self.meters[r.0].meter_id.as_str()).collect();
        let start: Vec<i64> = self.readings.iter().map(|r| r.1).collect();
        let energy: Vec<f64> = self.readings.iter().map(|r| r.2).collect();
        let received: Vec<i64> = self.readings.iter().map(|r| r.3).collect();
        match format {
            FileFormat::Csv => write_text(path, "meter_id,timestamp,energy_kwh,received_at", |w| {
                for i in 0..ids.len() {
                    writeln!(
                        w,
                        "{},{},{},{}",
                        ids[i],
                        format_utc(start[i]),
                        energy[i],
                        format_utc(received[i])
                    )?;
                }
                Ok(())
            }),
            FileFormat::Parquet => {
                let frame = DataFrame::new_infer_height(vec![
                    Column::new("meter_id".into(), ids),
                    datetime_column("timestamp", start)?,
                    Column::new("energy_kwh".into(), energy),
                    datetime_column("received_at", received)?,
                ]);
                write_parquet(path, frame)
            }
        }
    }

    fn write_meters(&self, path: &Path) -> Result<()> {
        write_text(path, "meter_id,name,site,commodity,capacity_kwh_per_day,timezone", |w| {
            for m in &self.meters {
                let capacity = m.capacity_kwh_per_day.map(|c| c.to_string()).unwrap_or_default();
                writeln!(
                    w,
                    "{},{},{},{},{},{}",
                    m.meter_id,
                    m.name,
                    m.site,
                    m.commodity,
                    capacity,
                    m.timezone.name()
                )?;
            }
            Ok(())
        })
    }

    fn write_weather(&self, path: &Path, format: FileFormat) -> Result<()> {
        match format {
            FileFormat::Csv => write_text(path, "site,timestamp,temperature_c", |w| {
                for (site, t, temp) in &self.weather {
                    writeln!(w, "{site},{},{temp}", format_utc(*t))?;
                }
                Ok(())
            }),
            FileFormat::Parquet => {
                let frame = DataFrame::new_infer_height(vec![
                    Column::new("site".into(), self.weather.iter().map(|w| w.0.as_str()).collect::<Vec<_>>()),
                    datetime_column("timestamp", self.weather.iter().map(|w| w.1).collect())?,
                    Column::new("temperature_c".into(), self.weather.iter().map(|w| w.2).collect::<Vec<_>>()),
                ]);
                write_parquet(path, frame)
            }
        }
    }
}

fn polars_error(context: &str) -> impl FnOnce(PolarsError) -> Error + '_ {
    move |source| Error::Polars { context: context.to_string(), source }
}

fn datetime_column(name: &str, seconds: Vec<i64>) -> Result<Column> {
    let ms: Vec<i64> = seconds.into_iter().map(|s| s * 1000).collect();
    let column = Column::new(name.into(), ms);
    column
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)))
        .map_err(polars_error("building a timestamp column"))
}

fn write_parquet(path: &Path, frame: PolarsResult<DataFrame>) -> Result<()> {
    let mut frame = frame.map_err(polars_error("assembling the table"))?;
    let file = File::create(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        action: "writing",
        source,
    })?;
    ParquetWriter::new(file).finish(&mut frame).map_err(polars_error("writing Parquet"))?;
    Ok(())
}

fn write_text(
    path: &Path,
    header: &str,
    body: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<()> {
    let io = |source| Error::Io { path: path.to_path_buf(), action: "writing", source };
    let mut w = BufWriter::new(File::create(path).map_err(io)?);
    writeln!(w, "{header}").map_err(io)?;
    body(&mut w).map_err(io)?;
    w.flush().map_err(io)
}
