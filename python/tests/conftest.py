import functools
import os
import pathlib
import subprocess
from typing import List, NamedTuple

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CARGO_DEBUG = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "debug"


@functools.lru_cache(maxsize=None)
def _build_test_binaries() -> None:
    # Once per session, even when the binaries exist: a stale simulator
    # would not print what the fixtures read.
    subprocess.run(["cargo", "build", "-q", "-p", "rmesos-mesos-sim", "-p", "rmesos-executor"],
                   cwd=REPO, check=True)


def cargo_binary(name: str) -> pathlib.Path:
    """A debug binary of the workspace (the simulator, the executor), built
    or brought up to date on first use."""
    _build_test_binaries()
    return CARGO_DEBUG / name


class SimulatedMesos(NamedTuple):
    """A running cluster, simulated or real."""
    zk_url: str
    """The masters' zk:// URL, what rmesos.Context is given."""
    master_urls: List[str]
    """Each master's http://host:port (its operator endpoints; any of them
    redirects to the leader)."""


@pytest.fixture(scope="module")
def simulated_mesos():
    """ZooKeeper and a simulated Mesos cluster of 3 agents (which run the
    executors they fetch as real processes)."""
    sim = subprocess.Popen(
        [str(cargo_binary("rmesos-mesos-sim")), "--zk", "auto", "--agents", "3",
         "--heartbeat-seconds", "1", "--allocation-interval-ms", "50",
         "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        masters = sim.stdout.readline().strip()
        assert masters.startswith("MESOS_MASTERS=http://"), masters
        line = sim.stdout.readline().strip()
        assert line.startswith("RMESOS_MASTER=zk://"), line
        yield SimulatedMesos(line.split("=", 1)[1], masters.split("=", 1)[1].split(","))
    finally:
        sim.stdin.close()
        sim.wait(timeout=60)


@pytest.fixture(scope="module")
def real_mesos():
    """Real Apache Mesos 1.12 (one master, two agents of 2 cpus, their own
    ZooKeeper) started by the harness the Rust tests use
    (``rmesos-mesos-sim --real``). Skips, saying why, when real Mesos is
    not installed; fails instead when RMESOS_TEST_REQUIRE_REAL_MESOS is
    set (scripts/test.sh sets it once it installed Mesos)."""
    mesos = subprocess.Popen(
        [str(cargo_binary("rmesos-mesos-sim")), "--real", "--masters", "1", "--agents", "2",
         "--agent-cpus", "2", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        masters = mesos.stdout.readline().strip()
        if not masters:
            why = mesos.stderr.read().strip()
            code = mesos.wait(timeout=60)
            if code == 3 and not os.environ.get("RMESOS_TEST_REQUIRE_REAL_MESOS"):
                pytest.skip(why)
            pytest.fail(f"real Mesos did not start (exit {code}): {why}")
        assert masters.startswith("MESOS_MASTERS=http://"), masters
        line = mesos.stdout.readline().strip()
        assert line.startswith("RMESOS_MASTER=zk://"), line
        yield SimulatedMesos(line.split("=", 1)[1], masters.split("=", 1)[1].split(","))
    finally:
        if mesos.stdin:
            mesos.stdin.close()
        mesos.wait(timeout=60)


@pytest.fixture(scope="module")
def simulated_cluster(simulated_mesos):
    """The zk:// URL of the simulated cluster (see ``simulated_mesos``)."""
    return simulated_mesos.zk_url


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
