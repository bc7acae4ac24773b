"""Redshift's meaning written for PostgreSQL, without a stack (sparkify_nb/local/rehearsal/semantics.py, rule 9):
the SQL a statement becomes. What it then computes, through a boto3 client:
tests/test_rehearsal_documented_outcomes.py."""

from __future__ import annotations

import pytest

from sparkify_nb.local.rehearsal import translate

# "If you compare numeric values with character strings, the numeric values are converted to character strings"
# (https://docs.aws.amazon.com/redshift/latest/dg/r_Type_conversion.html): a whole number literal within SMALLINT's
# range compared with a non-literal becomes a string literal; against a number PostgreSQL reads it as that number
WRITTEN = {
    "SELECT * FROM t WHERE s = 5": "SELECT * FROM t WHERE s = '5'",
    "SELECT * FROM t WHERE 5 <> s": "SELECT * FROM t WHERE '5' <> s",
    "SELECT * FROM t WHERE s < 5 AND s <= 6 AND s > 7 AND s >= 8":
        "SELECT * FROM t WHERE s < '5' AND s <= '6' AND s > '7' AND s >= '8'",
    "SELECT * FROM t WHERE s = -5": "SELECT * FROM t WHERE s = '-5'",
    "SELECT * FROM t WHERE s = 32767 OR s = -32768": "SELECT * FROM t WHERE s = '32767' OR s = '-32768'",
    "SELECT * FROM t WHERE s = 32768 OR s = -32769": "SELECT * FROM t WHERE s = 32768 OR s = -32769",
    "SELECT * FROM t WHERE s = 1.5": "SELECT * FROM t WHERE s = 1.5",
    "SELECT * FROM t WHERE s IN (1, 2.5, -3)": "SELECT * FROM t WHERE s IN ('1', 2.5, '-3')",
    "SELECT * FROM t WHERE s BETWEEN 1 AND 40000": "SELECT * FROM t WHERE s BETWEEN '1' AND 40000",
    "SELECT 1 = 1, 'a' = 2, NULL = 3, TRUE = 1, -1 = 2": "SELECT 1 = 1, 'a' = 2, NULL = 3, TRUE = 1, -1 = 2",
    "SELECT 1 IN (1, 2), 1 BETWEEN 0 AND 2": "SELECT 1 IN (1, 2), 1 BETWEEN 0 AND 2",
    "SELECT COUNT(*) > 0 FROM t": "SELECT COUNT(*) > '0' FROM t",
    "SELECT a + 1 FROM t LIMIT 5": "SELECT a + 1 FROM t LIMIT 5",
    "SELECT * FROM t WHERE -a = 5": "SELECT * FROM t WHERE -a = '5'",
    "SELECT * FROM t WHERE UPPER('x') = 5": "SELECT * FROM t WHERE UPPER('x') = '5'",
}


@pytest.mark.parametrize("sql", list(WRITTEN))
def test_a_number_compared_with_a_non_literal_is_written_as_a_string(sql):
    assert translate.parse(sql).text == WRITTEN[sql]


def _varchar(n: int) -> str:
    return (f'CREATE TABLE t (a VARCHAR({n}) CONSTRAINT "value too long for type character varying({n}): a" '
            f"CHECK (OCTET_LENGTH(a) <= {n}))")


# A VARCHAR's length is a whole number of bytes up to 65535, or MAX: "The MAX setting defines the width of the column
# as ... 65535 bytes for VARCHAR" (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html). Any other
# length fails: a syntax error, or PostgreSQL's "at least 1" (unconfirmed wordings: the strictest reading)
VARCHAR_LENGTHS = {  # sql -> (the text it runs as, the error)
    "CREATE TABLE t (a VARCHAR(MAX))": (_varchar(65535), ""),
    "CREATE TABLE t (a varchar(max))": (_varchar(65535), ""),
    "CREATE TABLE t (a VARCHAR(1))": (_varchar(1), ""),
    "CREATE TABLE t (a VARCHAR(65535))": (_varchar(65535), ""),
    "SELECT CAST(a AS DECIMAL(12, 2)) FROM t": ("SELECT CAST(a AS DECIMAL(12, 2)) FROM t", ""),
    "CREATE TABLE t (a VARCHAR(0))": ("", "ERROR: length for type varchar must be at least 1"),
    "CREATE TABLE t (a VARCHAR(foo))": ("", 'ERROR: syntax error at or near "FOO"'),
    "CREATE TABLE t (a VARCHAR('MAX'))": ("", "ERROR: syntax error at or near \"'MAX'\""),
    "SELECT CAST(a AS VARCHAR(1.5)) FROM t": ("", 'ERROR: syntax error at or near "1.5"'),
    "CREATE TABLE t (a VARCHAR(10, 2))": ("", 'ERROR: syntax error at or near "2"'),
    "CREATE TABLE t (a VARCHAR(65536))": (
        "", "ERROR: length for type varchar cannot exceed 65535 "
            "(https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html)"),
}


