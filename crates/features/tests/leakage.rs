//! No feature may use a reading before it was known. For random meters and target days, the
//! features built from all the data must equal, bit for bit, those built from only the
//! readings known at the decision time, and those built after scrambling every later reading.
//! The check is shown to catch a deliberately leaking feature.

use chrono::{Days, NaiveDate};
use vader_features::covariates::{Covariates, StepSeries};
use vader_features::{Dataset, FeatureTable, Meter, SiteWeather, Target, Weather, features};

const DELAY: i64 = 7200;

fn refinery() -> Dataset {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/refinery");
    Dataset::open(&dir).expect("default dataset")
}

/// The refinery with weather forecasts instead of observations: every hour forecast 36 and 12
/// hours ahead (observed + 1 °C and + 0.5 °C).
fn with_forecasts(data: &Dataset) -> Dataset {
    let weather = data.weather.as_ref().expect("weather");
    let sites = weather.iter().map(|(site, w)| {
        let mut f = SiteWeather { issued_at: Some(Vec::new()), ..SiteWeather::default() };
        for (&t, &temp) in w.timestamp.iter().zip(&w.temperature_c) {
            for (lead, bias) in [(36 * 3600, 1.0), (12 * 3600, 0.5)] {
                f.timestamp.push(t);
                f.temperature_c.push(temp + bias);
                f.issued_at.as_mut().expect("issued").push(t - lead);
            }
        }
        (site.to_string(), f)
    });
    Dataset { weather: Some(Weather::from_sites(sites.collect::<Vec<_>>())), ..data.clone() }
}

/// Multiplies by ten every reading not yet known at `at`, and moves every weather forecast
/// issued after `at` by 40 °C.
fn scrambled(data: &Dataset, at: i64) -> Dataset {
    let series = data
        .readings
        .iter()
        .map(|s| {
            let mut s = s.clone();
            for i in 0..s.len() {
                if s.known_at(i, DELAY) > at {
                    s.energy_kwh[i] *= 10.0;
                }
            }
            s
        })
        .collect();
    let weather = data.weather.as_ref().map(|w| {
        Weather::from_sites(
            w.iter()
                .map(|(site, w)| {
                    let mut w = w.clone();
                    if let Some(issued) = &w.issued_at {
                        for (temp, &i) in w.temperature_c.iter_mut().zip(issued) {
                            if i > at {
                                *temp += 40.0;
                            }
                        }
                    }
                    (site.to_string(), w)
                })
                .collect::<Vec<_>>(),
        )
    });
    let covariates = data.covariates.as_ref().map(|c| {
        c.map(|s| {
            let mut s = s.clone();
            if let Some(issued) = &s.issued_at {
                for (v, &i) in s.value.iter_mut().zip(issued) {
                    if i > at {
                        *v += 1000.0;
                    }
                }
            }
            s
        })
    });
    Dataset { readings: vader_features::Readings::from_series(series), weather, covariates, ..data.clone() }
}

/// The refinery with a production plan per site: a value every 6 hours, each issued twice,
/// 48 and 20 hours ahead (the second a revision).
fn with_plans(data: &Dataset) -> Dataset {
    let (from, to) = (1_640_995_200_i64, 1_767_225_600_i64); // 2022-01-01 to 2026-01-01 UTC
    let sites: std::collections::BTreeSet<&str> = data.meters.iter().map(|m| m.site.as_str()).collect();
    let plans = sites.into_iter().map(|site| {
        let mut s = StepSeries { issued_at: Some(Vec::new()), ..StepSeries::default() };
        let mut t = from;
        while t < to {
            for (lead, revision) in [(48 * 3600, 0.0), (20 * 3600, 5.0)] {
                s.start.push(t);
                s.value.push(100.0 + ((t / 21_600) % 7) as f64 + revision);
                s.issued_at.as_mut().expect("issued").push(t - lead);
            }
            t += 21_600;
        }
        (site.to_string(), "throughput".to_string(), s)
    });
    Dataset { covariates: Some(Covariates::for_sites(plans.collect::<Vec<_>>())), ..data.clone() }
}

type Builder = fn(&Dataset, &Meter, Target, NaiveDate) -> FeatureTable;

fn honest(data: &Dataset, meter: &Meter, target: Target, day: NaiveDate) -> FeatureTable {
    features(data, &[meter], target, &[day], DELAY).expect("features")
}

