"""The Python API against numpy and Spark's own check vector."""
import numpy as np
import pytest

import rmesos
from rmesos.mllib.stat import Statistics
from conftest import assert_matches_numpy, run_seed_cell


def test_seed_cell_from_pyspark_with_two_lines_changed():
    summary = run_seed_cell(rmesos.Context())
    assert summary.count() == 3 and isinstance(summary.count(), int)


def test_sparks_doctest_vector():
    rows = [[2, 0, 0, -2], [4, 5, 0, 3], [6, 7, 0, 8]]
    s = rmesos.Statistics.colStats(rmesos.Context("local[2]").parallelize(rows))
    np.testing.assert_array_equal(s.mean(), [4, 4, 0, 3])
    np.testing.assert_array_equal(s.variance(), [4, 13, 0, 25])
    assert s.count() == 3
    np.testing.assert_array_equal(s.numNonzeros(), [3, 2, 0, 3])
    np.testing.assert_array_equal(s.max(), [6, 7, 0, 8])
    np.testing.assert_array_equal(s.min(), [2, 0, 0, -2])


@pytest.mark.parametrize("master", ["local", "local[2]", "local[*]"])
@pytest.mark.parametrize("slices", [None, 1, 3, 64])
def test_random_data_matches_numpy(rng, master, slices):
    x = rng.normal(5.0, 3.0, size=(10_001, 7))
    x[::13, 2] = 0.0
    assert_matches_numpy(rmesos.col_stats(x, master=master, partitions=slices), x)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, np.int16, np.uint8, np.bool_])
def test_every_dtype(rng, dtype):
    x = (rng.integers(0, 3, size=(500, 4)) if dtype == np.bool_ else rng.integers(-50, 100, size=(500, 4))).astype(dtype)
    if dtype == np.uint8:
        x = np.abs(x)
    assert_matches_numpy(rmesos.col_stats(x), x.astype(np.float64))


def test_fortran_order_and_non_contiguous_slices(rng):
    x = np.asfortranarray(rng.normal(size=(1000, 5)))
    assert_matches_numpy(rmesos.col_stats(x), x)
    view = rng.normal(size=(2000, 10))[::2, ::3]
    assert not view.flags.c_contiguous
    assert_matches_numpy(rmesos.col_stats(view), view)


def test_c_contiguous_float64_is_not_copied(rng):
    from rmesos._context import as_table
    x = rng.normal(size=(100, 3))
    assert as_table(x) is x, "a C-contiguous float64 array must reach Rust as is"
    assert as_table(x.astype(np.float32)) is not x


def test_one_dimensional_array_is_one_column(rng):
    x = rng.normal(size=300)
    s = rmesos.col_stats(x)
    assert_matches_numpy(s, x.reshape(-1, 1))


def test_nan_semantics_follow_spark():
    x = np.array([[1.0, np.nan], [np.nan, np.nan], [3.0, np.nan]])
    s = rmesos.col_stats(x)
    assert np.isnan(s.mean()).all() and np.isnan(s.variance()[0])
    np.testing.assert_array_equal(s.numNonzeros(), [3, 3])
    assert s.min()[0] == 1.0 and s.max()[0] == 3.0
    assert np.isnan(s.min()[1]) and np.isnan(s.max()[1])


def test_one_row_has_zero_variance():
    s = rmesos.col_stats([[1.0, 2.0]])
    np.testing.assert_array_equal(s.variance(), [0.0, 0.0])


def test_empty_dataset_has_count_zero_and_errors_for_the_rest():
    s = rmesos.col_stats(np.empty((0, 3)))
    assert s.count() == 0
    with pytest.raises(ValueError, match="empty"):
        s.mean()
    assert rmesos.col_stats([]).count() == 0
    assert s.to_dict() == {"count": 0}


def test_files_npy_and_csv(tmp_path, rng):
    x = rng.normal(size=(4000, 3))
    np.save(tmp_path / "x.npy", x)
    np.savetxt(tmp_path / "x.csv", x, delimiter=",", header="a,b,c", comments="", fmt="%.17g")
    with rmesos.Context("local[2]") as sc:
        assert_matches_numpy(Statistics.colStats(sc.npy_file(tmp_path / "x.npy", numSlices=5)), x)
        assert_matches_numpy(Statistics.colStats(sc.csv_file(tmp_path / "x.csv", numSlices=4)), x)


def test_bad_arguments_raise_value_or_type_errors(tmp_path):
    sc = rmesos.Context("local")
    with pytest.raises(ValueError, match="different lengths"):
        sc.parallelize([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="3 dimensions"):
        sc.parallelize(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match="dtype"):
        sc.parallelize(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="at least 1"):
        sc.parallelize([[1.0]], numSlices=0)
    with pytest.raises(TypeError):
        rmesos.Statistics.colStats([[1.0]])
    with pytest.raises(FileNotFoundError, match="nope.npy"):
        sc.npy_file(tmp_path / "nope.npy")
    with pytest.raises(ValueError):
        rmesos.Context("locale[2]")


def test_an_unreachable_cluster_names_the_master_but_hides_credentials():
    with pytest.raises(ConnectionError) as info:
        rmesos.Context("zk://alice:s3cret@127.0.0.1:9/mesos", connect_timeout=1.0,
                       executor_path="/opt/rmesos/rmesos-executor")
    assert "s3cret" not in str(info.value)
    assert "127.0.0.1:9" in str(info.value)


def test_default_master_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("RMESOS_MASTER", "local[3]")
    assert rmesos.Context().master == "local[3]"
    monkeypatch.delenv("RMESOS_MASTER")
    assert rmesos.Context().master == "local[*]"


def test_bad_file_fails_the_job_naming_file_and_line_and_context_stays_usable(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n3,x\n5,6\n")
    sc = rmesos.Context("local[2]")
    with pytest.raises((rmesos.JobFailed, ValueError)) as info:
        Statistics.colStats(sc.csv_file(bad, header="no"))
    assert "bad.csv" in str(info.value) and "line 2" in str(info.value)
    s = Statistics.colStats(sc.parallelize([[1.0], [2.0]]))
    assert s.count() == 2


def test_stopped_context_refuses_jobs():
    sc = rmesos.Context("local")
    ds = sc.parallelize([[1.0]])
    sc.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        Statistics.colStats(ds)


def test_renders_as_text_and_html_table():
    s = rmesos.col_stats([[1.0, 2.0], [3.0, 4.0]])
    text = repr(s)
    assert "count: 2" in text and "variance" in text
    html = s._repr_html_()
    assert html.count("<tr>") == 3 and "<th>normL2</th>" in html
    d = s.to_dict()
    assert d["count"] == 2 and d["mean"] == [2.0, 3.0]
