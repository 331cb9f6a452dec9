"""deploy/ outside Docker (CI has no Docker engine): the image's entrypoint
runs with a fake `jupyter` on PATH that records its arguments and
environment; the launcher runs with a fake `docker` that records its
calls; the image's own ENV and the compose stack are read and checked
against them."""
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

from rmesos import _paths, _rmesos

REPO = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
ZK = "zk://zoo1:2181,zoo2:2181,zoo3:2181/mesos"

FAKE_JUPYTER = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["FAKE_RECORD"], "w") as out:
    json.dump({{"argv": sys.argv[1:], "env": dict(os.environ)}}, out)
"""

FAKE_DOCKER = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["FAKE_RECORD"], "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
if args[:2] == ["network", "inspect"]:
    sys.exit(0 if args[2] in os.environ.get("FAKE_NETWORKS", "").split() else 1)
if args[:2] == ["container", "inspect"]:
    sys.exit(0 if args[2] in os.environ.get("FAKE_CONTAINERS", "").split() else 1)
if args[:1] == ["run"]:
    print("0123456789ab")
    sys.exit(0)
sys.exit(64)
"""


def fake_bin(tmp_path: pathlib.Path, name: str, text: str) -> pathlib.Path:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    program = bin_dir / name
    program.write_text(text)
    program.chmod(0o755)
    return bin_dir


