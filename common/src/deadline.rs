//! Waiting for a deadline that may not be set: the timer branch of the
//! event loops (driver, job engine, executor), which must simply never
//! fire while there is nothing to wait for.

use tokio::time::Instant;

/// Sleeps until `deadline`, or forever without one.
pub async fn sleep_until(deadline: Option<Instant>) {
    due(deadline.map(|at| (at, ()))).await;
}

/// Sleeps until the deadline of `timer`, then hands back what it is for
/// (so a loop with several deadlines knows which one passed); forever
/// without one.
pub async fn due<T>(timer: Option<(Instant, T)>) -> T {
    match timer {
        Some((deadline, which)) => {
            tokio::time::sleep_until(deadline).await;
            which
        }
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_set_deadline_fires_and_none_never_does() {
        let at = Instant::now() + Duration::from_secs(3);
        tokio::time::timeout(Duration::from_secs(4), sleep_until(Some(at)))
            .await
            .expect("fires at its deadline");
        assert!(Instant::now() >= at);
        let never = tokio::time::timeout(Duration::from_secs(3600), sleep_until(None)).await;
        assert!(never.is_err(), "no deadline: still waiting after an hour");
    }

    #[tokio::test(start_paused = true)]
    async fn a_due_timer_says_which_it_was() {
        let at = Instant::now() + Duration::from_secs(2);
        let which = tokio::time::timeout(Duration::from_secs(3), due(Some((at, "retry"))))
            .await
            .expect("fires at its deadline");
        assert_eq!(which, "retry");
        assert!(Instant::now() >= at);
    }
}
