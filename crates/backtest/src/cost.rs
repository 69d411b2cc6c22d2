//! The euro cost of a decision (SPEC.md, "Euro cost of a decision"): gas imbalance, capacity
//! overrun and extra capacity, electricity imbalance. Costs are linear and asymmetric; every
//! price is a parameter of a [`CostParams`] read from a TOML cost file, with the defaults below.
//!
//! ```
//! use vader_backtest::cost::CostParams;
//!
//! let costs = CostParams::default();
//! // 10 MWh long on a gas day at 35 EUR/MWh with a 2 % small adjustment: 10 × 0.7 EUR.
//! assert!((costs.gas.imbalance_eur(110_000.0, 100_000.0, None) - 7.0).abs() < 1e-9);
//! # Ok::<(), vader_backtest::Error>(())
//! ```
//!
//! All quantities are taken in kWh and converted to MWh here; results are in euros.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::params::{Valid, invalid};

const KWH_PER_MWH: f64 = 1000.0;

/// Gas imbalance prices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GasPrices {
    /// Day-ahead reference price `P`, EUR/MWh, when no price series is given.
    pub price_eur_per_mwh: f64,
    /// Small adjustment on each side, as a share of `P` (MSP = P − SA, MBP = P + SA).
    pub small_adjustment: f64,
    /// Small adjustment when long (MSP = P − SA_long), where it differs from
    /// `small_adjustment`: SPEC.md allows the two sides to differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small_adjustment_long: Option<f64>,
    /// Small adjustment when short (MBP = P + SA_short), where it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small_adjustment_short: Option<f64>,
}

impl Default for GasPrices {
    fn default() -> Self {
        Self {
            price_eur_per_mwh: 35.0,
            small_adjustment: 0.02,
            small_adjustment_long: None,
            small_adjustment_short: None,
        }
    }
}

impl GasPrices {
    /// Cost of nominating `nominated_kwh` against `actual_kwh` for one gas day, at `price`
    /// (EUR/MWh, default: the constant price): `I⁺ × (P − MSP) + I⁻ × (MBP − P)` with
    /// `I = nominated − actual`.
    pub fn imbalance_eur(&self, nominated_kwh: f64, actual_kwh: f64, price: Option<f64>) -> f64 {
        let p = price.unwrap_or(self.price_eur_per_mwh);
        let imbalance = (nominated_kwh - actual_kwh) / KWH_PER_MWH;
        let (short, long) = self.adjustments();
        let (msp, mbp) = (p - long * p, p + short * p);
        imbalance.max(0.0) * (p - msp) + (-imbalance).max(0.0) * (mbp - p)
    }

    /// Unit costs `(short, long)` in EUR/MWh at `price`, for cost-optimal decisions.
    pub fn unit_costs(&self, price: Option<f64>) -> (f64, f64) {
        let p = price.unwrap_or(self.price_eur_per_mwh);
        let (short, long) = self.adjustments();
        (short * p, long * p)
    }

    /// The small adjustments `(short, long)` as shares of the price.
    pub fn adjustments(&self) -> (f64, f64) {
        (
            self.small_adjustment_short.unwrap_or(self.small_adjustment),
            self.small_adjustment_long.unwrap_or(self.small_adjustment),
        )
    }
}

/// Capacity prices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CapacityPrices {
    /// Overrun penalty π, EUR per MWh above the booked capacity.
    pub penalty_eur_per_mwh: f64,
    /// Yearly capacity tariff `T_y`, EUR per MWh/day per year.
    pub yearly_tariff_eur_per_mwh_day: f64,
    /// Multiplier `m_day` of a daily capacity product.
    pub daily_multiplier: f64,
}

impl Default for CapacityPrices {
    fn default() -> Self {
        Self { penalty_eur_per_mwh: 200.0, yearly_tariff_eur_per_mwh_day: 150.0, daily_multiplier: 1.5 }
    }
}

impl CapacityPrices {
    /// Price of one MWh/day of extra daily capacity: `p_day = m_day × T_y / 365`.
    pub fn daily_price_eur_per_mwh(&self) -> f64 {
        self.daily_multiplier * self.yearly_tariff_eur_per_mwh_day / 365.0
    }

