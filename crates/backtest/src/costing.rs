//! Pricing the forecasts of a walk-forward in euros (SPEC.md, "Euro cost of a decision").
//!
//! - `gas-day` and `daily` forecasts of gas meters are nominations: gas imbalance per day.
//! - `electricity-day` (and `daily`) forecasts of electricity meters are schedules: electricity
//!   imbalance per settlement period.
//! - `rest-of-gas-day` forecasts drive the capacity decision, replayed hour by hour through each
//!   gas day: at every whole hour the model's projection of the day (known so far + forecast of
//!   the rest) is compared with the capacity booked so far, and the excess is bought as extra
//!   daily capacity (the day-one rule `ΔC = (projected − C)⁺`, applied at each hour, or only at
//!   the hours of [`Pricing::capacity_hours`]). At the
//!   end of the day the overrun above everything booked is paid at the penalty. The cost of a
//!   row is the capacity bought at its hour; the last hour of the day also carries the overrun.
//!
//! Prices come from the cost file, or from a daily or timed price series where one is given;
//! a target interval the series does not cover is an error, not a silent default.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Timelike};

use vader_features::{Commodity, Meter, Price, PriceSeries, Target};

use crate::cost::{CostParams, GasPrices};
use crate::error::{Error, Result};
use crate::walk_forward::Forecast;

/// Everything needed to price decisions: the cost file and the optional price series.
#[derive(Debug, Clone, Default)]
pub struct Pricing {
    /// Constant prices and cost parameters (the cost file).
    pub params: CostParams,
    /// Daily (or timed) gas reference prices; default: the cost file's constant price.
    pub gas: Option<PriceSeries>,
    /// Day-ahead electricity prices (and optional VWAP); default: the cost file's price.
    pub electricity: Option<PriceSeries>,
    /// Local hours (0 to 23, the meter's time zone) at which the capacity decision is taken;
    /// `None`: every whole hour of the gas day, as the hourly alert runs.
    pub capacity_hours: Option<Vec<u32>>,
}

impl Pricing {
    /// The gas prices of target day `day` (interval starting at `start`): the cost file's, with
    /// the series' small adjustment where it has one, and the series' price (none without a
    /// series: the constant price applies).
    pub(crate) fn gas_at(&self, day: NaiveDate, start: i64) -> Result<(GasPrices, Option<f64>)> {
        let p = Self::series_price(self.gas.as_ref(), "gas", day, start)?;
        let gas = self.params.gas;
        let Some(row) = p else { return Ok((gas, None)) };
        // Per side: the series' side, else the series' both sides, else the cost file's.
        let (short, long) = gas.adjustments();
        let side = |own: Option<f64>, fallback: f64| own.or(row.small_adjustment).unwrap_or(fallback);
        let prices = GasPrices {
            small_adjustment: row.small_adjustment.unwrap_or(gas.small_adjustment),
            small_adjustment_long: Some(side(row.small_adjustment_long, long)),
            small_adjustment_short: Some(side(row.small_adjustment_short, short)),
            ..gas
        };
        Ok((prices, Some(row.price)))
    }

    /// The electricity day-ahead price and VWAP of the period of `day` starting at `start` (none
    /// without a series: the cost file's price, VWAP = day-ahead).
    pub(crate) fn electricity_at(&self, day: NaiveDate, start: i64) -> Result<(Option<f64>, Option<f64>)> {
        let p = Self::series_price(self.electricity.as_ref(), "electricity", day, start)?;
        Ok((p.map(|p| p.price), p.and_then(|p| p.vwap)))
    }

    fn series_price(
        series: Option<&PriceSeries>,
        what: &'static str,
        day: NaiveDate,
        start: i64,
    ) -> Result<Option<Price>> {
        let Some(series) = series else { return Ok(None) };
        series.at(day, start).map(Some).ok_or_else(|| Error::PriceNotCovered {
            path: series.path().to_path_buf(),
            what,
            day,
            start: vader_features::format_utc(start),
            coverage: series.coverage(),
        })
    }
}

