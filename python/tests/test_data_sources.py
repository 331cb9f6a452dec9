"""Data where it lives: Parquet files written by pyarrow, directories and
globs of parts, in local mode and on the simulated cluster (executors
read the files themselves), checked against numpy; bad columns and
corrupt files raise naming the file."""
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rmesos
from conftest import assert_matches_numpy, cargo_binary


def write_table(path, rng, rows=3000, row_group_size=400):
    """A table of numeric and non-numeric columns; returns the numeric
    columns as numpy float64 (nulls as NaN), by name."""
    nulls = rng.random(rows) < 0.2
    table = pa.table({
        "x": rng.normal(3, 1, rows),
        "name": [f"n{i}" for i in range(rows)],
        "k": pa.array(rng.integers(-50, 50, rows), pa.int16()),
        "ok": rng.random(rows) < 0.5,
        "gap": pa.array(np.where(nulls, None, rng.normal(0, 1, rows)).tolist(), pa.float64()),
        "cat": pa.array(rng.integers(0, 3, rows), pa.int32()).dictionary_encode(),
    })
    pq.write_table(table, path, row_group_size=row_group_size)
    read = pq.read_table(path)
    return {
        "x": read["x"].to_numpy(),
        "k": read["k"].to_numpy().astype(np.float64),
        "ok": read["ok"].to_numpy(zero_copy_only=False).astype(np.float64),
        "gap": read["gap"].to_numpy(zero_copy_only=False).astype(np.float64),
        "cat": read["cat"].cast(pa.int32()).to_numpy().astype(np.float64),
    }


@pytest.fixture
def local():
    with rmesos.Context("local[2]") as context:
        yield context


def test_parquet_columns_are_chosen_ordered_and_named(local, rng, tmp_path):
    path = tmp_path / "t.parquet"
    columns = write_table(path, rng)
    summary = rmesos.Statistics.colStats(local.parquet_file(path, columns=["cat", "x", "k"], numSlices=3))
    assert summary.columns == ["cat", "x", "k"]
    assert_matches_numpy(summary, np.column_stack([columns[c] for c in ["cat", "x", "k"]]))
    assert summary.to_dict()["columns"] == ["cat", "x", "k"]
    assert "cat" in repr(summary)


def test_parquet_defaults_to_every_numeric_column_and_nulls_are_nan(local, rng, tmp_path):
    path = tmp_path / "t.parquet"
    columns = write_table(path, rng)
    summary = rmesos.Statistics.colStats(local.parquet_file(str(path)))
    assert summary.columns == ["x", "k", "ok", "gap", "cat"]
    gap = columns["gap"]
    assert np.isnan(summary.mean()[3]) and np.isnan(summary.variance()[3])
    assert summary.min()[3] == np.nanmin(gap) and summary.max()[3] == np.nanmax(gap)
    assert summary.numNonzeros()[3] == np.count_nonzero(gap)
    finite = ["x", "k", "ok", "cat"]
    kept = [0, 1, 2, 4]
    np.testing.assert_allclose(summary.mean()[kept], [columns[c].mean() for c in finite], rtol=1e-9)
    one_call = rmesos.col_stats(path, master="local")
    assert one_call.columns == summary.columns
    np.testing.assert_allclose(one_call.max(), summary.max())


def test_parquet_errors_name_the_file_and_the_column(local, rng, tmp_path):
    path = tmp_path / "t.parquet"
    write_table(path, rng)
    with pytest.raises(ValueError, match=r"t\.parquet: column 'name' is text, not a number"):
        local.parquet_file(path, columns=["x", "name"])
    with pytest.raises(ValueError, match="no column named 'y'"):
        local.parquet_file(path, columns=["y"])
    with pytest.raises(TypeError):
        local.parquet_file(path, columns="x")
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"cut\.parquet: not a valid Parquet file"):
        local.parquet_file(cut)


def test_a_directory_and_a_glob_of_parts_are_one_dataset(local, rng, tmp_path):
    parts = [rng.normal(0, 1, size=(n, 4)) for n in (100, 250, 7)]
    for i, part in enumerate(parts):
        np.save(tmp_path / f"part-{i}.npy", part)
    (tmp_path / "_SUCCESS").write_text("")
    everything = np.concatenate(parts)
    assert_matches_numpy(rmesos.Statistics.colStats(local.npy_file(tmp_path, numSlices=5)), everything)
    assert_matches_numpy(rmesos.col_stats(str(tmp_path / "part-[01].npy"), master="local"),
                         np.concatenate(parts[:2]))
    np.save(tmp_path / "part-3.npy", np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"part-3\.npy: has 2 columns"):
        rmesos.Statistics.colStats(local.npy_file(tmp_path))


