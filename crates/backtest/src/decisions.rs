//! From forecasts to decisions: calibrated quantiles for every model, and the cost-optimal
//! decision (SPEC.md, "Cost-optimal decisions").
//!
//! **Quantiles by conformal calibration.** Every model's quantiles come from its own past
//! out-of-sample residuals `r = actual − forecast`: for a decision at instant `t`, the last
//! [`DecisionParams::residuals`] residuals of the same meter, model and slot of the day (the
//! hour of a `rest-of-gas-day` decision, the period of an electricity schedule) whose actual had
//! arrived by `t`. The τ-quantile is the forecast plus the `⌈τ (n + 1)⌉`-th smallest residual
//! (split conformal; clamped to the largest or smallest when beyond), floored at zero energy.
//! One sorted sample serves every level, so quantiles never cross.
//!
//! **Cost-optimal decision.** With unit costs `c_u` of being short and `c_o` of being long, the
//! expected cost is minimised by the quantile `τ = c_u / (c_u + c_o)` (the newsvendor critical
//! fractile; Gneiting 2011): gas imbalance at the day's price, electricity imbalance at the
//! period's prices, and for the capacity decision `τ = 1 − p_day / π` of the rest of the day.
//! With fewer than [`DecisionParams::min_residuals`] residuals the point forecast is used.
//!
//! ```
//! use vader_backtest::decisions::conformal_quantile;
//!
//! // Residuals 1..=9: the median is the 5th smallest, the 90 % quantile the 9th.
//! let sorted: Vec<f64> = (1..=9).map(f64::from).collect();
//! assert_eq!(conformal_quantile(&sorted, 0.5), 5.0);
//! assert_eq!(conformal_quantile(&sorted, 0.9), 9.0);
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use vader_features::{Commodity, Meter, Target};
use vader_models::quantiles::quantile_of;

use crate::costing::Pricing;
use crate::error::{Error, Result};
use crate::params::{Valid, invalid};
use crate::walk_forward::Forecast;

/// How forecasts become decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionRule {
    /// Nominate the point forecast (for the capacity decision: buy up to it).
    #[default]
    Point,
    /// Nominate the quantile that minimises the expected cost.
    CostOptimal,
}

impl DecisionRule {
    /// The rule as written on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Point => "point",
            Self::CostOptimal => "cost-optimal",
        }
    }
}

/// Settings of the calibration and the decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DecisionParams {
    /// The rule.
    pub rule: DecisionRule,
    /// Most recent residuals used per meter, model and slot.
    pub residuals: usize,
    /// Fewest residuals for a quantile; with fewer, no quantile and a point decision.
    pub min_residuals: usize,
}

impl Default for DecisionParams {
    fn default() -> Self {
        Self { rule: DecisionRule::Point, residuals: 56, min_residuals: 14 }
    }
}

impl DecisionParams {
    /// Checks that `1 ≤ min_residuals ≤ residuals`.
    pub fn check(self) -> Result<Valid<Self>> {
        if self.min_residuals == 0 || self.min_residuals > self.residuals {
            return invalid(
                "min_residuals",
                format!("must be between 1 and residuals ({}), got {}", self.residuals, self.min_residuals),
            );
        }
        Ok(Valid::checked(self))
    }
}

pub use vader_models::quantiles::conformal_quantile;

impl Pricing {
    /// The cost-optimal quantile level of a decision for `meter` on `target`, for target day
    /// `day` and the interval starting at `start` (Unix seconds): prices may vary by day.
    pub fn tau(&self, target: Target, meter: &Meter, day: chrono::NaiveDate, start: i64) -> Result<f64> {
        if target == Target::RestOfGasDay {
            return Ok(self.params.capacity.buy_quantile().clamp(0.0, 1.0));
        }
        let (short, long) = match meter.commodity {
            Commodity::Gas => {
                let (gas, price) = self.gas_at(day, start)?;
                let (short, long) = gas.unit_costs(price);
                (short.abs(), long.abs())
            }
            Commodity::Electricity => {
                let (day_ahead, vwap) = self.electricity_at(day, start)?;
                let (short, long) = self.params.electricity.unit_costs(day_ahead, vwap);
                (short.max(0.0), long.max(0.0))
            }
        };
        Ok(crate::cost::critical_fractile(short, long))
    }
}

