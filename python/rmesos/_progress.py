"""Live job progress: an updating line in a Jupyter notebook, a ``\\r``
line on a terminal's stderr, nothing otherwise (pipes, logs)."""
from __future__ import annotations

import contextlib
import sys
import time
from typing import Callable, Iterator, Optional

# Jobs shorter than this show no progress at all.
_QUIET_SECONDS = 0.5


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython  # type: ignore
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} partitions"


@contextlib.contextmanager
def progress_reporter() -> Iterator[Optional[Callable[[int, int], None]]]:
    """Yields a ``report(done, total)`` callback (or ``None`` when nobody
    would see it) and clears the display when the job ends."""
    notebook = _in_notebook()
    terminal = not notebook and sys.stderr is not None and sys.stderr.isatty()
    if not (notebook or terminal):
        yield None
        return
    start = time.monotonic()
    state = {"handle": None, "shown": False}

    def report(done: int, total: int) -> None:
        if time.monotonic() - start < _QUIET_SECONDS and done < total:
            return
        text = "rmesos " + _bar(done, total)
        if notebook:
            from IPython.display import display  # type: ignore
            if state["handle"] is None:
                state["handle"] = display({"text/plain": text}, raw=True, display_id=True)
            else:
                state["handle"].update({"text/plain": text}, raw=True)
        else:
            sys.stderr.write("\r" + text)
            sys.stderr.flush()
        state["shown"] = True

    try:
        yield report
    finally:
        if terminal and state["shown"]:
            sys.stderr.write("\n")
            sys.stderr.flush()
