//! Starting one executor: a sandbox directory, the `CommandInfo` URIs
//! fetched over HTTP into it, the command run as a child process with the
//! Mesos executor environment, and its exit turned into TASK_FAILED
//! updates and a FAILURE event. Shutting one down: SHUTDOWN, then the
//! process is killed after the grace period.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rmesos_common::wire::scheduler::{Event, event};
use rmesos_common::wire::v1::{AgentId, ExecutorId, TaskState, command_info, task_status};
use tokio::process::Command;
use tokio::sync::oneshot;

use crate::cluster::Shared;
use crate::events::{self, deliver, task_status};
use crate::master::calls::{StartExecutor, terminal};
use crate::registry::ExecutorRun;

/// What `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD` tells executors.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
const SHUTDOWN_GRACE_ENV: &str = "5secs";

/// Shuts the executor down, as an agent does for a framework being shut
/// down: a subscribed executor gets SHUTDOWN now, one still starting gets
/// it when it subscribes (see `executor_api`), and the process is killed
/// after the grace period (counted from its start if it has not started).
pub fn shut_down(run: &mut ExecutorRun) {
    if run.shutting_down {
        return;
    }
    run.shutting_down = true;
    run.queued.clear();
    if let Some(stream) = &run.stream {
        stream.send(&shutdown_event());
    }
    kill_after_grace(run);
}

pub fn shutdown_event() -> rmesos_common::wire::executor::Event {
    rmesos_common::wire::executor::Event {
        r#type: Some(rmesos_common::wire::executor::event::Type::Shutdown as i32),
        ..Default::default()
    }
}

/// Kills the process after the grace period (once it has one).
fn kill_after_grace(run: &mut ExecutorRun) {
    if let Some(kill) = run.kill.take() {
        tokio::spawn(async move {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
            let _ = kill.send(());
        });
    }
}

/// Fetches and spawns the executor; failures fail its queued tasks. An
/// agent with `switch_user` first gives the sandbox to the executor's
/// user: one it has no account for ends the executor unstarted (`user`).
pub async fn start(shared: Arc<Shared>, start: StartExecutor) {
    if shared.config.switch_user
        && let Some(refusal) = super::user::refusal(&shared, &start).await
    {
        tracing::warn!(executor = %start.key, message = %refusal.message, "no such user");
        executor_gone(&shared, start.agent, &start.key, &refusal);
        return;
    }
    if let Err(error) = try_start(&shared, &start).await {
        tracing::warn!(executor = %start.key, %error, "executor failed to start");
        let ended = Ended {
            status: None,
            state: TaskState::TaskFailed,
            message: format!("Failed to launch the executor: {error}"),
            reason: task_status::Reason::ContainerLaunchFailed,
            failure_first: false,
        };
        executor_gone(&shared, start.agent, &start.key, &ended);
    }
}

async fn try_start(shared: &Arc<Shared>, start: &StartExecutor) -> anyhow::Result<()> {
    let (info, framework_id, agent_id, port, checkpoint) = {
        let registry = shared.registry();
        let agent = &registry.agents[start.agent];
        let run = agent
            .executors
            .get(&start.key)
            .ok_or_else(|| anyhow::anyhow!("executor vanished"))?;
        let checkpoint = registry
            .frameworks
            .get(&run.framework_id)
            .and_then(|f| f.info.checkpoint)
            .unwrap_or(false);
        (
            run.info.clone(),
            run.framework_id.clone(),
            agent.id.clone(),
            agent.port,
            checkpoint,
        )
    };
    let sandbox = shared.sandbox(&agent_id, &framework_id, &info.executor_id.value);
    std::fs::create_dir_all(&sandbox)?;
    let command = info
        .command
        .clone()
        .ok_or_else(|| anyhow::anyhow!("ExecutorInfo has no command"))?;
    for uri in &command.uris {
        fetch(uri, &sandbox).await?;
    }
    let value = command.value.clone().unwrap_or_default();
    let mut process = if command.shell.unwrap_or(true) {
        let mut c = Command::new("sh");
        c.arg("-c").arg(&value);
        c
    } else {
        let mut c = Command::new(&value);
        c.args(command.arguments.iter().skip(1));
        c
    };
    process
        .current_dir(&sandbox)
        .env("MESOS_FRAMEWORK_ID", &framework_id)
        .env("MESOS_EXECUTOR_ID", &info.executor_id.value)
        .env("MESOS_AGENT_ENDPOINT", format!("127.0.0.1:{port}"))
        .env("MESOS_DIRECTORY", &sandbox)
        .env("MESOS_SANDBOX", &sandbox)
        .env("MESOS_SLAVE_ID", &agent_id)
        .env("MESOS_SLAVE_PID", format!("slave(1)@127.0.0.1:{port}"))
        .env("MESOS_CHECKPOINT", if checkpoint { "1" } else { "0" })
        .env("MESOS_HTTP_COMMAND_EXECUTOR", "0")
        .env("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", SHUTDOWN_GRACE_ENV)
        .stdout(std::fs::File::create(sandbox.join("stdout"))?)
        .stderr(std::fs::File::create(sandbox.join("stderr"))?)
        .kill_on_drop(true);
    if checkpoint {
        process
            .env("MESOS_RECOVERY_TIMEOUT", "15mins")
            .env("MESOS_SUBSCRIPTION_BACKOFF_MAX", "2secs");
    }
    for variable in command.environment.iter().flat_map(|e| &e.variables) {
        process.env(&variable.name, variable.value.as_deref().unwrap_or(""));
    }
    for (_, name, value) in shared
        .config
        .executor_env
        .iter()
        .filter(|(agent, ..)| *agent == start.agent)
    {
        process.env(name, value);
    }
    let mut child = process.spawn()?;
    let (kill, killed) = oneshot::channel();
    if let Some(run) = shared.registry().agents[start.agent]
        .executors
        .get_mut(&start.key)
    {
        run.kill = Some(kill);
        if run.shutting_down {
            // Its framework was shut down while it was being fetched.
            kill_after_grace(run);
        }
    }
    let (shared, agent, key) = (Arc::clone(shared), start.agent, start.key.clone());
    tokio::spawn(async move {
        let status = tokio::select! {
            status = child.wait() => status.ok().and_then(|s| s.code()),
            _ = killed => { let _ = child.kill().await; None }
        };
        let ended = Ended {
            status,
            state: TaskState::TaskFailed,
            message: "Executor terminated".into(),
            reason: task_status::Reason::ExecutorTerminated,
            failure_first: false,
        };
        executor_gone(&shared, agent, &key, &ended);
    });
    Ok(())
}

