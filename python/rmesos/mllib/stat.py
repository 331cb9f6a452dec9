"""``from rmesos.mllib.stat import Statistics``, as in ``pyspark.mllib.stat``."""
from .._stats import Statistics
from .._summary import MultivariateStatisticalSummary

__all__ = ["Statistics", "MultivariateStatisticalSummary"]
