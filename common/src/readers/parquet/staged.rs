//! `Staged`: one column's values on their way to the column kernel. Values
//! arrive in pieces of any size (a page, a run between nulls); the kernel
//! wants runs of `RUN` (its merge per call costs about as much as a few
//! values), so small pieces are gathered here first while large ones go
//! straight through.

use crate::stats::ColumnAccumulator;

/// Values per kernel call (the kernel's run length).
const RUN: usize = 4096;

#[derive(Default)]
pub(super) struct Staged {
    accumulator: ColumnAccumulator,
    pending: Vec<f64>,
}

impl Staged {
    /// Values taken so far (pending ones included).
    pub fn count(&self) -> u64 {
        self.accumulator.count() + self.pending.len() as u64
    }

    /// Starts over (for a chunk read again by another path).
    pub fn reset(&mut self) {
        self.accumulator = ColumnAccumulator::default();
        self.pending.clear();
    }

    pub fn extend(&mut self, mut values: &[f64]) {
        if !self.pending.is_empty() {
            let take = (RUN - self.pending.len()).min(values.len());
            self.pending.extend_from_slice(&values[..take]);
            values = &values[take..];
            if self.pending.len() < RUN {
                return;
            }
            self.accumulator.add(&self.pending);
            self.pending.clear();
        }
        let whole = values.len() / RUN * RUN;
        self.accumulator.add(&values[..whole]);
        self.pending.extend_from_slice(&values[whole..]);
    }

    /// `extend` with `count` copies of `value`.
    pub fn push_repeat(&mut self, value: f64, count: usize) {
        let mut left = count;
        while left > 0 {
            let take = (RUN - self.pending.len()).min(left);
            self.pending.extend(std::iter::repeat_n(value, take));
            left -= take;
            if self.pending.len() == RUN {
                self.accumulator.add(&self.pending);
                self.pending.clear();
            }
        }
    }

    /// `extend` with little-endian doubles (`bytes.len()` a multiple of 8):
    /// read in place where they are aligned, else converted a run at a time.
    pub fn extend_le_bytes(&mut self, bytes: &[u8]) {
        #[cfg(target_endian = "little")]
        {
            // SAFETY: every bit pattern is a valid f64, and `align_to` only
            // yields the aligned middle.
            let (head, middle, tail) = unsafe { bytes.align_to::<f64>() };
            if head.is_empty() && tail.is_empty() {
                return self.extend(middle);
            }
        }
        for piece in bytes.chunks(RUN * 8) {
            let mut run = [0.0f64; RUN];
            let values = &mut run[..piece.len() / 8];
            for (value, raw) in values.iter_mut().zip(piece.chunks_exact(8)) {
                let mut word = [0u8; 8];
                word.copy_from_slice(raw);
                *value = f64::from_le_bytes(word);
            }
            self.extend(values);
        }
    }

    /// The column's statistics, every pending value included.
    pub fn finish(&mut self) -> ColumnAccumulator {
        if !self.pending.is_empty() {
            self.accumulator.add(&self.pending);
            self.pending.clear();
        }
        std::mem::take(&mut self.accumulator)
    }
}
