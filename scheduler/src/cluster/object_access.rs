//! What an executor needs to read a partition's object: the driver's
//! `ObjectAccess` (credentials included), resolved when the partition is
//! handed out and sent over the executor's authenticated channel just
//! before it. Mesos never sees it: not in `TaskInfo`, not in
//! `ExecutorInfo`'s environment, so not in its state endpoints or logs.

use rmesos_common::objects::{ObjectAccess, current_access, is_url};
use rmesos_common::partition::PartitionSpec;

/// The access to send before `spec`, when it reads an object.
pub(super) fn for_spec(spec: &PartitionSpec) -> Option<ObjectAccess> {
    let url = spec.source.path()?.to_str()?;
    is_url(url).then(current_access)
}
