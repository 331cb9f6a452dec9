//! From `SessionSettings` (what the user said) to `ClusterOptions` (what
//! a cluster session runs with; the status page, `ui_bind`, is the
//! fronts' own), and `SettingsError`, why that failed.

use thiserror::Error;

use super::master::MasterUrl;
use super::session::SessionSettings;
use super::values::Positive;
use crate::cluster::{ClusterOptions, Speculation};
use crate::dataserver::{DataServerConfig, ExecutorSource};
use crate::secret::{Credentials, Secret};

/// Settings that cannot be used.
#[derive(Debug, Error)]
pub enum SettingsError {
    /// A value (a flag, a variable or a Python keyword) its parser refused;
    /// `message` is the parser's, the same on every front.
    #[error("{name}: {message}")]
    Invalid { name: String, message: String },
    /// A Python keyword that is no setting.
    #[error("unknown setting '{0}'")]
    Unknown(String),
    #[error("{0} is a local master: a cluster session needs a zk:// or http(s):// master")]
    NotACluster(String),
    #[error(transparent)]
    Master(#[from] super::master::MasterUrlError),
    #[error(transparent)]
    Secret(#[from] crate::secret::SecretError),
    #[error(transparent)]
    Executor(#[from] crate::dataserver::ExecutorSourceError),
    #[error("a framework secret file needs a principal (RMESOS_PRINCIPAL / --principal)")]
    SecretWithoutPrincipal,
    #[error(
        "the framework secret would go to the masters over plain http ({master}), in clear: \
         use https masters (--master-scheme https / RMESOS_MASTER_SCHEME for zk://, or an \
         https:// master URL), or allow it with --secret-over-http on / RMESOS_SECRET_OVER_HTTP"
    )]
    SecretOverHttp { master: String },
}

impl SessionSettings {
    /// The options of a cluster session with these settings; the master
    /// must be a cluster one.
    pub fn cluster_options(&self) -> Result<ClusterOptions, SettingsError> {
        let master = match self.master.url()? {
            MasterUrl::Cluster(url) => url,
            MasterUrl::Local(_) => {
                return Err(SettingsError::NotACluster(self.master.to_string()));
            }
        };
        let mut options = ClusterOptions::new(master, self.data_server()?);
        let framework = &mut options.driver.framework;
        framework.name = self.app_name.clone();
        framework.roles = vec![self.role.clone()];
        framework.user = self.user.as_ref().map(|user| user.0.clone());
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
        options.master_https = self.master_scheme.https;
        options.driver.transport.ca_file = self.master_ca_file.clone();
        self.check_secret_scheme(&options)?;
        let resources = &mut options.resources;
        resources.task_cpus = self.task_cpus.get();
        resources.task_mem_mb = self.task_mem_mb.get();
        resources.executor_cpus = self.executor_cpus.get();
        resources.executor_mem_mb = self.executor_mem_mb.get();
        if let Some(max_cpus) = self.max_cpus
            && max_cpus.get() < resources.task_cpus
        {
            return Err(SettingsError::Invalid {
                name: "max_cpus".into(),
                message: format!(
                    "{max_cpus} cpus is less than one partition slot (task_cpus {})",
                    resources.task_cpus
                ),
            });
        }
        options.max_cpus = self.max_cpus.map(Positive::get);
        options.idle_timeout = self.idle_timeout.get();
        options.speculation = if self.speculation.0 {
            Speculation::default()
        } else {
            Speculation::Off
        };
        options.retry.max_attempts = self.max_attempts.get();
        options.job_timeout = self.job_timeout.map(Into::into);
        options.connect_timeout = self.connect_timeout.get();
        options.data_timeout = self.data_timeout.get();
        options.failover_timeout = self.failover_timeout.get();
        Ok(options)
    }

    /// A framework secret goes over plain http only when the user said so.
    fn check_secret_scheme(&self, options: &ClusterOptions) -> Result<(), SettingsError> {
        if options.driver.transport.credentials.is_none() || options.speaks_https() {
            return Ok(());
        }
        let master = super::master::redact(&self.master.to_string());
        if !self.secret_over_http.0 {
            return Err(SettingsError::SecretOverHttp { master });
        }
        tracing::warn!(
            %master,
            "the framework secret goes to the masters over plain http \
             (--secret-over-http on): anyone on the path can read it"
        );
        Ok(())
    }