@pytest.fixture(scope="module")
def cluster(simulated_cluster):
    context = rmesos.Context(simulated_cluster, appName="pytest-data-sources",
                             executor_file=str(cargo_binary("rmesos-executor")),
                             data_bind="127.0.0.1:0", ui_bind="127.0.0.1:0")
    yield context
    context.stop()


def test_shared_parquet_and_parts_on_the_cluster(cluster, rng, tmp_path):
    path = tmp_path / "t.parquet"
    columns = write_table(path, rng, rows=5000, row_group_size=600)
    summary = rmesos.Statistics.colStats(cluster.parquet_file(path, columns=["k", "x"], numSlices=4))
    assert summary.columns == ["k", "x"]
    assert_matches_numpy(summary, np.column_stack([columns["k"], columns["x"]]))
    served = rmesos.Statistics.colStats(cluster.parquet_file(path, columns=["x"], shared=False))
    assert served.columns == ["x"]
    assert_matches_numpy(served, columns["x"][:, None])
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    parts = [rng.normal(5, 2, size=(n, 3)) for n in (400, 30)]
    for i, part in enumerate(parts):
        pq.write_table(pa.table({c: part[:, j] for j, c in enumerate("abc")}), parts_dir / f"p{i}.parquet")
    summary = rmesos.Statistics.colStats(cluster.parquet_file(parts_dir, numSlices=3))
    assert summary.columns == ["a", "b", "c"]
    assert_matches_numpy(summary, np.concatenate(parts))


@pytest.fixture(scope="module")
def moto_s3():
    """A moto_server (S3-compatible) on a free loopback port; the AWS_*
    variables of this process point at it while the module runs."""
    import os
    import shutil
    import socket
    import subprocess
    import time
    if shutil.which("moto_server") is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "moto_server did not start"
            time.sleep(0.05)
    variables = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "py-key",
                 "AWS_SECRET_ACCESS_KEY": "py-secret-never-shown", "AWS_REGION": "us-east-1"}
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    import boto3
    client = boto3.client("s3")
    client.create_bucket(Bucket="lake")
    try:
        yield client
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.terminate()
        server.wait()


def test_objects_in_s3_locally(local, moto_s3, rng, tmp_path):
    x = rng.normal(1, 3, size=(2000, 3))
    np.save(tmp_path / "x.npy", x)
    np.savetxt(tmp_path / "x.csv", x, delimiter=",", fmt="%.17g", header="a,b,c", comments="")
    columns = write_table(tmp_path / "t.parquet", rng)
    for name in ["x.npy", "x.csv", "t.parquet"]:
        moto_s3.upload_file(str(tmp_path / name), "lake", f"in/{name}")
    assert_matches_numpy(rmesos.Statistics.colStats(local.npy_file("s3://lake/in/x.npy", numSlices=3)), x)
    assert_matches_numpy(rmesos.Statistics.colStats(local.csv_file("s3://lake/in/x.csv", numSlices=4)), x)
    summary = rmesos.Statistics.colStats(local.parquet_file("s3://lake/in/t.parquet", columns=["x", "k"]))
    assert summary.columns == ["x", "k"]
    assert_matches_numpy(summary, np.column_stack([columns["x"], columns["k"]]))
    assert_matches_numpy(rmesos.col_stats("s3://lake/in/x.npy", master="local[2]"), x)
    with pytest.raises((ValueError, rmesos.JobFailed), match="s3://lake/in/absent.npy") as error:
        rmesos.Statistics.colStats(local.npy_file("s3://lake/in/absent.npy"))
    assert "py-secret-never-shown" not in str(error.value)


def test_objects_on_the_cluster_are_read_by_the_executors(cluster, moto_s3, rng, tmp_path):
    parts = [rng.normal(-2, 1, size=(n, 2)) for n in (700, 50)]
    for i, part in enumerate(parts):
        np.save(tmp_path / f"p{i}.npy", part)
        moto_s3.upload_file(str(tmp_path / f"p{i}.npy"), "lake", f"parts/p{i}.npy")
    summary = rmesos.Statistics.colStats(cluster.npy_file("s3://lake/parts/", numSlices=4))
    assert_matches_numpy(summary, np.concatenate(parts))
