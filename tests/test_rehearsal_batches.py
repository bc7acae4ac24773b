"""How a submission runs on its connection (sparkify_nb/local/rehearsal/statements.py's ``execute``): a batch as
one transaction that a failure undoes, also inside a session that goes on after it. Through a real boto3
redshift-data client (a sibling of tests/test_rehearsal_api.py, which is past 400 lines)."""

from __future__ import annotations

from tests.rehearsal_fixtures import cluster, data_api, rows, wait  # noqa: F401 (fixtures)


def test_a_failed_batch_in_a_session_undoes_its_work_and_the_session_goes_on(data_api, cluster):
    """A batch runs "as a single transaction ... If any SQL statement fails, ... all work is rolled back"
    (API_BatchExecuteStatement.html; rule 3 of sparkify_nb/local/rehearsal/__init__.py): one failing statement
    undoes the others, and the session it ran in (rule 5) takes the next statement as before, with no
    transaction left aborted behind it."""
    opened = data_api.execute_statement(Sql="CREATE TEMP TABLE kept (x INT)", SessionKeepAliveSeconds=30, **cluster)
    assert wait(data_api, opened["Id"])["Status"] == "FINISHED"
    batch = data_api.batch_execute_statement(Sqls=["INSERT INTO kept VALUES (1)", "SELECT * FROM no_such_table"],
                                             SessionId=opened["SessionId"])
    assert wait(data_api, batch["Id"])["Status"] == "FAILED"
    counted = data_api.execute_statement(Sql="SELECT COUNT(*) FROM kept", SessionId=opened["SessionId"])
    assert wait(data_api, counted["Id"])["Status"] == "FINISHED"
    assert rows(data_api, counted["Id"]) == [[0]]



class _Connection:
    """A backend that runs what it is given at once (BEGIN, COMMIT, ROLLBACK kept in ``sent``)."""

    def __init__(self):
        from psycopg2 import extensions

        self.info = type("Info", (), {"transaction_status": extensions.TRANSACTION_STATUS_IDLE})()
        self.sent: list[str] = []

    def cursor(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False

    def execute(self, sql):
        self.sent.append(sql)

    def get_backend_pid(self) -> int:
        return 4242

    def close(self) -> None:
        pass


class _CancelledAfterTheFirst:
    """An endpoint whose CancelStatement comes as the batch's first statement ends: no query is running then, so
    ``pg_cancel_backend`` has nothing to interrupt; only the run's ``cancelled`` says it."""

    def __init__(self):
        self.conn, self.ran = _Connection(), []

    def connect(self, target):
        return self.conn

    def run_one(self, conn, run, sub, in_batch):
        self.ran.append(sub.sql)
        run.cancelled = True

    def after_rollback(self, conn, run):
        pass

    def after_commit(self, conn, run):
        pass


def test_a_batch_cancelled_between_its_statements_runs_no_more_and_ends_aborted():
    """CancelStatement "Cancels a running query" (API_CancelStatement.html) and answers ``Status`` true: a batch
    cancelled while between two statements runs none of the rest, undoes what ran (a batch is one transaction),
    and ends ABORTED, the statements it did not run too (what those show is unconfirmed)."""
    from sparkify_nb.local.rehearsal import statements, translate

    sqls = ["SELECT 1", "SELECT 2"]
    run = statements.new_run(sqls, [translate.parse(s) for s in sqls], True, None, [])
    endpoint = _CancelledAfterTheFirst()
    statements.execute(run, endpoint)
    assert (endpoint.ran, endpoint.conn.sent) == (["SELECT 1"], ["BEGIN", "ROLLBACK"])
    assert (run.status, [s.status for s in run.subs]) == ("ABORTED", ["FINISHED", "ABORTED"])
    assert run.subs[1].duration_ns == -1 and run.error == "ERROR: canceling statement due to user request"


class _LoginRefused:
    def connect(self, target):
        from sparkify_nb.local.rehearsal.statements import Failed

        raise Failed('FATAL: user "nobody" does not exist')


def test_a_batch_whose_login_fails_fails_its_first_statement_and_aborts_the_rest():
    """A batch that cannot log in ran nothing: its first statement FAILED with the login's error, the others
    ABORTED (rule 3: the failing statement FAILED and those after it ABORTED), the batch FAILED with that error."""
    from sparkify_nb.local.rehearsal import statements, translate

    sqls = ["SELECT 1", "SELECT 2", "SELECT 3"]
    run = statements.new_run(sqls, [translate.parse(s) for s in sqls], True, None, [])
    statements.execute(run, _LoginRefused())
    assert (run.status, [s.status for s in run.subs]) == ("FAILED", ["FAILED", "ABORTED", "ABORTED"])
    assert run.error == run.subs[0].error == 'FATAL: user "nobody" does not exist' and run.done.is_set()


def test_a_vacuum_runs_alone_and_fails_inside_a_batchs_transaction(data_api, cluster):
    """VACUUM cannot run inside a transaction block (r_VACUUM_command.html's usage notes; its wording not checked
    here, PostgreSQL's rule the same): a statement on its own runs outside any, a TRANSACTION batch is one."""
    from tests.rehearsal_fixtures import run

    assert run(data_api, "CREATE TABLE swept (x INT)", **cluster)["Status"] == "FINISHED"
    alone = run(data_api, "VACUUM swept", **cluster)
    assert alone["Status"] == "FINISHED", alone.get("Error")
    batch = wait(data_api, data_api.batch_execute_statement(Sqls=["SELECT 1", "VACUUM swept"], **cluster)["Id"])
    assert batch["Status"] == "FAILED"