def base_env(bin_dir: pathlib.Path, record: pathlib.Path, home: pathlib.Path, **extra) -> dict:
    """A clean environment: no RMESOS_*/JUPYTER_* from the caller."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RMESOS_", "JUPYTER_", "NOTEBOOK_"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", HOME=str(home),
               FAKE_RECORD=str(record), PYTHON=sys.executable)
    env.update({k: str(v) for k, v in extra.items()})
    return env


# --- the entrypoint --------------------------------------------------------

def run_entrypoint(tmp_path, *args, **env):
    bin_dir = fake_bin(tmp_path, "jupyter", FAKE_JUPYTER)
    record = tmp_path / "jupyter.json"
    notebooks = tmp_path / "work"
    notebooks.mkdir(exist_ok=True)
    env.setdefault("NOTEBOOK_DIR", notebooks)
    result = subprocess.run(
        ["bash", str(DEPLOY / "entrypoint.sh"), *args],
        env=base_env(bin_dir, record, tmp_path, **env),
        capture_output=True, text=True, timeout=60,
    )
    recorded = json.loads(record.read_text()) if record.exists() else None
    return result, recorded


def test_entrypoint_wires_a_cluster_master_into_jupyter(tmp_path):
    result, jupyter = run_entrypoint(
        tmp_path, "--LabApp.extra=1",
        RMESOS_MASTER=ZK, RMESOS_ADVERTISE_HOST="rmesos-notebook",
        RMESOS_DATA_BIND="0.0.0.0:7100", RMESOS_DATA_DIR=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert jupyter is not None, "jupyter was not started"
    assert jupyter["argv"] == [
        "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser",
        f"--ServerApp.root_dir={tmp_path / 'work'}", "--LabApp.extra=1",
    ]
    env = jupyter["env"]
    assert env["RMESOS_MASTER"] == ZK
    assert env["RMESOS_ADVERTISE_HOST"] == "rmesos-notebook"
    assert "RMESOS_ADVERTISE_PORT" not in env  # the driver advertises the bound port
    assert env["RMESOS_DATA_BIND"] == "0.0.0.0:7100"
    assert env["RMESOS_UI_BIND"] == "0.0.0.0:4040"
    assert "JUPYTER_TOKEN" not in env  # Jupyter generates one
    assert "agents connect to rmesos-notebook:7100" in result.stderr
    assert str(_paths.executor_path()) in result.stderr
    assert f"shared data:     {tmp_path} (shared=True" in result.stderr


def test_entrypoint_defaults_to_local_mode(tmp_path):
    result, jupyter = run_entrypoint(tmp_path, JUPYTER_IP="127.0.0.1", JUPYTER_PORT=9999)
    assert result.returncode == 0, result.stderr
    env = jupyter["env"]
    assert env["RMESOS_MASTER"] == "local[*]"
    assert "RMESOS_ADVERTISE_HOST" not in env
    assert env["RMESOS_DATA_DIR"] == "/data"
    assert jupyter["argv"][1:3] == ["--ip=127.0.0.1", "--port=9999"]
    assert "jobs run inside this container" in result.stderr


def test_entrypoint_leaves_the_advertised_address_to_the_driver(tmp_path):
    result, jupyter = run_entrypoint(tmp_path, RMESOS_MASTER="http://mesos1:5050",
                                     RMESOS_DATA_BIND="0.0.0.0:0")
    assert result.returncode == 0, result.stderr
    assert "RMESOS_ADVERTISE_HOST" not in jupyter["env"]
    assert "RMESOS_ADVERTISE_PORT" not in jupyter["env"]
    assert ("agents connect to this container's address towards the master:"
            "a free port chosen at start") in result.stderr


def test_entrypoint_keeps_credentials_out_of_its_log(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("framework-s3cret\n")
    master = "zk://alice:zk-s3cret@zoo1:2181/mesos"
    result, jupyter = run_entrypoint(
        tmp_path, RMESOS_MASTER=master, RMESOS_PRINCIPAL="rmesos",
        RMESOS_SECRET_FILE=secret, JUPYTER_TOKEN="tok",
    )
    assert result.returncode == 0, result.stderr
    assert jupyter["env"]["RMESOS_MASTER"] == master  # the driver gets it whole
    assert jupyter["env"]["JUPYTER_TOKEN"] == "tok"
    assert "zk://***@zoo1:2181/mesos" in result.stderr
    assert f"secret:          read from {secret}" in result.stderr
    for hidden in ["zk-s3cret", "framework-s3cret"]:
        assert hidden not in result.stderr


@pytest.mark.parametrize("env, message", [
    ({"RMESOS_MASTER": "yarn"}, "RMESOS_MASTER=yarn: expected"),
    ({"RMESOS_MASTER": "local[0]"}, "expected local, local[N] or local[*]"),
    ({"RMESOS_MASTER": "zk://:pw@zoo1:2181"}, "RMESOS_MASTER=zk://***@zoo1:2181: expected"),
    ({"RMESOS_DATA_BIND": "0.0.0.0"}, "RMESOS_DATA_BIND=0.0.0.0: expected HOST:PORT"),
    ({"RMESOS_UI_BIND": "0.0.0.0:99999"}, "RMESOS_UI_BIND=0.0.0.0:99999"),
    ({"RMESOS_MASTER": ZK, "RMESOS_ADVERTISE_PORT": "0"}, "RMESOS_ADVERTISE_PORT=0 is not a port number"),
    ({"RMESOS_MASTER": ZK, "RMESOS_SECRET_FILE": "/nonexistent/secret"}, "not readable"),
    ({"JUPYTER_PORT": "http"}, "JUPYTER_PORT=http is not a port number"),
    ({"NOTEBOOK_DIR": "/nonexistent/work"}, "NOTEBOOK_DIR=/nonexistent/work: no such directory"),
])
def test_entrypoint_refuses_bad_wiring_before_starting_jupyter(tmp_path, env, message):
    result, jupyter = run_entrypoint(tmp_path, **env)
    assert result.returncode == 2
    assert message in result.stderr
    assert jupyter is None


def test_entrypoint_accepts_the_status_page_off_and_an_executor_uri(tmp_path):
    result, jupyter = run_entrypoint(
        tmp_path, RMESOS_MASTER=ZK, RMESOS_UI_BIND="off",
        RMESOS_EXECUTOR_URI="http://files:8000/rmesos-executor", PYTHON="/nonexistent/python",
    )
    assert result.returncode == 0, result.stderr
    assert jupyter["env"]["RMESOS_UI_BIND"] == "off"
    assert "status page:     off" in result.stderr
    assert "agents fetch http://files:8000/rmesos-executor" in result.stderr


# --- the launcher ----------------------------------------------------------

def run_launcher(tmp_path, *args, networks="net", containers="", **env):
    bin_dir = fake_bin(tmp_path, "docker", FAKE_DOCKER)
    record = tmp_path / "docker.jsonl"
    result = subprocess.run(
        ["bash", str(DEPLOY / "start-notebook.sh"), *args],
        env=base_env(bin_dir, record, tmp_path, FAKE_NETWORKS=networks,
                     FAKE_CONTAINERS=containers, **env),
        capture_output=True, text=True, timeout=60,
    )
    calls = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    runs = [call[1:] for call in calls if call[:1] == ["run"]]
    return result, runs


def options(run_args, *names):
    """Values of the given options in a `docker run` argument list."""
    values, i = [], 0
    while i < len(run_args):
        if run_args[i] in names and i + 1 < len(run_args):
            values.append(run_args[i + 1])
            i += 2
        else:
            i += 1
    return values


def test_launcher_runs_the_notebook_on_the_mesos_network(tmp_path):
    result, runs = run_launcher(tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(runs) == 1
    run = runs[0]
    assert "--detach" in run or "-d" in run
    assert options(run, "--network", "--net") == ["net"]
    assert options(run, "--name") == ["rmesos-notebook"]
    assert options(run, "--hostname") == ["rmesos-notebook"]
    assert sorted(options(run, "--publish", "-p")) == ["4040:4040", "8888:8888"]
    volumes = options(run, "--volume", "-v")
    assert "/data:/data" in volumes  # the same path as on the agents
    env = options(run, "--env", "-e")
    assert f"RMESOS_MASTER={ZK}" in env
    assert "RMESOS_ADVERTISE_HOST=rmesos-notebook" in env
    assert "RMESOS_ADVERTISE_PORT=7077" in env
    assert "RMESOS_DATA_BIND=0.0.0.0:7077" in env
    assert "RMESOS_UI_BIND=0.0.0.0:4040" in env
    assert "RMESOS_DATA_DIR=/data" in env
    assert "RMESOS_USER=root" in env  # the image's user rmesos is unknown to stock agents
    assert run[-1] == "rmesos-notebook"  # the image, no extra arguments
    assert "agents reach the driver at rmesos-notebook:7077" in result.stderr


def test_launcher_settings_are_overridable(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("framework-s3cret\n")
    result, runs = run_launcher(
        tmp_path, "--LabApp.extra=1",
        NAME="nb2", IMAGE="registry/rmesos-notebook:1", NETWORK="mesosnet", networks="mesosnet",
        RMESOS_MASTER="zk://zk1:2181/mesos", DATA_DIR="/mnt/shared", DATA_PORT=7100,
        PUBLISH_DATA_PORT=1, JUPYTER_PORT=18888, UI_PORT=14040,
        RMESOS_SECRET_FILE=secret, RMESOS_PRINCIPAL="alice", RMESOS_ROLE="analytics",
        RMESOS_APP_NAME="team-notebook", RMESOS_USER="analyst",
    )
    assert result.returncode == 0, result.stderr
    run = runs[0]
    assert options(run, "--network") == ["mesosnet"]
    assert options(run, "--name") == ["nb2"]
    assert sorted(options(run, "--publish")) == ["14040:4040", "18888:8888", "7100:7100"]
    volumes = options(run, "--volume")
    assert "/mnt/shared:/mnt/shared" in volumes
    assert f"{secret}:/run/secrets/rmesos-secret:ro" in volumes
    assert "nb2-work:/home/rmesos/work" in volumes
    env = options(run, "--env")
    assert "RMESOS_MASTER=zk://zk1:2181/mesos" in env
    assert "RMESOS_ADVERTISE_HOST=nb2" in env
    assert "RMESOS_ADVERTISE_PORT=7100" in env
    assert "RMESOS_DATA_BIND=0.0.0.0:7100" in env
    assert "RMESOS_SECRET_FILE=/run/secrets/rmesos-secret" in env
    assert "RMESOS_USER=analyst" in env
    # Passed by name only: the values never appear in the command line.
    assert {"RMESOS_PRINCIPAL", "RMESOS_ROLE", "RMESOS_APP_NAME"} <= set(env)
    assert not any("framework-s3cret" in arg or "alice" in arg for arg in run)
    assert run[-2:] == ["registry/rmesos-notebook:1", "--LabApp.extra=1"]


def test_launcher_hands_every_cli_variable_to_the_container(tmp_path):
    """Each RMESOS_* variable the driver reads (every session setting but
    the hidden ones, as the settings model lists them) reaches the
    container when set: a new one fails here until the launcher passes it
    on."""
    names = {field["variable"] for field in _rmesos.settings_fields() if not field["hidden"]}
    assert {"RMESOS_MASTER", "RMESOS_DATA_BIND", "RMESOS_UI_BIND"} <= names
    secret = tmp_path / "secret"
    secret.write_text("s\n")
    values = {name: "1" for name in names}
    values.update(RMESOS_MASTER=ZK, RMESOS_SECRET_FILE=secret, RMESOS_MASTER_CA_FILE=secret,
                  RMESOS_ADVERTISE_HOST="nb",
                  RMESOS_DATA_BIND="ignored", RMESOS_ADVERTISE_PORT="ignored",
                  RMESOS_UI_BIND="ignored")
    result, runs = run_launcher(tmp_path, **values)
    assert result.returncode == 0, result.stderr
    passed = {entry.partition("=")[0] for entry in options(runs[0], "--env")}
    assert sorted(names - passed) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"networks": ""}, "Docker network 'net' does not exist"),
    ({"containers": "rmesos-notebook"}, "docker rm -f rmesos-notebook"),
    ({"DATA_DIR": "data"}, "DATA_DIR=data must be an absolute path"),
    ({"JUPYTER_PORT": "x"}, "JUPYTER_PORT=x is not a port number"),
])
def test_launcher_stops_before_docker_run_when_something_is_wrong(tmp_path, kwargs, message):
    result, runs = run_launcher(tmp_path, **kwargs)
    assert result.returncode == 1
    assert message in result.stderr
    assert runs == []


# --- the image as the launcher starts it -----------------------------------

def dockerfile_instructions(path: pathlib.Path):
    """(INSTRUCTION, text) pairs of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            yield keyword.upper(), rest.strip()


