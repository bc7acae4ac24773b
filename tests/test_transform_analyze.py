"""On PostgreSQL the transform analyzes each temp table right after making it (Redshift does so by
itself); on Redshift the shared SQL text runs as it is."""

from __future__ import annotations

import re

from sparkify_nb.warehouse import transform
from tests.test_transform import DAY1_EVENTS, etl, write_day


class _Recorded:
    """``conn`` whose cursors record each statement they execute (the transform's own connection)."""

    def __init__(self, conn):
        self._conn, self.executed = conn, []

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def cursor(self):
        recorded, cursor = self.executed, self._conn.cursor()

        class Cursor:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                cursor.close()

            def execute(self, sql, params=None):
                recorded.append(sql)
                return cursor.execute(sql, params)

            def __getattr__(self, name):
                return getattr(cursor, name)

        return Cursor()


def test_on_postgres_each_temp_table_is_analyzed_right_after_it_is_made_as_redshift_does(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    recorded = _Recorded(conn)
    transform.run(recorded, progress=lambda _: None)
    follows = [(re.search(r"TEMP TABLE (\w+)", before).group(1), after) for before, after in zip(recorded.executed, recorded.executed[1:])
               if after.startswith("ANALYZE")]
    assert follows == [("new_songs", "ANALYZE new_songs"), ("new_artists", "ANALYZE new_artists"),
                       ("new_users", "ANALYZE new_users"), ("catalogue", "ANALYZE catalogue"),
                       ("merged_plays", "ANALYZE merged_plays")]


def test_on_redshift_the_shared_text_runs_as_it_is_with_no_analyze_added():
    class RedshiftConnection:  # psycopg2 to Redshift reports 8.0.2; the Data API connection reports nothing
        server_version = 80002

    for table in transform.ORDER:
        for sql in transform.statements(table):
            assert transform.after_statement(RedshiftConnection(), sql) == []
            assert transform.after_statement(object(), sql) == []
