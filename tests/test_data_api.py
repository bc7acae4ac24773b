"""The Redshift Data API connection, request by request, with botocore's Stubber.

moto's Redshift Data API returns canned results whatever the SQL, so it
cannot show what we send. These tests use botocore.stub.Stubber instead: a
real boto3 ``redshift-data`` client whose every request is validated against
the service model (parameter names, types, the 1..40 Sqls of a batch) and
compared with the exact parameters we expect; answers are canned. The stage
functions (02's DDL, 03's COPY, transform and quality, 04's questions) run
unchanged on the Data API object, so these tests pin the exact requests each
of them produces.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber

from sparkify_nb import analytics, aws, config, staging, warehouse
from sparkify_nb.infra import state
from sparkify_nb.warehouse import data_api, data_api_calls, quality, schema, transform

SESSION = "5a2e7f0c-1b2d-4c3e-8f9a-0123456789ab"
PROVISIONED = {"ClusterIdentifier": "dapi-dwh", "Database": "sparkify", "DbUser": "sparkify_admin"}
ROLE = "arn:aws:iam::123456789012:role/dapi-redshift-copy"


class Script:
    """The Data API calls a test expects, in order, on one stubbed client.

    The first call of a connection names the target and asks for a session;
    every later call passes only the SessionId."""

    def __init__(self, target=PROVISIONED):
        self.client = boto3.client("redshift-data", region_name="us-west-2", aws_access_key_id="testing",
                                   aws_secret_access_key="testing")
        self.stub = Stubber(self.client)
        self.target, self.calls, self.lines = dict(target), 0, []

    def connection(self, **kwargs):
        poll = data_api.Poll(sleep=lambda _s: None, **kwargs)
        return data_api.DataApiConnection(self.client, self.target, progress=self.lines.append, poll=poll)

    def _session(self):
        self.calls += 1
        if self.calls == 1:
            return {**self.target, "SessionKeepAliveSeconds": data_api.KEEP_ALIVE_S}
        return {"SessionId": SESSION}

    def statement(self, sql, parameters=None, status="FINISHED", error=None, polls=0):
        """One ExecuteStatement and its DescribeStatement polls; returns its id."""
        sid = f"00000000-0000-4000-8000-{self.calls:012d}"
        expected = {"Sql": sql, **self._session()}
        if parameters:
            expected["Parameters"] = parameters
        self.stub.add_response("execute_statement", {"Id": sid, "SessionId": SESSION}, expected)
        for _ in range(polls):
            self.stub.add_response("describe_statement", {"Id": sid, "Status": "STARTED"}, {"Id": sid})
        described = {"Id": sid, "Status": status, **({"Error": error} if error else {})}
        self.stub.add_response("describe_statement", described, {"Id": sid})
        return sid

    def batch(self, sqls, parameters=None, failed=None, error=""):
        """One BatchExecuteStatement; ``failed``: index of the sub-statement that fails. Returns the last sub id."""
        bid = f"00000000-0000-4000-9000-{self.calls:012d}"
        expected = {"Sqls": list(sqls), **self._session()}
        if parameters:
            expected["Parameters"] = parameters
        self.stub.add_response("batch_execute_statement", {"Id": bid, "SessionId": SESSION}, expected)
        subs = [{"Id": f"{bid}:{i + 1}", "Status": "FINISHED"} for i in range(len(sqls))]
        if failed is not None:
            subs[failed].update(Status="FAILED", Error=error)
            for sub in subs[failed + 1:]:
                sub["Status"] = "ABORTED"
        self.stub.add_response("describe_statement", {"Id": bid, "Status": "FAILED" if failed is not None else
                                                      "FINISHED", "SubStatements": subs}, {"Id": bid})
        return subs[-1]["Id"]

    def result(self, sid, columns, *pages):
        """GetStatementResult pages of ``sid`` (each a list of rows of Field dicts), chained by NextToken."""
        metadata = [{"name": name, "typeName": type_name} for name, type_name in columns]
        for i, records in enumerate(pages):
            page = {"Records": records, "ColumnMetadata": metadata, "TotalNumRows": sum(map(len, pages))}
            if i + 1 < len(pages):
                page["NextToken"] = f"token-{i + 1}"
            self.stub.add_response("get_statement_result", page, {"Id": sid, **({"NextToken": f"token-{i}"} if i else {})})

    def query(self, sql, columns, rows, parameters=None):
        self.result(self.statement(sql, parameters), columns, rows)


def n(value):
    return {"longValue": value}


def s(value):
    return {"stringValue": value}


NULL = {"isNull": True}


def expect_counts(script, tables, counts):
    script.query(warehouse.connect.counts_sql(tables), [("table_name", "varchar"), ("row_count", "int8")],
                 [[s(t), n(c)] for t, c in zip(tables, counts)])


# --- the connection itself ---------------------------------------------------------

def test_parameters_become_named_data_api_parameters_and_none_becomes_null():
    text, parameters = data_api.convert(
        "SELECT 1 WHERE (%(start)s IS NULL OR t >= %(start)s) AND (%(level)s = 'all' OR level = %(level)s)"
        " AND x LIKE 'a%%' AND d = %(day)s AND n = %(top_n)s AND e = %(empty)s",
        {"start": None, "level": "paid", "day": datetime(2018, 11, 1, 0, 0), "top_n": 10, "empty": "",
         "unused": 1})
    assert text == ("SELECT 1 WHERE (NULL IS NULL OR t >= NULL) AND (:level = 'all' OR level = :level)"
                    " AND x LIKE 'a%' AND d = :day AND n = :top_n AND e = ''")
    assert parameters == [{"name": "level", "value": "paid"}, {"name": "day", "value": "2018-11-01 00:00:00"},
                          {"name": "top_n", "value": "10"}]


def test_positional_or_missing_parameters_are_refused_naming_the_statement():
    with pytest.raises(warehouse.WarehouseError, match=r"^SELECT a FROM t WHERE q = %s: the Data API takes named"):
        data_api.convert("SELECT a FROM t WHERE q = %s", (1,))
    with pytest.raises(warehouse.WarehouseError, match="no value for parameter 'level'"):
        data_api.convert("SELECT %(level)s", {})


def test_a_query_pages_through_next_token_and_converts_nulls_and_types():
    script = Script()
    sid = script.statement("SELECT day, plays, share, first_play FROM t WHERE level = :level",
                           [{"name": "level", "value": "paid"}], polls=2)
    columns = [("day", "date"), ("plays", "int8"), ("share", "numeric"), ("first_play", "timestamp")]
    script.result(sid, columns, [[s("2018-11-01"), n(5), s("54.5"), s("2018-11-01 21:01:46")]],
                  [[s("2018-11-02"), NULL, NULL, NULL]])
    with script.stub, script.connection().cursor() as cur:
        cur.execute("SELECT day, plays, share, first_play FROM t WHERE level = %(level)s", {"level": "paid"})
        assert [d[0] for d in cur.description] == ["day", "plays", "share", "first_play"]
        assert cur.rowcount == 2
        assert cur.fetchone() == (datetime(2018, 11, 1).date(), 5, Decimal("54.5"), datetime(2018, 11, 1, 21, 1, 46))
        assert cur.fetchall() == [(datetime(2018, 11, 2).date(), None, None, None)]
    script.stub.assert_no_pending_responses()


def test_later_calls_reuse_the_session_of_the_first():
    script = Script({"WorkgroupName": "dapi-dwh", "Database": "sparkify"})
    script.query("SELECT 1 AS one", [("one", "int4")], [[n(1)]])
    script.query("SELECT 2 AS two", [("two", "int4")], [[n(2)]])
    conn = script.connection()
    with script.stub:
        assert warehouse.query(conn, "SELECT 1 AS one").iat[0, 0] == 1
        assert warehouse.query(conn, "SELECT 2 AS two").iat[0, 0] == 2
    script.stub.assert_no_pending_responses()
    assert conn.session_id == SESSION


def test_a_failed_statement_raises_with_its_first_line_and_the_data_api_error():
    script = Script()
    script.statement("SELECT nope\nFROM t", status="FAILED", error='ERROR: column "nope" does not exist')
    with script.stub, pytest.raises(warehouse.WarehouseError) as caught:
        warehouse.query(script.connection(), "SELECT nope\nFROM t")
    assert str(caught.value) == 'SELECT nope: FAILED: ERROR: column "nope" does not exist'


def test_a_refused_request_raises_with_the_aws_error_code_and_message():
    script = Script()
    script.stub.add_client_error("execute_statement", service_error_code="ValidationException",
                                 service_message="Cluster dapi-dwh not found", http_status_code=400)
    with script.stub, pytest.raises(warehouse.WarehouseError) as caught:
        warehouse.query(script.connection(), "SELECT 1")
    assert str(caught.value) == "SELECT 1: ValidationException: Cluster dapi-dwh not found"


def test_writes_wait_for_commit_and_rollback_discards_them():
    script = Script()
    conn = script.connection()
    with script.stub:
        with conn.cursor() as cur:
            cur.execute('DELETE FROM "users"')
            assert cur.rowcount == -1 and cur.description is None
        conn.rollback()
        conn.commit()  # nothing buffered any more: nothing sent
    script.stub.assert_no_pending_responses()


def test_a_long_statement_shows_its_status_and_elapsed_seconds():
    ticks = iter(range(0, 1000, 6))
    script = Script()
    script.statement('DELETE FROM "users"', polls=3)
    conn = script.connection(clock=lambda: next(ticks), report_every_s=10)
    with script.stub:
        warehouse.run(conn, ['DELETE FROM "users"'])
    assert script.lines == ['DELETE FROM "users": STARTED after 12 s', 'DELETE FROM "users": finished after 24 s']


def test_polls_wait_first_then_double_up_to_the_cap_with_jitter_either_way():
    """No DescribeStatement at once; pauses 0.25, 0.5, 1, 2, 4, 4 s (AWS's backoff: exponential, capped),
    each moved by up to 10 % either way: five polls still running, the sixth finds it done."""
    for uniform, factor in ((lambda a, b: 0.0, 1.0), (lambda a, b: b, 1.1), (lambda a, b: a, 0.9)):
        script = Script()
        script.statement('DELETE FROM "users"', polls=5)
        slept = []
        poll = data_api.Poll(sleep=slept.append, uniform=uniform)
        with script.stub:
            warehouse.run(data_api.DataApiConnection(script.client, script.target, progress=script.lines.append,
                                                     poll=poll), ['DELETE FROM "users"'])
        script.stub.assert_no_pending_responses()
        assert slept == pytest.approx([factor * s for s in (0.25, 0.5, 1.0, 2.0, 4.0, 4.0)])


def test_more_statements_than_one_batch_holds_are_refused_not_split():
    script = Script()
    conn = script.connection()
    with script.stub, pytest.raises(warehouse.WarehouseError, match="^DELETE FROM t0: 41 statements in one "
                                                                    "transaction; the Data API runs at most 40 in a "
                                                                    "batch$"):
        warehouse.run(conn, [f"DELETE FROM t{i}" for i in range(41)])
    script.stub.assert_no_pending_responses()  # nothing was sent


def test_forty_statements_the_most_a_batch_holds_go_as_one_batch():
    """BatchExecuteStatement takes 1 to 40 Sqls (the service model, which the Stubber validates)."""
    script = Script()
    statements = [f"DELETE FROM t{i}" for i in range(40)]
    script.batch(statements)
    with script.stub:
        warehouse.run(script.connection(), statements)
    script.stub.assert_no_pending_responses()


# --- the stages, unchanged, on the Data API ----------------------------------------

def test_02_schema_ddl_is_one_batch_and_its_table_counts_one_query():
    script = Script()
    ddl = schema.drop_statements("redshift") + schema.create_statements("redshift")
    script.batch(ddl)
    tables = [t.name for t in schema.tables_for("redshift")]
    expect_counts(script, tables, [0] * len(tables))
    conn = script.connection()
    with script.stub:
        warehouse.run(conn, ddl, label="02_schema")
        counts = warehouse.table_counts(conn, tables)
    script.stub.assert_no_pending_responses()
    assert len(ddl) == 2 * len(tables) and counts["row_count"].tolist() == [0] * len(tables)


def test_a_failed_batch_names_the_failing_statement_and_says_it_was_rolled_back():
    script = Script()
    ddl = schema.drop_statements("redshift") + schema.create_statements("redshift")
    script.batch(ddl, failed=10, error="ERROR: permission denied for schema public")
    with script.stub, pytest.raises(warehouse.WarehouseError) as caught:
        warehouse.run(script.connection(), ddl, label="02_schema")
    assert str(caught.value) == ('02_schema: CREATE TABLE IF NOT EXISTS "songplays" (: FAILED: ERROR: '
                                 'permission denied for schema public (statement 11 of 16; the batch was rolled back)')


def test_03_transform_is_one_batch_so_its_temp_tables_share_one_transaction():
    script = Script()
    statements = [sql for table in transform.ORDER for sql in transform.statements(table)]
    counts = warehouse.connect.counts_sql(transform.ORDER)
    last = script.batch([counts] + statements + [counts])  # the counts before and after: first and last
    for sub, values in ((last.rsplit(":", 1)[0] + ":1", [0, 0, 0, 0, 0]), (last, [10, 9, 8, 70, 65])):
        script.result(sub, [("table_name", "varchar"), ("row_count", "int8")],
                      [[s(t), n(c)] for t, c in zip(transform.ORDER, values)])
    data_api_calls.reset()
    with script.stub:
        merged = transform.run(script.connection(), progress=lambda _: None)
    script.stub.assert_no_pending_responses()
    assert any(sql.startswith("CREATE TEMP TABLE") for sql in statements) and len(statements) <= data_api.MAX_BATCH
    assert merged["added"].to_dict() == {"songs": 10, "artists": 9, "users": 8, "songplays": 70, "time": 65}
    assert set(merged["seconds"]) == {0.0}  # one batch: no statement is timed alone, so none claims a time
    assert data_api_calls.snapshot()["calls"] == 4  # one batch, one poll, two results


def test_03_quality_checks_go_as_one_statement_of_the_six_tables_files():
    """30 checks, one statement (the six files of sql/quality/ side by side): one ExecuteStatement, one
    DescribeStatement, one GetStatementResult, instead of three calls or more per check."""
    script = Script()
    settings = config.load(overrides={"general.target": "redshift"})
    assert [table for table, _ in quality.statements(settings)] == ["songs", "artists", "users", "songplays", "time",
                                                                    "staging_events"]
    columns = [f"{c.table}__{c.column}" for c in quality.checks(settings)]
    values = [{"stringValue": "0.2500"} if c.endswith("share_plays_matched") else n(5) if c.endswith("row_count")
              else n(0) for c in columns]
    script.query(quality.statement(settings), [(c, "int8") for c in columns], [values])
    data_api_calls.reset()
    with script.stub:
        checks = quality.run_checks(script.connection(), settings, {"staging_events": 2})
    script.stub.assert_no_pending_responses()
    assert data_api_calls.snapshot() == {"calls": 3, "ExecuteStatement": 1, "DescribeStatement": 1,
                                         "GetStatementResult": 1, "statements": 1}
    assert len(checks) == 31 and checks.loc["share_plays_matched: songplays", "value"] == 0.25
    assert checks.loc["row_count: time", "value"] == 5
    assert checks.loc["rejected: staging_events", ["value", "status"]].tolist() == [2, "warn"]
    assert set(checks.drop(index="rejected: staging_events")["status"]) == {"ok"}


@pytest.fixture
def redshift(tmp_path, monkeypatch):
    """Settings of a redshift stack in a private state folder, and a function recording 01's state."""
    monkeypatch.setenv("SPARKIFY_STATE_DIR", str(tmp_path / "state"))

    def record(**values):
        settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
            "general.target": "redshift", "general.stack_name": "dapi", "general.region": "eu-central-1",
            "cluster.identifier": "dapi-dwh", "cluster.kind": values.get("kind", "provisioned")})
        state.save(settings, {"role_arn": ROLE, "cluster_identifier": "dapi-dwh", "db_name": "sparkify",
                              **values})
        return settings
    return record