/// Columns whose value differs between the full data and an as-of view, over random draws.
fn leaking_columns(build: Builder) -> Vec<String> {
    leaking_columns_in(&refinery(), build)
}

fn leaking_columns_in(data: &Dataset, build: Builder) -> Vec<String> {
    let data = data.clone();
    let meters: Vec<&Meter> = data.meters.iter().collect();
    let first = NaiveDate::from_ymd_opt(2023, 1, 20).expect("date");
    let mut x: u64 = 2024;
    let mut leaks = Vec::new();
    for draw in 0..30 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let meter = meters[(x >> 40) as usize % meters.len()];
        let day = first + Days::new((x >> 20) % 1060);
        let target = Target::ALL[draw % Target::ALL.len()];
        let full = build(&data, meter, target, day);
        // Rows of one table can have different decision times (rest-of-gas-day: every hour);
        // each row is checked against the data as known at its own decision time.
        let mut instants: Vec<i64> = full.keys.iter().map(|k| k.decision_at).collect();
        instants.dedup();
        let step = (instants.len() / 4).max(1);
        for &at in instants.iter().step_by(step) {
            let rows: Vec<usize> = (0..full.keys.len()).filter(|&i| full.keys[i].decision_at == at).collect();
            for view in [data.known_at(at, DELAY), scrambled(&data, at)] {
                let cut = build(&view, meter, target, day);
                assert_eq!(full.keys, cut.keys);
                for (j, name) in full.matrix.names().iter().enumerate() {
                    let (a, b) = (full.matrix.values(), cut.matrix.values());
                    let differs = rows.iter().any(|&i| a[[i, j]].to_bits() != b[[i, j]].to_bits());
                    if differs && !leaks.contains(name) {
                        leaks.push(name.clone());
                    }
                }
            }
        }
    }
    leaks
}

#[test]
fn no_feature_sees_a_reading_before_it_was_known() {
    assert_eq!(leaking_columns(honest), Vec::<String>::new());
}

#[test]
fn weather_forecasts_issued_after_the_decision_are_not_seen() {
    let forecasts = with_forecasts(&refinery());
    assert_eq!(leaking_columns_in(&forecasts, honest), Vec::<String>::new());
}

#[test]
fn covariates_issued_after_the_decision_are_not_seen() {
    let plans = with_plans(&refinery());
    let table = honest(&plans, plans.meters.iter().next().expect("meter"), Target::GasDay, day(2024, 3, 5));
    let column = table.matrix.column("cov_throughput").expect("covariate column");
    assert!(column.iter().all(|v| v.is_finite()), "{column:?}");
    assert_eq!(leaking_columns_in(&plans, honest), Vec::<String>::new());
}

#[test]
fn a_covariate_read_regardless_of_its_issue_time_is_caught() {
    // The same plans without issue times: every revision is seen at once, so it leaks.
    fn peeking(data: &Dataset, meter: &Meter, target: Target, day: NaiveDate) -> FeatureTable {
        let undated =
            data.covariates.as_ref().map(|c| c.map(|s| StepSeries { issued_at: None, ..s.clone() }));
        honest(&Dataset { covariates: undated, ..data.clone() }, meter, target, day)
    }
    assert_eq!(leaking_columns_in(&with_plans(&refinery()), peeking), ["cov_throughput"]);
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn a_leaking_feature_is_caught() {
    // Adds the eve's final total: complete only after the decision time, so it leaks.
    // (Daily totals of the target's own day convention, so it works for every target.)
    fn leaky(data: &Dataset, meter: &Meter, target: Target, day: NaiveDate) -> FeatureTable {
        let mut table = honest(data, meter, target, day);
        let series = data.readings.get(&meter.meter_id).expect("series");
        let daily = vader_features::DailyTotals::of(series, target.convention(), meter.timezone, DELAY);
        let eve = daily.final_total(day.pred_opt().expect("date")).unwrap_or(f64::NAN);
        let mut names = table.matrix.names().to_vec();
        names.push("eve_total".into());
        let mut values = table.matrix.values().to_owned();
        let column = vec![eve; values.nrows()];
        values.push_column(ndarray::ArrayView1::from(&column)).expect("column");
        table.matrix = vader_models::FeatureMatrix::new(names, values).expect("matrix");
        table
    }
    assert_eq!(leaking_columns(leaky), ["eve_total"]);
}
