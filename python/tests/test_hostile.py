"""Hostile input in local mode: a file that claims a huge table or shrinks
under a job is an exception naming the file, and the interpreter (the
user's Jupyter kernel) lives on to run the next job."""
import os

import numpy as np
import pytest

import rmesos
from rmesos.mllib.stat import Statistics


def npy_with_shape(path, shape):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }" % (shape,)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())


def test_a_file_truncated_after_planning_fails_the_job_and_the_interpreter_lives_on(tmp_path):
    path = tmp_path / "shrinks.npy"
    np.save(path, np.arange(200_000.0).reshape(50_000, 4))
    sc = rmesos.Context("local[2]")
    ds = sc.npy_file(path, numSlices=4)
    os.truncate(path, os.path.getsize(path) // 2)
    with pytest.raises((rmesos.JobFailed, ValueError)) as info:
        Statistics.colStats(ds)
    assert "shrinks.npy" in str(info.value)
    assert Statistics.colStats(sc.parallelize([[1.0], [2.0]])).count() == 2


@pytest.mark.parametrize("shape", ["(0, 1000000000000)", "(10000000, 10000000)"])
def test_a_header_claiming_a_huge_table_is_refused_naming_the_limit(tmp_path, shape):
    path = tmp_path / "hostile.npy"
    npy_with_shape(path, shape)
    sc = rmesos.Context("local[2]")
    with pytest.raises((rmesos.JobFailed, ValueError)) as info:
        Statistics.colStats(sc.npy_file(path))
    assert "hostile.npy" in str(info.value) and "RMESOS_MAX_COLUMNS" in str(info.value)
    assert Statistics.colStats(sc.parallelize([[1.0], [2.0]])).count() == 2
