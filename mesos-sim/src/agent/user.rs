//! The executor's user, as an agent with `--switch_user` (Mesos' default)
//! checks it: the command's `user`, else the framework's, must be an
//! account of this machine, or the agent cannot give the sandbox to it
//! and the executor ends unstarted. What a Mesos 1.12 agent then reports
//! (`Framework::addExecutor` and `createSandboxDirectory` in
//! `src/slave/`, seen on real agents): each of the executor's tasks
//! TASK_LOST (TASK_DROPPED for a PARTITION_AWARE framework) from the agent,
//! REASON_EXECUTOR_TERMINATED, message "Failed to create executor directory
//! '<sandbox>': Failed to chown directory to '<user>': No such user
//! '<user>'", and the executor's exit (FAILURE, status -1) reaches the
//! framework before those updates. `ClusterConfig::switch_user` off plays
//! an agent with `--no-switch_user`: executors run as the agent's user.

use rmesos_common::wire::v1::{TaskState, framework_info, task_status};

use super::launcher::Ended;
use crate::cluster::Shared;
use crate::master::calls::StartExecutor;

/// How the executor ends when its user has no account here; `None` when
/// it has one (or the executor is gone).
pub async fn refusal(shared: &Shared, start: &StartExecutor) -> Option<Ended> {
    let (user, partition_aware, sandbox) = {
        let registry = shared.registry();
        let agent = &registry.agents[start.agent];
        let run = agent.executors.get(&start.key)?;
        let framework = registry.frameworks.get(&run.framework_id)?;
        let user = run
            .info
            .command
            .as_ref()
            .and_then(|c| c.user.clone())
            .unwrap_or_else(|| framework.info.user.clone());
        let aware = framework_info::capability::Type::PartitionAware as i32;
        let partition_aware = framework
            .info
            .capabilities
            .iter()
            .any(|c| c.r#type == Some(aware));
        let sandbox = shared.sandbox(&agent.id, &run.framework_id, &run.info.executor_id.value);
        (user, partition_aware, sandbox)
    };
    if user_exists(&user).await {
        return None;
    }
    Some(Ended {
        status: Some(-1),
        state: if partition_aware {
            TaskState::TaskDropped
        } else {
            TaskState::TaskLost
        },
        message: format!(
            "Failed to create executor directory '{}': Failed to chown directory to '{user}': No such user '{user}'",
            sandbox.display()
        ),
        reason: task_status::Reason::ExecutorTerminated,
        failure_first: true,
    })
}

/// Whether `user` is an account of this machine (`id -u` knows it).
pub async fn user_exists(user: &str) -> bool {
    if user.is_empty() || user.starts_with('-') {
        return false;
    }
    tokio::process::Command::new("id")
        .arg("-u")
        .arg(user)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .is_ok_and(|status| status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn root_exists_and_a_made_up_user_does_not() {
        assert!(user_exists("root").await);
        assert!(!user_exists("rmesos-no-such-user").await);
        assert!(!user_exists("").await);
        assert!(!user_exists("-u").await);
    }
}
