//! The command every executor of a session runs, built once: how the
//! agent fetches and starts `rmesos-executor`, with the session's settings
//! (the data timeout) in its environment. The same settings always give
//! the same command.

use std::time::Duration;

use rmesos_common::task::{DATA_TIMEOUT_VARIABLE, format_data_timeout};
use rmesos_common::wire::v1::{CommandInfo, Environment, environment};

use crate::dataserver::ExecutorFetch;

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

#[cfg(test)]
mod tests {
    use rmesos_common::wire::v1::ExecutorInfo;

    use super::*;
    use crate::cluster::leases::LeaseBook;
    use crate::dataserver::ExecutorUri;

    fn fetch() -> ExecutorFetch {
        let sha256 = "ab".repeat(32);
        ExecutorFetch {
            uri: Some(ExecutorUri::Served(format!(
                "http://driver:7077/executor/{sha256}/rmesos-executor"
            ))),
            command: crate::dataserver::checked_command("rmesos-executor", &sha256),
            sha256: Some(sha256),
        }
    }

    fn book(data_timeout: Option<Duration>) -> LeaseBook {
        let data_timeout = data_timeout.unwrap_or(rmesos_common::task::DEFAULT_DATA_TIMEOUT);
        LeaseBook::new(executor_command(&fetch(), data_timeout))
    }

    fn environment_of(info: &ExecutorInfo) -> Vec<(String, String)> {
        let command = info.command.as_ref().expect("a command");
        let variables = command.environment.iter().flat_map(|e| &e.variables);
        variables
            .map(|v| (v.name.clone(), v.value.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn the_data_timeout_setting_reaches_the_executor_environment() {
        let info = book(Some(Duration::from_millis(2500))).add_executor("agent-1", Vec::new());
        assert_eq!(
            environment_of(&info),
            vec![("RMESOS_DATA_TIMEOUT_SECS".to_owned(), "2.5".to_owned())]
        );
        let command = info.command.as_ref().unwrap();
        let value = command.value.as_deref().unwrap();
        assert!(value.contains(&"ab".repeat(32)), "{value}");
        assert!(value.ends_with("exec ./rmesos-executor"), "{value}");
        assert_eq!(command.shell, Some(true));
        assert_eq!(command.uris.len(), 1, "the fetch URI is kept");

        let info = book(None).add_executor("agent-1", Vec::new());
        assert_eq!(
            environment_of(&info),
            vec![("RMESOS_DATA_TIMEOUT_SECS".to_owned(), "60".to_owned())]
        );
    }

    #[test]
    fn one_setting_gives_one_command() {
        let timeout = Some(Duration::from_secs(30));
        let mut executors = book(timeout);
        let first = executors.add_executor("agent-1", Vec::new());
        let second = executors.add_executor("agent-2", Vec::new());
        assert_eq!(second.command, first.command);
        assert_ne!(second.executor_id, first.executor_id);
        let other = book(Some(Duration::from_secs(31))).add_executor("agent-1", Vec::new());
        assert_ne!(other.command, first.command);
    }
}
