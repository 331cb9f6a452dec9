//! Parquet's RLE / bit-packed hybrid encoding (definition levels and
//! dictionary indices), read run by run so that a long run of one value
//! (a page without nulls: every level the same) costs one step, not one
//! per value. The bytes come from the file: every length is checked, and
//! a stream that ends early simply ends (the caller counts what it got).

/// One run of decoded values.
pub(super) enum Run<'a> {
    /// `count` times `value`.
    Repeat { value: u32, count: usize },
    /// Values given one by one (at most the `max` asked for).
    Literal(&'a [u32]),
}

/// A reader of one hybrid stream of `bit_width`-bit values.
pub(super) struct Hybrid<'a> {
    data: &'a [u8],
    pos: usize,
    bit_width: u32,
    /// Values left in the current repeated run, and its value.
    repeat_left: usize,
    repeat_value: u32,
    /// Bit-packed values left in the current run and where the next one is.
    packed_left: usize,
    packed_bit: usize,
    unpacked: Vec<u32>,
}

impl<'a> Hybrid<'a> {
    /// `None` for a bit width over 32 (corrupt).
    pub fn new(data: &'a [u8], bit_width: u32) -> Option<Hybrid<'a>> {
        (bit_width <= 32).then(|| Hybrid {
            data,
            pos: 0,
            bit_width,
            repeat_left: 0,
            repeat_value: 0,
            packed_left: 0,
            packed_bit: 0,
            unpacked: Vec::new(),
        })
    }

    /// The next run, of at most `max` values (`max` > 0); `None` at the
    /// end of the stream (or where it is cut short).
    pub fn next_run(&mut self, max: usize) -> Option<Run<'_>> {
        if self.repeat_left == 0 && self.packed_left == 0 && !self.start_run() {
            return None;
        }
        if self.repeat_left > 0 {
            let count = self.repeat_left.min(max);
            self.repeat_left -= count;
            return Some(Run::Repeat {
                value: self.repeat_value,
                count,
            });
        }
        let count = self.packed_left.min(max);
        self.unpack(count);
        if self.unpacked.is_empty() {
            self.packed_left = 0;
            return None;
        }
        Some(Run::Literal(&self.unpacked))
    }

    /// Reads the next run's header, skipping empty runs; false at the end.
    fn start_run(&mut self) -> bool {
        // Each pass reads at least one byte, so this ends.
        while self.repeat_left == 0 && self.packed_left == 0 {
            let Some(header) = self.varint() else {
                return false;
            };
            let count = usize::try_from(header >> 1).unwrap_or(usize::MAX);
            if header & 1 == 0 {
                let bytes = self.bit_width.div_ceil(8) as usize;
                let Some(raw) = self.data.get(self.pos..self.pos + bytes) else {
                    self.pos = self.data.len();
                    return false;
                };
                self.pos += bytes;
                let mut wide = [0u8; 4];
                wide[..bytes].copy_from_slice(raw);
                self.repeat_value = u32::from_le_bytes(wide);
                self.repeat_left = count;
            } else if self.bit_width == 0 {
                // Zero-width values are all 0: a repeated run in disguise.
                self.repeat_value = 0;
                self.repeat_left = count.saturating_mul(8);
            } else {
                // `count` groups of eight values, `bit_width` bytes a group.
                let bytes = count.saturating_mul(self.bit_width as usize);
                self.packed_bit = self.pos * 8;
                self.packed_left = count.saturating_mul(8);
                self.pos = self.pos.saturating_add(bytes).min(self.data.len());
            }
        }
        true
    }

    /// A ULEB128 value of at most 5 bytes.
    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..35).step_by(7) {
            let byte = *self.data.get(self.pos)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// Unpacks up to `count` values of the current bit-packed run into
    /// `unpacked` (fewer where its bytes end).
    fn unpack(&mut self, count: usize) {
        self.unpacked.clear();
        let width = self.bit_width as usize;
        let available = (self.pos * 8).saturating_sub(self.packed_bit) / width.max(1);
        let count = count.min(available);
        let mask = if width == 32 {
            u64::from(u32::MAX)
        } else {
            (1u64 << width) - 1
        };
        for i in 0..count {
            let bit = self.packed_bit + i * width;
            let byte = bit / 8;
            let mut word = [0u8; 8];
            let end = (byte + 8).min(self.data.len());
            word[..end - byte].copy_from_slice(&self.data[byte..end]);
            let value = (u64::from_le_bytes(word) >> (bit % 8)) & mask;
            self.unpacked.push(value as u32);
        }
        self.packed_bit += count * width;
        self.packed_left -= count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8], width: u32, max: usize) -> Vec<u32> {
        let mut hybrid = Hybrid::new(data, width).unwrap();
        let mut out = Vec::new();
        while let Some(run) = hybrid.next_run(max) {
            match run {
                Run::Repeat { value, count } => out.extend(std::iter::repeat_n(value, count)),
                Run::Literal(values) => out.extend_from_slice(values),
            }
        }
        out
    }

    #[test]
    fn repeated_and_bit_packed_runs_decode() {
        // 5 x 1 (width 1), then one group of eight 3-bit values 0..8.
        let mut data = vec![5 << 1, 1];
        data.push(1 << 1 | 1);
        let mut bits = 0u32;
        for v in 0..8u32 {
            bits |= v << (3 * v);
        }
        data.extend_from_slice(&bits.to_le_bytes()[..3]);
        let width1 = all(&data[..2], 1, 3);
        assert_eq!(width1, vec![1; 5]);
        let mut three = vec![2 << 1, 7];
        three.extend_from_slice(&data[2..]);
        assert_eq!(all(&three, 3, 5), vec![7, 7, 0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn a_stream_cut_short_ends_without_panicking() {
        assert_eq!(all(&[0xff, 0xff], 8, 4), Vec::<u32>::new());
        assert_eq!(all(&[3 << 1 | 1, 0xff], 8, 100), vec![255]);
        assert_eq!(all(&[4 << 1], 16, 2), Vec::<u32>::new());
        assert!(Hybrid::new(&[], 33).is_none());
    }
}
