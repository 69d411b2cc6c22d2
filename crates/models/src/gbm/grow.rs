//! Growing one tree leaf-wise from integer gradient histograms: split search, histogram
//! subtraction, and the split jobs that use a second thread.

use rayon::prelude::*;

use super::binning::Bins;
use super::rows::{Quantized, Rows};
use super::tree::{Node, Tree};

/// Settings of tree growth.
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    pub max_leaves: usize,
    pub min_data_in_leaf: usize,
    pub lambda: f64,
}

/// A leaf's histogram cells at least (rows × features) before its histogram is built by
/// several threads, each over a group of features. Below it one thread is faster.
const PARALLEL_CELLS: usize = 64 * 1024;

/// A leaf's rows at least before its histogram is built in two interleaved halves.
const INTERLEAVED_ROWS: usize = 4096;

/// The best split found for a leaf: its gain and how it routes the rows.
#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    route: Route,
}

/// Per feature, one cell for each finite bin then one for the missing bin, packed one feature
/// after the other (`Bins::offsets`): a cell's place is its feature's offset plus its bin.
/// Each cell holds the sum of its rows' [`Quantized`] weights: exact integers, so any order or
/// split of the work (threads, subtraction) gives the same bits.
type Histogram = Vec<i64>;

/// A leaf under construction: its rows (a range of the places of [`Rows`]), the sum of their
/// weights, their histogram (kept while the leaf may still be split) and its best split, if any.
struct Open {
    node: usize,
    rows: std::ops::Range<usize>,
    total: i64,
    hist: Option<Histogram>,
    split: Option<Split>,
}

/// How binned rows are routed at a split node: feature, last bin going left, and where missing
/// values go. Kept while the booster runs, to route validation rows without raw values.
#[derive(Debug, Clone, Copy)]
struct Route {
    feature: usize,
    bin: u8,
    missing_left: bool,
}

impl Route {
    /// Whether a row whose bin of the route's feature is `bin` goes left; `missing` is that
    /// feature's missing bin ([`Bins::missing`]).
    fn goes_left(&self, bin: u8, missing: u8) -> bool {
        if bin == missing { self.missing_left } else { bin <= self.bin }
    }
}

/// A grown tree with what the booster needs to update its predictions without walking it: the
/// places of every leaf, and the binned routes of the splits.
pub struct Grown {
    /// The tree, in raw feature units.
    pub tree: Tree,
    /// Per leaf: its range of places in [`Rows`] and its value.
    leaves: Vec<(std::ops::Range<usize>, f64)>,
    /// Per node, its route if it is a split.
    routes: Vec<Option<Route>>,
}

impl Grown {
    /// Every training row with the value of its leaf.
    pub fn training_values<'a>(&'a self, rows: &'a Rows) -> impl Iterator<Item = (usize, f64)> + 'a {
        self.leaves.iter().flat_map(|(range, v)| rows.ids[range.clone()].iter().map(|&r| (r as usize, *v)))
    }

    /// The tree's value for one binned row (as [`Tree::predict_row`] gives for its raw values).
    pub fn predict_binned(&self, bins: &Bins, row: &[u8]) -> f64 {
        let mut i = 0;
        loop {
            match (self.routes[i], &self.tree.nodes[i]) {
                (Some(route), Node::Split { left, right, .. }) => {
                    let go_left = route.goes_left(row[route.feature], bins.missing(route.feature));
                    i = if go_left { *left } else { *right } as usize;
                }
                (_, Node::Leaf(v)) => return *v,
                (None, Node::Split { .. }) => return 0.0,
            }
        }
    }
}

/// What every histogram and split search of one tree reads, and the histogram buffers it
/// recycles.
struct Grower<'a> {
    bins: &'a Bins,
    quantized: Quantized,
    growth: Growth,
    pool: Vec<Histogram>,
}

/// One job of a split: a group of features and their parts of the histograms.
struct Part<'h> {
    features: std::ops::Range<usize>,
    small: &'h mut [i64],
    large: &'h mut [i64],
}

