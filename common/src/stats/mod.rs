//! Column statistics: the one-pass kernel, the mergeable partial summary,
//! the finished statistics with Spark's `MultivariateStatisticalSummary`
//! semantics, the optional parts a job may ask for (co-moments for Pearson
//! correlation, quantile sketches), and the versioned binary form partial summaries travel in.

mod codec;
mod codec_extras;
mod column;
mod comoments;
#[cfg(target_arch = "x86_64")]
mod comoments_avx2;
#[cfg(target_arch = "x86_64")]
mod comoments_avx512;
mod comoments_portable;
mod comoments_run;
#[cfg(test)]
mod comoments_tests;
mod extras;
mod kernel;
#[cfg(target_arch = "x86_64")]
mod kernel_avx2;
mod kernel_portable;
#[cfg(test)]
mod kernel_tests;
mod quantiles;
mod request;
mod sink;
mod sorted_keys;
#[allow(clippy::module_inception)]
mod stats;
mod summary;

pub use codec::CodecError;
pub use column::ColumnAccumulator;
pub use comoments::{CoMoments, Correlation};
pub use extras::MAX_CORR_COLUMNS;
pub use quantiles::{QuantileSketch, QuantileSketches};
pub use request::StatsRequest;
pub use sink::{RowCollector, RowSink};
pub use stats::ColumnStats;
pub use summary::{ColumnSummary, StatsError};
