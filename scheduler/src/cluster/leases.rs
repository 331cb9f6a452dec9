//! `LeaseBook`: the session's executors (one per agent) and the leases
//! through which each holds its cpus, with what the engine needs to hand
//! out partitions: each executor's channel link, when it was last heard,
//! and the attempts it is running. No I/O: the engine loop acts on it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use rmesos_common::wire::v1::{CommandInfo, ExecutorId, ExecutorInfo, Resource, executor_info};

use crate::dataserver::ExecutorLink;

/// One lease: a long-lived Mesos task holding `slots` partition slots.
#[derive(Debug, Clone)]
pub struct Lease {
    pub slots: u32,
    /// Mesos said TASK_RUNNING.
    pub running: bool,
}

/// One executor of the session.
#[derive(Debug)]
pub struct ExecutorEntry {
    pub executor_id: String,
    pub agent_id: String,
    pub info: ExecutorInfo,
    /// Lease task id -> lease.
    pub leases: BTreeMap<String, Lease>,
    pub link: Option<ExecutorLink>,
    pub last_heard: Instant,
    /// When its message stream ended, if it has not reconnected since.
    pub disconnected_since: Option<Instant>,
    pub running: HashSet<u64>,
    pub partitions_run: u64,
}

impl ExecutorEntry {
    /// Slots of leases Mesos runs.
    pub fn slots(&self) -> u32 {
        self.leases
            .values()
            .filter(|l| l.running)
            .map(|l| l.slots)
            .sum()
    }

    /// Slots free for another attempt now (none without a link).
    pub fn free_slots(&self) -> u32 {
        match self.link {
            Some(_) => self.slots().saturating_sub(self.running.len() as u32),
            None => 0,
        }
    }

    /// Whether it has been silent (or away) past `limit`.
    pub fn silent(&self, now: Instant, limit: Duration) -> bool {
        match (&self.link, self.disconnected_since) {
            (None, Some(since)) => now.duration_since(since) > limit,
            (Some(_), _) => now.duration_since(self.last_heard) > limit,
            // Never connected yet: Mesos reports an executor that fails
            // to start; one that cannot reach us fails its leases itself.
            (None, None) => false,
        }
    }
}

/// Every executor and lease of the session.
#[derive(Debug)]
pub struct LeaseBook {
    /// What every executor runs (its fetch URI may hold the data token:
    /// never log it).
    command: CommandInfo,
    executors: HashMap<String, ExecutorEntry>,
    /// Lease task id -> executor id.
    lease_owner: HashMap<String, String>,
    /// Leases given back or of forgotten executors: their updates are expected.
    released: HashSet<String>,
    /// Of those, the ones of an executor lost before they ran: their end
    /// (which Mesos sends after the executor's) says why it never started.
    lost_unstarted: HashSet<String>,
    executors_started: u64,
    leases_started: u64,
}

impl LeaseBook {
    pub fn new(command: CommandInfo) -> LeaseBook {
        LeaseBook {
            command,
            executors: HashMap::new(),
            lease_owner: HashMap::new(),
            released: HashSet::new(),
            lost_unstarted: HashSet::new(),
            executors_started: 0,
            leases_started: 0,
        }
    }

    pub fn executors(&self) -> impl Iterator<Item = &ExecutorEntry> {
        self.executors.values()
    }

    pub fn get_mut(&mut self, executor_id: &str) -> Option<&mut ExecutorEntry> {
        self.executors.get_mut(executor_id)
    }

    pub fn is_empty(&self) -> bool {
        self.executors.is_empty()
    }

    /// The executor on `agent_id`.
    pub fn on_agent(&self, agent_id: &str) -> Option<&ExecutorEntry> {
        self.executors.values().find(|e| e.agent_id == agent_id)
    }

    /// Slots of every lease not known to have ended (launching included).
    pub fn held_slots(&self) -> u32 {
        let leases = self.executors.values().flat_map(|e| e.leases.values());
        leases.map(|l| l.slots).sum()
    }

    /// The id the next executor gets.
    pub fn next_executor_id(&self) -> String {
        format!("rmesos-executor-{}", self.executors_started + 1)
    }

    /// A new executor on `agent_id`, using `resources`, under the id
    /// `next_executor_id` gave.
    pub fn add_executor(&mut self, agent_id: &str, resources: Vec<Resource>) -> ExecutorInfo {
        let executor_id = self.next_executor_id();
        self.executors_started += 1;
        let info = ExecutorInfo {
            r#type: Some(executor_info::Type::Custom as i32),
            executor_id: ExecutorId {
                value: executor_id.clone(),
            },
            command: Some(self.command.clone()),
            resources,
            name: Some("rmesos executor".into()),
            ..ExecutorInfo::default()
        };
        let entry = ExecutorEntry {
            executor_id: executor_id.clone(),
            agent_id: agent_id.to_owned(),
            info: info.clone(),
            leases: BTreeMap::new(),
            link: None,
            last_heard: Instant::now(),
            disconnected_since: None,
            running: HashSet::new(),
            partitions_run: 0,
        };
        self.executors.insert(executor_id, entry);
        info
    }

    /// A new lease of `executor_id`; returns its task id.
    pub fn add_lease(&mut self, executor_id: &str, slots: u32) -> Option<String> {
        let entry = self.executors.get_mut(executor_id)?;
        self.leases_started += 1;
        let task_id = format!("rmesos-lease-{}", self.leases_started);
        let lease = Lease {
            slots,
            running: false,
        };
        entry.leases.insert(task_id.clone(), lease);
        self.lease_owner
            .insert(task_id.clone(), executor_id.to_owned());
        Some(task_id)
    }

    /// The executor holding lease `task_id`.
    pub fn owner(&self, task_id: &str) -> Option<&ExecutorEntry> {
        self.executors.get(self.lease_owner.get(task_id)?)
    }

    /// Whether `task_id` is a lease this session gave back or forgot.
    pub fn was_released(&self, task_id: &str) -> bool {
        self.released.contains(task_id)
    }

    /// Mesos runs lease `task_id`; false if it is not one of ours.
    pub fn lease_running(&mut self, task_id: &str) -> bool {
        let Some(owner) = self.lease_owner.get(task_id) else {
            return false;
        };
        let lease = self
            .executors
            .get_mut(owner)
            .and_then(|e| e.leases.get_mut(task_id));
        match lease {
            Some(lease) => {
                lease.running = true;
                true
            }
            None => false,
        }
    }

    /// Lease `task_id` ended: its executor's id and the lease.
    pub fn lease_ended(&mut self, task_id: &str) -> Option<(String, Lease)> {
        let owner = self.lease_owner.remove(task_id)?;
        let lease = self.executors.get_mut(&owner)?.leases.remove(task_id)?;
        Some((owner, lease))
    }

    /// Forgets an executor; its remaining leases' updates are expected.
    /// When it was `lost`, those that never ran are remembered as such.
    pub fn remove_executor(&mut self, executor_id: &str, lost: bool) -> Option<ExecutorEntry> {
        let entry = self.executors.remove(executor_id)?;
        for (task_id, lease) in &entry.leases {
            self.lease_owner.remove(task_id);
            self.released.insert(task_id.clone());
            if lost && !lease.running {
                self.lost_unstarted.insert(task_id.clone());
            }
        }
        Some(entry)
    }

    /// Whether `task_id` belonged to an executor lost before the lease
    /// ran (answered once: the lease's end is counted once).
    pub fn take_lost_unstarted(&mut self, task_id: &str) -> bool {
        self.lost_unstarted.remove(task_id)
    }
}
