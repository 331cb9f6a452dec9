//! `ClusterSettings`: the knobs a user sets for a cluster session, from
//! the command line, Python keyword arguments, or `RMESOS_*` environment
//! variables, turned into `ClusterOptions`. One place, so the CLI and
//! `rmesos.Context` accept the same things with the same defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use super::options::ClusterOptions;
use crate::dataserver::{DataServerConfig, ExecutorSource};
use crate::detection::MasterUrl;
use crate::secret::{Credentials, Secret};

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
    /// Attempts per partition (`RMESOS_MAX_ATTEMPTS`, default 4).
    pub max_attempts: Option<u32>,
    /// Job timeout (`RMESOS_JOB_TIMEOUT_SECS`, default none).
    pub job_timeout: Option<Duration>,
    /// Wait for the first subscription (`RMESOS_CONNECT_TIMEOUT_SECS`, default 30).
    pub connect_timeout: Option<Duration>,
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

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_env<T: std::str::FromStr>(
    name: &'static str,
    expected: &'static str,
) -> Result<Option<T>, SettingsError> {
    match env(name) {
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
    pub fn with_env(mut self) -> Result<ClusterSettings, SettingsError> {
        let secs = |name| {
            parse_env::<f64>(name, "a number of seconds")
                .map(|v| v.filter(|s| *s > 0.0).map(Duration::from_secs_f64))
        };
        self.app_name = self.app_name.or_else(|| env("RMESOS_APP_NAME"));
        self.role = self.role.or_else(|| env("RMESOS_ROLE"));
        self.principal = self.principal.or_else(|| env("RMESOS_PRINCIPAL"));
        self.secret_file = self
            .secret_file
            .or_else(|| env("RMESOS_SECRET_FILE").map(PathBuf::from));
        self.task_cpus = self
            .task_cpus
            .or(parse_env("RMESOS_TASK_CPUS", "a number")?);
        self.task_mem_mb = self
            .task_mem_mb
            .or(parse_env("RMESOS_TASK_MEM_MB", "a number")?);
        self.max_attempts = self
            .max_attempts
            .or(parse_env("RMESOS_MAX_ATTEMPTS", "a whole number")?);
        self.job_timeout = self.job_timeout.or(secs("RMESOS_JOB_TIMEOUT_SECS")?);
        self.connect_timeout = self
            .connect_timeout
            .or(secs("RMESOS_CONNECT_TIMEOUT_SECS")?);
        self.data_bind = self.data_bind.or(parse_env(
            "RMESOS_DATA_BIND",
            "an address like 0.0.0.0:7077",
        )?);
        self.advertise_host = self.advertise_host.or_else(|| env("RMESOS_ADVERTISE_HOST"));
        self.advertise_port = self
            .advertise_port
            .or(parse_env("RMESOS_ADVERTISE_PORT", "a port number")?);
        self.executor_uri = self.executor_uri.or_else(|| env("RMESOS_EXECUTOR_URI"));
        self.executor_path = self.executor_path.or_else(|| env("RMESOS_EXECUTOR_PATH"));
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
        if let Some(attempts) = self.max_attempts {
            options.retry.max_attempts = attempts.max(1);
        }
        options.job_timeout = self.job_timeout.or(options.job_timeout);
        options.connect_timeout = self.connect_timeout.unwrap_or(options.connect_timeout);
        Ok(options)
    }
}