def copy_sql(table, source, json_option, region):
    return (f'COPY "{table}" FROM \'{source}\'\nIAM_ROLE \'{ROLE}\'\nFORMAT AS JSON {json_option}\n'
            f"TIMEFORMAT 'epochmillisecs'\nTRIMBLANKS\nREGION '{region}'\nCOMPUPDATE OFF STATUPDATE OFF\nMAXERROR 10")


def test_03_copy_delete_and_counts_are_one_batch_and_rejects_come_from_stl_load_errors(redshift):
    settings = redshift(kind="provisioned", source_region="us-west-2")
    script = Script()
    sqls = ['DELETE FROM "staging_events"',
            copy_sql("staging_events", "s3://udacity-dend/log_data", "'s3://udacity-dend/log_json_path.json'",
                     "us-west-2"),
            "SELECT pg_last_copy_count(), pg_last_copy_id()"]
    last = script.batch(sqls)
    script.result(last, [("pg_last_copy_count", "int8"), ("pg_last_copy_id", "int4")], [[n(8055), n(5437)]])
    reject_sql = staging.redshift.load_errors_query("stl_load_errors").replace("%(query_id)s", ":query_id")
    script.query(reject_sql, [(c, "varchar") for c in ("filename", "line_number", "colname", "type", "col_length",
                                                        "raw_line", "raw_field_value", "err_code", "err_reason")],
                 [[s("s3://udacity-dend/log_data/2018/11/2018-11-30-events.json"), n(17), s("user_id"),
                   s("varchar"), s("32"), s('{"userId": "x" ...}'), s("x" * 40), n(1204),
                   s("String length exceeds DDL length")]],
                 parameters=[{"name": "query_id", "value": "5437"}])
    with script.stub:
        report = staging.load_redshift(settings, script.connection(), schema.STAGING_EVENTS,
                                       "s3://udacity-dend/log_data", "s3://udacity-dend/log_json_path.json", 10,
                                       progress=lambda _: None)
    script.stub.assert_no_pending_responses()
    assert (report.loaded, report.rejected, report.records, report.load_id) == (8055, 1, 8056, "5437")
    reject = report.rejects[0]
    assert (reject.line_number, reject.colname, reject.err_code, reject.raw_field_value) == (17, "user_id", 1204,
                                                                                            "x" * 40)


