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


def statements(table: str) -> list[str]:
    """The statements of ``sql/transform/<table>.sql``."""
    return warehouse.split_sql(warehouse.sql_text(warehouse.SQL_DIR / "transform", table))


def run(conn: Any, progress: Progress = print) -> pd.DataFrame:
    """Fill the star schema from staging in one transaction; return, per
    table, the rows before and after and the seconds taken."""
    before = warehouse.table_counts(conn, ORDER).set_index("table_name")["row_count"]
    timings = {}
    all_statements = []
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
    return pd.DataFrame({"before": before, "after": after, "added": after - before,
                         "seconds": pd.Series(timings).round(2)}).rename_axis("table")
