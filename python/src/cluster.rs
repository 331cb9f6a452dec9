//! `ClusterSession`: a `rmesos.Context` on a Mesos cluster. It holds one
//! framework (a `BlockingCluster`, shared as `SharedCluster`) for the
//! Context's life; each job blocks without the GIL, taking it back every
//! 100 ms to report progress and to check for Ctrl-C, which cancels the job
//! (its tasks are killed) and raises KeyboardInterrupt. `stop()` (also at
//! interpreter exit) cancels jobs running on other threads, waits for them
//! without the GIL, and tears the framework down.

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyConnectionError, PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rmesos_scheduler::cluster::{BlockingCluster, ClusterError, ClusterSettings};
use rmesos_scheduler::engine::{Dataset, JobError, ProgressSink, ProgressUpdate};
use rmesos_scheduler::ui::UiBind;

use crate::JobFailed;
use crate::shared_cluster::{SharedCluster, in_job};

/// Partitions of a cluster job when the caller does not say.
const DEFAULT_PARTITIONS: u32 = 8;
/// How long `stop()` waits for cancelled jobs on other threads to end
/// (they notice within 100 ms).
const STOP_PATIENCE: Duration = Duration::from_secs(30);

#[pyclass(module = "rmesos._rmesos")]
pub struct ClusterSession {
    cluster: SharedCluster,
}

fn settings_from(options: Option<&Bound<'_, PyDict>>) -> PyResult<ClusterSettings> {
    let mut settings = ClusterSettings::default();
    let Some(options) = options else {
        return Ok(settings);
    };
    for (key, value) in options.iter() {
        let key: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        let secs = |v: &Bound<'_, PyAny>| -> PyResult<Duration> {
            let s: f64 = v.extract()?;
            Duration::try_from_secs_f64(s).map_err(|_| {
                PyValueError::new_err(format!("{key} must be a positive number of seconds"))
            })
        };
        match key.as_str() {
            "app_name" => settings.app_name = Some(value.extract()?),
            "role" => settings.role = Some(value.extract()?),
            "principal" => settings.principal = Some(value.extract()?),
            "secret_file" => settings.secret_file = Some(value.extract::<PathBuf>()?),
            "task_cpus" => settings.task_cpus = Some(value.extract()?),
            "task_mem_mb" => settings.task_mem_mb = Some(value.extract()?),
            "executor_cpus" => settings.executor_cpus = Some(value.extract()?),
            "executor_mem_mb" => settings.executor_mem_mb = Some(value.extract()?),
            "max_attempts" => settings.max_attempts = Some(value.extract()?),
            "job_timeout" => settings.job_timeout = Some(secs(&value)?),
            "connect_timeout" => settings.connect_timeout = Some(secs(&value)?),
            "data_timeout" => settings.data_timeout = Some(secs(&value)?),
            "failover_timeout" => settings.failover_timeout = Some(secs(&value)?),
            "data_bind" => {
                let text: String = value.extract()?;
                settings.data_bind = Some(text.parse().map_err(|_| {
                    PyValueError::new_err(format!(
                        "data_bind: '{text}' is not an address like 0.0.0.0:7077"
                    ))
                })?);
            }
            "advertise_host" => settings.advertise_host = Some(value.extract()?),
            "advertise_port" => settings.advertise_port = Some(value.extract()?),
            "executor_uri" => settings.executor_uri = Some(value.extract()?),
            "executor_path" => settings.executor_path = Some(value.extract()?),
            "executor_file" => settings.executor_file = Some(value.extract::<PathBuf>()?),
            "ui_bind" => settings.ui_bind = Some(ui_bind(&value)?),
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown cluster option '{other}'"
                )));
            }
        }
    }
    Ok(settings)
}

/// `ui_bind`: "off" or False for no status page, else "host:port".
fn ui_bind(value: &Bound<'_, PyAny>) -> PyResult<UiBind> {
    if let Ok(flag) = value.extract::<bool>() {
        return match flag {
            false => Ok(UiBind::Off),
            true => Err(PyValueError::new_err(
                "ui_bind: give an address like \"0.0.0.0:4040\", or \"off\"",
            )),
        };
    }
    let text: String = value.extract()?;
    text.parse()
        .map_err(|message: String| PyValueError::new_err(format!("ui_bind: {message}")))
}

#[pymethods]
impl ClusterSession {
    /// Connects to the cluster at `master` (waits for the subscription).
    #[new]
    #[pyo3(signature = (master, options=None))]
    fn new(py: Python<'_>, master: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let settings = settings_from(options)?
            .with_env()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let options = settings
            .into_options(master)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let cluster = py
            .detach(move || BlockingCluster::connect(options))
            .map_err(|error| match error {
                ClusterError::Unreachable { .. } | ClusterError::Refused { .. } => {
                    PyConnectionError::new_err(error.to_string())
                }
                other => PyConnectionError::new_err(format!("cannot connect to {master}: {other}")),
            })?;
        Ok(ClusterSession {
            cluster: SharedCluster::new(cluster),
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
        self.cluster.with(BlockingCluster::ui_url).flatten()
    }

    /// Statistics of an in-memory table: it is copied once and served to
    /// the executors.
    #[pyo3(signature = (array, partitions=None, progress=None))]
    fn col_stats_array<'py>(
        &self,
        py: Python<'py>,
        array: PyReadonlyArray2<'py, f64>,
        partitions: Option<u32>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
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
        self.run(py, dataset, partitions, progress)
    }

    /// Statistics of a `.npy`/`.csv` file: read by the executors when
    /// `shared`, else loaded here and served.
    #[pyo3(signature = (path, shared, partitions=None, delimiter=None, header=None, progress=None))]
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
    ) -> PyResult<Bound<'py, PyDict>> {
        let dataset = crate::file_dataset(path, delimiter, header)?;
        let dataset = if shared {
            dataset
        } else {
            py.detach(|| dataset.into_memory())
                .map_err(|e| PyValueError::new_err(e.to_string()))?
        };
        self.run(py, dataset, partitions, progress)
    }

    /// Tears the framework down; later jobs raise RuntimeError. Jobs
    /// running on other threads are cancelled first (they raise JobFailed).
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
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
        partitions: Option<u32>,
        progress: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let partitions = NonZeroU32::new(partitions.unwrap_or(DEFAULT_PARTITIONS))
            .ok_or_else(|| PyValueError::new_err("the number of partitions must be at least 1"))?;
        let plan = dataset
            .plan(&crate::job_id(), Some(partitions), NonZeroUsize::MIN)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
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
            Ok(stats) => crate::convert::stats_to_dict(py, &stats),
            Err(JobError::Cancelled) if self.cluster.stopping() => Err(JobFailed::new_err(
                "the job was cancelled: its rmesos.Context was stopped",
            )),
            Err(JobError::BadInput { message, .. }) => Err(JobFailed::new_err(message)),
            Err(error) => Err(JobFailed::new_err(error.to_string())),
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
