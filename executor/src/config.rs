//! The executor's configuration, read from the environment the Mesos agent
//! starts it with (plus the data timeout the driver adds to it), and the
//! parser for Mesos's duration strings (`250ms`, `5secs`, `15mins`, ...).

use std::fmt;
use std::time::Duration;

use rmesos_common::task::{DATA_TIMEOUT_VARIABLE, DEFAULT_DATA_TIMEOUT, parse_data_timeout};
use thiserror::Error;

/// The test-only straggler fault (debug builds only): every partition
/// waits this many milliseconds before it is computed.
pub const PARTITION_DELAY_VARIABLE: &str = "RMESOS_TEST_PARTITION_DELAY_MS";

/// Grace period when the agent does not say (the Mesos default).
pub const DEFAULT_SHUTDOWN_GRACE_PERIOD: Duration = Duration::from_secs(5);

/// Everything the executor needs to know before it subscribes.
#[derive(Debug, Clone)]
pub struct Config {
    pub framework_id: String,
    pub executor_id: String,
    /// `ip:port` of the agent's HTTP API (no scheme).
    pub agent_endpoint: String,
    /// With checkpointing, how to ride out the agent's absence; without it
    /// (`None`), losing the agent ends the executor.
    pub recovery: Option<Recovery>,
    /// How long the agent waits after SHUTDOWN before killing us.
    pub shutdown_grace_period: Duration,
    /// Sent as `Authorization: Bearer ...` when the agent requires it.
    pub auth_token: Option<AuthToken>,
    /// A served partition that sends nothing for this long fails
    /// (`RMESOS_DATA_TIMEOUT_SECS`, set by the driver; default 60 s).
    pub data_timeout: Duration,
    /// Test builds only: every partition waits this long before it is
    /// computed (`RMESOS_TEST_PARTITION_DELAY_MS`), to make stragglers.
    /// Release builds never read the variable.
    pub partition_delay: Option<Duration>,
}

/// Reconnecting to a restarted agent (the framework checkpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    /// Give up when the agent has been gone this long.
    pub timeout: Duration,
    /// Upper bound of each wait between SUBSCRIBE attempts.
    pub backoff_max: Duration,
}

/// The executor authentication token: shown nowhere, not even in `Debug`.
#[derive(Clone)]
pub struct AuthToken(String);

impl AuthToken {
    /// The token itself, only for the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(***)")
    }
}

/// A missing or unusable environment variable.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("environment variable {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

/// A string that is not a Mesos duration.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DurationError {
    #[error("{0:?} does not start with a number (expected e.g. \"5secs\" or \"250ms\")")]
    NoNumber(String),
    #[error("{0:?} has no unit (one of ns, us, ms, secs, mins, hrs, days, weeks)")]
    NoUnit(String),
    #[error("{text:?} has unknown unit {unit:?} (one of ns, us, ms, secs, mins, hrs, days, weeks)")]
    UnknownUnit { text: String, unit: String },
    #[error("{0:?} is negative or too large")]
    OutOfRange(String),
}

/// Parses a Mesos duration: a non-negative decimal number followed
/// directly by a unit, e.g. `15mins`, `250ms`, `1.5secs`.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| DurationError::NoNumber(text.to_owned()))?;
    let seconds_per_unit = match unit.trim() {
        "" => return Err(DurationError::NoUnit(text.to_owned())),
        "ns" => 1e-9,
        "us" => 1e-6,
        "ms" => 1e-3,
        "secs" => 1.0,
        "mins" => 60.0,
        "hrs" => 3600.0,
        "days" => 86_400.0,
        "weeks" => 604_800.0,
        other => {
            return Err(DurationError::UnknownUnit {
                text: text.to_owned(),
                unit: other.to_owned(),
            });
        }
    };
    Duration::try_from_secs_f64(value * seconds_per_unit)
        .map_err(|_| DurationError::OutOfRange(text.to_owned()))
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map
    /// in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let required = |variable: &'static str| {
            lookup(variable)
                .filter(|value| !value.trim().is_empty())
                .ok_or_else(|| ConfigError {
                    variable,
                    problem: "not set (the Mesos agent sets it when it starts an executor)".into(),
                })
        };
        let duration = |variable: &'static str, value: String| {
            parse_duration(&value).map_err(|e| ConfigError {
                variable,
                problem: e.to_string(),
            })
        };
        let framework_id = required("MESOS_FRAMEWORK_ID")?;
        let executor_id = required("MESOS_EXECUTOR_ID")?;
        let agent_endpoint = required("MESOS_AGENT_ENDPOINT")?;
        check_endpoint(&agent_endpoint)?;
        let checkpoint = match lookup("MESOS_CHECKPOINT").as_deref().map(str::trim) {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(other) => {
                return Err(ConfigError {
                    variable: "MESOS_CHECKPOINT",
                    problem: format!("{other:?} is neither \"1\" nor \"0\""),
                });
            }
        };
        let recovery = if checkpoint {
            Some(Recovery {
                timeout: duration(
                    "MESOS_RECOVERY_TIMEOUT",
                    required("MESOS_RECOVERY_TIMEOUT")?,
                )?,
                backoff_max: duration(
                    "MESOS_SUBSCRIPTION_BACKOFF_MAX",
                    required("MESOS_SUBSCRIPTION_BACKOFF_MAX")?,
                )?,
            })
        } else {
            None
        };
        let shutdown_grace_period = match lookup("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD") {
            Some(value) => duration("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", value)?,
            None => DEFAULT_SHUTDOWN_GRACE_PERIOD,
        };
        let auth_token = lookup("MESOS_EXECUTOR_AUTHENTICATION_TOKEN")
            .filter(|token| !token.is_empty())
            .map(AuthToken);
        // Empty is unset, as on the driver.
        let data_timeout = match lookup(DATA_TIMEOUT_VARIABLE).filter(|v| !v.trim().is_empty()) {
            Some(value) => parse_data_timeout(&value).map_err(|problem| ConfigError {
                variable: DATA_TIMEOUT_VARIABLE,
                problem,
            })?,
            None => DEFAULT_DATA_TIMEOUT,
        };
        let partition_delay = partition_delay(&lookup)?;
        Ok(Config {
            framework_id,
            executor_id,
            agent_endpoint,
            recovery,
            shutdown_grace_period,
            auth_token,
            data_timeout,
            partition_delay,
        })
    }

    /// The executor API URL on the agent.
    pub fn executor_api_url(&self) -> String {
        format!("http://{}/api/v1/executor", self.agent_endpoint)
    }
}

