//! The typed handle the job engine drives the framework with. Calls go
//! straight to the master holding the current subscription; nothing here
//! exposes HTTP.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mesos::offer::Operation;
use mesos::scheduler::Call;
use mesos::scheduler::call::reconcile;
use mesos::{AgentId, ExecutorId, Filters, FrameworkId, OfferId, TaskId};
use reqwest::Url;
use rmesos_common::wire::v1 as mesos;
use tokio::sync::{mpsc, oneshot, watch};

use super::calls;
use super::error::{CallError, DriverError};
use super::inflight::InFlight;
use crate::transport::HttpTransport;

/// Where the driver stands, as the handle sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DriverState {
    /// Known after the first SUBSCRIBED (or given in the config).
    pub framework_id: Option<FrameworkId>,
    /// The master endpoint of the live subscription, if any.
    pub subscribed_to: Option<Url>,
    /// Completed SUBSCRIBED handshakes so far.
    pub subscriptions: u64,
    pub stopped: bool,
}

/// Requests only the driver task can carry out.
pub(crate) enum Command {
    Stop {
        teardown: bool,
        done: oneshot::Sender<Result<(), DriverError>>,
    },
}

/// State shared by the handle and the driver task.
pub(crate) struct Shared {
    pub(crate) transport: HttpTransport,
    pub(crate) in_flight: InFlight,
    pub(crate) state: watch::Sender<DriverState>,
    /// Roles suppressed through the handle, re-sent on every SUBSCRIBE
    /// because a new master knows nothing of earlier SUPPRESS calls.
    pub(crate) suppressed: Mutex<BTreeSet<String>>,
    pub(crate) roles: Vec<String>,
}

impl Shared {
    pub(crate) fn suppressed_roles(&self) -> Vec<String> {
        let suppressed = self
            .suppressed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.roles
            .iter()
            .filter(|role| suppressed.contains(*role))
            .cloned()
            .collect()
    }
}

/// Cheap to clone. Dropping every handle stops the driver (without
/// tearing the framework down).
#[derive(Clone)]
pub struct DriverHandle {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
}

impl DriverHandle {
    pub(crate) fn new(shared: Arc<Shared>, commands: mpsc::UnboundedSender<Command>) -> Self {
        DriverHandle { shared, commands }
    }

    pub fn state(&self) -> DriverState {
        self.shared.state.borrow().clone()
    }

    pub fn framework_id(&self) -> Option<FrameworkId> {
        self.shared.state.borrow().framework_id.clone()
    }

    /// Waits until a subscription is live (returns the framework id), or
    /// fails with `Stopped` if the driver stops first.
    pub async fn wait_subscribed(&self) -> Result<FrameworkId, CallError> {
        let mut state = self.shared.state.subscribe();
        let ready = state
            .wait_for(|s| s.stopped || (s.subscribed_to.is_some() && s.framework_id.is_some()))
            .await
            .map_err(|_| CallError::Stopped)?;
        ready
            .framework_id
            .clone()
            .filter(|_| !ready.stopped)
            .ok_or(CallError::Stopped)
    }

    /// Uses offers: launches tasks (LAUNCH / LAUNCH_GROUP operations) and
    /// declines what the operations leave unused, with `filters`.
    pub async fn accept(
        &self,
        offer_ids: Vec<OfferId>,
        operations: Vec<Operation>,
        filters: Option<Filters>,
    ) -> Result<(), CallError> {
        let framework_id = self.live_framework_id()?;
        // Remember the tasks first: a failover right after sending must
        // still reconcile them.
        self.shared.in_flight.launching(&operations);
        self.send(calls::accept(&framework_id, offer_ids, operations, filters))
            .await
    }

    /// Returns offers; `refuse` keeps the resources away that long
    /// (`None`: the master's default of 5 s).
    pub async fn decline(
        &self,
        offer_ids: Vec<OfferId>,
        refuse: Option<Duration>,
    ) -> Result<(), CallError> {
        let framework_id = self.live_framework_id()?;
        let filters = refuse.map(calls::refuse_for);
        self.send(calls::decline(&framework_id, offer_ids, filters))
            .await
    }