@pytest.mark.parametrize("sql", list(VARCHAR_LENGTHS))
def test_a_varchar_length_is_a_whole_number_of_bytes_up_to_65535_or_max(sql):
    parsed = translate.parse(sql)
    assert (parsed.text, parsed.error) == VARCHAR_LENGTHS[sql]


class _Diag:
    def __init__(self, primary: str | None):
        self.message_primary = primary


class _PgError(Exception):
    """A stand-in for a psycopg2 error: ``diag.message_primary`` as PostgreSQL sent it (None: no diag)."""

    def __init__(self, text: str, primary: str | None = "", diag: bool = True):
        super().__init__(text)
        if diag:
            self.diag = _Diag(primary)


NOT_SERVED = "ERROR: the rehearsal does not serve this comparison of a number with a string yet ("
ERRORS = {  # PostgreSQL's message -> the Error's start: what PostgreSQL refuses and Redshift converts is said to be
    "operator does not exist: character varying = integer": NOT_SERVED,
    "operator does not exist: integer > text": NOT_SERVED,
    "operator does not exist: character varying <> numeric": NOT_SERVED,
    "operator does not exist: double precision <= character": NOT_SERVED,
    "operator does not exist: bigint >= unknown": NOT_SERVED,
    "operator does not exist: smallint < character varying": NOT_SERVED,
    "operator does not exist: real = text": NOT_SERVED,
    "operator does not exist: boolean = integer": "ERROR: operator does not exist: boolean = integer",
    "operator does not exist: date = character varying": "ERROR: operator does not exist: date = character varying",
    "operator does not exist: character varying + integer": "ERROR: operator does not exist: character varying + integer",
    "operator does not exist: character varying = integer[]":
        "ERROR: operator does not exist: character varying = integer[]",
    'relation "x" does not exist': 'ERROR: relation "x" does not exist',
}


@pytest.mark.parametrize("primary", list(ERRORS))
def test_a_number_compared_with_a_string_postgresql_refuses_is_said_to_be_not_served(primary):
    from sparkify_nb.local.rehearsal.statements import pg_error

    error = pg_error(_PgError("full text\nLINE 1: ...", primary))
    assert error.startswith(ERRORS[primary]), error
    if ERRORS[primary] == NOT_SERVED:
        assert primary in error and "r_Type_conversion.html" in error


@pytest.mark.parametrize("exc, error", [
    (_PgError('relation "y" does not exist\nLINE 1: SELECT', diag=False), 'ERROR: relation "y" does not exist'),
    (_PgError('  relation "y" does not exist\n', primary=None), 'ERROR: relation "y" does not exist'),
    (_PgError('first\nsecond', primary=""), "ERROR: first")])
def test_an_error_without_postgresqls_primary_message_reads_its_first_line(exc, error):
    from sparkify_nb.local.rehearsal.statements import pg_error

    assert pg_error(exc) == error


