//! Helpers for driver tests: a scripted master over real loopback HTTP
//! (for protocol corners a full cluster cannot be pushed into), and
//! polling with deadlines.

#![allow(dead_code)]

pub mod scripted_master;

use std::time::Duration;

use rmesos_scheduler::driver::{DriverEvent, DriverEvents};

/// Waits for the first event matching `want`, failing after `timeout`.
/// Events before it are returned too, for assertions about order.
pub async fn next_matching(
    events: &mut DriverEvents,
    timeout: Duration,
    what: &str,
    want: impl Fn(&DriverEvent) -> bool,
) -> (DriverEvent, Vec<DriverEvent>) {
    let mut skipped = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => panic!("timed out after {timeout:?} waiting for {what}; saw {skipped:#?}"),
            Ok(None) => panic!("driver stopped while waiting for {what}; saw {skipped:#?}"),
            Ok(Some(event)) if want(&event) => return (event, skipped),
            Ok(Some(event)) => skipped.push(event),
        }
    }
}

/// Polls `cond` until it holds, failing after `timeout`.
pub async fn wait_until(what: &str, timeout: Duration, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
