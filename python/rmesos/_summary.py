"""``MultivariateStatisticalSummary``: PySpark's method names over the
statistics a job returned, plus rendering for terminals and notebooks."""
from __future__ import annotations

import html
from typing import Any, Dict, List, Optional

import numpy as np

_STATS = [
    ("mean", "mean"),
    ("variance", "variance"),
    ("numNonzeros", "num_nonzeros"),
    ("min", "min"),
    ("max", "max"),
    ("normL1", "norm_l1"),
    ("normL2", "norm_l2"),
]


class MultivariateStatisticalSummary:
    """Per-column statistics with Spark's semantics: sample variance (n-1,
    0 for one row); NaN counts as nonzero and makes mean, variance and the
    norms NaN, while min and max skip it. On an empty dataset ``count()``
    is 0 and every other statistic raises ``ValueError``."""

    def __init__(self, result: dict):
        self._count = int(result["count"])
        self._ncols = int(result.get("ncols", 0))
        self._values: Dict[str, np.ndarray] = {key: result[key] for _, key in _STATS if key in result}
        names = result.get("columns")
        self._columns: Optional[List[str]] = None if names is None else [str(n) for n in names]

    @property
    def columns(self) -> Optional[List[str]]:
        """Column names where the source has them (a pandas DataFrame,
        Parquet), else ``None``."""
        return None if self._columns is None else list(self._columns)

    def to_pandas(self) -> Any:
        """A pandas DataFrame: one row per statistic (count, mean,
        variance, numNonzeros, min, max, normL1, normL2), one column per
        data column (named as the source names them). Raises
        ``ValueError`` on an empty dataset, ``ImportError`` without pandas."""
        import pandas

        if self._count == 0:
            raise ValueError("the dataset is empty: no rows, so the statistics are undefined")
        rows = [np.full(self._ncols, float(self._count))] + [self._values[key] for _, key in _STATS]
        index = ["count"] + [name for name, _ in _STATS]
        names = self._columns if self._columns is not None else list(range(self._ncols))
        return pandas.DataFrame(np.vstack(rows), index=index, columns=names)

    def _get(self, key: str, name: str) -> np.ndarray:
        if self._count == 0:
            raise ValueError(f"the dataset is empty: no rows, so {name} is undefined")
        return self._values[key].copy()

    def count(self) -> int:
        return self._count

    def mean(self) -> np.ndarray:
        return self._get("mean", "mean")

    def variance(self) -> np.ndarray:
        return self._get("variance", "variance")

    def numNonzeros(self) -> np.ndarray:
        return self._get("num_nonzeros", "numNonzeros")

    def max(self) -> np.ndarray:
        return self._get("max", "max")

    def min(self) -> np.ndarray:
        return self._get("min", "min")

    def normL1(self) -> np.ndarray:
        return self._get("norm_l1", "normL1")

    def normL2(self) -> np.ndarray:
        return self._get("norm_l2", "normL2")

    def to_dict(self) -> dict:
        """``{"count": N, "mean": [...], ...}`` with plain Python lists
        (only ``count`` for an empty dataset)."""
        out: dict = {"count": self._count}
        if self._count:
            out.update({key: self._values[key].tolist() for _, key in _STATS})
            if self._columns is not None:
                out["columns"] = list(self._columns)
        return out

    def _rows(self) -> List[List[str]]:
        names = self._columns if self._columns is not None else [str(j) for j in range(self._ncols)]
        return [[names[j]] + [f"{self._values[key][j]:.10g}" for _, key in _STATS] for j in range(self._ncols)]

    def __repr__(self) -> str:
        if self._count == 0:
            return "MultivariateStatisticalSummary(count=0: empty dataset)"
        header = ["column"] + [name for name, _ in _STATS]
        rows = self._rows()
        widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
        lines = [f"count: {self._count}"]
        lines += ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in [header] + rows]
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        if self._count == 0:
            return "<p>rmesos summary: <b>count 0</b> (empty dataset)</p>"
        head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in _STATS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in self._rows()
        )
        return (f"<table class='rmesos-summary'><caption>count: {self._count}</caption>"
                f"<thead><tr><th>column</th>{head}</tr></thead><tbody>{body}</tbody></table>")
