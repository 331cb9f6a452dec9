#!/usr/bin/env bash
# The one command that checks everything: installs what the tests need and
# is missing (idempotently), then runs formatting, lint and every test.
# Needs Rust, Python 3.11+ with pip, and Java; Debian for the ZooKeeper
# and Chromium packages. Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

# A one-off build (CI's fresh clone) gains nothing from incremental
# compilation and would write its caches next to every crate.
if [ "${CI:-}" = true ]; then
    export CARGO_INCREMENTAL=0
fi
# Builds here need a few GB; say up front how much room there is, so that
# a "No space left on device" later is easy to read.
step "free disk space where the build goes"
df -h "${CARGO_TARGET_DIR:-.}" >&2 || true

# Runs a command as root: directly when already root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        sudo "$@"
    fi
}

# --- Debian packages: ZooKeeper (the tests start a real server from it) ---
# --- and shellcheck (lints every shell script). -----------------------------
debian_packages=()
[ -f /usr/share/java/zookeeper.jar ] || debian_packages+=(zookeeper)
command -v shellcheck >/dev/null 2>&1 || debian_packages+=(shellcheck)
if [ "${#debian_packages[@]}" -gt 0 ]; then
    step "installing Debian packages: ${debian_packages[*]}"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${debian_packages[@]}"
fi

# --- Real Apache Mesos 1.12 (../shared/mesos): the real-Mesos suites ------
# (scheduler/tests/real_mesos.rs, python/tests/test_real_mesos.py) run on
# it. Its installer brings the libraries of the master and agent; the
# agent's fetcher also needs libarchive. Without it those suites skip,
# loudly; with it, a skip is a failure.
mesos_installer=../shared/mesos/install.sh
if [ -z "${RMESOS_TEST_MESOS_HOME:-}" ] && [ -f "$mesos_installer" ]; then
    step "installing real Apache Mesos from $mesos_installer"
    RMESOS_TEST_MESOS_HOME=$(bash "$mesos_installer" | tail -n 1)
    export RMESOS_TEST_MESOS_HOME
fi
if [ -n "${RMESOS_TEST_MESOS_HOME:-}" ]; then
    if ! dpkg-query -W -f='${Status}' libarchive13 2>/dev/null | grep -q "install ok installed"; then
        step "installing libarchive13 (the Mesos fetcher links it)"
        as_root apt-get update
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y libarchive13
    fi
    export RMESOS_TEST_REQUIRE_REAL_MESOS=1
else
    step "WARNING: real Apache Mesos not found (no RMESOS_TEST_MESOS_HOME, no $mesos_installer): the real-Mesos tests will be SKIPPED"
fi

# --- Chromium: a test loads the status page in headless Chromium. --------
if ! command -v chromium >/dev/null 2>&1; then
    step "installing Debian's chromium package"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

# --- Python packages the tests use (numpy computes expected results). -----
# Each requirement's distribution name must be installed; pip runs only if
# one is missing.
missing_python_packages() {
    python3 - requirements-dev.txt <<'PY'
import re, sys
from importlib import metadata
missing = []
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name = re.split(r"[\s<>=!~;\[]", line, maxsplit=1)[0]
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        missing.append(name)
print(" ".join(missing))
PY
}
missing="$(missing_python_packages)"
if [ -n "$missing" ]; then
    step "installing Python packages: $missing"
    if ! python3 -m pip install -r requirements-dev.txt; then
        # A distribution-managed Python refuses system-wide installs.
        python3 -m pip install --user --break-system-packages -r requirements-dev.txt
    fi
fi

# --- Rust components for the checks below. --------------------------------
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    step "installing rustfmt and clippy"
    rustup component add rustfmt clippy
fi

# --- Checks. ---------------------------------------------------------------
step "scripts/lint-deploy.sh (shellcheck on shell scripts, hadolint on Dockerfiles)"
bash scripts/lint-deploy.sh

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace"
cargo test --workspace

# --- Python package and its tests (pytest) ---------------------------------
# The package's build backend also builds rmesos-executor (against glibc
# 2.17 with Zig, which pip fetches into the build environment) and bundles it.
step "pip install ./python (builds the rmesos module with maturin and bundles rmesos-executor)"
if ! python3 -m pip install --quiet ./python; then
    python3 -m pip install --quiet --user --break-system-packages ./python
fi
# A --user install puts rmesos-submit there; the tests run it from PATH.
PATH="$PATH:$(python3 -m site --user-base)/bin"
export PATH

step "python3 -m pytest python/tests"
python3 -m pytest -q -rs python/tests

step "all checks passed"
