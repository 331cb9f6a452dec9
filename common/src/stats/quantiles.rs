//! `QuantileSketch`: a mergeable, deterministic quantile summary of one
//! column with Spark's `approxQuantile` guarantee: the value returned for
//! probability p has a rank within `eps * n` of `p * n` (n: the column's
//! non-NaN values), whatever the data and however the rows were split and
//! merged; 0 and 1 give the exact min and max; `eps = 0` keeps every
//! value (8 bytes each) and is exact.
//!
//! It is a stack of compactors (Manku, Rajagopalan and Lindsay's
//! deterministic scheme, as in KLL without the randomness). Level h holds
//! items of weight 2^h. Values go to level 0 unsorted; a level that
//! reaches `k` items is sorted (level 0 only: the others are kept sorted)
//! and every other item, starting at an offset that alternates with each
//! compaction of that level, moves up a level with twice the weight; an
//! odd item out stays. One compaction of weight w moves any rank by at
//! most w, and each consumes at least `k` items of its level, so the
//! total rank error is at most `levels * n / k`; with `k` chosen from eps
//! (`capacity`) that, plus the top-level weight, is within `eps * n`. The
//! sketch holds at most about `k * log2(n / k)` items per column (and two
//! reused buffers of about `k`): bounded by eps and log n, not by n.
//! Merging concatenates levels and compacts what overflows, so the merge
//! tree, not arrival order, fixes the result.
//!
//! Values are kept as `u64` keys whose integer order is the float order
//! (NaN is never stored), so sorting is an integer sort (`sorted_keys`).

use super::sorted_keys::{merge_into, sort_keys};

/// A bound on the levels that can compact in a sketch of fewer than 2^64
/// values (64 - log2 k of them), plus the two top-level item weights a
/// query may be off by: see `capacity`.
const LEVEL_BOUND: f64 = 66.0;

/// A quantile sketch of one column.
#[derive(Debug, Clone)]
pub struct QuantileSketch {
    /// Items per level before it is compacted (`usize::MAX`: exact).
    pub(crate) k: usize,
    /// Non-NaN values summarized.
    pub(crate) count: u64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    /// `levels[h]`: keys of weight 2^h; level 0 unsorted, others sorted.
    pub(crate) levels: Vec<Vec<u64>>,
    /// Compactions done per level (their parity picks the offset).
    pub(crate) compactions: Vec<u64>,
    /// The second buffer of sorts and merges, kept between compactions
    /// (not part of the summary: equality and the codec ignore it).
    spare: Vec<u64>,
}

impl PartialEq for QuantileSketch {
    // Bit for bit, so that two empty sketches (min and max NaN) are equal.
    fn eq(&self, other: &Self) -> bool {
        self.k == other.k
            && self.count == other.count
            && self.min.to_bits() == other.min.to_bits()
            && self.max.to_bits() == other.max.to_bits()
            && self.levels == other.levels
            && self.compactions == other.compactions
    }
}

/// Items per level for a relative error `eps`. A compaction at level h
/// needs `k` items of weight 2^h, so with n < 2^64 at most `64 - log2 k`
/// levels compact, each adding at most `n / k` rank error, and a query
/// adds at most one top-level weight (`2n / k`): the smallest even `k`
/// with `k * eps >= 66 - floor(log2 k)` keeps the total within `eps * n`.
/// `usize::MAX` (never compact, exact) for 0 or a tiny `eps`.
pub(crate) fn capacity(eps: f64) -> usize {
    if eps <= 0.0 {
        return usize::MAX;
    }
    let mut k = (LEVEL_BOUND / eps).ceil().max(2.0);
    if k >= (1u64 << 40) as f64 {
        return usize::MAX;
    }
    // Shrink toward the fixed point, taking only sizes that meet the bound.
    let meets = |k: f64| k * eps >= LEVEL_BOUND - k.log2().floor();
    for _ in 0..8 {
        let next = ((LEVEL_BOUND - k.log2().floor()) / eps).ceil().max(2.0);
        if next >= k || !meets(next) {
            break;
        }
        k = next;
    }
    (k as usize).next_multiple_of(2)
}

