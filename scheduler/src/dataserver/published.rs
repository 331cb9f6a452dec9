//! The partitions' source data the server may stream: each job's rows,
//! published under its job id, and the `PublishedRows` guard that makes
//! their URLs and unpublishes them when dropped.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rmesos_common::task::DataUrl;

use super::segment;
use super::shared::Shared;

/// One job's rows as published.
#[derive(Clone)]
pub(crate) struct Published {
    pub(crate) rows: Arc<[f64]>,
    pub(crate) ncols: usize,
    /// Which `publish` call this is, so an old guard never removes a newer
    /// publication of the same job id.
    publication: u64,
}

impl Published {
    pub(crate) fn nrows(&self) -> u64 {
        (self.rows.len() / self.ncols) as u64
    }
}

/// The published jobs by id.
#[derive(Default)]
pub(crate) struct Jobs {
    by_id: Mutex<HashMap<String, Published>>,
    publications: AtomicU64,
}

impl fmt::Debug for Jobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jobs")
            .field("count", &self.lock().len())
            .finish()
    }
}

impl Jobs {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Published>> {
        self.by_id.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self, job_id: &str) -> Option<Published> {
        self.lock().get(job_id).cloned()
    }

    fn insert(&self, job_id: &str, rows: Arc<[f64]>, ncols: usize) -> u64 {
        let publication = self.publications.fetch_add(1, Ordering::Relaxed);
        let published = Published {
            rows,
            ncols,
            publication,
        };
        self.lock().insert(job_id.to_owned(), published);
        publication
    }

    fn remove(&self, job_id: &str, publication: u64) {
        let mut by_id = self.lock();
        if by_id
            .get(job_id)
            .is_some_and(|p| p.publication == publication)
        {
            by_id.remove(job_id);
        }
    }
}

/// A job's rows, servable while this guard lives.
pub struct PublishedRows {
    state: Arc<Shared>,
    job_id: String,
    publication: u64,
    nrows: u64,
}

impl PublishedRows {
    /// Publishes `rows` (row-major, `ncols` per row) as `job_id`,
    /// replacing an earlier publication of that id.
    ///
    /// # Panics
    /// If `ncols` is 0 or does not divide `rows.len()`: the caller's
    /// dataset is malformed.
    pub(crate) fn publish(
        state: Arc<Shared>,
        job_id: &str,
        rows: Arc<[f64]>,
        ncols: usize,
    ) -> PublishedRows {
        assert!(
            ncols > 0 && rows.len().is_multiple_of(ncols),
            "publishing job {job_id}: {} values are not rows of {ncols} columns",
            rows.len()
        );
        let nrows = (rows.len() / ncols) as u64;
        let publication = state.jobs.insert(job_id, rows, ncols);
        PublishedRows {
            state,
            job_id: job_id.to_owned(),
            publication,
            nrows,
        }
    }

    /// The URL that streams rows `rows` (half-open) of this job.
    pub fn url(&self, rows: Range<u64>) -> DataUrl {
        let job = segment::encode(&self.job_id);
        self.state
            .url(&format!("jobs/{job}/rows/{}-{}", rows.start, rows.end))
    }

    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// The number of rows published.
    pub fn nrows(&self) -> u64 {
        self.nrows
    }
}

impl fmt::Debug for PublishedRows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishedRows")
            .field("job_id", &self.job_id)
            .field("nrows", &self.nrows)
            .finish()
    }
}

impl Drop for PublishedRows {
    fn drop(&mut self) {
        self.state.jobs.remove(&self.job_id, self.publication);
    }
}
