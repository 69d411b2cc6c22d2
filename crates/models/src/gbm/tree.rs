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

/// A leaf under construction: its rows and its best split, if any.
struct Open {
    node: usize,
    rows: Vec<u32>,
    split: Option<Split>,
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
    let mut nodes = vec![Node::Leaf(0.0)];
    let mut open = vec![Open { split: best_split(bins, binned, nfeat, grad, &rows, growth), node: 0, rows }];
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
        for (node, rows) in [(l, left), (r, right)] {
            open.push(Open { split: best_split(bins, binned, nfeat, grad, &rows, growth), node, rows });
        }
        leaves += 1;
    }
    for leaf in open {
        nodes[leaf.node] = Node::Leaf(leaf_value(&leaf.rows));
    }
    Tree { nodes }
}

/// The best split of a leaf over all features, or `None` if no split has positive gain.
fn best_split(
    bins: &Bins,
    binned: &[u8],
    nfeat: usize,
    grad: &[f64],
    rows: &[u32],
    growth: Growth,
) -> Option<Split> {
    if rows.len() < 2 * growth.min_data_in_leaf {
        return None;
    }
    // Histogram: per feature, its finite bins then the missing bin, packed one after the other.
    let offsets = &bins.offsets;
    let mut hist = vec![(0.0_f64, 0_u32); offsets[nfeat]];
    for &r in rows {
        let g = grad[r as usize];
        let row = &binned[r as usize * nfeat..(r as usize + 1) * nfeat];
        for (f, &b) in row.iter().enumerate() {
            let slot = if b == MISSING_BIN { offsets[f + 1] - 1 } else { offsets[f] + usize::from(b) };
            let cell = &mut hist[slot];
            cell.0 += g;
            cell.1 += 1;
        }
    }
    let total_g: f64 = rows.iter().map(|&r| grad[r as usize]).sum();
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
