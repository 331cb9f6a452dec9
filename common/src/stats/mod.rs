//! Column statistics: the one-pass kernel, the mergeable partial summary,
//! the finished statistics with Spark's `MultivariateStatisticalSummary`
//! semantics, and the versioned binary form partial summaries travel in.

mod codec;
mod kernel;
#[cfg(target_arch = "x86_64")]
mod kernel_avx2;
mod kernel_portable;
#[cfg(test)]
mod kernel_tests;
mod sink;
#[allow(clippy::module_inception)]
mod stats;
mod summary;

pub use codec::CodecError;
pub use sink::{RowCollector, RowSink};
pub use stats::ColumnStats;
pub use summary::{ColumnSummary, StatsError};