/// Calibrates quantiles for every forecast and sets each decision by `params.rule`, in place;
/// rows of target days before `from` only calibrate (their decision stays the forecast, and
/// they need no price).
///
/// Rows are taken per meter and model in decision order; a residual joins the calibration
/// sample of its slot once its actual is known, so no decision sees an actual that arrived
/// after it.
pub fn decide(
    forecasts: &mut [Forecast],
    target: Target,
    meters: &[&Meter],
    pricing: &Pricing,
    params: &Valid<DecisionParams>,
    from: chrono::NaiveDate,
) -> Result<()> {
    let by_id: HashMap<&str, &Meter> = meters.iter().map(|m| (m.meter_id.as_str(), *m)).collect();
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in forecasts.iter().enumerate() {
        groups.entry((f.meter_id.clone(), f.model.clone())).or_default().push(i);
    }
    for ((meter_id, _), mut rows) in groups {
        let meter = by_id.get(meter_id.as_str()).ok_or_else(|| Error::UnknownMeter(meter_id.clone()))?;
        rows.sort_by_key(|&i| (forecasts[i].decision_at, forecasts[i].start));
        // Rows in the order their actuals arrived, fed into the samples as decisions pass.
        let mut arrivals: Vec<usize> =
            rows.iter().copied().filter(|&i| forecasts[i].actual_kwh.is_finite()).collect();
        arrivals.sort_by_key(|&i| (forecasts[i].actual_known_at, forecasts[i].start));
        let mut next = 0;
        let mut samples: HashMap<u32, VecDeque<f64>> = HashMap::new();
        for &i in &rows {
            let at = forecasts[i].decision_at;
            while next < arrivals.len() && forecasts[arrivals[next]].actual_known_at <= at {
                let a = &forecasts[arrivals[next]];
                let residual = a.actual_kwh - a.forecast_kwh;
                if residual.is_finite() {
                    let sample = samples.entry(a.slot).or_default();
                    sample.push_back(residual);
                    if sample.len() > params.residuals {
                        sample.pop_front();
                    }
                }
                next += 1;
            }
            let rule = if forecasts[i].day < from { DecisionRule::Point } else { params.rule };
            let tau = match rule {
                DecisionRule::Point => f64::NAN,
                DecisionRule::CostOptimal => {
                    pricing.tau(target, meter, forecasts[i].day, forecasts[i].start)?
                }
            };
            let f = &mut forecasts[i];
            let sample = samples
                .get(&f.slot)
                .filter(|s| s.len() >= params.min_residuals && f.forecast_kwh.is_finite());
            let Some(sample) = sample else {
                (f.q10_kwh, f.q50_kwh, f.q90_kwh) = (f64::NAN, f64::NAN, f64::NAN);
                f.decision_kwh = f.forecast_kwh;
                f.tau = f64::NAN;
                continue;
            };
            let mut sorted: Vec<f64> = sample.iter().copied().collect();
            sorted.sort_by(f64::total_cmp);
            let quantile = |tau: f64| quantile_of(f.forecast_kwh, &sorted, tau);
            (f.q10_kwh, f.q50_kwh, f.q90_kwh) = (quantile(0.1), quantile(0.5), quantile(0.9));
            (f.decision_kwh, f.tau) = match rule {
                DecisionRule::Point => (f.forecast_kwh, f64::NAN),
                DecisionRule::CostOptimal => (quantile(tau), tau),
            };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::cost::{CostParams, GasPrices};

    fn meter(commodity: Commodity) -> Meter {
        Meter {
            meter_id: "M".into(),
            name: "M".into(),
            site: "s".into(),
            commodity,
            capacity_kwh_per_day: Some(1e9),
            timezone: vader_features::DEFAULT_TIMEZONE,
            country: None,
            subdivision: None,
        }
    }

    /// Daily forecasts of 100 000 kWh against actuals `100 000 + noise(day)`, each actual known
    /// the day after its decision.
    fn days(noise: impl Fn(usize) -> f64, n: usize) -> Vec<Forecast> {
        (0..n)
            .map(|d| Forecast {
                meter_id: "M".into(),
                model: "m".into(),
                day: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default() + chrono::Days::new(d as u64),
                slot: 0,
                start: d as i64 * 86_400,
                decision_at: d as i64 * 86_400 - 36_000,
                forecast_kwh: 100_000.0,
                actual_kwh: 100_000.0 + noise(d),
                actual_known_at: (d as i64 + 1) * 86_400 + 7_200,
                decision_kwh: f64::NAN,
                tau: f64::NAN,
                q10_kwh: f64::NAN,
                q50_kwh: f64::NAN,
                q90_kwh: f64::NAN,
                known_kwh: 0.0,
                extra_capacity_kwh: 0.0,
                cost_eur: f64::NAN,
            })
            .collect()
    }

    #[test]
    fn the_cost_optimal_decision_is_the_critical_quantile_of_a_known_distribution() -> Result<()> {
        // Residuals uniform on [−10 000, 30 000] kWh. Electricity at P_DA 60, VWAP 80, k 0.5:
        // PRE⁺ = 40, PRE⁻ = 120, so being long costs 60 − 40 = 20 EUR/MWh and being short
        // 120 − 60 = 60. The cost-optimal level is τ = 60 / (60 + 20) = 0.75, whose quantile is
        // 100 000 + 20 000 kWh.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let noise: Vec<f64> = (0..3000).map(|_| rng.random_range(-10_000.0..30_000.0)).collect();
        let mut rows = days(|d| noise[d], 3000);
        let series = vader_features::PriceSeries::daily(
            "p.csv",
            rows.iter().map(|f| {
                (
                    f.day,
                    vader_features::Price {
                        price: 60.0,
                        vwap: Some(80.0),
                        small_adjustment: None,
                        small_adjustment_long: None,
                        small_adjustment_short: None,
                    },
                )
            }),
        );
        let mut params = CostParams::default();
        params.electricity.k = 0.5;
        let pricing = Pricing { params, electricity: Some(series), ..Pricing::default() };
        let m = meter(Commodity::Electricity);
        let decision =
            DecisionParams { rule: DecisionRule::CostOptimal, residuals: 2000, min_residuals: 14 }.check()?;
        decide(&mut rows, Target::ElectricityDay, &[&m], &pricing, &decision, NaiveDate::MIN)?;
        let last = &rows[2999];
        assert!((last.tau - 0.75).abs() < 1e-12, "{}", last.tau);
        let expected = 100_000.0 + 20_000.0;
        assert!((last.decision_kwh - expected).abs() < 1_500.0, "{} vs {expected}", last.decision_kwh);
        // The 80 % interval of a uniform on 40 000 kWh is 32 000 kWh wide and covers 80 %.
        assert!((last.q90_kwh - last.q10_kwh - 32_000.0).abs() < 2_000.0);
        let scored: Vec<&Forecast> = rows[2100..].iter().collect();
        let covered =
            scored.iter().filter(|f| f.q10_kwh <= f.actual_kwh && f.actual_kwh <= f.q90_kwh).count();
        let coverage = covered as f64 / scored.len() as f64;
        assert!((coverage - 0.8).abs() < 0.03, "{coverage}");
        Ok(())
    }

    #[test]
    fn quantiles_never_cross_and_use_only_known_residuals() -> Result<()> {
        let mut rows = days(|d| ((d * 7919) % 101) as f64 * 100.0 - 5_000.0, 200);
        let m = meter(Commodity::Gas);
        let pricing = Pricing::default();
        decide(
            &mut rows,
            Target::GasDay,
            &[&m],
            &pricing,
            &DecisionParams::default().check()?,
            NaiveDate::MIN,
        )?;
        // Day d's actual is known on day d + 1: the first 14 decisions see fewer than 14 residuals.
        assert!(rows[..15].iter().all(|f| f.q50_kwh.is_nan() && f.decision_kwh == f.forecast_kwh));
        assert!(rows[16..].iter().all(|f| f.q10_kwh <= f.q50_kwh && f.q50_kwh <= f.q90_kwh));
        // Changing an actual changes no decision taken before it was known (day 150's actual
        // arrives after day 151's decision), and does change later ones.
        let mut changed = days(|d| ((d * 7919) % 101) as f64 * 100.0 - 5_000.0, 200);
        changed[150].actual_kwh -= 1e6;
        decide(
            &mut changed,
            Target::GasDay,
            &[&m],
            &pricing,
            &DecisionParams::default().check()?,
            NaiveDate::MIN,
        )?;
        let bits = |f: &Forecast| [f.q10_kwh, f.q50_kwh, f.q90_kwh].map(f64::to_bits);
        assert!((0..=151).all(|d| bits(&rows[d]) == bits(&changed[d])));
        assert!((152..200).any(|d| bits(&rows[d]) != bits(&changed[d])));
        // A symmetric gas price makes the median cost-optimal.
        let optimal =
            DecisionParams { rule: DecisionRule::CostOptimal, ..DecisionParams::default() }.check()?;
        decide(&mut rows, Target::GasDay, &[&m], &pricing, &optimal, NaiveDate::MIN)?;
        assert!(rows[100].tau == 0.5 && rows[100].decision_kwh == rows[100].q50_kwh);
        let dear = Pricing {
            params: CostParams {
                gas: GasPrices { small_adjustment: 0.1, ..GasPrices::default() },
                ..CostParams::default()
            },
            ..Pricing::default()
        };
        assert_eq!(dear.tau(Target::GasDay, &m, rows[0].day, rows[0].start)?, 0.5);
        assert!(
            (pricing.tau(Target::RestOfGasDay, &m, rows[0].day, rows[0].start)?
                - (1.0 - 225.0 / 365.0 / 200.0))
                .abs()
                < 1e-12
        );
        Ok(())
    }
}
