//! Where prices come from: a cost file and price series, read before any work so that a bad
//! file fails first.

use std::path::PathBuf;

use vader_backtest::cost::CostParams;
use vader_backtest::costing::Pricing;
use vader_features::PriceSeries;

use crate::error::Result;

/// The price inputs of a run; without any, the SPEC's default prices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceSources {
    /// Cost file (TOML): any of the SPEC's prices; the others keep their defaults.
    pub cost: Option<PathBuf>,
    /// Gas price series (CSV/Parquet: `day` or `timestamp`, `price_eur_per_mwh`, optional
    /// `small_adjustment`).
    pub gas: Option<PathBuf>,
    /// Electricity day-ahead price series (CSV/Parquet: `timestamp` or `day`,
    /// `price_eur_per_mwh`, optional `vwap_eur_per_mwh`).
    pub electricity: Option<PathBuf>,
}

impl PriceSources {
    /// Reads every price input.
    pub fn read(&self) -> Result<Pricing> {
        let params = match &self.cost {
            Some(path) => CostParams::read(path)?.into_inner(),
            None => CostParams::default(),
        };
        let series = |p: &Option<PathBuf>| p.as_deref().map(PriceSeries::read).transpose();
        Ok(Pricing {
            params,
            gas: series(&self.gas)?,
            electricity: series(&self.electricity)?,
            capacity_hours: None,
        })
    }
}
