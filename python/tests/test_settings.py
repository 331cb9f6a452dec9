"""Every session setting, walked from the one list the Rust side makes of
them (``_rmesos.settings_fields()``): ``rmesos.Context(...)`` takes each
keyword, and a bad value gets the same message from the keyword, from its
``RMESOS_*`` variable and from ``rmesos-submit``'s flag. (The Rust test
scheduler/tests/settings_fronts.rs checks the command line's side.)"""
import os
import subprocess

import pytest

import rmesos
from rmesos import _paths, _rmesos

BAD_CANDIDATES = ["not-a-value", "-1", "0", "1.5"]
FIELDS = _rmesos.settings_fields()


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("RMESOS_")}
    env.pop("RUST_LOG", None)
    return env


def submit(*args, env=None):
    return subprocess.run([str(_paths.submit_path()), *args, "missing-input.npy"],
                          capture_output=True, text=True, timeout=60,
                          env={**clean_env(), **(env or {})})


def refused(keyword):
    """The first candidate the keyword refuses, and the message without
    the keyword's name; None when it takes any text."""
    for value in BAD_CANDIDATES:
        try:
            _rmesos.resolve_settings({keyword: value})
        except ValueError as error:
            prefix = f"{keyword}: "
            assert str(error).startswith(prefix), error
            return value, str(error)[len(prefix):]
    return None


@pytest.fixture(autouse=True)
def no_rmesos_variables(monkeypatch):
    for name in list(os.environ):
        if name.startswith("RMESOS_"):
            monkeypatch.delenv(name)


def test_the_list_holds_every_keyword_of_the_readme():
    keywords = {field["keyword"] for field in FIELDS}
    for documented in ["master", "appName", "task_mem_mb", "executor_mem_mb", "data_timeout",
                       "job_timeout", "failover_timeout", "ui_bind", "executor_file"]:
        assert documented in keywords


def test_context_takes_every_keyword_and_refuses_others():
    for field in FIELDS:
        value = field["default"] if refused(field["keyword"]) else "some-text"
        if field["keyword"] == "master" or value is None:
            continue
        with rmesos.Context("local", **{field["keyword"]: value}) as sc:
            assert sc.master == "local"
    with pytest.raises(TypeError, match="task_memory"):
        rmesos.Context("local", task_memory=64)


@pytest.mark.parametrize("field", [f for f in FIELDS if refused(f["keyword"])],
                         ids=lambda f: f["keyword"])
def test_a_bad_value_gets_one_message_from_keyword_variable_and_flag(field, monkeypatch):
    keyword, variable, flag = field["keyword"], field["variable"], field["flag"]
    value, message = refused(keyword)

    with pytest.raises(ValueError) as from_keyword:
        rmesos.Context("local", **{keyword: value})
    assert str(from_keyword.value) == f"{keyword}: {message}"

    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as from_variable:
        rmesos.Context("local")
    assert str(from_variable.value) == f"{variable}: {message}"
    monkeypatch.delenv(variable)

    for result in [submit("--master=local", f"{flag}={value}"),
                   submit("--master=local", env={variable: value})]:
        assert result.returncode == 2, result.stderr
        assert message in result.stderr


def test_defaults_and_the_environment_reach_the_context(monkeypatch):
    assert rmesos.Context("local").appName == "rmesos"
    monkeypatch.setenv("RMESOS_APP_NAME", "from-env")
    assert rmesos.Context("local").appName == "from-env"
    assert rmesos.Context("local", appName="given").appName == "given"


def test_timeouts_take_units_and_refuse_zero():
    rmesos.Context("local", job_timeout="2m", data_timeout=2.5, connect_timeout="500ms")
    rmesos.Context("local", job_timeout=1e-05)  # a float is its decimal form, not "1e-05"
    for zero in [0, 0.0, "0", "0s"]:
        with pytest.raises(ValueError, match="not a positive number of seconds"):
            rmesos.Context("local", job_timeout=zero)
