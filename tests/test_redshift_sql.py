"""Every SQL statement the ``redshift`` target sends, parsed with sqlglot's
Redshift dialect: 02's DDL, 03's COPY, load statements and reject queries
(both system views), the transform, the quality checks, 04's questions and
the table counts, in the text the Data API receives (``:name`` parameters).

No Redshift is reachable from here, so this is the check that each text is
Redshift SQL at all: a statement sqlglot cannot parse, or can only keep as
an opaque ``Command``, fails. The portability of the shared texts (no
PostgreSQL-only syntax) is pinned next door in tests/test_analytics.py.
"""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError

from sparkify_nb import config, staging
from sparkify_nb.analytics import queries
from sparkify_nb.warehouse import connect, data_api, quality, schema, transform
from sparkify_nb.local.rehearsal import copy as rehearsal_copy

ROLE = "arn:aws:iam::123456789012:role/sparkify-redshift-copy"


def sent(sql: str) -> str:
    """``sql`` as the Data API receives it (each ``%(name)s`` as ``:name``)."""
    return data_api.convert(sql, {name: "1" for name in re.findall(r"%\((\w+)\)s", sql)})[0]


def redshift_statements() -> list[tuple[str, str, type]]:
    """(label, text, the sqlglot expression it must parse into) for every statement of the redshift target."""
    settings = config.load(overrides={"general.target": "redshift", "general.region": "eu-central-1"})
    record = {"role_arn": ROLE, "source_region": "us-west-2"}
    out = [(f"02 drop {i}", sql, exp.Drop) for i, sql in enumerate(schema.drop_statements("redshift"))]
    out += [(f"02 create {i}", sql, exp.Create) for i, sql in enumerate(schema.create_statements("redshift"))]
    out.append(("02 table counts", connect.counts_sql([t.name for t in schema.tables_for("redshift")]), exp.Union))
    for table, source, jsonpaths in ((schema.STAGING_SONGS, "s3://udacity-dend/song_data", None),
                                     (schema.STAGING_EVENTS, "s3://udacity-dend/log_data",
                                      "s3://udacity-dend/log_json_path.json")):
        delete, copy, counts = staging.redshift.load_statements(settings, record, table, source, jsonpaths, 10)
        out += [(f"03 delete {table.name}", delete, exp.Delete), (f"03 copy {table.name}", copy, exp.Copy),
                (f"03 copy counts {table.name}", counts, exp.Select)]
    for view in ("stl_load_errors", "sys_load_error_detail"):
        out.append((f"03 rejects {view}", sent(staging.redshift.load_errors_query(view)), exp.Select))
    out.append(("03 rejects of an aborted COPY", sent(staging.redshift.aborted_rejects_query("stl_load_errors")),
                exp.Select))
    for table in transform.ORDER:
        out += [(f"03 transform {table} {i}", sql, (exp.Create, exp.Delete, exp.Insert, exp.Drop))
                for i, sql in enumerate(transform.statements(table))]
    for table, sql in quality.statements(settings):
        out.append((f"03 quality {table}", sent(sql), exp.Query))
    for name in ("create", "take", "holder", "heartbeat", "release"):  # the load lock's protocol on Redshift
        # (but LOCK TABLE itself, which sqlglot keeps as an opaque command; sql/lock/take.sql cites its syntax)
        out += [(f"03 lock {name} {i}", sent(sql), (exp.Create, exp.Delete, exp.Insert, exp.Select, exp.Update))
                for i, sql in enumerate(connect.split_sql(connect.sql_text(connect.SQL_DIR / "lock", name)))
                if not sql.startswith("LOCK ")]
    for path in sorted(queries.SQL_DIR.glob("*.sql")):
        out.append((f"04 {path.stem}", sent(path.read_text()), exp.Query))
    return out


STATEMENTS = redshift_statements()


def test_the_list_covers_every_stage():
    labels = [label.split()[0] + " " + label.split()[1] for label, _, _ in STATEMENTS]
    assert {"02 drop", "02 create", "02 table", "03 copy", "03 rejects", "03 transform", "03 quality"} <= set(labels)
    assert sum(1 for label, _, _ in STATEMENTS if label.startswith("04 ")) == 9
    tables = len(schema.tables_for("redshift"))
    settings = config.load(overrides={"general.target": "redshift"})
    transforms = sum(len(transform.statements(t)) for t in transform.ORDER)
    assert transforms == 19  # songplays: one insert that numbers the copies of a key; users: the unknown user
    assert len(STATEMENTS) == tables + tables + 1 + 6 + 3 + transforms + len(quality.statements(settings)) + 6 + 9


def test_every_quality_check_in_one_statement_parses_as_one_redshift_select():
    """03's one SELECT of every check (quality.statement), built here rather than with STATEMENTS at import: a
    slip in it fails this test instead of the module's collection."""
    settings = config.load(overrides={"general.target": "redshift"})
    sql = sent(quality.statement(settings))
    parsed = [e for e in sqlglot.parse(sql, read="redshift", error_level=ErrorLevel.RAISE) if e is not None]
    assert len(parsed) == 1 and isinstance(parsed[0], exp.Select)
    assert len(parsed[0].args["joins"]) == len(quality.statements(settings)) - 1  # one table's checks a subquery


@pytest.mark.parametrize("label, sql, kind", STATEMENTS, ids=[label for label, _, _ in STATEMENTS])
def test_each_statement_parses_as_redshift_sql(label, sql, kind):
    parsed = [e for e in sqlglot.parse(sql, read="redshift", error_level=ErrorLevel.RAISE) if e is not None]
    assert len(parsed) == 1, f"{label}: one statement per call"
    assert not isinstance(parsed[0], exp.Command), f"{label}: sqlglot kept it only as an opaque command"
    assert isinstance(parsed[0], kind), f"{label}: parsed as {type(parsed[0]).__name__}"


def test_copy_keeps_every_option_and_names_the_source_buckets_region():
    """Cluster in eu-central-1, data in us-west-2: REGION must be the data's."""
    copy = next(sql for label, sql, _ in STATEMENTS if label == "03 copy staging_events")
    parsed = sqlglot.parse_one(copy, read="redshift")
    options = rehearsal_copy.options(parsed)  # sqlglot pairs a flag (TRIMBLANKS) with the next word
    assert parsed.args["credentials"].args["iam_role"].name == ROLE
    assert options == {"FORMAT AS JSON": "s3://udacity-dend/log_json_path.json", "TIMEFORMAT": "epochmillisecs",
                       "TRIMBLANKS": "", "REGION": "us-west-2", "COMPUPDATE": "OFF", "STATUPDATE": "OFF",
                       "MAXERROR": "10"}


def test_the_reject_queries_read_the_view_of_their_name():
    for view in ("stl_load_errors", "sys_load_error_detail"):
        parsed = sqlglot.parse_one(sent(staging.redshift.load_errors_query(view)), read="redshift")
        assert view in {t.name for t in parsed.find_all(exp.Table)}


def test_a_broken_statement_fails_the_check():
    with pytest.raises(ParseError):
        sqlglot.parse("SELECT user_id FROM users WHERE (", read="redshift", error_level=ErrorLevel.RAISE)
