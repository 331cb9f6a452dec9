//! `ClusterOptions`: everything a cluster session runs with (the master,
//! the framework, task sizes, retries, the data server),
//! with defaults an experienced Mesos user expects.

use std::time::Duration;

use rmesos_common::task::DEFAULT_DATA_TIMEOUT;

use crate::backoff::BackoffPolicy;
use crate::dataserver::DataServerConfig;
use crate::detection::{DetectorOptions, MasterUrl};
use crate::driver::DriverConfig;

/// How long the masters keep a session's framework, its tasks and its
/// executors after the driver disconnects without TEARDOWN: enough to
/// ride out a master election and the driver's reconnect backoff, short
/// enough that a driver that died (a killed kernel, a lost machine) frees
/// the cluster within minutes.
pub const DEFAULT_FAILOVER_TIMEOUT: Duration = Duration::from_secs(300);

/// Resources of one partition slot (a lease of k slots holds k times
/// these), and of the executor that runs on an agent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskResources {
    pub task_cpus: f64,
    pub task_mem_mb: f64,
    /// Paid once per agent, by the first lease launched there.
    pub executor_cpus: f64,
    pub executor_mem_mb: f64,
}

impl Default for TaskResources {
    fn default() -> Self {
        TaskResources {
            task_cpus: 1.0,
            // The executor streams partitions through the kernel: its
            // memory does not grow with the partition.
            task_mem_mb: 64.0,
            executor_cpus: 0.1,
            executor_mem_mb: 32.0,
        }
    }
}

/// How failed partitions are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per partition, the first included.
    pub max_attempts: u32,
    /// Wait before each retry (grows with the attempt number).
    pub backoff: BackoffPolicy,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            backoff: BackoffPolicy {
                initial: Duration::from_millis(200),
                max: Duration::from_secs(10),
                multiplier: 2.0,
                jitter: 0.2,
            },
        }
    }
}

/// Whether slow partitions get a second copy (Spark's
/// `spark.speculation`, with its quantile and multiplier).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speculation {
    Off,
    /// Once `quantile` of a job's partitions are done, a partition running
    /// longer than `multiplier` times their median gets a copy.
    On {
        quantile: f64,
        multiplier: f64,
    },
}

impl Default for Speculation {
    fn default() -> Self {
        Speculation::On {
            quantile: 0.75,
            multiplier: 4.0,
        }
    }
}

/// A cluster session's settings.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub master: MasterUrl,
    /// Speak https to the masters found in ZooKeeper (a fixed master's
    /// URL says its own scheme).
    pub master_https: bool,
    pub detector: DetectorOptions,
    pub driver: DriverConfig,
    pub resources: TaskResources,
    pub retry: RetryPolicy,
    pub speculation: Speculation,
    /// The most cpus the session's leases hold at once (Spark's
    /// `spark.cores.max`); `None`: as many as its jobs can use.
    pub max_cpus: Option<f64>,
    /// Leases are given back after the session has had no job for this long.
    pub idle_timeout: Duration,
    /// A job still running after this long fails (its tasks are killed).
    pub job_timeout: Option<Duration>,
    /// How long `connect` waits for the first subscription.
    pub connect_timeout: Duration,
    /// Offers not needed are declined for this long (work arriving
    /// sooner REVIVEs, which clears the filter).
    pub decline_refuse: Duration,
    /// An executor reading a served partition gives it up (`Unavailable`,
    /// retried) when the data server sends nothing for this long; passed
    /// to each executor in its environment.
    pub data_timeout: Duration,
    /// The framework's `failover_timeout`: the masters remove it (killing
    /// its tasks, shutting its executors down) when the driver has been
    /// gone this long. Replaces `driver.framework.failover_timeout`.
    pub failover_timeout: Duration,
    pub data_server: DataServerConfig,
}

impl ClusterOptions {
    /// Defaults for `master`, serving the executor that sits next to this
    /// program.
    pub fn new(master: MasterUrl, data_server: DataServerConfig) -> ClusterOptions {
        ClusterOptions {
            master,
            master_https: false,
            detector: DetectorOptions::default(),
            driver: DriverConfig::default(),
            resources: TaskResources::default(),
            retry: RetryPolicy::default(),
            speculation: Speculation::default(),
            max_cpus: None,
            idle_timeout: Duration::from_secs(30),
            job_timeout: None,
            connect_timeout: Duration::from_secs(30),
            decline_refuse: Duration::from_secs(30),
            data_timeout: DEFAULT_DATA_TIMEOUT,
            failover_timeout: DEFAULT_FAILOVER_TIMEOUT,
            data_server,
        }
    }

    /// Whether the masters are spoken to over https.
    pub fn speaks_https(&self) -> bool {
        self.master_https || matches!(&self.master, MasterUrl::Fixed(fixed) if fixed.tls)
    }
}
