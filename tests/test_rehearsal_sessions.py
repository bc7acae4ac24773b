"""The rehearsal's Data API endpoint: sessions, targets (cluster, database,
user) and results, rule by rule (sparkify_nb/local/rehearsal/__init__.py)."""

from __future__ import annotations

import time
import uuid

import boto3
import psycopg2
import pytest
from botocore.exceptions import ClientError

from sparkify_nb import local, warehouse
from sparkify_nb.warehouse import data_api as client_side

from tests.rehearsal_fixtures import (  # noqa: F401 (fixtures)
    MASTER, aws, cluster, data_api, error_code, make_cluster, raw_api, rows, run, wait)
from tests.test_rehearsal_serverless import KEYS, made
from tests.test_rehearsal_api import held_lock, started


# --- sessions ----------------------------------------------------------------------------------------

def test_a_session_is_one_database_session_temp_tables_and_backend_pid_carry_over(data_api, cluster):
    first = data_api.execute_statement(Sql="CREATE TEMP TABLE scratch AS SELECT pg_backend_pid() AS pid",
                                       SessionKeepAliveSeconds=30, **cluster)
    assert wait(data_api, first["Id"])["Status"] == "FINISHED"
    second = data_api.execute_statement(Sql="SELECT pid, pg_backend_pid() FROM scratch", SessionId=first["SessionId"])
    assert second["SessionId"] == first["SessionId"]
    assert wait(data_api, second["Id"])["Status"] == "FINISHED"
    [[then, now]] = rows(data_api, second["Id"])
    assert then == now
    elsewhere = run(data_api, "SELECT pid FROM scratch", **cluster)  # another session: no such temp table
    assert elsewhere["Error"] == 'ERROR: relation "scratch" does not exist'


def test_pg_last_copy_id_is_minus_one_in_a_session_without_a_copy(data_api, cluster):
    described = run(data_api, "SELECT pg_last_copy_id(), pg_last_copy_count()", **cluster)
    assert rows(data_api, described["Id"]) == [[-1, 0]]


def test_a_second_statement_in_a_busy_session_is_refused(data_api, cluster):
    run(data_api, "CREATE TABLE waits (x INT)", **cluster)
    lock = held_lock(cluster, "waits")
    try:
        busy = data_api.execute_statement(Sql="SELECT COUNT(*) FROM waits", SessionKeepAliveSeconds=30, **cluster)
        started(data_api, busy["Id"])
        with pytest.raises(ClientError) as refused:
            data_api.execute_statement(Sql="SELECT 1", SessionId=busy["SessionId"])
        assert error_code(refused) == "ValidationException" and "busy" in str(refused.value)
    finally:
        lock.rollback()
        lock.close()
    wait(data_api, busy["Id"])
    after = data_api.execute_statement(Sql="SELECT 1", SessionId=busy["SessionId"])  # free again
    assert wait(data_api, after["Id"])["Status"] == "FINISHED"


def test_a_session_ends_after_its_keep_alive_and_a_later_call_is_refused(data_api, cluster):
    first = data_api.execute_statement(Sql="SELECT 1", SessionKeepAliveSeconds=1, **cluster)
    wait(data_api, first["Id"])
    time.sleep(1.3)
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(Sql="SELECT 1", SessionId=first["SessionId"])
    assert error_code(refused) == "ValidationException"
    assert refused.value.response["Error"]["Message"] == "Session is not available"


def test_a_session_on_a_cluster_deleted_and_made_again_has_ended(data_api):
    """A session's connection is to its cluster: once the cluster is deleted and one of that name made again (its
    database recreated empty), a statement in the old session is refused as in any ended session."""
    name = f"rh-{uuid.uuid4().hex[:10]}"
    make_cluster(name=name)
    target = {"ClusterIdentifier": name, "Database": "dev", "DbUser": MASTER}
    first = data_api.execute_statement(Sql="SELECT 1", SessionKeepAliveSeconds=600, **target)
    wait(data_api, first["Id"])
    aws("redshift").delete_cluster(ClusterIdentifier=name, SkipFinalClusterSnapshot=True)
    time.sleep(1.1)  # ClusterCreateTime in whole seconds: the new cluster is a new one
    make_cluster(name=name)
    try:
        assert wait(data_api, data_api.execute_statement(Sql="SELECT 1", **target)["Id"])["Status"] == "FINISHED"
        with pytest.raises(ClientError) as refused:
            data_api.execute_statement(Sql="SELECT 1", SessionId=first["SessionId"])
        assert refused.value.response["Error"]["Message"] == "Session is not available"
    finally:
        aws("redshift").delete_cluster(ClusterIdentifier=name, SkipFinalClusterSnapshot=True)


