//! Truncated exponential backoff with jitter: the one retry policy shared by
//! the scheduler (its transport's `503` retries, the driver's reconnects,
//! the detector) and the executor (re-subscribing to a lost agent).

use std::time::Duration;

use rand::Rng;

/// The shortest first wait of `BackoffPolicy::random_start`.
const MIN_RANDOM_START: Duration = Duration::from_millis(1);

/// The shape of a backoff: `initial * multiplier^n`, capped at `max`, each
/// delay shortened by a random fraction of at most `jitter` so that many
/// schedulers restarted together do not hit a master in lockstep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffPolicy {
    pub initial: Duration,
    pub max: Duration,
    pub multiplier: f64,
    /// In `[0, 1]`: 0 = no jitter, 0.5 = each delay is in `[d/2, d]`.
    pub jitter: f64,
}

impl BackoffPolicy {
    /// The reconnect policy the scheduler API docs recommend: exponential,
    /// capped near 15 s.
    pub fn reconnect() -> Self {
        BackoffPolicy {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(15),
            multiplier: 2.0,
            jitter: 0.5,
        }
    }

    /// Short retries of a master that answered `503` (no leader elected yet,
    /// or still recovering).
    pub fn unavailable() -> Self {
        BackoffPolicy {
            initial: Duration::from_millis(50),
            max: Duration::from_secs(2),
            multiplier: 2.0,
            jitter: 0.5,
        }
    }

    /// The executor's re-subscription waits, as the agent describes them:
    /// the first a random part of `max` (so the executors of a restarted
    /// agent do not all call at once), then doubling, never above `max`.
    pub fn random_start(max: Duration) -> Self {
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        let first = Duration::from_nanos(rand::random_range(0..=nanos));
        BackoffPolicy {
            // Never zero, so that a zero draw still doubles.
            initial: first.max(MIN_RANDOM_START).min(max),
            max,
            multiplier: 2.0,
            jitter: 0.0,
        }
    }

    /// The delay before retry number `attempt` (0-based), given a uniform
    /// random number `unit` in `[0, 1)`.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        // Whole nanoseconds in an f64 are exact up to 104 days, so that
        // without jitter each delay is exactly twice the previous one.
        let max = self.max.as_nanos() as f64;
        let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
        let initial = self.initial.as_nanos() as f64;
        let base = (initial * self.multiplier.max(1.0).powi(exponent)).min(max);
        let jitter = self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        // `as` saturates: a negative or NaN product becomes zero.
        Duration::from_nanos((base * (1.0 - jitter)) as u64)
    }
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self::reconnect()
    }
}

/// A running backoff: counts attempts since the last `reset`.
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: BackoffPolicy,
    attempt: u32,
}

impl Backoff {
    pub fn new(policy: BackoffPolicy) -> Self {
        Backoff { policy, attempt: 0 }
    }

    /// The next delay to wait; each call grows it until the cap.
    pub fn next_delay(&mut self) -> Duration {
        let unit: f64 = rand::rng().random();
        let delay = self.policy.delay(self.attempt, unit);
        self.attempt = self.attempt.saturating_add(1);
        delay
    }

    /// Back to the initial delay (after a connection that worked).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Delays handed out since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    pub fn policy(&self) -> &BackoffPolicy {
        &self.policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_jitter() -> BackoffPolicy {
        BackoffPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            multiplier: 2.0,
            jitter: 0.0,
        }
    }

    #[test]
    fn delays_double_until_the_cap() {
        let policy = no_jitter();
        let delays: Vec<u128> = (0..6).map(|n| policy.delay(n, 0.7).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn huge_attempt_counts_stay_at_the_cap() {
        let policy = no_jitter();
        assert_eq!(policy.delay(u32::MAX, 0.0), Duration::from_secs(1));
    }

    #[test]
    fn jitter_only_shortens_and_stays_within_its_fraction() {
        let policy = BackoffPolicy {
            jitter: 0.5,
            ..no_jitter()
        };
        for unit in [0.0, 0.25, 0.5, 0.999] {
            let d = policy.delay(3, unit);
            assert!(d <= Duration::from_millis(800), "{d:?}");
            assert!(d >= Duration::from_millis(400), "{d:?}");
        }
        assert!(policy.delay(3, 0.9) < policy.delay(3, 0.1));
    }

    #[test]
    fn reconnect_policy_is_capped_near_fifteen_seconds() {
        let policy = BackoffPolicy::reconnect();
        assert_eq!(policy.delay(100, 0.0), Duration::from_secs(15));
    }

    #[test]
    fn random_start_waits_begin_within_the_maximum_and_double_up_to_it() {
        for _ in 0..100 {
            let max = Duration::from_millis(2000);
            let mut backoff = Backoff::new(BackoffPolicy::random_start(max));
            let mut previous = backoff.next_delay();
            assert!(previous <= max, "{previous:?}");
            for _ in 0..20 {
                let wait = backoff.next_delay();
                assert!(wait <= max, "{wait:?}");
                assert!(
                    wait == max || wait == previous * 2,
                    "{previous:?} -> {wait:?}"
                );
                previous = wait;
            }
            assert_eq!(previous, max, "reaches the maximum");
        }
    }

    #[test]
    fn a_zero_random_start_maximum_never_waits() {
        let mut backoff = Backoff::new(BackoffPolicy::random_start(Duration::ZERO));
        assert_eq!(backoff.next_delay(), Duration::ZERO);
        assert_eq!(backoff.next_delay(), Duration::ZERO);
    }

    #[test]
    fn reset_starts_over() {
        let mut backoff = Backoff::new(no_jitter());
        let first = backoff.next_delay();
        backoff.next_delay();
        backoff.next_delay();
        assert_eq!(backoff.attempts(), 3);
        backoff.reset();
        assert_eq!(backoff.attempts(), 0);
        assert_eq!(backoff.next_delay(), first);
    }
}
