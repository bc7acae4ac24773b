"""What a staging load did, for people: :class:`LoadReport` per table, the
DataFrames of the load report and the rejected records, and the tables 03
shows of them (:func:`report_table`, :func:`rejects_table`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..display import Table
from ..paths import display_path
from .records import Reject


@dataclass
class LoadReport:
    """What one staging load did: ``files`` read, ``records`` found (non-blank
    lines or objects), ``loaded`` rows, ``rejected`` records, wall ``seconds``,
    input ``bytes``, the ``load_id`` of its rows in load_errors (on Redshift:
    the COPY's query id), the ``rejects`` themselves and ``warnings`` about
    the load (an ``'auto'`` mapping that left a column NULL: :mod:`.mapping`)."""

    table: str
    files: int = 0
    records: int = 0
    loaded: int = 0
    rejected: int = 0
    seconds: float = 0.0
    bytes: int = 0
    load_id: str = ""
    rejects: list[Reject] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)  # (name, bytes) staged, when listed here
    warnings: list[str] = field(default_factory=list)

    def as_row(self) -> dict[str, Any]:
        """The report as one row of :func:`report_frame` (seconds rounded to 0.01)."""
        return {"table": self.table, "files": self.files, "records": self.records, "loaded": self.loaded,
                "rejected": self.rejected, "seconds": round(self.seconds, 2)}


def display_name(name: str) -> str:
    """A source or object name as shown to people: s3:// URIs as they are,
    local paths relative to the project when inside it."""
    return name if name.startswith("s3://") else display_path(Path(name))


def report_frame(reports: Iterable[LoadReport]) -> Any:
    """The load report as a DataFrame indexed by table: files, records, loaded, rejected, seconds."""
    import pandas as pd

    return pd.DataFrame([r.as_row() for r in reports]).set_index("table")


def rejects_frame(reports: Iterable[LoadReport]) -> Any:
    """Every rejected record of ``reports``: table, file, line, column, raw value (80 chars), code, reason."""
    import pandas as pd

    rows = [{"table": rep.table, "file": display_name(r.filename), "line": r.line_number, "column": r.colname,
             "raw_value": r.raw_field_value[:80], "code": r.err_code, "reason": r.err_reason}
            for rep in reports for r in rep.rejects]
    return pd.DataFrame(rows, columns=["table", "file", "line", "column", "raw_value", "code", "reason"])


def report_table(reports: Iterable[LoadReport]) -> Table:
    """The load report to show: per table files, records, loaded, rejected and
    a ``status`` (``ok``, or ``warn`` when records were rejected under MAXERROR).
    No seconds: they differ per run (the load's progress lines give them).
    Counts with thousands separators, as the progress lines print them."""
    frame = report_frame(reports).reset_index().drop(columns="seconds")
    frame["status"] = ["warn" if n else "ok" for n in frame["rejected"]]
    return Table(frame, "staging load", status="status", counts=("files", "records", "loaded", "rejected"))


def rejects_table(reports: Iterable[LoadReport], limit: int = 20) -> Table:
    """The first ``limit`` rejected records of ``reports`` to show
    (:func:`rejects_frame`; long raw values and reasons wrap inside their
    cell), or that there were none."""
    return Table(rejects_frame(reports).head(limit), "rejected records", empty="no rejected records")
