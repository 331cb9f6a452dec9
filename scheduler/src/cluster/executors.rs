//! `ExecutorRegistry`: the one rmesos executor per agent. The first task
//! sent to an agent starts it (and pays for its resources); later tasks,
//! of this job or the next, reuse it by carrying the identical
//! `ExecutorInfo`. An executor that is gone is forgotten, and the next task
//! on that agent starts a fresh one under a new id. Every executor runs
//! the one command of the session, built once, whose environment passes
//! the session's settings on (the data timeout): the same settings always
//! give the same `ExecutorInfo`, so executors stay reusable.

use std::collections::HashMap;
use std::time::Duration;

use rmesos_common::task::{DATA_TIMEOUT_VARIABLE, format_data_timeout};
use rmesos_common::wire::v1::{
    CommandInfo, Environment, ExecutorId, ExecutorInfo, Offer, Resource, environment, executor_info,
};

use crate::dataserver::ExecutorFetch;

/// The executors this framework has started, by agent id.
#[derive(Debug)]
pub struct ExecutorRegistry {
    /// What every executor of the session runs. Holds the data-server
    /// token in its fetch URI: never log it.
    command: CommandInfo,
    by_agent: HashMap<String, ExecutorInfo>,
    started: u64,
}

/// The executor's command: fetched and run as `fetch` says, with
/// `data_timeout` in its environment.
pub fn executor_command(fetch: &ExecutorFetch, data_timeout: Duration) -> CommandInfo {
    let variable = environment::Variable {
        name: DATA_TIMEOUT_VARIABLE.to_owned(),
        r#type: Some(environment::variable::Type::Value as i32),
        value: Some(format_data_timeout(data_timeout)),
        ..environment::Variable::default()
    };
    CommandInfo {
        environment: Some(Environment {
            variables: vec![variable],
        }),
        ..fetch.command_info()
    }
}

impl ExecutorRegistry {
    /// No executors yet; each one started will run `command`.
    pub fn new(command: CommandInfo) -> ExecutorRegistry {
        ExecutorRegistry {
            command,
            by_agent: HashMap::new(),
            started: 0,
        }
    }

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
    pub fn start(&mut self, agent_id: &str, resources: Vec<Resource>) -> ExecutorInfo {
        self.started += 1;
        let info = ExecutorInfo {
            r#type: Some(executor_info::Type::Custom as i32),
            executor_id: ExecutorId {
                value: format!("rmesos-executor-{}", self.started),
            },
            command: Some(self.command.clone()),
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

#[cfg(test)]
mod tests {
    use rmesos_common::task::DataUrl;
    use rmesos_common::wire::v1::AgentId;

    use super::*;
    use crate::dataserver::ExecutorUri;

    fn fetch() -> ExecutorFetch {
        ExecutorFetch {
            uri: Some(ExecutorUri::Served(DataUrl::new(
                "http://driver:7077/tok/executor/rmesos-executor",
            ))),
            command: "./rmesos-executor".into(),
        }
    }

    fn registry(data_timeout: Option<Duration>) -> ExecutorRegistry {
        let data_timeout = data_timeout.unwrap_or(rmesos_common::task::DEFAULT_DATA_TIMEOUT);
        ExecutorRegistry::new(executor_command(&fetch(), data_timeout))
    }

    fn environment_of(info: &ExecutorInfo) -> Vec<(String, String)> {
        let command = info.command.as_ref().expect("a command");
        let variables = command.environment.iter().flat_map(|e| &e.variables);
        variables
            .map(|v| (v.name.clone(), v.value.clone().unwrap_or_default()))
            .collect()
    }

    fn offer(agent: &str, executors: &[&ExecutorInfo]) -> Offer {
        Offer {
            agent_id: AgentId {
                value: agent.into(),
            },
            executor_ids: executors.iter().map(|e| e.executor_id.clone()).collect(),
            ..Offer::default()
        }
    }

    #[test]
    fn the_data_timeout_setting_reaches_the_executor_environment() {
        let mut executors = registry(Some(Duration::from_millis(2500)));
        let info = executors.start("agent-1", Vec::new());
        assert_eq!(
            environment_of(&info),
            vec![("RMESOS_DATA_TIMEOUT_SECS".to_owned(), "2.5".to_owned())]
        );
        let command = info.command.as_ref().unwrap();
        assert_eq!(command.value.as_deref(), Some("./rmesos-executor"));
        assert_eq!(command.uris.len(), 1, "the fetch URI is kept");

        let mut defaults = registry(None);
        let info = defaults.start("agent-1", Vec::new());
        assert_eq!(
            environment_of(&info),
            vec![("RMESOS_DATA_TIMEOUT_SECS".to_owned(), "60".to_owned())]
        );
    }

    #[test]
    fn one_setting_gives_one_executor_info_so_executors_are_reused() {
        let timeout = Some(Duration::from_secs(30));
        let mut executors = registry(timeout);
        let first = executors.start("agent-1", Vec::new());
        // The next job's task on that agent carries the identical info.
        let reused = executors.running_on(&offer("agent-1", &[&first]));
        assert_eq!(reused.as_ref(), Some(&first));
        // Another agent's executor, or a later session with the same
        // setting, runs the very same command.
        let second = executors.start("agent-2", Vec::new());
        assert_eq!(second.command, first.command);
        assert_eq!(
            registry(timeout).start("agent-1", Vec::new()).command,
            first.command
        );
        assert_ne!(
            registry(Some(Duration::from_secs(31)))
                .start("agent-1", Vec::new())
                .command,
            first.command
        );
    }
}