/// The straggler fault of test builds: `RMESOS_TEST_PARTITION_DELAY_MS`.
#[cfg(debug_assertions)]
fn partition_delay(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Duration>, ConfigError> {
    let Some(value) = lookup(PARTITION_DELAY_VARIABLE).filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let millis: u64 = value.trim().parse().map_err(|_| ConfigError {
        variable: PARTITION_DELAY_VARIABLE,
        problem: format!("{value:?} is not a whole number of milliseconds"),
    })?;
    Ok(Some(Duration::from_millis(millis)))
}

/// Release builds have no faults.
#[cfg(not(debug_assertions))]
fn partition_delay(
    _lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Duration>, ConfigError> {
    Ok(None)
}

/// `host:port` with a numeric port, and no scheme or path.
fn check_endpoint(endpoint: &str) -> Result<(), ConfigError> {
    let problem = |why: &str| ConfigError {
        variable: "MESOS_AGENT_ENDPOINT",
        problem: format!("{endpoint:?} {why} (expected ip:port, e.g. 10.0.0.5:5051)"),
    };
    if endpoint.contains('/') {
        return Err(problem("has a scheme or path"));
    }
    let Some((host, port)) = endpoint.rsplit_once(':') else {
        return Err(problem("has no port"));
    };
    if host.is_empty() {
        return Err(problem("has no host"));
    }
    if port.parse::<u16>().is_err() {
        return Err(problem("has no valid port"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn parses_every_mesos_unit() {
        let cases = [
            ("15mins", Duration::from_secs(900)),
            ("250ms", Duration::from_millis(250)),
            ("5secs", Duration::from_secs(5)),
            ("2secs", Duration::from_secs(2)),
            ("1hrs", Duration::from_secs(3600)),
            ("3days", Duration::from_secs(3 * 86_400)),
            ("1weeks", Duration::from_secs(604_800)),
            ("10us", Duration::from_micros(10)),
            ("7ns", Duration::from_nanos(7)),
            ("1.5secs", Duration::from_millis(1500)),
            ("0secs", Duration::ZERO),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        assert!(matches!(parse_duration("5"), Err(DurationError::NoUnit(_))));
        assert!(matches!(
            parse_duration("secs"),
            Err(DurationError::NoNumber(_))
        ));
        assert!(matches!(
            parse_duration(""),
            Err(DurationError::NoNumber(_))
        ));
        assert!(matches!(
            parse_duration("-5secs"),
            Err(DurationError::NoNumber(_))
        ));
        assert!(matches!(
            parse_duration("1.2.3secs"),
            Err(DurationError::NoNumber(_))
        ));
        let unknown = parse_duration("5s").unwrap_err();
        assert!(
            unknown.to_string().contains("unknown unit \"s\""),
            "{unknown}"
        );
        assert!(matches!(
            parse_duration("1e3secs"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_duration("99999999999999999999999weeks"),
            Err(DurationError::OutOfRange(_))
        ));
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const BASE: [(&str, &str); 3] = [
        ("MESOS_FRAMEWORK_ID", "fw-1"),
        ("MESOS_EXECUTOR_ID", "ex-1"),
        ("MESOS_AGENT_ENDPOINT", "127.0.0.1:5051"),
    ];

    #[test]
    fn reads_a_checkpointing_agent_environment() {
        let mut pairs = BASE.to_vec();
        pairs.extend([
            ("MESOS_CHECKPOINT", "1"),
            ("MESOS_RECOVERY_TIMEOUT", "15mins"),
            ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "2secs"),
            ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "3secs"),
            ("MESOS_EXECUTOR_AUTHENTICATION_TOKEN", "s3cr3t"),
        ]);
        let config = Config::from_lookup(env(&pairs)).unwrap();
        assert_eq!(config.framework_id, "fw-1");
        assert_eq!(
            config.recovery,
            Some(Recovery {
                timeout: Duration::from_secs(900),
                backoff_max: Duration::from_secs(2),
            })
        );
        assert_eq!(config.shutdown_grace_period, Duration::from_secs(3));
        assert_eq!(config.auth_token.as_ref().unwrap().expose(), "s3cr3t");
        assert!(!format!("{config:?}").contains("s3cr3t"));
        assert_eq!(
            config.executor_api_url(),
            "http://127.0.0.1:5051/api/v1/executor"
        );
    }

    #[test]
    fn without_checkpointing_recovery_is_off_and_grace_defaults() {
        let mut pairs = BASE.to_vec();
        pairs.push(("MESOS_CHECKPOINT", "0"));
        let config = Config::from_lookup(env(&pairs)).unwrap();
        assert_eq!(config.recovery, None);
        assert_eq!(config.shutdown_grace_period, DEFAULT_SHUTDOWN_GRACE_PERIOD);
        assert!(config.auth_token.is_none());
        assert_eq!(config.data_timeout, DEFAULT_DATA_TIMEOUT);
    }

    #[test]
    fn the_data_timeout_comes_from_the_driver_and_must_be_positive_seconds() {
        let mut pairs = BASE.to_vec();
        pairs.push(("RMESOS_DATA_TIMEOUT_SECS", "2.5"));
        let config = Config::from_lookup(env(&pairs)).unwrap();
        assert_eq!(config.data_timeout, Duration::from_millis(2500));

        let mut pairs = BASE.to_vec();
        pairs.push(("RMESOS_DATA_TIMEOUT_SECS", " "));
        let config = Config::from_lookup(env(&pairs)).unwrap();
        assert_eq!(config.data_timeout, DEFAULT_DATA_TIMEOUT, "empty is unset");

        for bad in ["soon", "0", "-1", "30secs", "NaN"] {
            let mut pairs = BASE.to_vec();
            pairs.push(("RMESOS_DATA_TIMEOUT_SECS", bad));
            let err = Config::from_lookup(env(&pairs)).unwrap_err();
            assert_eq!(err.variable, "RMESOS_DATA_TIMEOUT_SECS", "{bad}");
            let text = err.to_string();
            assert!(
                text.starts_with("environment variable RMESOS_DATA_TIMEOUT_SECS: "),
                "{text}"
            );
            assert!(text.contains(&format!("{bad:?}")), "{text}");
            assert!(text.contains("not a positive number of seconds"), "{text}");
        }
    }

    #[test]
    fn the_partition_delay_fault_exists_in_debug_builds_only() {
        let mut pairs = BASE.to_vec();
        pairs.push((PARTITION_DELAY_VARIABLE, "250"));
        let config = Config::from_lookup(env(&pairs)).unwrap();
        let expected = cfg!(debug_assertions).then_some(Duration::from_millis(250));
        assert_eq!(config.partition_delay, expected);
        assert_eq!(
            Config::from_lookup(env(&BASE)).unwrap().partition_delay,
            None
        );
        let mut pairs = BASE.to_vec();
        pairs.push((PARTITION_DELAY_VARIABLE, "soon"));
        let result = Config::from_lookup(env(&pairs));
        assert_eq!(result.is_err(), cfg!(debug_assertions), "{result:?}");
    }

    #[test]
    fn errors_name_the_variable() {
        let err = Config::from_lookup(env(&BASE[..2])).unwrap_err();
        assert_eq!(err.variable, "MESOS_AGENT_ENDPOINT");
        assert!(err.to_string().contains("not set"), "{err}");

        let mut pairs = BASE.to_vec();
        pairs[2].1 = "http://127.0.0.1:5051";
        let err = Config::from_lookup(env(&pairs)).unwrap_err();
        assert_eq!(err.variable, "MESOS_AGENT_ENDPOINT");

        let mut pairs = BASE.to_vec();
        pairs.extend([
            ("MESOS_CHECKPOINT", "1"),
            ("MESOS_RECOVERY_TIMEOUT", "15mins"),
        ]);
        let err = Config::from_lookup(env(&pairs)).unwrap_err();
        assert_eq!(err.variable, "MESOS_SUBSCRIPTION_BACKOFF_MAX");

        let mut pairs = BASE.to_vec();
        pairs.push(("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "soon"));
        let err = Config::from_lookup(env(&pairs)).unwrap_err();
        assert_eq!(err.variable, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD");
        assert!(err.to_string().contains("\"soon\""), "{err}");

        let mut pairs = BASE.to_vec();
        pairs.push(("MESOS_CHECKPOINT", "yes"));
        let err = Config::from_lookup(env(&pairs)).unwrap_err();
        assert_eq!(err.variable, "MESOS_CHECKPOINT");
    }
}
