"""rmesos: numpy column statistics without Spark.

The PySpark cell::

    from pyspark.mllib.stat import Statistics
    summary = Statistics.colStats(sc.parallelize(rows, 2))

runs with rmesos after changing two lines::

    import rmesos; sc = rmesos.Context()          # local[*]; or a Mesos master URL
    from rmesos.mllib.stat import Statistics

Vectors come back as numpy float64 arrays, ``count()`` as an int.
Beyond colStats, in the same one-pass job: ``Statistics.corr``,
``Dataset.approxQuantile``, and the one-call ``corr``, ``quantiles`` and
``describe`` (pandas DataFrames in and out).
"""
from ._context import Context, Dataset
from ._summary import MultivariateStatisticalSummary
from ._stats import Statistics, col_stats
from ._extras import corr, describe, quantiles
from ._rmesos import JobFailed

__all__ = [
    "Context",
    "Dataset",
    "JobFailed",
    "MultivariateStatisticalSummary",
    "Statistics",
    "col_stats",
    "corr",
    "describe",
    "quantiles",
]
