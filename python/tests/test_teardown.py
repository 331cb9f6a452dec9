"""A Context on a cluster tears its Mesos framework down however the
interpreter ends: at a normal exit without ``stop()`` (the atexit hook), on
an uncaught exception, after an explicit ``stop()``; and while a job runs
on another thread, at exit or by ``stop()`` (the job is cancelled).

Each case runs a real Python process against the simulated cluster. The
process runs a job, prints its framework id and waits; the test sees the
framework active with executors running, lets the process go on, and then
checks from the cluster's side (the masters' ``/master/state`` and the
agents' ``/slave(1)/state``) that the framework is completed and its
executors ended, and that the process exited promptly with the expected
exit code."""
import json
import os
import select
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import cargo_binary

# The process under test: argv is (zk URL, executor path, how to end).
DRIVER = r"""
import atexit
import sys
import threading

import numpy as np
import rmesos
from rmesos.mllib.stat import Statistics

master, executor, how = sys.argv[1:4]
sc = rmesos.Context(master, appName="teardown-" + how, executor_file=executor,
                    data_bind="127.0.0.1:0", ui_bind="off")
rows = [np.array([1.0, 20.0, 300.0]), np.array([3.0, 10.0, 200.0]),
        np.array([2.0, 30.0, 100.0])]
summary = Statistics.colStats(sc.parallelize(rows, 2))
assert summary.mean().tolist() == [2.0, 20.0, 200.0], summary.mean()
if how.endswith("-during-job"):
    # A long job on another thread, under way when the id is read.
    started = threading.Event()
    data = sc.parallelize(np.ones((100_000, 2)), 5000)

    def job():
        try:
            data._summarize(lambda done, total: started.set())
        except rmesos.JobFailed as error:
            print("job failed:", error, flush=True)

    worker = threading.Thread(target=job, daemon=True)
    worker.start()
    assert started.wait(60), "the job started"
    # Runs before rmesos's own exit hook (registered earlier).
    atexit.register(lambda: print("job running at exit:", worker.is_alive(), flush=True))
print(sc.frameworkId, flush=True)
sys.stdin.readline()  # the test has seen the framework active
if how == "exception":
    raise RuntimeError("the notebook cell failed")
if how.startswith("stop"):
    sc.stop()
if how == "stop-during-job":
    worker.join()
"""

# Connecting, fetching the (debug) executor and running the job.
START_TIMEOUT = 120.0
# From being let go to having exited, teardown included.
EXIT_TIMEOUT = 10.0

# The master removes the framework at once; its executors get SHUTDOWN and
# are killed at the latest after the 5 s grace period.
TEARDOWN_TIMEOUT = 30.0


def get_json(url: str) -> dict:
    # urllib follows a non-leading master's 307 to the leader.
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def cluster_view(masters: list, framework_id: str) -> dict:
    """The framework as the leading master and every agent see it."""
    state = get_json(masters[0] + "/master/state")
    agents = {}
    for slave in state["slaves"]:
        address = slave["pid"].split("@", 1)[1]
        agents[slave["id"]] = get_json(f"http://{address}/slave(1)/state")

    def find(frameworks):
        return next((f for f in frameworks if f["id"] == framework_id), None)

    return {
        "active": find(state["frameworks"]),
        "completed": find(state["completed_frameworks"]),
        "running_on_agents": {a: find(s["frameworks"]) for a, s in agents.items()
                              if find(s["frameworks"])},
        "ended_on_agents": {a: find(s["completed_frameworks"]) for a, s in agents.items()
                            if find(s["completed_frameworks"])},
    }


def running_executors(view: dict) -> list:
    return [e for f in view["running_on_agents"].values() for e in f["executors"]]


def ended_executors(view: dict) -> list:
    return [e for f in view["ended_on_agents"].values() for e in f["completed_executors"]]


def wait_for(what: str, observe, done, timeout: float):
    """Polls ``observe()`` until ``done`` holds of what it returns (which is
    returned), or fails after ``timeout`` seconds showing the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = observe()
        if done(value):
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}; last: {value!r}")
        time.sleep(0.1)


def read_line(process: subprocess.Popen, timeout: float) -> str:
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        pytest.fail(f"the driver printed nothing within {timeout} s")
    return process.stdout.readline().strip()


def is_torn_down(view: dict) -> bool:
    """The master lists the framework as completed only, and no agent runs
    an executor of it any more (those that ran are completed there)."""
    return (view["active"] is None and view["completed"] is not None
            and not view["running_on_agents"] and bool(ended_executors(view)))


@pytest.mark.parametrize("how, exit_code", [
    ("exit", 0),             # the end of the script, no stop(): the atexit hook
    ("exception", 1),        # an uncaught exception ends the interpreter
    ("stop", 0),             # stop() first, then the end of the script
    ("exit-during-job", 0),  # the end of the script while a daemon thread runs a job
    ("stop-during-job", 0),  # stop() while another thread runs a job
])
def test_the_framework_is_torn_down_when_the_driver_ends(simulated_mesos, tmp_path, how, exit_code):
    stderr_path = tmp_path / "stderr"
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", DRIVER, simulated_mesos.zk_url,
             str(cargo_binary("rmesos-executor")), how],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        framework_id = read_line(process, START_TIMEOUT)
        assert framework_id, stderr_path.read_text()
        masters = simulated_mesos.master_urls

        before = cluster_view(masters, framework_id)
        assert before["active"] is not None, before
        assert before["active"]["active"] and before["active"]["connected"], before["active"]
        assert before["active"]["name"] == f"teardown-{how}"
        assert before["completed"] is None
        assert running_executors(before), "the job's executors run on the agents"

        let_go = time.monotonic()
        process.stdin.close()
        code = process.wait(timeout=EXIT_TIMEOUT)
        took = time.monotonic() - let_go
        stdout_rest = process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr_text = stderr_path.read_text()
    assert code == exit_code, stderr_text
    assert took < EXIT_TIMEOUT
    if how == "exception":
        assert "RuntimeError: the notebook cell failed" in stderr_text
    if how == "exit-during-job":
        assert "job running at exit: True" in stdout_rest, stdout_rest
    if how == "stop-during-job":
        assert "job failed: the job was cancelled: its rmesos.Context was stopped" in stdout_rest
        assert "job running at exit: False" in stdout_rest, stdout_rest

    after = wait_for(f"framework {framework_id} to be torn down",
                     lambda: cluster_view(masters, framework_id), is_torn_down, TEARDOWN_TIMEOUT)
    completed = after["completed"]
    assert not completed["active"] and not completed["connected"]
    assert completed["unregistered_time"] > 0
    assert completed["executors"] == [] and completed["tasks"] == []
    # The session's tasks are its leases: killed when it stopped or when
    # the masters tore the framework down, whatever its jobs did.
    states = {t["state"] for t in completed["completed_tasks"]}
    assert states == {"TASK_KILLED"}, states
    ran = {e["id"] for e in running_executors(before)}
    assert ran <= {e["id"] for e in ended_executors(after)}, "every executor that ran has ended"
