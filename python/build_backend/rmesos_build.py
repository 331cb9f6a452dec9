"""PEP 517 build backend of the rmesos package: maturin's, plus two programs.

Before maturin builds a wheel (or an editable install), this backend builds
and copies into ``rmesos/bin/``:

- ``rmesos-executor``, which the driver serves to the Mesos agents, with
  ``executor-build.json`` saying how it was built;
- ``rmesos-submit``, the command line, which the ``rmesos-submit`` console
  script runs (``rmesos/_submit.py``). It is the native program, not the
  command run inside Python, so that it finds the executor beside itself
  and handles Ctrl-C itself (cancelling a cluster job and tearing the
  framework down). It runs on the machine that installs the wheel, so it is
  built with plain ``cargo build --release``, next to the extension module.

How the executor is built is chosen by ``RMESOS_EXECUTOR_BUILD``:

- ``auto`` (default): with Zig and cargo-zigbuild (pip installs both into the
  build environment on Linux x86_64/aarch64, see
  ``get_requires_for_build_wheel``), ``scripts/build-executor.sh`` builds
  against glibc 2.17 so that old agents run it; without them, a plain
  ``cargo build --release``.
- ``zig``: the glibc 2.17 build, or fail.
- ``plain``: ``cargo build --release`` (needs the build host's glibc).

The executor is built from the Cargo workspace this directory sits in, so
wheels are built from a checkout of the repository (``pip install ./python``,
``pip wheel ./python``); an sdist carries no executor.
"""
from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

import maturin
from maturin import (  # noqa: F401  (re-exported: the rest of PEP 517 is maturin's)
    build_sdist,
    get_requires_for_build_sdist,
    prepare_metadata_for_build_wheel,
)

PYTHON_DIR = Path(__file__).resolve().parent.parent
REPO = PYTHON_DIR.parent
BIN_DIR = PYTHON_DIR / "rmesos" / "bin"
EXECUTOR = BIN_DIR / "rmesos-executor"
SUBMIT = BIN_DIR / "rmesos-submit"
BUILD_INFO = BIN_DIR / "executor-build.json"
GLIBC = "2.17"
# Only these hosts get the Zig build; elsewhere the plain build is used.
ZIG_HOSTS = {("Linux", "x86_64"), ("Linux", "aarch64")}
ZIG_REQUIREMENTS = ["cargo-zigbuild>=0.19", "ziglang>=0.13"]


def _mode() -> str:
    mode = os.environ.get("RMESOS_EXECUTOR_BUILD", "auto").strip().lower() or "auto"
    if mode not in {"auto", "zig", "plain"}:
        raise SystemExit(
            f"RMESOS_EXECUTOR_BUILD must be auto, zig or plain, not {mode!r}"
        )
    return mode


def _zig_host() -> bool:
    return (platform.system(), platform.machine()) in ZIG_HOSTS


def _zig_available() -> bool:
    has_zig = shutil.which("zig") is not None or importlib.util.find_spec("ziglang") is not None
    return _zig_host() and has_zig and shutil.which("cargo-zigbuild") is not None


def _log(message: str) -> None:
    print(f"rmesos build: {message}", file=sys.stderr, flush=True)


def _build_with_zig() -> dict:
    script = REPO / "scripts" / "build-executor.sh"
    if not script.is_file():
        raise SystemExit(f"{script}: missing; build from a checkout of the rmesos repository")
    # PYTHON: the script finds Zig in this interpreter's ziglang package.
    env = {**os.environ, "PYTHON": sys.executable}
    subprocess.run(["bash", str(script), str(EXECUTOR)], check=True, env=env)
    return {"build": "zig", "target": f"{platform.machine()}-unknown-linux-gnu.{GLIBC}",
            "max_glibc": GLIBC}


def _cargo_build_release(package: str, binary: str, destination: Path) -> None:
    """``cargo build --release`` of one binary, copied to ``destination``."""
    command = ["cargo", "build", "--release", "--locked", "-p", package, "--bin", binary,
               "--manifest-path", str(REPO / "Cargo.toml"),
               "--message-format", "json-render-diagnostics"]
    _log(" ".join(command))
    result = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    built = None
    for line in result.stdout.splitlines():
        message = json.loads(line)
        if (message.get("reason") == "compiler-artifact"
                and message.get("target", {}).get("name") == binary
                and message.get("executable")):
            built = message["executable"]
    if built is None:
        raise SystemExit(f"cargo build finished without reporting the {binary} binary")
    BIN_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built, destination)
    destination.chmod(0o755)
    # The release profile keeps line tables: five times the size in the wheel.
    if shutil.which("strip"):
        subprocess.run(["strip", "--strip-debug", str(destination)], check=True)


def _build_plain() -> dict:
    _cargo_build_release("rmesos-executor", "rmesos-executor", EXECUTOR)
    return {"build": "plain", "target": "host", "max_glibc": None}


def bundle_programs() -> None:
    """Builds rmesos-executor and rmesos-submit into rmesos/bin/."""
    mode = _mode()
    use_zig = mode == "zig" or (mode == "auto" and _zig_available())
    if mode == "zig" and not _zig_available():
        raise SystemExit(
            "RMESOS_EXECUTOR_BUILD=zig needs Linux x86_64/aarch64, zig (or the ziglang "
            "package) and cargo-zigbuild: pip install cargo-zigbuild ziglang"
        )
    if not use_zig:
        _log("Zig or cargo-zigbuild missing: the executor will need this host's glibc")
    info = _build_with_zig() if use_zig else _build_plain()
    EXECUTOR.chmod(0o755)
    BUILD_INFO.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    _log(f"bundled {EXECUTOR} ({info['build']} build)")
    _cargo_build_release("rmesos-scheduler", "rmesos-submit", SUBMIT)
    _log(f"bundled {SUBMIT}")


def get_requires_for_build_wheel(config_settings: Mapping[str, Any] | None = None) -> list[str]:
    requirements = list(maturin.get_requires_for_build_wheel(config_settings))
    if _mode() != "plain" and _zig_host():
        requirements += ZIG_REQUIREMENTS
    return requirements


get_requires_for_build_editable = get_requires_for_build_wheel


def build_wheel(
    wheel_directory: str,
    config_settings: Mapping[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    bundle_programs()
    return maturin.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(
    wheel_directory: str,
    config_settings: Mapping[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    bundle_programs()
    return maturin.build_editable(wheel_directory, config_settings, metadata_directory)
