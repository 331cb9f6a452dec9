"""Statistics beyond colStats against numpy (and PySpark's doctests):
Pearson correlation, approximate quantiles, describe() and pandas."""
import math
import warnings

import numpy as np
import pytest

import rmesos
from rmesos.mllib.stat import Statistics

try:
    import pandas
except ImportError:  # pandas is in requirements-dev.txt; tests needing it skip without
    pandas = None

needs_pandas = pytest.mark.skipif(pandas is None, reason="pandas is not installed")


@pytest.fixture(scope="module")
def sc():
    with rmesos.Context("local[2]") as context:
        yield context


# --- Pearson correlation -------------------------------------------------


def test_pysparks_corr_doctests(sc):
    # pyspark.mllib.stat.Statistics.corr's doctest, Vectors.dense as arrays.
    x = sc.parallelize([1.0, 0.0, -2.0], 2)
    y = sc.parallelize([4.0, 5.0, 3.0], 2)
    zeros = sc.parallelize([0.0, 0.0, 0.0], 2)
    assert abs(Statistics.corr(x, y) - 0.6546537) < 1e-7
    assert Statistics.corr(x, y) == Statistics.corr(x, y, "pearson")
    with pytest.warns(RuntimeWarning, match="zero variance"):
        assert math.isnan(Statistics.corr(x, zeros))
    rdd = sc.parallelize([np.array([1, 0, 0, -2]), np.array([4, 5, 0, 3]),
                          np.array([6, 7, 0, 8]), np.array([9, 0, 0, 1])])
    with pytest.warns(RuntimeWarning, match=r"column\(s\) \[2\] have zero variance"):
        pearson = Statistics.corr(rdd)
    expected = np.array([[1.0, 0.05564149, np.nan, 0.40047142],
                         [0.05564149, 1.0, np.nan, 0.91359586],
                         [np.nan, np.nan, 1.0, np.nan],
                         [0.40047142, 0.91359586, np.nan, 1.0]])
    np.testing.assert_allclose(pearson, expected, atol=5e-9)
    # The only method so far is Pearson; naming it without method= is refused.
    with pytest.raises(ValueError, match="'pearson'"):
        Statistics.corr(rdd, method="spearman")
    with pytest.raises(TypeError, match="method="):
        Statistics.corr(rdd, "spearman")


def _numpy_corr(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.corrcoef(x, rowvar=False)


@pytest.mark.parametrize("master", ["local", "local[2]"])
@pytest.mark.parametrize("slices", [None, 1, 7, 64])
def test_corr_matches_numpy_with_large_offsets(rng, master, slices):
    n = 20_001
    base = rng.normal(size=n)
    x = np.column_stack([
        base,
        2 * base + rng.normal(size=n),
        1e9 + base + rng.normal(size=n),          # mean 1e9, spread ~1
        -1e9 + rng.normal(size=n),
        rng.uniform(-1e6, 1e6, size=n),
    ])
    got = rmesos.corr(x, master=master, partitions=slices)
    assert got.shape == (5, 5) and got.dtype == np.float64
    np.testing.assert_allclose(got, _numpy_corr(x), rtol=0, atol=1e-9)


def test_zero_variance_is_nan_with_a_warning_and_one_on_the_diagonal(rng):
    x = rng.normal(size=(100, 3))
    x[:, 1] = 7.0
    with pytest.warns(RuntimeWarning, match=r"\[1\]"):
        got = rmesos.corr(x)
    assert np.isnan(got[1, [0, 2]]).all() and np.isnan(got[[0, 2], 1]).all()
    assert got[1, 1] == 1.0
    np.testing.assert_allclose(got[np.ix_([0, 2], [0, 2])], _numpy_corr(x[:, [0, 2]]), atol=1e-12)


def test_corr_checks_its_arguments(sc):
    with pytest.raises(ValueError, match="'pearson'"):
        rmesos.corr(np.eye(3), method="kendall")
    with pytest.raises(ValueError, match="same number of elements"):
        Statistics.corr(sc.parallelize([1.0, 2.0]), sc.parallelize([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="2 columns"):
        Statistics.corr(sc.parallelize([[1.0, 2.0]]), sc.parallelize([1.0]))
    with pytest.raises(ValueError, match="empty"):
        Statistics.corr(sc.parallelize(np.empty((0, 2))))


def test_corr_of_a_file_dataset(sc, rng, tmp_path):
    x = rng.normal(size=(5000, 4)) @ rng.normal(size=(4, 4))
    path = tmp_path / "x.npy"
    np.save(path, x)
    got = Statistics.corr(sc.npy_file(path, numSlices=3))
    np.testing.assert_allclose(got, _numpy_corr(x), atol=1e-12)


@needs_pandas
def test_corr_of_a_dataframe_keeps_its_numeric_columns(rng):
    frame = pandas.DataFrame({"a": rng.normal(size=500), "label": ["x"] * 500,
                              "b": rng.integers(0, 9, size=500)})
    got = rmesos.corr(frame)
    np.testing.assert_allclose(got, frame[["a", "b"]].corr().to_numpy(), atol=1e-12)