def test_a_session_that_never_existed_is_invalid(data_api):
    unknown = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(Sql="SELECT 1", SessionId=unknown)
    assert refused.value.response["Error"]["Message"] == f"Session with Id: {unknown} is invalid"


def test_a_session_keep_alive_over_24_hours_is_refused_by_the_server(raw_api, cluster):
    with pytest.raises(ClientError) as refused:
        raw_api.execute_statement(Sql="SELECT 1", SessionKeepAliveSeconds=86401, **cluster)
    assert "Member must have value less than or equal to 86400" in str(refused.value)


class _Clock:
    """A clock of the sessions module's own (its ``time.time``), moved by hand."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


class _Connection:
    closed = False

    def close(self) -> None:
        self.closed = True


def test_a_session_lives_24_hours_at_most_however_it_is_kept_alive_and_is_then_forced_closed(monkeypatch):
    """"After 24 hours, the session is forced closed and the query is terminated" (API_ExecuteStatement.html,
    SessionKeepAliveSeconds): a session kept alive call after call still ends 24 h after it began, not an instant earlier;
    one busy then is closed too."""
    from sparkify_nb.local.rehearsal import sessions as module

    clock = _Clock(time.time())
    monkeypatch.setattr(module, "time", clock)
    sessions = module.Sessions()
    try:
        kept = sessions.open(target=None, keep_alive_s=7200, connect=_Connection)
        start = clock.now = kept.created  # (a Session's start is stamped by the real clock)
        sessions.release(kept)
        for hour in range(1, 24):  # a statement every hour, each asking for a day more
            clock.now = start + hour * 3600
            sessions.release(sessions.take(kept.id, keep_alive_s=86400))
        clock.now = start + 24 * 3600 - 1
        sessions.release(sessions.take(kept.id, keep_alive_s=86400))
        clock.now = start + 24 * 3600
        with pytest.raises(Exception, match="Session is not available"):
            sessions.take(kept.id, keep_alive_s=86400)

        busy = sessions.open(target=None, keep_alive_s=86400, connect=_Connection)
        clock.now = busy.created + 24 * 3600 - 1
        time.sleep(3 * module.REAP_EVERY_S)
        assert not busy.closed and not busy.conn.closed
        clock.now = busy.created + 24 * 3600
        deadline = time.monotonic() + 5
        while not busy.conn.closed and time.monotonic() < deadline:
            time.sleep(module.REAP_EVERY_S / 2)
        assert busy.closed and busy.conn.closed
    finally:
        sessions.stop()


def test_an_ended_sessions_connection_is_closed_within_a_fifth_of_a_second_by_a_reaper_that_sleeps_between_rounds():
    """A session's PostgreSQL session (its temp tables, its locks) ends with it: the reaper looks five times a
    second (``REAP_EVERY_S``), so a connection outlives its session by at most about 0.2 s, and the reaper sleeps
    in between rather than spinning on the sessions' lock."""
    from sparkify_nb.local.rehearsal import sessions as module

    sessions = module.Sessions()
    try:
        cpu = time.process_time()
        session = sessions.open(target=None, keep_alive_s=0.5, connect=_Connection)
        sessions.release(session)
        time.sleep(0.3)
        assert not session.conn.closed  # still alive: its keep-alive is not over
        deadline = session.expires + 0.45
        while not session.conn.closed and time.time() < deadline:
            time.sleep(0.02)
        assert session.closed and session.conn.closed
        time.sleep(max(0.0, 1.5 - (time.time() - session.created)))
        assert time.process_time() - cpu < 0.15  # five rounds a second cost next to nothing
    finally:
        sessions.stop()


