//! How vader writes numbers for people: energy units, money, p-values, verdicts, plot axes,
//! and CSV cells. Every front end (the command line, the reports, the alert picture) formats
//! through this module, so a figure reads the same everywhere.
//!
//! ```
//! use vader::format::{EnergyUnit, money, money_axis, p_value};
//!
//! let unit = EnergyUnit::for_largest(19_050.0); // kWh
//! assert_eq!((unit.name, unit.show(19_050.0, 2)), ("MWh", "19.05".to_string()));
//! assert_eq!(EnergyUnit::for_largest(5.15).name, "kWh");
//! assert_eq!(money(20.83), "20.8");
//! assert_eq!(money(0.0213), "0.0213");
//! assert_eq!(money_axis(35_000_000.0), "35 M€");
//! assert_eq!(money_axis(-12_500.0), "−12.5 k€");
//! assert_eq!(p_value(0.0004), "< 0.001");
//! ```

use vader_backtest::ab::{AbTest, Verdict};

/// The unit energies are shown in: MWh from 1,000 kWh up, else kWh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnergyUnit {
    /// kWh per shown unit (1 or 1,000).
    pub kwh_per_unit: u32,
    /// `kWh` or `MWh`.
    pub name: &'static str,
}

impl EnergyUnit {
    /// Kilowatt-hours.
    pub const KWH: Self = Self { kwh_per_unit: 1, name: "kWh" };
    /// Megawatt-hours.
    pub const MWH: Self = Self { kwh_per_unit: 1000, name: "MWh" };

    /// The one rule for every table and picture: MWh when the largest value shown reaches
    /// 1,000 kWh (industrial meters), kWh below (a household, an hourly error).
    pub fn for_largest(largest_kwh: f64) -> Self {
        if largest_kwh.abs() >= 1000.0 { Self::MWH } else { Self::KWH }
    }

    /// The unit for the largest of `values` (kWh; non-finite values are ignored).
    pub fn for_values(values: impl IntoIterator<Item = f64>) -> Self {
        Self::for_largest(values.into_iter().filter(|v| v.is_finite()).map(f64::abs).fold(0.0, f64::max))
    }

    /// `kwh` in this unit.
    pub fn of(self, kwh: f64) -> f64 {
        kwh / f64::from(self.kwh_per_unit)
    }

    /// `kwh` in this unit with `decimals` decimals.
    pub fn show(self, kwh: f64, decimals: usize) -> String {
        format!("{:.decimals$}", self.of(kwh))
    }
}

impl std::fmt::Display for EnergyUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// An amount with about three significant digits (whole units from 100 up): sites differ by
/// orders of magnitude, and a household's 0.02 EUR/day must not print as 0.0.
pub fn money(x: f64) -> String {
    let a = x.abs();
    let digits = if a >= 100.0 || a == 0.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        (2 - a.log10().floor() as i64).clamp(3, 6) as usize
    };
    format!("{x:.digits$}")
}

/// A money axis label: `35 M€`, `120 k€`, `450 €`, with a true minus sign.
pub fn money_axis(x: f64) -> String {
    let a = x.abs();
    let (value, suffix) = if a >= 1e6 {
        (a / 1e6, " M€")
    } else if a >= 1e3 {
        (a / 1e3, " k€")
    } else {
        (a, " €")
    };
    let digits = if value == value.round() {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.digits$}");
    let text =
        if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text };
    let sign = if x < 0.0 && text != "0" { "−" } else { "" };
    format!("{sign}{text}{suffix}")
}

/// A p-value as `= 0.031` or `< 0.001`.
pub fn p_value(p: f64) -> String {
    if p < 0.001 { "< 0.001".into() } else { format!("= {p:.3}") }
}

/// One sentence per comparison: `gbm saves 12.3 EUR/day [4.1, 20.2] over 365 days, p = 0.003:
/// adopt challenger`.
pub fn verdict_line(t: &AbTest) -> String {
    sentence(t, t.verdict.as_str())
}

/// The sentence of [`verdict_line`] with `verdict` as its last words.
fn sentence(t: &AbTest, verdict: &str) -> String {
    let (verb, value, lo, hi) = if t.mean_saving >= 0.0 {
        ("saves", t.mean_saving, t.ci_low, t.ci_high)
    } else {
        ("costs", -t.mean_saving, -t.ci_high, -t.ci_low)
    };
    let p = t.dm.map_or("n/a".to_string(), |d| p_value(d.p_value));
    format!(
        "{} {verb} {} {} [{}, {}] over {} days, p {p}: {}",
        t.challenger,
        money(value),
        t.loss.unit(),
        money(lo),
        money(hi),
        t.days,
        verdict
    )
}

/// The verdict of a model's cost-optimal decisions against its own point decisions:
/// `adopt cost-optimal`, `keep point` or `no significant difference`.
pub fn decision_verdict(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::AdoptChallenger => "adopt cost-optimal",
        Verdict::KeepChampion => "keep point",
        Verdict::NoSignificantDifference => verdict.as_str(),
    }
}

/// [`verdict_line`] for a model's cost-optimal decisions against its own point decisions, with
/// the verdict of [`decision_verdict`].
pub fn decision_gain_line(t: &AbTest) -> String {
    sentence(t, decision_verdict(t.verdict))
}

/// Quotes a CSV cell when it needs it.
pub fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A CSV line of `cells`, quoted where needed.
pub fn csv_line<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> String {
    cells.into_iter().map(|c| csv_cell(c.as_ref())).collect::<Vec<_>>().join(",")
}

/// An optional number as a CSV cell: empty when absent.
pub fn csv_number(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_axes_read_as_euros() {
        assert_eq!(money_axis(0.0), "0 €");
        assert_eq!(money_axis(450.0), "450 €");
        assert_eq!(money_axis(1_500.0), "1.5 k€");
        assert_eq!(money_axis(120_000.0), "120 k€");
        assert_eq!(money_axis(2_250_000.0), "2.25 M€");
    }

    #[test]
    fn one_unit_rule() {
        assert_eq!(EnergyUnit::for_largest(999.9), EnergyUnit::KWH);
        assert_eq!(EnergyUnit::for_largest(1000.0), EnergyUnit::MWH);
        assert_eq!(EnergyUnit::for_values([1.0, f64::NAN, -2500.0]), EnergyUnit::MWH);
    }
}
