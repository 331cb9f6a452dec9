"""``Statistics.colStats`` (as in ``pyspark.mllib.stat``) and the one-call
``col_stats``."""
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


def col_stats(array: Any, master: Optional[str] = None, partitions: Optional[int] = None) -> MultivariateStatisticalSummary:
    """Column statistics of a 2-D array (or a list of rows) in one call;
    or of a file, when given its path (``.npy``, ``.csv`` or Parquet)."""
    with Context(master) as sc:
        if isinstance(array, (str, os.PathLike)):
            return Statistics.colStats(sc.file(array, numSlices=partitions))
        return Statistics.colStats(sc.parallelize(array, partitions))
