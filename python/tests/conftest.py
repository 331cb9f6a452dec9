import numpy as np
import pytest


def numpy_stats(x: np.ndarray) -> dict:
    """The eight statistics as numpy computes them (finite data, n >= 2)."""
    x = np.asarray(x, dtype=np.float64)
    return {
        "count": x.shape[0],
        "mean": x.mean(axis=0),
        "variance": x.var(axis=0, ddof=1),
        "numNonzeros": np.count_nonzero(x, axis=0).astype(np.float64),
        "min": x.min(axis=0),
        "max": x.max(axis=0),
        "normL1": np.abs(x).sum(axis=0),
        "normL2": np.sqrt((x * x).sum(axis=0)),
    }


def assert_matches_numpy(summary, x):
    want = numpy_stats(x)
    assert summary.count() == want["count"]
    for name in ["mean", "variance", "numNonzeros", "min", "max", "normL1", "normL2"]:
        got = getattr(summary, name)()
        assert got.dtype == np.float64, name
        np.testing.assert_allclose(got, want[name], rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
