//! The partitions' source data the server may stream: each job's rows,
//! published under its job id with a random token of that publication
//! alone, and the `PublishedRows` guard that makes their URLs and
//! unpublishes them (the token dies with them) when dropped.
//!
//! Rows URLs carry the job's token, not the session's: a rows URL seen
//! where it should not be (an executor's log, say) exposes one job's rows
//! while that job runs and nothing else, and the session token need not
//! travel in partition specs.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rmesos_common::task::DataUrl;

use super::segment;
use super::shared::Shared;
use super::token::Token;

/// One job's rows as published.
#[derive(Clone)]
pub(crate) struct Published {
    pub(crate) rows: Arc<[f64]>,
    pub(crate) ncols: usize,
    /// The first path segment of this publication's URLs.
    pub(crate) token: Token,
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

    fn insert(&self, job_id: &str, rows: Arc<[f64]>, ncols: usize, token: Token) -> u64 {
        let publication = self.publications.fetch_add(1, Ordering::Relaxed);
        let published = Published {
            rows,
            ncols,
            token,
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
    token: Token,
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
        let token = Token::generate();
        let publication = state.jobs.insert(job_id, rows, ncols, token.clone());
        PublishedRows {
            state,
            job_id: job_id.to_owned(),
            token,
            publication,
            nrows,
        }
    }

    /// The URL that streams rows `rows` (half-open) of this job, under
    /// the job's token: only for executors, over their channels.
    pub fn url(&self, rows: Range<u64>) -> DataUrl {
        let job = segment::encode(&self.job_id);
        let path = format!("jobs/{job}/rows/{}-{}", rows.start, rows.end);
        self.state.url_under(&self.token, &path)
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
