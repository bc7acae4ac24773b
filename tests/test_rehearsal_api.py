"""The rehearsal's Data API endpoint, rule by rule (the rules:
sparkify_nb/local/rehearsal/__init__.py): each test sends what AWS refuses, or
relies on what AWS does, through a real boto3 redshift-data client."""

from __future__ import annotations

import time

import boto3
import psycopg2
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from sparkify_nb import local
from tests.rehearsal_fixtures import (  # noqa: F401 (fixtures)
    MASTER, aws, cluster, data_api, error_code, make_cluster, raw_api, rows, run, wait)


def held_lock(target: dict, table: str):
    """A connection of its own holding an exclusive lock on ``table`` (until rolled back): a statement
    on that table stays STARTED meanwhile."""
    conn = psycopg2.connect(local.rehearsal_dsn(target["ClusterIdentifier"]))
    with conn.cursor() as cur:
        cur.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    return conn


def started(client, statement_id: str, timeout_s: float = 10) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described = client.describe_statement(Id=statement_id)
        if described["Status"] == "STARTED":
            return described
        time.sleep(0.02)
    raise AssertionError(f"never STARTED: {described['Status']}")


# --- asynchronous statuses ---------------------------------------------------------------------

def test_a_statement_runs_in_the_background_and_describe_statement_shows_it_started(data_api, cluster):
    assert run(data_api, "CREATE TABLE waits (x INT)", **cluster)["Status"] == "FINISHED"
    lock = held_lock(cluster, "waits")
    try:
        submitted = data_api.execute_statement(Sql="SELECT COUNT(*) FROM waits", **cluster)
        described = started(data_api, submitted["Id"])
        assert described["RedshiftPid"] > 0 and "Duration" in described
    finally:
        lock.rollback()
        lock.close()
    done = wait(data_api, submitted["Id"])
    assert done["Status"] == "FINISHED" and done["HasResultSet"] is True and done["ResultRows"] == 1
    assert rows(data_api, submitted["Id"]) == [[0]]


def test_a_failed_statement_reads_as_redshifts_error(data_api, cluster):
    described = run(data_api, "SELECT * FROM no_such_table", **cluster)
    assert described["Status"] == "FAILED"
    assert described["Error"] == 'ERROR: relation "no_such_table" does not exist'


def test_a_cancelled_statement_is_aborted(data_api, cluster):
    run(data_api, "CREATE TABLE waits (x INT)", **cluster)
    lock = held_lock(cluster, "waits")
    try:
        submitted = data_api.execute_statement(Sql="SELECT COUNT(*) FROM waits", **cluster)
        started(data_api, submitted["Id"])
        assert data_api.cancel_statement(Id=submitted["Id"])["Status"] is True
        assert wait(data_api, submitted["Id"])["Status"] == "ABORTED"
    finally:
        lock.rollback()
        lock.close()
    with pytest.raises(ClientError) as refused:
        data_api.cancel_statement(Id=submitted["Id"])
    assert error_code(refused) == "ValidationException"


def test_wait_time_seconds_answers_with_the_status_the_statement_reached_in_that_time(data_api, cluster):
    """``WaitTimeSeconds``: "The number of seconds to wait for the SQL statement to complete execution before
    returning the response. If the SQL statement does not complete within the specified time, the response
    returns the current status" (API_ExecuteStatement.html, API_BatchExecuteStatement.html: "for all SQL
    statements in the batch"); a batch's ``HasResultSet`` "is true if any substatement returns a result set"
    (API_BatchExecuteStatement.html)."""
    selected = data_api.execute_statement(Sql="SELECT 1", WaitTimeSeconds=10, **cluster)
    described = data_api.describe_statement(Id=selected["Id"])
    assert (selected["Status"], selected["HasResultSet"]) == ("FINISHED", True)
    assert selected["RedshiftPid"] == described["RedshiftPid"] > 0
    made = data_api.execute_statement(Sql="CREATE TABLE waits (x INT)", WaitTimeSeconds=10, **cluster)
    assert (made["Status"], made["HasResultSet"]) == ("FINISHED", False)
    batch = data_api.batch_execute_statement(Sqls=["SELECT 1", "INSERT INTO waits VALUES (1)"], WaitTimeSeconds=10,
                                             **cluster)
    assert (batch["Status"], batch["HasResultSet"]) == ("FINISHED", True)
    lock = held_lock(cluster, "waits")
    try:
        waiting = data_api.execute_statement(Sql="SELECT COUNT(*) FROM waits", WaitTimeSeconds=1, **cluster)
        assert (waiting["Status"], waiting["HasResultSet"]) == ("STARTED", False) and waiting["RedshiftPid"] > 0
    finally:
        lock.rollback()
        lock.close()
    assert wait(data_api, waiting["Id"])["Status"] == "FINISHED"


