//! One regression tree, grown leaf-wise from gradient histograms.

use serde::{Deserialize, Serialize};

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
