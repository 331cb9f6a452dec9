//! `ExecutorRegistry`: the one rmesos executor per agent. The first task
//! sent to an agent starts it (and pays for its resources); later tasks,
//! of this job or the next, reuse it by carrying the identical
//! `ExecutorInfo`. An executor that is gone is forgotten, and the next task
//! on that agent starts a fresh one under a new id.

use std::collections::HashMap;

use rmesos_common::wire::v1::{ExecutorId, ExecutorInfo, Offer, Resource, executor_info};

use crate::dataserver::ExecutorFetch;

/// The executors this framework has started, by agent id.
#[derive(Debug, Default)]
pub struct ExecutorRegistry {
    by_agent: HashMap<String, ExecutorInfo>,
    started: u64,
}

impl ExecutorRegistry {
    /// The executor to use on `offer`'s agent, if one runs there: known to
    /// us and listed by the offer as running.
    pub fn running_on(&mut self, offer: &Offer) -> Option<ExecutorInfo> {
        let agent = offer.agent_id.value.as_str();
        let info = self.by_agent.get(agent)?;
        if offer.executor_ids.contains(&info.executor_id) {
            return Some(info.clone());
        }
        // The agent no longer runs it (it exited while we were not
        // looking): start afresh.
        self.by_agent.remove(agent);
        None
    }

    /// A new executor for `agent_id` using `resources`; remembered for reuse.
    pub fn start(
        &mut self,
        agent_id: &str,
        fetch: &ExecutorFetch,
        resources: Vec<Resource>,
    ) -> ExecutorInfo {
        self.started += 1;
        let info = ExecutorInfo {
            r#type: Some(executor_info::Type::Custom as i32),
            executor_id: ExecutorId {
                value: format!("rmesos-executor-{}", self.started),
            },
            command: Some(fetch.command_info()),
            resources,
            name: Some("rmesos executor".into()),
            ..ExecutorInfo::default()
        };
        self.by_agent.insert(agent_id.to_owned(), info.clone());
        info
    }

    /// The executor on `agent_id` is gone (`executor_id` `None`: the agent
    /// itself is).
    pub fn forget(&mut self, agent_id: &str, executor_id: Option<&str>) {
        let matches =
            |info: &ExecutorInfo| executor_id.is_none_or(|id| info.executor_id.value == id);
        if self.by_agent.get(agent_id).is_some_and(matches) {
            self.by_agent.remove(agent_id);
        }
    }
}