def test_03_on_serverless_rejects_come_from_sys_load_error_detail_without_raw_values(redshift):
    settings = redshift(kind="serverless", workgroup_name="dapi-dwh")  # no source_region: [general] region
    script = Script({"WorkgroupName": "dapi-dwh", "Database": "sparkify"})
    sqls = ['DELETE FROM "staging_songs"',
            copy_sql("staging_songs", "s3://my-bucket/song_data", "'auto'", "eu-central-1"),
            "SELECT pg_last_copy_count(), pg_last_copy_id()"]
    script.result(script.batch(sqls), [("pg_last_copy_count", "int8"), ("pg_last_copy_id", "int4")],
                  [[n(71), n(-1)]])
    reject_sql = staging.redshift.load_errors_query("sys_load_error_detail").replace(
        "%(table_name)s", ":table_name").replace("%(qualified_name)s", ":qualified_name")
    script.query(reject_sql, [(c, "varchar") for c in ("filename", "line_number", "colname", "type", "col_length",
                                                        "raw_line", "raw_field_value", "err_code", "err_reason")],
                 [[s("s3://my-bucket/song_data/A/B/C/TRABC.json"), n(1), s("year"), s("int4"), NULL, NULL, NULL,
                   n(1207), s("Invalid digit, Value 'x', Pos 0, Type: Integer")]],
                 parameters=[{"name": "table_name", "value": "staging_songs"},
                             {"name": "qualified_name", "value": "public.staging_songs"}])
    with script.stub:
        report = staging.load_redshift(settings, script.connection(), schema.STAGING_SONGS,
                                       "s3://my-bucket/song_data", None, 10, progress=lambda _: None)
    script.stub.assert_no_pending_responses()
    assert (report.loaded, report.rejected) == (71, 1)
    assert (report.rejects[0].raw_line, report.rejects[0].raw_field_value, report.rejects[0].err_code) == ("", "",
                                                                                                            1207)


