//! The Mesos v1 wire layer: message types, their binary and JSON encodings,
//! RecordIO framing of event streams, the `MasterInfo` masters publish in
//! ZooKeeper, and which task states are final.

pub mod codec;
pub mod master_info;
mod proto;
pub mod recordio;
mod task_state;

pub use proto::mesos::v1;
pub use proto::mesos::v1::{executor, scheduler};
pub use task_state::is_terminal;