def test_the_session_reaper_does_not_keep_the_endpoints_process_alive():
    """The reaper is a daemon thread: a process that made a Sessions (the endpoint's) ends when its main thread
    does, as ``local down`` expects of the endpoint."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", "from sparkify_nb.local.rehearsal.sessions import Sessions; Sessions()"],
                   check=True, timeout=20)


def test_a_call_refused_after_its_session_was_taken_gives_the_session_back(tmp_path):
    """A call on a session that is refused (its cluster gone; 200 statements already active on the cluster:
    ``ActiveStatementsExceededException``, data-api.html's quotas) leaves the session free for the next call,
    not busy for ever."""
    from types import SimpleNamespace

    from sparkify_nb.local.rehearsal import api
    from sparkify_nb.local.rehearsal.errors import ApiError, validation

    endpoint = api.Endpoint(tmp_path)
    try:
        target = api.Target("us-west-2", {"ClusterIdentifier": "c1", "DBName": "dev"}, "dev", "awsuser", "db_c1")
        session = endpoint.sessions.open(target, 60, _Connection)
        endpoint.sessions.release(session)

        def gone(*_):
            raise validation("Redshift endpoint doesn't exist in this region.")

        endpoint._cluster = gone
        with pytest.raises(ApiError):
            endpoint.execute_statement({"Sql": "SELECT 1", "SessionId": session.id}, "us-west-2")
        assert not session.busy
        endpoint._cluster = lambda *_: target.cluster

        def runs(status: str, cluster: str, count: int) -> dict:
            one = SimpleNamespace(status=status, target=SimpleNamespace(identifier=cluster), created=time.time())
            return {f"{status}-{cluster}-{n}": one for n in range(count)}

        # 199 active on c1 (each status that counts), more on another cluster, others finished: one more is taken
        endpoint.runs = {**runs("SUBMITTED", "c1", 66), **runs("PICKED", "c1", 66), **runs("STARTED", "c1", 67),
                         **runs("STARTED", "c2", 150), **runs("FINISHED", "c1", 150)}
        taken = endpoint.execute_statement({"Sql": "SELECT 1", "SessionId": session.id}, "us-west-2")
        assert endpoint.runs[taken["Id"]].done.wait(10) and not session.busy  # (it fails: no such database here)
        endpoint.runs["the-200th"] = runs("STARTED", "c1", 1)["STARTED-c1-0"]
        with pytest.raises(ApiError) as refused:
            endpoint.execute_statement({"Sql": "SELECT 1", "SessionId": session.id}, "us-west-2")
        assert refused.value.code == "ActiveStatementsExceededException" and not session.busy
    finally:
        endpoint.sessions.stop()


# --- targets -------------------------------------------------------------------------------------------

def test_an_absent_cluster_gets_the_data_apis_error(data_api):
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(Sql="SELECT 1", ClusterIdentifier="rh-absent", Database="dev", DbUser=MASTER)
    assert error_code(refused) == "ValidationException"
    assert refused.value.response["Error"]["Message"] == "Redshift endpoint doesn't exist in this region."


def test_a_cluster_in_another_region_is_absent_from_the_signing_region(cluster):
    import boto3

    from sparkify_nb import local

    elsewhere = boto3.client("redshift-data", endpoint_url=local.data_api_endpoint(), region_name="eu-west-1",
                             aws_access_key_id="r", aws_secret_access_key="r")
    with pytest.raises(ClientError) as refused:
        elsewhere.execute_statement(Sql="SELECT 1", **cluster)
    assert refused.value.response["Error"]["Message"] == "Redshift endpoint doesn't exist in this region."


def test_a_paused_cluster_is_refused(data_api, cluster):
    aws("redshift").pause_cluster(ClusterIdentifier=cluster["ClusterIdentifier"])
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(Sql="SELECT 1", **cluster)
    assert error_code(refused) == "ValidationException" and "paused" in str(refused.value)
    aws("redshift").resume_cluster(ClusterIdentifier=cluster["ClusterIdentifier"])
    assert run(data_api, "SELECT 1", **cluster)["Status"] == "FINISHED"


def test_a_request_without_a_database_user_is_refused(data_api, cluster):
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(Sql="SELECT 1", ClusterIdentifier=cluster["ClusterIdentifier"], Database="dev")
    assert error_code(refused) == "ValidationException" and "DbUser" in str(refused.value)


def test_a_database_the_cluster_does_not_have_fails_as_a_login_does(data_api, cluster):
    described = run(data_api, "SELECT 1", **{**cluster, "Database": "other"})
    assert described["Status"] == "FAILED" and described["Error"] == 'FATAL: database "other" does not exist'


def test_a_session_whose_login_fails_fails_its_first_statement_and_opens_no_session(data_api, cluster):
    """Opening a session logs in (rule 5): a login refused fails the statement as any login does (rule 6), with
    an Id to describe, and no SessionId comes back (there is no session to go on in; unconfirmed: AWS does not
    say what such a call answers)."""
    submitted = data_api.execute_statement(Sql="SELECT 1", SessionKeepAliveSeconds=60,
                                           **{**cluster, "DbUser": f"rh_nobody_{uuid.uuid4().hex[:6]}"})
    assert "SessionId" not in submitted
    described = wait(data_api, submitted["Id"])
    assert described["Status"] == "FAILED" and described["Error"].startswith('FATAL: user "rh_nobody_')
    assert "SessionId" not in described


def test_statements_run_as_the_database_user_other_users_exist_once_sql_made_them(data_api, cluster):
    analyst = {**cluster, "DbUser": "analyst"}
    assert run(data_api, "SELECT 1", **analyst)["Error"] == 'FATAL: user "analyst" does not exist'
    batch = data_api.batch_execute_statement(
        Sqls=["CREATE TABLE secret (x INT)", "CREATE USER analyst PASSWORD DISABLE"], **cluster)
    assert wait(data_api, batch["Id"])["Status"] == "FINISHED"
    who = run(data_api, "SELECT current_user", **analyst)
    assert rows(data_api, who["Id"]) == [["analyst"]]
    assert run(data_api, "SELECT * FROM secret", **analyst)["Error"] == "ERROR: permission denied for table secret"


def test_a_dropped_user_no_longer_logs_in_and_dropping_one_that_does_not_exist_fails_unless_if_exists(
        data_api, cluster):
    """DROP USER IF EXISTS "should make no changes and return a message that the user doesn't exist, rather
    than terminating with an error" (r_DROP_USER.html); without it, an error."""
    leaver = {**cluster, "DbUser": "leaver"}
    assert run(data_api, "CREATE USER leaver PASSWORD DISABLE", **cluster)["Status"] == "FINISHED"
    assert run(data_api, "drop user leaver", **cluster)["Status"] == "FINISHED"  # Redshift's words in any case
    assert run(data_api, "SELECT 1", **leaver)["Error"] == 'FATAL: user "leaver" does not exist'
    assert run(data_api, "DROP USER leaver", **cluster)["Error"] == 'ERROR: user "leaver" does not exist'
    assert run(data_api, "DROP USER IF EXISTS leaver", **cluster)["Status"] == "FINISHED"


def test_alter_user_createuser_makes_a_superuser_and_nocreateuser_takes_it_back(data_api, cluster):
    """ALTER USER name CREATEUSER | NOCREATEUSER: "The CREATEUSER option creates a superuser with all database
    privileges, including CREATE USER. The default is NOCREATEUSER" (r_ALTER_USER.html); a user the cluster does
    not have is an error."""
    boss, hire = (f"rh_{role}_{uuid.uuid4().hex[:6]}" for role in ("boss", "hire"))
    as_boss = {**cluster, "DbUser": boss}
    denied = "ERROR: permission denied to create, alter or drop users (a superuser's right)"
    assert run(data_api, f"CREATE USER {boss} PASSWORD DISABLE", **cluster)["Status"] == "FINISHED"
    assert run(data_api, f"CREATE USER {hire} PASSWORD DISABLE", **as_boss)["Error"] == denied
    assert run(data_api, f"ALTER USER {boss} CREATEUSER", **cluster)["Status"] == "FINISHED"
    assert run(data_api, f"CREATE USER {hire} PASSWORD DISABLE", **as_boss)["Status"] == "FINISHED"
    assert run(data_api, f"ALTER USER {boss} NOCREATEUSER", **cluster)["Status"] == "FINISHED"
    assert run(data_api, f"DROP USER {hire}", **as_boss)["Error"] == denied
    ghost = f"rh_ghost_{uuid.uuid4().hex[:6]}"
    assert run(data_api, f"ALTER USER {ghost} CREATEUSER", **cluster)["Error"] == f'ERROR: user "{ghost}" does not exist'


def test_create_user_needs_its_password_clause_once_per_name_and_createuser_makes_a_superuser(data_api, cluster):
    """CREATE USER name [WITH] PASSWORD {'...' | DISABLE} [CREATEUSER | NOCREATEUSER] (r_CREATE_USER.html): no
    password clause is a syntax error; a user the cluster has is refused; a quoted name keeps its case;
    CREATEUSER "creates a superuser", NOCREATEUSER (the default) does not. DROP USER takes a list; an ALTER USER
    naming nobody is a syntax error. SHOW answers as a query does."""
    tag = uuid.uuid4().hex[:6]
    plain, boss, other = f"rh_plain_{tag}", f"Rh_Boss_{tag}", f"rh_other_{tag}"
    no_password = run(data_api, f"CREATE USER {plain}", **cluster)["Error"]
    assert no_password.startswith('ERROR: syntax error at or near "USER"') and "password is required" in no_password
    assert run(data_api, f"CREATE USER {plain} WITH PASSWORD DISABLE NOCREATEUSER", **cluster)["Status"] == "FINISHED"
    assert run(data_api, f"CREATE USER {plain.upper()} PASSWORD DISABLE", **cluster)["Error"] == \
        f'ERROR: user "{plain}" already exists'
    assert run(data_api, f"""CREATE USER "{boss}" PASSWORD 'it''s Secret1' CREATEUSER""", **cluster)[
        "Status"] == "FINISHED"
    as_boss, as_plain = {**cluster, "DbUser": boss}, {**cluster, "DbUser": plain}
    assert rows(data_api, run(data_api, "SELECT current_user", **as_boss)["Id"]) == [[boss]]
    assert run(data_api, f"CREATE USER {other} PASSWORD DISABLE", **as_boss)["Status"] == "FINISHED"
    assert run(data_api, f"DROP USER {other}", **as_plain)["Error"].startswith("ERROR: permission denied")
    assert run(data_api, f'DROP USER {other}, "{boss}"', **cluster)["Status"] == "FINISHED"
    for gone in (other, boss):
        assert run(data_api, "SELECT 1", **{**cluster, "DbUser": gone})["Error"] == f'FATAL: user "{gone}" does not exist'
    assert run(data_api, "ALTER USER", **cluster)["Error"].startswith('ERROR: syntax error at or near "USER"')
    assert rows(data_api, run(data_api, "SHOW timezone", **cluster)["Id"]) == [["UTC"]]


def test_a_login_postgresql_refuses_fails_the_statement_with_its_reason_alone(data_api, cluster):
    """A database user the server will not let in (here a role made NOLOGIN behind the endpoint's back) fails the
    statement as a login does, ``FATAL: <reason>``, without the local server's socket or address (the form of
    rule 6's ``FATAL: user "x" does not exist``; wording unconfirmed)."""
    user = f"rh_locked_{uuid.uuid4().hex[:6]}"
    assert run(data_api, f"CREATE USER {user} PASSWORD DISABLE", **cluster)["Status"] == "FINISHED"
    conn = psycopg2.connect(local.rehearsal_dsn(cluster["ClusterIdentifier"]))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"ALTER ROLE {user} NOLOGIN")
    finally:
        conn.close()
    failed = run(data_api, "SELECT 1", **{**cluster, "DbUser": user})
    assert (failed["Status"], failed["Error"]) == ("FAILED", f'FATAL: role "{user}" is not permitted to log in')


