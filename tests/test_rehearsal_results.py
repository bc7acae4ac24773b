"""What GetStatementResult returns, shaped as AWS returns it (rule 7 of sparkify_nb/local/rehearsal/__init__.py;
sparkify_nb/local/rehearsal/statements.py): ColumnMetadata and the text of TIMESTAMP values, through a boto3
client, table-driven against the examples of
https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-calling.html."""

from __future__ import annotations

import base64

import pytest

from tests.rehearsal_fixtures import cluster, data_api, run  # noqa: F401 (fixtures)

# GetStatementResult's ColumnMetadata as AWS's example shows it
# (https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-calling.html, "To fetch the results of a SQL
# statement": int4 precision 10, int8 19, bpchar(n) n and case-sensitive, timestamp 29 / 6 and unsigned,
# schemaName "", tableName the column's table, nullable 0 for a NOT NULL column, length 0); the precision of
# the types the example does not show is PostgreSQL's JDBC driver's (unconfirmed)
METADATA_TABLE = ("CREATE TABLE meta (i INT NOT NULL, b BIGINT, h SMALLINT, s VARCHAR(20), c CHAR(5), "
                  "t TIMESTAMP, f DOUBLE PRECISION, r REAL, d DECIMAL(12,2), o BOOLEAN, dt DATE, tm TIME)")
METADATA = {  # column: (typeName, precision, scale, isSigned, isCaseSensitive, nullable, tableName)
    "i": ("int4", 10, 0, True, False, 0, "meta"), "b": ("int8", 19, 0, True, False, 1, "meta"),
    "h": ("int2", 5, 0, True, False, 1, "meta"), "s": ("varchar", 20, 0, False, True, 1, "meta"),
    "c": ("bpchar", 5, 0, False, True, 1, "meta"), "t": ("timestamp", 29, 6, False, False, 1, "meta"),
    "f": ("float8", 17, 17, True, False, 1, "meta"), "r": ("float4", 8, 8, True, False, 1, "meta"),
    "d": ("numeric", 12, 2, True, False, 1, "meta"), "o": ("bool", 1, 0, False, False, 1, "meta"),
    "dt": ("date", 13, 0, False, False, 1, "meta"), "tm": ("time", 15, 6, False, False, 1, "meta"),
    "i + 1": ("int4", 10, 0, True, False, 1, ""), "'x'": ("varchar", 2147483647, 0, False, True, 1, ""),
    "CAST(d AS DECIMAL(5, 1))": ("numeric", 5, 1, True, False, 1, ""),
    "CAST(s AS VARCHAR(10))": ("varchar", 10, 0, False, True, 1, ""),
    "CAST(s AS CHAR(3))": ("bpchar", 3, 0, False, True, 1, ""),
    "CAST(t AS TIMESTAMPTZ)": ("timestamptz", 35, 6, False, False, 1, ""),
    "current_user": ("name", 64, 0, False, True, 1, ""),
}


def test_column_metadata_is_shaped_as_aws_returns_it(data_api, cluster):
    assert run(data_api, METADATA_TABLE, **cluster)["Status"] == "FINISHED"
    done = run(data_api, f"SELECT {', '.join(METADATA)} FROM meta", **cluster)
    assert done["Status"] == "FINISHED", done.get("Error")
    metadata = data_api.get_statement_result(Id=done["Id"])["ColumnMetadata"]
    got = {sql: (m["typeName"], m["precision"], m["scale"], m["isSigned"], m["isCaseSensitive"], m["nullable"],
                 m["tableName"]) for sql, m in zip(METADATA, metadata)}
    assert got == METADATA
    assert {(m["schemaName"], m["length"], m["isCurrency"], m["label"] == m["name"]) for m in metadata} == {
        ("", 0, False, True)}


@pytest.mark.parametrize("sql, text", [
    ("SELECT TIMESTAMP '2020-08-21 17:33:51.887120'", "2020-08-21 17:33:51.88712"),
    ("SELECT TIMESTAMP '2022-02-22 00:00:00'", "2022-02-22 00:00:00.0"),
    ("SELECT TIMESTAMP '2022-02-22 00:00:00.000001'", "2022-02-22 00:00:00.000001"),
    ("SELECT CAST(TIMESTAMP '2022-02-22 10:00:00.5' AS TIMESTAMPTZ)", "2022-02-22 10:00:00.5+00"),
    ("SELECT DATE '2022-02-22'", "2022-02-22")])
def test_a_timestamp_value_reads_as_the_data_api_writes_it(data_api, cluster, sql, text):
    """The examples of data-api-calling.html: ``2020-08-21 17:33:51.88712`` (JDBC's form: no trailing zeros,
    one decimal at least); TIMESTAMPTZ's ``+00`` is unconfirmed."""
    done = run(data_api, sql, **cluster)
    assert done["Status"] == "FINISHED", done.get("Error")
    assert data_api.get_statement_result(Id=done["Id"])["Records"] == [[{"stringValue": text}]]


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def test_next_token_pages_through_every_record_once(data_api, cluster):
    """GetStatementResult: "If a value is returned in a response, you can retrieve the next set of records by
    providing this returned NextToken value ... If the NextToken field is empty, all response records have been
    retrieved" (https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_GetStatementResult.html)."""
    done = run(data_api, "SELECT n, REPEAT('x', 1000) FROM generate_series(1, 2500) AS n", **cluster)
    got, args, pages = [], {"Id": done["Id"]}, 0
    while True:
        page = data_api.get_statement_result(**args)
        assert page["TotalNumRows"] == 2500 and page["Records"]
        got += [r[0]["longValue"] for r in page["Records"]]
        pages += 1
        if "NextToken" not in page:
            break
        args["NextToken"] = page["NextToken"]
    assert got == list(range(1, 2501)) and pages == 3  # pages of 1 MB at most: 1,006 bytes a record


def test_a_next_token_naming_no_page_of_the_statement_is_a_validation_exception(data_api, cluster):
    """A NextToken the statement's own pages did not return names no page of it: ValidationException ("The
    Amazon Redshift Data API operation failed due to invalid input", API_GetStatementResult.html). AWS does not
    say what a token the service never gave does; refusing it is the strictest reading (unconfirmed)."""
    paged = run(data_api, "SELECT n, REPEAT('x', 1000) FROM generate_series(1, 2500) AS n", **cluster)
    other = run(data_api, "SELECT n, REPEAT('y', 1000) FROM generate_series(1, 2500) AS n", **cluster)
    small = run(data_api, "SELECT 1", **cluster)
    issued = data_api.get_statement_result(Id=paged["Id"])["NextToken"]
    second = data_api.get_statement_result(Id=paged["Id"], NextToken=issued)
    assert second["Records"] and "NextToken" in second  # the token it gave is good, as often as asked
    assert data_api.get_statement_result(Id=paged["Id"], NextToken=issued)["Records"] == second["Records"]
    foreign = data_api.get_statement_result(Id=other["Id"])["NextToken"]
    named = base64.urlsafe_b64decode(issued).decode()  # the statement's pages, by number: 0 to 2
    first, past = (_token(named.rsplit("/", 1)[0] + f"/{n}") for n in (0, 3))
    for statement, token in ((paged["Id"], foreign), (small["Id"], issued), (paged["Id"], "not a token"),
                             (paged["Id"], issued + "x"), (paged["Id"], _token("3")), (paged["Id"], _token("-1")),
                             (paged["Id"], _token("0")), (paged["Id"], _token("1")), (paged["Id"], first),
                             (paged["Id"], past)):
        with pytest.raises(data_api.exceptions.ValidationException):
            data_api.get_statement_result(Id=statement, NextToken=token)
