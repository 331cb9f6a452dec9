//! What travels between the driver and an executor besides the partition
//! spec: the data-server URLs (whose token must never be logged), the
//! byte stream a served partition arrives as, how long an executor waits
//! for it to move, and the failure report an executor puts in
//! `TaskStatus.data`.

mod data_timeout;
mod data_url;
mod failure;
mod served;

pub use data_timeout::{
    DATA_TIMEOUT_VARIABLE, DEFAULT_DATA_TIMEOUT, format_data_timeout, parse_data_timeout,
};
pub use data_url::DataUrl;
pub use failure::{FailureKind, TaskFailure};
pub use served::{ServedRowsError, encode_rows, summarize_served_rows, summarize_served_rows_for};