def test_a_cluster_deleted_and_made_again_starts_empty(data_api):
    made = make_cluster()
    target = {"ClusterIdentifier": made["ClusterIdentifier"], "Database": "dev", "DbUser": MASTER}
    assert run(data_api, "CREATE TABLE kept (x INT)", **target)["Status"] == "FINISHED"
    aws("redshift").delete_cluster(ClusterIdentifier=made["ClusterIdentifier"], SkipFinalClusterSnapshot=True)
    time.sleep(0.01)  # a later ClusterCreateTime
    make_cluster(name=made["ClusterIdentifier"])
    assert run(data_api, "SELECT * FROM kept", **target)["Error"] == 'ERROR: relation "kept" does not exist'


# --- results -------------------------------------------------------------------------------------------

def test_a_large_result_pages_with_next_token(data_api, cluster):
    described = run(data_api, "SELECT n, REPEAT('x', 1000) AS pad FROM generate_series(1, 3000) AS n", **cluster)
    first = data_api.get_statement_result(Id=described["Id"])
    assert first["TotalNumRows"] == 3000 and "NextToken" in first and len(first["Records"]) < 3000
    assert [r[0] for r in rows(data_api, described["Id"])] == list(range(1, 3001))


def test_a_row_over_64_kb_fails_the_statement(data_api, cluster):
    described = run(data_api, "SELECT REPEAT('x', 70000)", **cluster)
    assert described["Status"] == "FAILED" and described["Error"].startswith("Packet for query is too large")


