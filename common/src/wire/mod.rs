//! The Mesos v1 wire layer: message types, their binary and JSON encodings,
//! RecordIO framing of event streams, and the `MasterInfo` masters publish
//! in ZooKeeper.

pub mod codec;
pub mod master_info;
mod proto;
pub mod recordio;

pub use proto::mesos::v1;
pub use proto::mesos::v1::{executor, scheduler};