/// Prices every forecast of `forecasts` (made for `target` on `meters`) in place: sets
/// `cost_eur` and, for the capacity replay, `extra_capacity_kwh`.
///
/// Rows whose actual is unknown keep a NaN cost, as do capacity rows of meters without a
/// subscribed capacity.
pub fn price(forecasts: &mut [Forecast], target: Target, meters: &[&Meter], pricing: &Pricing) -> Result<()> {
    let by_id: HashMap<&str, &Meter> = meters.iter().map(|m| (m.meter_id.as_str(), *m)).collect();
    if target == Target::RestOfGasDay {
        return replay_capacity(forecasts, &by_id, pricing);
    }
    for f in forecasts.iter_mut() {
        let meter = by_id.get(f.meter_id.as_str()).ok_or_else(|| Error::UnknownMeter(f.meter_id.clone()))?;
        f.extra_capacity_kwh = 0.0;
        f.cost_eur = match meter.commodity {
            Commodity::Gas => {
                let (gas, price) = pricing.gas_at(f.day, f.start)?;
                gas.imbalance_eur(f.decision_kwh, f.actual_kwh, price)
            }
            Commodity::Electricity => {
                let (day_ahead, vwap) = pricing.electricity_at(f.day, f.start)?;
                pricing.params.electricity.imbalance_eur(f.decision_kwh, f.actual_kwh, day_ahead, vwap)
            }
        };
    }
    Ok(())
}

