"""An executable summary of Redshift's documentation: statements sent through a real
boto3 ``redshift-data`` client to the rehearsal's endpoint, each with the outcome the
cited page gives it (runs, refused with which error, which value of which type comes
back). Rules 4 and 9 of sparkify_nb/local/rehearsal/__init__.py; what Redshift refuses
from AWS's lists is pinned entry by entry in tests/test_rehearsal_refusals.py."""

from __future__ import annotations

import pytest

from tests.rehearsal_fixtures import MASTER, aws, data_api, make_cluster, rows, wait  # noqa: F401 (fixture)

DG = "https://docs.aws.amazon.com/redshift/latest/dg/"
GUIDE = "https://docs.aws.amazon.com/redshift/latest/mgmt/data-api.html"
SETUP = ["CREATE TABLE n (i INT, b BIGINT, s VARCHAR(8))", "INSERT INTO n VALUES (1, 1, 'a'), (2, 2, 'b'), (2, 2, 'b')",
         "CREATE TABLE m (a INT, v INT)", "INSERT INTO m VALUES (1, 10), (2, 20)",
         "CREATE TABLE v (s VARCHAR(8), h SMALLINT)", "INSERT INTO v VALUES ('10', 1), ('9', 2), ('07', 3)",
         "CREATE TABLE g (k INT, s VARCHAR(8))",
         "INSERT INTO g VALUES (1, 'a '), (2, ''), (3, NULL), (4, 'a'), (5, 'b'), (6, 'a')"]
