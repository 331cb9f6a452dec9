"""The example notebooks, executed in a real Jupyter kernel (nbclient)."""
import os
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def run(name: str):
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    env_master = os.environ.pop("RMESOS_MASTER", None)  # local mode, as a newcomer runs it
    try:
        NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    finally:
        if env_master is not None:
            os.environ["RMESOS_MASTER"] = env_master
    return notebook


def outputs(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def test_seed_notebook_prints_pysparks_answers():
    nb = run("seed.ipynb")
    printed = outputs(nb.cells[2])
    assert "[  2.  20. 200.]" in printed
    assert "[1.e+00 1.e+02 1.e+04]" in printed
    assert "[3. 3. 3.]" in printed
    assert "<table class='rmesos-summary'>" in outputs(nb.cells[3])


def test_numpy_native_notebook_agrees_with_numpy():
    nb = run("numpy_native.ipynb")
    assert "'mean': True" in outputs(nb.cells[2])
    assert "count: 200000" in outputs(nb.cells[1])
    corr_cell = next(c for c in nb.cells if c.cell_type == "code" and "rmesos.corr" in c.source)
    assert "corr matches numpy: True" in outputs(corr_cell)
    describe_cell = next(c for c in nb.cells if c.cell_type == "code" and "rmesos.describe" in c.source)
    shown = outputs(describe_cell)
    assert "25%" in shown and "std" in shown and "<table" in shown
