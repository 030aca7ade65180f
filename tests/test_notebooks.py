"""Every notebook in notebooks/ runs top to bottom in a Jupyter kernel (nbclient), its assertions included, and is
kept in git without outputs (nbstripout-style).

A notebook that needs data facemotion cannot ship says so in its metadata (``{"facemotion": {"needs": [...]}}``) and
is skipped, naming what is missing, where that data is absent: ``facegood`` (the FACEGOOD captures, in
``$FACEMOTION_FACEGOOD`` or ``../shared/data/facegood``), ``flame`` (a FLAME model folder in
``$FACEMOTION_FLAME_DIR``).
"""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
DATA = {
    "facegood": ("FACEMOTION_FACEGOOD", ROOT.parent / "shared" / "data" / "facegood",
                 "the FACEGOOD captures (../shared/data/facegood or $FACEMOTION_FACEGOOD)"),
    "flame": ("FACEMOTION_FLAME_DIR", None, "a FLAME model folder in $FACEMOTION_FLAME_DIR (FLAME is never shipped)"),
}
"""What a notebook may need: (environment variable, default folder, what to say when it is missing)."""


def missing(needs: list[str]) -> list[str]:
    """The descriptions of the needed data that is absent here."""
    absent = []
    for need in needs:
        variable, default, what = DATA[need]
        folder = os.environ.get(variable) or default
        if folder is None or not Path(folder).is_dir():
            absent.append(what)
    return absent


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip the outputs"
    assert "widgets" not in notebook.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    absent = missing(notebook.metadata.get("facemotion", {}).get("needs", []))
    if absent:
        pytest.skip(f"{path.name} needs {', '.join(absent)}")
    client = nbclient.NotebookClient(notebook, timeout=900, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on a failing assertion
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert outputs and not [output for output in outputs if output.output_type == "error"]
