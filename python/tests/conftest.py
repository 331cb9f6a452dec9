import os
import pathlib
import subprocess

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CARGO_DEBUG = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "debug"


def cargo_binary(name: str) -> pathlib.Path:
    """A debug binary of the workspace (the simulator, the executor), built if missing."""
    path = CARGO_DEBUG / name
    if not path.is_file():
        subprocess.run(["cargo", "build", "-q", "-p", "rmesos-mesos-sim", "-p", "rmesos-executor"],
                       cwd=REPO, check=True)
    return path


@pytest.fixture(scope="module")
def simulated_cluster():
    """ZooKeeper and a simulated Mesos cluster of 3 agents (which run the
    executors they fetch as real processes); yields its zk:// URL."""
    sim = subprocess.Popen(
        [str(cargo_binary("rmesos-mesos-sim")), "--zk", "auto", "--agents", "3",
         "--heartbeat-seconds", "1", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = sim.stdout.readline().strip()
        assert line.startswith("RMESOS_MASTER=zk://"), line
        yield line.split("=", 1)[1]
    finally:
        sim.stdin.close()
        sim.wait(timeout=60)


def numpy_stats(x: np.ndarray) -> dict:
    """The eight statistics as numpy computes them (finite data, n >= 2)."""
    x = np.asarray(x, dtype=np.float64)
    return {
        "count": x.shape[0],
        "mean": x.mean(axis=0),
        "variance": x.var(axis=0, ddof=1),
        "numNonzeros": np.count_nonzero(x, axis=0).astype(np.float64),
        "min": x.min(axis=0),
        "max": x.max(axis=0),
        "normL1": np.abs(x).sum(axis=0),
        "normL2": np.sqrt((x * x).sum(axis=0)),
    }


def assert_matches_numpy(summary, x):
    want = numpy_stats(x)
    assert summary.count() == want["count"]
    for name in ["mean", "variance", "numNonzeros", "min", "max", "normL1", "normL2"]:
        got = getattr(summary, name)()
        assert got.dtype == np.float64, name
        np.testing.assert_allclose(got, want[name], rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


SEED_ROWS = [np.array([1.0, 20.0, 300.0]), np.array([3.0, 10.0, 200.0]),
             np.array([2.0, 30.0, 100.0])]


def run_seed_cell(sc):
    """The seed's PySpark cell, run on `sc`; checks what it prints."""
    from rmesos.mllib.stat import Statistics
    m = sc.parallelize(SEED_ROWS, 2)
    summary = Statistics.colStats(m)
    np.testing.assert_array_equal(summary.mean(), [2.0, 20.0, 200.0])
    np.testing.assert_array_equal(summary.variance(), [1.0, 100.0, 10000.0])
    np.testing.assert_array_equal(summary.numNonzeros(), [3.0, 3.0, 3.0])
    return summary