def final_stage(path: pathlib.Path):
    stages, current = [], None
    for keyword, rest in dockerfile_instructions(path):
        if keyword == "FROM":
            current = []
            stages.append(current)
        if current is not None:
            current.append((keyword, rest))
    return stages[-1]


def test_image_runs_the_entrypoint_as_a_user_with_ports_and_healthcheck():
    stage = final_stage(DEPLOY / "notebook.Dockerfile")
    keywords = [k for k, _ in stage]
    assert stage[0][1].startswith("python:"), stage[0]
    exposed = {p for k, rest in stage if k == "EXPOSE" for p in rest.split()}
    assert {"8888", "4040", "7077"} <= exposed
    users = [rest for k, rest in stage if k == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert "HEALTHCHECK" in keywords
    copies = [rest for k, rest in stage if k == "COPY"]
    assert any(c.startswith("deploy/entrypoint.sh ") for c in copies)
    assert any(c.startswith("--from=builder /wheels/") for c in copies)
    entrypoint = json.loads([rest for k, rest in stage if k == "ENTRYPOINT"][-1])
    assert entrypoint == ["rmesos-notebook-entrypoint"]
    installs = " ".join(rest for k, rest in stage if k == "RUN").lower()
    assert "jupyterlab" in installs and "numpy" in installs and "rmesos-" in installs
    for banned in ["pyspark", "openjdk", "jre", "spark-"]:
        assert banned not in installs


def image_env(stage) -> dict:
    args = {}
    env = {}
    for keyword, rest in stage:
        if keyword == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            args[name] = value
        if keyword == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], value)
    return env


