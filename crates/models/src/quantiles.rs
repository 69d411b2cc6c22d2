//! Quantiles from a sample of past out-of-sample residuals (split conformal), for any model.
//!
//! A forecast's τ-quantile is the forecast plus the `⌈τ (n + 1)⌉`-th smallest of `n` residuals
//! `actual − forecast` (clamped to the sample beyond it), floored at zero energy. One sorted
//! sample serves every level, so quantiles never cross.
//!
//! ```
//! use vader_models::quantiles::{conformal_quantile, quantile_of};
//!
//! // Residuals 1..=9: the median is the 5th smallest, the 90 % quantile the 9th.
//! let sorted: Vec<f64> = (1..=9).map(f64::from).collect();
//! assert_eq!(conformal_quantile(&sorted, 0.5), 5.0);
//! assert_eq!(conformal_quantile(&sorted, 0.9), 9.0);
//! assert_eq!(quantile_of(100.0, &sorted, 0.5), 105.0);
//! ```

/// The split-conformal τ-quantile of sorted residuals: the `⌈τ (n + 1)⌉`-th smallest, clamped to
/// the sample. NaN for an empty sample.
pub fn conformal_quantile(sorted: &[f64], tau: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let rank = (tau * (n as f64 + 1.0)).ceil();
    let k = if rank.is_finite() { (rank.max(1.0) as usize).min(n) } else { n };
    sorted[k - 1]
}

/// The τ-quantile of a forecast given its sorted past residuals, floored at zero energy.
pub fn quantile_of(forecast: f64, sorted_residuals: &[f64], tau: f64) -> f64 {
    (forecast + conformal_quantile(sorted_residuals, tau)).max(0.0)
}
