"""Staging -> star schema: one SQL file per table under ``sql/transform/``,
the same text on Redshift and PostgreSQL.

Dimensions are merged (staged rows replace their earlier versions: the
delete-then-insert upsert of Redshift's documentation), plays are appended
when not already present, so running 03 again on the same data adds nothing.

Example::

    >>> from sparkify_nb.warehouse import transform
    >>> transform.ORDER
    ('songs', 'artists', 'users', 'songplays', 'time')
"""

from __future__ import annotations

import re
import time
from typing import Any

import pandas as pd

from .. import Progress
from . import connect as warehouse
from .data_api import DataApiConnection

# songplays before time: time is built from the plays.
ORDER = ("songs", "artists", "users", "songplays", "time")

# PostgreSQL only, for this transaction (SET LOCAL): the transform's sorts and hashes of a million
# events spilled to disk at the default 4 MB (EXPLAIN ANALYZE: external merge, 190 MB). Redshift
# manages query memory itself (WLM) and has no work_mem.
POSTGRES_SESSION = ("SET LOCAL work_mem = '256MB'",)


# Redshift analyzes what CREATE TEMP TABLE AS makes by itself ("Amazon Redshift automatically runs
# ANALYZE on tables that you create with ... CREATE TEMP TABLE AS",
# https://docs.aws.amazon.com/redshift/latest/dg/r_ANALYZE.html); PostgreSQL does not, and autovacuum
# never sees temporary tables. Without statistics its planner took the 20,000 songs of the catalogue
# for ~2,000 and merge-joined the 778k plays of 1M events with it after sorting them by title, artist
# and length, instead of hashing the catalogue (EXPLAIN ANALYZE, docs/scaling.md section 5):
# server CPU of the whole transform 13.8-14.0 s without, 10.4-11.7 s with the ANALYZEs.
_TEMP_TABLE_AS = re.compile(r"(?:\s*--[^\n]*\n)*\s*CREATE\s+TEMP(?:ORARY)?\s+TABLE\s+(\w+)\s+AS\b", re.IGNORECASE)


def _on_postgres(conn: Any) -> bool:
    """A psycopg2 connection to Redshift reports server version 8.0.2 (``80002``;
    Redshift is based on PostgreSQL 8.0.2:
    https://docs.aws.amazon.com/redshift/latest/dg/c_redshift-and-postgres-sql.html);
    the Data API connection has no server version."""
    return getattr(conn, "server_version", 0) >= 90000


def session_statements(conn: Any) -> list[str]:
    """:data:`POSTGRES_SESSION` on PostgreSQL, nothing on Redshift."""
    return list(POSTGRES_SESSION) if _on_postgres(conn) else []


def after_statement(conn: Any, sql: str) -> list[str]:
    """What PostgreSQL must run after ``sql`` to do what Redshift does by itself:
    ``ANALYZE <table>`` after ``CREATE TEMP TABLE <table> AS`` (comment above);
    nothing on Redshift, where the shared text runs as it is."""
    match = _TEMP_TABLE_AS.match(sql) if _on_postgres(conn) else None
    return [f"ANALYZE {match.group(1)}"] if match else []


def statements(table: str) -> list[str]:
    """The statements of ``sql/transform/<table>.sql``."""
    return warehouse.split_sql(warehouse.sql_text(warehouse.SQL_DIR / "transform", table))


def _counted(rows: list[tuple[Any, ...]]) -> pd.Series:
    return pd.Series({str(table): int(n) for table, n in rows}).loc[list(ORDER)]


def _in_one_batch(conn: DataApiConnection, progress: Progress) -> pd.DataFrame:
    """:func:`run` on the Data API: the counts before, every statement and the counts after as one
    batch (one transaction, one round trip). Statements are not timed one by one there."""
    counts = warehouse.counts_sql(ORDER)
    t0 = time.monotonic()
    try:
        results = conn.run_queries([(counts, None)] + [(sql, None) for t in ORDER for sql in statements(t)]
                                   + [(counts, None)])
    finally:
        conn.rollback()
    before, after = _counted(results[0][1]), _counted(results[-1][1])
    progress(f"star schema merged in {time.monotonic() - t0:.1f} s")
    return pd.DataFrame({"before": before, "after": after, "added": after - before,
                         "seconds": pd.Series(0.0, index=list(ORDER))}).rename_axis("table")


def run(conn: Any, progress: Progress = print) -> pd.DataFrame:
    """Fill the star schema from staging in one transaction; return, per
    table, the rows before and after and the seconds taken (on the Data API,
    where all of it is one batch, 0.0)."""
    if isinstance(conn, DataApiConnection):
        return _in_one_batch(conn, progress)
    before = warehouse.table_counts(conn, ORDER).set_index("table_name")["row_count"]
    timings = {}
    all_statements = [("session", s) for s in session_statements(conn)]
    for table in ORDER:
        all_statements += [(table, s) for s in statements(table)]
    t_total = time.monotonic()
    with conn.cursor() as cur:
        try:
            for table, sql in all_statements:
                t0 = time.monotonic()
                try:
                    for text in [sql, *after_statement(conn, sql)]:
                        cur.execute(text)
                except Exception as exc:
                    raise warehouse.WarehouseError(f"transform {table}: {sql.strip().splitlines()[0][:100]}: "
                                                   f"{str(exc).strip()}") from None
                timings[table] = timings.get(table, 0.0) + time.monotonic() - t0
            cur.execute(warehouse.counts_sql(ORDER))  # the counts after, in the same transaction
            after = _counted(cur.fetchall())
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    progress(f"star schema merged in {time.monotonic() - t_total:.1f} s")
    timings.pop("session", None)
    return pd.DataFrame({"before": before, "after": after, "added": after - before,
                         "seconds": pd.Series(timings).round(2)}).rename_axis("table")
