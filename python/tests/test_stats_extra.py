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


# --- Approximate quantiles -------------------------------------------------


def _assert_rank_bound(x, got, probabilities, error):
    """Each value's rank range among the column's non-NaN values meets
    ceil(p * n) +- error * n, and 0 and 1 give the exact min and max."""
    for j in range(x.shape[1]):
        column = np.sort(x[:, j][~np.isnan(x[:, j])])
        n = len(column)
        for i, p in enumerate(probabilities):
            v = got[i, j]
            below = np.searchsorted(column, v, side="left")
            upto = np.searchsorted(column, v, side="right")
            target = max(1.0, math.ceil(p * n))
            assert upto > below, f"p={p} column {j}: {v} is not a value of the column"
            assert below + 1 <= target + error * n and upto >= target - error * n, (p, j, v, below, upto)
        if probabilities[0] == 0.0:
            assert got[0, j] == column[0]
        if probabilities[-1] == 1.0:
            assert got[-1, j] == column[-1]


PROBS = [0.0, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0]


@pytest.mark.parametrize("error", [0.0, 0.001, 0.01, 0.1])
@pytest.mark.parametrize("slices", [1, 5])
def test_quantiles_keep_sparks_rank_bound(rng, error, slices):
    n = 50_000
    x = np.column_stack([
        np.arange(n, dtype=float),                 # sorted
        np.arange(n, 0, -1, dtype=float),          # reverse sorted
        np.full(n, 3.0),                           # all ties
        np.where(np.arange(n) == 7, 1e300, rng.normal(size=n)),  # one huge outlier
        rng.integers(0, 4, size=n).astype(float),  # few distinct values
    ])
    got = rmesos.quantiles(x, PROBS, relative_error=error, partitions=slices)
    assert got.shape == (len(PROBS), 5)
    _assert_rank_bound(x, got, PROBS, error)


def test_exact_quantiles_match_numpys_inverted_cdf(rng):
    x = rng.normal(size=(10_001, 3))
    got = rmesos.quantiles(x, [0.1, 0.5, 0.9], relative_error=0)
    np.testing.assert_array_equal(got, np.quantile(x, [0.1, 0.5, 0.9], axis=0, method="inverted_cdf"))


def test_approx_quantile_skips_nan_and_checks_arguments(sc, rng):
    x = rng.normal(size=(2000, 2))
    x[::3, 0] = np.nan
    ds = sc.parallelize(x, 4)
    got = ds.approxQuantile([0.0, 0.5, 1.0], 0.01)
    _assert_rank_bound(x, got, [0.0, 0.5, 1.0], 0.01)
    assert got[0, 0] == np.nanmin(x[:, 0]) and got[2, 0] == np.nanmax(x[:, 0])
    for bad in ([1.5], [-0.1], []):
        with pytest.raises(ValueError, match="probabilit"):
            ds.approxQuantile(bad, 0.01)
    with pytest.raises(ValueError, match="relativeError"):
        ds.approxQuantile([0.5], 2)


def test_quantiles_of_a_file_dataset(sc, rng, tmp_path):
    x = rng.exponential(size=(30_000, 3))
    path = tmp_path / "x.csv"
    np.savetxt(path, x, delimiter=",", fmt="%.17g")
    got = sc.csv_file(path, numSlices=4).approxQuantile(PROBS, 0.005)
    _assert_rank_bound(np.loadtxt(path, delimiter=",", ndmin=2), got, PROBS, 0.005)


# --- describe() and pandas -------------------------------------------------


@needs_pandas
def test_describe_matches_pandas_on_a_dataframe(rng):
    frame = pandas.DataFrame({"price": rng.normal(100, 5, size=4001), "name": ["a"] * 4001,
                              "qty": rng.integers(0, 50, size=4001), "flag": [True] * 4001})
    got = rmesos.describe(frame, relative_error=0)
    want = frame.describe()
    assert list(got.index) == list(want.index) == ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]
    assert list(got.columns) == ["price", "qty"]
    for row in ["count", "mean", "std", "min", "max"]:
        np.testing.assert_allclose(got.loc[row], want.loc[row], rtol=1e-9)
    # pandas interpolates between neighbours; rmesos returns data values
    # (Spark's convention), so each quartile lies between the two.
    values = frame[["price", "qty"]].to_numpy(dtype=float)
    for q, row in [(0.25, "25%"), (0.5, "50%"), (0.75, "75%")]:
        low = np.quantile(values, q, axis=0, method="lower")
        high = np.quantile(values, q, axis=0, method="higher")
        assert ((got.loc[row] >= low) & (got.loc[row] <= high)).all(), row


@needs_pandas
def test_describe_of_an_array_and_a_dataset_and_summary_to_pandas(sc, rng):
    x = rng.normal(size=(3000, 3))
    got = rmesos.describe(x)
    assert list(got.columns) == [0, 1, 2]
    np.testing.assert_allclose(got.loc["std"], x.std(axis=0, ddof=1), rtol=1e-9)
    from_dataset = rmesos.describe(sc.parallelize(x, 3))
    np.testing.assert_allclose(from_dataset.to_numpy(), got.to_numpy(), rtol=1e-12)
    frame = pandas.DataFrame(x, columns=["a", "b", "c"])
    summary = Statistics.colStats(sc.parallelize(frame))
    assert summary.columns == ["a", "b", "c"]
    table = summary.to_pandas()
    assert list(table.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(table.loc["mean"], x.mean(axis=0), rtol=1e-9)
    assert table.loc["count", "a"] == 3000
    assert "a" in repr(summary)
    np.testing.assert_allclose(rmesos.col_stats(frame).variance(), x.var(axis=0, ddof=1), rtol=1e-9)
    _assert_rank_bound(x, rmesos.quantiles(frame, [0.5]), [0.5], 0.001)


def test_describe_without_pandas_is_a_dict_of_arrays(monkeypatch, rng):
    from rmesos import _frames

    monkeypatch.setattr(_frames, "pandas_module", lambda: None)
    x = rng.normal(size=(500, 2))
    got = rmesos.describe(x)
    assert list(got["index"]) == ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]
    np.testing.assert_allclose(got[1][1], x[:, 1].mean(), rtol=1e-9)
    assert got[0][3] == x[:, 0].min() and got[0][7] == x[:, 0].max()
