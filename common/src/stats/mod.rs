//! Column statistics: the one-pass kernel, the mergeable partial summary,
//! the finished statistics with Spark's `MultivariateStatisticalSummary`
//! semantics, and the versioned binary form partial summaries travel in.

mod codec;
mod summary;

pub use codec::CodecError;
pub use summary::{ColumnStats, ColumnSummary, StatsError};
