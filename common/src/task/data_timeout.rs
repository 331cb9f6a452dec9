//! The idle timeout on reading a served partition (Spark's
//! `spark.network.timeout` for rmesos): how long an executor waits for the
//! next bytes from the driver's data server before it gives the partition
//! up as `Unavailable`. The driver hands it to each executor in the
//! environment of the executor's `CommandInfo`, as a number of seconds
//! (read back with `duration::Timeout`'s parser, the one of every
//! `RMESOS_*_SECS` setting).

use std::time::Duration;

use crate::duration::Timeout;

/// The environment variable that carries the timeout, on the driver (the
/// user's setting) and on the executor (what the driver passed on).
pub const DATA_TIMEOUT_VARIABLE: &str = "RMESOS_DATA_TIMEOUT_SECS";

/// The timeout when nobody sets one.
pub const DEFAULT_DATA_TIMEOUT: Duration = Duration::from_secs(60);

/// The value the driver puts in the executor's environment: the seconds
/// as the shortest decimal that reads back the same, so that one timeout
/// always gives the same text (and the same `ExecutorInfo`).
pub fn format_data_timeout(timeout: Duration) -> String {
    timeout.as_secs_f64().to_string()
}

/// Reads a timeout (`60`, `2.5`, `30s`: see `Timeout`), above zero. The
/// error says what was wrong with `text`, not which variable it was.
pub fn parse_data_timeout(text: &str) -> Result<Duration, String> {
    text.parse::<Timeout>().map(Timeout::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_reads_back_the_same_timeout() {
        for timeout in [
            DEFAULT_DATA_TIMEOUT,
            Duration::from_secs(1),
            Duration::from_millis(2500),
            Duration::from_millis(250),
        ] {
            let text = format_data_timeout(timeout);
            assert_eq!(parse_data_timeout(&text), Ok(timeout), "{text}");
        }
        assert_eq!(format_data_timeout(DEFAULT_DATA_TIMEOUT), "60");
        assert_eq!(format_data_timeout(Duration::from_millis(2500)), "2.5");
    }

    #[test]
    fn only_positive_finite_seconds_are_timeouts() {
        assert_eq!(parse_data_timeout(" 30 "), Ok(Duration::from_secs(30)));
        assert_eq!(parse_data_timeout("30s"), Ok(Duration::from_secs(30)));
        for bad in [
            "", "soon", "0", "-5", "NaN", "inf", "30secs", "1e400", "1e-12",
        ] {
            let error = parse_data_timeout(bad).unwrap_err();
            assert!(
                error.contains("not a positive number of seconds"),
                "{bad}: {error}"
            );
            assert!(error.contains(&format!("{bad:?}")), "{bad}: {error}");
        }
    }
}