    /// Cost of a gas day: extra capacity bought (`extra_kwh`, on top of `subscribed_kwh`) at
    /// `p_day`, plus the overrun `(actual − booked)⁺` at π.
    pub fn day_eur(&self, actual_kwh: f64, subscribed_kwh: f64, extra_kwh: f64) -> f64 {
        let booked = subscribed_kwh + extra_kwh.max(0.0);
        let overrun = (actual_kwh - booked).max(0.0) / KWH_PER_MWH;
        extra_kwh.max(0.0) / KWH_PER_MWH * self.daily_price_eur_per_mwh() + overrun * self.penalty_eur_per_mwh
    }

    /// The quantile up to which extra capacity is worth buying: `1 − p_day / π`.
    pub fn buy_quantile(&self) -> f64 {
        1.0 - self.daily_price_eur_per_mwh() / self.penalty_eur_per_mwh
    }
}

/// Electricity imbalance prices (French two-price settlement).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElectricityPrices {
    /// Day-ahead price `P_DA`, EUR/MWh, when no price series is given.
    pub price_eur_per_mwh: f64,
    /// Spread `k`: `PRE⁺ = VWAP × (1 − k)`, `PRE⁻ = VWAP × (1 + k)`.
    pub k: f64,
    /// The imbalance volume-weighted average price `VWAP`, EUR/MWh, where no price series
    /// gives one (default: `P_DA`). Above `P_DA` it makes being short dearer than being long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vwap_eur_per_mwh: Option<f64>,
}

impl Default for ElectricityPrices {
    fn default() -> Self {
        Self { price_eur_per_mwh: 60.0, k: 0.05, vwap_eur_per_mwh: None }
    }
}

impl ElectricityPrices {
    /// Cost of scheduling `scheduled_kwh` against `actual_kwh` in one settlement period:
    /// `E⁺ × (P_DA − PRE⁺) + E⁻ × (PRE⁻ − P_DA)`, `E = scheduled − actual`. `VWAP` defaults to
    /// `P_DA`; the two prices swap when VWAP is negative.
    pub fn imbalance_eur(
        &self,
        scheduled_kwh: f64,
        actual_kwh: f64,
        day_ahead: Option<f64>,
        vwap: Option<f64>,
    ) -> f64 {
        let (short, long) = self.unit_costs(day_ahead, vwap);
        let e = (scheduled_kwh - actual_kwh) / KWH_PER_MWH;
        e.max(0.0) * long + (-e).max(0.0) * short
    }

    /// Unit costs `(short, long)` in EUR/MWh against `day_ahead` (default: the constant price):
    /// `PRE⁻ − P_DA` and `P_DA − PRE⁺`, the two prices swapped when VWAP (default `P_DA`) is
    /// negative.
    pub fn unit_costs(&self, day_ahead: Option<f64>, vwap: Option<f64>) -> (f64, f64) {
        let p = day_ahead.unwrap_or(self.price_eur_per_mwh);
        let v = vwap.or(self.vwap_eur_per_mwh).unwrap_or(p);
        let (low, high) = (v * (1.0 - self.k), v * (1.0 + self.k));
        let (pre_long, pre_short) = if v >= 0.0 { (low, high) } else { (high, low) };
        (pre_short - p, p - pre_long)
    }
}

/// Every price of the cost model; a TOML cost file sets any subset:
///
/// ```toml
/// [gas]
/// price_eur_per_mwh = 35.0
/// small_adjustment = 0.02
/// # small_adjustment_long = 0.01   # the two sides may differ (SPEC.md)
/// # small_adjustment_short = 0.04
///
/// [capacity]
/// penalty_eur_per_mwh = 200.0
/// yearly_tariff_eur_per_mwh_day = 150.0
/// daily_multiplier = 1.5
///
/// [electricity]
/// price_eur_per_mwh = 60.0
/// k = 0.05
/// # vwap_eur_per_mwh = 62.0    # short dearer than long (default: the day-ahead price)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostParams {
    /// Gas imbalance.
    pub gas: GasPrices,
    /// Gas capacity.
    pub capacity: CapacityPrices,
    /// Electricity imbalance.
    pub electricity: ElectricityPrices,
}