REJECT_COLUMNS = [(c, "varchar") for c in ("filename", "line_number", "colname", "type", "col_length", "raw_line",
                                            "raw_field_value", "err_code", "err_reason")]


def aborted_songs_copy(script):
    sqls = ['DELETE FROM "staging_songs"', copy_sql("staging_songs", "s3://udacity-dend/song_data", "'auto'",
                                                    "us-west-2"), "SELECT pg_last_copy_count(), pg_last_copy_id()"]
    script.batch(sqls, failed=1, error="ERROR: Load into table 'staging_songs' failed. Check 'stl_load_errors' "
                                       "system table for details.")


def test_03_a_copy_over_maxerror_shows_its_first_rejected_records_read_after_the_rollback(redshift):
    settings = redshift(kind="provisioned", source_region="us-west-2")
    script = Script()
    aborted_songs_copy(script)
    song = "s3://udacity-dend/song_data/A/A/A/TRAAA{}.json"
    script.query(staging.redshift.aborted_rejects_query("stl_load_errors").replace("%(table_name)s", ":table_name"),
                 REJECT_COLUMNS,
                 [[s(song.format(i)), n(1), s("year"), s("int4"), s("0"), s('{"year": "x"}'), s("x"), n(1207),
                   s("Invalid digit, Value 'x', Pos 0, Type: Integer")] for i in range(1, 5)],
                 parameters=[{"name": "table_name", "value": "staging_songs"}])
    with script.stub, pytest.raises(staging.LoadError) as caught:
        staging.load_redshift(settings, script.connection(), schema.STAGING_SONGS, "s3://udacity-dend/song_data",
                              None, 10, progress=lambda _: None)
    script.stub.assert_no_pending_responses()
    message = str(caught.value)
    assert message.startswith("staging_songs: COPY failed, staging unchanged: COPY \"staging_songs\" FROM "
                              "'s3://udacity-dend/song_data': FAILED: ERROR: Load into table")
    assert message.endswith("(statement 2 of 3; the batch was rolled back). First rejected: "
                            f"{song.format(1)} line 1 column year: Invalid digit, Value 'x', Pos 0, Type: Integer; "
                            f"{song.format(2)} line 1 column year: Invalid digit, Value 'x', Pos 0, Type: Integer; "
                            f"{song.format(3)} line 1 column year: Invalid digit, Value 'x', Pos 0, Type: Integer "
                            "(4 in stl_load_errors)")
    report = caught.value.report
    assert (report.rejected, [r.filename for r in report.rejects][-1], report.rejects[0].raw_field_value) == (
        4, song.format(4), "x")
    assert staging.rejects_frame([report])["code"].tolist() == [1207] * 4  # what 03 shows of them


