"""rmesos: numpy column statistics without Spark.

The PySpark cell::

    from pyspark.mllib.stat import Statistics
    summary = Statistics.colStats(sc.parallelize(rows, 2))

runs with rmesos after changing two lines::

    import rmesos; sc = rmesos.Context()          # local[*]; or a Mesos master URL
    from rmesos.mllib.stat import Statistics

Vectors come back as numpy float64 arrays, ``count()`` as an int.
"""
from ._context import Context, Dataset
from ._summary import MultivariateStatisticalSummary
from ._stats import Statistics, col_stats
from ._rmesos import JobFailed

__all__ = [
    "Context",
    "Dataset",
    "JobFailed",
    "MultivariateStatisticalSummary",
    "Statistics",
    "col_stats",
]
