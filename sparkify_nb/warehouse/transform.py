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

import time
from typing import Any

import pandas as pd

from .. import Progress
from . import connect as warehouse

# songplays before time: time is built from the plays.
ORDER = ("songs", "artists", "users", "songplays", "time")

# PostgreSQL only, for this transaction (SET LOCAL): the transform's sorts and hashes of a million
# events spilled to disk at the default 4 MB (EXPLAIN ANALYZE: external merge, 190 MB). Redshift
# manages query memory itself (WLM) and has no work_mem.
POSTGRES_SESSION = ("SET LOCAL work_mem = '256MB'",)


def session_statements(conn: Any) -> list[str]:
    """:data:`POSTGRES_SESSION` on PostgreSQL, nothing on Redshift. A psycopg2
    connection to Redshift reports server version 8.0.2 (``80002``; Redshift
    is based on PostgreSQL 8.0.2:
    https://docs.aws.amazon.com/redshift/latest/dg/c_redshift-and-postgres-sql.html);
    the Data API connection has no server version."""
    return list(POSTGRES_SESSION) if getattr(conn, "server_version", 0) >= 90000 else []


def statements(table: str) -> list[str]:
    """The statements of ``sql/transform/<table>.sql``."""
    return warehouse.split_sql(warehouse.sql_text(warehouse.SQL_DIR / "transform", table))


def run(conn: Any, progress: Progress = print) -> pd.DataFrame:
    """Fill the star schema from staging in one transaction; return, per
    table, the rows before and after and the seconds taken."""
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
                    cur.execute(sql)
                except Exception as exc:
                    raise warehouse.WarehouseError(f"transform {table}: {sql.strip().splitlines()[0][:100]}: "
                                                   f"{str(exc).strip()}") from None
                timings[table] = timings.get(table, 0.0) + time.monotonic() - t0
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    after = warehouse.table_counts(conn, ORDER).set_index("table_name")["row_count"]
    progress(f"star schema merged in {time.monotonic() - t_total:.1f} s")
    timings.pop("session", None)
    return pd.DataFrame({"before": before, "after": after, "added": after - before,
                         "seconds": pd.Series(timings).round(2)}).rename_axis("table")
