"""`%load_ext sparkify_nb`: %sql / %%sql cells in a real IPython shell, on the
session's PostgreSQL (local target), on a Redshift Data API connection whose
requests are pinned with botocore's Stubber, and over a real boto3 client on the
rehearsal's local Data API endpoint (the data_api access mode end to end)."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from sparkify_nb import config, warehouse
from sparkify_nb.analytics import magic
from sparkify_nb.warehouse import data_api as client_code
from tests.helpers import quiet
from tests.rehearsal_fixtures import cluster, data_api, run  # noqa: F401
from tests.test_data_api import Script, n, s


@pytest.fixture
def shell(conn):
    """An IPython shell with the extension loaded, over the session's database (fresh tables, two plays)."""
    warehouse.run(conn, ["INSERT INTO songplays (songplay_id, start_time, user_id, level, session_id, location) "
                         "VALUES (1, '2018-11-01 01:00:00', 7, 'paid', 3, 'O''Hare, IL'), "
                         "(2, '2018-11-01 02:00:00', 8, 'free', 4, 'Boston, MA')"])
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "sparkify_nb")
    ip.user_ns["settings"] = config.load(overrides={"general.target": "local"})
    yield ip
    for instance in ip.magics_manager.registry.values():
        if isinstance(instance, magic.SqlMagics):
            instance.close()
    InteractiveShell.clear_instance()


@pytest.fixture
def admin_shell(shell):
    """The same shell with magics that connect as the admin (the default door is the read-only analyst's):
    what the transaction tests below write needs it."""
    shell.register_magics(magic.SqlMagics(shell, connect=warehouse.open_connection))
    return shell


def cell(ip, source):
    result = ip.run_cell(source)
    return result.result, result.error_in_exec


def test_a_sql_cell_shows_the_rows_as_a_dataframe(shell):
    frame, error = cell(shell, "%%sql\nSELECT level, COUNT(*) AS plays FROM songplays GROUP BY level ORDER BY level")
    assert error is None
    assert frame.to_dict("records") == [{"level": "free", "plays": 1}, {"level": "paid", "plays": 1}]


def test_keep_puts_the_dataframe_in_a_variable_and_says_so(shell, capsys):
    frame, error = cell(shell, "%%sql plays <<\nSELECT songplay_id, location FROM songplays ORDER BY songplay_id")
    assert (frame, error) == (None, None)
    assert shell.user_ns["plays"].to_dict("list") == {"songplay_id": [1, 2], "location": ["O'Hare, IL", "Boston, MA"]}
    assert capsys.readouterr().out == "plays: 2 rows x 2 columns (songplay_id, location)\n"


def test_the_line_magic_runs_the_rest_of_its_line(shell):
    frame, _ = cell(shell, "%sql SELECT COUNT(*) AS n FROM songplays")
    assert frame.to_dict("records") == [{"n": 2}]
    _, error = cell(shell, "%sql ids << SELECT songplay_id FROM songplays ORDER BY 1")
    assert error is None and shell.user_ns["ids"]["songplay_id"].tolist() == [1, 2]


@pytest.mark.parametrize("placeholder", [":where", "%(where)s"])
def test_notebook_variables_are_bound_parameters_quotes_and_all(shell, placeholder):
    shell.user_ns["where"] = "O'Hare, IL"
    frame, error = cell(shell, f"%%sql\nSELECT songplay_id FROM songplays WHERE location = {placeholder}")
    assert error is None and frame["songplay_id"].tolist() == [1]
    shell.user_ns["where"] = "x' OR '1'='1"  # a value, never SQL
    frame, _ = cell(shell, f"%%sql\nSELECT songplay_id FROM songplays WHERE location = {placeholder}")
    assert frame.empty


