//! `Cluster`: a live session on a Mesos cluster. Connecting starts the
//! data server, the framework driver (following the leading master) and
//! the engine task, and waits for the first subscription; jobs are then
//! submitted one after another on that one framework; `shutdown` tears the
//! framework down. Everything that happens goes on the session's
//! `StatusBoard`, which a caller may make (and show) before connecting,
//! so that a session still connecting can be watched.

use std::sync::Arc;
use std::time::Instant;

use rmesos_common::stats::ColumnStats;
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::engine_loop::{EngineLoop, JobRequest};
use super::options::ClusterOptions;
use super::status::StatusBoard;
use crate::dataserver::{DataServer, local_ip_towards};
use crate::driver::{
    DisconnectReason, Driver, DriverConfig, DriverError, DriverEvent, DriverEvents, DriverHandle,
    DriverTask, detected_leader,
};
use crate::engine::{JobError, JobPlan, ProgressSink};

/// Why a session could not start.
#[derive(Debug, Error)]
pub enum ClusterError {
    #[error("cannot start the data server on {bind}: {source}")]
    DataServer {
        bind: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Driver(#[from] DriverError),
    #[error("no Mesos master at {master} accepted the framework within {waited:?}{}", last_problem(.last))]
    Unreachable {
        master: String,
        waited: std::time::Duration,
        last: Option<String>,
    },
    #[error("the Mesos master at {master} refused the framework: {message}")]
    Refused { master: String, message: String },
}

fn last_problem(last: &Option<String>) -> String {
    last.as_ref()
        .map_or(String::new(), |l| format!(" (last problem: {l})"))
}

/// A job submitted to the cluster.
pub struct JobHandle {
    cancel: CancellationToken,
    result: oneshot::Receiver<Result<ColumnStats, JobError>>,
}

impl JobHandle {
    /// A token that cancels the job (its tasks are killed) when cancelled.
    pub fn canceller(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// The job's statistics, or why it failed.
    pub async fn wait(self) -> Result<ColumnStats, JobError> {
        self.result
            .await
            .unwrap_or_else(|_| Err(JobError::Cluster("the cluster session ended".into())))
    }
}

/// A connected session.
pub struct Cluster {
    requests: mpsc::UnboundedSender<JobRequest>,
    handle: DriverHandle,
    driver_task: DriverTask,
    engine: JoinHandle<()>,
    data: Arc<DataServer>,
    board: StatusBoard,
    framework_id: String,
}

impl Cluster {
    /// Starts everything and waits (up to `options.connect_timeout`) for
    /// the framework to be subscribed.
    pub async fn connect(options: ClusterOptions) -> Result<Cluster, ClusterError> {
        let board = StatusBoard::for_options(&options);
        Cluster::connect_with_board(options, board).await
    }

    /// `connect`, recording on `board` (made by `StatusBoard::for_options`
    /// and perhaps already shown) from the first moment.
    pub async fn connect_with_board(
        options: ClusterOptions,
        board: StatusBoard,
    ) -> Result<Cluster, ClusterError> {
        let master = options.master.to_string();
        let data = DataServer::start(options.data_server.clone())
            .await
            .map_err(|source| ClusterError::DataServer {
                bind: options.data_server.bind.to_string(),
                source,
            })?;
        let data = Arc::new(data);
        let leaders = detected_leader(
            options.master.clone(),
            options.detector,
            options.speaks_https(),
        );
        let Driver {
            handle,
            mut events,
            task,
        } = Driver::spawn(driver_config(&options), leaders)?;
        let (framework_id, endpoint) =
            match first_subscription(&mut events, &options, &master, &board).await {
                Ok(subscribed) => subscribed,
                Err(error) => {
                    let _ = handle.disconnect().await;
                    return Err(match task.await {
                        Err(driver_error) => ClusterError::Driver(driver_error),
                        Ok(()) => error,
                    });
                }
            };
        board.subscribed(&framework_id, &endpoint);
        advertise_towards(&data, &options, &endpoint);
        let (requests, receiver) = mpsc::unbounded_channel();
        let engine = EngineLoop::new(
            handle.clone(),
            events,
            receiver,
            Arc::clone(&data),
            options,
            board.clone(),
        );
        let engine = tokio::spawn(engine.run());
        Ok(Cluster {
            requests,
            handle,
            driver_task: task,
            engine,
            data,
            board,
            framework_id,
        })
    }

    pub fn framework_id(&self) -> &str {
        &self.framework_id
    }

    pub fn status(&self) -> &StatusBoard {
        &self.board
    }

    pub fn data_server(&self) -> &DataServer {
        &self.data
    }

    /// The host the agents reach this process at.
    pub fn advertised_host(&self) -> String {
        self.data.advertised().0
    }

    /// Queues `plan`; it runs after the jobs submitted before it.
    pub fn submit(&self, plan: JobPlan, sink: Arc<dyn ProgressSink>) -> JobHandle {
        let cancel = CancellationToken::new();
        let (reply, result) = oneshot::channel();
        let request = JobRequest {
            plan,
            sink,
            cancel: cancel.clone(),
            reply,
        };
        if let Err(mpsc::error::SendError(request)) = self.requests.send(request) {
            let _ = request
                .reply
                .send(Err(JobError::Cluster("the cluster session ended".into())));
        }
        JobHandle { cancel, result }
    }

    /// Runs `plan` and waits for its statistics.
    pub async fn run(
        &self,
        plan: JobPlan,
        sink: Arc<dyn ProgressSink>,
    ) -> Result<ColumnStats, JobError> {
        self.submit(plan, sink).wait().await
    }

    /// Tears the framework down (the masters kill its executors) and stops.
    pub async fn shutdown(self) -> Result<(), DriverError> {
        let result = self.handle.teardown().await;
        drop(self.requests);
        let _ = self.engine.await;
        let _ = self.driver_task.await;
        result
    }
}

/// The driver's settings, subscribing with the session's failover timeout.
fn driver_config(options: &ClusterOptions) -> DriverConfig {
    let mut driver = options.driver.clone();
    driver.framework.failover_timeout = options.failover_timeout;
    driver
}

/// Waits for the first SUBSCRIBED: `(framework id, master endpoint)`.
/// What happens meanwhile goes on the status board.
async fn first_subscription(
    events: &mut DriverEvents,
    options: &ClusterOptions,
    master: &str,
    board: &StatusBoard,
) -> Result<(String, String), ClusterError> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::from_std(started + options.connect_timeout);
    let mut last = None;
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = tokio::time::sleep_until(deadline) => {
                return Err(ClusterError::Unreachable {
                    master: master.to_owned(),
                    waited: options.connect_timeout,
                    last,
                });
            }
        };
        match event {
            Some(DriverEvent::Subscribed {
                framework_id,
                endpoint,
                ..
            }) => {
                return Ok((framework_id.value, endpoint.to_string()));
            }
            Some(DriverEvent::Disconnected { reason }) => {
                tracing::debug!(%reason, "not subscribed yet");
                board.disconnected(&reason.to_string());
                last = Some(match reason {
                    DisconnectReason::SubscribeFailed(why) => why,
                    other => other.to_string(),
                });
            }
            Some(DriverEvent::LeaderChanged { leader }) => {
                board.leader_changed(leader.as_ref().map(|l| l.as_str()));
                if leader.is_none() {
                    last = Some("no leading master is registered".into());
                }
            }
            Some(DriverEvent::Error { message }) => {
                return Err(ClusterError::Refused {
                    master: master.to_owned(),
                    message,
                });
            }
            Some(_) => {}
            None => {
                return Err(ClusterError::Unreachable {
                    master: master.to_owned(),
                    waited: started.elapsed(),
                    last,
                });
            }
        }
    }
}

/// Unless configured, the data server advertises the local address this
/// host uses towards the master: the one the cluster can reach.
fn advertise_towards(data: &DataServer, options: &ClusterOptions, endpoint: &str) {
    if options.data_server.advertise_host.is_some() {
        return;
    }
    let Ok(url) = reqwest::Url::parse(endpoint) else {
        return;
    };
    let target = format!(
        "{}:{}",
        url.host_str().unwrap_or("localhost"),
        url.port_or_known_default().unwrap_or(5050)
    );
    match local_ip_towards(&target) {
        Ok(ip) => data.set_advertised_host(ip.to_string()),
        Err(error) => {
            tracing::warn!(%target, %error, "cannot tell the local address towards the master")
        }
    }
}