def test_03_an_aborted_copy_whose_rejects_cannot_be_read_still_raises_the_copy_error_and_says_why(redshift):
    settings = redshift(kind="provisioned", source_region="us-west-2")
    script = Script()
    aborted_songs_copy(script)
    script.statement(staging.redshift.aborted_rejects_query("stl_load_errors").replace("%(table_name)s",
                                                                                        ":table_name"),
                     [{"name": "table_name", "value": "staging_songs"}], status="FAILED",
                     error="ERROR: permission denied for relation stl_load_errors")
    with script.stub, pytest.raises(staging.LoadError) as caught:
        staging.load_redshift(settings, script.connection(), schema.STAGING_SONGS, "s3://udacity-dend/song_data",
                              None, 10, progress=lambda _: None)
    assert "FAILED: ERROR: Load into table 'staging_songs' failed" in str(caught.value)
    assert "; its rejected records could not be read from stl_load_errors: " in str(caught.value)
    assert "permission denied for relation stl_load_errors" in str(caught.value)


def test_04_questions_send_their_filters_as_parameters_and_open_ends_as_null():
    """The period bounds go as parameters CAST to TIMESTAMP in the text (a
    Data API parameter is text); the ranking's size is written into LIMIT as a
    number, since that LIMIT takes a bound parameter is unconfirmed."""
    script = Script()
    sql = analytics.queries.warehouse.sql_text(analytics.queries.SQL_DIR, "top_songs")
    expected = (sql.replace("%(start)s", "NULL").replace("%(end)s", ":end").replace("%(level)s", ":level")
                .replace("%(top_n)s", "5"))
    assert "CAST(:end AS TIMESTAMP) IS NULL OR start_time < CAST(:end AS TIMESTAMP)" in expected
    script.query(expected, [("song_id", "varchar"), ("title", "varchar"), ("artist", "varchar"), ("plays", "int8"),
                            ("matched_plays", "int8")],
                 [[s("SOABC"), s("Alpha"), s("Artist One"), n(3), n(6)]],
                 parameters=[{"name": "end", "value": "2018-11-16 00:00:00"}, {"name": "level", "value": "paid"}])
    with script.stub:
        songs = analytics.top_songs(script.connection(), None, "2018-11-15", level="paid", top_n=5)
    script.stub.assert_no_pending_responses()
    assert songs.values.tolist() == [[1, "SOABC", "Alpha", "Artist One", 3, 50.0]]


