//! `ClusterSession`: a `rmesos.Context` on a Mesos cluster. It holds one
//! framework (a `BlockingCluster`, shared as `SharedCluster`) for the
//! Context's life; each job blocks without the GIL, taking it back every
//! 100 ms to report progress and to check for Ctrl-C, which cancels the job
//! (its tasks are killed) and raises KeyboardInterrupt. `stop()` (also at
//! interpreter exit) cancels jobs running on other threads, waits for them
//! without the GIL, and tears the framework down.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyConnectionError, PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rmesos_scheduler::cluster::{BlockingCluster, ClusterError, StatusBoard};
use rmesos_scheduler::engine::{Dataset, JobError, Placement, ProgressSink, ProgressUpdate};
use rmesos_scheduler::settings::redact;
use rmesos_scheduler::ui::StatusPage;

use crate::JobFailed;
use crate::extras::JobExtras;
use crate::shared_cluster::{SharedCluster, in_job};

/// How long `stop()` waits for cancelled jobs on other threads to end
/// (they notice within 100 ms).
const STOP_PATIENCE: Duration = Duration::from_secs(30);

#[pyclass(module = "rmesos._rmesos")]
pub struct ClusterSession {
    cluster: SharedCluster,
    /// The status page over the session's board, until `stop()`.
    page: Mutex<Option<StatusPage>>,
}

#[pymethods]
impl ClusterSession {
    /// Connects to the cluster the settings' master names (waits for the
    /// subscription); `keywords` are `rmesos.Context`'s, master included.
    #[new]
    #[pyo3(signature = (keywords=None))]
    fn new(py: Python<'_>, keywords: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let settings = crate::settings::settings_of(keywords)?;
        let master = redact(settings.master.as_str());
        let options = settings
            .cluster_options()
            .map_err(crate::settings::to_python)?;
        let board = StatusBoard::for_options(&options);
        let page = StatusPage::start(settings.ui_bind, board.clone());
        let cluster = py
            .detach(move || BlockingCluster::connect_with_board(options, board))
            .map_err(|error| match error {
                ClusterError::Unreachable { .. } | ClusterError::Refused { .. } => {
                    PyConnectionError::new_err(error.to_string())
                }
                other => PyConnectionError::new_err(format!("cannot connect to {master}: {other}")),
            })?;
        Ok(ClusterSession {
            cluster: SharedCluster::new(cluster),
            page: Mutex::new(page),
        })
    }

    /// The Mesos framework id.
    fn framework_id(&self) -> Option<String> {
        self.cluster
            .with(|cluster| cluster.framework_id().map(str::to_owned))
            .flatten()
    }

    /// The status page's URL (`None` when it is off or could not start).
    fn ui_url(&self) -> Option<String> {
        let host = self
            .cluster
            .with(BlockingCluster::advertised_host)
            .flatten()?;
        let page = self.page.lock().unwrap_or_else(|e| e.into_inner());
        page.as_ref().and_then(|page| page.url(&host))
    }

    /// Statistics of an in-memory table: it is copied once and served to
    /// the executors.
    #[pyo3(signature = (array, partitions=None, progress=None, extras=None))]
    fn col_stats_array<'py>(
        &self,
        py: Python<'py>,
        array: PyReadonlyArray2<'py, f64>,
        partitions: Option<u32>,
        progress: Option<Bound<'py, PyAny>>,
        extras: Option<Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let extras = JobExtras::parse(extras.as_ref())?;
        let ncols = array.shape()[1];
        let values: Arc<[f64]> = match array.as_slice() {
            Ok(slice) => Arc::from(slice),
            Err(_) => {
                return Err(PyValueError::new_err(
                    "the array must be C-contiguous float64",
                ));
            }
        };
        let dataset =
            Dataset::in_memory(values, ncols).map_err(|e| PyValueError::new_err(e.to_string()))?;
        self.run(py, dataset, true, partitions, progress, &extras)
    }

    /// Statistics of a `.npy`/`.csv`/Parquet file: read by the executors
    /// when `shared`, else loaded here and served.
    #[pyo3(signature = (path, shared, partitions=None, delimiter=None, header=None, progress=None, extras=None, columns=None))]
    #[allow(clippy::too_many_arguments)]
    fn col_stats_file<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        shared: bool,
        partitions: Option<u32>,
        delimiter: Option<&str>,
        header: Option<&str>,
        progress: Option<Bound<'py, PyAny>>,
        extras: Option<Bound<'py, PyDict>>,
        columns: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let extras = JobExtras::parse(extras.as_ref())?;
        let dataset = crate::dataset::open_file(&path, delimiter, header, columns)?;
        let names = crate::dataset::column_names(&dataset)?;
        let stats = self.run(py, dataset, shared, partitions, progress, &extras)?;
        crate::convert::with_column_names(stats, names)
    }

    /// Tears the framework down; later jobs raise RuntimeError. Jobs
    /// running on other threads are cancelled first (they raise JobFailed).
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let page = self.page.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(page);
        let Some(cluster) = self.cluster.take() else {
            return Ok(());
        };
        if in_job() {
            // Python code run by a job of this thread (a signal handler)
            // cannot wait for that job: the job cancels itself, and the
            // framework is torn down as the last job lets go of it.
            py.detach(move || drop(cluster));
            return Ok(());
        }
        py.detach(|| self.cluster.shut_down(cluster, STOP_PATIENCE))
            .map_err(|e| PyRuntimeError::new_err(format!("tearing the framework down: {e}")))
    }
}