/// The capacity decision replayed hour by hour through each gas day of each meter and model.
fn replay_capacity(
    forecasts: &mut [Forecast],
    by_id: &HashMap<&str, &Meter>,
    pricing: &Pricing,
) -> Result<()> {
    let mut days: BTreeMap<(&str, &str, chrono::NaiveDate), Vec<usize>> = BTreeMap::new();
    for (i, f) in forecasts.iter().enumerate() {
        days.entry((f.meter_id.as_str(), f.model.as_str(), f.day)).or_default().push(i);
    }
    let capacity = pricing.params.capacity;
    let mut costs = vec![(0.0, f64::NAN); forecasts.len()];
    for ((meter_id, _, _), mut rows) in days {
        let meter = by_id.get(meter_id).ok_or_else(|| Error::UnknownMeter(meter_id.to_string()))?;
        rows.sort_by_key(|&i| forecasts[i].decision_at);
        let (Some(subscribed), Some(&last)) = (meter.capacity_kwh_per_day, rows.last()) else { continue };
        let total = forecasts[last].known_kwh + forecasts[last].actual_kwh;
        let mut booked = subscribed;
        for &i in &rows {
            let f = &forecasts[i];
            let local_hour = chrono::DateTime::from_timestamp(f.decision_at, 0)
                .map(|t| t.with_timezone(&meter.timezone).hour())
                .unwrap_or_default();
            let decides = pricing.capacity_hours.as_ref().is_none_or(|hours| hours.contains(&local_hour));
            let projected = f.known_kwh + f.decision_kwh;
            let extra =
                if decides && projected.is_finite() && projected > booked { projected - booked } else { 0.0 };
            booked += extra;
            // Bought capacity is paid whatever happens; the day's cost is unknown without its total.
            let bought = capacity.day_eur(0.0, 0.0, extra);
            costs[i] = (extra, if total.is_finite() { bought } else { f64::NAN });
        }
        let overrun = capacity.day_eur(total, booked, 0.0);
        costs[last].1 += overrun;
    }
    for (f, (extra, cost)) in forecasts.iter_mut().zip(costs) {
        f.extra_capacity_kwh = extra;
        f.cost_eur = cost;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(id: &str, commodity: Commodity, capacity: Option<f64>) -> Meter {
        Meter {
            meter_id: id.into(),
            name: id.into(),
            site: "s".into(),
            commodity,
            capacity_kwh_per_day: capacity,
            timezone: vader_features::DEFAULT_TIMEZONE,
            country: None,
            subdivision: None,
        }
    }

    fn row(model: &str, hour: i64, forecast: f64, actual: f64, known: f64) -> Forecast {
        Forecast {
            meter_id: "G".into(),
            model: model.into(),
            day: NaiveDate::from_ymd_opt(2025, 1, 2).unwrap_or_default(),
            slot: 0,
            start: hour * 3600,
            decision_at: hour * 3600,
            forecast_kwh: forecast,
            actual_kwh: actual,
            actual_known_at: 0,
            decision_kwh: forecast,
            tau: f64::NAN,
            q10_kwh: f64::NAN,
            q50_kwh: f64::NAN,
            q90_kwh: f64::NAN,
            known_kwh: known,
            extra_capacity_kwh: 0.0,
            cost_eur: f64::NAN,
        }
    }

    #[test]
    fn the_capacity_replay_buys_the_excess_each_hour_and_pays_the_overrun() -> Result<()> {
        let g = meter("G", Commodity::Gas, Some(100_000.0));
        // The day totals 130 MWh. At hour 0 the model projects 110 (buys 10), at hour 1 it
        // projects 105 (buys nothing: 110 booked), at hour 2 it projects 120 (buys 10 more).
        // Overrun: 130 − 120 = 10 MWh at 200 EUR.
        let mut rows = vec![
            row("m", 2, 80_000.0, 90_000.0, 40_000.0),
            row("m", 0, 110_000.0, 130_000.0, 0.0),
            row("m", 1, 85_000.0, 110_000.0, 20_000.0),
        ];
        price(&mut rows, Target::RestOfGasDay, &[&g], &Pricing::default())?;
        let p_day = 225.0 / 365.0;
        let extra: Vec<f64> = rows.iter().map(|r| r.extra_capacity_kwh).collect();
        assert_eq!(extra, vec![10_000.0, 10_000.0, 0.0]);
        assert!((rows[1].cost_eur - 10.0 * p_day).abs() < 1e-9);
        assert_eq!(rows[2].cost_eur, 0.0);
        assert!((rows[0].cost_eur - (10.0 * p_day + 10.0 * 200.0)).abs() < 1e-9, "{}", rows[0].cost_eur);
        Ok(())
    }

    #[test]
    fn a_price_series_prices_each_day_and_a_missing_day_is_an_error() -> Result<()> {
        let g = meter("G", Commodity::Gas, None);
        let day = NaiveDate::from_ymd_opt(2025, 1, 2).unwrap_or_default();
        let series = PriceSeries::daily(
            "gas.csv",
            [(
                day,
                Price {
                    price: 50.0,
                    vwap: None,
                    small_adjustment: Some(0.1),
                    small_adjustment_long: None,
                    small_adjustment_short: None,
                },
            )],
        );
        let pricing = Pricing { gas: Some(series), ..Pricing::default() };
        // 10 MWh short at 50 EUR/MWh with a 10 % adjustment: 10 × 5 = 50 EUR.
        let mut rows = vec![row("m", 0, 90_000.0, 100_000.0, 0.0)];
        price(&mut rows, Target::GasDay, &[&g], &pricing)?;
        assert!((rows[0].cost_eur - 50.0).abs() < 1e-9);
        rows[0].day = day.succ_opt().unwrap_or_default();
        let err = price(&mut rows, Target::GasDay, &[&g], &pricing).expect_err("day not covered");
        assert!(err.to_string().contains("no gas price for 2025-01-03"), "{err}");
        Ok(())
    }

    #[test]
    fn electricity_periods_use_their_own_price() -> Result<()> {
        let e = meter("G", Commodity::Electricity, None);
        let mut rows = vec![row("m", 0, 2000.0, 1000.0, 0.0)];
        price(&mut rows, Target::ElectricityDay, &[&e], &Pricing::default())?;
        // 1 MWh long at the default 60 EUR/MWh, k = 5 %: 3 EUR.
        assert!((rows[0].cost_eur - 3.0).abs() < 1e-9);
        Ok(())
    }
}