def test_the_value_travels_beside_the_text_never_in_it():
    class Recorder:
        """A connection that records what the magic hands the driver."""

        closed, description = 0, None
        calls: list = []

        def cursor(self):
            return self

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, sql, params=None):
            self.calls.append((sql, params))

        commit = rollback = close = lambda self: None

    recorder = Recorder()
    magic.run(recorder, "SELECT 1 FROM t WHERE a = :city AND b LIKE 'x%' -- not :this\nAND c::int = %(n)s",
              {"city": "Boston", "n": 3, "this": "never"})
    assert recorder.calls == [("SELECT 1 FROM t WHERE a = %(city)s AND b LIKE 'x%%' -- not :this\nAND c::int = %(n)s",
                               {"city": "Boston", "n": 3})]


def test_a_parameter_without_a_variable_is_refused_naming_it(shell):
    _, error = cell(shell, "%%sql\nSELECT * FROM songplays WHERE level = :lvl")
    assert isinstance(error, magic.SqlError)
    assert str(error) == "SELECT * FROM songplays WHERE level = :lvl: no notebook variable 'lvl' for the parameter :lvl"


def test_of_several_parameters_without_a_variable_the_first_in_the_text_is_named(shell):
    _, error = cell(shell, "%%sql\nSELECT * FROM songplays WHERE level = :lvl AND location = :city")
    assert str(error) == ("SELECT * FROM songplays WHERE level = :lvl AND location = :city: no notebook variable "
                          "'lvl' for the parameter :lvl")


def test_an_error_shows_the_statement_and_the_database_message_without_a_traceback(shell, capsys):
    _, error = cell(shell, "%%sql\nSELECT nope\nFROM songplays")
    shown = capsys.readouterr().out
    assert str(error).startswith('SELECT nope: column "nope" does not exist')
    assert shown.startswith('\x1b[0;31mSqlError\x1b[0m: SELECT nope: column "nope" does not exist')
    assert "Traceback" not in shown and "sparkify_nb" not in shown
    frame, error = cell(shell, "%sql SELECT COUNT(*) AS n FROM songplays")  # the failed transaction is gone
    assert error is None and frame["n"].tolist() == [2]


def test_a_cell_of_several_statements_is_one_transaction(admin_shell, capsys):
    shell = admin_shell
    _, error = cell(shell, "%%sql\nUPDATE songplays SET level = 'paid' WHERE songplay_id = 2;\nSELECT nope FROM songplays;")
    assert isinstance(error, magic.SqlError)
    frame, _ = cell(shell, "%sql SELECT level FROM songplays WHERE songplay_id = 2")
    assert frame["level"].tolist() == ["free"]  # rolled back with the failing statement
    frame, _ = cell(shell, "%%sql\nUPDATE songplays SET level = 'paid' WHERE songplay_id = 2;\n"
                           "SELECT COUNT(*) AS paid FROM songplays WHERE level = 'paid';")
    assert frame["paid"].tolist() == [2]
    capsys.readouterr()
    assert cell(shell, "%sql UPDATE songplays SET level = 'free' WHERE songplay_id = 2") == (None, None)
    assert capsys.readouterr().out.endswith("done\n")


def test_keeping_a_statement_without_rows_is_refused(admin_shell):
    shell = admin_shell
    _, error = cell(shell, "%sql kept << UPDATE songplays SET level = level")
    assert str(error) == "UPDATE songplays SET level = level: returns no rows to keep in kept (the statements ran and committed)"
    assert "kept" not in shell.user_ns


def test_sql_cells_run_as_the_read_only_analyst_and_may_not_write(shell):
    frame, _ = cell(shell, "%sql SELECT current_user AS who")
    assert frame["who"].tolist() == ["sparkify_analyst"]
    _, error = cell(shell, "%sql UPDATE songplays SET level = 'paid'")
    assert str(error) == "UPDATE songplays SET level = 'paid': permission denied for table songplays"


