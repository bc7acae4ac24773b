"""The committed notebooks keep what nbval needs to compare their checked cells,
and their stored outputs read as one run.

nbval (``--nbval-lax``) compares a ``# NBVAL_CHECK_OUTPUT`` cell only when the
stored cell has an execution count; a cell stored without one, or without
outputs, is silently not compared. Clearing the outputs of the notebooks
(a notebook stripper, "Clear All Outputs" in JupyterLab) would thereby turn
every check off while the suite stays green. These tests make that fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tests.refresh_notebooks import checked

# A sentence that counts or sizes the data ("most plays", "70% of users", "48 users"): in a markdown cell it is
# the same text whatever the data, so it is true of one data set at most. Such sentences are printed from the data.
CLAIM = re.compile(r"(?<!how )\b(most|many|few|fewer|half|majority|minority|nearly all|almost all|\d[\d,.]*%?)"
                   r"\s+(of\s+(the\s+)?)?(plays?|users?|songs?|artists?|events?|sessions?|listeners?)\b", re.I)

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
def test_stored_outputs_read_as_one_run(path):
    """Every code cell ran, in order (counts 1, 2, 3, ...: no gap, no answer without the chart
    before it), and no output names a folder of the machine that ran it."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), f"{path.name}: not one run in order"
    for index, cell in enumerate(nb.cells):
        text = str(cell.get("outputs", ""))
        assert "/tmp/" not in text and "/work/" not in text and "/home/" not in text, f"{path.name} cell {index}"
        assert "execution" not in cell.metadata, f"{path.name} cell {index}: timing metadata stored"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_markdown_sentence_counts_the_data(path):
    nb = nbformat.read(path, as_version=4)
    claims = [(index, match.group(0)) for index, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
              for match in CLAIM.finditer(cell.source)]
    assert claims == [], f"{path.name}: sentences about the data that do not come from it: {claims}"


def test_a_sentence_that_counts_the_data_is_found():
    assert [m.group(0) for m in CLAIM.finditer(
        "Most plays do not match; 70% of plays match; 48 users; how many users changed level")] == [
        "Most plays", "70% of plays", "48 users"]


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
