"""Data-quality checks after each load: one SQL file per check under
``sql/quality/``, each returning one number.

A check with an expected value raises :class:`QualityError` when broken;
a check without one (the share of matched plays) is information.

Example::

    >>> from sparkify_nb import quality
    >>> sorted(quality.CHECKS)[:2]
    ['duplicate_keys', 'null_start_time']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import SparkifyError, warehouse

# check name -> expected value (None: information only)
CHECKS: dict[str, float | None] = {
    "null_start_time": 0,
    "duplicate_keys": 0,
    "plays_without_user": 0,
    "plays_without_time": 0,
    "plays_matched_share": None,
}


class QualityError(SparkifyError):
    """An invariant of the star schema is broken; the message lists which."""


def run_checks(conn: Any, rejected: int = 0) -> pd.DataFrame:
    """Run every check; return a table of ``check, value, expected, ok``.

    ``rejected``: records the staging load rejected (shown, not a failure: the
    load already enforced MAXERROR). Raises QualityError on a broken invariant."""
    rows = []
    for name, expected in CHECKS.items():
        value = float(warehouse.query(conn, warehouse.sql_file("quality", name)).iat[0, 0])
        rows.append({"check": name, "value": value, "expected": expected,
                     "ok": True if expected is None else value == expected})
    rows.append({"check": "rejected_records", "value": float(rejected), "expected": None, "ok": True})
    frame = pd.DataFrame(rows).set_index("check")
    broken = frame[~frame["ok"]]
    if len(broken):
        raise QualityError("data-quality checks failed: " + ", ".join(
            f"{name} = {row.value:g} (expected {row.expected:g})" for name, row in broken.iterrows()))
    return frame
