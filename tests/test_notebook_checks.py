"""The committed notebooks keep what nbval needs to compare their checked cells.

nbval (``--nbval-lax``) compares a ``# NBVAL_CHECK_OUTPUT`` cell only when the
stored cell has an execution count; a cell stored without one, or without
outputs, is silently not compared. Clearing the outputs of the notebooks
(a notebook stripper, "Clear All Outputs" in JupyterLab) would thereby turn
every check off while the suite stays green. These tests make that fail.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.refresh_notebooks import checked

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def _checked_cells(path: Path):
    nb = nbformat.read(path, as_version=4)
    return [(i, c) for i, c in enumerate(nb.cells) if checked(c)]


def test_the_suite_has_checked_cells_in_every_step_notebook():
    counts = {p.stem: len(_checked_cells(p)) for p in NOTEBOOKS}
    assert set(counts) >= {"01_infrastructure", "02_schema", "03_etl", "04_analytics", "99_teardown"}
    assert all(n >= 1 for n in counts.values()), counts


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_checked_cell_has_an_execution_count_and_a_stored_output(path):
    for index, cell in _checked_cells(path):
        assert isinstance(cell.execution_count, int), f"{path.name} cell {index}: no execution count, nbval skips it"
        assert cell.outputs, f"{path.name} cell {index}: no stored output, nbval has nothing to compare"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_unchecked_cells_are_stored_without_outputs(path):
    # Outputs of other cells carry ids, timings and paths of the machine that ran them.
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and not checked(cell):
            assert not cell.outputs, f"{path.name} cell {index}: stored output of an unchecked cell"


def test_a_cleared_notebook_would_fail_the_check(tmp_path):
    # The check itself can fail: clear one notebook's outputs and look again.
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    cleared = tmp_path / NOTEBOOKS[0].name
    nbformat.write(nb, cleared)
    with pytest.raises(AssertionError, match="no execution count"):
        test_every_checked_cell_has_an_execution_count_and_a_stored_output(cleared)