def test_a_statement_without_a_result_set_has_no_result(data_api, cluster):
    described = run(data_api, "CREATE TABLE t (x INT)", **cluster)
    with pytest.raises(ClientError) as refused:
        data_api.get_statement_result(Id=described["Id"])
    assert error_code(refused) == "ValidationException" and "does not have result" in str(refused.value)


def test_list_statements_shows_finished_statements_by_name(data_api, cluster):
    done = wait(data_api, data_api.execute_statement(Sql="SELECT 1", StatementName="rh-listed-x", **cluster)["Id"])
    listed = data_api.list_statements(StatementName="rh-listed", ClusterIdentifier=cluster["ClusterIdentifier"])
    assert [s["Id"] for s in listed["Statements"]] == [done["Id"]]


def test_list_statements_shows_only_the_cluster_and_database_asked_for(data_api, cluster):
    """ListStatements' ``ClusterIdentifier``: "Only statements that ran on this cluster are returned";
    ``Database``: "The name of the database when listing statements run against a ClusterIdentifier";
    ``StatementName``: "a case-sensitive match of SQL statement names to the prefix value"
    (API_ListStatements.html). Newest first (unconfirmed: AWS documents no order)."""
    other = make_cluster()
    name = f"rh-where-{uuid.uuid4().hex[:8]}"
    try:
        here = run(data_api, "SELECT 1", StatementName=f"{name}-a", **cluster)["Id"]
        elsewhere = run(data_api, "SELECT 1", StatementName=f"{name}-b", ClusterIdentifier=other["ClusterIdentifier"],
                        Database="dev", DbUser=MASTER)["Id"]
        other_database = run(data_api, "SELECT 1", StatementName=f"{name}-c", **{**cluster, "Database": "other"})["Id"]

        def listed(**filters) -> list[str]:
            return [s["Id"] for s in data_api.list_statements(Status="ALL", **filters)["Statements"]]

        assert listed(StatementName=name) == [other_database, elsewhere, here]
        assert listed(StatementName=name, ClusterIdentifier=cluster["ClusterIdentifier"]) == [other_database, here]
        assert listed(StatementName=name, ClusterIdentifier=other["ClusterIdentifier"]) == [elsewhere]
        assert listed(StatementName=name, ClusterIdentifier=cluster["ClusterIdentifier"], Database="dev") == [here]
        assert listed(StatementName=name, Database="other") == [other_database]
        assert listed(StatementName=name.upper()) == []
        pages, token = [], {}
        for _ in range(4):  # MaxResults a page, NextToken to the next one (API_ListStatements.html)
            page = data_api.list_statements(Status="ALL", StatementName=name, MaxResults=1, **token)
            pages.append([s["Id"] for s in page["Statements"]])
            if "NextToken" not in page:
                break
            token = {"NextToken": page["NextToken"]}
        assert pages == [[other_database], [elsewhere], [here]]
    finally:
        aws("redshift").delete_cluster(ClusterIdentifier=other["ClusterIdentifier"], SkipFinalClusterSnapshot=True)