def test_04_questions_asked_ahead_go_as_one_batch_and_the_cells_then_call_nothing():
    """ask_ahead: the nine questions of 04 in one BatchExecuteStatement (their parameters shared),
    one DescribeStatement, a GetStatementResult each; the question functions then answer from
    those rows without a call (the Stubber refuses any call not scripted)."""
    script = Script()
    f = analytics.filters(None, "2018-11-15", level="paid", top_n=5)
    asked = [analytics.queries.statement(name, (f.all_levels() if name == "free_vs_paid" else f).params(),
                                         5 if name in analytics.ahead.RANKED else None)
             for name in analytics.ahead.QUESTIONS]
    batch = script.batch([data_api.convert(text, params)[0] for text, params in asked],
                         parameters=[{"name": "end", "value": "2018-11-16 00:00:00"},
                                     {"name": "level", "value": "paid"}]).rsplit(":", 1)[0]
    for number, name in enumerate(analytics.ahead.QUESTIONS, 1):
        if name == "top_songs":
            script.result(f"{batch}:{number}", [("song_id", "varchar"), ("title", "varchar"), ("artist", "varchar"),
                                                ("plays", "int8"), ("matched_plays", "int8")],
                          [[s("SOABC"), s("Alpha"), s("Artist One"), n(3), n(6)]])
        else:
            script.result(f"{batch}:{number}", [("x", "int8")], [])
    data_api_calls.reset()
    with script.stub:
        conn = analytics.ask_ahead(script.connection(), f)
        songs = analytics.top_songs(conn, None, "2018-11-15", level="paid", top_n=5)
        again = analytics.top_songs(conn, None, "2018-11-15", level="paid", top_n=5)
    script.stub.assert_no_pending_responses()
    assert songs.values.tolist() == again.values.tolist() == [[1, "SOABC", "Alpha", "Artist One", 3, 50.0]]
    assert data_api_calls.snapshot() == {"calls": 11, "BatchExecuteStatement": 1, "DescribeStatement": 1,
                                         "GetStatementResult": 9, "statements": 9}


