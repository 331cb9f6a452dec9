//! Reconciliation after each (re)subscribe: every task the master knows
//! (implicit) once, and the in-flight tasks (explicit) again and again,
//! with truncated exponential backoff, until each has had a status update
//! since reconciliation began. A master that has just taken over may not
//! know a task until its agent re-registers, so one request is not enough.

use rmesos_common::wire::v1::FrameworkId;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::calls;
use super::inflight::InFlight;
use crate::transport::{Backoff, BackoffPolicy, HttpTransport};

/// A running reconciliation; dropping it stops it (a newer subscription
/// starts its own).
pub(crate) struct Reconciliation(JoinHandle<()>);

impl Drop for Reconciliation {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Reconciliation {
    pub(crate) fn start(
        transport: HttpTransport,
        in_flight: InFlight,
        framework_id: FrameworkId,
        retry: BackoffPolicy,
        implicit: bool,
    ) -> Self {
        Reconciliation(tokio::spawn(async move {
            let start = Instant::now();
            let mut backoff = Backoff::new(retry);
            let mut first_round = true;
            loop {
                let remaining = in_flight.unanswered_since(start);
                if !remaining.is_empty() {
                    tracing::info!(
                        tasks = remaining.len(),
                        round = backoff.attempts() + 1,
                        "reconciling in-flight tasks"
                    );
                    send(&transport, calls::reconcile(&framework_id, remaining)).await;
                }
                if first_round && implicit {
                    send(&transport, calls::reconcile(&framework_id, Vec::new())).await;
                }
                first_round = false;
                tokio::time::sleep(backoff.next_delay()).await;
                if in_flight.unanswered_since(start).is_empty() {
                    return;
                }
            }
        }))
    }
}

async fn send(transport: &HttpTransport, call: rmesos_common::wire::v1::scheduler::Call) {
    if let Err(err) = transport.send_call(&call).await {
        tracing::warn!(error = %err, "reconciliation call failed");
    }
}