def test_list_statements_keeps_workgroups_and_clusters_apart_and_takes_one_of_them(data_api, raw_api, cluster):
    """ListStatements' ``WorkgroupName``: "Only statements that ran on this workgroup are returned. When providing
    WorkgroupName, then ClusterIdentifier can't be specified" (and the same of ``ClusterIdentifier``;
    API_ListStatements.html): a cluster's filter does not match a workgroup of the same name, and naming both is
    refused (ValidationException; AWS's wording unconfirmed), by the server whatever the client checked."""
    serverless = boto3.client("redshift-serverless", endpoint_url=local.data_api_endpoint(), **KEYS)
    wg = made(serverless)["workgroupName"]
    name = f"rh-kind-{uuid.uuid4().hex[:8]}"
    on_cluster = run(data_api, "SELECT 1", StatementName=f"{name}-c", **cluster)["Id"]
    on_workgroup = run(data_api, "SELECT 1", StatementName=f"{name}-w", WorkgroupName=wg, Database="dev")["Id"]

    def listed(**filters) -> list[str]:
        return [s["Id"] for s in data_api.list_statements(Status="ALL", StatementName=name, **filters)["Statements"]]

    assert listed() == [on_workgroup, on_cluster]
    assert listed(WorkgroupName=wg) == [on_workgroup]
    assert listed(WorkgroupName=wg, Database="dev") == [on_workgroup]
    assert listed(ClusterIdentifier=wg) == []  # a workgroup's name is no cluster's
    assert listed(ClusterIdentifier=cluster["ClusterIdentifier"]) == [on_cluster]
    assert listed(WorkgroupName=cluster["ClusterIdentifier"]) == []
    with pytest.raises(ClientError) as refused:
        raw_api.list_statements(ClusterIdentifier=cluster["ClusterIdentifier"], WorkgroupName=wg)
    assert error_code(refused) == "ValidationException" and "ClusterIdentifier or WorkgroupName" in str(refused.value)


