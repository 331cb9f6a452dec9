//! Recognising a lease that an agent ended because it cannot run tasks as
//! the framework's user, and the job error that says what to change.
//!
//! A Mesos agent with `--switch_user` (its default) creates each
//! executor's sandbox owned by `FrameworkInfo.user`; when it has no such
//! account (or may not chown to it), the executor never starts and its
//! tasks end at once, from the agent (SOURCE_AGENT): TASK_LOST for a
//! framework that is not PARTITION_AWARE (TASK_DROPPED for one that is),
//! reason REASON_EXECUTOR_TERMINATED, message "Failed to create executor
//! directory '<sandbox>': Failed to chown directory to '<user>': No such
//! user '<user>'" (Mesos 1.12, seen on real agents). Retrying cannot help:
//! the user of a framework is fixed for its life.

use rmesos_common::wire::v1::{TaskState, TaskStatus};

/// The job error when `status` says the agent cannot run tasks as
/// `user`; `None` for any other end.
pub(super) fn refused_user(status: &TaskStatus, user: &str) -> Option<String> {
    let state = TaskState::try_from(status.state).ok()?;
    let ended_unstarted = matches!(
        state,
        TaskState::TaskLost | TaskState::TaskDropped | TaskState::TaskFailed | TaskState::TaskError
    );
    let message = status.message.as_deref()?;
    let quoted = format!("'{user}'");
    let about_user = message.contains("No such user") || message.contains("chown");
    if !(ended_unstarted && about_user && message.contains(&quoted)) {
        return None;
    }
    Some(format!(
        "the agents cannot run tasks as user '{user}' (agent: {message}): set --user / \
         RMESOS_USER / Context(user=...) to a user the agents know (often root), or run \
         the agents with --no-switch_user"
    ))
}

#[cfg(test)]
mod tests {
    use rmesos_common::wire::v1::task_status::{Reason, Source};

    use super::*;

    fn status(state: TaskState, message: &str) -> TaskStatus {
        TaskStatus {
            state: state as i32,
            message: Some(message.into()),
            source: Some(Source::Agent as i32),
            reason: Some(Reason::ExecutorTerminated as i32),
            ..TaskStatus::default()
        }
    }

    const REAL: &str = "Failed to create executor directory '/var/lib/mesos/slaves/S0/frameworks/F/executors/rmesos-executor-1/runs/C': Failed to chown directory to 'jovyan': No such user 'jovyan'";

    #[test]
    fn a_real_agents_refusal_names_the_user_the_option_and_the_agent() {
        for state in [TaskState::TaskLost, TaskState::TaskDropped] {
            let error = refused_user(&status(state, REAL), "jovyan").expect("recognised");
            assert!(
                error.starts_with("the agents cannot run tasks as user 'jovyan' (agent: Failed"),
                "{error}"
            );
            for needle in [
                "No such user 'jovyan'",
                "--user",
                "RMESOS_USER",
                "Context(user=",
                "--no-switch_user",
            ] {
                assert!(error.contains(needle), "no {needle:?} in {error}");
            }
        }
        let denied = "Failed to create executor directory '/x': Failed to chown directory to 'alice': chown failed: Operation not permitted";
        assert!(refused_user(&status(TaskState::TaskLost, denied), "alice").is_some());
    }

    #[test]
    fn other_ends_are_not_taken_for_it() {
        let other_user = refused_user(&status(TaskState::TaskLost, REAL), "root");
        assert_eq!(other_user, None, "another user's refusal");
        let killed = refused_user(&status(TaskState::TaskKilled, REAL), "jovyan");
        assert_eq!(killed, None, "a killed lease");
        let exited = status(TaskState::TaskFailed, "Executor terminated");
        assert_eq!(refused_user(&exited, "jovyan"), None);
        let silent = TaskStatus {
            message: None,
            ..status(TaskState::TaskLost, "")
        };
        assert_eq!(refused_user(&silent, "jovyan"), None);
    }
}