impl Grower<'_> {
    /// A zeroed histogram, recycled if one is free.
    fn zeroed(&mut self, len: usize) -> Histogram {
        let mut hist = self.pool.pop().unwrap_or_default();
        hist.clear();
        hist.resize(len, 0);
        hist
    }

    /// Adds the places `range` of `rows` into `cells`, the part of a histogram that holds
    /// `features`.
    fn fill(
        &self,
        rows: &Rows,
        range: std::ops::Range<usize>,
        features: std::ops::Range<usize>,
        cells: &mut [i64],
    ) {
        let offsets = &self.bins.offsets;
        let nfeat = rows.nfeat;
        let bins = &rows.bins[range.start * nfeat..range.end * nfeat];
        let weights = &rows.weights[range];
        let base = offsets[features.start];
        let local: Vec<usize> = features.clone().map(|f| offsets[f] - base).collect();
        let add = |cells: &mut [i64], row: &[u8], w: i64| {
            for (&b, &off) in row[features.clone()].iter().zip(&local) {
                cells[off + usize::from(b)] += w;
            }
        };
        if weights.len() < INTERLEAVED_ROWS {
            for (row, &w) in bins.chunks_exact(nfeat).zip(weights) {
                add(cells, row, w);
            }
            return;
        }
        // Consecutive rows often share a bin (a weekday, a zero): adding every other row into a
        // second histogram halves the chains of updates to one cell.
        let mut odd = vec![0; cells.len()];
        let mut pairs = bins.chunks_exact(2 * nfeat).zip(weights.chunks_exact(2));
        for (pair, w) in &mut pairs {
            add(cells, &pair[..nfeat], w[0]);
            add(&mut odd, &pair[nfeat..], w[1]);
        }
        if weights.len() % 2 == 1 {
            add(cells, &bins[bins.len() - nfeat..], weights[weights.len() - 1]);
        }
        for (cell, o) in cells.iter_mut().zip(&odd) {
            *cell += o;
        }
    }

    /// Builds the histogram of the places `small` of `rows` and turns `large` (the parent's,
    /// when there is one) into the other child's by subtraction, then finds the best split of
    /// each side whose `search` is set, from its weight total. Large jobs run on several
    /// threads, each over a group of features; the result is the same as on one.
    fn split_job(
        &self,
        rows: &Rows,
        small: std::ops::Range<usize>,
        hist: [&mut Histogram; 2],
        search: [Option<i64>; 2],
    ) -> [Option<Split>; 2] {
        let offsets = &self.bins.offsets;
        let nfeat = rows.nfeat;
        let [small_hist, large_hist] = hist;
        let subtract = !large_hist.is_empty();
        let searches = search.iter().flatten().count();
        let work = small.len() * nfeat + searches * offsets[nfeat];
        let threads = if work >= PARALLEL_CELLS { rayon::current_num_threads().clamp(1, nfeat) } else { 1 };
        let mut parts = Vec::with_capacity(threads);
        let (mut rest_small, mut rest_large) = (small_hist.as_mut_slice(), large_hist.as_mut_slice());
        for k in 0..threads {
            let features = k * nfeat / threads..(k + 1) * nfeat / threads;
            let len = offsets[features.end] - offsets[features.start];
            let (s, tail) = rest_small.split_at_mut(len);
            rest_small = tail;
            let (l, tail) = if subtract { rest_large.split_at_mut(len) } else { (&mut [][..], rest_large) };
            rest_large = tail;
            parts.push(Part { features, small: s, large: l });
        }
        let job = |part: Part<'_>| -> [Option<Split>; 2] {
            self.fill(rows, small.clone(), part.features.clone(), part.small);
            for (cell, s) in part.large.iter_mut().zip(part.small.iter()) {
                *cell -= s;
            }
            let base = offsets[part.features.start];
            [
                search[0].and_then(|total| self.best_split(part.small, base, part.features.clone(), total)),
                search[1].and_then(|total| self.best_split(part.large, base, part.features.clone(), total)),
            ]
        };
        let found: Vec<[Option<Split>; 2]> = if threads > 1 {
            parts.into_par_iter().map(job).collect()
        } else {
            parts.into_iter().map(job).collect()
        };
        // The groups in feature order, a later one only when strictly better: the split one
        // thread scanning every feature would keep.
        let better = |a: Option<Split>, b: Option<Split>| match (a, b) {
            (Some(x), Some(y)) if y.gain > x.gain => Some(y),
            (None, y) => y,
            (x, _) => x,
        };
        found.into_iter().fold([None, None], |acc, f| [better(acc[0], f[0]), better(acc[1], f[1])])
    }

    /// Whether a leaf of `rows` rows may be split: it must leave `min_data_in_leaf` on each side.
    fn splittable(&self, rows: usize) -> bool {
        rows >= 2 * self.growth.min_data_in_leaf
    }

    /// The best split, among `features`, of a leaf whose weights add up to `total`, from the
    /// part of its histogram that holds them (which starts at packed offset `base`), or `None`
    /// if no split has positive gain. Gains are computed in quantization steps (the common
    /// factor `scale²` does not change which split is best) and compared without dividing.
    fn best_split(
        &self,
        hist: &[i64],
        base: usize,
        features: std::ops::Range<usize>,
        total: i64,
    ) -> Option<Split> {
        let (bins, lambda, q) = (self.bins, self.growth.lambda, &self.quantized);
        let offsets = &bins.offsets;
        let (shift, mask) = (q.shift, (1_i64 << q.shift) - 1);
        let (total_g, total_n) = ((total >> shift) as f64, (total & mask) as f64);
        let parent = total_g * total_g / (total_n + lambda);
        let min = self.growth.min_data_in_leaf as i64;
        let all = total & mask;
        let scale2 = q.scale * q.scale;
        let mut best: Option<Split> = None;
        // A candidate must beat this gain: positive beyond rounding, then the best so far.
        let mut bar = 1e-12 * parent.abs().max(1.0 / scale2);
        for f in features {
            let h = &hist[offsets[f] - base..offsets[f + 1] - base];
            // The last finite bin cannot be a split: nothing finite would go right.
            let cells = &h[..bins.len(f).saturating_sub(1)];
            let missing = h[h.len() - 1];
            let (missing_g, missing_n) = (missing >> shift, missing & mask);
            for missing_left in [false, true] {
                if missing_left && missing_n == 0 {
                    break;
                }
                let (mut lg, mut ln) = if missing_left { (missing_g, missing_n) } else { (0, 0) };
                // An empty bin splits the rows as the bin before it did: the same gain, so the
                // first is kept. Not skipping it keeps the loop free of unpredictable branches.
                for (b, &cell) in cells.iter().enumerate() {
                    lg += cell >> shift;
                    ln += cell & mask;
                    if ln < min {
                        continue;
                    }
                    if all - ln < min {
                        break;
                    }
                    let (gl, nl) = (lg as f64, ln as f64);
                    let (gr, nr) = (total_g - gl, total_n - nl);
                    // gain = num / den - parent; den > 0.
                    let (dl, dr) = (nl + lambda, nr + lambda);
                    let (num, den) = (gl * gl * dr + gr * gr * dl, dl * dr);
                    if num > (bar + parent) * den {
                        let gain = num / den - parent;
                        if gain > bar {
                            bar = gain;
                            let bin = u8::try_from(b).unwrap_or(0);
                            best = Some(Split { gain, route: Route { feature: f, bin, missing_left } });
                        }
                    }
                }
            }
        }
        best.map(|s| Split { gain: s.gain * scale2, ..s })
    }

    /// A leaf, keeping its histogram only while it has a split.
    fn open(
        &mut self,
        node: usize,
        rows: std::ops::Range<usize>,
        total: i64,
        hist: Histogram,
        split: Option<Split>,
    ) -> Open {
        let hist = if split.is_some() {
            Some(hist)
        } else {
            self.pool.push(hist);
            None
        };
        Open { node, rows, total, hist, split }
    }
}