def test_only_a_copy_has_a_redshift_query_id_any_other_statement_shows_minus_one(data_api, cluster):
    """The rehearsal draws a query id for each COPY (the id ``pg_last_copy_id()`` and STL_LOAD_ERRORS give it,
    rule 10; tests/test_rehearsal_copy.py) and for no other statement: DescribeStatement's ``RedshiftQueryId``
    of a statement that ran is -1, as of one that never ran (on AWS every query has an id: a difference of the
    rehearsal, which keeps no STL_QUERY)."""
    batch = wait(data_api, data_api.batch_execute_statement(Sqls=["SELECT 1", "SELECT 1 / 0"], **cluster)["Id"])
    assert [(s["Status"], s["RedshiftQueryId"]) for s in batch["SubStatements"]] == [("FINISHED", -1), ("FAILED", -1)]
    assert run(data_api, "SELECT 1", **cluster)["RedshiftQueryId"] == -1


def test_the_identity_an_access_key_signs_as_is_kept_unalterable():
    """ControlPlane.caller keeps the identity STS gave an access key for every later request, from any of the
    server's threads: one request's code cannot change who the next one is."""
    import dataclasses

    from sparkify_nb.local.rehearsal.control import Caller

    who = Caller("us-west-2", "210000000001", "arn:aws:iam::210000000001:user/sparkify-operator", "AIDAEXAMPLE")
    with pytest.raises(dataclasses.FrozenInstanceError):
        who.arn = "arn:aws:iam::210000000001:user/someone-else"  # type: ignore[misc]


# --- batches --------------------------------------------------------------------------------------

def test_a_batch_of_40_statements_runs_and_one_of_41_is_refused(raw_api, cluster):
    batch = raw_api.batch_execute_statement(Sqls=["SELECT 1"] * 40, **cluster)
    assert wait(raw_api, batch["Id"])["Status"] == "FINISHED"
    with pytest.raises(ClientError) as refused:
        raw_api.batch_execute_statement(Sqls=["SELECT 1"] * 41, **cluster)
    assert error_code(refused) == "ValidationException"
    assert "Member must have length less than or equal to 40" in str(refused.value)


def test_a_statement_of_100_kb_is_taken_and_one_byte_more_is_refused_in_a_batch_too(data_api, cluster):
    """"The maximum query statement size is 100 KB" (data-api.html, its quotas), counted in UTF-8 bytes, 100 KB
    read as 102,400 (unconfirmed: AWS does not say which KB); each statement of a batch is held to it."""
    def sized(n: int, tail: str = "x") -> str:
        head = "SELECT 1 -- "
        return head + "x" * (n - len(head.encode()) - len(tail.encode())) + tail

    assert len(sized(102400).encode()) == 102400 and len(sized(102400, "\u00e9")) == 102399
    assert run(data_api, sized(102400), **cluster)["Status"] == "FINISHED"
    for sqls in ([sized(102401)], [sized(102401, "\u00e9")]):  # the second: 102,400 characters, 102,401 bytes
        with pytest.raises(ClientError) as refused:
            data_api.execute_statement(Sql=sqls[0], **cluster)
        assert error_code(refused) == "ValidationException"
        assert "The maximum query statement size is 100 KB; this statement is 102,401 bytes" in str(refused.value)
    with pytest.raises(ClientError) as refused:
        data_api.batch_execute_statement(Sqls=["SELECT 1", sized(102401)], **cluster)
    assert "The maximum query statement size is 100 KB" in str(refused.value)


def test_a_client_token_given_again_answers_the_first_submission_and_runs_nothing_more(data_api, cluster):
    """``ClientToken``: "A unique, case-sensitive identifier that you provide to ensure the idempotency of the
    request" (API_ExecuteStatement.html, API_BatchExecuteStatement.html): the same token answers the same Id and
    no second statement runs; another token is another submission."""
    import uuid

    name = f"rh-token-{uuid.uuid4().hex[:8]}"
    token = uuid.uuid4().hex
    first = data_api.execute_statement(Sql="SELECT 1", StatementName=name, ClientToken=token, **cluster)
    again = data_api.execute_statement(Sql="SELECT 1", StatementName=name, ClientToken=token, **cluster)
    other = data_api.execute_statement(Sql="SELECT 1", StatementName=name, ClientToken=token.upper(), **cluster)
    batch = data_api.batch_execute_statement(Sqls=["SELECT 1"], StatementName=name, ClientToken=token + "b", **cluster)
    batch_again = data_api.batch_execute_statement(Sqls=["SELECT 1"], StatementName=name, ClientToken=token + "b",
                                                   **cluster)
    assert again["Id"] == first["Id"] and other["Id"] != first["Id"] and batch_again["Id"] == batch["Id"]
    for statement in (first, other, batch):
        wait(data_api, statement["Id"])
    listed = data_api.list_statements(Status="ALL", StatementName=name)["Statements"]
    assert sorted(s["Id"] for s in listed) == sorted([first["Id"], other["Id"], batch["Id"]])