def test_another_settings_object_gets_another_connection(shell):
    opened = []
    sql_magics = next(m for m in shell.magics_manager.registry.values() if isinstance(m, magic.SqlMagics))
    sql_magics.connect = lambda settings: opened.append(settings) or warehouse.open_connection(settings)
    sql_magics.close()
    cell(shell, "%sql SELECT 1 AS one")
    cell(shell, "%sql SELECT 1 AS one")
    shell.user_ns["settings"] = config.load(overrides={"general.target": "local"})
    cell(shell, "%sql SELECT 1 AS one")
    assert len(opened) == 2 and opened[1] is shell.user_ns["settings"]


def test_on_the_data_api_parameters_go_as_parameters_and_errors_as_the_api_says():
    """The exact requests: a DataApiConnection whose boto3 client is stubbed (botocore's
    Stubber checks every request against the service model and the expected values)."""
    script = Script()
    sql = "SELECT level, COUNT(*) AS plays FROM songplays WHERE level = :lvl GROUP BY level"
    script.query(sql, [("level", "varchar"), ("plays", "int8")], [[s("paid"), n(1)]],
                 parameters=[{"name": "lvl", "value": "paid"}])
    script.statement("SELECT nope FROM songplays", status="FAILED",
                     error='ERROR: column "nope" does not exist in songplays')
    script.stub.activate()
    ip = InteractiveShell.instance()
    try:
        ip.register_magics(magic.SqlMagics(ip, connect=lambda settings: script.connection()))
        ip.user_ns.update(settings=config.load(overrides={"general.target": "local"}), lvl="paid")
        result = ip.run_cell(f"%%sql\n{sql}")
        assert result.result.to_dict("records") == [{"level": "paid", "plays": 1}]
        result = ip.run_cell("%%sql\nSELECT nope FROM songplays")
        assert str(result.error_in_exec) == ('SELECT nope FROM songplays: FAILED: ERROR: column "nope" does not exist '
                                             'in songplays')
        script.stub.assert_no_pending_responses()
    finally:
        InteractiveShell.clear_instance()


def test_sql_alone_says_where_sql_goes(shell, capsys):
    assert cell(shell, "%sql") == (None, None)
    assert capsys.readouterr().out.startswith("SQL cells run on local: PostgreSQL protocol: database ")


def test_on_the_rehearsal_a_sql_cell_runs_through_the_data_api_binds_reads_writes_and_fails_as_redshift(
        data_api, cluster):
    """A real boto3 redshift-data client on the rehearsal's endpoint (the cluster's database on the local
    PostgreSQL, statements checked as Redshift SQL), behind the DataApiConnection data_api access uses."""
    run(data_api, "CREATE TABLE plays (level VARCHAR(8), city VARCHAR(64))", **cluster)
    run(data_api, "INSERT INTO plays VALUES ('paid', 'O''Hare, IL'), ('free', 'O''Hare, IL'), ('paid', 'Boston, MA')",
        **cluster)
    ip = InteractiveShell.instance()
    try:
        ip.register_magics(magic.SqlMagics(ip, connect=lambda settings: client_code.DataApiConnection(
            data_api, cluster, progress=quiet, keep_alive_s=60, poll=client_code.Poll(first_s=0.02, max_s=0.2))))
        ip.user_ns.update(settings=config.load(overrides={"general.target": "local"}), city="O'Hare, IL")
        result = ip.run_cell("%%sql by_level <<\nSELECT level, COUNT(*) AS plays FROM plays WHERE city = :city\n"
                             "GROUP BY level ORDER BY level")
        assert result.error_in_exec is None
        assert ip.user_ns["by_level"].to_dict("records") == [{"level": "free", "plays": 1}, {"level": "paid", "plays": 1}]
        result = ip.run_cell("%%sql\nUPDATE plays SET level = 'paid' WHERE city = %(city)s;\n"
                             "SELECT COUNT(*) AS paid FROM plays WHERE level = 'paid';")
        assert result.result.to_dict("records") == [{"paid": 3}]  # one batch: the update, then the read
        result = ip.run_cell("%sql SELECT nope FROM plays")
        assert isinstance(result.error_in_exec, magic.SqlError)
        assert str(result.error_in_exec) == 'SELECT nope FROM plays: FAILED: ERROR: column "nope" does not exist'
    finally:
        InteractiveShell.clear_instance()


