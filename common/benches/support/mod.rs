//! What the common crate's benches share: timing one pass, and the
//! deterministic table they all run over.

use std::time::{Duration, Instant};

/// Columns of every bench table.
pub const COLS: usize = 16;

/// How long `f` takes.
pub fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

/// `rows` x `COLS` deterministic pseudo-random values in [-100, 100)
/// (xorshift), so runs are comparable.
pub fn table(rows: usize) -> Vec<f64> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..rows * COLS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 200.0 - 100.0
        })
        .collect()
}
