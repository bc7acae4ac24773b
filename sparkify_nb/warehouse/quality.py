"""Data-quality checks after each load, named after what they check (as dbt's
``schema.yml`` tests are): ``not_null: users.user_id``, ``unique: songplays
(start_time, user_id, session_id)``, ``relationship: songplays.user_id ->
users``, ``accepted_values: users.level in (free, paid)``, ``row_count:
songplays``, ... Each check is one SQL file under ``sql/quality/`` returning
one number (the generic ones are templates filled with table and column).

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
    >>> [c.name for c in quality.checks(config.load())][5]
    'not_null: songplays.start_time'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from .. import SparkifyError
from ..config import Settings
from . import connect as warehouse, schema

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
    """One check: ``name`` as shown, ``file`` under ``sql/quality/`` filled with
    ``fill``, its ``severity`` (``error`` | ``warn``), and the ``limit`` its
    value may reach (``at_least``: may not go below; None: information)."""

    name: str
    file: str
    severity: str
    limit: float | None = 0
    at_least: bool = False
    fill: tuple[tuple[str, str], ...] = ()

    def sql(self) -> str:
        """The query, the template's ``{name}`` places filled (identifiers and
        literals from this module, never from input)."""
        text = warehouse.sql_text(SQL, self.file)
        for name, value in self.fill:
            text = text.replace("{" + name + "}", value)
        return text

    def passes(self, value: float) -> bool:
        if self.limit is None:
            return True
        return value >= self.limit if self.at_least else value <= self.limit

    def limit_text(self) -> str:
        if self.limit is None:
            return ""
        return (">= " if self.at_least else "= " if self.limit == 0 else "<= ") + f"{self.limit:g}"


def _q(name: str) -> str:
    return schema.quote_identifier(name)


def checks(settings: Settings) -> list[Check]:
    """Every check, in the order of the report: row counts, keys, relationships,
    accepted values, then the checks of this load's staged plays; thresholds
    from ``settings`` (``[quality]``)."""
    out = [Check(f"row_count: {t}", "row_count", "warn", 1, True, (("table", _q(t)),)) for t in STAR]
    out += [Check(f"not_null: {t}.{c[0]}", "not_null", "error", fill=(("table", _q(t)), ("column", _q(c[0]))))
            for t, c in KEYS]
    out += [Check(f"unique: {t}." + c[0] if len(c) == 1 else f"unique: {t} ({', '.join(c)})", "unique", "error",
                  fill=(("table", _q(t)), ("columns", ", ".join(map(_q, c))))) for t, c in UNIQUE]
    out += [Check(f"relationship: {t}.{c} -> {p}", "relationship", "error",
                  fill=(("table", _q(t)), ("column", _q(c)), ("parent", _q(p)),
                        ("key", _q(next(k for tt, (k,) in KEYS if tt == p))))) for t, c, p in RELATIONSHIPS]
    out += [Check(f"accepted_values: {t}.{c} in ({', '.join(v)})", "accepted_values", "warn",
                  fill=(("table", _q(t)), ("column", _q(c)), ("values", ", ".join(f"'{x}'" for x in v))))
            for t, c, v in ACCEPTED]
    quality = {k: settings.get("quality", k) for k in ("max_share_plays_without_user", "min_share_plays_matched")}
    return out + [
        Check("plays_not_merged: staging_events -> songplays", "plays_not_merged", "error"),
        Check("plays_without_user: staging_events (to the unknown user -1)", "staged_plays_without_user", "warn"),
        Check("share_plays_without_user: staging_events", "share_staged_plays_without_user", "error",
              quality["max_share_plays_without_user"]),
        Check("plays_without_time: staging_events (no play made)", "staged_plays_without_time", "warn"),
        Check("repeated_plays: staging_events (merged as one)", "repeated_plays", "warn"),
        Check("share_plays_matched: songplays", "plays_matched_share", "warn",
              quality["min_share_plays_matched"], True),
    ]


def run_checks(conn: Any, settings: Settings, rejected: dict[str, int] | None = None) -> pd.DataFrame:
    """Run every check of :func:`checks`; return a table indexed by ``check``
    with ``severity, value, limit, status`` (``ok`` | ``warn`` | ``error``).

    ``rejected``: records the staging load rejected, per staging table (a
    ``warn`` each when above 0: the load already held them under MAXERROR).
    Never raises on a failed check: :func:`raise_on_error` does, once the table
    has been shown and recorded."""
    rows = []
    for check in checks(settings):
        value = float(warehouse.query(conn, check.sql()).iat[0, 0])
        rows.append(_row(check, value))
    for table, count in (rejected or {}).items():
        rows.append(_row(Check(f"rejected: {table}", "", "warn"), float(count)))
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