def test_queries_go_in_one_batch_unless_a_parameter_they_use_has_two_values():
    """A batch's Parameters are shared: a name bound to two values starts a new batch; a
    parameter a statement does not use never splits one."""
    queries = [("SELECT 1 WHERE l = %(level)s", {"level": "paid", "x": 1}),
               ("SELECT 2 WHERE l = %(level)s", {"level": "paid", "x": 2}),
               ("SELECT 3 WHERE l = %(level)s", {"level": "free"}), ("SELECT 4", {"level": "paid"})]
    assert [[sql[7] for sql, _ in batch] for batch in warehouse.connect._batches(queries)] == [["1", "2"], ["3", "4"]]
    assert [len(b) for b in warehouse.connect._batches([("SELECT 1", None)] * 41)] == [40, 1]


def test_each_call_is_noted_in_the_run_record_of_the_notebook_the_runner_names(tmp_path, monkeypatch):
    from sparkify_nb import runrecord

    monkeypatch.setenv(runrecord.RUN_DIR_ENV, str(tmp_path))
    monkeypatch.setenv(runrecord.NOTEBOOK_ENV, "04_analytics")
    data_api_calls.reset()
    runrecord.note("04_analytics", rows=3)
    data_api_calls.count("BatchExecuteStatement", 9)
    data_api_calls.count("DescribeStatement")
    data_api_calls.reset()
    record = runrecord.write(tmp_path, [{"name": "04_analytics", "status": "ok", "seconds": 1.0}], {}, "t", "redshift")
    assert record["steps"]["04_analytics"] == {"rows": 3, "data_api": {
        "calls": 2, "BatchExecuteStatement": 1, "DescribeStatement": 1, "statements": 9}}
    assert data_api_calls.line(record["steps"]["04_analytics"]["data_api"]) == \
        "2 calls (BatchExecute 1, Describe 1), 9 statements"


