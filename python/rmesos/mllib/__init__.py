"""PySpark-compatible import paths (``from rmesos.mllib.stat import Statistics``)."""