    /// The data server: where it listens, how agents reach it, and the
    /// executor it hands them.
    fn data_server(&self) -> Result<DataServerConfig, SettingsError> {
        let executor = match (&self.executor_uri, &self.executor_path, &self.executor_file) {
            (Some(uri), _, _) => ExecutorSource::Uri(uri.clone()),
            (None, Some(path), _) => ExecutorSource::AgentPath(path.clone()),
            (None, None, Some(file)) => ExecutorSource::Serve(file.clone()),
            (None, None, None) => ExecutorSource::default_for_this_process()?,
        };
        let mut data = DataServerConfig::new(executor);
        data.bind = self.data_bind.0;
        data.advertise_host = self.advertise_host.clone();
        data.advertise_port = self.advertise_port.map(|port| port.0);
        data.tls = self.data_tls.0;
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ui::{DEFAULT_UI_BIND, UiBind};

    fn settings(pairs: &[(&str, &str)]) -> SessionSettings {
        let mut all = vec![
            ("master", "http://master:5050"),
            ("executor_path", "/opt/rmesos-executor"),
        ];
        all.extend_from_slice(pairs);
        SessionSettings::from_keywords(&all).expect("valid settings")
    }

    #[test]
    fn the_defaults_are_those_of_cluster_options() {
        let settings = settings(&[]);
        assert_eq!(settings.ui_bind, UiBind::At(DEFAULT_UI_BIND));
        let options = settings.cluster_options().unwrap();
        let data = DataServerConfig::new(ExecutorSource::AgentPath("/x".into()));
        let defaults = ClusterOptions::new(options.master.clone(), data.clone());
        assert_eq!(options.resources, defaults.resources);
        assert_eq!(options.retry.max_attempts, defaults.retry.max_attempts);
        assert_eq!(options.job_timeout, defaults.job_timeout);
        assert_eq!(options.connect_timeout, defaults.connect_timeout);
        assert_eq!(options.data_timeout, defaults.data_timeout);
        assert_eq!(
            options.data_timeout,
            rmesos_common::task::DEFAULT_DATA_TIMEOUT,
            "the executor's own default"
        );
        assert_eq!(options.failover_timeout, defaults.failover_timeout);
        assert_eq!(options.data_server.bind, data.bind);
        assert_eq!(options.driver.framework.name, "rmesos");
        assert_eq!(options.driver.framework.roles, vec!["*".to_owned()]);
        assert_eq!(options.driver.framework.user, None, "the driver's OS user");
        assert!(options.data_server.tls, "rows over TLS by default");
        assert!(!options.speaks_https(), "masters in ZooKeeper: http");
    }

    #[test]
    fn the_secret_goes_over_plain_http_only_when_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "hunter2-secret\n").unwrap();
        let file = file.to_str().unwrap();
        let with_secret = |pairs: &[(&str, &str)]| {
            let mut all = vec![("principal", "p"), ("secret_file", file)];
            all.extend_from_slice(pairs);
            settings(&all).cluster_options()
        };
        for master in ["zk://zk-user:zk-pass@zk1:2181/mesos", "http://master:5050"] {
            let error = with_secret(&[("master", master)]).unwrap_err();
            let text = error.to_string();
            assert!(
                matches!(error, SettingsError::SecretOverHttp { .. }),
                "{text}"
            );
            assert!(
                text.contains("--master-scheme https") && text.contains("--secret-over-http on")
            );
            assert!(
                !text.contains("hunter2") && !text.contains("zk-pass"),
                "{text}"
            );
            assert!(with_secret(&[("master", master), ("secret_over_http", "on")]).is_ok());
        }
        let zk_https = [
            ("master", "zk://zk1:2181/mesos"),
            ("master_scheme", "https"),
        ];
        assert!(with_secret(&zk_https).is_ok());
        assert!(with_secret(&[("master", "https://master:5050")]).is_ok());
        // No secret, nothing to protect.
        assert!(
            settings(&[("master", "http://master:5050")])
                .cluster_options()
                .is_ok()
        );
    }

    #[test]
    fn every_value_reaches_the_options() {
        let given = settings(&[
            ("appName", "analysis"),
            ("role", "analytics"),
            ("user", "root"),
            ("task_cpus", "0.5"),
            ("task_mem_mb", "128"),
            ("executor_cpus", "0.25"),
            ("executor_mem_mb", "48"),
            ("max_attempts", "2"),
            ("job_timeout", "2m"),
            ("connect_timeout", "5"),
            ("data_timeout", "2.5"),
            ("failover_timeout", "500ms"),
            ("data_bind", "127.0.0.1:7077"),
            ("advertise_host", "driver.example"),
            ("advertise_port", "7078"),
            ("data_tls", "off"),
            ("master_scheme", "https"),
            ("master_ca_file", "/etc/ssl/masters.pem"),
            ("ui_bind", "off"),
        ]);
        assert_eq!(given.ui_bind, UiBind::Off);
        let options = given.cluster_options().unwrap();
        assert_eq!(options.driver.framework.name, "analysis");
        assert_eq!(options.driver.framework.roles, vec!["analytics".to_owned()]);
        assert_eq!(options.driver.framework.user.as_deref(), Some("root"));
        assert_eq!(options.resources.task_cpus, 0.5);
        assert_eq!(options.resources.task_mem_mb, 128.0);
        assert_eq!(options.resources.executor_cpus, 0.25);
        assert_eq!(options.resources.executor_mem_mb, 48.0);
        assert_eq!(options.retry.max_attempts, 2);
        assert_eq!(options.job_timeout, Some(Duration::from_secs(120)));
        assert_eq!(options.connect_timeout, Duration::from_secs(5));
        assert_eq!(options.data_timeout, Duration::from_millis(2500));
        assert_eq!(options.failover_timeout, Duration::from_millis(500));
        assert_eq!(options.data_server.bind, "127.0.0.1:7077".parse().unwrap());
        assert_eq!(
            options.data_server.advertise_host.as_deref(),
            Some("driver.example")
        );
        assert_eq!(options.data_server.advertise_port, Some(7078));
        assert!(!options.data_server.tls);
        assert!(options.speaks_https());
        assert_eq!(
            options.driver.transport.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/ssl/masters.pem"))
        );
        let moved = settings(&[("ui_bind", "127.0.0.1:0")]);
        assert_eq!(moved.ui_bind, UiBind::At("127.0.0.1:0".parse().unwrap()));
    }

    #[test]
    fn a_local_master_or_a_secret_without_principal_is_refused() {
        let local = settings(&[("master", "local[2]")]).cluster_options();
        assert!(
            matches!(local, Err(SettingsError::NotACluster(_))),
            "{local:?}"
        );
        let error = settings(&[("secret_file", "/nonexistent/secret")])
            .cluster_options()
            .unwrap_err();
        assert!(
            matches!(error, SettingsError::SecretWithoutPrincipal),
            "{error}"
        );
    }
}
