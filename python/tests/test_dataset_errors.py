"""The same bad input gets the same error text from the shell and from
Python: both open datasets through the scheduler's one ``Dataset::open``
and report a job's bad input the same way. The inputs are those the
command line's own tests already use (scheduler/tests/cli_usage.rs and
cli_data.rs): malformed .csv and .npy files, unknown extensions, missing
files, directories, .csv options for a .npy file, bad delimiters and
headers."""
import os
import subprocess

import numpy as np
import pytest

import rmesos
from rmesos import _paths

ERROR_PREFIX = "rmesos-submit: error: "


def shell_stderr(*args) -> str:
    """What ``rmesos-submit`` (local mode) says as it exits 2."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RMESOS_")}
    result = subprocess.run([str(_paths.submit_path()), "--master", "local[2]", *map(str, args)],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2, result.stderr
    return result.stderr


def shell_error(*args) -> str:
    """The one-line message ``rmesos-submit`` (local mode) exits 2 with."""
    lines = [line for line in shell_stderr(*args).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def python_error(make, *, job=True) -> BaseException:
    """The exception Python raises making the dataset, or running its job."""
    sc = rmesos.Context("local[2]")
    with pytest.raises((ValueError, FileNotFoundError, rmesos.JobFailed)) as info:
        dataset = make(sc)
        if job:
            rmesos.Statistics.colStats(dataset)
    return info.value


@pytest.fixture
def files(tmp_path):
    def write(name, content):
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    deep = "".join(f"{i},{i * 2}\n" for i in range(400)) + "400,oops\n"
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    return {
        "bad_number": write("bad_number.csv", "1,2,3\n4,5,6\n7,x,9\n10,11,12\n"),
        "ragged": write("ragged.csv", "1,2,3\n4,5\n7,8,9\n"),
        "header": write("header.csv", "a,b\n1,2\n"),
        "deep": write("deep.csv", deep),
        "garbage": write("garbage.npy", b"this is not an npy file at all"),
        "txt": write("data.txt", "1,2\n3,4\n"),
        "npy": write("data.npy", b""),
        "upper": write("UPPER.CSV", "1,2\n3,4\n"),
        "missing": tmp_path / "absent.npy",
        "folder": folder,
    }


def test_malformed_files_read_the_same(files):
    cases = [
        (["--partitions", "1", files["bad_number"]],
         lambda sc: sc.csv_file(files["bad_number"], numSlices=1)),
        (["--partitions", "1", files["ragged"]],
         lambda sc: sc.csv_file(files["ragged"], numSlices=1)),
        (["--header", "no", files["header"]],
         lambda sc: sc.csv_file(files["header"], header="no")),
        (["--partitions", "4", files["deep"]],
         lambda sc: sc.csv_file(files["deep"], numSlices=4)),
        ([files["garbage"]], lambda sc: sc.npy_file(files["garbage"])),
    ]
    for args, make in cases:
        shell = shell_error(*args)
        error = python_error(make)
        assert isinstance(error, rmesos.JobFailed), error
        assert shell == ERROR_PREFIX + str(error)


def test_files_that_are_no_dataset_are_refused_alike(files):
    cases = [
        ([files["txt"]], lambda sc: sc.csv_file(files["txt"]), ValueError),
        ([files["missing"]], lambda sc: sc.npy_file(files["missing"]), FileNotFoundError),
        ([files["folder"]], lambda sc: sc.csv_file(files["folder"]), ValueError),
        (["--delimiter", ";", files["npy"]], lambda sc: sc.csv_file(files["npy"], delimiter=";"),
         ValueError),
    ]
    for args, make, kind in cases:
        shell = shell_error(*args)
        error = python_error(make, job=False)
        assert type(error) is kind, error
        assert shell == ERROR_PREFIX + str(error)


def test_bad_csv_options_get_the_parsers_message(files):
    for flag, keyword, value in [("--delimiter", "delimiter", ";;"),
                                 ("--delimiter", "delimiter", "\n"),
                                 ("--delimiter", "delimiter", '"'),
                                 ("--header", "header", "maybe")]:
        shell = shell_stderr(flag, value, files["upper"])
        error = python_error(lambda sc: sc.csv_file(files["upper"], **{keyword: value}), job=False)
        prefix = f"{keyword}: "
        assert str(error).startswith(prefix), error
        assert str(error)[len(prefix):] in shell


def test_an_upper_case_extension_and_header_true_work_from_both(files):
    sc = rmesos.Context("local[2]")
    summary = rmesos.Statistics.colStats(sc.csv_file(files["upper"], header="false"))
    np.testing.assert_array_equal(summary.mean(), [2.0, 3.0])
    result = subprocess.run([str(_paths.submit_path()), "--master", "local", "--header", "false",
                             "--format", "json", str(files["upper"])],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert '"mean":[2.0,3.0]' in result.stdout
