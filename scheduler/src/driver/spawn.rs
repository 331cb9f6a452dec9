//! Starting the driver: builds the transport and shared state, spawns the
//! driver task, and hands back the handle, the event stream and the task.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use rmesos_common::wire::v1::FrameworkId;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::config::DriverConfig;
use super::error::DriverError;
use super::events::DriverEvents;
use super::handle::{DriverHandle, DriverState, Shared};
use super::inflight::InFlight;
use super::leader::{LeaderStream, LeaderTracker};
use super::runner::Runner;
use crate::transport::HttpTransport;

/// A started driver, in three parts that can go their own ways.
pub struct Driver {
    pub handle: DriverHandle,
    pub events: DriverEvents,
    pub task: DriverTask,
}

impl Driver {
    /// Starts the driver task on the current Tokio runtime. `leaders` says
    /// which master leads (see `fixed_leader`, or the ZooKeeper detector);
    /// the driver follows every change.
    pub fn spawn(config: DriverConfig, leaders: LeaderStream) -> Result<Driver, DriverError> {
        let transport = HttpTransport::new(config.transport.clone()).map_err(DriverError::Setup)?;
        let framework_id = config
            .framework
            .framework_id
            .clone()
            .map(|value| FrameworkId { value });
        let (state, _) = watch::channel(DriverState {
            framework_id: framework_id.clone(),
            ..DriverState::default()
        });
        let shared = Arc::new(Shared {
            transport,
            in_flight: InFlight::default(),
            state,
            suppressed: Mutex::new(BTreeSet::new()),
            roles: config.framework.roles.clone(),
        });
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::unbounded_channel();
        let runner = Runner::new(
            config,
            shared.clone(),
            LeaderTracker::new(leaders),
            command_rx,
            event_tx,
            framework_id,
        );
        let task = tokio::spawn(runner.run());
        Ok(Driver {
            handle: DriverHandle::new(shared, command_tx),
            events: DriverEvents::new(event_rx),
            task: DriverTask(task),
        })
    }
}

/// Resolves when the driver has stopped: `Ok` after a requested stop,
/// `Err` when the master refused the framework for good.
pub struct DriverTask(JoinHandle<Result<(), DriverError>>);

impl Future for DriverTask {
    type Output = Result<(), DriverError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(result) => result,
            Err(err) => Err(DriverError::Crashed(err.to_string())),
        })
    }
}
