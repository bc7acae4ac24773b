"""Run the notebook suite with papermill: ``01 -> 04`` by default, each into
the run folder (``runs/<UTC timestamp>/``), charts into its ``reports/``.

A failing cell stops the run: :class:`SuiteError` names the notebook, the
cell and the error, and the executed notebook stays in the run folder.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from . import SparkifyError, paths

SUITE = ("01_infrastructure", "02_schema", "03_etl", "04_analytics")
TEARDOWN = ("99_teardown",)
ALL_NOTEBOOKS = SUITE + TEARDOWN


class SuiteError(SparkifyError):
    """A notebook of the suite failed."""


def resolve(names: Sequence[str]) -> list[str]:
    """Notebook names from ``names`` (full names or prefixes like ``03``)."""
    out = []
    for name in names:
        stem = Path(name).stem
        matches = [n for n in ALL_NOTEBOOKS if n == stem or n.startswith(stem + "_") or n.split("_", 1)[0] == stem]
        if len(matches) != 1:
            raise SuiteError(f"unknown notebook {name!r}; choose from {', '.join(ALL_NOTEBOOKS)}")
        out.append(matches[0])
    return out


def _coerce(value: str) -> Any:
    """A ``-p KEY VALUE`` value as papermill would read it: JSON when it parses, else text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _failing_source(executed: Path) -> str:
    """The first line of the cell that raised, from the executed notebook."""
    import nbformat

    try:
        nb = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return "?"
    for cell in nb.cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")]
            return (lines[0][:80] if lines else "").strip()
    return "?"


def run_suite(notebooks: Sequence[str] = SUITE, target: str | None = None, parameters: dict[str, Any] | None = None,
              out: Path | None = None, progress: Callable[[str], None] = print) -> Path:
    """Execute ``notebooks`` in order with papermill; return the run folder.

    Each notebook gets ``parameters`` (plus ``target`` and ``reports_dir``)
    where its parameters cell declares them. Raises SuiteError on the first failure."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    run_dir = Path(out).resolve() if out else paths.new_run_dir()
    (run_dir / "reports").mkdir(parents=True, exist_ok=True)
    common = dict(parameters or {})
    if target:
        common["target"] = target
    common.setdefault("reports_dir", str(run_dir / "reports"))
    progress(f"run folder: {paths.display_path(run_dir)}")
    for name in notebooks:
        source = paths.notebooks_dir() / f"{name}.ipynb"
        output = run_dir / f"{name}.ipynb"
        declared = set(pm.inspect_notebook(str(source)).keys())
        given = {k: v for k, v in common.items() if k in declared}
        shown = {k: v for k, v in given.items() if k != "reports_dir"}
        progress(f"-> {name} {shown if shown else ''}".rstrip())
        t0 = time.monotonic()
        try:
            pm.execute_notebook(str(source), str(output), parameters=given, kernel_name="python3",
                                cwd=str(paths.project_root()), progress_bar=False, log_output=False)
        except PapermillExecutionError as exc:
            raise SuiteError(
                f"{name} failed in cell [{exc.exec_count}] ({_failing_source(output)}): {exc.ename}: "
                f"{exc.evalue}\nthe executed notebook is {paths.display_path(output)}") from None
        progress(f"   {name} done in {time.monotonic() - t0:.1f} s")
    return run_dir
