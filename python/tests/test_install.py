"""What `pip install ./python` installs besides the module: the bundled
rmesos-executor binary (built against glibc 2.17 when Zig was available) and
the `rmesos-submit` command on PATH."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from rmesos import _paths

REPO = pathlib.Path(__file__).resolve().parents[2]
CHECK_GLIBC = REPO / "scripts" / "check-glibc.sh"
MAX_GLIBC = (2, 17)


def glibc_versions(binary: pathlib.Path, max_version: str = "2.17"):
    """Runs scripts/check-glibc.sh; returns (exit status, output, versions)."""
    result = subprocess.run(
        ["bash", str(CHECK_GLIBC), str(binary), max_version],
        capture_output=True, text=True, timeout=60,
    )
    output = result.stdout + result.stderr
    versions = {
        tuple(int(part) for part in v.split("."))
        for v in re.findall(r"^\s+GLIBC_([0-9.]+)\s+\d+$", result.stdout, re.M)
    }
    return result.returncode, output, versions


@pytest.mark.parametrize("bundled", [_paths.executor_path, _paths.submit_path])
def test_programs_are_bundled_and_executable(bundled):
    path = bundled()
    assert path.parent == pathlib.Path(_paths.__file__).resolve().parent / "bin"
    assert path.is_file()
    assert os.access(path, os.X_OK), f"{path} is not executable"
    with open(path, "rb") as binary:
        assert binary.read(4) == b"\x7fELF"


def test_executor_build_is_recorded():
    info = _paths.executor_build()
    assert info is not None, "rmesos/bin/executor-build.json is missing"
    assert info["build"] in {"zig", "plain"}


def test_bundled_executor_runs_on_glibc_2_17():
    info = _paths.executor_build() or {}
    if info.get("build") != "zig":
        pytest.skip(f"the executor was built without Zig ({info}): it needs the build host's glibc")
    assert info["max_glibc"] == "2.17"
    status, output, versions = glibc_versions(_paths.executor_path())
    assert status == 0, output
    assert versions, f"no GLIBC versions listed:\n{output}"
    assert max(versions) <= MAX_GLIBC, output


def test_check_glibc_names_offending_symbols():
    # Any dynamically linked program needs some glibc newer than 2.2.5.
    python = pathlib.Path(os.path.realpath(sys.executable))
    status, output, versions = glibc_versions(python, "2.2.5")
    if not versions:
        pytest.skip(f"{python} uses no versioned glibc symbols")
    assert status == 1, output
    assert "FAIL: symbols need a glibc newer than 2.2.5" in output
    offending = re.findall(r"^\s+GLIBC_[0-9.]+: (.+)$", output, re.M)
    assert offending and all(line.split() for line in offending), output


def test_check_glibc_refuses_a_file_that_is_not_elf():
    status, output, _ = glibc_versions(REPO / "examples" / "seed.csv")
    assert status == 2
    assert "not an ELF file" in output


def submit(*args: str) -> subprocess.CompletedProcess:
    command = shutil.which("rmesos-submit")
    assert command is not None, (
        "rmesos-submit is not on PATH; pip installs it into "
        f"{pathlib.Path(sys.executable).parent} (or ~/.local/bin with --user)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RMESOS_")}
    return subprocess.run([command, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)


def test_rmesos_submit_on_path_computes_the_seed():
    result = submit("--format", "json", "examples/seed.csv")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["count"] == 3
    assert stats["mean"] == [2.0, 20.0, 200.0]
    assert stats["variance"] == [1.0, 100.0, 10000.0]


def test_rmesos_submit_exit_statuses():
    assert submit("--version").returncode == 0
    usage = submit("--no-such-option", "examples/seed.csv")
    assert usage.returncode == 2
    assert "--no-such-option" in usage.stderr
    missing = submit("examples/no-such-file.csv")
    assert missing.returncode == 2
    assert "no-such-file.csv" in missing.stderr


def test_rmesos_submit_serves_the_bundled_executor():
    # The native program finds rmesos-executor beside itself; if it did not,
    # it would stop (exit 2) before trying to reach the master.
    result = submit("--master", "http://127.0.0.1:1", "--connect-timeout", "1",
                    "--data-bind", "127.0.0.1:0", "examples/seed.csv")
    assert "no rmesos-executor found" not in result.stderr
    assert result.returncode == 1, result.stderr
    assert "http://127.0.0.1:1" in result.stderr


def test_rmesos_submit_runs_the_seed_on_a_cluster_with_the_bundled_executor(simulated_cluster):
    result = submit("--master", simulated_cluster, "--format", "json", "--partitions", "2",
                    "--data-bind", "127.0.0.1:0", "examples/seed.csv")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["count"] == 3
    assert stats["mean"] == [2.0, 20.0, 200.0]
    assert stats["num_nonzeros"] == [3.0, 3.0, 3.0]
