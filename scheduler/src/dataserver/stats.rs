//! The data server's counters: requests served, bytes sent, requests
//! rejected. Updated lock-free from the request handlers and body streams.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataServerStats {
    /// Requests answered with 200 (partitions and the executor binary).
    pub served: u64,
    /// Body bytes handed to the connections so far.
    pub bytes_sent: u64,
    /// Requests answered with 404: bad token, path, job, range or method.
    pub rejected: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    served: AtomicU64,
    bytes_sent: AtomicU64,
    rejected: AtomicU64,
}

impl Counters {
    pub(crate) fn served(&self) {
        self.served.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn sent(&self, bytes: usize) {
        self.bytes_sent.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> DataServerStats {
        DataServerStats {
            served: self.served.load(Ordering::Relaxed),
            bytes_sent: self.bytes_sent.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }
}