/// Progress updates wait here until the calling thread holds the GIL.
struct ChannelSink(Mutex<mpsc::Sender<ProgressUpdate>>);

impl ProgressSink for ChannelSink {
    fn update(&self, update: &ProgressUpdate) {
        if let Ok(sender) = self.0.lock() {
            let _ = sender.send(update.clone());
        }
    }
}

impl ClusterSession {
    fn run<'py>(
        &self,
        py: Python<'py>,
        dataset: Dataset,
        shared: bool,
        partitions: Option<u32>,
        progress: Option<Bound<'py, PyAny>>,
        extras: &JobExtras,
    ) -> PyResult<Bound<'py, PyDict>> {
        let partitions = crate::partitions(partitions)?;
        let placement = Placement::Cluster { shared };
        let plan = py
            .detach(|| dataset.plan_for(placement, &crate::job_id(), partitions))
            .map_err(crate::plan_failed)?
            .with_request(extras.request);
        let cluster = self
            .cluster
            .enter()
            .ok_or_else(|| PyRuntimeError::new_err("this rmesos.Context has been stopped"))?;
        let (sender, receiver) = mpsc::channel();
        let receiver = Mutex::new(receiver);
        let sink = Arc::new(ChannelSink(Mutex::new(sender)));
        let progress = progress.map(Bound::unbind);
        let interrupt: Mutex<Option<PyErr>> = Mutex::new(None);
        let should_cancel = || {
            if self.cluster.stopping() {
                return true;
            }
            Python::attach(|py| {
                let stop =
                    report(py, &receiver, progress.as_ref()).or_else(|| py.check_signals().err());
                let cancel = stop.is_some();
                if let Some(error) = stop {
                    *interrupt.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
                }
                cancel
            })
        };
        let result = py.detach(|| cluster.run(plan, sink, &should_cancel));
        // Without the GIL: when `stop()` was called inside this job, this
        // last hold on the cluster tears the framework down.
        py.detach(move || drop(cluster));
        // The last updates; a Ctrl-C after the job is left for Python to raise.
        let _ = report(py, &receiver, progress.as_ref());
        if let Some(error) = interrupt.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(error);
        }
        match result {
            Ok(stats) => {
                let dict = crate::convert::stats_to_dict(py, &stats)?;
                extras.add_results(&dict, &stats)?;
                Ok(dict)
            }
            Err(JobError::Cancelled) if self.cluster.stopping() => Err(JobFailed::new_err(
                "the job was cancelled: its rmesos.Context was stopped",
            )),
            Err(error) => Err(crate::job_failed(error)),
        }
    }
}

/// Hands queued progress updates to `callback(done, total)`. Its errors are
/// printed, never allowed to fail the job; a KeyboardInterrupt raised while
/// it ran (Ctrl-C lands wherever Python code runs) is returned, to cancel.
fn report(
    py: Python<'_>,
    receiver: &Mutex<mpsc::Receiver<ProgressUpdate>>,
    callback: Option<&Py<PyAny>>,
) -> Option<PyErr> {
    let updates: Vec<ProgressUpdate> = match receiver.lock() {
        Ok(receiver) => receiver.try_iter().collect(),
        Err(_) => Vec::new(),
    };
    let callback = callback?;
    for update in updates {
        let p = &update.progress;
        if let Err(error) = callback.call1(py, (p.partitions_done, p.partitions_total)) {
            if error.is_instance_of::<PyKeyboardInterrupt>(py) {
                return Some(error);
            }
            error.print(py);
        }
    }
    None
}