def test_a_request_without_a_required_member_is_refused_by_the_server_naming_it(raw_api):
    """``Sql`` is required (API_ExecuteStatement.html, "Required: Yes"); boto3 would not send the request
    without it, the server refuses it too, as AWS's JSON protocol words it."""
    with pytest.raises(ClientError) as refused:
        raw_api.execute_statement(ClusterIdentifier="sparkify-cluster", Database="dev")
    assert error_code(refused) == "ValidationException"
    assert "Value null at 'sql' failed to satisfy constraint: Member must not be null" in str(refused.value)


def test_a_member_of_the_wrong_type_is_refused_by_the_server_naming_member_and_type(raw_api, cluster):
    """Sql is a string, WithEvent a boolean, StatementName a string (API_ExecuteStatement.html); a boolean is no
    integer either (JSON's true is not 1)."""
    for wrong, path, kind in ((dict(Sql=123), "sql", "string"), (dict(Sql="SELECT 1", WithEvent="yes"), "withEvent",
                                                                  "boolean")):
        with pytest.raises(ClientError) as refused:
            raw_api.execute_statement(**{**cluster, **wrong})
        assert error_code(refused) == "ValidationException"
        assert f"1 validation error detected: Value at '{path}' failed to satisfy constraint: Member must be of " \
               f"type {kind}" in str(refused.value)
    with pytest.raises(ClientError) as refused:
        raw_api.list_statements(MaxResults=True)
    assert "Value at 'maxResults' failed to satisfy constraint: Member must be of type integer" in str(refused.value)
    with pytest.raises(ClientError) as refused:  # every error of the request, counted
        raw_api.execute_statement(**{**cluster, "Sql": 123, "WithEvent": "yes"})
    assert "2 validation errors detected: Value at 'sql' " in str(refused.value)
    assert "; Value at 'withEvent' failed to satisfy constraint: Member must be of type boolean" in str(refused.value)


def signed_as(service: str):
    """A Data API client whose requests are signed with a credential scoped to ``service`` instead."""
    client = boto3.client("redshift-data", endpoint_url=local.data_api_endpoint(), region_name="us-west-2",
                          aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x",
                          config=Config(retries={"max_attempts": 1}))

    def rescope(request, **_):
        request.context.setdefault("signing", {})["signing_name"] = service

    client.meta.events.register("before-sign", rescope)
    return client


def test_a_request_signed_for_another_service_is_refused_naming_the_service_it_must_be_scoped_to(cluster):
    with pytest.raises(ClientError) as refused:
        signed_as("redshift").execute_statement(Sql="SELECT 1", **cluster)
    assert error_code(refused) == "InvalidSignatureException"
    assert "Credential should be scoped to correct service: 'redshift-data'" in str(refused.value)


