//! `Timeout`: the one type of every duration a user sets (the job,
//! connect, data and failover timeouts, from the command line, the
//! environment or Python), and its one parser.
//!
//! A timeout is written as a number of seconds (`30`, `2.5`) or as a
//! number with its unit (`500ms`, `30s`, `2m`, `1h`). It is a length above
//! zero: `0` (in any unit) is refused with the same message as any other
//! bad value, on every front, so that `0` never quietly means "the
//! default", "no limit" or "at once". A setting that may have no limit at
//! all (the job timeout) says so by being left out.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The forms a timeout is written in, for messages and help texts.
pub const TIMEOUT_FORMS: &str = "30, 2.5, 500ms, 30s, 2m or 1h";

/// A length of time above zero, as users set timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timeout(Duration);

impl Timeout {
    /// `duration` as a timeout; `None` when it is zero.
    pub fn new(duration: Duration) -> Option<Timeout> {
        (!duration.is_zero()).then_some(Timeout(duration))
    }

    pub fn get(self) -> Duration {
        self.0
    }
}

impl From<Timeout> for Duration {
    fn from(timeout: Timeout) -> Duration {
        timeout.0
    }
}

/// The units a number may carry, longest suffix first (`ms` before `s`),
/// as seconds per unit.
const UNITS: [(&str, f64); 4] = [("ms", 1e-3), ("s", 1.0), ("m", 60.0), ("h", 3600.0)];

impl FromStr for Timeout {
    type Err = String;

    /// `30`, `2.5` (seconds), `500ms`, `30s`, `2m`, `1h`; surrounding
    /// spaces are ignored. The message quotes `text` and says the forms.
    fn from_str(text: &str) -> Result<Timeout, String> {
        let problem = || {
            format!(
                "{text:?} is not a positive number of seconds nor a length with its unit \
                 ({TIMEOUT_FORMS})"
            )
        };
        let trimmed = text.trim();
        let (number, per_unit) = UNITS
            .iter()
            .find_map(|(suffix, seconds)| {
                trimmed
                    .strip_suffix(suffix)
                    .map(|number| (number.trim_end(), *seconds))
            })
            .unwrap_or((trimmed, 1.0));
        // Only plain decimals: no "inf", "NaN", signs or exponents.
        let plain = !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit() || c == '.')
            && number.chars().filter(|&c| c == '.').count() <= 1
            && number != ".";
        if !plain {
            return Err(problem());
        }
        let value: f64 = number.parse().map_err(|_| problem())?;
        Duration::try_from_secs_f64(value * per_unit)
            .ok()
            .and_then(Timeout::new)
            .ok_or_else(problem)
    }
}

impl fmt::Display for Timeout {
    /// Whole milliseconds below a second (`500ms`), else seconds
    /// (`30s`, `2.5s`): text that reads back the same timeout.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let duration = self.0;
        if duration < Duration::from_secs(1) && duration.subsec_nanos().is_multiple_of(1_000_000) {
            write!(f, "{}ms", duration.as_millis())
        } else {
            write!(f, "{}s", duration.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Duration, String> {
        text.parse::<Timeout>().map(Timeout::get)
    }

    #[test]
    fn seconds_and_lengths_with_units() {
        let cases = [
            ("30", Duration::from_secs(30)),
            (" 2.5 ", Duration::from_millis(2500)),
            ("500ms", Duration::from_millis(500)),
            ("30s", Duration::from_secs(30)),
            ("30 s", Duration::from_secs(30)),
            ("2m", Duration::from_secs(120)),
            ("1h", Duration::from_secs(3600)),
            ("0.5m", Duration::from_secs(30)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn zero_and_everything_else_is_refused_with_the_forms() {
        for bad in [
            "", "0", "0s", "0ms", "-5", "+5", "NaN", "inf", "1e3", "soon", "30secs", "2 m 3", ".",
            "1e400", "1.2.3", "ms",
        ] {
            let error = parse(bad).unwrap_err();
            assert!(
                error.starts_with(&format!("{bad:?} is not")),
                "{bad}: {error}"
            );
            assert!(error.contains(TIMEOUT_FORMS), "{bad}: {error}");
        }
    }

    #[test]
    fn display_reads_back_the_same_timeout() {
        for millis in [1, 250, 999, 1000, 2500, 60_000, 300_000, 3_600_000] {
            let timeout = Timeout::new(Duration::from_millis(millis)).unwrap();
            assert_eq!(timeout.to_string().parse(), Ok(timeout), "{timeout}");
        }
        let shown = |millis| {
            Timeout::new(Duration::from_millis(millis))
                .unwrap()
                .to_string()
        };
        assert_eq!(shown(500), "500ms");
        assert_eq!(shown(60_000), "60s");
        assert_eq!(shown(2_500), "2.5s");
        assert_eq!(Timeout::new(Duration::ZERO), None);
    }
}