impl CostParams {
    /// Reads a cost file; fields it leaves out keep their defaults.
    pub fn read(path: &Path) -> Result<Valid<Self>> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            action: "reading the cost file",
            source,
        })?;
        let params: Self = toml::from_str(&text)
            .map_err(|e| Error::CostFile { path: path.to_path_buf(), problem: e.message().to_string() })?;
        params.check().map_err(|e| Error::CostFile { path: path.to_path_buf(), problem: e.to_string() })
    }

    /// Checks that every price is finite and in its range.
    pub fn check(self) -> Result<Valid<Self>> {
        let finite = [
            self.gas.price_eur_per_mwh,
            self.gas.small_adjustment,
            self.gas.small_adjustment_long.unwrap_or(0.0),
            self.gas.small_adjustment_short.unwrap_or(0.0),
            self.capacity.penalty_eur_per_mwh,
            self.capacity.yearly_tariff_eur_per_mwh_day,
            self.capacity.daily_multiplier,
            self.electricity.price_eur_per_mwh,
            self.electricity.k,
        ];
        if finite.iter().any(|v| !v.is_finite()) {
            return invalid("prices", "every price must be a finite number");
        }
        let (short, long) = self.gas.adjustments();
        if self.gas.small_adjustment < 0.0 || short < 0.0 || long < 0.0 || self.electricity.k < 0.0 {
            return invalid("small_adjustment", "and k must not be negative");
        }
        if self.capacity.penalty_eur_per_mwh <= 0.0 || self.capacity.daily_multiplier <= 0.0 {
            return invalid("penalty_eur_per_mwh", "and daily_multiplier must be positive");
        }
        Ok(Valid::checked(self))
    }
}

