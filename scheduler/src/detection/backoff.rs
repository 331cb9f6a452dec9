//! Exponential backoff with jitter, capped: the one retry policy of the
//! detector (reconnecting, re-reading after errors).

use std::time::Duration;

use rand::Rng;

/// How retry delays grow: from `initial`, times `multiplier` per failure,
/// never above `max`; each delay is drawn from the upper half of its step
/// ("equal jitter") so that many clients do not retry in lockstep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffPolicy {
    /// The step of the first retry.
    pub initial: Duration,
    /// The largest step.
    pub max: Duration,
    /// Growth factor per consecutive failure (at least 1).
    pub multiplier: f64,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(15),
            multiplier: 2.0,
        }
    }
}

/// The running state of a [`BackoffPolicy`]: consecutive failures so far.
#[derive(Clone, Debug)]
pub struct Backoff {
    policy: BackoffPolicy,
    failures: u32,
}

impl Backoff {
    /// A fresh backoff following `policy`.
    pub fn new(policy: BackoffPolicy) -> Self {
        Self {
            policy,
            failures: 0,
        }
    }

    /// The un-jittered step after the failures so far.
    pub fn current_step(&self) -> Duration {
        let growth = self
            .policy
            .multiplier
            .max(1.0)
            .powi(self.failures.min(64) as i32);
        let step = self.policy.initial.as_secs_f64() * growth;
        Duration::from_secs_f64(step.min(self.policy.max.as_secs_f64()))
    }

    /// Records a failure and returns how long to wait before retrying:
    /// a random point in the upper half of the current step.
    pub fn next_delay(&mut self) -> Duration {
        let step = self.current_step();
        self.failures = self.failures.saturating_add(1);
        let half = step / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }

    /// Forgets past failures after a success.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_capped_and_reset() {
        let policy = BackoffPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            multiplier: 2.0,
        };
        let mut backoff = Backoff::new(policy);
        let mut expected_step = policy.initial;
        for _ in 0..10 {
            assert_eq!(backoff.current_step(), expected_step);
            let delay = backoff.next_delay();
            assert!(
                delay >= expected_step / 2 && delay <= expected_step,
                "{delay:?}"
            );
            expected_step = (expected_step * 2).min(policy.max);
        }
        assert_eq!(backoff.current_step(), policy.max);
        backoff.reset();
        assert_eq!(backoff.current_step(), policy.initial);
    }
}
