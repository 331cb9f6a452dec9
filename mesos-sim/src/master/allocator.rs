//! The leading master's periodic work: offering free agent resources to
//! subscribed frameworks (honouring suppression and decline filters),
//! heartbeats, resending unacknowledged status updates, and removing
//! frameworks whose failover timeout expired.

use std::sync::Arc;
use std::time::Instant;

use rmesos_common::wire::scheduler::{Event, event};
use rmesos_common::wire::v1::resource::AllocationInfo;
use rmesos_common::wire::v1::{AgentId, FrameworkId, Offer, OfferId, Resource, value};

use crate::cluster::Shared;
use crate::events;
use crate::registry::{OutstandingOffer, Registry};

/// Runs until the task is aborted.
pub async fn run(shared: Arc<Shared>) {
    let mut last_heartbeat = Instant::now();
    let mut tick = tokio::time::interval(shared.config.allocation_interval);
    loop {
        tick.tick().await;
        let mut registry = shared.registry();
        if registry.leader.is_none() {
            continue;
        }
        allocate(&mut registry, shared.config.agent_ports);
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
    for fid in framework_ids {
        for agent in 0..registry.agents.len() {
            if !registry.agents[agent].alive || registry.offers.values().any(|o| o.agent == agent) {
                continue;
            }
            let filtered = registry.frameworks[&fid]
                .filters
                .get(&agent)
                .is_some_and(|until| *until > now);
            let (cpus, mem) = registry.free_on(agent);
            if filtered || cpus < 0.01 || mem < 1.0 {
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
            let resources = [scalar("cpus", cpus), scalar("mem", mem), ports(ports_range)]
                .into_iter()
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
