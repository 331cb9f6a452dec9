"""``Statistics`` (``colStats`` and ``corr``, as in ``pyspark.mllib.stat``)
and the one-call ``col_stats``."""
from __future__ import annotations

import os
from typing import Any, Optional

from ._context import Context, Dataset
from ._progress import progress_reporter
from ._summary import MultivariateStatisticalSummary


class Statistics:
    @staticmethod
    def colStats(rdd: Dataset) -> MultivariateStatisticalSummary:
        """Column statistics of a dataset made by an ``rmesos.Context``."""
        if not isinstance(rdd, Dataset):
            raise TypeError(f"colStats expects a dataset from rmesos.Context, not {type(rdd).__name__}")
        with progress_reporter() as report:
            return MultivariateStatisticalSummary(rdd._summarize(report))

    @staticmethod
    def corr(x: Dataset, y: Optional[Dataset] = None, method: Optional[str] = None) -> Any:
        """Pearson correlation, as PySpark's: of a dataset of vectors, the
        D x D matrix (a column of zero variance gives NaN in its row and
        column, 1 on the diagonal, with a warning); of two datasets of
        floats ``x`` and ``y`` (same length), a float. ``method`` is
        ``"pearson"`` (the default and, for now, the only one)."""
        from . import _extras

        if isinstance(y, str):
            raise TypeError("Use 'method=' to specify method name.")
        if y is None:
            return _extras.dataset_corr(x, method)
        return _extras.series_corr(x, y, method)


def col_stats(array: Any, master: Optional[str] = None, partitions: Optional[int] = None) -> MultivariateStatisticalSummary:
    """Column statistics of a 2-D array (or a list of rows) in one call;
    or of a file, when given its path (``.npy``, ``.csv`` or Parquet)."""
    with Context(master) as sc:
        if isinstance(array, (str, os.PathLike)):
            return Statistics.colStats(sc.file(array, numSlices=partitions))
        return Statistics.colStats(sc.parallelize(array, partitions))
