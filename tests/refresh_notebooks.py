"""Refresh the outputs stored in notebooks/: one whole run, 01 -> 99.

    .venv/bin/python -m tests.refresh_notebooks      (or: make notebooks)

Runs every notebook in order on a private local stack (as the test session
does) and stores every cell's outputs with its execution count, so a stored
notebook reads as the one run it is: counts 1, 2, 3, ... with no gap, each
chart before the sentence that answers it, and 99's "nothing is left" after
its teardown. nbval compares only the cells it checks (:func:`checked`); the
others (ids of the emulator's resources, timings) are there to be read. What
would tie a notebook to this machine is left out: the cells' timing metadata,
and the private stack's temporary folder in any output (:func:`scrub`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
ORDER = ("01_infrastructure", "02_schema", "03_etl", "04_analytics", "99_teardown")


def checked(cell) -> bool:
    """Whether nbval compares ``cell``'s output: the comment ``# NBVAL_CHECK_OUTPUT``
    or, for a cell whose first line must be a magic (``%%sql``), the tag ``nbval-check-output``."""
    return cell.cell_type == "code" and ("NBVAL_CHECK_OUTPUT" in cell.source
                                         or "nbval-check-output" in cell.metadata.get("tags", []))


def scrub(outputs: list, tmp: Path) -> list:
    """``outputs`` with the private stack's folder ``tmp`` written as ``<tmp>`` (none should name it)."""
    import json

    text = json.dumps(outputs)
    return json.loads(text.replace(str(tmp), "<tmp>")) if str(tmp) in text else outputs


def main() -> None:
    for name in [n for n in os.environ if n.startswith("SPARKIFY_")]:
        del os.environ[name]
    tmp = Path(tempfile.mkdtemp(prefix="spk-refresh-"))
    os.environ.update(SPARKIFY_STATE_DIR=str(tmp / "state"), SPARKIFY_CONFIG=str(tmp / "dwh.cfg"),
                      SPARKIFY_REPORTS_DIR=str(tmp / "reports"), MPLBACKEND="Agg")
    from sparkify_nb import kernel, local, runner

    local.up()
    try:
        for name in ORDER:
            path = ROOT / "notebooks" / f"{name}.ipynb"
            source = nbformat.read(path, as_version=4)
            executed = nbformat.read(path, as_version=4)
            # IPC, as sparkify-nb run does: no per-kernel TCP warning on the terminal.
            # This interpreter's kernel whatever kernelspecs the machine has (sparkify_nb.kernel).
            NotebookClient(executed, timeout=600, config=runner.kernel_config(tmp),
                           resources={"metadata": {"path": str(path.parent)}}, **kernel.options()).execute()
            for kept, ran in zip(source.cells, executed.cells):
                if kept.cell_type == "code":
                    kept.outputs, kept.execution_count = scrub(ran.outputs, tmp), ran.execution_count
                    kept.metadata.pop("execution", None)
            nbformat.write(source, path)
            print(f"{name}: refreshed")
    finally:
        local.down()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
