//! `ClusterSettings`: the knobs a user sets for a cluster session, from
//! the command line, Python keyword arguments, or `RMESOS_*` environment
//! variables, turned into `ClusterOptions`. One place, so the CLI and
//! `rmesos.Context` accept the same things with the same defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use rmesos_common::task::DATA_TIMEOUT_VARIABLE;
use thiserror::Error;

use super::options::ClusterOptions;
use crate::dataserver::{DataServerConfig, ExecutorSource};
use crate::detection::MasterUrl;
use crate::secret::{Credentials, Secret};
use crate::ui::UiBind;

/// Settings left `None` take the matching environment variable, then the
/// default.
#[derive(Debug, Clone, Default)]
pub struct ClusterSettings {
    /// Framework name shown by Mesos (`RMESOS_APP_NAME`, default "rmesos").
    pub app_name: Option<String>,
    /// Role offers are made for (`RMESOS_ROLE`, default "*").
    pub role: Option<String>,
    /// Framework principal (`RMESOS_PRINCIPAL`).
    pub principal: Option<String>,
    /// File holding the framework secret (`RMESOS_SECRET_FILE`).
    pub secret_file: Option<PathBuf>,
    /// CPUs per task (`RMESOS_TASK_CPUS`, default 1).
    pub task_cpus: Option<f64>,
    /// Memory per task in MB (`RMESOS_TASK_MEM_MB`, default 64).
    pub task_mem_mb: Option<f64>,
    /// CPUs of the executor, paid once per agent (`RMESOS_EXECUTOR_CPUS`, default 0.1).
    pub executor_cpus: Option<f64>,
    /// Memory of the executor in MB, once per agent (`RMESOS_EXECUTOR_MEM_MB`, default 32).
    pub executor_mem_mb: Option<f64>,
    /// Attempts per partition (`RMESOS_MAX_ATTEMPTS`, default 4).
    pub max_attempts: Option<u32>,
    /// Job timeout (`RMESOS_JOB_TIMEOUT_SECS`, default none).
    pub job_timeout: Option<Duration>,
    /// Wait for the first subscription (`RMESOS_CONNECT_TIMEOUT_SECS`, default 30).
    pub connect_timeout: Option<Duration>,
    /// Executors give a served partition up when the data server sends
    /// nothing for this long (`RMESOS_DATA_TIMEOUT_SECS`, default 60).
    pub data_timeout: Option<Duration>,
    /// The masters remove the framework (its tasks and executors) when the
    /// driver has been disconnected this long (`RMESOS_FAILOVER_TIMEOUT_SECS`,
    /// default 300).
    pub failover_timeout: Option<Duration>,
    /// Data-server bind address (`RMESOS_DATA_BIND`, default 0.0.0.0:0).
    pub data_bind: Option<SocketAddr>,
    /// Host agents reach the data server at (`RMESOS_ADVERTISE_HOST`).
    pub advertise_host: Option<String>,
    /// Port agents reach the data server at (`RMESOS_ADVERTISE_PORT`).
    pub advertise_port: Option<u16>,
    /// Agents fetch the executor from this URI (`RMESOS_EXECUTOR_URI`).
    pub executor_uri: Option<String>,
    /// The executor is installed on the agents here (`RMESOS_EXECUTOR_PATH`).
    pub executor_path: Option<String>,
    /// The executor binary the data server serves (default: the one beside
    /// this program; the Python package passes its bundled one).
    pub executor_file: Option<PathBuf>,
    /// Status page address, or off (`RMESOS_UI_BIND`, default 0.0.0.0:4040).
    pub ui_bind: Option<UiBind>,
}

