#!/usr/bin/env python3
"""Kernel vs memory bandwidth vs numpy vs local mode, in one run.

Prints one table for a 1 GiB float64 table (8M x 16):
  - the Rust kernel on one thread and a plain one-pass sum over the same
    memory, and the kernel over an L2-resident table (its compute ceiling)
    (from `cargo bench -p rmesos-common --bench kernel -- --json`),
  - numpy computing the same eight statistics on the same shape,
  - `rmesos-submit --master local[1]` and `local[2]` end to end on a 1 GiB
    `.npy` file (file already in the page cache: a warm-up run first).

Usage: python3 benches/kernel_vs_numpy.py
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROWS, COLS = 8 << 20, 16
RUNS = 3

NUMPY_TIMER = r"""
import json, sys, time
import numpy as np
try:
    from threadpoolctl import threadpool_info
    blas = [i.get("internal_api") + ":" + str(i.get("architecture")) for i in threadpool_info()]
except Exception:
    blas = []
rows, cols, runs = (int(a) for a in sys.argv[1:4])
x = np.random.default_rng(1).uniform(-100, 100, size=(rows, cols))
best = float("inf")
for _ in range(runs):
    t = time.perf_counter()
    x.mean(axis=0); x.var(axis=0, ddof=1); np.count_nonzero(x, axis=0)
    x.min(axis=0); x.max(axis=0); np.abs(x).sum(axis=0); np.sqrt((x * x).sum(axis=0))
    best = min(best, time.perf_counter() - t)
print(json.dumps({"seconds": best, "numpy": np.__version__, "blas": blas}))
"""


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, **kw)


def kernel_figures():
    out = run(["cargo", "bench", "-q", "-p", "rmesos-common", "--bench", "kernel", "--", "--json"]).stdout
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def numpy_figures():
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    out = subprocess.run([sys.executable, "-c", NUMPY_TIMER, str(ROWS), str(COLS), str(RUNS)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def local_mode_figures():
    run(["cargo", "build", "-q", "--release", "--bin", "rmesos-submit"])
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    binary = os.path.join(ROOT, target, "release", "rmesos-submit")
    import numpy as np
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "table.npy")
        np.save(path, np.random.default_rng(2).uniform(-100, 100, size=(ROWS, COLS)))
        times = {}
        for master in ("local[1]", "local[2]"):
            cmd = [binary, "--master", master, "--format", "json", "--no-progress", path]
            subprocess.run(cmd, check=True, capture_output=True)  # warm the page cache
            best = float("inf")
            for _ in range(RUNS):
                t = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True)
                best = min(best, time.perf_counter() - t)
            times[master] = best
        return times


def main():
    gb = ROWS * COLS * 8 / 1e9
    k = kernel_figures()
    n = numpy_figures()
    local = local_mode_figures()
    rows = [
        ("plain sum pass (bandwidth ref)", k["sum_seconds"]),
        ("rmesos kernel, 1 thread", k["kernel_seconds"]),
        ("rmesos kernel, 512 KiB table in L2 (compute)", k["cached_kernel_seconds"]),
        (f"numpy {n['numpy']} eight statistics", n["seconds"]),
        ("rmesos-submit local[1] (.npy, end to end)", local["local[1]"]),
        ("rmesos-submit local[2] (.npy, end to end)", local["local[2]"]),
    ]
    print(f"{ROWS} x {COLS} float64 = {gb:.2f} GB; best of {RUNS}; numpy BLAS: {', '.join(n['blas']) or 'n/a'}")
    print(f"{'what':<44} {'seconds':>9} {'GB/s':>8}")
    for name, secs in rows:
        print(f"{name:<44} {secs:>9.4f} {gb / secs:>8.2f}")
    print()
    print(f"kernel / sum pass (fraction of bandwidth): {k['sum_seconds'] / k['kernel_seconds']:.2f}  (target >= 0.8)")
    print(f"kernel vs numpy eight statistics: {n['seconds'] / k['kernel_seconds']:.1f}x faster  (target >= 4x)")
    print(f"local[2] vs local[1] end to end: {local['local[1]'] / local['local[2]']:.2f}x faster")


if __name__ == "__main__":
    main()
