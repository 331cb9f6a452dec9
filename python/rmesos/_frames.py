"""pandas in and out: a DataFrame's numeric columns as the float64 table a
job reads (names kept), and results as DataFrames. pandas is optional:
without it, DataFrames cannot come in and results stay numpy arrays."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np


def pandas_module() -> Any:
    """The pandas module, or ``None`` when it is not installed."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def is_dataframe(data: Any) -> bool:
    pandas = pandas_module()
    return pandas is not None and isinstance(data, pandas.DataFrame)


def frame_table(frame: Any) -> Tuple[np.ndarray, List[str]]:
    """The numeric columns of a DataFrame (booleans excluded, as pandas'
    ``describe`` does) as a C-contiguous float64 array, and their names.
    Missing values become NaN."""
    numeric = frame.select_dtypes(include="number")
    if numeric.shape[1] == 0 and frame.shape[1] > 0:
        raise ValueError(f"the DataFrame has no numeric columns (dtypes: {sorted(set(map(str, frame.dtypes)))})")
    names = [str(name) for name in numeric.columns]
    array = np.ascontiguousarray(numeric.to_numpy(dtype=np.float64, na_value=np.nan))
    return array, names


def labelled(values: np.ndarray, index: List[str], columns: Optional[List[str]]) -> Any:
    """``values`` (rows x columns) as a DataFrame with this index and these
    column names (0..D-1 without names), or a dict of numpy arrays (one
    per column) when pandas is missing."""
    names: List[Any] = list(columns) if columns is not None else list(range(values.shape[1]))
    pandas = pandas_module()
    if pandas is None:
        out = {name: values[:, j].copy() for j, name in enumerate(names)}
        out["index"] = np.array(index)
        return out
    return pandas.DataFrame(values, index=index, columns=names)