/// The expected-cost-minimising quantile for unit costs `short` (being short) and `long`
/// (being long): `τ = c_u / (c_u + c_o)` (the newsvendor critical fractile).
pub fn critical_fractile(short: f64, long: f64) -> f64 {
    if short + long > 0.0 { short / (short + long) } else { 0.5 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cost file's text, parsed but not checked.
    fn inline(toml: &str) -> Result<CostParams> {
        toml::from_str(toml).map_err(|e| Error::CostFile { path: "inline".into(), problem: e.to_string() })
    }

    #[test]
    fn gas_imbalance_is_symmetric_at_the_default_adjustment() {
        let gas = GasPrices::default();
        // 10 MWh long or short at 35 EUR/MWh, 2 %: 10 × 0.7 = 7 EUR either way.
        assert!((gas.imbalance_eur(110_000.0, 100_000.0, None) - 7.0).abs() < 1e-9);
        assert!((gas.imbalance_eur(90_000.0, 100_000.0, None) - 7.0).abs() < 1e-9);
        assert!((gas.imbalance_eur(90_000.0, 100_000.0, Some(100.0)) - 20.0).abs() < 1e-9);
        assert_eq!(gas.imbalance_eur(5.0, 5.0, None), 0.0);
    }

    #[test]
    fn gas_sides_may_differ_and_move_the_critical_fractile() -> Result<()> {
        let toml = "[gas]\nsmall_adjustment_long = 0.01\nsmall_adjustment_short = 0.04\n";
        let gas = inline(toml)?.check()?.into_inner().gas;
        // 10 MWh long: sold at P − 1 %, 3.5 EUR; 10 MWh short: bought at P + 4 %, 14 EUR.
        assert!((gas.imbalance_eur(110_000.0, 100_000.0, None) - 3.5).abs() < 1e-9);
        assert!((gas.imbalance_eur(90_000.0, 100_000.0, None) - 14.0).abs() < 1e-9);
        let (short, long) = gas.unit_costs(None);
        assert!((critical_fractile(short, long) - 0.8).abs() < 1e-12);
        let negative = "[gas]\nsmall_adjustment_short = -0.01\n";
        assert!(inline(negative)?.check().is_err());
        Ok(())
    }

    #[test]
    fn capacity_day_prices_overrun_and_extra_capacity() {
        let cap = CapacityPrices::default();
        // p_day = 1.5 × 150 / 365 = 0.616438... EUR per MWh/day.
        assert!((cap.daily_price_eur_per_mwh() - 225.0 / 365.0).abs() < 1e-12);
        // 20 MWh over a 100 MWh capacity, nothing bought: 20 × 200 = 4000 EUR.
        assert!((cap.day_eur(120_000.0, 100_000.0, 0.0) - 4000.0).abs() < 1e-9);
        // 20 MWh bought: only its price.
        assert!((cap.day_eur(120_000.0, 100_000.0, 20_000.0) - 20.0 * 225.0 / 365.0).abs() < 1e-9);
        // 30 bought, 10 unused: still paid.
        assert!((cap.day_eur(110_000.0, 100_000.0, 30_000.0) - 30.0 * 225.0 / 365.0).abs() < 1e-9);
        assert!((cap.buy_quantile() - (1.0 - 225.0 / 365.0 / 200.0)).abs() < 1e-12);
    }

    #[test]
    fn electricity_prices_swap_when_vwap_is_negative() {
        let el = ElectricityPrices::default();
        // 1 MWh long at P_DA = VWAP = 60, k = 5 %: sold at 57, cost 3 EUR; short: 63 − 60 = 3.
        assert!((el.imbalance_eur(2000.0, 1000.0, None, None) - 3.0).abs() < 1e-9);
        assert!((el.imbalance_eur(0.0, 1000.0, None, None) - 3.0).abs() < 1e-9);
        // VWAP = −20, P_DA = −20: PRE⁺ = −21, PRE⁻ = −19: long costs 1, short costs 1.
        assert!((el.imbalance_eur(2000.0, 1000.0, Some(-20.0), Some(-20.0)) - 1.0).abs() < 1e-9);
        assert!((el.imbalance_eur(0.0, 1000.0, Some(-20.0), Some(-20.0)) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_constant_vwap_above_the_day_ahead_price_makes_short_dearer() -> Result<()> {
        let toml = "[electricity]\nvwap_eur_per_mwh = 62.0\n";
        let el = inline(toml)?.check()?.into_inner().electricity;
        // PRE⁻ = 62 × 1.05 = 65.1 against 60: short 5.1 EUR/MWh; PRE⁺ = 58.9: long 1.1.
        let (short, long) = el.unit_costs(None, None);
        assert!((short - 5.1).abs() < 1e-9 && (long - 1.1).abs() < 1e-9, "{short} {long}");
        assert!((el.imbalance_eur(0.0, 1000.0, None, None) - 5.1).abs() < 1e-9);
        // A series' VWAP wins over the constant.
        assert!((el.imbalance_eur(0.0, 1000.0, None, Some(60.0)) - 3.0).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn the_critical_fractile_weighs_the_dearer_side() {
        assert_eq!(critical_fractile(3.0, 1.0), 0.75);
        assert_eq!(critical_fractile(0.0, 0.0), 0.5);
    }

    #[test]
    fn a_cost_file_overrides_only_what_it_names_and_refuses_unknown_keys() -> Result<()> {
        let io = |source| Error::Io { path: "cost.toml".into(), action: "writing", source };
        let dir = std::env::temp_dir().join(format!("vader-cost-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(io)?;
        let file = dir.join("cost.toml");
        std::fs::write(&file, "[capacity]\npenalty_eur_per_mwh = 400.0\n").map_err(io)?;
        let params = CostParams::read(&file)?;
        assert_eq!(params.capacity.penalty_eur_per_mwh, 400.0);
        assert_eq!(params.gas, GasPrices::default());
        std::fs::write(&file, "[capacity]\npenalty = 400.0\n").map_err(io)?;
        let err = CostParams::read(&file).expect_err("unknown key");
        assert!(err.to_string().contains("cost.toml"), "{err}");
        std::fs::write(&file, "[capacity]\npenalty_eur_per_mwh = -1.0\n").map_err(io)?;
        assert!(CostParams::read(&file).is_err());
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
