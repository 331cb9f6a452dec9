//! Turning offers into leases: while the session holds fewer slots than
//! its jobs can use (and `--max-cpus` allows), each offer gets one lease
//! of as many slots as fit and are still wanted, on the agent's executor,
//! the first lease on an agent also starting the executor (and paying
//! for it). Offers that give nothing wanted are left for the caller to
//! decline.

use rmesos_common::lease::{LEASE_GRANT_VERSION, LeaseGrant};
use rmesos_common::task::DataUrl;
use rmesos_common::wire::v1::{AgentId, Offer, OfferId, TaskId, TaskInfo};

use super::leases::LeaseBook;
use super::offer_pool::OfferPool;
use super::options::TaskResources;

/// A lease to launch with one offer.
#[derive(Debug)]
pub struct LeaseLaunch {
    pub offer_id: OfferId,
    pub agent_id: String,
    pub executor_id: String,
    pub task: TaskInfo,
    pub slots: u32,
    pub cpus: f64,
}

/// What the session wants from offers now, and what its grants say.
#[derive(Debug, Clone, Copy)]
pub struct Want<'a> {
    /// More slots wanted than held.
    pub slots: u32,
    pub heartbeat_ms: u64,
    /// The data server's certificate pin (see `LeaseGrant`).
    pub server_sha256: Option<&'a str>,
}

/// Leases to launch on `offers` (at most one per offer); records them
/// in `book`. `channel_for` announces a new executor's channel and gives
/// its URL.
pub fn acquire(
    offers: &[Offer],
    book: &mut LeaseBook,
    want: Want<'_>,
    resources: &TaskResources,
    mut channel_for: impl FnMut(&str) -> DataUrl,
) -> Vec<LeaseLaunch> {
    let mut left = want.slots;
    let mut launches = Vec::new();
    for offer in offers {
        if left == 0 {
            break;
        }
        let agent = offer.agent_id.value.as_str();
        let mut pool = OfferPool::new(offer);
        let existing = book.on_agent(agent).map(|e| e.info.clone());
        let (executor_cpus, executor_mem) = match existing {
            Some(_) => (0.0, 0.0),
            None => (resources.executor_cpus, resources.executor_mem_mb),
        };
        let fit = |available: f64, executor: f64, per_slot: f64| {
            ((available - executor + 1e-9) / per_slot).floor().max(0.0) as u32
        };
        let slots = fit(pool.available("cpus"), executor_cpus, resources.task_cpus)
            .min(fit(
                pool.available("mem"),
                executor_mem,
                resources.task_mem_mb,
            ))
            .min(left);
        if slots == 0 {
            continue;
        }
        let executor = match existing {
            Some(info) => info,
            None => {
                let share = [("cpus", executor_cpus), ("mem", executor_mem)];
                let taken = pool.take(&share).unwrap_or_default();
                book.add_executor(agent, taken)
            }
        };
        let executor_id = executor.executor_id.value.clone();
        let cpus = f64::from(slots) * resources.task_cpus;
        let wants = [
            ("cpus", cpus),
            ("mem", f64::from(slots) * resources.task_mem_mb),
        ];
        let Some(taken) = pool.take(&wants) else {
            continue;
        };
        let Some(task_id) = book.add_lease(&executor_id, slots) else {
            continue;
        };
        let grant = LeaseGrant {
            version: LEASE_GRANT_VERSION,
            channel: channel_for(&executor_id),
            slots,
            heartbeat_ms: want.heartbeat_ms,
            server_sha256: want.server_sha256.map(str::to_owned),
        };
        let task = TaskInfo {
            name: format!("rmesos lease: {slots} partition slot(s)"),
            task_id: TaskId {
                value: task_id.clone(),
            },
            agent_id: AgentId {
                value: agent.to_owned(),
            },
            resources: taken,
            executor: Some(executor),
            data: Some(grant.to_bytes()),
            ..TaskInfo::default()
        };
        left -= slots;
        launches.push(LeaseLaunch {
            offer_id: offer.id.clone(),
            agent_id: agent.to_owned(),
            executor_id,
            task,
            slots,
            cpus,
        });
    }
    launches
}

#[cfg(test)]
mod tests {
    use rmesos_common::wire::v1::{Resource, value};

    use super::*;

    fn offer(agent: &str, cpus: f64, mem: f64) -> Offer {
        let scalar = |name: &str, value: f64| Resource {
            name: name.into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value }),
            ..Resource::default()
        };
        Offer {
            id: OfferId {
                value: format!("offer-{agent}"),
            },
            agent_id: AgentId {
                value: agent.into(),
            },
            resources: vec![scalar("cpus", cpus), scalar("mem", mem)],
            ..Offer::default()
        }
    }

    fn want(slots: u32) -> Want<'static> {
        Want {
            slots,
            heartbeat_ms: 1000,
            server_sha256: None,
        }
    }

    fn channel(id: &str) -> DataUrl {
        DataUrl::new(format!("http://d:1/t/executors/{id}"))
    }

    #[test]
    fn one_lease_per_offer_of_what_fits_and_is_wanted() {
        let mut book = LeaseBook::new(Default::default());
        let resources = TaskResources::default();
        let offers = [offer("a", 2.2, 1000.0), offer("b", 2.2, 1000.0)];
        let launches = acquire(&offers, &mut book, want(3), &resources, channel);
        let slots: Vec<u32> = launches.iter().map(|l| l.slots).collect();
        assert_eq!(slots, vec![2, 1]);
        assert_eq!(book.held_slots(), 3);
        let grant = LeaseGrant::from_bytes(launches[0].task.data.as_deref().unwrap()).unwrap();
        assert_eq!(grant.slots, 2);
        assert!(grant.channel.expose().ends_with(&launches[0].executor_id));
        // The executor's share came out of the first offer: 0.1 + 2 cpus.
        let cpus: f64 = launches[0]
            .task
            .executor
            .iter()
            .flat_map(|e| &e.resources)
            .chain(&launches[0].task.resources)
            .filter(|r| r.name == "cpus")
            .map(|r| r.scalar.as_ref().unwrap().value)
            .sum();
        assert!((cpus - 2.1).abs() < 1e-9, "{cpus}");
    }

    #[test]
    fn a_second_lease_reuses_the_agents_executor_and_too_small_offers_give_none() {
        let mut book = LeaseBook::new(Default::default());
        let resources = TaskResources::default();
        let first = acquire(
            &[offer("a", 1.1, 100.0)],
            &mut book,
            want(4),
            &resources,
            channel,
        );
        assert_eq!(first.len(), 1);
        let second = acquire(
            &[offer("a", 1.0, 64.0)],
            &mut book,
            want(3),
            &resources,
            channel,
        );
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].executor_id, first[0].executor_id);
        assert_eq!(
            second[0].task.executor.as_ref().unwrap().executor_id,
            first[0].task.executor.as_ref().unwrap().executor_id
        );
        // Without room for the executor, a new agent gets nothing.
        let none = acquire(
            &[offer("b", 1.0, 64.0)],
            &mut book,
            want(2),
            &resources,
            channel,
        );
        assert!(none.is_empty());
    }
}
