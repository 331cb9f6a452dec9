"""The ``rmesos-submit`` console script: runs the command line in this
process (``rmesos._rmesos.submit_main``) and exits with its status."""
from __future__ import annotations

import sys

INTERRUPTED = 130  # a shell's status for a process stopped by Ctrl-C


def main() -> None:
    try:
        from ._rmesos import submit_main

        status = submit_main(["rmesos-submit", *sys.argv[1:]])
    except KeyboardInterrupt:  # Ctrl-C before the command started
        print("rmesos-submit: interrupted", file=sys.stderr)
        status = INTERRUPTED
    sys.stdout.flush()
    sys.exit(status)


if __name__ == "__main__":
    main()
