"""Statistics beyond colStats, computed in the same one-pass job as the
eight: Pearson correlation (``Statistics.corr``, ``rmesos.corr``),
approximate quantiles with Spark's rank guarantee (``approxQuantile``,
``rmesos.quantiles``) and pandas' ``describe()`` layout
(``rmesos.describe``)."""
from __future__ import annotations

import math
import warnings
from typing import Any, Optional, Sequence

import numpy as np

from ._context import Context, Dataset
from ._progress import progress_reporter

SUPPORTED_METHODS = ("pearson",)


def check_method(method: Optional[str]) -> None:
    if method is None or method == "pearson":
        return
    raise ValueError(f"unsupported correlation method {method!r}: the supported method is 'pearson'")


def run_job(dataset: Dataset, **extras: Any) -> dict:
    """One job over ``dataset`` computing the eight statistics and
    ``extras`` (``corr=True``, ``probabilities=[...]``, ``relative_error``)."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"expected a dataset from rmesos.Context, not {type(dataset).__name__}")
    with progress_reporter() as report:
        return dataset._summarize(report, extras)


def correlation_of(result: dict) -> np.ndarray:
    """The Pearson matrix of a job's result, warning about NaN columns."""
    if result["count"] == 0:
        raise ValueError("the dataset is empty: no rows, so the correlation is undefined")
    zero = result.get("zero_variance", [])
    if zero:
        warnings.warn(f"column(s) {zero} have zero variance: their correlations are NaN",
                      RuntimeWarning, stacklevel=3)
    return result["corr"]


def dataset_corr(rdd: Dataset, method: Optional[str] = None) -> np.ndarray:
    check_method(method)
    return correlation_of(run_job(rdd, corr=True))


def series_corr(x: Dataset, y: Dataset, method: Optional[str] = None) -> float:
    """Pearson correlation of two in-memory datasets of floats."""
    check_method(method)
    columns = []
    for name, data in (("x", x), ("y", y)):
        if not isinstance(data, Dataset):
            raise TypeError(f"corr({name}=...) expects a dataset from rmesos.Context, not {type(data).__name__}")
        if data._array is None:
            raise TypeError(f"corr(x, y) needs datasets made by parallelize; {name} is a {data._kind} file")
        if data._array.shape[1] != 1:
            raise ValueError(f"corr(x, y) needs datasets of floats; {name} has {data._array.shape[1]} columns")
        columns.append(data._array[:, 0])
    if len(columns[0]) != len(columns[1]):
        raise ValueError(f"x and y must have the same number of elements: {len(columns[0])} and {len(columns[1])}")
    pair = x.context.parallelize(np.column_stack(columns), x.getNumPartitions())
    return float(correlation_of(run_job(pair, corr=True))[0, 1])


def corr(array: Any, method: str = "pearson", master: Optional[str] = None,
         partitions: Optional[int] = None) -> np.ndarray:
    """The Pearson correlation matrix (D x D) of a 2-D array or a pandas
    DataFrame's numeric columns, in one call."""
    check_method(method)
    with Context(master) as sc:
        return dataset_corr(sc.parallelize(array, partitions))


def dataset_quantiles(dataset: Dataset, probabilities: Sequence[float], relative_error: float) -> np.ndarray:
    """Approximate quantiles (P x D) of every column of ``dataset``."""
    probs = [float(p) for p in probabilities]
    if not probs:
        raise ValueError("probabilities must not be empty")
    bad = [p for p in probs if not 0.0 <= p <= 1.0]
    if bad:
        raise ValueError(f"probabilities must be between 0 and 1, not {bad[0]}")
    error = float(relative_error)
    if not 0.0 <= error <= 1.0 or math.isnan(error):
        raise ValueError(f"relativeError must be between 0 and 1, not {relative_error}")
    result = run_job(dataset, probabilities=probs, relative_error=error)
    if result["count"] == 0:
        raise ValueError("the dataset is empty: no rows, so quantiles are undefined")
    return result["quantiles"]


def quantiles(array: Any, probabilities: Sequence[float], relative_error: float = 0.001,
              master: Optional[str] = None, partitions: Optional[int] = None) -> np.ndarray:
    """Approximate quantiles (P x D) of a 2-D array or DataFrame's numeric
    columns: the value for probability p has a rank within
    ``relative_error * N`` of ``p * N`` (N the column's non-NaN values)."""
    with Context(master) as sc:
        return dataset_quantiles(sc.parallelize(array, partitions), probabilities, relative_error)


DESCRIBE_INDEX = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]


def describe(x: Any, master: Optional[str] = None, partitions: Optional[int] = None,
             relative_error: float = 0.001) -> Any:
    """pandas' ``describe()`` layout (count, mean, std, min, 25%, 50%, 75%,
    max) of a numpy array, a pandas DataFrame (its numeric columns, names
    kept) or a dataset, in one job: a DataFrame when pandas is installed,
    else a dict of numpy arrays (one per column, plus ``"index"``). The
    quartiles are approximate (``relative_error``), min and max exact;
    std is the sample one (n-1), as pandas'."""
    from ._frames import labelled

    if isinstance(x, Dataset):
        return _describe_dataset(x, relative_error, labelled)
    with Context(master) as sc:
        return _describe_dataset(sc.parallelize(x, partitions), relative_error, labelled)


def _describe_dataset(dataset: Dataset, relative_error: float, labelled: Any) -> Any:
    result = run_job(dataset, probabilities=[0.25, 0.5, 0.75], relative_error=float(relative_error))
    ncols = int(result.get("ncols", 0))
    if result["count"] == 0:
        raise ValueError("the dataset is empty: no rows, so describe() is undefined")
    q = result["quantiles"]
    rows = [np.full(ncols, float(result["count"])), result["mean"], np.sqrt(result["variance"]),
            result["min"], q[0], q[1], q[2], result["max"]]
    return labelled(np.vstack(rows), DESCRIBE_INDEX, result.get("columns"))
