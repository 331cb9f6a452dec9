//! The heartbeat watchdog: a subscription that delivers nothing for
//! `missed_heartbeats` heartbeat intervals is treated as dead, because a
//! network partition can leave the TCP connection open but silent.

use std::time::Duration;

use tokio::time::Instant;

pub(crate) struct HeartbeatWatchdog {
    window: Duration,
    deadline: Instant,
}

impl HeartbeatWatchdog {
    /// Starts watching with a silence allowance of `window`.
    pub(crate) fn new(window: Duration) -> Self {
        HeartbeatWatchdog {
            window,
            deadline: Instant::now() + window,
        }
    }

    /// The allowance for a heartbeat interval announced by the master.
    pub(crate) fn window_for(interval: Duration, missed_heartbeats: u32) -> Duration {
        interval.saturating_mul(missed_heartbeats.max(1))
    }

    /// Changes the allowance (once SUBSCRIBED announces the interval) and
    /// restarts the countdown.
    pub(crate) fn rearm(&mut self, window: Duration) {
        self.window = window;
        self.feed();
    }

    /// Something arrived: the connection is alive.
    pub(crate) fn feed(&mut self) {
        self.deadline = Instant::now() + self.window;
    }

    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    /// Resolves when the allowance has run out since the last feed.
    pub(crate) async fn expired(&self) {
        tokio::time::sleep_until(self.deadline).await;
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

    #[tokio::test(start_paused = true)]
    async fn feeding_postpones_expiry() {
        let mut dog = HeartbeatWatchdog::new(Duration::from_secs(10));
        tokio::time::advance(Duration::from_secs(8)).await;
        dog.feed();
        tokio::time::advance(Duration::from_secs(8)).await;
        let early = tokio::time::timeout(Duration::from_secs(1), dog.expired()).await;
        assert!(
            early.is_err(),
            "fed 8 s ago with a 10 s window: not expired at 9 s"
        );
        tokio::time::timeout(Duration::from_secs(2), dog.expired())
            .await
            .expect("expires 10 s after the last feed");
    }

    #[tokio::test(start_paused = true)]
    async fn rearm_changes_the_window() {
        let mut dog = HeartbeatWatchdog::new(Duration::from_secs(100));
        dog.rearm(Duration::from_secs(1));
        assert_eq!(dog.window(), Duration::from_secs(1));
        tokio::time::timeout(Duration::from_millis(1100), dog.expired())
            .await
            .expect("expires after the new 1 s window");
    }
}
