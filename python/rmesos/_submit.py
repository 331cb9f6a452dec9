"""The ``rmesos-submit`` console script: replaces this Python process with
the native ``rmesos-submit`` program bundled in ``rmesos/bin/``.

The native program, not the command line run inside Python, because it
finds the ``rmesos-executor`` to serve beside itself and handles Ctrl-C
itself: a cluster job is cancelled, its tasks killed and the framework torn
down, with nothing of Python's signal handling in between.
"""
from __future__ import annotations

import os
import subprocess
import sys

from ._paths import submit_path


def main() -> None:
    try:
        program = submit_path()
    except FileNotFoundError as error:
        print(f"rmesos-submit: error: {error}", file=sys.stderr)
        sys.exit(1)
    argv = [str(program), *sys.argv[1:]]
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(program, argv)  # does not return
    sys.exit(subprocess.call(argv))


if __name__ == "__main__":
    main()
