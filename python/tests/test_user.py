"""The framework's user, ``rmesos.Context(..., user=...)`` (``--user`` /
``RMESOS_USER``), on the simulated cluster, whose agents run executors
only as users this machine has, as Mesos agents with ``--switch_user``
do: it reaches ``FrameworkInfo.user``; a user they know runs the job; one
they do not fails it at once, naming the user and the setting."""
import json
import time
import urllib.request

import pytest

import rmesos
from conftest import cargo_binary, run_seed_cell


def context(cluster, name, **options):
    return rmesos.Context(cluster, appName=name, executor_file=str(cargo_binary("rmesos-executor")),
                          data_bind="127.0.0.1:0", ui_bind="off", **options)


def framework_user(mesos, framework_id):
    url = f"{mesos.master_urls[0]}/master/frameworks?framework_id={framework_id}"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.load(response)
    (entry,) = body["frameworks"] + body["completed_frameworks"]
    return entry["user"]


def test_a_user_the_agents_know_reaches_the_framework_and_runs_the_job(simulated_mesos):
    with context(simulated_mesos.zk_url, "pytest-user-root", user="root") as sc:
        run_seed_cell(sc)
        assert framework_user(simulated_mesos, sc.frameworkId) == "root"


def test_an_unknown_user_fails_the_job_at_once_saying_what_to_set(simulated_mesos):
    user = "rmesos-no-such-user"
    with context(simulated_mesos.zk_url, "pytest-user-unknown", user=user,
                 job_timeout="60s") as sc:
        assert framework_user(simulated_mesos, sc.frameworkId) == user
        started = time.monotonic()
        with pytest.raises(rmesos.JobFailed) as failed:
            run_seed_cell(sc)
        assert time.monotonic() - started < 10
        message = str(failed.value)
        assert f"the agents cannot run tasks as user '{user}'" in message
        assert f"No such user '{user}'" in message
        assert "Context(user=...)" in message


def test_an_empty_user_is_refused_before_connecting():
    with pytest.raises(ValueError, match="user: a user name cannot be empty"):
        rmesos.Context("zk://127.0.0.1:1/mesos", user="")
