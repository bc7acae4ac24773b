"""Data-quality checks after each load, named after what they check (as dbt's
``schema.yml`` tests are): ``not_null: users.user_id``, ``unique: songplays
(start_time, user_id, session_id)``, ``relationship: songplays.user_id ->
users``, ``accepted_values: users.level in (free, paid)``, ``row_count:
songplays``, ... Each check is one number: one column of the SQL file of the
table it checks (``sql/quality/<table>.sql``, the column named by the check's
``column``), so all the checks of a table come from one query (one scan of
``staging_events`` for all of its checks), and the six go to the warehouse as
one statement (:func:`statement`: on the Data API three round trips or so for
all the checks instead of three or more per check).

Every check has a severity (DESIGN.md, "Data quality"):

- ``error``: the pipeline itself broke something: a NULL or duplicate key, a
  play that names a missing user or time, a staged play missing from
  ``songplays``, or more plays without a user than ``[quality]
  max_share_plays_without_user`` allows. 03 stops (:func:`raise_on_error`).
- ``warn``: a defect of the source data the load was told to tolerate (rejected
  records, plays without a user id or time, repeated events, levels or genders
  outside the accepted values, fewer matched plays than ``[quality]
  min_share_plays_matched``). 03 shows it and goes on.

Neither target enforces keys (:mod:`.schema`), so these checks are the guard on
both. A play without a valid user id goes to the unknown user ``-1`` (see
``sql/transform/songplays.sql``): it is counted here, never dropped.

Example::

    >>> from sparkify_nb import config
    >>> from sparkify_nb.warehouse import quality
    >>> [(c.name, c.table, c.column) for c in quality.checks(config.load())][5]
    ('not_null: songplays.start_time', 'songplays', 'not_null_start_time')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from .. import SparkifyError
from ..config import Settings
from . import connect as warehouse

SQL = warehouse.SQL_DIR / "quality"
STAR = ("songs", "artists", "users", "songplays", "time")
KEYS = (("songplays", ("start_time",)), ("songplays", ("user_id",)), ("users", ("user_id",)),
        ("songs", ("song_id",)), ("artists", ("artist_id",)), ("time", ("start_time",)))
UNIQUE = (("songplays", ("start_time", "user_id", "session_id")), ("users", ("user_id",)),
          ("songs", ("song_id",)), ("artists", ("artist_id",)), ("time", ("start_time",)))
RELATIONSHIPS = (("songplays", "user_id", "users"), ("songplays", "start_time", "time"),
                 ("songplays", "song_id", "songs"), ("songplays", "artist_id", "artists"),
                 ("songs", "artist_id", "artists"))
ACCEPTED = (("users", "level", ("free", "paid")), ("users", "gender", ("F", "M")),
            ("songplays", "level", ("free", "paid")))


class QualityError(SparkifyError):
    """A check of severity ``error`` failed; the message names each one with its
    value and limit. ``report`` holds the whole table of :func:`run_checks`."""

    def __init__(self, message: str, report: pd.DataFrame):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Check:
    """One check: ``name`` as shown, the ``column`` of ``sql/quality/<table>.sql``
    that holds its number, its ``severity`` (``error`` | ``warn``), and the
    ``limit`` its value may reach (``at_least``: may not go below; None: information)."""

    name: str
    table: str
    column: str
    severity: str
    limit: float | None = 0
    at_least: bool = False

    def passes(self, value: float) -> bool:
        if self.limit is None:
            return True
        return value >= self.limit if self.at_least else value <= self.limit

    def limit_text(self) -> str:
        if self.limit is None:
            return ""
        return (">= " if self.at_least else "= " if self.limit == 0 else "<= ") + f"{self.limit:g}"


def _unique_column(columns: tuple[str, ...]) -> str:
    return "unique_play_key" if len(columns) > 1 else f"unique_{columns[0]}"


def checks(settings: Settings) -> list[Check]:
    """Every check, in the order of the report: row counts, keys, relationships,
    accepted values, then the checks of this load's staged plays; thresholds
    from ``settings`` (``[quality]``)."""
    out = [Check(f"row_count: {t}", t, "row_count", "warn", 1, True) for t in STAR]
    out += [Check(f"not_null: {t}.{c[0]}", t, f"not_null_{c[0]}", "error") for t, c in KEYS]
    out += [Check(f"unique: {t}." + c[0] if len(c) == 1 else f"unique: {t} ({', '.join(c)})", t, _unique_column(c),
                  "error") for t, c in UNIQUE]
    out += [Check(f"relationship: {t}.{c} -> {p}", t, f"{c}_in_{p}", "error") for t, c, p in RELATIONSHIPS]
    out += [Check(f"accepted_values: {t}.{c} in ({', '.join(v)})", t, f"accepted_{c}", "warn") for t, c, v in ACCEPTED]
    quality = {k: settings.get("quality", k) for k in ("max_share_plays_without_user", "min_share_plays_matched")}
    staged = "staging_events"
    return out + [
        Check("plays_not_merged: staging_events -> songplays", staged, "plays_not_merged", "error"),
        Check("plays_without_user: staging_events (to the unknown user -1)", staged, "plays_without_user", "warn"),
        Check("share_plays_without_user: staging_events", staged, "share_plays_without_user", "error",
              quality["max_share_plays_without_user"]),
        Check("plays_without_time: staging_events (no play made)", staged, "plays_without_time", "warn"),
        Check("repeated_plays: staging_events (merged as one)", staged, "repeated_plays", "warn"),
        Check("share_plays_matched: songplays", "songplays", "share_plays_matched", "warn",
              quality["min_share_plays_matched"], True),
    ]


def statements(settings: Settings) -> list[tuple[str, str]]:
    """``(table, sql)`` of each statement the checks need: ``sql/quality/<table>.sql``, one per
    table checked, in the order of :func:`checks`."""
    tables = dict.fromkeys(c.table for c in checks(settings))
    return [(t, warehouse.sql_text(SQL, t)) for t in tables]


def statement(settings: Settings) -> str:
    """Every check in one SELECT of one row: each file of :func:`statements` a subquery
    (``<table>_checks``), side by side; the column of check ``c`` is ``<c.table>__<c.column>``.
    One statement: on the Data API one submission, one wait, one result."""
    columns = [f"{c.table}_checks.{c.column} AS {c.table}__{c.column}" for c in checks(settings)]
    parts = [f"(\n{sql.strip().rstrip(';')}\n) {table}_checks" for table, sql in statements(settings)]
    return "SELECT " + ",\n       ".join(columns) + "\nFROM " + "\nCROSS JOIN ".join(parts)


def run_checks(conn: Any, settings: Settings, rejected: dict[str, int] | None = None) -> pd.DataFrame:
    """Run every check of :func:`checks`; return a table indexed by ``check``
    with ``severity, value, limit, status`` (``ok`` | ``warn`` | ``error``).

    ``rejected``: records the staging load rejected, per staging table (a
    ``warn`` each when above 0: the load already held them under MAXERROR).
    Never raises on a failed check: :func:`raise_on_error` does, once the table
    has been shown and recorded."""
    frame = warehouse.query(conn, statement(settings))
    rows = []
    for check in checks(settings):
        column = f"{check.table}__{check.column}"
        if column not in frame.columns or len(frame) != 1 or frame.at[0, column] is None:
            raise warehouse.WarehouseError(f"sql/quality/{check.table}.sql: no value in its column {check.column!r} "
                                           f"for the check {check.name!r}")
        rows.append(_row(check, float(frame.at[0, column])))
    for table, count in (rejected or {}).items():
        rows.append(_row(Check(f"rejected: {table}", table, "", "warn"), float(count)))
    return pd.DataFrame(rows, dtype=object).set_index("check")  # object: counts print as whole numbers


def _row(check: Check, value: float) -> dict[str, Any]:
    shown: float | int = int(value) if value == int(value) and "share" not in check.name else value
    return {"check": check.name, "severity": check.severity, "value": shown, "limit": check.limit_text(),
            "status": "ok" if check.passes(value) else check.severity}


def failed(report: pd.DataFrame, status: str) -> list[str]:
    """``name = value (limit ...)`` of each check of ``report`` whose status is ``status``."""
    rows = report[report["status"] == status]
    return [f"{name} = {row.value:g} (limit {row.limit})" for name, row in rows.iterrows()]


def raise_on_error(report: pd.DataFrame) -> None:
    """Raise :class:`QualityError` naming every check of ``report`` (from
    :func:`run_checks`) whose status is ``error``; return when there is none."""
    errors = failed(report, "error")
    if errors:
        raise QualityError("data-quality checks failed: " + "; ".join(errors)
                           + ". See sparkify_nb/warehouse/sql/quality/ for what each one counts", report)


def records(report: pd.DataFrame) -> list[dict[str, Any]]:
    """``report`` as plain records for the run record: check, severity, value, limit, status."""
    return [{"check": name, **{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}}
            for name, row in report.iterrows()]


def rejected_counts(reports: Iterable[Any]) -> dict[str, int]:
    """``{table: rejected}`` of staging load reports (:class:`~sparkify_nb.staging.LoadReport`)."""
    return {r.table: r.rejected for r in reports}
