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
//! sketch holds at most about `k * log2(n / k)` items per column: bounded
//! by eps and log n, not by n. Merging concatenates levels and compacts
//! what overflows, so the merge tree, not arrival order, fixes the result.
//!
//! Values are kept as `u64` keys whose integer order is the float order
//! (NaN is never stored), so sorting is an integer sort.

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
        }
    }

    /// Adds one value (NaN is skipped, as Spark skips nulls).
    #[inline]
    pub fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        if self.count == 0 {
            (self.min, self.max) = (x, x);
        } else {
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.count += 1;
        self.levels[0].push(key(x));
        if self.levels[0].len() >= self.k {
            self.compact_from(0);
        }
    }

    /// Compacts level `h` and every level above that overflows.
    fn compact_from(&mut self, mut h: usize) {
        while h < self.levels.len() && self.levels[h].len() >= self.k {
            if h == 0 {
                radix_sort(&mut self.levels[0]);
            }
            if h + 1 == self.levels.len() {
                self.levels.push(Vec::new());
                self.compactions.push(0);
            }
            let level = std::mem::take(&mut self.levels[h]);
            let even = level.len() & !1;
            let offset = (self.compactions[h] % 2) as usize;
            let promoted: Vec<u64> = level[offset..even].iter().step_by(2).copied().collect();
            // The odd item out (the largest) stays at this level.
            self.levels[h] = level[even..].to_vec();
            self.compactions[h] += 1;
            let above = std::mem::take(&mut self.levels[h + 1]);
            self.levels[h + 1] = merge_sorted(&above, &promoted);
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
                let mine = std::mem::take(&mut self.levels[h]);
                self.levels[h] = merge_sorted(&mine, theirs);
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

/// Sorts keys by their bytes, least significant first (a stable counting
/// sort per byte; bytes that are the same in every key are skipped, as the
/// sign and exponent often are): about twice as fast as a comparison sort
/// on the ~50,000-key buffers level 0 compacts.
fn radix_sort(keys: &mut Vec<u64>) {
    if keys.len() < 1024 {
        keys.sort_unstable();
        return;
    }
    let mut counts = vec![[0usize; 256]; 8];
    for &k in keys.iter() {
        for (byte, count) in counts.iter_mut().enumerate() {
            count[((k >> (8 * byte)) & 0xff) as usize] += 1;
        }
    }
    let mut other = vec![0u64; keys.len()];
    for (byte, count) in counts.iter().enumerate() {
        if count.contains(&keys.len()) {
            continue;
        }
        let mut offsets = [0usize; 256];
        let mut total = 0;
        for (offset, &c) in offsets.iter_mut().zip(count) {
            *offset = total;
            total += c;
        }
        for &k in keys.iter() {
            let digit = ((k >> (8 * byte)) & 0xff) as usize;
            other[offsets[digit]] = k;
            offsets[digit] += 1;
        }
        std::mem::swap(keys, &mut other);
    }
}

/// The sorted union of two sorted key lists.
fn merge_sorted(a: &[u64], b: &[u64]) -> Vec<u64> {
    if a.is_empty() {
        return b.to_vec();
    }
    if b.is_empty() {
        return a.to_vec();
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
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
        for row in rows.chunks_exact(ncols) {
            for (sketch, &x) in self.columns.iter_mut().zip(row) {
                sketch.add(x);
            }
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
    fn radix_sort_sorts() {
        let mut state = 99u64;
        for n in [0usize, 5, 1023, 1024, 5000] {
            let mut keys: Vec<u64> = (0..n)
                .map(|i| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    if i % 3 == 0 {
                        key(-((state >> 40) as f64))
                    } else {
                        state >> (i % 50)
                    }
                })
                .collect();
            let mut want = keys.clone();
            want.sort_unstable();
            radix_sort(&mut keys);
            assert_eq!(keys, want, "n={n}");
        }
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
