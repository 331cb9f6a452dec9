"""``Context``: where jobs run (the master URL), and the datasets it makes."""
from __future__ import annotations

import atexit
import os
import weakref
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _frames, _paths, _rmesos

_live_contexts: "weakref.WeakSet[Context]" = weakref.WeakSet()


class Dataset:
    """A 2-D table of numbers (N rows x D columns) that jobs summarize.

    Made by ``Context.parallelize``, ``Context.npy_file``,
    ``Context.csv_file`` or ``Context.parquet_file``; pass it to
    ``Statistics.colStats``.
    """

    def __init__(self, context: "Context", *, array=None, path=None, kind=None,
                 partitions=None, delimiter=None, header=None, shared=True, columns=None):
        self._context = context
        self._columns = columns
        self._shared = shared
        self._array = array
        self._path = path
        self._kind = kind
        self._partitions = partitions
        self._delimiter = delimiter
        self._header = header
        self._columns = columns

    @property
    def context(self) -> "Context":
        return self._context

    def getNumPartitions(self) -> Optional[int]:
        """The partitions asked for (``None``: chosen from the workers)."""
        return self._partitions

    @property
    def columns(self) -> Optional[list]:
        """Column names, where the source has them (a pandas DataFrame)."""
        return None if self._columns is None else list(self._columns)

    def approxQuantile(self, probabilities: Sequence[float], relativeError: float) -> np.ndarray:
        """Approximate quantiles of every column (a P x D array), as
        PySpark's ``DataFrame.approxQuantile``: the value for probability
        p has a rank within ``relativeError * N`` of ``p * N``; 0 and 1
        give the exact min and max; ``relativeError=0`` is exact (and
        holds every value in memory). NaN is skipped."""
        from . import _extras

        return _extras.dataset_quantiles(self, probabilities, relativeError)

    def _summarize(self, progress, extras: Optional[dict] = None) -> dict:
        result = self._run(progress, extras or None)
        if self._columns is not None:
            result["columns"] = list(self._columns)
        return result

    def _run(self, progress, extras: Optional[dict]) -> dict:
        self._context._check_open()
        master = self._context.master
        session = self._context._session
        if session is not None:
            if self._array is not None:
                if self._array.shape == (0, 0):
                    return {"count": 0, "ncols": 0}
                return session.col_stats_array(self._array, self._partitions, progress, extras)
            return session.col_stats_file(self._path, self._shared, self._partitions,
                                          self._delimiter, self._header, progress, extras,
                                          self._columns)
        if self._array is not None:
            if self._array.shape == (0, 0):
                return {"count": 0, "ncols": 0}
            return _rmesos.col_stats_array(self._array, master, self._partitions, progress, extras)
        return _rmesos.col_stats_file(self._path, master, self._partitions,
                                      self._delimiter, self._header, progress, extras,
                                      self._columns)

    def __repr__(self) -> str:
        if self._array is not None:
            rows, cols = self._array.shape
            return f"Dataset({rows} x {cols} in memory, partitions={self._partitions})"
        return f"Dataset({self._kind} file {self._path!r}, partitions={self._partitions})"


def as_table(data: Any) -> np.ndarray:
    """A C-contiguous float64 2-D array of ``data``, copied only if needed.

    Accepts a 2-D array, a 1-D array or a list of numbers (one column), or
    a sequence of rows (1-D arrays or sequences of numbers, all of one
    length).
    """
    if isinstance(data, np.ndarray):
        array = data
    else:
        rows = list(data)
        if rows and all(np.ndim(row) == 0 for row in rows):
            # A list of numbers (PySpark's dataset of floats): one column.
            rows = [[row] for row in rows]
        if rows and any(np.ndim(row) != 1 for row in rows):
            raise ValueError("each row must be a 1-D sequence of numbers")
        lengths = {len(row) for row in rows}
        if len(lengths) > 1:
            raise ValueError(f"rows have different lengths: {sorted(lengths)}")
        array = np.asarray(rows) if rows else np.empty((0, 0))
    if array.dtype.kind not in "biuf":
        raise TypeError(f"expected numbers, got an array of dtype {array.dtype}")
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D table of numbers, got {array.ndim} dimensions")
    # No copy when already C-contiguous float64: Rust reads numpy's memory.
    return np.ascontiguousarray(array, dtype=np.float64)


