//! The leading master's periodic work. The allocator (as Mesos'
//! hierarchical allocator, `src/master/allocator/mesos/hierarchical.cpp`)
//! makes offers once per allocation interval (`--allocation_interval`,
//! 1 s by default), and at once when a framework subscribes or revives or
//! an agent comes back (`generateOffers` on `addFramework`,
//! `activateFramework`, `reviveOffers`, `addSlave`); resources given back
//! (a declined offer, what an ACCEPT left, a finished task) wait for the
//! next interval. An agent's free resources are offered when they reach
//! Mesos' default `--min_allocatable_resources` (0.01 cpus or 32 MB),
//! unless one of the framework's refuse filters on that agent contains
//! them. A second loop sends heartbeats, resends unacknowledged status
//! updates and removes frameworks whose failover timeout expired.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmesos_common::wire::scheduler::{Event, event};
use rmesos_common::wire::v1::resource::AllocationInfo;
use rmesos_common::wire::v1::{AgentId, FrameworkId, Offer, OfferId, Resource, value};

use crate::cluster::Shared;
use crate::events;
use crate::registry::{OutstandingOffer, Registry};

/// Mesos' default `--min_allocatable_resources`: `cpus:0.01|mem:32`.
const MIN_CPUS: f64 = 0.01;
const MIN_MEM: f64 = 32.0;

/// How often heartbeats, update retries and failover timeouts are looked at.
const HOUSEKEEPING_TICK: Duration = Duration::from_millis(20);

/// Runs until the task is aborted: one allocation loop, one housekeeping
/// loop.
pub async fn run(shared: Arc<Shared>) {
    tokio::join!(allocation_loop(Arc::clone(&shared)), housekeeping(shared));
}

/// Allocates every interval, and whenever an allocation is asked for.
async fn allocation_loop(shared: Arc<Shared>) {
    let interval = shared.config.allocation_interval;
    let mut next = tokio::time::Instant::now() + interval;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(next) => next += interval,
            () = shared.allocation_wanted.notified() => {}
        }
        let mut registry = shared.registry();
        if registry.leader.is_some() {
            allocate(&mut registry, shared.config.agent_ports);
        }
    }
}

async fn housekeeping(shared: Arc<Shared>) {
    let mut last_heartbeat = Instant::now();
    let mut tick = tokio::time::interval(HOUSEKEEPING_TICK);
    loop {
        tick.tick().await;
        let mut registry = shared.registry();
        if registry.leader.is_none() {
            continue;
        }
        if last_heartbeat.elapsed() >= shared.config.heartbeat_interval {
            last_heartbeat = Instant::now();
            if !registry.heartbeats_paused {
                for framework in registry.frameworks.values_mut() {
                    events::send(framework, &events::heartbeat());
                }
            }
        }
        resend_unacknowledged(&mut registry, shared.config.status_update_retry);
        super::failover::expire(&mut registry);
    }
}

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        role: Some("*".into()),
        ..Default::default()
    }
}

fn ports((begin, end): (u64, u64)) -> Resource {
    Resource {
        name: "ports".into(),
        r#type: value::Type::Ranges as i32,
        ranges: Some(value::Ranges {
            range: vec![value::Range { begin, end }],
        }),
        role: Some("*".into()),
        ..Default::default()
    }
}

fn allocate(registry: &mut Registry, ports_range: (u64, u64)) {
    let now = Instant::now();
    let framework_ids: Vec<String> = registry
        .frameworks
        .values()
        .filter(|f| f.subscription.is_some() && !f.suppressed && !f.removed)
        .map(|f| f.id.clone())
        .collect();
    for framework in registry.frameworks.values_mut() {
        for filters in framework.filters.values_mut() {
            filters.retain(|f| f.until > now);
        }
    }
    for fid in framework_ids {
        for agent in 0..registry.agents.len() {
            if !registry.agents[agent].alive {
                continue;
            }
            let (cpus, mem) = registry.free_on(agent);
            if cpus < MIN_CPUS && mem < MIN_MEM {
                continue;
            }
            let filtered = registry.frameworks[&fid]
                .filters
                .get(&agent)
                .is_some_and(|filters| filters.iter().any(|f| f.holds_back(cpus, mem)));
            if filtered {
                continue;
            }
            let offer_id = registry.fresh_id("offer");
            registry.offers.insert(
                offer_id.clone(),
                OutstandingOffer {
                    framework_id: fid.clone(),
                    agent,
                    cpus,
                    mem,
                },
            );
            let a = &registry.agents[agent];
            // As Mesos does: the framework's executors already running on
            // the agent, and (MULTI_ROLE) the role each resource is for.
            let executor_ids = a
                .executors
                .values()
                .filter(|run| run.framework_id == fid)
                .map(|run| run.info.executor_id.clone())
                .collect();
            let role = registry.frameworks[&fid]
                .info
                .roles
                .first()
                .cloned()
                .unwrap_or_else(|| "*".into());
            let allocation = Some(AllocationInfo { role: Some(role) });
            let scalars = [("cpus", cpus), ("mem", mem)]
                .into_iter()
                .filter(|(_, amount)| *amount > 0.0)
                .map(|(name, amount)| scalar(name, amount));
            let resources = scalars
                .chain(std::iter::once(ports(ports_range)))
                .map(|r| Resource {
                    allocation_info: allocation.clone(),
                    ..r
                })
                .collect();
            let offer = Offer {
                id: OfferId { value: offer_id },
                framework_id: FrameworkId { value: fid.clone() },
                agent_id: AgentId {
                    value: a.id.clone(),
                },
                hostname: a.hostname.clone(),
                // Port use is not tracked: every offer carries the whole range.
                resources,
                executor_ids,
                allocation_info: allocation,
                ..Default::default()
            };
            let event = Event {
                offers: Some(event::Offers {
                    offers: vec![offer],
                }),
                ..events::of_type(event::Type::Offers)
            };
            if let Some(framework) = registry.frameworks.get_mut(&fid) {
                events::send(framework, &event);
            }
        }
    }
}

fn resend_unacknowledged(registry: &mut Registry, retry: std::time::Duration) {
    for framework in registry.frameworks.values_mut() {
        let mut seen_tasks = std::collections::HashSet::new();
        let mut due = Vec::new();
        for pending in framework.unacknowledged.iter_mut() {
            // Only the oldest update of each task is in flight.
            if !seen_tasks.insert(pending.status.task_id.value.clone()) {
                continue;
            }
            let ready = match pending.not_before {
                Some(at) => Instant::now() >= at,
                None => pending.last_sent.elapsed() >= retry,
            };
            if ready {
                pending.not_before = None;
                pending.last_sent = Instant::now();
                due.push(pending.status.clone());
            }
        }
        for status in due {
            events::send(framework, &events::update(status));
        }
    }
}