/// The order-preserving key of a non-NaN float.
fn key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The float of a key.
pub(crate) fn value(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

impl QuantileSketch {
    /// An empty sketch with relative error `eps` (in [0, 1]).
    pub fn new(eps: f64) -> QuantileSketch {
        QuantileSketch {
            k: capacity(eps),
            count: 0,
            min: f64::NAN,
            max: f64::NAN,
            levels: vec![Vec::new()],
            compactions: vec![0],
            spare: Vec::new(),
        }
    }

    /// Adds a column's values (NaN is skipped, as Spark skips nulls). The
    /// count, min and max are kept in registers and stored once: updated
    /// per value they would be carried through memory from one value to
    /// the next.
    pub fn add_column(&mut self, values: impl Iterator<Item = f64>) {
        let mut values = values.peekable();
        let (mut low, mut high, mut added) = (f64::INFINITY, f64::NEG_INFINITY, 0usize);
        while values.peek().is_some() {
            let level = &mut self.levels[0];
            let before = level.len();
            // Up to the compaction point: at most `room` values are added.
            let room = self.k.saturating_sub(before);
            for x in values.by_ref().take(room) {
                if x.is_nan() {
                    continue;
                }
                low = if x < low { x } else { low };
                high = if x > high { x } else { high };
                level.push(key(x));
            }
            added += level.len() - before;
            if level.len() >= self.k {
                self.compact_from(0);
            }
        }
        if added > 0 {
            // `f64::min` and `max` return the other value when one is NaN,
            // so the first values replace the empty sketch's NaN.
            self.min = self.min.min(low);
            self.max = self.max.max(high);
            self.count += added as u64;
        }
    }

    /// Compacts level `h` and every level above that overflows. The
    /// levels' buffers and `spare` are reused: a compaction allocates only
    /// while the sketch grows.
    fn compact_from(&mut self, mut h: usize) {
        while h < self.levels.len() && self.levels[h].len() >= self.k {
            if h + 1 == self.levels.len() {
                self.levels.push(Vec::new());
                self.compactions.push(0);
            }
            let (below, above) = self.levels.split_at_mut(h + 1);
            let level = &mut below[h];
            if h == 0 {
                sort_keys(level, &mut self.spare);
            }
            let even = level.len() & !1;
            // The odd item out (the largest) stays at this level.
            let odd = level.get(even).copied();
            let offset = (self.compactions[h] % 2) as usize;
            for i in 0..even / 2 {
                level[i] = level[offset + 2 * i];
            }
            level.truncate(even / 2);
            let above = &mut above[0];
            merge_into(above, level, &mut self.spare);
            std::mem::swap(above, &mut self.spare);
            level.clear();
            if h > 0 {
                // Only level 0 refills its own buffer; a higher level is
                // next written by a merge into `spare`. Giving its buffer
                // back keeps the memory held near the items held.
                level.shrink_to_fit();
            }
            level.extend(odd);
            self.compactions[h] += 1;
            h += 1;
        }
    }

    /// Merges `other` (same relative error) into this sketch.
    pub(crate) fn merge(&mut self, other: &QuantileSketch) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            (self.min, self.max) = (other.min, other.max);
        } else {
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.count = self.count.saturating_add(other.count);
        while self.levels.len() < other.levels.len() {
            self.levels.push(Vec::new());
            self.compactions.push(0);
        }
        for (h, theirs) in other.levels.iter().enumerate() {
            if h == 0 {
                self.levels[0].extend_from_slice(theirs);
            } else {
                merge_into(&self.levels[h], theirs, &mut self.spare);
                std::mem::swap(&mut self.levels[h], &mut self.spare);
            }
            self.compactions[h] = self.compactions[h].wrapping_add(other.compactions[h]);
        }
        for h in 0..self.levels.len() {
            self.compact_from(h);
        }
    }

    /// The approximate quantile at each probability (NaN when the column
    /// has no non-NaN value).
    pub fn query(&self, probabilities: &[f64]) -> Vec<f64> {
        if self.count == 0 {
            return vec![f64::NAN; probabilities.len()];
        }
        // Spark's target: the ceil(p * n)-th smallest value; 0 and 1 are
        // the exact min and max.
        let mut targets: Vec<(u64, usize)> = Vec::new();
        let mut out = vec![f64::NAN; probabilities.len()];
        for (i, &p) in probabilities.iter().enumerate() {
            if p <= 0.0 {
                out[i] = self.min;
            } else if p >= 1.0 {
                out[i] = self.max;
            } else {
                targets.push((((p * self.count as f64).ceil() as u64).max(1), i));
            }
        }
        targets.sort_unstable();
        let mut level0 = self.levels[0].clone();
        level0.sort_unstable();
        // Walk every level's sorted items in key order (a k-way merge over
        // the few levels), answering the targets in rank order.
        let mut cursors: Vec<(&[u64], u64)> = std::iter::once((level0.as_slice(), 1u64))
            .chain(
                self.levels
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(h, level)| (level.as_slice(), 1u64 << h.min(63))),
            )
            .filter(|(items, _)| !items.is_empty())
            .collect();
        let mut cumulative = 0u64;
        let mut next = targets.iter().peekable();
        while next.peek().is_some() {
            let Some((at, _)) = cursors
                .iter()
                .enumerate()
                .min_by_key(|(_, (items, _))| items[0])
            else {
                break;
            };
            let (items, weight) = &mut cursors[at];
            let key = items[0];
            cumulative = cumulative.saturating_add(*weight);
            *items = &items[1..];
            if items.is_empty() {
                cursors.swap_remove(at);
            }
            while let Some(&&(rank, i)) = next.peek() {
                if rank > cumulative {
                    break;
                }
                out[i] = value(key).clamp(self.min, self.max);
                next.next();
            }
        }
        for &(_, i) in next {
            out[i] = self.max;
        }
        out
    }

    /// Items held (for tests of the size bound).
    pub fn len(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The items' total weight, which equals `count` in a sound sketch.
    pub(crate) fn weight(&self) -> Option<u64> {
        self.levels
            .iter()
            .enumerate()
            .try_fold(0u64, |sum, (h, level)| {
                let w = 1u64.checked_shl(h as u32)?;
                sum.checked_add((level.len() as u64).checked_mul(w)?)
            })
    }
}