@pytest.mark.parametrize("value, code, field", [
    (None, 1114, {"isNull": True}),
    (__import__("datetime").datetime(2020, 8, 21, 17, 33, 51, 887120), 1114, {"stringValue": "2020-08-21 17:33:51.88712"}),
    (__import__("datetime").datetime(2022, 2, 22), 1114, {"stringValue": "2022-02-22 00:00:00.0"}),
    (__import__("datetime").datetime(2022, 2, 22, 0, 0, 0, 1), 1114, {"stringValue": "2022-02-22 00:00:00.000001"}),
    (__import__("datetime").datetime(2022, 2, 22, 10, 0, 0, 500000), 1184,
     {"stringValue": "2022-02-22 10:00:00.5+00"}),
    (__import__("datetime").date(2022, 2, 22), 1082, {"stringValue": "2022-02-22"}),
    ("2022-02-22 00:00:00", 1114, {"stringValue": "2022-02-22 00:00:00"}),
    (7, 23, {"longValue": 7}), (1.5, 701, {"doubleValue": 1.5}), (True, 16, {"booleanValue": True}),
    (memoryview(b"ab"), 17, {"blobValue": "YWI="}), ("c", 18, {"stringValue": "c"})])
def test_a_value_is_the_field_the_data_api_returns(value, code, field):
    """data-api-calling.html's example: ``2020-08-21 17:33:51.88712`` (JDBC's text of a TIMESTAMP)."""
    from sparkify_nb.local.rehearsal.statements import field_of

    assert field_of(value, code) == field


def _described(code: int, internal_size: int | None = None, precision: int | None = None, scale: int | None = None):
    from types import SimpleNamespace

    return SimpleNamespace(name="c", type_code=code, internal_size=internal_size, precision=precision, scale=scale,
                           table_oid=None, table_column=None)


# (type code, psycopg2's internal_size / precision / scale, the table column's (table, NOT NULL, typmod) or None)
# -> (typeName, precision, scale, isSigned, isCaseSensitive, nullable, tableName); data-api-calling.html's example
COLUMNS = {
    (23, None, None, None, ("meta", True, -1)): ("int4", 10, 0, True, False, 0, "meta"),
    (20, None, None, None, ("meta", False, -1)): ("int8", 19, 0, True, False, 1, "meta"),
    (1043, -1, None, None, ("meta", False, 24)): ("varchar", 20, 0, False, True, 1, "meta"),
    (1043, -1, None, None, ("meta", False, 4)): ("varchar", 0, 0, False, True, 1, "meta"),
    (1043, 10, None, None, None): ("varchar", 10, 0, False, True, 1, ""),
    (1043, 1, None, None, None): ("varchar", 1, 0, False, True, 1, ""),
    (1043, -1, None, None, None): ("varchar", 2147483647, 0, False, True, 1, ""),
    (1043, 0, None, None, None): ("varchar", 2147483647, 0, False, True, 1, ""),
    (1042, 5, None, None, None): ("bpchar", 5, 0, False, True, 1, ""),
    (25, None, None, None, None): ("varchar", 2147483647, 0, False, True, 1, ""),
    (1700, None, 12, 2, ("t", False, (12 << 16 | 2) + 4)): ("numeric", 12, 2, True, False, 1, "t"),
    (1700, None, 5, 1, ("t", False, (5 << 16 | 1) + 4)): ("numeric", 5, 1, True, False, 1, "t"),
    (1700, None, 12, 2, ("t", False, (0 << 16 | 0) + 4)): ("numeric", 0, 0, True, False, 1, "t"),
    (1700, None, 5, 1, None): ("numeric", 5, 1, True, False, 1, ""),
    (1700, None, None, None, None): ("numeric", 0, 0, True, False, 1, ""),
    (1114, None, None, None, None): ("timestamp", 29, 6, False, False, 1, ""),
    (701, None, None, None, None): ("float8", 17, 17, True, False, 1, ""),
    (700, None, None, None, None): ("float4", 8, 8, True, False, 1, ""),
    (16, None, None, None, None): ("bool", 1, 0, False, False, 1, ""),
    (3802, None, None, None, None): ("varchar", 0, 0, False, False, 1, ""),
}


@pytest.mark.parametrize("key", list(COLUMNS))
def test_a_columns_metadata_is_shaped_as_aws_returns_it(key):
    from sparkify_nb.local.rehearsal.statements import _column

    code, size, precision, scale, table = key
    m = _column(_described(code, size, precision, scale), table)
    assert (m["typeName"], m["precision"], m["scale"], m["isSigned"], m["isCaseSensitive"], m["nullable"],
            m["tableName"]) == COLUMNS[key]
    assert (m["schemaName"], m["length"], m["isCurrency"], m["label"], m["name"]) == ("", 0, False, "c", "c")
