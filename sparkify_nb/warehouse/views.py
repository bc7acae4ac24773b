"""How 02 and 03 show what the warehouse did, as :class:`~sparkify_nb.display.Table`\\ s:
the tables and their row counts, the merge, the quality checks. Display only:
how the counts are taken and the checks computed is :mod:`.connect`,
:mod:`.transform` and :mod:`.quality`; these functions take their results.

One look for every table of the suite: counts with thousands separators
(``8,000``, as the progress lines print them), shares as percents, the result
of a check as ``pass`` / ``warn`` / ``fail`` (the words 01's preflight and
controls use), coloured.

Example::

    >>> import pandas as pd
    >>> print(counts_table(pd.DataFrame({"table_name": ["songplays"], "row_count": [5905]})))
    table      rows
    songplays  5,905
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..display import Table

RESULT = {"ok": "pass", "warn": "warn", "error": "fail"}
"""A check's status (:func:`.quality.run_checks`) -> the word shown."""
STAGED_FIRST = ("rejected: ", "plays_not_merged: ", "plays_without_user: ", "share_plays_without_user: ",
                "plays_without_time: ", "repeated_plays: ")
"""Checks of the load itself, shown first: the table reads in the order the notebook worked (load, then merge)."""


def count(value: Any) -> str:
    """``8000`` -> ``8,000``."""
    return f"{int(value):,}"


def counts_table(frame: pd.DataFrame, title: str = "row counts") -> Table:
    """``table_name, row_count`` (:func:`.connect.table_counts`) as ``table, rows``."""
    shown = pd.DataFrame({"table": frame["table_name"], "rows": [count(v) for v in frame["row_count"]]})
    return Table(shown, title, right=("rows",))


def merge_table(merged: pd.DataFrame) -> Table:
    """What the merge did (:func:`.transform.run`: per table ``before, after,
    added``): rows before, after and added; no timings (the progress line has
    them), so the table is the same for the same data."""
    shown = pd.DataFrame({"table": list(merged.index),
                          **{c: [count(v) for v in merged[c]] for c in ("before", "after", "added")}})
    return Table(shown, "merge", right=("before", "after", "added"))


def _share(value: float) -> str:
    return f"{100.0 * float(value):.1f}%"


def _limit(name: str, limit: str) -> str:
    """``>= 0.05`` of a share -> ``>= 5.0%``; a count's limit as it is."""
    if not limit or "share" not in name:
        return limit
    operator, _, number = limit.partition(" ")
    return f"{operator} {_share(float(number))}"


def quality_table(report: pd.DataFrame) -> Table:
    """The checks of :func:`.quality.run_checks` to read at a glance: one row
    per check (the load's checks first, then the star schema's), its value (a
    count with separators, a share in percent), its limit, and its result:
    ``pass``, or the check's severity when it did not pass (``warn``: shown
    and recorded; ``fail``: an ``error`` check, which stops the run). A share
    whose limit lets nothing fail (``[quality] min_share_plays_matched = 0``)
    is information, not a check: its limit reads ``none set`` and its result
    ``info``."""
    rows = []
    for name, row in report.iterrows():
        limit = _limit(name, str(row["limit"]))
        result = RESULT.get(row["status"], str(row["status"]))
        if limit in (">= 0", ">= 0.0%"):
            limit, result = "none set", "info"
        value = _share(row["value"]) if "share" in name else count(row["value"])
        rows.append({"check": name, "value": value, "limit": limit, "result": result})
    frame = pd.DataFrame(rows, columns=["check", "value", "limit", "result"])
    first = frame["check"].map(lambda c: not c.startswith(STAGED_FIRST))  # False sorts first
    frame = frame.assign(_later=first).sort_values("_later", kind="stable").drop(columns="_later")
    return Table(frame, "quality checks", status="result", right=("value",))
