"""Programs the rmesos package carries in ``rmesos/bin/``: the
``rmesos-executor`` binary that the driver serves to the Mesos agents (and
how it was built), and the native ``rmesos-submit`` command line.

The build backend (``python/build_backend/rmesos_build.py``) puts them there
when the wheel is built.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, Dict, Optional

BIN_DIR = Path(__file__).resolve().parent / "bin"


def _bundled(name: str) -> Path:
    path = BIN_DIR / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: {name} is missing from this installation of rmesos; "
            "reinstall with `pip install ./python` from a checkout of the rmesos repository"
        )
    if not os.access(path, os.X_OK):
        # Some installers drop the mode bits of package files.
        try:
            path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError:
            pass
    return path


def executor_path() -> Path:
    """The bundled ``rmesos-executor`` binary, which the driver serves to
    the agents. Raises FileNotFoundError naming the expected path when the
    package was installed without it (for instance from an sdist)."""
    return _bundled("rmesos-executor")


def submit_path() -> Path:
    """The bundled native ``rmesos-submit`` program (the console script of
    the same name runs it)."""
    return _bundled("rmesos-submit")


def executor_build() -> Optional[Dict[str, Any]]:
    """How the bundled executor was built, or None if that is unknown.

    ``{"build": "zig", "target": "x86_64-unknown-linux-gnu.2.17",
    "max_glibc": "2.17"}`` for the build that old agents run, or
    ``{"build": "plain", "target": "host", "max_glibc": None}``.
    """
    path = BIN_DIR / "executor-build.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
