//! One regression tree, grown leaf-wise from gradient histograms.

use serde::{Deserialize, Serialize};

use super::binning::{Bins, MISSING_BIN};

/// A node of a fitted tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Node {
    /// Rows with `value <= threshold` go left; missing values go where `missing_left` says.
    Split {
        /// Feature index.
        feature: u32,
        /// Cut point, in the feature's units.
        threshold: f64,
        /// Where missing values go.
        missing_left: bool,
        /// Index of the left child.
        left: u32,
        /// Index of the right child.
        right: u32,
    },
    /// A leaf and its value (already scaled by the learning rate).
    Leaf(f64),
}

/// A fitted tree: node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// The nodes.
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The tree's value for one row of raw feature values.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            match self.nodes[i] {
                Node::Leaf(v) => return v,
                Node::Split { feature, threshold, missing_left, left, right } => {
                    let v = row[feature as usize];
                    let go_left = if v.is_nan() { missing_left } else { v <= threshold };
                    i = if go_left { left } else { right } as usize;
                }
            }
        }
    }
}

/// Settings of tree growth.
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    pub max_leaves: usize,
    pub min_data_in_leaf: usize,
    pub lambda: f64,
}

/// The best split found for a leaf.
#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    bin: u8,
    missing_left: bool,
}

/// A leaf under construction: its rows, its gradient histogram (kept while it may still be
/// split) and its best split, if any.
struct Open {
    node: usize,
    rows: Vec<u32>,
    hist: Option<Histogram>,
    split: Option<Split>,
}

/// Per feature, the gradient sum and row count of each finite bin then of the missing bin,
/// packed one feature after the other (`Bins::offsets`).
type Histogram = Vec<(f64, u32)>;

impl Open {
    /// A leaf with its histogram and best split (none when too small to split).
    fn new(node: usize, rows: Vec<u32>, hist: Histogram, ctx: &Context<'_>) -> Self {
        if rows.len() < 2 * ctx.growth.min_data_in_leaf {
            return Self { node, rows, hist: None, split: None };
        }
        let split = best_split(ctx, &hist, &rows);
        Self { node, rows, hist: split.is_some().then_some(hist), split }
    }
}

/// What every histogram and split search of one tree reads.
struct Context<'a> {
    bins: &'a Bins,
    binned: &'a [u8],
    nfeat: usize,
    grad: &'a [f64],
    growth: Growth,
}

impl Context<'_> {
    /// The histogram of `rows`.
    fn histogram(&self, rows: &[u32]) -> Histogram {
        let offsets = &self.bins.offsets;
        let nfeat = self.nfeat;
        let mut hist = vec![(0.0_f64, 0_u32); offsets[nfeat]];
        for &r in rows {
            let g = self.grad[r as usize];
            let row = &self.binned[r as usize * nfeat..(r as usize + 1) * nfeat];
            for (f, &b) in row.iter().enumerate() {
                let slot = if b == MISSING_BIN { offsets[f + 1] - 1 } else { offsets[f] + usize::from(b) };
                let cell = &mut hist[slot];
                cell.0 += g;
                cell.1 += 1;
            }
        }
        hist
    }
}

/// Grows one tree on `rows`, with per-row gradients `grad` (hessians are 1). Leaf values are
/// set by `leaf_value(rows)`.
pub fn grow(
    bins: &Bins,
    binned: &[u8],
    nfeat: usize,
    grad: &[f64],
    rows: Vec<u32>,
    growth: Growth,
    leaf_value: &mut dyn FnMut(&[u32]) -> f64,
) -> Tree {
    let ctx = Context { bins, binned, nfeat, grad, growth };
    let mut nodes = vec![Node::Leaf(0.0)];
    let root = ctx.histogram(&rows);
    let mut open = vec![Open::new(0, rows, root, &ctx)];
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
        let Some(split) = leaf.split else { break };
        let threshold =
            bins.cuts[split.feature].get(usize::from(split.bin)).copied().unwrap_or(f64::INFINITY);
        let (mut left, mut right) = (Vec::new(), Vec::new());
        for &r in &leaf.rows {
            let b = binned[r as usize * nfeat + split.feature];
            let go_left = if b == MISSING_BIN { split.missing_left } else { b <= split.bin };
            if go_left { left.push(r) } else { right.push(r) }
        }
        let (l, r) = (nodes.len(), nodes.len() + 1);
        nodes.push(Node::Leaf(0.0));
        nodes.push(Node::Leaf(0.0));
        nodes[leaf.node] = Node::Split {
            feature: u32::try_from(split.feature).unwrap_or(u32::MAX),
            threshold,
            missing_left: split.missing_left,
            left: u32::try_from(l).unwrap_or(u32::MAX),
            right: u32::try_from(r).unwrap_or(u32::MAX),
        };
        // The smaller child's histogram is built from its rows, the larger one's is the parent's
        // minus it (LightGBM's histogram subtraction): half the work or less per split.
        let mut parent = leaf.hist.unwrap_or_else(|| ctx.histogram(&leaf.rows));
        let left_smaller = left.len() <= right.len();
        let small = ctx.histogram(if left_smaller { &left } else { &right });
        for (cell, s) in parent.iter_mut().zip(&small) {
            cell.0 -= s.0;
            cell.1 -= s.1;
        }
        let (left_hist, right_hist) = if left_smaller { (small, parent) } else { (parent, small) };
        open.push(Open::new(l, left, left_hist, &ctx));
        open.push(Open::new(r, right, right_hist, &ctx));
        leaves += 1;
    }
    for leaf in open {
        nodes[leaf.node] = Node::Leaf(leaf_value(&leaf.rows));
    }
    Tree { nodes }
}

/// The best split of a leaf over all features, from its histogram, or `None` if no split has
/// positive gain.
fn best_split(ctx: &Context<'_>, hist: &Histogram, rows: &[u32]) -> Option<Split> {
    let (bins, nfeat, growth) = (ctx.bins, ctx.nfeat, ctx.growth);
    let offsets = &bins.offsets;
    let total_g: f64 = rows.iter().map(|&r| ctx.grad[r as usize]).sum();
    let total_n = rows.len() as f64;
    let score = |g: f64, n: f64| g * g / (n + growth.lambda);
    let parent = score(total_g, total_n);
    let min = growth.min_data_in_leaf as f64;
    let mut best: Option<Split> = None;
    for f in 0..nfeat {
        let h = &hist[offsets[f]..offsets[f + 1]];
        let (miss_g, miss_n) = (h[h.len() - 1].0, f64::from(h[h.len() - 1].1));
        let sides: &[bool] = if miss_n > 0.0 { &[false, true] } else { &[false] };
        let (mut lg, mut ln) = (0.0, 0.0);
        for (b, cell) in h[..h.len() - 1].iter().enumerate().take(bins.len(f).saturating_sub(1)) {
            if cell.1 == 0 {
                // An empty bin splits the rows as the bin before it did: same gain, kept first.
                continue;
            }
            lg += cell.0;
            ln += f64::from(cell.1);
            for &missing_left in sides {
                let (gl, nl) = if missing_left { (lg + miss_g, ln + miss_n) } else { (lg, ln) };
                let (gr, nr) = (total_g - gl, total_n - nl);
                if nl < min || nr < min {
                    continue;
                }
                let gain = score(gl, nl) + score(gr, nr) - parent;
                if gain > 1e-12 * parent.abs().max(1.0) && best.is_none_or(|s| gain > s.gain) {
                    best = Some(Split { gain, feature: f, bin: u8::try_from(b).unwrap_or(0), missing_left });
                }
            }
        }
    }
    best
}
