//! Placing a job's waiting partitions on offers: one task per partition,
//! spread over the agents round-robin, each task sized as configured, the
//! first task on an agent also paying for its executor, and a partition
//! that just failed on an agent kept off it while another agent offers.

use std::collections::HashSet;
use std::time::Instant;

use rmesos_common::wire::v1::{AgentId, Offer, OfferId, TaskId, TaskInfo};

use super::executors::ExecutorRegistry;
use super::job::ActiveJob;
use super::offer_pool::OfferPool;
use super::options::TaskResources;

/// Tasks to launch with one offer (possibly none: decline it).
#[derive(Debug)]
pub struct OfferUse {
    pub offer_id: OfferId,
    pub agent_id: String,
    /// `(partition id, task)` pairs.
    pub tasks: Vec<(u32, TaskInfo)>,
}

/// Decides what to launch on `offers` for `job`.
pub fn place(
    offers: &[Offer],
    job: &ActiveJob,
    executors: &mut ExecutorRegistry,
    resources: &TaskResources,
) -> Vec<OfferUse> {
    let mut uses: Vec<OfferUse> = offers
        .iter()
        .map(|offer| OfferUse {
            offer_id: offer.id.clone(),
            agent_id: offer.agent_id.value.clone(),
            tasks: Vec::new(),
        })
        .collect();
    let mut pools: Vec<OfferPool> = offers.iter().map(OfferPool::new).collect();
    let mut executor_of: Vec<_> = offers.iter().map(|o| executors.running_on(o)).collect();
    let mut waiting = job.runnable(Instant::now());
    let distinct_agents: HashSet<&str> = offers.iter().map(|o| o.agent_id.value.as_str()).collect();
    let task_wants = [
        ("cpus", resources.task_cpus),
        ("mem", resources.task_mem_mb),
    ];
    let with_executor = [
        ("cpus", resources.task_cpus + resources.executor_cpus),
        ("mem", resources.task_mem_mb + resources.executor_mem_mb),
    ];
    loop {
        let mut placed_any = false;
        for (index, offer) in offers.iter().enumerate() {
            let agent = offer.agent_id.value.as_str();
            let wants = if executor_of[index].is_some() {
                &task_wants
            } else {
                &with_executor
            };
            if waiting.is_empty() || !pools[index].fits(wants) {
                continue;
            }
            // Keep a partition off the agent it just failed on, unless
            // this agent is the only one offering.
            let pick = waiting
                .iter()
                .position(|(_, avoid)| *avoid != Some(agent))
                .or_else(|| (distinct_agents.len() == 1).then_some(0));
            let Some(pick) = pick else { continue };
            let (partition_id, _) = waiting.remove(pick);
            let executor = match &executor_of[index] {
                Some(info) => info.clone(),
                None => {
                    let share = [
                        ("cpus", resources.executor_cpus),
                        ("mem", resources.executor_mem_mb),
                    ];
                    let taken = pools[index].take(&share).unwrap_or_default();
                    let info = executors.start(agent, taken);
                    executor_of[index] = Some(info.clone());
                    info
                }
            };
            let task_resources = pools[index].take(&task_wants).unwrap_or_default();
            let Some(task) = task_info(job, partition_id, agent, task_resources, executor) else {
                continue;
            };
            uses[index].tasks.push((partition_id, task));
            placed_any = true;
        }
        if !placed_any {
            return uses;
        }
    }
}

fn task_info(
    job: &ActiveJob,
    partition_id: u32,
    agent: &str,
    resources: Vec<rmesos_common::wire::v1::Resource>,
    executor: rmesos_common::wire::v1::ExecutorInfo,
) -> Option<TaskInfo> {
    let spec = job.spec(partition_id)?;
    let data = match spec.to_bytes() {
        Ok(data) => data,
        Err(error) => {
            tracing::error!(partition_id, %error, "cannot encode a partition spec");
            return None;
        }
    };
    Some(TaskInfo {
        name: format!("rmesos {} partition {partition_id}", job.job_id()),
        task_id: TaskId {
            value: job.next_task_id(partition_id),
        },
        agent_id: AgentId {
            value: agent.to_owned(),
        },
        resources,
        executor: Some(executor),
        data: Some(data),
        ..TaskInfo::default()
    })
}
