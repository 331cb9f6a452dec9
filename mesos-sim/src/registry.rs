//! The cluster's state, shared by every master (standing in for the
//! replicated registry plus agents re-registering with a new leader):
//! frameworks with their subscription streams, agents and their free
//! resources, outstanding offers, tasks, and what agents remember of
//! executors and frameworks that ended there.

use std::collections::{HashMap, VecDeque};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rmesos_common::wire::codec::Encoding;
use rmesos_common::wire::v1::{ExecutorInfo, FrameworkInfo, TaskInfo, TaskStatus};
use tokio::sync::mpsc::UnboundedSender;

use crate::config::UpdateFaults;

/// One framework's live event stream.
pub struct Subscription {
    pub stream_id: String,
    pub encoding: Encoding,
    /// RecordIO-framed events; dropping it ends the HTTP response.
    pub sender: UnboundedSender<Bytes>,
}

pub struct Framework {
    pub id: String,
    pub info: FrameworkInfo,
    pub subscription: Option<Subscription>,
    pub subscribe_count: u64,
    pub suppressed: bool,
    /// Agent index -> the offer filters (DECLINE, or what an ACCEPT left
    /// unused) on it.
    pub filters: HashMap<usize, Vec<RefuseFilter>>,
    pub tasks: HashMap<String, Task>,
    /// Status updates with a uuid, oldest first, until acknowledged.
    pub unacknowledged: Vec<PendingUpdate>,
    pub calls: HashMap<String, u64>,
    pub removed: bool,
    /// Faults applied to this framework's status updates.
    pub faults: UpdateFaults,
    /// Unix seconds of the first SUBSCRIBE, the latest re-SUBSCRIBE, and
    /// the TEARDOWN.
    pub registered_time: f64,
    pub reregistered_time: Option<f64>,
    pub unregistered_time: Option<f64>,
    /// Set while disconnected: the master removes the framework then
    /// unless it subscribes again (its failover timeout).
    pub failover_deadline: Option<Instant>,
}

/// Mesos' `RefusedOfferFilter`: until it expires, the framework is not
/// offered resources of the agent that the refused ones contain.
#[derive(Clone, Copy, Debug)]
pub struct RefuseFilter {
    pub until: Instant,
    pub cpus: f64,
    pub mem: f64,
}

impl RefuseFilter {
    /// Whether an offer of `cpus` and `mem` is held back (every offer
    /// carries the same ports, so those always fall inside).
    pub fn holds_back(&self, cpus: f64, mem: f64) -> bool {
        cpus <= self.cpus + 1e-9 && mem <= self.mem + 1e-9
    }
}

pub struct PendingUpdate {
    pub status: TaskStatus,
    pub last_sent: Instant,
    /// Held (a delay fault) until then; not sent yet.
    pub not_before: Option<Instant>,
}

#[derive(Clone, Debug)]
pub struct Task {
    pub name: String,
    pub agent: usize,
    pub state: i32,
    pub cpus: f64,
    pub mem: f64,
    /// `framework id/executor id` of the executor running it.
    pub executor: Option<String>,
    /// The role its resources are allocated to.
    pub role: String,
    /// Its states after the first, with their Unix times, as Mesos lists
    /// a task's status updates.
    pub statuses: Vec<(i32, f64)>,
}

impl Task {
    /// Moves the task to `state`, remembering when.
    pub fn set_state(&mut self, state: i32) {
        self.state = state;
        self.statuses.push((state, unix_now()));
    }
}

pub struct Agent {
    pub id: String,
    pub hostname: String,
    /// Where this agent serves the v1 executor API.
    pub port: u16,
    /// Running executors, keyed by `framework id/executor id`.
    pub executors: HashMap<String, ExecutorRun>,
    pub cpus: f64,
    pub mem: f64,
    pub used_cpus: f64,
    pub used_mem: f64,
    pub alive: bool,
    /// Executors that ended here, by framework id, while that framework
    /// still has others running here.
    pub completed_executors: HashMap<String, Vec<CompletedExecutor>>,
    /// Frameworks whose last executor here ended, oldest first.
    pub completed_frameworks: VecDeque<CompletedFramework>,
}

/// How many ended frameworks an agent remembers (Mesos's
/// `--max_completed_frameworks` default).
pub const MAX_COMPLETED_FRAMEWORKS: usize = 50;

/// An executor that ended on an agent, and the tasks it had run.
pub struct CompletedExecutor {
    pub info: ExecutorInfo,
    pub tasks: Vec<String>,
}

/// A framework none of whose executors runs on an agent any more.
pub struct CompletedFramework {
    pub id: String,
    pub executors: Vec<CompletedExecutor>,
}

impl Agent {
    /// Records an executor that ended. When it was the framework's last
    /// one here, the framework moves to the completed ones, as a Mesos
    /// agent removes a framework once it has no executors left.
    pub fn executor_ended(&mut self, run: &ExecutorRun, tasks: Vec<String>) {
        let fid = &run.framework_id;
        self.completed_executors
            .entry(fid.clone())
            .or_default()
            .push(CompletedExecutor {
                info: run.info.clone(),
                tasks,
            });
        if self
            .executors
            .values()
            .any(|other| &other.framework_id == fid)
        {
            return;
        }
        let executors = self.completed_executors.remove(fid).unwrap_or_default();
        if self.completed_frameworks.len() == MAX_COMPLETED_FRAMEWORKS {
            self.completed_frameworks.pop_front();
        }
        self.completed_frameworks.push_back(CompletedFramework {
            id: fid.clone(),
            executors,
        });
    }
}

