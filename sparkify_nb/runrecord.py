"""The run record: what a scheduled ``sparkify-nb run`` did, for an operator
who reads it without opening a notebook: ``runs/<ts>/run.json``.

The runner gives every kernel ``SPARKIFY_RUN_DIR``; a notebook hands its
facts over with :func:`note` (03: the rows staged, loaded and rejected per
table, the rows merged, every quality check with severity, value and status;
any notebook on the Data API: its calls, :mod:`sparkify_nb.warehouse.data_api_calls`),
which writes ``<run dir>/<notebook>.json`` next to the executed notebook (and
does nothing outside a run, in JupyterLab). :func:`write` puts those files, the
notebooks' status and seconds, the parameters (no secret) and the reports
written into ``run.json``, also when a notebook failed.

Example::

    >>> from sparkify_nb import runrecord
    >>> runrecord.note("03_etl", rows=1)     # outside a run: nothing written
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from . import config, paths

RUN_DIR_ENV = "SPARKIFY_RUN_DIR"
NOTEBOOK_ENV = "SPARKIFY_RUN_NOTEBOOK"  # the notebook a kernel of the run executes (facts noted without a name)
RECORD = "run.json"
_noting = threading.Lock()  # a notebook's thread (a load lock's heartbeat) may note beside the notebook itself


def now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def note(notebook: str, **facts: Any) -> Path | None:
    """Add ``facts`` (JSON-able; DataFrames become lists of records) to this
    notebook's part of the run record; None outside ``sparkify-nb run``."""
    run_dir = os.environ.get(RUN_DIR_ENV)
    if not run_dir:
        return None
    path = Path(run_dir) / f"{notebook}.json"
    with _noting:
        known = json.loads(path.read_text()) if path.is_file() else {}
        known.update({k: _plain(v) for k, v in facts.items()})
        path.write_text(json.dumps(known, indent=2, default=str))
    return path


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict") and hasattr(value, "reset_index"):  # a DataFrame
        return json.loads(value.reset_index().to_json(orient="records", date_format="iso"))
    return value


def load_facts(reports: Iterable[Any]) -> list[dict[str, Any]]:
    """Per staging table: files, records staged, loaded, rejected, seconds (from LoadReports)."""
    return [report.as_row() for report in reports]


def safe_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` without secrets: keys that look like one are dropped,
    passwords in DSNs are masked."""
    return {k: (config.redact(v) if isinstance(v, str) else v) for k, v in parameters.items()
            if not config.SECRET_KEY.search(k)}


def write(run_dir: Path, notebooks: list[dict[str, Any]], parameters: dict[str, Any], started: str,
          target: str | None, rehearsal: bool = False) -> dict[str, Any]:
    """Write ``run_dir/run.json`` from the notebooks' status (``name, status,
    seconds[, error]``), the notes they left, the parameters and the reports
    folder; return the record. ``status`` is ``failed`` when any notebook failed;
    ``rehearsal`` is true for a rehearsal of the redshift target on the local stack."""
    run_dir = Path(run_dir)
    steps = {}
    for item in notebooks:
        part = run_dir / f"{item['name']}.json"
        if part.is_file():
            steps[item["name"]] = json.loads(part.read_text())
    checks = [c for step in steps.values() for c in step.get("checks", [])]
    record = {
        "run": run_dir.name, "started": started, "finished": now_text(), "target": target,
        "rehearsal": rehearsal,
        "status": "failed" if any(n["status"] != "ok" for n in notebooks) else "ok",
        "notebooks": notebooks, "parameters": safe_parameters(parameters),
        "warnings": [c["check"] for c in checks if c.get("status") == "warn"],
        "errors": [c["check"] for c in checks if c.get("status") == "error"],
        "steps": steps,
        "reports": sorted(p.name for p in (run_dir / "reports").glob("*")) if (run_dir / "reports").is_dir() else [],
    }
    (run_dir / RECORD).write_text(json.dumps(record, indent=2, default=str))
    return record


def list_runs(base: Path | None = None) -> list[dict[str, Any]]:
    """The records of every run under ``base`` (default ``<project>/runs``), oldest first."""
    base = base or paths.project_root() / "runs"
    found = []
    for path in sorted(base.glob(f"*/{RECORD}")):
        try:
            found.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return sorted(found, key=lambda r: (r.get("started", ""), r.get("run", "")))


def summary_line(record: dict[str, Any]) -> str:
    """One line per run for ``sparkify-nb runs``."""
    seconds = sum(n.get("seconds", 0) for n in record.get("notebooks", []))
    names = " ".join(f"{n['name'].split('_')[0]}:{n['status']}" for n in record.get("notebooks", []))
    return (f"{record.get('run', '?'):<22} {record.get('status', '?'):<7} {seconds:7.1f} s  {names:<32} "
            f"{len(record.get('warnings', []))} warnings, {len(record.get('errors', []))} errors")