/// Downloads one URI into the sandbox (http(s) only), honouring
/// `output_file` and `executable`.
async fn fetch(uri: &command_info::Uri, sandbox: &Path) -> anyhow::Result<PathBuf> {
    let name = uri.output_file.clone().unwrap_or_else(|| {
        uri.value
            .rsplit('/')
            .next()
            .and_then(|n| n.split('?').next())
            .unwrap_or("download")
            .to_owned()
    });
    let response = reqwest::get(&uri.value).await?.error_for_status()?;
    let path = sandbox.join(&name);
    std::fs::write(&path, response.bytes().await?)?;
    if uri.executable.unwrap_or(false) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(path)
}

/// How an executor ended, as its agent tells the framework.
pub struct Ended {
    /// The exit status in the FAILURE event.
    pub status: Option<i32>,
    /// What its unfinished tasks become, and why.
    pub state: TaskState,
    pub message: String,
    pub reason: task_status::Reason,
    /// FAILURE reaches the framework before the tasks' updates, as from an
    /// agent that never started the executor (the master forwards its
    /// exit at once; the updates take the status update manager's way).
    pub failure_first: bool,
}

/// The executor is gone (exited, killed, or never started): the agent
/// remembers it as completed, its unfinished tasks end, its resources
/// return, and the framework hears FAILURE.
pub fn executor_gone(shared: &Shared, agent: usize, key: &str, ended: &Ended) {
    let mut registry = shared.registry();
    let Some(run) = registry.agents[agent].executors.remove(key) else {
        return;
    };
    let ran: Vec<String> = registry
        .frameworks
        .get(&run.framework_id)
        .map(|f| {
            f.tasks
                .iter()
                .filter(|(_, t)| t.executor.as_deref() == Some(key))
                .map(|(id, _)| id.clone())
                .collect()
        })
        .unwrap_or_default();
    let a = &mut registry.agents[agent];
    a.executor_ended(&run, ran);
    a.used_cpus -= run.cpus;
    a.used_mem -= run.mem;
    let agent_id = a.id.clone();
    let mut released = (0.0, 0.0);
    let Some(framework) = registry.frameworks.get_mut(&run.framework_id) else {
        return;
    };
    let mut statuses = Vec::new();
    for (id, task) in framework
        .tasks
        .iter_mut()
        .filter(|(_, t)| t.executor.as_deref() == Some(key))
    {
        if terminal(task.state) {
            continue;
        }
        task.set_state(ended.state as i32);
        released.0 += task.cpus;
        released.1 += task.mem;
        statuses.push(task_status(
            id,
            &agent_id,
            ended.state,
            Some(ended.reason),
            &ended.message,
            true,
        ));
    }
    let failure = Event {
        failure: Some(event::Failure {
            agent_id: Some(AgentId { value: agent_id }),
            executor_id: Some(ExecutorId {
                value: run.info.executor_id.value.clone(),
            }),
            status: ended.status,
        }),
        ..events::of_type(event::Type::Failure)
    };
    if ended.failure_first {
        events::send(framework, &failure);
    }
    for status in statuses {
        deliver(framework, status);
    }
    if !ended.failure_first {
        events::send(framework, &failure);
    }
    let a = &mut registry.agents[agent];
    a.used_cpus -= released.0;
    a.used_mem -= released.1;
}