def test_open_connection_on_redshift_defaults_to_the_data_api_with_iam_credentials(redshift):
    settings = redshift(kind="provisioned")
    conn = warehouse.open_connection(settings, aws.Clients(settings, endpoint_url="http://127.0.0.1:9"))
    assert isinstance(conn, data_api.DataApiConnection)
    assert conn.target == PROVISIONED and "SecretArn" not in conn.target
    serverless = redshift(kind="serverless", workgroup_name="dapi-dwh")
    conn = warehouse.open_connection(serverless, aws.Clients(serverless, endpoint_url="http://127.0.0.1:9"))
    assert conn.target == {"WorkgroupName": "dapi-dwh", "Database": "sparkify"}


def test_copy_region_is_that_of_the_sources_bucket_found_by_01_or_asked_of_s3(settings, tmp_path):
    """COPY's REGION is where the data is: 01's preflight per bucket, else S3 itself (the emulator's)."""
    on_redshift = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.region": "eu-central-1"})
    found_by_01 = {"source_regions": {"song_data": "us-west-2", "log_data": "us-west-2"},
                   "source_region": "us-west-2"}
    assert staging.redshift.source_region(on_redshift, found_by_01, "s3://udacity-dend/song_data") == "us-west-2"
    clients = aws.Clients(settings)  # the session's emulator
    in_ireland = boto3.client("s3", region_name="eu-west-1", endpoint_url=clients.endpoint_url,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
    in_ireland.create_bucket(Bucket="region-probe-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    try:
        # a bucket 01 did not see (a compacted copy in your own bucket): asked of S3
        assert staging.redshift.source_region(on_redshift, found_by_01, "s3://region-probe-eu/songs.manifest",
                                              clients) == "eu-west-1"
    finally:
        in_ireland.delete_bucket(Bucket="region-probe-eu")
    # no record and no clients: [general] region, the last resort
    assert staging.redshift.source_region(on_redshift, {}, "s3://elsewhere/x") == "eu-central-1"


def test_a_name_bound_to_two_values_in_one_transaction_is_refused_naming_its_first_statement():
    """A batch shares one Parameters list (API_BatchExecuteStatement.html): two values of one name cannot go
    together; the error names the transaction by its first statement, before anything is sent."""
    def no_calls(*_, **__):
        raise AssertionError("nothing may be sent")

    conn = data_api.DataApiConnection(type("NoClient", (), {"__getattr__": lambda self, name: no_calls})(),
                                      {"ClusterIdentifier": "c", "Database": "dev"}, progress=lambda _: None)
    cur = conn.cursor()
    cur.execute("DELETE FROM a WHERE level = %(level)s", {"level": "paid"})
    cur.execute("DELETE FROM b WHERE level = %(level)s", {"level": "free"})
    with pytest.raises(data_api.WarehouseError,
                       match=r"^DELETE FROM a WHERE level = %\(level\)s: parameter .level. has two values in one batch"):
        cur.execute("SELECT 1")


def test_a_new_cursor_has_no_result_and_a_rowcount_of_minus_one_as_pep_249_says():
    """"The attribute is -1 in case no .execute*() has been performed on the cursor" (PEP 249, rowcount)."""
    cur = Script().connection().cursor()
    assert (cur.rowcount, cur.description) == (-1, None)