/// Grows one tree on `rows` (at most `rows::MAX_ROWS`) and their gradients (hessians are 1),
/// leaving each leaf's rows side by side in `rows`. Leaf values are set by
/// `leaf_value(row ids, their gradients)`.
pub fn grow(
    bins: &Bins,
    rows: &mut Rows,
    growth: Growth,
    leaf_value: &mut dyn FnMut(&[u32], &[f64]) -> f64,
) -> Grown {
    let nfeat = rows.nfeat;
    let quantized = Quantized::new(rows);
    let mut grower = Grower { bins, quantized, growth, pool: Vec::new() };
    let mut nodes = vec![Node::Leaf(0.0)];
    let mut routes = vec![None];
    let all = 0..rows.ids.len();
    let len = bins.offsets[nfeat];
    let total: i64 = rows.weights.iter().sum();
    let mut root = grower.zeroed(len);
    let search = grower.splittable(all.len()).then_some(total);
    let [split, _] = grower.split_job(rows, all.clone(), [&mut root, &mut Vec::new()], [search, None]);
    let mut open = vec![grower.open(0, all, total, root, split)];
    let mut leaves = 1;
    while leaves < growth.max_leaves {
        // The open leaf with the largest gain (the first one on ties: deterministic).
        let Some(pick) = open
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.split.map(|s| (i, s.gain)))
            .fold(None, |best: Option<(usize, f64)>, (i, g)| match best {
                Some((_, bg)) if bg >= g => best,
                _ => Some((i, g)),
            })
            .map(|(i, _)| i)
        else {
            break;
        };
        let leaf = open.swap_remove(pick);
        let (Some(Split { route, .. }), Some(mut parent)) = (leaf.split, leaf.hist) else { break };
        let threshold =
            bins.cuts[route.feature].get(usize::from(route.bin)).copied().unwrap_or(f64::INFINITY);
        let missing = bins.missing(route.feature);
        let at = rows.partition(leaf.rows.clone(), route.feature, |b| route.goes_left(b, missing));
        let (left, right) = (leaf.rows.start..at, at..leaf.rows.end);
        let (l, r) = (nodes.len(), nodes.len() + 1);
        nodes.push(Node::Leaf(0.0));
        nodes.push(Node::Leaf(0.0));
        routes.extend([None, None]);
        nodes[leaf.node] = Node::Split {
            feature: u32::try_from(route.feature).unwrap_or(u32::MAX),
            threshold,
            missing_left: route.missing_left,
            left: u32::try_from(l).unwrap_or(u32::MAX),
            right: u32::try_from(r).unwrap_or(u32::MAX),
        };
        routes[leaf.node] = Some(route);
        // The smaller child's histogram is built from its rows, the larger one's is the parent's
        // minus it (LightGBM's histogram subtraction): half the work or less per split.
        let left_smaller = left.len() <= right.len();
        let (small, large) =
            if left_smaller { (left.clone(), right.clone()) } else { (right.clone(), left.clone()) };
        let small_total: i64 = rows.weights[small.clone()].iter().sum();
        let large_total = leaf.total - small_total;
        let search = [
            grower.splittable(small.len()).then_some(small_total),
            grower.splittable(large.len()).then_some(large_total),
        ];
        let mut small_hist = grower.zeroed(len);
        let [small_split, large_split] =
            grower.split_job(rows, small.clone(), [&mut small_hist, &mut parent], search);
        let mut children =
            [(small, small_total, small_hist, small_split), (large, large_total, parent, large_split)];
        if !left_smaller {
            children.swap(0, 1);
        }
        for (node, (range, total, hist, split)) in [l, r].into_iter().zip(children) {
            let opened = grower.open(node, range, total, hist, split);
            open.push(opened);
        }
        leaves += 1;
    }
    let mut values = Vec::with_capacity(open.len());
    for leaf in open {
        let value = leaf_value(&rows.ids[leaf.rows.clone()], &rows.grad[leaf.rows.clone()]);
        nodes[leaf.node] = Node::Leaf(value);
        values.push((leaf.rows, value));
    }
    Grown { tree: Tree { nodes }, leaves: values, routes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gbm::rows::test_rows;

    #[test]
    fn leaf_ranges_and_binned_routes_give_what_the_tree_gives_on_raw_values() {
        let x = test_rows(3000);
        let bins = Bins::fit(x.view(), 255);
        let binned = bins.apply(x.view());
        let ids: Vec<u32> = (0..3000).collect();
        let mut rows = Rows::new(&binned, 4, &ids);
        let target: Vec<f64> = x
            .rows()
            .into_iter()
            .map(|r| 10.0 * r[0] + r[2] - if r[1].is_nan() { 3.0 } else { 0.0 })
            .collect();
        rows.set_gradients(|i| -target[i]);
        let growth = Growth { max_leaves: 31, min_data_in_leaf: 5, lambda: 0.0 };
        let grown =
            grow(&bins, &mut rows, growth, &mut |_, g: &[f64]| -g.iter().sum::<f64>() / g.len() as f64);
        assert!(grown.tree.nodes.len() > 40, "a grown tree, not a stump");
        let mut seen = vec![false; 3000];
        for (i, v) in grown.training_values(&rows) {
            let row = x.row(i).to_vec();
            assert_eq!(v.to_bits(), grown.tree.predict_row(&row).to_bits(), "row {i}");
            assert_eq!(
                v.to_bits(),
                grown.predict_binned(&bins, &binned[i * 4..(i + 1) * 4]).to_bits(),
                "row {i}"
            );
            seen[i] = true;
        }
        assert!(seen.iter().all(|&s| s), "every row is in exactly one leaf");
    }
}
