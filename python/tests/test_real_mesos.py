"""rmesos from Python on real Apache Mesos 1.12 (``../shared/mesos``): the
seed cell through ``rmesos.Context("zk://...")``, and a 1e6 x 16 job
served from this interpreter and read in place by the executors, each
against numpy; the framework is completed in Mesos after ``stop()``."""
import json
import time
import urllib.request

import numpy as np
import pytest

import rmesos
from conftest import assert_matches_numpy, cargo_binary, run_seed_cell


@pytest.fixture(scope="module")
def sc(real_mesos):
    context = rmesos.Context(real_mesos.zk_url, appName="pytest-real-mesos",
                             executor_file=str(cargo_binary("rmesos-executor")),
                             data_bind="127.0.0.1:0", ui_bind="off", job_timeout=300)
    yield context
    context.stop()


def test_the_seed_cell_runs_on_real_mesos(sc):
    assert run_seed_cell(sc).count() == 3
    assert sc.frameworkId


def test_a_large_job_served_and_shared_matches_numpy(sc, rng, tmp_path):
    x = rng.normal(size=(1_000_000, 16)) * 50 + np.arange(16)
    assert_matches_numpy(rmesos.Statistics.colStats(sc.parallelize(x, 32)), x)
    path = tmp_path / "x.npy"
    np.save(path, x)
    assert_matches_numpy(rmesos.Statistics.colStats(sc.npy_file(path, shared=True, numSlices=32)), x)


def test_stop_completes_the_framework_in_mesos(real_mesos):
    context = rmesos.Context(real_mesos.zk_url, appName="pytest-real-stop",
                             executor_file=str(cargo_binary("rmesos-executor")),
                             data_bind="127.0.0.1:0", ui_bind="off", job_timeout=300)
    run_seed_cell(context)
    framework_id = context.frameworkId
    context.stop()
    deadline = time.monotonic() + 60
    while True:
        with urllib.request.urlopen(real_mesos.master_urls[0] + "/master/frameworks") as response:
            state = json.load(response)
        done = [f["id"] for f in state["completed_frameworks"]]
        if framework_id in done:
            break
        assert time.monotonic() < deadline, f"{framework_id} not completed: {done}"
        time.sleep(0.2)
    assert framework_id not in [f["id"] for f in state["frameworks"]]