def test_a_notebook_without_settings_connects_with_the_defaults_once():
    """No ``settings`` variable: dwh.cfg and the environment as config.load() reads them, loaded once and
    kept, so the next cell reuses the connection."""
    made = []
    sql = magic.SqlMagics(None, connect=lambda settings: made.append(settings) or object())
    first = sql.connection({})
    assert sql.connection({"settings": "not a Settings"}) is first
    assert len(made) == 1 and isinstance(made[0], config.Settings)


def test_a_lost_connection_fails_its_cell_and_the_next_cell_connects_again_while_an_error_keeps_it(shell, capsys):
    """The server ends the session (pg_terminate_backend on its own backend, which a role may do: PostgreSQL's
    "Server Signaling Functions"): the cell fails as a SqlError, not with the rollback's "connection already closed";
    the next cell connects again, as it does after a connection closed between cells. An error on a live connection
    keeps it."""
    opened = []
    sql_magics = next(m for m in shell.magics_manager.registry.values() if isinstance(m, magic.SqlMagics))
    sql_magics.close()
    sql_magics.connect = lambda settings: opened.append(magic._analysts_connection(settings)) or opened[-1]
    _, error = cell(shell, "%sql SELECT nope FROM songplays")
    assert isinstance(error, magic.SqlError) and len(opened) == 1
    _, error = cell(shell, "%sql SELECT pg_terminate_backend(pg_backend_pid())")
    assert isinstance(error, magic.SqlError) and str(error).startswith("SELECT pg_terminate_backend(pg_backend_pid()): ")
    assert len(opened) == 1 and opened[0].closed
    frame, error = cell(shell, "%sql SELECT COUNT(*) AS n FROM songplays")
    assert error is None and frame["n"].tolist() == [2] and len(opened) == 2
    opened[1].close()  # closed between two cells: the next one sees it and connects again
    frame, error = cell(shell, "%sql SELECT COUNT(*) AS n FROM songplays")
    assert error is None and frame["n"].tolist() == [2] and len(opened) == 3


def test_a_connection_that_cannot_be_made_is_one_line_saying_so(shell):
    sql_magics = next(m for m in shell.magics_manager.registry.values() if isinstance(m, magic.SqlMagics))
    sql_magics.close()

    def refuse(settings):
        raise warehouse.WarehouseError("no cluster sparkify-dwh: run 01_infrastructure first")

    sql_magics.connect = refuse
    _, error = cell(shell, "%sql SELECT 1")
    assert type(error) is magic.SqlError
    assert str(error) == "cannot connect: no cluster sparkify-dwh: run 01_infrastructure first"


def test_a_cell_whose_last_statement_returns_no_rows_shows_done_not_the_rows_before_it(admin_shell, capsys):
    assert cell(admin_shell, "%%sql\nSELECT 1 AS one;\nUPDATE songplays SET level = level;") == (None, None)
    assert capsys.readouterr().out == "done\n"


def test_sql_alone_on_the_data_api_names_the_target_without_a_secret(capsys):
    """``%sql`` with no SQL asks nothing of the warehouse: it names where SQL goes (the Data API target's
    members; a secret's ARN or a password is never among them)."""
    script = Script()  # nothing queued: a request fails the test
    script.stub.activate()
    ip = InteractiveShell.instance()
    try:
        ip.register_magics(magic.SqlMagics(ip, connect=lambda settings: script.connection()))
        ip.user_ns["settings"] = config.load(overrides={"general.target": "local"})
        assert ip.run_cell("%sql").error_in_exec is None
        assert capsys.readouterr().out == ("SQL cells run on local: Redshift Data API: ClusterIdentifier dapi-dwh, "
                                           "Database sparkify, DbUser sparkify_admin\n")
        script.stub.assert_no_pending_responses()
    finally:
        InteractiveShell.clear_instance()
