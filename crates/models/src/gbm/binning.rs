//! Feature binning: each feature's values mapped to at most 254 ordered bins, plus one bin for
//! missing values right after them, as histogram-based boosting needs.

use ndarray::ArrayView2;

/// Finite bins per feature at most (the missing bin comes after them, so every bin fits a byte).
const MAX_FINITE_BINS: usize = 254;

/// Cut points of every feature: value `v` falls in the first bin `k` with `v <= cuts[k]`, or in
/// the last finite bin if above every cut.
#[derive(Debug, Clone, PartialEq)]
pub struct Bins {
    /// Per feature, the ascending cut points (bins = cuts + 1).
    pub cuts: Vec<Vec<f64>>,
    /// Where each feature's histogram starts in a packed histogram of all features (finite
    /// bins, then the missing bin); the last entry is the total length.
    pub offsets: Vec<usize>,
}

impl Bins {
    /// Cut points from the finite values of each column: midpoints between distinct values when
    /// they are few, quantiles otherwise. `max_bins` counts finite bins (at most 254).
    pub fn fit(x: ArrayView2<'_, f64>, max_bins: usize) -> Self {
        let max_bins = max_bins.clamp(2, MAX_FINITE_BINS);
        let cuts = x
            .columns()
            .into_iter()
            .map(|col| {
                let mut v: Vec<f64> = col.iter().copied().filter(|v| v.is_finite()).collect();
                v.sort_by(f64::total_cmp);
                v.dedup();
                if v.len() <= max_bins {
                    v.windows(2).map(|w| w[0] + (w[1] - w[0]) / 2.0).collect()
                } else {
                    let mut c: Vec<f64> = (1..max_bins)
                        .map(|k| {
                            let i = k * v.len() / max_bins;
                            v[i - 1] + (v[i] - v[i - 1]) / 2.0
                        })
                        .collect();
                    c.dedup();
                    c
                }
            })
            .collect::<Vec<Vec<f64>>>();
        let mut offsets = vec![0];
        for c in &cuts {
            offsets.push(offsets[offsets.len() - 1] + c.len() + 2);
        }
        Self { cuts, offsets }
    }

    /// The bin of `value` for feature `f`: the number of cuts below it, or [`Bins::missing`]
    /// for NaN.
    pub fn bin(&self, f: usize, value: f64) -> u8 {
        let k = if value.is_nan() {
            self.cuts[f].len() + 1
        } else {
            self.cuts[f].partition_point(|c| *c < value)
        };
        u8::try_from(k).unwrap_or(u8::MAX)
    }

    /// The bin of feature `f`'s missing values, right after its finite bins: a cell's bin is
    /// also its place in the feature's part of a packed histogram.
    pub fn missing(&self, f: usize) -> u8 {
        u8::try_from(self.cuts[f].len() + 1).unwrap_or(u8::MAX)
    }

    /// Bins of every cell, row-major (`rows × features`).
    pub fn apply(&self, x: ArrayView2<'_, f64>) -> Vec<u8> {
        let mut out = Vec::with_capacity(x.len());
        for row in x.rows() {
            out.extend(row.iter().enumerate().map(|(f, &v)| self.bin(f, v)));
        }
        out
    }

    /// Number of finite bins of feature `f`.
    pub fn len(&self, f: usize) -> usize {
        self.cuts[f].len() + 1
    }
}
