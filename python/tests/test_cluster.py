"""rmesos on a (simulated) Mesos cluster: a real ZooKeeper, the simulated
masters and agents, and the real ``rmesos-executor`` processes they run,
fetched from this interpreter's data server."""
import json
import urllib.error
import urllib.request

import numpy as np
import pytest

import rmesos
from conftest import assert_matches_numpy, cargo_binary, run_seed_cell

@pytest.fixture(scope="module")
def sc(simulated_cluster):
    context = rmesos.Context(simulated_cluster, appName="pytest-cluster",
                             executor_file=str(cargo_binary("rmesos-executor")),
                             data_bind="127.0.0.1:0", ui_bind="127.0.0.1:0")
    yield context
    context.stop()


def test_the_seed_cell_runs_on_the_cluster(sc):
    assert run_seed_cell(sc).count() == 3
    assert sc.frameworkId


def test_in_memory_and_shared_files_match_numpy(sc, rng, tmp_path):
    x = rng.normal(size=(1_000_000, 16)) * 50 + np.arange(16)
    assert_matches_numpy(rmesos.Statistics.colStats(sc.parallelize(x, 32)), x)
    path = tmp_path / "x.npy"
    np.save(path, x)
    assert_matches_numpy(rmesos.Statistics.colStats(sc.npy_file(path, shared=True, numSlices=32)), x)
    assert_matches_numpy(rmesos.Statistics.colStats(sc.npy_file(path, shared=False, numSlices=5)), x)
    csv = tmp_path / "x.csv"
    np.savetxt(csv, x[:5000], delimiter=",", fmt="%.17g")
    assert_matches_numpy(rmesos.Statistics.colStats(sc.csv_file(csv, shared=True, numSlices=4)), x[:5000])


def test_correlation_and_quantiles_are_computed_by_the_executors(sc, rng, tmp_path):
    x = rng.normal(size=(200_000, 6)) @ rng.normal(size=(6, 6)) + 1e6
    want = np.corrcoef(x, rowvar=False)
    got = rmesos.Statistics.corr(sc.parallelize(x, 9))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    path = tmp_path / "x.npy"
    np.save(path, x)
    got = rmesos.Statistics.corr(sc.npy_file(path, shared=True, numSlices=5))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    # Quantile sketches from the executors, merged here: Spark's rank bound.
    quantiles = sc.npy_file(path, shared=True, numSlices=5).approxQuantile([0.0, 0.5, 1.0], 0.01)
    np.testing.assert_array_equal(quantiles[[0, 2]], [x.min(axis=0), x.max(axis=0)])
    for j in range(6):
        below = np.searchsorted(np.sort(x[:, j]), quantiles[1, j])
        assert abs(below + 1 - len(x) / 2) <= 0.01 * len(x)


def test_a_bad_file_fails_the_job_and_the_context_stays_usable(sc, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n3,4\n5,x\n")
    with pytest.raises(rmesos.JobFailed, match=r"bad\.csv: line 3"):
        rmesos.Statistics.colStats(sc.csv_file(bad, shared=True))
    s = rmesos.Statistics.colStats(sc.parallelize([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(s.mean(), [2.0, 3.0])


def test_progress_reaches_the_callback(sc):
    seen = []
    data = sc.parallelize(np.ones((1000, 2)), 10)
    summary = data._summarize(lambda done, total: seen.append((done, total)))
    assert summary["count"] == 1000
    assert seen and seen[-1] == (10, 10)


def test_the_status_page_shows_the_framework_and_is_read_only(sc):
    rmesos.Statistics.colStats(sc.parallelize(np.ones((100, 2)), 2))
    url = sc.uiWebUrl
    assert url.startswith("http://127.0.0.1:"), url
    with urllib.request.urlopen(url + "api/status", timeout=10) as response:
        status = json.load(response)
    assert status["framework"]["id"] == sc.frameworkId
    assert status["framework"]["name"] == "pytest-cluster"
    assert status["jobs"][-1]["state"] == "finished"
    # The partitions ran on the session's leases, which it keeps between jobs.
    leases = status["leases"]
    assert leases and all(lease["state"] == "TASK_RUNNING" for lease in leases.values()), leases
    by_executor = {lease["executor"]: lease["partitions_run"] for lease in leases.values()}
    assert sum(by_executor.values()) >= 2, leases
    with urllib.request.urlopen(url + "api/leases", timeout=10) as response:
        assert json.load(response).keys() == leases.keys()
    with urllib.request.urlopen(url, timeout=10) as response:
        page = response.read().decode()
        assert sc.frameworkId in page
        assert "Leases" in page
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(url, data=b"x", method="POST"), timeout=10)
    assert refused.value.code == 405


def test_the_status_page_can_be_off(simulated_cluster):
    with pytest.raises(ValueError, match="ui_bind"):
        rmesos.Context(simulated_cluster, ui_bind="4040")
    with rmesos.Context(simulated_cluster, executor_file=str(cargo_binary("rmesos-executor")),
                        data_bind="127.0.0.1:0", ui_bind="off") as context:
        assert context.frameworkId
        assert context.uiWebUrl is None


def test_lease_settings_are_checked_before_connecting():
    with pytest.raises(ValueError, match="max_cpus"):
        rmesos.Context("http://127.0.0.1:9", max_cpus=0.5, task_cpus=1,
                       executor_file=str(cargo_binary("rmesos-executor")))
    with pytest.raises(ValueError, match="speculation"):
        rmesos.Context("http://127.0.0.1:9", speculation="sometimes",
                       executor_file=str(cargo_binary("rmesos-executor")))
    with pytest.raises(ValueError, match="idle_timeout"):
        rmesos.Context("http://127.0.0.1:9", idle_timeout=0,
                       executor_file=str(cargo_binary("rmesos-executor")))


def test_an_unreachable_master_is_a_connection_error_naming_it():
    with pytest.raises(ConnectionError, match="127.0.0.1:9"):
        rmesos.Context("http://127.0.0.1:9", connect_timeout=1.0,
                       executor_file=str(cargo_binary("rmesos-executor")))


def test_keyboard_interrupt_cancels_a_cluster_job_and_the_context_goes_on(sc):
    data = sc.parallelize(np.ones((100_000, 2)), 1000)
    calls = []

    def interrupt(done, total):
        calls.append(done)
        if done >= 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        data._summarize(interrupt)
    assert calls[-1] < 1000
    assert run_seed_cell(sc).count() == 3
