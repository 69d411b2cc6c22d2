//! The one shape of a feature builder: what every target's rows are built from, meter by
//! meter, and the loop over meters and days that every target shares.
//!
//! A target is one file implementing [`TargetRows`]: what it prepares once per meter, and the
//! rows it pushes for one day. Everything a row may read about the past comes from the
//! [`MeterInputs`], whose accessors answer as of an instant.

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::calendar::{CALENDAR_FEATURES, CLOSED, SiteCalendar, calendar_features};
use crate::covariates::{Covariates, StepSeries};
use crate::daily::DailyTotals;
use crate::dataset::Dataset;
use crate::error::Result;
use crate::feature_table::{FeatureTable, TableBuilder};
use crate::meters::Meter;
use crate::readings::MeterSeries;
use crate::target::Target;
use crate::weather::{SiteWeather, Temperatures};

/// What one meter's rows are built from.
pub(crate) struct MeterInputs<'a> {
    /// The meter.
    pub(crate) meter: &'a Meter,
    /// Its readings.
    pub(crate) series: &'a MeterSeries,
    /// Its time zone.
    pub(crate) tz: Tz,
    /// Its daily totals in the target's day convention, with when each day was complete.
    pub(crate) daily: DailyTotals,
    /// Its site's weather, if the data has any.
    pub(crate) weather: Option<&'a SiteWeather>,
    /// The target.
    pub(crate) target: Target,
    /// Delay before a reading without `received_at` is known, seconds.
    pub(crate) delay_s: i64,
    /// The meter's public holidays and closures.
    pub(crate) calendar: &'a SiteCalendar,
    /// Whether the rows carry the `closed` column (the data folder has a closures file).
    pub(crate) with_closures: bool,
    /// The covariate columns, each with the meter's series (if it has one).
    pub(crate) covariates: Vec<(String, Option<&'a StepSeries>)>,
}

impl MeterInputs<'_> {
    /// The total of the day `k` days before `day`, if it was complete and known at `at`.
    pub(crate) fn known_day(&self, day: NaiveDate, k: u64, at: i64) -> Option<f64> {
        day.checked_sub_days(chrono::Days::new(k)).and_then(|d| self.daily.known_total(d, at))
    }

    /// Mean temperature over `[start, end)` as forecast at `at` (NaN without weather).
    pub(crate) fn temperature(&self, start: i64, end: i64, at: i64) -> f64 {
        self.temperatures(start, end, at).mean
    }

    /// Mean, minimum and maximum temperature over `[start, end)` as forecast at `at`.
    pub(crate) fn temperatures(&self, start: i64, end: i64, at: i64) -> Temperatures {
        self.weather.map_or(Temperatures::UNKNOWN, |w| w.temperatures(start, end, at))
    }

    /// The calendar columns of `day`: weekday, holiday, bridge, season, and `closed` when the
    /// data has closures; computed once per day, pushed on each of its rows.
    pub(crate) fn calendar(&self, day: NaiveDate) -> DayCalendar {
        DayCalendar {
            features: calendar_features(day, self.calendar),
            closed: self.with_closures.then(|| f64::from(u8::from(self.calendar.is_closed(day)))),
        }
    }

    /// Pushes the covariate columns over `[start, end)` as known at `at`.
    pub(crate) fn push_covariates(&self, start: i64, end: i64, at: i64, out: &mut TableBuilder) {
        for (name, series) in &self.covariates {
            out.push(name, series.map_or(f64::NAN, |s| s.mean(start, end, at)));
        }
    }
}

/// The calendar columns of one day ([`MeterInputs::calendar`]).
pub(crate) struct DayCalendar {
    features: [f64; 10],
    closed: Option<f64>,
}

impl DayCalendar {
    /// Pushes the columns on the row being built.
    pub(crate) fn push(&self, out: &mut TableBuilder) {
        out.push_all(&CALENDAR_FEATURES, self.features);
        if let Some(closed) = self.closed {
            out.push(CLOSED, closed);
        }
    }
}

/// The rows of one target.
pub(crate) trait TargetRows {
    /// What the target prepares once per meter (an index of past slots, say).
    type Prepared;

    /// Prepares a meter.
    fn prepare(&self, inputs: &MeterInputs<'_>) -> Self::Prepared;

    /// Pushes the rows of `day` for the meter.
    fn push_day(
        &self,
        inputs: &MeterInputs<'_>,
        prepared: &Self::Prepared,
        day: NaiveDate,
        out: &mut TableBuilder,
    );
}

/// Builds `rows` for every meter of `meters` and every day of `days` (meter-major order).
pub(crate) fn build<R: TargetRows>(
    rows: &R,
    data: &Dataset,
    meters: &[&Meter],
    target: Target,
    days: &[NaiveDate],
    delay_s: i64,
) -> Result<FeatureTable> {
    let mut out = TableBuilder::new(target);
    for meter in meters {
        let series = data.series(&meter.meter_id)?;
        let tz = meter.timezone;
        let inputs = MeterInputs {
            meter,
            series,
            tz,
            daily: DailyTotals::of(series, target.convention(), tz, delay_s),
            weather: data.weather.as_ref().and_then(|w| w.site(&meter.site)),
            target,
            delay_s,
            calendar: data.calendars.of(&meter.meter_id),
            with_closures: data.calendars.has_closures(),
            covariates: data.covariates.as_ref().map_or_else(Vec::new, |c| {
                c.names().iter().map(|n| (Covariates::column(n), c.for_meter(meter, n))).collect()
            }),
        };
        let prepared = rows.prepare(&inputs);
        for &day in days {
            rows.push_day(&inputs, &prepared, day, &mut out);
        }
    }
    out.finish()
}
