//! Sorting large rows in place: a fleet's forecast rows (millions of them, a couple of hundred
//! bytes each) are ordered without the half-size copy a stable sort of the rows allocates:
//! [`stable_order`] of their indices (its comparison may use more than the rows, such as a
//! rank computed beside them), then [`apply`].

use std::cmp::Ordering;

/// The indices `0..len` sorted stably by `compare` (of two indices): where each row goes.
pub(crate) fn stable_order(len: usize, compare: impl Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Rearranges `rows` so that position `i` holds what was at `order[i]` (a permutation of the
/// positions), cycle by cycle with swaps: no row is copied.
pub(crate) fn apply<T>(rows: &mut [T], order: &[usize]) {
    let mut placed = vec![false; rows.len()];
    for start in 0..rows.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            rows.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn sorts_as_the_standard_stable_sort_does() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for len in [0, 1, 2, 3, 10, 257, 5_000] {
            // Few distinct keys: many ties, whose order the sort must keep.
            let rows: Vec<(u8, usize)> = (0..len).map(|i| (rng.random_range(0..5_u8), i)).collect();
            let mut expected = rows.clone();
            expected.sort_by_key(|r| r.0);
            let mut sorted = rows;
            let order = stable_order(sorted.len(), |a, b| sorted[a].0.cmp(&sorted[b].0));
            apply(&mut sorted, &order);
            assert_eq!(sorted, expected, "{len} rows");
        }
    }

    #[test]
    fn a_permutation_puts_each_row_where_it_says() {
        let mut rows = vec!['a', 'b', 'c', 'd', 'e'];
        apply(&mut rows, &[2, 0, 1, 4, 3]);
        assert_eq!(rows, ['c', 'a', 'b', 'e', 'd']);
    }
}
