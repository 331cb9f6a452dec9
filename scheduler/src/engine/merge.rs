//! `ResultMerger`: folds each partition's summary into the job's result
//! exactly once, keyed by partition id, whatever order results arrive in
//! and however often a retried or duplicated task reports.
//!
//! Summaries are combined along a fixed binary tree over partition ids
//! (partition 2k with 2k+1, then those pairs, and so on), so the answer
//! depends only on the partitioning, never on which result came first, and
//! the merge is pairwise, which keeps rounding error small. Only results
//! whose tree sibling has not arrived yet are held.

use std::collections::HashMap;

use rmesos_common::stats::{ColumnStats, ColumnSummary, StatsError};
use thiserror::Error;

/// A result the merger could not take, or a job finished too early.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum MergeError {
    #[error("result for partition {partition_id}, but the job has only {total} partitions")]
    UnknownPartition { partition_id: u32, total: u32 },
    #[error("result for partition {partition_id} has {found} columns, the dataset has {expected}")]
    ColumnMismatch {
        partition_id: u32,
        found: usize,
        expected: usize,
    },
    #[error("merging the result of partition {partition_id}: {source}")]
    Stats {
        partition_id: u32,
        source: StatsError,
    },
    #[error("{missing} of {total} partitions have no result yet (the first is partition {first})")]
    Incomplete {
        missing: u32,
        total: u32,
        first: u32,
    },
}

/// What `ResultMerger::accept` did with a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The partition's first result: now part of the job's result.
    Merged,
    /// The partition was already merged: this result was ignored.
    Duplicate,
}

/// Merges the results of a job's `total` partitions, each exactly once.
#[derive(Debug)]
pub struct ResultMerger {
    ncols: usize,
    total: u32,
    received: Vec<bool>,
    remaining: u32,
    duplicates: u64,
    /// Tree nodes waiting for their sibling, keyed by (level, index).
    pending: HashMap<(u32, u64), ColumnSummary>,
    root: Option<ColumnSummary>,
}

impl ResultMerger {
    /// A merger for `total` partitions of an `ncols`-column dataset.
    pub fn new(ncols: usize, total: u32) -> ResultMerger {
        ResultMerger {
            ncols,
            total,
            received: vec![false; total as usize],
            remaining: total,
            duplicates: 0,
            pending: HashMap::new(),
            root: None,
        }
    }

    /// Takes partition `partition_id`'s result: merges it if it is the
    /// first for that partition, ignores (and counts) it otherwise.
    pub fn accept(
        &mut self,
        partition_id: u32,
        summary: ColumnSummary,
    ) -> Result<MergeOutcome, MergeError> {
        let total = self.total;
        let Some(received) = self.received.get_mut(partition_id as usize) else {
            return Err(MergeError::UnknownPartition {
                partition_id,
                total,
            });
        };
        if *received {
            self.duplicates += 1;
            return Ok(MergeOutcome::Duplicate);
        }
        if summary.ncols() != self.ncols {
            return Err(MergeError::ColumnMismatch {
                partition_id,
                found: summary.ncols(),
                expected: self.ncols,
            });
        }
        *received = true;
        self.remaining -= 1;
        self.insert(u64::from(partition_id), summary)
            .map_err(|source| MergeError::Stats {
                partition_id,
                source,
            })?;
        Ok(MergeOutcome::Merged)
    }

    /// Climbs the tree from leaf `index`, merging with each sibling that
    /// is already there, and parks the node under the first missing one.
    fn insert(&mut self, mut index: u64, mut node: ColumnSummary) -> Result<(), StatsError> {
        let mut level = 0u32;
        loop {
            let width = self.width(level);
            if width <= 1 {
                self.root = Some(node);
                return Ok(());
            }
            let sibling = index ^ 1;
            if sibling < width {
                let Some(other) = self.pending.remove(&(level, sibling)) else {
                    self.pending.insert((level, index), node);
                    return Ok(());
                };
                // Left operand first, so the arithmetic is the same
                // whichever sibling arrived last.
                let (mut left, right) = if index < sibling {
                    (node, other)
                } else {
                    (other, node)
                };
                left.merge(&right)?;
                node = left;
            }
            level += 1;
            index /= 2;
        }
    }

    /// Nodes at `level` of the tree: ceil(total / 2^level).
    fn width(&self, level: u32) -> u64 {
        u64::from(self.total).div_ceil(1u64 << level)
    }

    pub fn total(&self) -> u32 {
        self.total
    }

    /// Partitions merged so far.
    pub fn merged(&self) -> u32 {
        self.total - self.remaining
    }

    /// Results ignored because their partition was already merged.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    pub fn is_complete(&self) -> bool {
        self.remaining == 0
    }

    /// Ids of the partitions without a result, in order.
    pub fn missing(&self) -> Vec<u32> {
        (0..self.total)
            .filter(|&id| !self.received[id as usize])
            .collect()
    }

    /// The job's statistics, once every partition is merged.
    pub fn finish(self) -> Result<ColumnStats, MergeError> {
        if let Some(&first) = self.missing().first() {
            return Err(MergeError::Incomplete {
                missing: self.remaining,
                total: self.total,
                first,
            });
        }
        let root = self.root.unwrap_or_else(|| ColumnSummary::new(self.ncols));
        Ok(root.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary_of(rows: &[f64], ncols: usize) -> ColumnSummary {
        let mut summary = ColumnSummary::new(ncols);
        summary.add_rows(rows).unwrap();
        summary
    }

    /// Every statistic's exact bit patterns.
    fn bits(stats: &ColumnStats) -> Vec<Vec<u64>> {
        let all = [
            stats.mean(),
            stats.variance(),
            stats.num_nonzeros(),
            stats.min(),
            stats.max(),
            stats.norm_l1(),
            stats.norm_l2(),
        ];
        all.into_iter()
            .map(|v| v.unwrap().iter().map(|x| x.to_bits()).collect())
            .collect()
    }

    #[test]
    fn arrival_order_does_not_change_a_single_bit() {
        let rows: Vec<f64> = (0..70).map(|i| (i as f64 * 0.37).sin() * 1e3).collect();
        let parts: Vec<ColumnSummary> = rows.chunks(2 * 5).map(|c| summary_of(c, 2)).collect();
        let total = parts.len() as u32;
        let orders: [Vec<u32>; 3] = [
            (0..total).collect(),
            (0..total).rev().collect(),
            vec![3, 0, 6, 1, 5, 2, 4],
        ];
        let results: Vec<_> = orders
            .iter()
            .map(|order| {
                let mut merger = ResultMerger::new(2, total);
                for &id in order {
                    merger.accept(id, parts[id as usize].clone()).unwrap();
                }
                assert!(merger.pending.is_empty());
                bits(&merger.finish().unwrap())
            })
            .collect();
        assert_eq!(results[0], results[1]);
        assert_eq!(results[0], results[2]);
    }

    #[test]
    fn zero_partitions_finish_empty() {
        let stats = ResultMerger::new(3, 0).finish().unwrap();
        assert_eq!(stats.count(), 0);
        assert_eq!(stats.ncols(), 3);
    }
}
