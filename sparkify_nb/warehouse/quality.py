"""Data-quality checks after each load: one SQL file per check under
``sql/quality/``, each returning one number, plus the row count of every
star-schema table and the records the staging load rejected.

A check with an expected value raises :class:`QualityError` when broken; a
check without one (row counts, the share of plays matched to a song, the
rejects) is information.

Example::

    >>> from sparkify_nb.warehouse import quality
    >>> [name for name, expected in quality.CHECKS.items() if expected is None]
    ['plays_matched_share']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import SparkifyError
from . import connect as warehouse, transform

# check name (= sql/quality/<name>.sql) -> expected value (None: information only)
CHECKS: dict[str, float | None] = {
    "null_keys": 0,
    "duplicate_keys": 0,
    "plays_without_user": 0,
    "plays_without_time": 0,
    "plays_not_merged": 0,
    "plays_matched_share": None,
}


class QualityError(SparkifyError):
    """An invariant of the star schema is broken; the message lists which
    checks, their values and what was expected. ``report`` holds the table."""

    def __init__(self, message: str, report: pd.DataFrame):
        super().__init__(message)
        self.report = report


def run_checks(conn: Any, rejected: int = 0) -> pd.DataFrame:
    """Run every check; return a table indexed by ``check`` with ``value,
    expected, ok`` (row counts first, as ``rows_<table>``).

    ``rejected``: records the staging load rejected (shown, not a failure: the
    load already enforced MAXERROR). Raises :class:`QualityError` naming every
    broken invariant."""
    counts = warehouse.table_counts(conn, transform.ORDER)
    rows = [{"check": f"rows_{r.table_name}", "value": float(r.row_count), "expected": None, "ok": True}
            for r in counts.itertuples()]
    for name, expected in CHECKS.items():
        value = float(warehouse.query(conn, warehouse.sql_text(warehouse.SQL_DIR / "quality", name)).iat[0, 0])
        rows.append({"check": name, "value": value, "expected": expected,
                     "ok": True if expected is None else value == expected})
    rows.append({"check": "rejected_records", "value": float(rejected), "expected": None, "ok": True})
    frame = pd.DataFrame(rows).set_index("check")
    frame["expected"] = frame["expected"].astype(object).where(frame["expected"].notna(), "")  # "": information
    broken = frame[~frame["ok"]]
    if len(broken):
        raise QualityError("data-quality checks failed: " + ", ".join(
            f"{name} = {row.value:g} (expected {row.expected:g})" for name, row in broken.iterrows())
            + "; see sparkify_nb/warehouse/sql/quality/<check>.sql for what each one counts", frame)
    return frame