/// One sketch per column, all with the job's relative error.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileSketches {
    pub(crate) eps: f64,
    pub(crate) columns: Vec<QuantileSketch>,
}

impl QuantileSketches {
    pub fn new(ncols: usize, eps: f64) -> QuantileSketches {
        QuantileSketches {
            eps,
            columns: (0..ncols).map(|_| QuantileSketch::new(eps)).collect(),
        }
    }

    /// Adds whole row-major rows.
    pub(crate) fn add_rows(&mut self, rows: &[f64]) {
        let ncols = self.columns.len();
        if ncols == 0 {
            return;
        }
        // Column by column: one sketch's buffers stay in cache while the
        // rows (a tile of the kernel's, in L1) are read with a stride.
        for (c, sketch) in self.columns.iter_mut().enumerate() {
            sketch.add_column(rows[c..].iter().step_by(ncols).copied());
        }
    }

    /// Merges `other` (same columns and error, checked by the caller).
    pub(crate) fn merge(&mut self, other: &QuantileSketches) {
        for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
            mine.merge(theirs);
        }
    }

    /// P x D: row i holds every column's quantile at `probabilities[i]`.
    pub fn query(&self, probabilities: &[f64]) -> Vec<Vec<f64>> {
        let per_column: Vec<Vec<f64>> = self
            .columns
            .iter()
            .map(|s| s.query(probabilities))
            .collect();
        (0..probabilities.len())
            .map(|i| per_column.iter().map(|column| column[i]).collect())
            .collect()
    }

    pub fn relative_error(&self) -> f64 {
        self.eps
    }

    pub fn columns(&self) -> &[QuantileSketch] {
        &self.columns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_meets_the_bound_at_its_own_size() {
        for eps in [1e-4, 1e-3, 0.01, 0.05, 0.2, 1.0] {
            let k = capacity(eps) as f64;
            assert!(
                k * eps >= LEVEL_BOUND - k.log2().floor(),
                "eps {eps}: k {k}"
            );
            assert!(k <= (LEVEL_BOUND / eps).ceil() + 2.0, "eps {eps}: k {k}");
        }
        assert_eq!(capacity(0.0), usize::MAX);
    }

    #[test]
    fn the_memory_held_stays_near_the_items_held() {
        // Levels that kept their buffers once compacted would waste about
        // one buffer of `k` per level (here about 10k); a bounded number
        // of working buffers is all the sketch may hold beyond its items.
        let mut sketch = QuantileSketch::new(0.01);
        let mut state = 7u64;
        sketch.add_column((0..4_000_000).map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64
        }));
        let held: usize =
            sketch.levels.iter().map(Vec::capacity).sum::<usize>() + sketch.spare.capacity();
        let waste = (held - sketch.len()) as f64 / sketch.k as f64;
        assert!(sketch.levels.len() >= 9, "{} levels", sketch.levels.len());
        assert!(
            waste <= 5.0,
            "{held} values held for {} items: {waste:.1}k spare",
            sketch.len()
        );
    }

    #[test]
    fn keys_keep_the_float_order() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -0.0,
            0.0,
            1e-300,
            2.0,
            f64::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} {}", w[0], w[1]);
        }
        for x in xs {
            assert_eq!(value(key(x)).to_bits(), x.to_bits());
        }
    }
}
