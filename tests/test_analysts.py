"""Analysts read, nothing more (sparkify_nb/warehouse/analysts.py): 02 makes the
group and the user; 04's connection (analytics.open_connection) runs as that
user, and PostgreSQL refuses it every write and every table but the star's.

Local target (the session's embedded PostgreSQL): the grants are real
PostgreSQL grants, the same text 02 sends to Redshift. The rehearsal's version
(the Data API endpoint connecting as the request's DbUser) is in
tests/test_rehearsal_analysts.py.
"""

from pathlib import Path

import pytest

from sparkify_nb import analytics, warehouse
from sparkify_nb.warehouse import analysts, schema


@pytest.fixture
def schema_of_02(conn):
    """The session's database as 02 leaves it: every table, one play, the analysts' group and user."""
    line = analysts.ensure(conn, "postgres", "sparkify_analyst")
    lock_table = warehouse.connect.sql_text(Path(warehouse.lock.__file__).parent / "sql" / "lock", "create")
    warehouse.run(conn, [lock_table, "INSERT INTO songplays (start_time, user_id, level, session_id) "
                         "VALUES ('2018-11-01 21:01:46', '8', 'free', 139)",
                         "INSERT INTO staging_events (artist) VALUES ('hidden')"])
    return line


@pytest.fixture
def analyst(settings, schema_of_02):
    c = analytics.open_connection(settings)
    yield c
    c.close()


def refused(conn, sql):
    with pytest.raises(warehouse.WarehouseError) as error:
        warehouse.run(conn, [sql])
    return str(error.value)


def test_04_connects_as_the_analyst_not_the_admin(analyst):
    assert warehouse.query(analyst, "SELECT current_user AS who").who[0] == "sparkify_analyst"


def test_the_analyst_reads_every_star_table(analyst):
    counts = warehouse.table_counts(analyst, [t.name for t in schema.STAR_TABLES])
    assert dict(zip(counts.table_name, counts.row_count)) == {
        "songplays": 1, "users": 0, "songs": 0, "artists": 0, "time": 0}


def test_the_analyst_may_not_insert_into_a_star_table(analyst):
    assert "permission denied for table songplays" in refused(
        analyst, "INSERT INTO songplays (start_time, user_id, level, session_id) "
                 "VALUES ('2018-11-02 00:00:00', '9', 'paid', 1)")


@pytest.mark.parametrize("table", ["staging_events", "staging_songs", "load_errors", "loaded_files", "load_lock"])
def test_the_analyst_may_not_read_staging_or_load_tables(analyst, table):
    with pytest.raises(warehouse.WarehouseError, match=f"permission denied for table {table}"):
        warehouse.query(analyst, f'SELECT COUNT(*) FROM "{table}"')


@pytest.mark.parametrize("sql, denied", [
    ("DELETE FROM users", "permission denied for table users"),
    ("UPDATE songplays SET level = 'paid'", "permission denied for table songplays"),
    ("TRUNCATE songs", "permission denied for table songs"),
    ("DROP TABLE artists", "must be owner of table artists"),
    ("CREATE TABLE mine (x int)", "permission denied for schema public"),
])
def test_the_analyst_may_not_write_anything(analyst, sql, denied):
    assert denied in refused(analyst, sql)


def test_02_says_who_may_read_and_a_second_run_changes_nothing(conn, schema_of_02):
    assert schema_of_02 == ("group analysts: USAGE on the schema, SELECT on songplays, users, songs, artists, "
                            "time; nothing on staging or load tables. 04 runs as sparkify_analyst, its member")
    assert analysts.ensure(conn, "postgres", "sparkify_analyst") == schema_of_02
    members = warehouse.query(conn, "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                                    "JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = 'analysts'")
    assert list(members.rolname) == ["sparkify_analyst"]


def test_recreated_tables_are_granted_again_by_02(settings, conn, schema_of_02):
    warehouse.run(conn, schema.drop_statements("postgres") + schema.create_statements("postgres"))
    with analytics.connection(settings) as before:
        with pytest.raises(warehouse.WarehouseError, match="permission denied for table songplays"):
            warehouse.query(before, "SELECT COUNT(*) FROM songplays")
    analysts.ensure(conn, "postgres", "sparkify_analyst")
    with analytics.connection(settings) as after:
        assert warehouse.query(after, "SELECT COUNT(*) AS n FROM songplays").n[0] == 0
