//! Sorting and merging the `u64` keys of a quantile sketch: an LSD radix
//! sort on the keys' leading 32 varying bits, finished by sorting the rare
//! runs that tie on them, and a branchless merge of two sorted lists. Both
//! write into caller-owned buffers, so a sketch's compactions reuse the
//! same memory instead of allocating and faulting in fresh pages.

/// Below this many keys a comparison sort is as fast as the radix passes.
const RADIX_FROM: usize = 1024;

/// Sorts `keys`, using `spare` as the radix sort's second buffer.
///
/// Only the 32 bits from the highest bit that differs between keys down
/// are sorted on (four 8-bit passes, fewer where a byte is the same in
/// every key): floats that agree on sign, exponent and 20 leading mantissa
/// bits are rare, and the runs that do tie on those bits are then sorted
/// on the whole key. That is half the passes of a full 64-bit sort, and it
/// is still exact whatever the keys.
pub(crate) fn sort_keys(keys: &mut Vec<u64>, spare: &mut Vec<u64>) {
    let n = keys.len();
    if n < RADIX_FROM || u32::try_from(n).is_err() {
        keys.sort_unstable();
        return;
    }
    let first = keys[0];
    let varying = keys.iter().fold(0u64, |acc, &k| acc | (k ^ first));
    if varying == 0 {
        return;
    }
    let top = 64 - varying.leading_zeros();
    let shift = top.saturating_sub(32);
    let mut counts = [[0u32; 256]; 4];
    for &k in keys.iter() {
        let prefix = (k >> shift) as u32;
        for (byte, count) in counts.iter_mut().enumerate() {
            count[((prefix >> (8 * byte)) & 0xff) as usize] += 1;
        }
    }
    // Every slot is written by the first pass: what `spare` holds from a
    // previous sort need not be zeroed.
    spare.reserve_exact(n.saturating_sub(spare.len()));
    spare.resize(n, 0);
    for (byte, count) in counts.iter().enumerate() {
        if count.contains(&(n as u32)) {
            continue;
        }
        scatter(keys, spare, shift + 8 * byte as u32, count);
        std::mem::swap(keys, spare);
    }
    if shift > 0 {
        sort_ties(keys, shift);
    }
}

/// One stable counting-sort pass of `from` into `to` on the byte at `shift`.
/// Not inlined: on its own the loop keeps its pointers in registers.
#[inline(never)]
fn scatter(from: &[u64], to: &mut [u64], shift: u32, count: &[u32; 256]) {
    let mut offsets = [0u32; 256];
    let mut total = 0u32;
    for (offset, &c) in offsets.iter_mut().zip(count) {
        *offset = total;
        total += c;
    }
    for &k in from {
        let slot = &mut offsets[((k >> shift) & 0xff) as usize];
        // The offsets of a digit stay below its end, which the counts of
        // these very keys put within `to`: the index is always in bounds.
        to[*slot as usize] = k;
        *slot += 1;
    }
}

/// Sorts each run of keys that agree above bit `shift` (they are in input
/// order after the prefix passes) on the whole key.
fn sort_ties(keys: &mut [u64], shift: u32) {
    let mut i = 1;
    while i < keys.len() {
        if keys[i - 1] <= keys[i] {
            i += 1;
            continue;
        }
        let prefix = keys[i] >> shift;
        let start = keys[..i]
            .iter()
            .rposition(|&k| k >> shift != prefix)
            .map_or(0, |p| p + 1);
        let end = keys[i..]
            .iter()
            .position(|&k| k >> shift != prefix)
            .map_or(keys.len(), |p| i + p);
        keys[start..end].sort_unstable();
        i = end;
    }
}

/// `out` becomes the sorted union of the sorted lists `a` and `b`.
pub(crate) fn merge_into(a: &[u64], b: &[u64], out: &mut Vec<u64>) {
    // Every slot is written below: old contents need not be zeroed.
    let total = a.len() + b.len();
    // Exactly: a doubled buffer would hold memory the sketch never uses.
    out.reserve_exact(total.saturating_sub(out.len()));
    out.resize(total, 0);
    let (mut i, mut j) = (0, 0);
    // The pick is a select, not a branch: on interleaved lists a branch
    // would be mispredicted about every other item. Writing by index into
    // the sized buffer keeps `push`'s length bookkeeping out of the loop.
    for slot in out.iter_mut() {
        let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) else {
            break;
        };
        let take_a = x <= y;
        *slot = if take_a { x } else { y };
        i += usize::from(take_a);
        j += usize::from(!take_a);
    }
    let done = i + j;
    let (rest_a, rest_b) = (&a[i..], &b[j..]);
    out[done..done + rest_a.len()].copy_from_slice(rest_a);
    out[done + rest_a.len()..].copy_from_slice(rest_b);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_keys(n: usize, seed: u64, mask: u64) -> Vec<u64> {
        let mut state = seed | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state & mask
            })
            .collect()
    }

    #[test]
    fn sorts_keys_of_every_shape() {
        let mut spare = Vec::new();
        let shapes: [(&str, Vec<u64>); 8] = [
            ("empty", Vec::new()),
            ("short", random_keys(500, 1, u64::MAX)),
            ("random", random_keys(50_000, 2, u64::MAX)),
            // Every key differs only in its low 32 bits: one long tie.
            (
                "low bits only",
                random_keys(5_000, 3, 0xffff_ffff)
                    .iter()
                    .map(|k| k | 7 << 60)
                    .collect(),
            ),
            // Ties on the prefix mixed with distinct prefixes.
            ("clustered", random_keys(20_000, 4, 0xff00_0000_000f_ffff)),
            ("all equal", vec![42; 3_000]),
            ("sorted", (0..10_000u64).map(|i| i << 20).collect()),
            (
                "reverse",
                (0..10_000u64).rev().map(|i| i * 0x1_0000_0001).collect(),
            ),
        ];
        for (name, mut keys) in shapes {
            let mut want = keys.clone();
            want.sort_unstable();
            sort_keys(&mut keys, &mut spare);
            assert_eq!(keys, want, "{name}");
        }
    }

    #[test]
    fn merges_sorted_lists() {
        let mut out = vec![9, 9, 9];
        for (a, b) in [
            (vec![], vec![1, 2]),
            (vec![1, 3, 5], vec![]),
            (vec![1, 3, 5, 7], vec![2, 3, 4, 8, 9]),
            (vec![5, 5], vec![5]),
        ] {
            merge_into(&a, &b, &mut out);
            let mut want = [a, b].concat();
            want.sort_unstable();
            assert_eq!(out, want);
        }
    }
}