def test_an_unsigned_request_is_refused_as_missing_its_authentication_token(cluster):
    unsigned = boto3.client("redshift-data", endpoint_url=local.data_api_endpoint(), region_name="us-west-2",
                            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as refused:
        unsigned.execute_statement(Sql="SELECT 1", **cluster)
    assert error_code(refused) == "MissingAuthenticationTokenException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_every_unknown_member_of_a_request_is_refused_naming_it_where_it_stands():
    """Every member the operation's input shape lacks is an error of its own, at the request's top level
    (``request``) or at the member it sits in (server.py: the request is checked against botocore's model, all of
    it; the wording, as the rest of AWS's JSON protocol's, unconfirmed). boto3 sends no unknown member, even
    without its own checks: the server's check is called as it is."""
    from sparkify_nb.local.rehearsal import server

    errors: list[str] = []
    request = {"Sql": "SELECT 1", "Sqlx": 1, "Parameters": [{"name": "a", "value": "1", "type": "int"}], "Other": 2}
    server.validate(server.service_model().operation_model("ExecuteStatement").input_shape, request, "", errors)
    assert errors == ["Unknown member 'Sqlx' at 'request'", "Unknown member 'type' at 'parameters.1.member'",
                      "Unknown member 'Other' at 'request'"]


def test_a_value_that_breaks_a_pattern_is_quoted_by_its_first_64_characters(raw_api):
    """A pattern's error quotes the value it refuses, cut to 64 characters (a statement or a name can be long;
    how much of it AWS quotes is unconfirmed)."""
    with pytest.raises(ClientError) as refused:
        raw_api.execute_statement(Sql="SELECT 1", WorkgroupName="W" * 100, Database="dev")
    assert error_code(refused) == "ValidationException"
    assert f"Value '{'W' * 64}' at 'workgroupName' failed to satisfy constraint: Member must satisfy regular " \
           "expression pattern: " in str(refused.value)


def test_without_the_aws_emulator_the_endpoint_answers_internal_server_exception_500(tmp_path):
    """The control plane the endpoint reads (clusters, callers) is the emulator's: when the stack records none
    running, a request fails as a fault of the service, HTTP 500 (as every InternalServerException here), not as
    a fault of the request."""
    from sparkify_nb.local.rehearsal.control import ControlPlane
    from sparkify_nb.local.rehearsal.errors import ApiError

    with pytest.raises(ApiError) as failed:
        ControlPlane(tmp_path).endpoint()
    assert (failed.value.code, failed.value.status, failed.value.message) == (
        "InternalServerException", 500, "the local AWS emulator is not running")


def test_an_empty_batch_is_refused_by_the_server(raw_api, cluster):
    with pytest.raises(ClientError) as refused:
        raw_api.batch_execute_statement(Sqls=[], **cluster)
    assert "Member must have length greater than or equal to 1" in str(refused.value)


class _Connection:
    closed = False

    def get_backend_pid(self) -> int:
        return 4242

    def close(self) -> None:
        self.closed = True


class _FaultyEndpoint:
    """An endpoint whose own code fails while it runs a statement (a bug, not an SQL error)."""

    def __init__(self):
        self.conn = _Connection()

    def connect(self, target):
        return self.conn

    def run_one(self, conn, run, sub, in_batch):
        raise KeyError("a fault of the endpoint's own")


def test_a_fault_of_the_endpoint_itself_fails_the_statement_saying_so_and_frees_its_connection():
    """Whoever waits on the statement (DescribeStatement, a session's next call) sees it end, FAILED with
    the fault, instead of a statement STARTED for ever."""
    from sparkify_nb.local.rehearsal import statements, translate

    endpoint = _FaultyEndpoint()
    run = statements.new_run(["SELECT 1"], [translate.parse("SELECT 1")], False, None, [])
    statements.execute(run, endpoint)
    assert run.done.is_set() and run.status == "FAILED"
    assert run.subs[0].status == "FAILED" and run.subs[0].error.startswith("ERROR: internal: ")
    assert "a fault of the endpoint's own" in run.error and endpoint.conn.closed


class _NoConnection:
    def connect(self, target):
        raise AssertionError("a statement cancelled before it started opened a connection")


def test_a_batch_cancelled_before_it_starts_ends_aborted_with_every_statement_and_opens_no_connection():
    """CancelStatement "Cancels a running query" (API_CancelStatement.html); one cancelled before its run was
    picked up never runs, and reads as a cancelled running one does: ABORTED, each of its statements too
    (unconfirmed: AWS does not say what a query cancelled so early shows)."""
    from sparkify_nb.local.rehearsal import statements, translate

    sqls = ["SELECT 1", "SELECT 2"]
    run = statements.new_run(sqls, [translate.parse(s) for s in sqls], True, None, [])
    run.cancelled = True
    statements.execute(run, _NoConnection())
    assert run.done.is_set() and (run.status, [s.status for s in run.subs]) == ("ABORTED", ["ABORTED", "ABORTED"])


class _Gate:
    def check(self, *_):
        pass  # every caller allowed: what is tested here comes after


class _EndpointWithABug:
    gate = _Gate()

    def describe_statement(self, request, region):
        raise KeyError("a bug of the endpoint's own")


def test_a_fault_of_the_servers_own_code_answers_500_internal_server_exception_saying_what_failed():
    """A bug of the endpoint is an answer the client can read (HTTP 500, InternalServerException, a model
    error of redshift-data), not a dropped connection or a hang."""
    import threading

    from sparkify_nb.local.rehearsal import server

    http = server.serve(_EndpointWithABug())
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        client = boto3.client("redshift-data", endpoint_url=f"http://127.0.0.1:{http.server_address[1]}",
                              region_name="us-west-2", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x",
                              config=Config(retries={"max_attempts": 1}))
        with pytest.raises(ClientError) as failed:
            client.describe_statement(Id="00000000-0000-0000-0000-000000000000")
    finally:
        http.shutdown()
        http.server_close()
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert error_code(failed) == "InternalServerException"
    assert "a bug of the endpoint's own" in str(failed.value)


class _Served:
    """``server.serve(endpoint)`` on a free port of its own, serving in a thread until the block ends."""

    def __init__(self, endpoint=None):
        import threading

        from sparkify_nb.local.rehearsal import server

        self.http = server.serve(endpoint or _EndpointWithABug())
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def __enter__(self):
        return self.http

    def __exit__(self, *_):
        self.http.shutdown()
        self.http.server_close()


def test_the_endpoint_answers_the_stacks_liveness_probe_with_200():
    """``local up`` waits for ``GET /`` to answer 200 (sparkify_nb/local/stack.py, _data_api_answers)."""
    import json
    import urllib.request

    with _Served() as http, urllib.request.urlopen(f"http://127.0.0.1:{http.server_address[1]}/", timeout=10) as got:
        assert (got.status, json.loads(got.read())) == (200, {"service": "rehearsal redshift-data"})


def test_a_post_without_content_length_is_read_as_an_empty_request_and_answered_at_once():
    """A request with no ``Content-Length`` has no body (HTTP/1.1 on a kept-alive connection): the server reads
    none, it does not wait for one; the empty request goes on to be checked (here: unsigned, refused)."""
    import http.client
    import json

    with _Served() as served:
        conn = http.client.HTTPConnection("127.0.0.1", served.server_address[1], timeout=10)
        try:
            conn.putrequest("POST", "/")
            conn.putheader("X-Amz-Target", "RedshiftData.ListStatements")
            conn.endheaders()
            answer = conn.getresponse()
            assert (answer.status, json.loads(answer.read())["__type"]) == (403, "MissingAuthenticationTokenException")
        finally:
            conn.close()


def test_an_operation_not_served_or_not_known_and_a_body_that_is_not_json_are_refused_by_name():
    """The AWS JSON protocol's own errors: an ``X-Amz-Target`` naming no operation of the service (or no service)
    is ``UnknownOperationException``; one the model has but the rehearsal does not serve says so; a body that is
    not JSON is ``SerializationException``. Each HTTP 400."""
    import http.client
    import json

    signed = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261203/us-west-2/redshift-data/aws4_request, Signature=x"
    with _Served() as served:
        answers = []
        for target, body in (("RedshiftData.NoSuchOperation", b"{}"), ("Elsewhere.ExecuteStatement", b"{}"),
                             ("RedshiftData.ListTables", b"{}"), ("RedshiftData.ListStatements", b"not json")):
            conn = http.client.HTTPConnection("127.0.0.1", served.server_address[1], timeout=10)
            try:
                conn.request("POST", "/", body=body, headers={"X-Amz-Target": target, "Authorization": signed})
                answer = conn.getresponse()
                answers.append((answer.status, json.loads(answer.read())))
            finally:
                conn.close()
    assert [(status, body["__type"]) for status, body in answers] == [
        (400, "UnknownOperationException"), (400, "UnknownOperationException"), (400, "UnknownOperationException"),
        (400, "SerializationException")]
    assert answers[2][1]["message"] == "ListTables is not served by this rehearsal endpoint"
    assert answers[0][1]["message"] == "unknown operation 'RedshiftData.NoSuchOperation'"


def test_two_endpoints_served_at_once_each_take_a_free_port_of_their_own():
    with _Served() as first, _Served() as second:
        ports = {first.server_address[1], second.server_address[1]}
    assert len(ports) == 2 and all(port > 1024 for port in ports)


def test_stopping_the_endpoint_does_not_wait_for_its_clients_kept_alive_connections():
    """boto3 keeps its connections open between calls; ``local down`` stops the endpoint all the same: a
    request's thread does not hold the server (or the process) open until its client lets go."""
    import http.client
    import threading

    served = _Served()
    conn = http.client.HTTPConnection("127.0.0.1", served.http.server_address[1], timeout=10)
    try:
        conn.request("GET", "/")
        assert conn.getresponse().read()  # answered; the connection stays open (HTTP/1.1)
        stopping = threading.Thread(target=served.__exit__, daemon=True)
        stopping.start()
        stopping.join(5)
        assert not stopping.is_alive()
    finally:
        conn.close()


_RUNS_FOR_EVER = """
import sys, threading
from sparkify_nb.local.rehearsal import api, statements
statements.execute = lambda run, runner: threading.Event().wait()  # a statement that never ends
endpoint = api.Endpoint(None)
target = api.Target("us-west-2", {"ClusterIdentifier": "c1", "DBName": "dev"}, "dev", "awsuser", "db_c1")
endpoint._where = lambda req, region, authorization="": (None, target)
print(endpoint.execute_statement({"Sql": "SELECT 1"}, "us-west-2")["Id"])
"""


def test_a_statement_still_running_does_not_keep_the_endpoints_process_from_ending():
    """The endpoint's process ends when it is told to (``local down``), whatever its statements are doing: a
    statement's thread does not hold it open."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _RUNS_FOR_EVER], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and len(done.stdout.strip()) == 36, done.stderr


def test_a_sub_statement_id_names_one_statement_of_a_batch_from_1_to_its_count(data_api, cluster):
    """"A suffix indicates the number of the SQL statement. For example, d9b6c0c9-...:2 has a suffix of :2 that
    indicates the second SQL statement of a batch query" (API_DescribeStatement.html): a number outside 1 to the
    batch's count, or a suffix on a single statement's id, names no statement (ResourceNotFoundException, as an
    unknown id; unconfirmed: AWS documents no answer for it)."""
    batch = wait(data_api, data_api.batch_execute_statement(Sqls=["SELECT 1", "SELECT 2"], **cluster)["Id"])
    assert [data_api.describe_statement(Id=f"{batch['Id']}:{n}")["QueryString"] for n in (1, 2)] == \
        ["SELECT 1", "SELECT 2"]
    single = run(data_api, "SELECT 3", **cluster)
    for absent in (f"{batch['Id']}:0", f"{batch['Id']}:3", f"{single['Id']}:1"):
        with pytest.raises(ClientError) as refused:
            data_api.describe_statement(Id=absent)
        assert error_code(refused) == "ResourceNotFoundException", absent
        assert refused.value.response["Error"]["Message"] == f"Query does not exist: {absent}"


def test_a_batch_is_one_transaction_all_or_nothing(data_api, cluster):
    batch = data_api.batch_execute_statement(
        Sqls=["CREATE TABLE kept (x INT)", "INSERT INTO kept VALUES (1)", "SELECT * FROM no_such_table"], **cluster)
    described = wait(data_api, batch["Id"])
    assert described["Status"] == "FAILED"
    assert [s["Status"] for s in described["SubStatements"]] == ["FINISHED", "FINISHED", "FAILED"]
    assert [s["Id"] for s in described["SubStatements"]] == [f"{batch['Id']}:{n}" for n in (1, 2, 3)]
    assert run(data_api, "SELECT * FROM kept", **cluster)["Error"] == 'ERROR: relation "kept" does not exist'


def test_a_batch_and_a_statement_read_back_as_aws_describes_and_lists_them(data_api, cluster):
    """DescribeStatement of a batch: its ``SubStatements`` (each ``Id:N`` with its own SQL), ``HasResultSet`` when
    any of them has one, ``Duration`` their sum, ``ExecutionMode``, the ``QueryParameters`` given; of a single
    statement its own fields and no ``SubStatements`` nor ``ExecutionMode`` (a batch's member). ListStatements:
    ``IsBatchStatement``, a batch's ``QueryStrings`` and a statement's ``QueryString``, its ``StatementName`` and
    ``QueryParameters`` (API_DescribeStatement.html, API_ListStatements.html, API_StatementData.html)."""
    import uuid

    name = f"rh-shape-{uuid.uuid4().hex[:8]}"
    parameters = [{"name": "n", "value": "7"}]
    sqls = ["CREATE TEMP TABLE shape AS SELECT :n::INT AS x", "SELECT x FROM shape"]
    batch = data_api.batch_execute_statement(Sqls=sqls, StatementName=name, Parameters=parameters, **cluster)
    described = wait(data_api, batch["Id"])
    assert (described["Status"], described["HasResultSet"], described["ExecutionMode"]) == ("FINISHED", True,
                                                                                          "TRANSACTION")
    assert described["QueryParameters"] == parameters and described["ResultFormat"] == "JSON"
    subs = described["SubStatements"]
    assert [(s["Id"], s["QueryString"], s["Status"], s["HasResultSet"]) for s in subs] == [
        (f"{batch['Id']}:1", sqls[0], "FINISHED", False), (f"{batch['Id']}:2", sqls[1], "FINISHED", True)]
    assert described["Duration"] == sum(s["Duration"] for s in subs) and all(s["Duration"] >= 0 for s in subs)
    assert "Error" not in described and "SessionId" not in described
    second = data_api.describe_statement(Id=f"{batch['Id']}:2")
    assert (second["Id"], second["QueryString"], second["ResultRows"], second["HasResultSet"]) == (
        f"{batch['Id']}:2", sqls[1], 1, True)
    assert rows(data_api, f"{batch['Id']}:2") == [[7]]
    single = run(data_api, "SELECT 1", StatementName=name, **cluster)
    assert (single["QueryString"], single["HasResultSet"], single["ResultRows"]) == ("SELECT 1", True, 1)
    assert "SubStatements" not in single and "ExecutionMode" not in single and "QueryParameters" not in single
    listed = {s["Id"]: s for s in data_api.list_statements(Status="ALL", StatementName=name)["Statements"]}
    assert (listed[batch["Id"]]["IsBatchStatement"], listed[batch["Id"]]["QueryStrings"],
            listed[batch["Id"]]["QueryParameters"], listed[batch["Id"]]["StatementName"]) == (True, sqls, parameters,
                                                                                             name)
    assert "QueryString" not in listed[batch["Id"]]
    assert (listed[single["Id"]]["IsBatchStatement"], listed[single["Id"]]["QueryString"]) == (False, "SELECT 1")
    assert "QueryStrings" not in listed[single["Id"]] and "QueryParameters" not in listed[single["Id"]]


def test_an_auto_commit_batch_keeps_what_each_statement_did_before_one_failed(data_api, cluster):
    """``ExecutionMode`` AUTO_COMMIT: each statement commits on its own (botocore's model, BatchExecuteStatement),
    so a failure keeps what ran before it; the batch reads back its mode."""
    run(data_api, "CREATE TABLE kept (x INT)", **cluster)
    batch = data_api.batch_execute_statement(Sqls=["INSERT INTO kept VALUES (1)", "SELECT * FROM no_such_table",
                                                   "INSERT INTO kept VALUES (2)"], ExecutionMode="AUTO_COMMIT", **cluster)
    described = wait(data_api, batch["Id"])
    assert (described["Status"], described["ExecutionMode"]) == ("FAILED", "AUTO_COMMIT")
    assert described["Error"] == 'ERROR: relation "no_such_table" does not exist'
    subs = described["SubStatements"]  # the one never run has no duration (-1) and adds none to the batch's
    assert [s["Status"] for s in subs] == ["FINISHED", "FAILED", "ABORTED"] and subs[2]["Duration"] == -1
    # ResultRows: "Either the number of rows returned from the SQL statement or the number of rows affected"
    assert (subs[0]["HasResultSet"], subs[0]["ResultRows"]) == (False, 1)  # (API_SubStatementData.html)
    assert described["Duration"] == subs[0]["Duration"] + subs[1]["Duration"]
    assert rows(data_api, run(data_api, "SELECT COUNT(*) FROM kept", **cluster)["Id"]) == [[1]]


def test_get_statement_result_is_refused_for_a_batch_a_csv_statement_a_bad_token_and_a_finished_cancel_too(
        data_api, cluster):
    """GetStatementResult answers one statement's JSON result: a batch's id names none ("fetch ... Id:N"); a
    statement run with ``ResultFormat`` CSV "must have specified ResultFormat as JSON" (API_GetStatementResult.html;
    GetStatementResultV2 is not served); a ``NextToken`` it never gave is refused. CancelStatement of a finished
    statement: "Could not cancel a query that is already in FINISHED state." (the Data API's answer, unconfirmed
    by its page). Each ValidationException."""
    batch = data_api.batch_execute_statement(Sqls=["SELECT 1", "SELECT 2"], **cluster)
    wait(data_api, batch["Id"])
    csv = wait(data_api, data_api.execute_statement(Sql="SELECT 1", ResultFormat="CSV", **cluster)["Id"])
    assert csv["ResultFormat"] == "CSV"
    done = run(data_api, "SELECT 1", **cluster)
    for call, said in ((lambda: data_api.get_statement_result(Id=batch["Id"]), "This is a batch"),
                       (lambda: data_api.get_statement_result(Id=csv["Id"]), "asked for ResultFormat CSV"),
                       (lambda: data_api.get_statement_result(Id=done["Id"], NextToken="bm9wZQ=="), "NextToken"),
                       (lambda: data_api.cancel_statement(Id=done["Id"]),
                        "Could not cancel a query that is already in FINISHED state.")):
        with pytest.raises(ClientError) as refused:
            call()
        assert error_code(refused) == "ValidationException" and said in str(refused.value)
    assert rows(data_api, f"{batch['Id']}:2") == [[2]]


def test_a_parameter_named_twice_is_refused(data_api, cluster):
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(Sql="SELECT :a", Parameters=[{"name": "a", "value": "1"}, {"name": "a", "value": "2"}],
                                   **cluster)
    assert error_code(refused) == "ValidationException" and "parameter(s) a given more than once" in str(refused.value)


def test_truncate_in_a_batch_commits_what_ran_before_it_as_on_redshift(data_api, cluster):
    run(data_api, "CREATE TABLE t (x INT)", **cluster)
    batch = data_api.batch_execute_statement(
        Sqls=["INSERT INTO t VALUES (1)", "TRUNCATE t", "INSERT INTO t VALUES (2)", "SELECT * FROM no_such_table"],
        **cluster)
    assert wait(data_api, batch["Id"])["Status"] == "FAILED"
    counted = run(data_api, "SELECT COUNT(*) FROM t", **cluster)
    assert rows(data_api, counted["Id"]) == [[0]]  # the TRUNCATE committed; the INSERT after it rolled back


# --- parameters ------------------------------------------------------------------------------------

def test_named_parameters_are_bound_as_values(data_api, cluster):
    done = wait(data_api, data_api.execute_statement(
        Sql="SELECT :a::int + 1, :b, 'x::y'", Parameters=[{"name": "a", "value": "41"}, {"name": "b", "value": "50%"}],
        **cluster)["Id"])
    assert rows(data_api, done["Id"]) == [[42, "50%", "x::y"]]
    assert done["QueryParameters"] == [{"name": "a", "value": "41"}, {"name": "b", "value": "50%"}]


@pytest.mark.parametrize("sql", ["SELECT $1", "SELECT ?"])
def test_a_positional_parameter_is_refused(data_api, cluster, sql):
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(Sql=sql, Parameters=[{"name": "1", "value": "x"}], **cluster)
    assert error_code(refused) == "ValidationException" and "named parameters" in str(refused.value)


def test_a_parameter_value_of_zero_length_is_refused_by_the_server(raw_api, cluster):
    with pytest.raises(ClientError) as refused:
        raw_api.execute_statement(Sql="SELECT :a", Parameters=[{"name": "a", "value": ""}], **cluster)
    assert "Member must have length greater than or equal to 1" in str(refused.value)


def test_a_batchs_parameters_are_shared_by_its_statements(data_api, cluster):
    batch = data_api.batch_execute_statement(
        Sqls=["CREATE TABLE p (a INT, b VARCHAR(8))", "INSERT INTO p VALUES (CAST(:a AS INT), :b)",
              "SELECT a, b FROM p WHERE a = CAST(:a AS INT)"],
        Parameters=[{"name": "a", "value": "7"}, {"name": "b", "value": "seven"}], **cluster)
    described = wait(data_api, batch["Id"])
    assert described["Status"] == "FINISHED"
    assert rows(data_api, described["SubStatements"][2]["Id"]) == [[7, "seven"]]


# (``7 = :a`` runs: a number compared with a string is converted to a string, r_Type_conversion.html;
# tests/test_rehearsal_documented_outcomes.py pins it)
@pytest.mark.parametrize("sql", ["SELECT :a + 1", "INSERT INTO n VALUES (:a)"])
def test_a_parameter_is_a_varchar_where_the_sql_does_not_cast_it(data_api, cluster, sql):
    assert run(data_api, "CREATE TABLE n (i INT)", **cluster)["Status"] == "FINISHED"
    failed = wait(data_api, data_api.execute_statement(Sql=sql, Parameters=[{"name": "a", "value": "7"}],
                                                       **cluster)["Id"])
    assert failed["Status"] == "FAILED" and "character varying" in failed["Error"]
    cast = sql.replace(":a", "CAST(:a AS INTEGER)")
    done = wait(data_api, data_api.execute_statement(Sql=cast, Parameters=[{"name": "a", "value": "7"}],
                                                     **cluster)["Id"])
    assert done["Status"] == "FINISHED"


def test_a_parameter_no_statement_uses_is_refused(data_api, cluster):
    with pytest.raises(ClientError) as refused:
        data_api.batch_execute_statement(Sqls=["SELECT :a", "SELECT 2"],
                                         Parameters=[{"name": "a", "value": "1"}, {"name": "unused", "value": "2"}],
                                         **cluster)
    assert error_code(refused) == "ValidationException" and "unused" in str(refused.value)


def test_a_parameter_the_sql_uses_but_the_request_lacks_is_refused(data_api, cluster):
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(Sql="SELECT :a, :b", Parameters=[{"name": "a", "value": "1"}], **cluster)
    assert error_code(refused) == "ValidationException" and ":b" in str(refused.value)