def test_list_statements_shows_the_callers_own_statements_of_its_role_or_of_its_session_alone(data_api, cluster):
    """ListStatements' ``RoleLevel``: "If true, all statements run by the caller's IAM role are returned. If false,
    only statements run by the caller's IAM role in the current IAM session are returned. The default is true"
    (API_ListStatements.html): nobody lists another identity's statements."""
    iam, sts = aws("iam"), aws("sts")
    role = iam.create_role(RoleName=f"rh-lister-{uuid.uuid4().hex[:6]}",
                           AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')["Role"]["Arn"]

    def as_session(name: str):
        creds = sts.assume_role(RoleArn=role, RoleSessionName=name)["Credentials"]
        return boto3.client("redshift-data", endpoint_url=local.data_api_endpoint(), region_name=KEYS["region_name"],
                            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])

    first, second = as_session("s1"), as_session("s2")
    name = f"rh-mine-{uuid.uuid4().hex[:8]}"
    mine = run(data_api, "SELECT 1", StatementName=name, **cluster)["Id"]
    by_first = run(first, "SELECT 1", StatementName=name, **cluster)["Id"]
    by_second = run(second, "SELECT 1", StatementName=name, **cluster)["Id"]

    def listed(client, **level) -> list[str]:
        return [s["Id"] for s in client.list_statements(Status="ALL", StatementName=name, **level)["Statements"]]

    assert listed(data_api) == listed(data_api, RoleLevel=False) == [mine]
    assert listed(first) == listed(second) == listed(first, RoleLevel=True) == [by_second, by_first]
    assert (listed(first, RoleLevel=False), listed(second, RoleLevel=False)) == ([by_first], [by_second])


def _finished_run(number: int, created: float, owner: str = "AIDAME"):
    """A finished single statement as the endpoint keeps it (api.Endpoint.runs), without running it."""
    from types import SimpleNamespace

    from sparkify_nb.local.rehearsal import statements

    target = SimpleNamespace(region="us-west-2", serverless=False, identifier="c1", database="dev", user="awsuser",
                             names=lambda: {"ClusterIdentifier": "c1"})
    sub = statements.Sub(f"run-{number}", f"SELECT {number}", None, {})
    return SimpleNamespace(id=f"run-{number}", status="FINISHED", created=created, updated=created, owner=owner,
                           target=target, name="", batch=False, subs=[sub], result_format="JSON", parameters=[],
                           session=None, pid=0, error="", done=None)


def test_statements_are_kept_24_hours_and_listed_100_a_page_by_default(tmp_path):
    """"The maximum retention time for query results is 24 hours" (data-api.html): a statement older is
    forgotten, for DescribeStatement (ResourceNotFoundException) and ListStatements alike. ListStatements'
    ``MaxResults``, 0-100: without it a page holds 100 (the largest a caller may ask; AWS documents no default:
    unconfirmed), and ``NextToken`` leads to the rest."""
    from types import SimpleNamespace

    from sparkify_nb.local.rehearsal import api
    from sparkify_nb.local.rehearsal.errors import ApiError

    endpoint = api.Endpoint(tmp_path)
    try:
        endpoint.control = SimpleNamespace(caller=lambda *_: SimpleNamespace(userid="AIDAME"))
        now = time.time()
        endpoint.runs = {f"run-{n}": _finished_run(n, now - n) for n in range(101)}
        endpoint.runs["run-old"] = _finished_run(999, now - 24 * 3600 - 1)
        endpoint.runs["run-old"].id = "run-old"
        endpoint.runs["run-day"] = _finished_run(998, now - 24 * 3600 + 10)  # kept: not yet 24 hours old
        endpoint.runs["run-day"].id = "run-day"
        first = endpoint.list_statements({"Status": "ALL"}, "us-west-2", "signed")
        assert [s["Id"] for s in first["Statements"]] == [f"run-{n}" for n in range(100)]
        rest = endpoint.list_statements({"Status": "ALL", "NextToken": first["NextToken"]}, "us-west-2", "signed")
        assert [s["Id"] for s in rest["Statements"]] == ["run-100", "run-day"] and "NextToken" not in rest
        assert endpoint.describe_statement({"Id": "run-100"}, "us-west-2")["QueryString"] == "SELECT 100"
        with pytest.raises(ApiError) as forgotten:
            endpoint.describe_statement({"Id": "run-old"}, "us-west-2")
        assert forgotten.value.code == "ResourceNotFoundException" and "run-old" not in endpoint.runs
    finally:
        endpoint.sessions.stop()


