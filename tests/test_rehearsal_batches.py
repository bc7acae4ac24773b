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

