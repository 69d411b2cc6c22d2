//! The training rows of one boosting run, kept in leaf order, and their gradients quantized for
//! integer histograms.

/// Rows one tree may grow on at most: the row count and the quantized gradient sums must share
/// one 64-bit cell (see [`Quantized`]).
pub const MAX_ROWS: usize = 1 << 24;

/// The training rows of one boosting run, in the order tree growth keeps them: each leaf's rows
/// side by side, so that its histogram and its partition read memory in sequence. The order
/// carries over from one tree to the next (histograms are integer sums, so the root's order
/// does not change them).
pub struct Rows {
    pub(super) nfeat: usize,
    /// `rows × features` bins, row-major, in `ids` order.
    pub(super) bins: Vec<u8>,
    /// The row index of each place.
    pub(super) ids: Vec<u32>,
    /// This tree's gradient of each place.
    pub(super) grad: Vec<f64>,
    /// This tree's [`Quantized`] weight of each place.
    pub(super) weights: Vec<i64>,
}

impl Rows {
    /// The rows `ids` of the row-major bins `binned` (`nfeat` per row).
    pub fn new(binned: &[u8], nfeat: usize, ids: &[u32]) -> Self {
        let mut bins = Vec::with_capacity(ids.len() * nfeat);
        for &r in ids {
            bins.extend_from_slice(&binned[r as usize * nfeat..(r as usize + 1) * nfeat]);
        }
        Self { nfeat, bins, ids: ids.to_vec(), grad: vec![0.0; ids.len()], weights: vec![0; ids.len()] }
    }

    /// Sets the gradient of every row from its index, for the next tree.
    pub fn set_gradients(&mut self, gradient: impl Fn(usize) -> f64) {
        for (g, &r) in self.grad.iter_mut().zip(&self.ids) {
            *g = gradient(r as usize);
        }
    }

    /// Splits `range` into the places whose bin of `feature` goes left and those that go right
    /// (an in-place two-way partition; deterministic). Returns where the right side starts.
    pub(super) fn partition(
        &mut self,
        range: std::ops::Range<usize>,
        feature: usize,
        goes_left: impl Fn(u8) -> bool,
    ) -> usize {
        let nfeat = self.nfeat;
        let (mut i, mut j) = (range.start, range.end);
        loop {
            while i < j && goes_left(self.bins[i * nfeat + feature]) {
                i += 1;
            }
            while i < j && !goes_left(self.bins[(j - 1) * nfeat + feature]) {
                j -= 1;
            }
            if i >= j {
                return i;
            }
            // Place i goes right and place j - 1 goes left: swap them.
            let (head, tail) = self.bins.split_at_mut((j - 1) * nfeat);
            head[i * nfeat..(i + 1) * nfeat].swap_with_slice(&mut tail[..nfeat]);
            self.ids.swap(i, j - 1);
            self.grad.swap(i, j - 1);
            self.weights.swap(i, j - 1);
            i += 1;
            j -= 1;
        }
    }
}

/// The gradients of one tree as integers, for histograms. Each row weighs
/// `round(g / scale) · 2^shift + 1`: a sum of weights holds the rows' quantized gradient sum in
/// its high bits and their count in its `shift` low bits, and decodes exactly. The quantization
/// step is at most the largest |gradient| / 2^12 (at [`MAX_ROWS`]); at 100,000 rows it is
/// 2^-28 of it. Splits are chosen on these sums; leaf values use the exact gradients.
pub(super) struct Quantized {
    pub(super) shift: u32,
    pub(super) scale: f64,
}

impl Quantized {
    /// Quantizes the gradients of `rows` into their weights.
    pub(super) fn new(rows: &mut Rows) -> Self {
        let bits = usize::BITS - rows.ids.len().leading_zeros();
        // Sums of up to 2^bits rows of |q| ≤ 2^(62 - 2·bits) stay below 2^(62 - bits): the room
        // left above the count.
        let levels = (1_i64 << 62_u32.saturating_sub(2 * bits).max(1)) as f64;
        let largest = rows.grad.iter().map(|g| g.abs()).fold(0.0, f64::max);
        let scale = if largest > 0.0 && largest.is_finite() { largest / levels } else { 1.0 };
        let inverse = 1.0 / scale;
        for (w, &g) in rows.weights.iter_mut().zip(&rows.grad) {
            // Rounded half away from zero (`as` truncates toward zero).
            let q = g * inverse;
            *w = (((q + 0.5_f64.copysign(q)) as i64) << bits) + 1;
        }
        Self { shift: bits, scale }
    }
}

/// Rows for the booster's unit tests: a step, a slope, a weekday-like column, missing values.
#[cfg(test)]
pub(super) fn test_rows(n: usize) -> ndarray::Array2<f64> {
    ndarray::Array2::from_shape_fn((n, 4), |(i, j)| match j {
        0 => ((i * 37) % 101) as f64 / 100.0,
        1 if i % 17 == 0 => f64::NAN,
        1 => ((i * 13) % 29) as f64,
        2 => (i % 7) as f64,
        _ => ((i * 7919) % 1000) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gbm::binning::Bins;

    #[test]
    fn the_partition_keeps_every_row_with_its_bins() {
        let x = test_rows(500);
        let bins = Bins::fit(x.view(), 255);
        let binned = bins.apply(x.view());
        let ids: Vec<u32> = (0..500).collect();
        let mut rows = Rows::new(&binned, 4, &ids);
        rows.set_gradients(|i| i as f64);
        let at = rows.partition(0..500, 2, |b| b <= 2);
        for (k, &id) in rows.ids.iter().enumerate() {
            let id = id as usize;
            assert_eq!(&rows.bins[k * 4..(k + 1) * 4], &binned[id * 4..(id + 1) * 4]);
            assert_eq!(rows.grad[k], id as f64);
            assert_eq!(k < at, binned[id * 4 + 2] <= 2, "place {k}");
        }
        let mut sorted = rows.ids.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ids);
    }
}