MGMT = "https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-calling.html"
# (sql, parameters, expected: ("value", rows, typeName of the first column) | ("failed", error start) | ("runs",), page)
OUTCOMES = {
    "EXTRACT of a TIMESTAMP is an INTEGER, the fraction dropped": (
        "SELECT EXTRACT(epoch FROM TIMESTAMP '2018-11-01 00:00:46.79')", None,
        ("value", [[1541030446]], "int4"), DG + "r_EXTRACT_function.html"),
    "EXTRACT(ms ...) is the millisecond within the second": (
        "SELECT EXTRACT(ms FROM TIMESTAMP '2009-09-09 12:08:43.101')", None,
        ("value", [[101]], "int4"), DG + "r_EXTRACT_function.html"),
    "DATE_PART is a DOUBLE PRECISION": (
        "SELECT DATE_PART('second', TIMESTAMP '2009-09-09 12:08:43.5')", None,
        ("value", [[43.5]], "float8"), DG + "r_DATE_PART_function.html"),
    "DATEDIFF counts the boundaries crossed": (
        "SELECT DATEDIFF(second, TIMESTAMP '2020-01-01 00:00:00.9', TIMESTAMP '2020-01-01 00:00:01.1')", None,
        ("value", [[1]], "int8"), DG + "r_DATEDIFF_function.html"),
    "AVG of an integer column is a BIGINT": (
        "SELECT AVG(i) FROM n", None, ("value", [[1]], "int8"), DG + "r_AVG.html"),
    "SUM of a BIGINT column is a BIGINT": (
        "SELECT SUM(b) FROM n", None, ("value", [[5]], "int8"), DG + "r_SUM.html"),
    "TEXT is VARCHAR(256) bytes: 200 two-byte characters do not fit": (
        "CREATE TABLE t1 (a TEXT); INSERT INTO t1 VALUES (REPEAT('é', 200))", None,
        ("failed", "ERROR: new row for relation \"t1\" violates check constraint \"value too long for type character "
                   "varying(256): a\""), DG + "r_Character_types.html"),
    "a column ALTER TABLE adds counts bytes too: two two-byte characters do not fit a VARCHAR(3)": (
        "CREATE TABLE t3 (a INT); ALTER TABLE t3 ADD COLUMN c VARCHAR(3); INSERT INTO t3 VALUES (1, 'éé')", None,
        ("failed", "ERROR: new row for relation \"t3\" violates check constraint \"value too long for type character "
                   "varying(3): c\""), DG + "r_Character_types.html"),
    "a VARCHAR is at most 65535 bytes": (
        "CREATE TABLE t2 (a VARCHAR(65536))", None,
        ("failed", "ERROR: length for type varchar cannot exceed 65535"), DG + "r_Character_types.html"),
    "a parameter is a VARCHAR: :x + 1 fails": (
        "SELECT :x + 1", [{"name": "x", "value": "41"}], ("failed", "ERROR: operator does not exist: character varying"),
        GUIDE + " (unconfirmed: the strictest reading)"),
    "a parameter cast to its type binds": (
        "SELECT CAST(:x AS INTEGER) + 1", [{"name": "x", "value": "41"}], ("value", [[42]], "int4"), GUIDE),
    "VACUUM runs on its own": ("VACUUM n", None, ("runs",), DG + "r_VACUUM_command.html"),
    "VACUUM cannot run in a transaction block": (
        "SELECT 1; VACUUM SORT ONLY n TO 75 PERCENT", None,
        ("failed", "ERROR: VACUUM cannot run inside a transaction block"), DG + "r_VACUUM_command.html"),
    "ANALYZE runs": ("ANALYZE n", None, ("runs",), DG + "r_ANALYZE.html"),
    "MERGE updates and inserts": (
        "MERGE INTO m USING (SELECT 2 AS a, 99 AS v UNION ALL SELECT 3, 30) s ON m.a = s.a "
        "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.a, s.v); "
        "SELECT a, v FROM m ORDER BY a", None, ("value", [[1, 10], [2, 99], [3, 30]], "int4"), DG + "r_MERGE.html"),
    "LISTAGG ... WITHIN GROUP concatenates in order": (
        "SELECT LISTAGG(s, '|') WITHIN GROUP (ORDER BY s DESC) FROM n", None,
        ("value", [["b|b|a"]], "varchar"), DG + "r_LISTAGG.html"),
    "LISTAGG(DISTINCT ...) concatenates each value once": (
        "SELECT LISTAGG(DISTINCT s, '|') WITHIN GROUP (ORDER BY s) FROM n", None,
        ("value", [["a|b"]], "varchar"), DG + "r_LISTAGG.html"),
    "LISTAGG(DISTINCT ..., delimiter) runs without WITHIN GROUP": (
        "SELECT LISTAGG(DISTINCT s, '|') FROM n WHERE s = 'b'", None, ("value", [["b"]], "varchar"),
        DG + "r_LISTAGG.html"),
    "LISTAGG ignores NULL values and empty strings": (
        "SELECT LISTAGG(s, ',') WITHIN GROUP (ORDER BY k) FROM g", None, ("value", [["a ,a,b,a"]], "varchar"),
        DG + "r_LISTAGG.html"),
    "LISTAGG(DISTINCT ...) ignores trailing spaces: 'a' and 'a ' are one value, the first met": (
        "SELECT LISTAGG(DISTINCT s, ',') WITHIN GROUP (ORDER BY k) FROM g", None, ("value", [["a ,b"]], "varchar"),
        DG + "r_LISTAGG.html (the first met in WITHIN GROUP's order: unconfirmed)"),
    "LISTAGG of an INTEGER column (the page's example aggregates sellerid)": (
        "SELECT LISTAGG(k, ', ') WITHIN GROUP (ORDER BY k DESC) FROM g WHERE k < 4", None,
        ("value", [["3, 2, 1"]], "varchar"), DG + "r_LISTAGG.html"),
    "LISTAGG(DISTINCT ...) of an INTEGER column in its own order": (
        "SELECT LISTAGG(DISTINCT i, ', ') WITHIN GROUP (ORDER BY i) FROM n", None, ("value", [["1, 2"]], "varchar"),
        DG + "r_LISTAGG.html"),
    "LISTAGG as a window function": (
        "SELECT k, LISTAGG(s, '|') WITHIN GROUP (ORDER BY k) OVER (PARTITION BY k > 3) FROM g ORDER BY k", None,
        ("value", [[1, "a "], [2, "a "], [3, "a "], [4, "a|b|a"], [5, "a|b|a"], [6, "a|b|a"]], "int4"),
        DG + "r_WF_LISTAGG.html"),
    "LISTAGG as a window function without WITHIN GROUP": (
        "SELECT k, LISTAGG(s, '|') OVER (PARTITION BY k) FROM g WHERE k IN (1, 4, 5) ORDER BY k", None,
        ("value", [[1, "a "], [4, "a"], [5, "b"]], "int4"), DG + "r_WF_LISTAGG.html"),
    "LISTAGG(DISTINCT ...) as a window function": (
        "SELECT DISTINCT LISTAGG(DISTINCT s, ',') WITHIN GROUP (ORDER BY k DESC) OVER () FROM g", None,
        ("value", [["a,b"]], "varchar"), DG + "r_WF_LISTAGG.html"),
    "LISTAGG's delimiter is NULL when not given: no separator": (
        "SELECT LISTAGG(s) WITHIN GROUP (ORDER BY k) FROM g", None, ("value", [["a aba"]], "varchar"),
        DG + "r_LISTAGG.html"),
    "a LISTAGG result over 65535 bytes fails": (
        "SELECT LISTAGG(REPEAT(s, 20000)) FROM g", None, ("failed", "ERROR: Result size exceeds LISTAGG limit"),
        DG + "r_LISTAGG.html"),
    "APPROXIMATE COUNT(DISTINCT ...) runs (exact here)": (
        "SELECT APPROXIMATE COUNT(DISTINCT s) FROM n", None, ("value", [[2]], "int8"), DG + "r_COUNT.html"),
    "a number compared with a VARCHAR is converted to a string: '9' > '5', '10' and '07' are not": (
        "SELECT s FROM v WHERE s > 5", None, ("value", [["9"]], "varchar"), DG + "r_Type_conversion.html"),
    "a number is converted to a string in IN too": (
        "SELECT s FROM v WHERE s IN (7, 10)", None, ("value", [["10"]], "varchar"), DG + "r_Type_conversion.html"),
    "... and in BETWEEN: '10' and '07' lie between '0' and '5'": (
        "SELECT s FROM v WHERE s BETWEEN 0 AND 5 ORDER BY s", None, ("value", [["07"], ["10"]], "varchar"),
        DG + "r_Type_conversion.html"),
    "a number compared with a VARCHAR parameter: '07' is not '7'": (
        "SELECT COUNT(*) FROM v WHERE 7 = :p", [{"name": "p", "value": "07"}], ("value", [[0]], "int8"),
        DG + "r_Type_conversion.html"),
    "a negative number too: '-1' <> '-01'": (
        "SELECT COUNT(*) FROM v WHERE :p = -1", [{"name": "p", "value": "-01"}], ("value", [[0]], "int8"),
        DG + "r_Type_conversion.html"),
    "a whole number compared with a SMALLINT stays a number": (
        "SELECT h FROM v WHERE h >= 2 ORDER BY h", None, ("value", [[2], [3]], "int2"), DG + "r_Type_conversion.html"),
    "a number beyond SMALLINT compared with a SMALLINT stays a number": (
        "SELECT COUNT(*) FROM v WHERE h < 40000", None, ("value", [[3]], "int8"), DG + "r_Type_conversion.html"),
    "a fraction compared with a VARCHAR is not served yet": (
        "SELECT s FROM v WHERE s = 1.5", None,
        ("failed", "ERROR: the rehearsal does not serve this comparison of a number with a string yet"),
        DG + "r_Type_conversion.html"),
    "a number column compared with a VARCHAR column is not served yet": (
        "SELECT s FROM v WHERE s = h", None,
        ("failed", "ERROR: the rehearsal does not serve this comparison of a number with a string yet"),
        DG + "r_Type_conversion.html"),
    "a TIMESTAMP comes back as JDBC writes it: the fraction without trailing zeros": (
        "SELECT TIMESTAMP '2020-08-21 17:33:51.88712'", None, ("value", [["2020-08-21 17:33:51.88712"]], "timestamp"),
        MGMT),
    "a whole-second TIMESTAMP keeps one decimal": (
        "SELECT TIMESTAMP '2022-02-22 00:00:00'", None, ("value", [["2022-02-22 00:00:00.0"]], "timestamp"), MGMT),
    "STRING_AGG is not Redshift's": (
        "SELECT STRING_AGG(s, ',') FROM n", None, ("failed", "ERROR: function string_agg is not supported"),
        DG + "c_unsupported-postgresql-functions.html"),
    "a leader node-only function with a user table fails": (
        "SELECT CURRENT_SCHEMA(), i FROM n", None,
        ("failed", "ERROR: Specified types or functions (one per INFO message) not supported on Redshift tables."),
        DG + "c_SQL_functions_leader_node_only.html"),
}