class Context:
    """Where rmesos jobs run, like PySpark's ``SparkContext``.

    ``master``: ``local`` (1 thread), ``local[N]``, ``local[*]`` (all
    cores), or a Mesos master (``zk://host:port[,host:port]/mesos``,
    ``http://host:port``). Default: ``$RMESOS_MASTER``, else ``local[*]``.
    Use as a context manager, or call ``stop()``.

    Every keyword is a session setting, passed as it is to the settings
    model ``rmesos-submit`` uses: the same names as the README's option
    table (``task_cpus``, ``task_mem_mb``, ``data_timeout``, ``ui_bind``,
    ...), the same defaults, the same ``RMESOS_*`` variables for those not
    given, the same parser and message for a bad value (``ValueError``;
    an unknown keyword is a ``TypeError``). Timeouts are seconds (``30``,
    ``2.5``) or a string with a unit (``"500ms"``, ``"2m"``); 0 is
    refused. ``rmesos._rmesos.settings_fields()`` lists them all.

    On a cluster the Context is one Mesos framework for its whole life
    (torn down by ``stop()`` or at interpreter exit, which cancels a job
    still running on another thread); its status page's URL is
    ``uiWebUrl``.
    """

    def __init__(self, master: Optional[str] = None, appName: Optional[str] = None, **options: Any):
        keywords = {"master": master, "appName": appName, **options}
        self.master, self.appName = _rmesos.resolve_settings(keywords)
        self.options = options
        self._threads = _rmesos.check_master(self.master)
        self._session = None
        self._stopped = False
        if self._threads == 0:
            if keywords.get("executor_file") is None:
                keywords["executor_file"] = _bundled_executor()
            self._session = _rmesos.ClusterSession(keywords)
        _live_contexts.add(self)

    @property
    def defaultParallelism(self) -> int:
        """Worker threads in local mode; the default partitions on a cluster."""
        return self._threads or _rmesos.DEFAULT_CLUSTER_PARTITIONS

    @property
    def frameworkId(self) -> Optional[str]:
        """The Mesos framework id (``None`` in local mode)."""
        return self._session.framework_id() if self._session is not None else None

    @property
    def uiWebUrl(self) -> Optional[str]:
        """The status page's URL (``None`` in local mode or when it is off)."""
        return self._session.ui_url() if self._session is not None else None

    def parallelize(self, data: Union[np.ndarray, Sequence[Any]], numSlices: Optional[int] = None) -> Dataset:
        """A dataset of rows held in memory (a 2-D array, a list of rows, or
        a pandas DataFrame, whose numeric columns it takes, names kept)."""
        columns = None
        if _frames.is_dataframe(data):
            data, columns = _frames.frame_table(data)
        return Dataset(self, array=as_table(data), partitions=_check_slices(numSlices), columns=columns)

    def npy_file(self, path: Union[str, os.PathLike], shared: bool = True,
                 numSlices: Optional[int] = None) -> Dataset:
        """A ``.npy`` file (1-D or 2-D, numeric dtype), read by row ranges."""
        path = os.fspath(path)
        _rmesos.check_file(path)
        return Dataset(self, path=path, kind="npy", partitions=_check_slices(numSlices),
                       shared=shared)

    def csv_file(self, path: Union[str, os.PathLike], shared: bool = True, numSlices: Optional[int] = None,
                 delimiter: Optional[str] = None, header: Optional[str] = None) -> Dataset:
        """A ``.csv`` file of numbers, read by byte ranges aligned to lines;
        ``delimiter`` one ASCII character or ``"tab"`` (default ``","``),
        ``header`` ``"auto"`` (default), ``"yes"`` or ``"no"``."""
        path = os.fspath(path)
        _rmesos.check_file(path, delimiter, header)
        return Dataset(self, path=path, kind="csv", partitions=_check_slices(numSlices),
                       delimiter=delimiter, header=header, shared=shared)

    def parquet_file(self, path_or_url: Union[str, os.PathLike], columns: Optional[Sequence[str]] = None,
                     shared: bool = True, numSlices: Optional[int] = None) -> Dataset:
        """A Parquet file, read by runs of whole row groups. ``columns``:
        the columns to summarize, in that order (each must be numeric);
        default every numeric column (float, int, uint, bool, decimal),
        the others skipped. Nulls read as NaN. The summary's ``columns``
        names them."""
        path = os.fspath(path_or_url)
        if isinstance(columns, str):
            raise TypeError("columns must be a list of column names, not a string")
        columns = None if columns is None else [str(name) for name in columns]
        _rmesos.check_file(path, None, None, columns)
        return Dataset(self, path=path, kind="parquet", partitions=_check_slices(numSlices),
                       shared=shared, columns=columns)

    def file(self, path: Union[str, os.PathLike], shared: bool = True,
             numSlices: Optional[int] = None) -> Dataset:
        """A ``.npy``, ``.csv`` or Parquet file, by its extension (the
        defaults of ``npy_file``, ``csv_file`` and ``parquet_file``)."""
        path = os.fspath(path)
        _rmesos.check_file(path)
        return Dataset(self, path=path, kind="file", partitions=_check_slices(numSlices),
                       shared=shared)

    def stop(self) -> None:
        """Releases the context (on a cluster: tears the framework down);
        later jobs on it raise ``RuntimeError``. A job running on another
        thread is cancelled first and raises ``JobFailed``."""
        self._stopped = True
        session, self._session = self._session, None
        if session is not None:
            session.stop()

    def _check_open(self) -> None:
        if self._stopped:
            raise RuntimeError("this rmesos.Context has been stopped")

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "active"
        # The master may carry credentials (zk://user:password@...): shown
        # redacted, as in every message.
        master = _rmesos.redact_master(self.master)
        return f"rmesos.Context(master={master!r}, appName={self.appName!r}, {state})"


def _check_slices(n: Optional[int]) -> Optional[int]:
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"numSlices must be an int, not {type(n).__name__}")
    if n < 1:
        raise ValueError(f"numSlices must be at least 1, not {n}")
    return int(n)


def _bundled_executor() -> Optional[str]:
    """The ``rmesos-executor`` shipped inside the package, if any."""
    try:
        return str(_paths.executor_path())
    except FileNotFoundError:
        return None


@atexit.register
def _stop_all() -> None:
    for context in list(_live_contexts):
        context.stop()
