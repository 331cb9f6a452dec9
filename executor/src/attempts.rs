//! The attempts the driver assigned over the channel: each one's
//! computation (`compute::compute`, after the straggler delay of test
//! builds), the means to stop it, and which attempts ended recently (so
//! that an assignment sent twice is computed and reported once).

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use rmesos_common::partition::PartitionSpec;
use rmesos_common::stats::ColumnSummary;
use rmesos_common::task::TaskFailure;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::compute;
use crate::served::DataClient;

/// Ended attempts remembered, to ignore a repeated assignment.
const REMEMBERED: usize = 4096;

/// An attempt's computation has ended.
#[derive(Debug)]
pub struct Outcome {
    pub attempt: u64,
    pub serial: u64,
    pub result: Result<ColumnSummary, TaskFailure>,
}

/// An attempt being computed.
#[derive(Debug)]
pub struct LiveAttempt {
    /// Tells the partition what it is (job, partition, source), for logs.
    pub description: String,
    pub started: Instant,
    /// Tells this assignment's outcome from that of a cancelled one.
    serial: u64,
    cancel: CancellationToken,
    work: JoinHandle<()>,
}

impl LiveAttempt {
    /// Stops the work: the async part is aborted, a served stream is
    /// ended; a blocking file read may finish in the background, but its
    /// result has nowhere to go.
    fn stop(&self) {
        self.cancel.cancel();
        self.work.abort();
    }
}

/// What a new attempt's computation needs.
pub struct Work {
    pub data: DataClient,
    /// Test builds' straggler fault.
    pub delay: Option<Duration>,
    pub outcomes: mpsc::UnboundedSender<Outcome>,
}

#[derive(Debug, Default)]
pub struct AttemptBook {
    live: HashMap<u64, LiveAttempt>,
    ended: HashSet<u64>,
    ended_order: VecDeque<u64>,
    next_serial: u64,
}

impl AttemptBook {
    pub fn new() -> AttemptBook {
        AttemptBook::default()
    }

    /// Whether `attempt` is being computed or ended lately.
    pub fn knows(&self, attempt: u64) -> bool {
        self.live.contains_key(&attempt) || self.ended.contains(&attempt)
    }

    /// Starts computing `spec` as `attempt`; its outcome goes to
    /// `work.outcomes`.
    pub fn start(&mut self, attempt: u64, spec: PartitionSpec, work: &Work) {
        self.next_serial += 1;
        let serial = self.next_serial;
        let cancel = CancellationToken::new();
        let (data, delay, outcomes) = (work.data.clone(), work.delay, work.outcomes.clone());
        let description = compute::describe(&spec);
        let stop = cancel.clone();
        let handle = tokio::spawn(async move {
            if let Some(delay) = delay {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(delay) => {}
                }
            }
            let result = compute::compute(&spec, &data, stop).await;
            let _ = outcomes.send(Outcome {
                attempt,
                serial,
                result,
            });
        });
        self.live.insert(
            attempt,
            LiveAttempt {
                description,
                started: Instant::now(),
                serial,
                cancel,
                work: handle,
            },
        );
    }

    /// The attempt of `outcome` has ended by itself; `None` when it was
    /// cancelled meanwhile, so the outcome must be dropped.
    pub fn finish(&mut self, outcome: &Outcome) -> Option<LiveAttempt> {
        if self.live.get(&outcome.attempt)?.serial != outcome.serial {
            return None;
        }
        let attempt = self.live.remove(&outcome.attempt)?;
        self.remember(outcome.attempt);
        Some(attempt)
    }

    /// Stops `attempt`; `None` when it is not being computed.
    pub fn cancel(&mut self, attempt: u64) -> Option<LiveAttempt> {
        let live = self.live.remove(&attempt)?;
        live.stop();
        self.remember(attempt);
        Some(live)
    }

    /// Stops every attempt; returns how many there were.
    pub fn cancel_all(&mut self) -> usize {
        let attempts: Vec<u64> = self.live.keys().copied().collect();
        attempts.iter().filter_map(|&a| self.cancel(a)).count()
    }

    pub fn running(&self) -> usize {
        self.live.len()
    }

    fn remember(&mut self, attempt: u64) {
        if self.ended.insert(attempt) {
            self.ended_order.push_back(attempt);
        }
        while self.ended_order.len() > REMEMBERED {
            if let Some(oldest) = self.ended_order.pop_front() {
                self.ended.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rmesos_common::partition::PartitionSource;

    use super::*;

    fn work(delay: Option<Duration>) -> (Work, mpsc::UnboundedReceiver<Outcome>) {
        let (outcomes, received) = mpsc::unbounded_channel();
        let data = DataClient::new(reqwest::Client::new(), Duration::from_secs(1));
        (
            Work {
                data,
                delay,
                outcomes,
            },
            received,
        )
    }

    fn missing_file(partition_id: u32) -> PartitionSpec {
        PartitionSpec {
            job_id: "j".into(),
            partition_id,
            source: PartitionSource::NpyRows {
                path: "/nonexistent/x.npy".into(),
                rows: 0..1,
            },
            request: Default::default(),
        }
    }

    #[tokio::test]
    async fn an_outcome_is_taken_once_and_the_attempt_remembered() {
        let (work, mut outcomes) = work(None);
        let mut book = AttemptBook::new();
        book.start(7, missing_file(1), &work);
        assert!(book.knows(7));
        let outcome = outcomes.recv().await.unwrap();
        assert_eq!(outcome.attempt, 7);
        assert!(outcome.result.is_err());
        assert!(book.finish(&outcome).is_some());
        assert!(book.finish(&outcome).is_none(), "taken once");
        assert_eq!(book.running(), 0);
        assert!(book.knows(7), "an assignment sent again is ignored");
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_attempt_never_reports_even_while_delayed() {
        let (work, mut outcomes) = work(Some(Duration::from_secs(5)));
        let mut book = AttemptBook::new();
        book.start(1, missing_file(1), &work);
        book.start(2, missing_file(2), &work);
        assert!(book.cancel(1).is_some());
        assert!(book.cancel(1).is_none());
        assert_eq!(book.running(), 1);
        let outcome = outcomes.recv().await.unwrap();
        assert_eq!(outcome.attempt, 2, "only the live one ends");
        assert!(book.finish(&outcome).is_some());
        book.start(3, missing_file(3), &work);
        assert_eq!(book.cancel_all(), 1);
        drop(work);
        assert!(outcomes.recv().await.is_none(), "nothing more comes");
    }

    #[test]
    fn only_recent_attempts_are_remembered() {
        let mut book = AttemptBook::new();
        for attempt in 0..(REMEMBERED as u64 + 10) {
            book.remember(attempt);
        }
        assert!(!book.knows(0));
        assert!(book.knows(REMEMBERED as u64 + 9));
        assert_eq!(book.ended.len(), REMEMBERED);
    }
}