@pytest.fixture(scope="module")
def target():
    made = make_cluster()
    where = {"ClusterIdentifier": made["ClusterIdentifier"], "Database": "dev", "DbUser": MASTER}
    yield where
    aws("redshift").delete_cluster(ClusterIdentifier=made["ClusterIdentifier"], SkipFinalClusterSnapshot=True)


@pytest.fixture(scope="module")
def ready(target):
    import boto3

    from sparkify_nb import local
    from tests.rehearsal_fixtures import _KEYS

    client = boto3.client("redshift-data", endpoint_url=local.data_api_endpoint(), **_KEYS)
    assert wait(client, client.batch_execute_statement(Sqls=SETUP, **target)["Id"])["Status"] == "FINISHED"
    return target


def test_every_outcome_cites_its_page():
    assert all(page.startswith("https://docs.aws.amazon.com/") for *_, page in OUTCOMES.values())


@pytest.mark.parametrize("what", list(OUTCOMES))
def test_a_statement_has_the_outcome_redshifts_documentation_gives(data_api, ready, what):
    sql, parameters, expected, _page = OUTCOMES[what]
    sqls = [s.strip() for s in sql.split("; ")]
    extra = {"Parameters": parameters} if parameters else {}
    if len(sqls) == 1:
        described = wait(data_api, data_api.execute_statement(Sql=sqls[0], **extra, **ready)["Id"])
        last = described
    else:
        described = wait(data_api, data_api.batch_execute_statement(Sqls=sqls, **extra, **ready)["Id"])
        last = described["SubStatements"][-1]
    if expected[0] == "failed":
        assert described["Status"] == "FAILED" and described["Error"].startswith(expected[1]), described.get("Error")
        return
    assert described["Status"] == "FINISHED", described.get("Error")
    if expected[0] == "value":
        assert rows(data_api, last["Id"]) == expected[1]
        assert data_api.get_statement_result(Id=last["Id"])["ColumnMetadata"][0]["typeName"] == expected[2]