/// An executor the agent started for a framework.
pub struct ExecutorRun {
    pub framework_id: String,
    pub info: ExecutorInfo,
    /// The executor's event stream, once it subscribed.
    pub stream: Option<ExecutorStream>,
    /// Tasks waiting for the executor to subscribe.
    pub queued: Vec<TaskInfo>,
    /// Resources the executor itself holds.
    pub cpus: f64,
    pub mem: f64,
    /// Asks the process supervisor to kill the process.
    pub kill: Option<tokio::sync::oneshot::Sender<()>>,
    /// Its framework was shut down (a teardown): it gets SHUTDOWN and its
    /// process is killed after the grace period, even if it had not
    /// started or subscribed yet.
    pub shutting_down: bool,
}

/// An executor's subscription: RecordIO-framed events in its encoding.
#[derive(Clone)]
pub struct ExecutorStream {
    pub sender: UnboundedSender<Bytes>,
    pub encoding: Encoding,
}

impl ExecutorStream {
    pub fn send(&self, event: &rmesos_common::wire::executor::Event) {
        let Ok(body) = self.encoding.encode(event) else {
            return;
        };
        let mut framed = bytes::BytesMut::new();
        rmesos_common::wire::recordio::encode_record(&body, &mut framed);
        let _ = self.sender.send(framed.freeze());
    }
}

pub fn executor_key(framework_id: &str, executor_id: &str) -> String {
    format!("{framework_id}/{executor_id}")
}

pub struct OutstandingOffer {
    pub framework_id: String,
    pub agent: usize,
    pub cpus: f64,
    pub mem: f64,
}

#[derive(Default)]
pub struct Registry {
    pub leader: Option<usize>,
    pub frameworks: HashMap<String, Framework>,
    pub agents: Vec<Agent>,
    pub offers: HashMap<String, OutstandingOffer>,
    pub heartbeats_paused: bool,
    /// The allocation interval (refuse filters last at least this long).
    pub allocation_interval: std::time::Duration,
    /// Update faults given to frameworks as they subscribe.
    pub update_faults: UpdateFaults,
    pub next_id: u64,
}

/// Now, in seconds since the Unix epoch (the operator endpoints' times).
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Registry {
    /// A fresh id with `prefix` (unique within this cluster).
    pub fn fresh_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:04}", self.next_id)
    }

    /// Resources of `agent` neither used by tasks nor held in offers.
    pub fn free_on(&self, agent: usize) -> (f64, f64) {
        let a = &self.agents[agent];
        let (mut cpus, mut mem) = (a.cpus - a.used_cpus, a.mem - a.used_mem);
        for offer in self.offers.values().filter(|o| o.agent == agent) {
            cpus -= offer.cpus;
            mem -= offer.mem;
        }
        (cpus.max(0.0), mem.max(0.0))
    }
}

/// A point-in-time view for test assertions.
#[derive(Clone, Debug, Default)]
pub struct ClusterSnapshot {
    pub leader: Option<usize>,
    pub frameworks: Vec<FrameworkSnapshot>,
    pub agents: Vec<AgentSnapshot>,
    pub outstanding_offers: usize,
}

#[derive(Clone, Debug)]
pub struct FrameworkSnapshot {
    pub id: String,
    pub name: String,
    pub connected: bool,
    pub subscribe_count: u64,
    pub failover_timeout: Option<f64>,
    pub suppressed: bool,
    pub removed: bool,
    /// Task id -> `TaskState` value.
    pub tasks: HashMap<String, i32>,
    pub unacknowledged_updates: usize,
    /// Calls received, by type name (e.g. "DECLINE").
    pub calls: HashMap<String, u64>,
}

#[derive(Clone, Debug)]
pub struct AgentSnapshot {
    pub id: String,
    pub alive: bool,
    /// `framework id/executor id` of its running executors.
    pub executors: Vec<String>,
    pub free_cpus: f64,
    pub free_mem: f64,
    /// Cpus held in outstanding offers (neither free nor used).
    pub offered_cpus: f64,
}

impl Registry {
    pub fn snapshot(&self) -> ClusterSnapshot {
        let mut frameworks: Vec<_> = self
            .frameworks
            .values()
            .map(|f| FrameworkSnapshot {
                id: f.id.clone(),
                name: f.info.name.clone(),
                connected: f.subscription.is_some(),
                subscribe_count: f.subscribe_count,
                failover_timeout: f.info.failover_timeout,
                suppressed: f.suppressed,
                removed: f.removed,
                tasks: f
                    .tasks
                    .iter()
                    .map(|(id, t)| (id.clone(), t.state))
                    .collect(),
                unacknowledged_updates: f.unacknowledged.len(),
                calls: f.calls.clone(),
            })
            .collect();
        frameworks.sort_by(|a, b| a.id.cmp(&b.id));
        let agents = (0..self.agents.len())
            .map(|i| {
                let (free_cpus, free_mem) = self.free_on(i);
                AgentSnapshot {
                    id: self.agents[i].id.clone(),
                    alive: self.agents[i].alive,
                    executors: self.agents[i].executors.keys().cloned().collect(),
                    free_cpus,
                    free_mem,
                    offered_cpus: self
                        .offers
                        .values()
                        .filter(|o| o.agent == i)
                        .map(|o| o.cpus)
                        .sum(),
                }
            })
            .collect();
        ClusterSnapshot {
            leader: self.leader,
            frameworks,
            agents,
            outstanding_offers: self.offers.len(),
        }
    }
}
