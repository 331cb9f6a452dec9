//! `SharedCluster`: a session's one `BlockingCluster`, used by the jobs of
//! any Python thread and taken by `stop()`.
//!
//! Its lock is held only for a moment (to clone or take the cluster),
//! never across a job: a job runs on its own clone and takes the GIL every
//! 100 ms, so a thread that holds the GIL and wants the cluster (`stop()`
//! at interpreter exit, `frameworkId`) must never wait for a job to end
//! while holding that lock. `stop()` marks the cluster stopping (running
//! jobs see it at their next poll and cancel themselves), waits without
//! the GIL until they have let go, then tears the framework down.

use std::cell::Cell;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rmesos_scheduler::cluster::BlockingCluster;

thread_local! {
    /// Jobs this thread is running, of any session. Python code runs inside
    /// a job (progress callbacks, signal handlers at the Ctrl-C check), and
    /// a `stop()` called there must not wait for that very job.
    static JOBS_ON_THIS_THREAD: Cell<usize> = const { Cell::new(0) };
}

/// Whether this thread is inside a job.
pub fn in_job() -> bool {
    JOBS_ON_THIS_THREAD.get() > 0
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub struct SharedCluster {
    /// `None` once stopped.
    cluster: Mutex<Option<Arc<BlockingCluster>>>,
    /// Jobs holding a clone; `idle` is notified as each ends.
    running: Mutex<usize>,
    idle: Condvar,
    stopping: AtomicBool,
}

/// A job's hold on the cluster, counted until dropped. Fields drop in
/// order: the clone goes before the count, so once `running` is 0 the
/// stopping thread holds the only reference.
pub struct JobSlot<'a> {
    cluster: Arc<BlockingCluster>,
    _counted: RunningJob<'a>,
}

impl Deref for JobSlot<'_> {
    type Target = BlockingCluster;

    fn deref(&self) -> &BlockingCluster {
        &self.cluster
    }
}

/// One job counted in `running` (and on this thread) until dropped.
struct RunningJob<'a> {
    owner: &'a SharedCluster,
}

impl Drop for RunningJob<'_> {
    fn drop(&mut self) {
        JOBS_ON_THIS_THREAD.set(JOBS_ON_THIS_THREAD.get().saturating_sub(1));
        *lock(&self.owner.running) -= 1;
        self.owner.idle.notify_all();
    }
}

impl SharedCluster {
    pub fn new(cluster: BlockingCluster) -> SharedCluster {
        SharedCluster {
            cluster: Mutex::new(Some(Arc::new(cluster))),
            running: Mutex::new(0),
            idle: Condvar::new(),
            stopping: AtomicBool::new(false),
        }
    }

    /// A hold on the cluster for one job; `None` once stopped.
    pub fn enter(&self) -> Option<JobSlot<'_>> {
        let guard = lock(&self.cluster);
        let cluster = Arc::clone(guard.as_ref()?);
        *lock(&self.running) += 1;
        drop(guard);
        JOBS_ON_THIS_THREAD.set(JOBS_ON_THIS_THREAD.get() + 1);
        Some(JobSlot {
            cluster,
            _counted: RunningJob { owner: self },
        })
    }

    /// `f` of the cluster, unless stopped (for quick reads: the framework
    /// id, the status page's URL).
    pub fn with<T>(&self, f: impl FnOnce(&BlockingCluster) -> T) -> Option<T> {
        let cluster = lock(&self.cluster).clone()?;
        Some(f(&cluster))
    }

    /// Whether `stop` was called: running jobs cancel themselves.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Takes the cluster for stopping (`None` when already taken); from
    /// now on running jobs cancel themselves and new ones are refused.
    pub fn take(&self) -> Option<Arc<BlockingCluster>> {
        let cluster = lock(&self.cluster).take();
        self.stopping.store(true, Ordering::SeqCst);
        cluster
    }

    /// Waits up to `patience` for the running jobs to let go of
    /// `cluster`, then tears the framework down. Call without the GIL: the
    /// jobs need it to end. If they do not end in time, the framework is
    /// torn down when the last of them lets go.
    pub fn shut_down(
        &self,
        cluster: Arc<BlockingCluster>,
        patience: Duration,
    ) -> Result<(), String> {
        let running = lock(&self.running);
        let (running, waited) = self
            .idle
            .wait_timeout_while(running, patience, |running| *running > 0)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let still_running = *running;
        drop(running);
        if waited.timed_out() {
            return Err(format!(
                "{still_running} job(s) on other threads did not end within {patience:?}"
            ));
        }
        match Arc::try_unwrap(cluster) {
            Ok(mut cluster) => cluster.shutdown().map_err(|e| e.to_string()),
            // Only a job holds another clone, and none runs.
            Err(_) => Err("the cluster is still in use".into()),
        }
    }
}
