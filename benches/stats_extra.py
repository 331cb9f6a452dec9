#!/usr/bin/env python3
"""Statistics beyond colStats vs numpy and Polars, in one run.

On an 8M x 16 float64 table in memory (1 GiB), best of RUNS, each timed in
a fresh process so its thread count is set before the libraries start:
  - rmesos: the eight statistics alone (``colStats``), the eight plus the
    Pearson matrix (``Statistics.corr``, the same one pass), and
    ``approxQuantile`` at relative error 1e-3 (with the eight), at
    ``local[1]`` and ``local[*]``;
  - numpy: ``np.corrcoef`` and the exact ``np.quantile``; with its BLAS on
    one thread (``OPENBLAS_NUM_THREADS=1`` ...) and on all;
  - Polars: ``quantile`` of every column (``POLARS_MAX_THREADS=1`` and all).

Prints a markdown table and the issue's targets (Pearson pass >= 0.5x the
speed of the eight-statistics pass and faster than np.corrcoef; quantiles
at 1e-3 faster than np.quantile on the same threads). Needs rmesos
installed (``pip install ./python``), numpy, and Polars for its rows
(``pip install polars``; skipped without it).

Usage: python3 benches/stats_extra.py [ROWS]
"""
import json
import os
import subprocess
import sys

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 8 << 20
COLS, RUNS = 16, 3
PROBABILITIES = [0.1, 0.25, 0.5, 0.75, 0.9]

TIMER = r"""
import json, sys, time
import numpy as np
which, rows, cols, runs, master = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
probs = json.loads(sys.argv[6])
x = np.random.default_rng(1).normal(50.0, 10.0, size=(rows, cols))

def best(f):
    out = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        f()
        out = min(out, time.perf_counter() - t)
    return out

if which.startswith("rmesos"):
    import rmesos
    with rmesos.Context(master) as sc:
        ds = sc.parallelize(x)
        f = {"rmesos-eight": lambda: rmesos.Statistics.colStats(ds),
             "rmesos-corr": lambda: rmesos.Statistics.corr(ds),
             "rmesos-quantiles": lambda: ds.approxQuantile(probs, 1e-3)}[which]
        seconds = best(f)
elif which == "numpy-corrcoef":
    seconds = best(lambda: np.corrcoef(x, rowvar=False))
elif which == "numpy-quantile":
    seconds = best(lambda: np.quantile(x, probs, axis=0))
elif which == "polars-quantile":
    import polars as pl
    frame = pl.DataFrame(x)
    seconds = best(lambda: [frame.select(pl.all().quantile(p)) for p in probs])
print(json.dumps({"seconds": seconds}))
"""

ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "POLARS_MAX_THREADS": "1"}


def timed(which, master="local[1]", one_thread=False):
    env = dict(os.environ)
    if one_thread:
        env.update(ONE_THREAD)
    result = subprocess.run(
        [sys.executable, "-c", TIMER, which, str(ROWS), str(COLS), str(RUNS), master, json.dumps(PROBABILITIES)],
        env=env, capture_output=True, text=True)
    if result.returncode != 0:
        if "No module named 'polars'" in result.stderr:
            return None
        raise SystemExit(f"{which} failed:\n{result.stderr}")
    return json.loads(result.stdout)["seconds"]


def cell(seconds):
    return "n/a" if seconds is None else f"{seconds:.3f}"


def main():
    cores = os.cpu_count()
    rows = [
        ("rmesos eight statistics (colStats)", timed("rmesos-eight", "local[1]"), timed("rmesos-eight", "local[*]")),
        ("rmesos eight + Pearson matrix (Statistics.corr)", timed("rmesos-corr", "local[1]"),
         timed("rmesos-corr", "local[*]")),
        ("numpy.corrcoef", timed("numpy-corrcoef", one_thread=True), timed("numpy-corrcoef")),
        ("rmesos approxQuantile, relative error 1e-3", timed("rmesos-quantiles", "local[1]"),
         timed("rmesos-quantiles", "local[*]")),
        ("numpy.quantile (exact)", timed("numpy-quantile", one_thread=True), timed("numpy-quantile")),
        ("Polars quantile (exact)", timed("polars-quantile", one_thread=True), timed("polars-quantile")),
    ]
    gb = ROWS * COLS * 8 / 1e9
    print(f"{ROWS} x {COLS} float64 in memory ({gb:.2f} GB), {len(PROBABILITIES)} probabilities; "
          f"best of {RUNS}; {cores} cores")
    print()
    print("| what | 1 thread (s) | all threads (s) |")
    print("| --- | ---: | ---: |")
    for name, one, every in rows:
        print(f"| {name} | {cell(one)} | {cell(every)} |")
    print()
    times = {name: (one, every) for name, one, every in rows}
    eight, corr, corrcoef = (times[n] for n in (rows[0][0], rows[1][0], rows[2][0]))
    quant, npq = times[rows[3][0]], times[rows[4][0]]
    for i, threads in enumerate(("1 thread", "all threads")):
        print(f"- {threads}: Pearson pass at {eight[i] / corr[i]:.2f}x the speed of the eight-statistics pass "
              f"(target >= 0.5), {corrcoef[i] / corr[i]:.2f}x numpy.corrcoef (target > 1); "
              f"approxQuantile {npq[i] / quant[i]:.2f}x np.quantile (target > 1)")


if __name__ == "__main__":
    main()
