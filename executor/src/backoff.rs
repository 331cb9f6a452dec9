//! The waits between SUBSCRIBE attempts while the agent is away: the
//! first a random part of the maximum (so executors of a restarted agent
//! do not all call at once), then doubling, never above the maximum.

use std::time::Duration;

/// Shortest wait, so that a zero first draw still doubles.
const MIN_WAIT: Duration = Duration::from_millis(1);

#[derive(Debug, Clone)]
pub struct Backoff {
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(max: Duration) -> Backoff {
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        let first = Duration::from_nanos(rand::random_range(0..=nanos));
        Backoff {
            max,
            next: first.max(MIN_WAIT).min(max),
        }
    }

    /// How long to wait before the next attempt.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).max(MIN_WAIT).min(self.max);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_within_the_maximum_and_double_up_to_it() {
        for _ in 0..100 {
            let max = Duration::from_millis(2000);
            let mut backoff = Backoff::new(max);
            let mut previous = backoff.next_wait();
            assert!(previous <= max, "{previous:?}");
            for _ in 0..20 {
                let wait = backoff.next_wait();
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
    fn a_zero_maximum_never_waits_long() {
        let mut backoff = Backoff::new(Duration::ZERO);
        assert_eq!(backoff.next_wait(), Duration::ZERO);
        assert_eq!(backoff.next_wait(), Duration::ZERO);
    }
}