    /// Asks for offers again (all roles when `roles` is empty) and clears
    /// decline filters.
    pub async fn revive(&self, roles: Vec<String>) -> Result<(), CallError> {
        let framework_id = self.live_framework_id()?;
        self.update_suppressed(&roles, false);
        self.send(calls::revive(&framework_id, roles)).await
    }

    /// Stops offers (all roles when `roles` is empty); status updates keep
    /// coming. Remembered across re-subscriptions.
    pub async fn suppress(&self, roles: Vec<String>) -> Result<(), CallError> {
        let framework_id = self.live_framework_id()?;
        self.update_suppressed(&roles, true);
        self.send(calls::suppress(&framework_id, roles)).await
    }

    pub async fn kill(&self, task_id: TaskId, agent_id: Option<AgentId>) -> Result<(), CallError> {
        let framework_id = self.live_framework_id()?;
        self.send(calls::kill(&framework_id, task_id, agent_id))
            .await
    }

    /// Asks the master for the state of `tasks` (all known tasks when empty);
    /// answers arrive as `Update` events.
    pub async fn reconcile(&self, tasks: Vec<(TaskId, Option<AgentId>)>) -> Result<(), CallError> {
        let framework_id = self.live_framework_id()?;
        let tasks = tasks
            .into_iter()
            .map(|(task_id, agent_id)| reconcile::Task { task_id, agent_id })
            .collect();
        self.send(calls::reconcile(&framework_id, tasks)).await
    }

    /// Sends bytes to an executor (delivery is not guaranteed).
    pub async fn message(
        &self,
        agent_id: AgentId,
        executor_id: ExecutorId,
        data: Vec<u8>,
    ) -> Result<(), CallError> {
        let framework_id = self.live_framework_id()?;
        self.send(calls::message(&framework_id, agent_id, executor_id, data))
            .await
    }

    /// Asks an executor to shut down (its tasks are killed).
    pub async fn shutdown_executor(
        &self,
        executor_id: ExecutorId,
        agent_id: AgentId,
    ) -> Result<(), CallError> {
        let framework_id = self.live_framework_id()?;
        self.send(calls::shutdown(&framework_id, executor_id, agent_id))
            .await
    }

    /// Clean stop: TEARDOWN (the master kills the framework's tasks and
    /// forgets it), then the driver ends. Waits for a subscription for up
    /// to the configured teardown timeout if none is live.
    pub async fn teardown(&self) -> Result<(), DriverError> {
        self.stop_with(true).await
    }

    /// Stops the driver without TEARDOWN: the masters keep the framework and
    /// its tasks for `failover_timeout`, for a later run to fail over to.
    pub async fn disconnect(&self) -> Result<(), DriverError> {
        self.stop_with(false).await
    }

    async fn stop_with(&self, teardown: bool) -> Result<(), DriverError> {
        let (done, answer) = oneshot::channel();
        if self
            .commands
            .send(Command::Stop { teardown, done })
            .is_err()
        {
            return Ok(()); // already stopped
        }
        answer.await.unwrap_or(Ok(()))
    }

    fn live_framework_id(&self) -> Result<FrameworkId, CallError> {
        let state = self.shared.state.borrow();
        if state.stopped {
            return Err(CallError::Stopped);
        }
        match (&state.subscribed_to, &state.framework_id) {
            (Some(_), Some(id)) => Ok(id.clone()),
            _ => Err(CallError::NotSubscribed),
        }
    }

    fn update_suppressed(&self, roles: &[String], suppressed: bool) {
        let roles: Vec<String> = if roles.is_empty() {
            self.shared.roles.clone()
        } else {
            roles.to_vec()
        };
        let mut set = self
            .shared
            .suppressed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for role in roles {
            if suppressed {
                set.insert(role);
            } else {
                set.remove(&role);
            }
        }
    }

    async fn send(&self, call: Call) -> Result<(), CallError> {
        self.shared.transport.send_call(&call).await?;
        Ok(())
    }
}