/// A setting that cannot be used.
#[derive(Debug, Error)]
pub enum SettingsError {
    #[error("{name}: '{value}' is not {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(transparent)]
    Master(#[from] crate::detection::MasterUrlError),
    #[error(transparent)]
    Secret(#[from] crate::secret::SecretError),
    #[error(transparent)]
    Executor(#[from] crate::dataserver::ExecutorSourceError),
    #[error("a framework secret file needs a principal (RMESOS_PRINCIPAL / --principal)")]
    SecretWithoutPrincipal,
}

/// Where `RMESOS_*` variables are read from: the process environment, or
/// a map in tests. Empty values count as unset.
struct Variables<F>(F);

impl<F: Fn(&str) -> Option<String>> Variables<F> {
    fn text(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn parse<T: std::str::FromStr>(
        &self,
        name: &'static str,
        expected: &'static str,
    ) -> Result<Option<T>, SettingsError> {
        match self.text(name) {
            None => Ok(None),
            Some(value) => value
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| SettingsError::Invalid {
                    name,
                    value,
                    expected,
                }),
        }
    }

    /// A number of seconds; zero or less is unset (the default).
    fn seconds(&self, name: &'static str) -> Result<Option<Duration>, SettingsError> {
        let seconds = self.parse::<f64>(name, "a number of seconds")?;
        Ok(seconds
            .filter(|s| *s > 0.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok()))
    }
}

fn positive(name: &'static str, value: Option<f64>) -> Result<Option<f64>, SettingsError> {
    match value {
        Some(v) if !(v.is_finite() && v > 0.0) => Err(SettingsError::Invalid {
            name,
            value: v.to_string(),
            expected: "a positive number",
        }),
        other => Ok(other),
    }
}

impl ClusterSettings {
    /// Fills every unset field from its `RMESOS_*` variable.
    pub fn with_env(self) -> Result<ClusterSettings, SettingsError> {
        self.with_lookup(|name| std::env::var(name).ok())
    }

    /// Fills every unset field from its `RMESOS_*` variable as `lookup`
    /// gives it.
    pub fn with_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ClusterSettings, SettingsError> {
        let vars = Variables(lookup);
        self.app_name = self.app_name.or_else(|| vars.text("RMESOS_APP_NAME"));
        self.role = self.role.or_else(|| vars.text("RMESOS_ROLE"));
        self.principal = self.principal.or_else(|| vars.text("RMESOS_PRINCIPAL"));
        self.secret_file = self
            .secret_file
            .or_else(|| vars.text("RMESOS_SECRET_FILE").map(PathBuf::from));
        self.task_cpus = self
            .task_cpus
            .or(vars.parse("RMESOS_TASK_CPUS", "a number")?);
        self.task_mem_mb = self
            .task_mem_mb
            .or(vars.parse("RMESOS_TASK_MEM_MB", "a number")?);
        self.executor_cpus = self
            .executor_cpus
            .or(vars.parse("RMESOS_EXECUTOR_CPUS", "a number")?);
        self.executor_mem_mb = self
            .executor_mem_mb
            .or(vars.parse("RMESOS_EXECUTOR_MEM_MB", "a number")?);
        self.max_attempts = self
            .max_attempts
            .or(vars.parse("RMESOS_MAX_ATTEMPTS", "a whole number")?);
        self.job_timeout = self
            .job_timeout
            .or(vars.seconds("RMESOS_JOB_TIMEOUT_SECS")?);
        self.connect_timeout = self
            .connect_timeout
            .or(vars.seconds("RMESOS_CONNECT_TIMEOUT_SECS")?);
        self.data_timeout = self.data_timeout.or(vars.seconds(DATA_TIMEOUT_VARIABLE)?);
        self.failover_timeout = self
            .failover_timeout
            .or(vars.seconds("RMESOS_FAILOVER_TIMEOUT_SECS")?);
        self.data_bind = self
            .data_bind
            .or(vars.parse("RMESOS_DATA_BIND", "an address like 0.0.0.0:7077")?);
        self.advertise_host = self
            .advertise_host
            .or_else(|| vars.text("RMESOS_ADVERTISE_HOST"));
        self.advertise_port = self
            .advertise_port
            .or(vars.parse("RMESOS_ADVERTISE_PORT", "a port number")?);
        self.executor_uri = self
            .executor_uri
            .or_else(|| vars.text("RMESOS_EXECUTOR_URI"));
        self.executor_path = self
            .executor_path
            .or_else(|| vars.text("RMESOS_EXECUTOR_PATH"));
        self.ui_bind = self
            .ui_bind
            .or(vars.parse("RMESOS_UI_BIND", "\"off\" or an address like 0.0.0.0:4040")?);
        Ok(self)
    }

    /// The options for a session on `master` (a `zk://` or `http(s)://` URL).
    pub fn into_options(self, master: &str) -> Result<ClusterOptions, SettingsError> {
        let master = MasterUrl::parse(master)?;
        let executor = match (self.executor_uri, self.executor_path, self.executor_file) {
            (Some(uri), _, _) => ExecutorSource::Uri(uri),
            (None, Some(path), _) => ExecutorSource::AgentPath(path),
            (None, None, Some(file)) => ExecutorSource::Serve(file),
            (None, None, None) => ExecutorSource::default_for_this_process()?,
        };
        let mut data = DataServerConfig::new(executor);
        data.bind = self.data_bind.unwrap_or(data.bind);
        data.advertise_host = self.advertise_host;
        data.advertise_port = self.advertise_port;
        let mut options = ClusterOptions::new(master, data);
        let framework = &mut options.driver.framework;
        framework.name = self.app_name.unwrap_or_else(|| framework.name.clone());
        if let Some(role) = self.role {
            framework.roles = vec![role];
        }
        framework.principal = self.principal.clone();
        if let Some(file) = &self.secret_file {
            let principal = self
                .principal
                .clone()
                .ok_or(SettingsError::SecretWithoutPrincipal)?;
            options.driver.transport.credentials = Some(Credentials {
                principal,
                secret: Secret::from_file(file)?,
            });
        }
        let resources = &mut options.resources;
        resources.task_cpus = positive("task cpus", self.task_cpus)?.unwrap_or(resources.task_cpus);
        resources.task_mem_mb =
            positive("task mem", self.task_mem_mb)?.unwrap_or(resources.task_mem_mb);
        resources.executor_cpus =
            positive("executor cpus", self.executor_cpus)?.unwrap_or(resources.executor_cpus);
        resources.executor_mem_mb =
            positive("executor mem", self.executor_mem_mb)?.unwrap_or(resources.executor_mem_mb);
        if let Some(attempts) = self.max_attempts {
            options.retry.max_attempts = attempts.max(1);
        }
        options.job_timeout = self.job_timeout.or(options.job_timeout);
        options.connect_timeout = self.connect_timeout.unwrap_or(options.connect_timeout);
        match self.data_timeout {
            Some(timeout) if timeout.is_zero() => {
                return Err(SettingsError::Invalid {
                    name: "data timeout",
                    value: rmesos_common::task::format_data_timeout(timeout),
                    expected: "a positive number of seconds",
                });
            }
            Some(timeout) => options.data_timeout = timeout,
            None => {}
        }
        match self.failover_timeout {
            // Zero would make the masters kill every task on any blip.
            Some(timeout) if timeout.is_zero() => {
                return Err(SettingsError::Invalid {
                    name: "failover timeout",
                    value: timeout.as_secs_f64().to_string(),
                    expected: "a positive number of seconds",
                });
            }
            Some(timeout) => options.failover_timeout = timeout,
            None => {}
        }
        if let Some(ui_bind) = self.ui_bind {
            options.ui_bind = ui_bind.addr();
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(ui_bind: Option<UiBind>) -> ClusterOptions {
        ClusterSettings {
            executor_uri: Some("http://files/rmesos-executor".into()),
            ui_bind,
            ..ClusterSettings::default()
        }
        .into_options("http://master:5050")
        .expect("valid settings")
    }

    #[test]
    fn the_status_page_is_on_4040_unless_moved_or_off() {
        assert_eq!(options(None).ui_bind, Some(crate::ui::DEFAULT_UI_BIND));
        assert_eq!(options(Some(UiBind::Off)).ui_bind, None);
        let at = "127.0.0.1:0".parse().unwrap();
        assert_eq!(options(Some(UiBind::At(at))).ui_bind, Some(at));
    }

    #[test]
    fn sizes_reach_the_options_and_bad_ones_are_named() {
        let options = ClusterSettings {
            executor_path: Some("/opt/rmesos-executor".into()),
            task_cpus: Some(0.5),
            executor_cpus: Some(0.25),
            executor_mem_mb: Some(48.0),
            role: Some("analytics".into()),
            ..ClusterSettings::default()
        }
        .into_options("zk://zoo1:2181,zoo2:2181/mesos")
        .expect("valid settings");
        assert_eq!(options.resources.task_cpus, 0.5);
        assert_eq!(options.resources.executor_cpus, 0.25);
        assert_eq!(options.resources.executor_mem_mb, 48.0);
        assert_eq!(options.driver.framework.roles, vec!["analytics".to_owned()]);
        let error = ClusterSettings {
            executor_path: Some("/opt/rmesos-executor".into()),
            task_mem_mb: Some(-1.0),
            ..ClusterSettings::default()
        }
        .into_options("http://master:5050")
        .unwrap_err();
        assert!(error.to_string().contains("task mem"), "{error}");
        let error = ClusterSettings {
            executor_path: Some("/opt/rmesos-executor".into()),
            secret_file: Some("/nonexistent/secret".into()),
            ..ClusterSettings::default()
        }
        .into_options("http://master:5050")
        .unwrap_err();
        assert!(
            matches!(error, SettingsError::SecretWithoutPrincipal),
            "{error}"
        );
    }

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn with_vars(settings: ClusterSettings, pairs: &[(&str, &str)]) -> ClusterSettings {
        settings
            .with_lookup(lookup(pairs))
            .expect("valid variables")
    }

    /// One timeout setting: its variable, default, and where it lives in
    /// the settings and in the options.
    struct TimeoutSetting {
        variable: &'static str,
        name: &'static str,
        default: Duration,
        set: fn(&mut ClusterSettings, Duration),
        get: fn(&ClusterSettings) -> Option<Duration>,
        option: fn(&ClusterOptions) -> Duration,
    }

    /// A timeout comes from its option, else its variable (seconds), else
    /// the default; zero or less in the variable means the default, and a
    /// zero option is an error naming the setting.
    fn check_timeout(t: TimeoutSetting) {
        let path = ClusterSettings {
            executor_path: Some("/opt/rmesos-executor".into()),
            ..ClusterSettings::default()
        };
        let options = |s: ClusterSettings| s.into_options("http://m:5050");
        let default = with_vars(path.clone(), &[]);
        assert_eq!((t.option)(&options(default).unwrap()), t.default);

        let from_env = with_vars(path.clone(), &[(t.variable, "2.5")]);
        assert_eq!((t.get)(&from_env), Some(Duration::from_millis(2500)));
        assert_eq!(
            (t.option)(&options(from_env).unwrap()),
            Duration::from_millis(2500)
        );

        let mut option = path.clone();
        (t.set)(&mut option, Duration::from_secs(3600));
        let both = with_vars(option, &[(t.variable, "2.5")]);
        assert_eq!((t.get)(&both), Some(Duration::from_secs(3600)));
        let zero = with_vars(path.clone(), &[(t.variable, "0")]);
        assert_eq!((t.get)(&zero), None);

        let mut zero_option = path;
        (t.set)(&mut zero_option, Duration::ZERO);
        let error = options(zero_option).unwrap_err().to_string();
        assert!(error.contains(&format!("{}: '0'", t.name)), "{error}");
    }

    #[test]
    fn the_data_timeout_is_seconds_from_the_option_or_its_variable() {
        check_timeout(TimeoutSetting {
            variable: "RMESOS_DATA_TIMEOUT_SECS",
            name: "data timeout",
            default: Duration::from_secs(60),
            set: |s, d| s.data_timeout = Some(d),
            get: |s| s.data_timeout,
            option: |o| o.data_timeout,
        });
    }

    #[test]
    fn the_failover_timeout_is_seconds_from_the_option_or_its_variable() {
        check_timeout(TimeoutSetting {
            variable: "RMESOS_FAILOVER_TIMEOUT_SECS",
            name: "failover timeout",
            default: Duration::from_secs(300),
            set: |s, d| s.failover_timeout = Some(d),
            get: |s| s.failover_timeout,
            option: |o| o.failover_timeout,
        });
    }

    #[test]
    fn a_bad_variable_is_named_with_its_value() {
        let cases = [
            ("RMESOS_DATA_TIMEOUT_SECS", "soon", "a number of seconds"),
            ("RMESOS_CONNECT_TIMEOUT_SECS", "30s", "a number of seconds"),
            ("RMESOS_FAILOVER_TIMEOUT_SECS", "5m", "a number of seconds"),
            ("RMESOS_TASK_CPUS", "lots", "a number"),
        ];
        for (name, value, expected) in cases {
            let error = ClusterSettings::default()
                .with_lookup(lookup(&[(name, value)]))
                .unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("{name}: '{value}' is not {expected}")
            );
        }
    }
}