def test_a_list_statements_token_that_no_page_returned_is_refused(tmp_path):
    """ListStatements' NextToken is one a previous page returned: any other (text that is no token, an offset
    of 0 or below) is a ValidationException (API_ListStatements.html documents only a returned token; the
    strictest reading, unconfirmed)."""
    import base64
    from types import SimpleNamespace

    from sparkify_nb.local.rehearsal import api
    from sparkify_nb.local.rehearsal.errors import ApiError

    endpoint = api.Endpoint(tmp_path)
    try:
        endpoint.control = SimpleNamespace(caller=lambda *_: SimpleNamespace(userid="AIDAME"))
        endpoint.runs = {f"run-{n}": _finished_run(n, time.time() - n) for n in range(3)}
        page = endpoint.list_statements({"Status": "ALL", "MaxResults": 1}, "us-west-2", "signed")
        assert [s["Id"] for s in endpoint.list_statements(
            {"Status": "ALL", "MaxResults": 1, "NextToken": page["NextToken"]}, "us-west-2", "signed")[
                "Statements"]] == ["run-1"]
        for token in ("no token!", base64.urlsafe_b64encode(b"x").decode(), base64.urlsafe_b64encode(b"0").decode(),
                      base64.urlsafe_b64encode(b"-1").decode(), base64.urlsafe_b64encode(b"\xff").decode()):
            with pytest.raises(ApiError) as refused:
                endpoint.list_statements({"Status": "ALL", "NextToken": token}, "us-west-2", "signed")
            assert (refused.value.code, str(refused.value.message)) == (
                "ValidationException", f"NextToken {token!r} is not valid for ListStatements"), token
    finally:
        endpoint.sessions.stop()


def _connection(data_api, cluster, lines, keep_alive_s=1):
    """The suite's own Data API connection, on the endpoint, with a keep-alive of ``keep_alive_s``."""
    poll = client_side.Poll(first_s=0.02, max_s=0.1)
    return client_side.DataApiConnection(data_api, cluster, progress=lines.append, keep_alive_s=keep_alive_s,
                                         poll=poll)


def test_a_connection_whose_session_ended_runs_its_next_query_in_a_new_one_and_says_so(data_api, cluster):
    lines: list[str] = []
    conn = _connection(data_api, cluster, lines)
    assert warehouse.query(conn, "SELECT 1 AS one").one.tolist() == [1]
    first = conn.session_id
    time.sleep(2.5)  # past the keep-alive of 1 s: the endpoint has ended the session
    assert warehouse.query(conn, "SELECT 2 AS two").two.tolist() == [2]
    assert conn.session_id != first
    assert lines == [f"the Data API session {first} had ended (no statement for more than its keep-alive of 1 s); "
                     "a new session is opened"]


def test_work_buffered_in_a_session_that_ended_fails_naming_the_cause_and_nothing_of_it_runs(data_api, cluster):
    lines: list[str] = []
    conn = _connection(data_api, cluster, lines)
    warehouse.run(conn, ["CREATE TABLE kept (a INT)"])
    first = conn.session_id
    time.sleep(2.5)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO kept VALUES (1)")  # buffered: sent with the query below
        with pytest.raises(warehouse.WarehouseError) as caught:
            cur.execute("SELECT COUNT(*) FROM kept")
    assert str(caught.value) == (
        f"INSERT INTO kept VALUES (1): the Data API session {first} has ended (more than its keep-alive of 1 s "
        "passed since its last statement) with 2 statement(s) of work begun in it buffered: none of them ran. "
        "Run the step again (it opens a new session)")
    assert warehouse.query(conn, "SELECT COUNT(*) AS n FROM kept").n.tolist() == [0]