def test_image_started_by_the_launcher_gives_the_kernel_the_cluster_wiring(tmp_path):
    """docker run = the image's ENV, overlaid by the launcher's --env values,
    then the entrypoint: this replays it with fakes and checks what Jupyter
    (and so every notebook kernel) receives."""
    launcher_dir = tmp_path / "launcher"
    launcher_dir.mkdir()
    _, runs = run_launcher(launcher_dir)
    run_env = dict(e.partition("=")[::2] for e in options(runs[0], "--env"))
    env = {**image_env(final_stage(DEPLOY / "notebook.Dockerfile")), **run_env}
    assert env["NOTEBOOK_DIR"] == "/home/rmesos/work"
    assert env["JUPYTER_PORT"] == "8888"
    # Paths of the container that do not exist here.
    env["NOTEBOOK_DIR"] = str(tmp_path / "work")
    result, jupyter = run_entrypoint(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    kernel_env = jupyter["env"]
    assert kernel_env["RMESOS_MASTER"] == ZK
    assert kernel_env["RMESOS_ADVERTISE_HOST"] == "rmesos-notebook"
    assert kernel_env["RMESOS_ADVERTISE_PORT"] == "7077"
    assert kernel_env["RMESOS_DATA_BIND"] == "0.0.0.0:7077"
    assert kernel_env["RMESOS_UI_BIND"] == "0.0.0.0:4040"
    assert kernel_env["RMESOS_DATA_DIR"] == "/data"
    # The ports the launcher publishes are the ones the container listens on.
    published = {p.split(":")[1] for p in options(runs[0], "--publish")}
    assert published == {"8888", "4040"}
    assert "--port=8888" in jupyter["argv"]


# --- the compose stack -----------------------------------------------------

def test_compose_stack_wires_the_notebook_to_zookeeper_mesos_and_the_agents():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"zoo1", "zoo2", "zoo3", "mesos1", "mesos2", "mesos3", "agent1", "agent2",
            "rmesos-notebook"} <= set(services)
    assert compose["networks"]["net"]["name"] == "net"
    for name, service in services.items():
        assert service["networks"] == ["net"], name
        assert service["hostname"] == name, name
    masters = ["mesos1", "mesos2", "mesos3"]
    assert [services[m]["ports"] for m in masters] == [["5051:5050"], ["5052:5050"], ["5053:5050"]]
    for m in masters:
        assert services[m]["environment"]["MESOS_ZK"] == ZK
        assert services[m]["environment"]["MESOS_QUORUM"] == "2"
        assert "MESOS_MASTER_IMAGE" in services[m]["image"]
    notebook = services["rmesos-notebook"]
    env = notebook["environment"]
    assert env["RMESOS_MASTER"] == ZK
    assert env["RMESOS_ADVERTISE_HOST"] == notebook["hostname"]
    assert env["RMESOS_DATA_BIND"].rsplit(":", 1)[1] == env["RMESOS_ADVERTISE_PORT"]
    assert set(notebook["ports"]) == {"8888:8888", "4040:4040"}
    build = notebook["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "notebook.Dockerfile"
    assert env["RMESOS_DATA_DIR"] == "/data"
    # The agents (--switch_user by default) know root, not the image's rmesos.
    assert env["RMESOS_USER"] == "${RMESOS_USER:-root}"
    data_mounts = {v for v in notebook["volumes"] if v.endswith(":/data")}
    assert data_mounts == {"${DATA_SOURCE:-rmesos-data}:/data"}
    for agent in ["agent1", "agent2"]:
        assert services[agent]["environment"]["MESOS_MASTER"] == ZK
        assert "MESOS_AGENT_IMAGE" in services[agent]["image"]
        assert data_mounts <= set(services[agent]["volumes"]), agent
