#!/usr/bin/env python3
"""From Python, one run on a 1e6 x 16 float64 array: ``rmesos.col_stats``
(local mode) vs numpy's eight statistics vs PySpark's
``Statistics.colStats(sc.parallelize(list(a), 2))`` in ``local[2]``.
Prints a table with ratios. PySpark is skipped (with a note) when it is not
installed (``pip install pyspark``; needs Java 17).

Usage: python3 benches/python_vs_pyspark.py   (after ``pip install ./python``)
"""
import os
import subprocess
import sys
import time

import numpy as np

import rmesos

ROWS, COLS, RUNS = 1_000_000, 16, 3

NUMPY = r"""
import sys, time, numpy as np
x = np.random.default_rng(3).normal(size=(int(sys.argv[1]), int(sys.argv[2])))
best = float("inf")
for _ in range(int(sys.argv[3])):
    t = time.perf_counter()
    x.mean(axis=0); x.var(axis=0, ddof=1); np.count_nonzero(x, axis=0)
    x.min(axis=0); x.max(axis=0); np.abs(x).sum(axis=0); np.sqrt((x * x).sum(axis=0))
    best = min(best, time.perf_counter() - t)
print(best)
"""


def best_of(fn, runs=RUNS):
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def numpy_seconds():
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    out = subprocess.run([sys.executable, "-c", NUMPY, str(ROWS), str(COLS), str(RUNS)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return float(out)


def pyspark_seconds(x):
    try:
        from pyspark import SparkConf, SparkContext
        from pyspark.mllib.stat import Statistics
    except ImportError:
        return None, "pyspark is not installed"
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    sc = SparkContext(conf=SparkConf().setMaster("local[2]").setAppName("bench"))
    sc.setLogLevel("ERROR")
    try:
        rows = list(x)
        seconds = best_of(lambda: Statistics.colStats(sc.parallelize(rows, 2)).mean(), runs=1)
        return seconds, None
    finally:
        sc.stop()


def main():
    x = np.random.default_rng(3).normal(size=(ROWS, COLS))
    rm = best_of(lambda: rmesos.col_stats(x, master="local[*]"))
    npy = numpy_seconds()
    spark, why = pyspark_seconds(x)
    print(f"{ROWS} x {COLS} float64; best of {RUNS} (PySpark: one run)")
    print(f"{'what':<52} {'seconds':>9}")
    print(f"{'rmesos.col_stats, local[*]':<52} {rm:>9.4f}")
    print(f"{'numpy, eight statistics':<52} {npy:>9.4f}")
    if spark is None:
        print(f"{'PySpark colStats, local[2]':<52} {'skipped':>9}  ({why})")
    else:
        print(f"{'PySpark colStats(parallelize(list(a), 2)), local[2]':<52} {spark:>9.4f}")
    print()
    print(f"rmesos vs numpy: {npy / rm:.1f}x faster")
    if spark is not None:
        print(f"rmesos vs PySpark: {spark / rm:.0f}x faster")


if __name__ == "__main__":
    main()
