//! The heartbeat watchdog: a subscription that delivers nothing for
//! `missed_heartbeats` heartbeat intervals is treated as dead, because a
//! network partition can leave the TCP connection open but silent. Pure
//! bookkeeping: the caller says what time it is, the driver loop sleeps
//! until `deadline`.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HeartbeatWatchdog {
    window: Duration,
    deadline: Instant,
}

impl HeartbeatWatchdog {
    /// Starts watching at `now` with a silence allowance of `window`.
    pub(crate) fn new(window: Duration, now: Instant) -> Self {
        HeartbeatWatchdog {
            window,
            deadline: now + window,
        }
    }

    /// The allowance for a heartbeat interval announced by the master.
    pub(crate) fn window_for(interval: Duration, missed_heartbeats: u32) -> Duration {
        interval.saturating_mul(missed_heartbeats.max(1))
    }

    /// Changes the allowance (once SUBSCRIBED announces the interval) and
    /// restarts the countdown.
    pub(crate) fn rearm(&mut self, window: Duration, now: Instant) {
        self.window = window;
        self.feed(now);
    }

    /// Something arrived at `now`: the connection is alive.
    pub(crate) fn feed(&mut self, now: Instant) {
        self.deadline = now + self.window;
    }

    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    /// When the silence becomes too long, unless something arrives first.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_interval_times_missed_beats() {
        let w = HeartbeatWatchdog::window_for(Duration::from_secs(15), 5);
        assert_eq!(w, Duration::from_secs(75));
        let w = HeartbeatWatchdog::window_for(Duration::from_millis(200), 0);
        assert_eq!(w, Duration::from_millis(200));
    }

    #[test]
    fn feeding_postpones_the_deadline() {
        let start = Instant::now();
        let mut dog = HeartbeatWatchdog::new(Duration::from_secs(10), start);
        assert_eq!(dog.deadline(), start + Duration::from_secs(10));
        dog.feed(start + Duration::from_secs(8));
        assert_eq!(dog.deadline(), start + Duration::from_secs(18));
    }

    #[test]
    fn rearm_changes_the_window_and_restarts_the_countdown() {
        let start = Instant::now();
        let mut dog = HeartbeatWatchdog::new(Duration::from_secs(100), start);
        dog.rearm(Duration::from_secs(1), start + Duration::from_secs(5));
        assert_eq!(dog.window(), Duration::from_secs(1));
        assert_eq!(dog.deadline(), start + Duration::from_secs(6));
    }
}
