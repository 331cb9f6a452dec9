//! Building the executor's status updates: source EXECUTOR, a fresh
//! version 4 UUID each (so the agent wants an acknowledgement; the agent
//! refuses 16 bytes that are not an RFC 4122 UUID), the time, and who
//! sends it.

use std::time::{SystemTime, UNIX_EPOCH};

use rmesos_common::wire::v1::{AgentId, ExecutorId, TaskId, TaskState, TaskStatus, task_status};

/// Who the updates come from.
#[derive(Debug, Clone)]
pub struct StatusSource {
    pub executor_id: ExecutorId,
    /// Known once SUBSCRIBED arrived.
    pub agent_id: Option<AgentId>,
}

impl StatusSource {
    /// A new update of `task_id` to `state`.
    pub fn status(
        &self,
        task_id: &TaskId,
        state: TaskState,
        message: impl Into<String>,
        data: Option<Vec<u8>>,
    ) -> TaskStatus {
        TaskStatus {
            task_id: task_id.clone(),
            state: state as i32,
            message: Some(message.into()),
            source: Some(task_status::Source::Executor as i32),
            data,
            agent_id: self.agent_id.clone(),
            executor_id: Some(self.executor_id.clone()),
            timestamp: Some(now_seconds()),
            uuid: Some(uuid::Uuid::new_v4().as_bytes().to_vec()),
            ..Default::default()
        }
    }
}

/// Seconds since the Unix epoch, as Mesos timestamps are.
fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_update_is_from_the_executor_with_a_fresh_uuid() {
        let source = StatusSource {
            executor_id: ExecutorId { value: "ex".into() },
            agent_id: Some(AgentId { value: "ag".into() }),
        };
        let task = TaskId { value: "t".into() };
        let a = source.status(&task, TaskState::TaskRunning, "running", None);
        let b = source.status(&task, TaskState::TaskRunning, "running", None);
        let parsed = uuid::Uuid::from_slice(a.uuid.as_ref().unwrap()).unwrap();
        assert_eq!(parsed.get_version(), Some(uuid::Version::Random));
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(a.uuid, b.uuid);
        assert_eq!(a.source, Some(task_status::Source::Executor as i32));
        assert_eq!(a.agent_id.unwrap().value, "ag");
        assert_eq!(a.executor_id.unwrap().value, "ex");
        assert!(a.timestamp.unwrap() > 1.6e9);
    }
}
