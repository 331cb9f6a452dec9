"""Ctrl-C (SIGINT) during a job cancels it: KeyboardInterrupt, remaining
partitions skipped, and the next job runs normally."""
import os
import signal

import numpy as np
import pytest

import rmesos
from rmesos import _rmesos


def test_sigint_cancels_a_running_job_and_the_next_job_works():
    data = np.full((100_000_000, 1), 2.0)
    seen = []

    def progress(done, total):
        seen.append((done, total))
        if len(seen) == 1:
            # As if the user pressed Ctrl-C once the job is under way.
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        _rmesos.col_stats_array(data, "local[1]", 4000, progress)
    assert seen, "the job reported progress before it was interrupted"
    done, total = seen[-1]
    assert total == 4000
    assert done < total, "the interrupted job must not run to the end"
    s = rmesos.col_stats(data[:1000], master="local[2]")
    assert s.count() == 1000 and s.mean()[0] == 2.0
