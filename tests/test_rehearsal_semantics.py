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


def _checked(column: str, n: int) -> str:
    return f'{column} VARCHAR({n}) CONSTRAINT "value too long for type character varying({n}): {column}" ' \
           f"CHECK (OCTET_LENGTH({column}) <= {n})"


# "TEXT ... Converted to VARCHAR(256)"; a VARCHAR without a length in CREATE TABLE is 256 long; NVARCHAR is a VARCHAR;
# lengths count bytes, so a table's VARCHAR column gets a byte-length check wherever a column is made
# (https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html)
CHARACTER_TYPES = {
    "CREATE TABLE t (a TEXT, b VARCHAR, c NVARCHAR(5), d CHAR(3), e INT)":
        f"CREATE TABLE t ({_checked('a', 256)}, {_checked('b', 256)}, {_checked('c', 5)}, d CHAR(3), e INT)",
    "SELECT CAST(a AS TEXT), CAST(b AS VARCHAR(7)) FROM t": "SELECT CAST(a AS VARCHAR(256)), CAST(b AS VARCHAR(7)) FROM t",
    "ALTER TABLE t ADD COLUMN c VARCHAR(10)": f"ALTER TABLE t ADD COLUMN {_checked('c', 10)}",
    "ALTER TABLE t ADD COLUMN c TEXT NOT NULL": "ALTER TABLE t ADD COLUMN c VARCHAR(256) NOT NULL CONSTRAINT "
                                               '"value too long for type character varying(256): c" '
                                               "CHECK (OCTET_LENGTH(c) <= 256)",
    "ALTER TABLE t ADD COLUMN n INT": "ALTER TABLE t ADD COLUMN n INT",
    # PostgreSQL keeps 63 bytes of a name: the check's name is cut there, so that its error names what it checks
    f"CREATE TABLE t ({'x' * 70} VARCHAR(9))":
        f'CREATE TABLE t ({"x" * 70} VARCHAR(9) CONSTRAINT "value too long for type character varying(9): '
        f'{"x" * 17}" CHECK (OCTET_LENGTH({"x" * 70}) <= 9))',
}


@pytest.mark.parametrize("sql", list(CHARACTER_TYPES))
def test_a_table_column_of_a_character_type_is_a_varchar_of_bytes(sql):
    parsed = translate.parse(sql)
    assert (parsed.text, parsed.error) == (CHARACTER_TYPES[sql], "")


RS = "redshift_system"
PART = "ERROR: {}: \"{}\" is not a date part Amazon Redshift knows " \
       "(https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html)"
# rule 9's functions and aggregates, each written as PostgreSQL computes Redshift's result (the module docstring of
# semantics.py cites each page); what they then compute: tests/test_rehearsal_documented_outcomes.py
FUNCTIONS = {  # sql -> (the text it runs as, the error)
    "SELECT EXTRACT(epoch FROM x), EXTRACT(ms FROM x), EXTRACT(HRS FROM x) FROM t": (
        f"SELECT {RS}.rs_extract('epoch', x), {RS}.rs_extract('millisecond', x), {RS}.rs_extract('hour', x) FROM t",
        ""),
    "SELECT DATE_PART('hour', x), DATE_PART(mins, x) FROM t": ("SELECT DATE_PART('hour', x), DATE_PART('minute', x) FROM t", ""),
    "SELECT DATE_PART('year', x), EXTRACT(year FROM x) FROM t": (
        f"SELECT DATE_PART('year', x), {RS}.rs_extract('year', x) FROM t", ""),
    "SELECT EXTRACT(year FROM x), DATE_PART('year', x) FROM t": (
        f"SELECT {RS}.rs_extract('year', x), DATE_PART('year', x) FROM t", ""),
    "SELECT EXTRACT(fortnight FROM x) FROM t": ("", PART.format("EXTRACT", "fortnight")),
    "SELECT DATE_PART('Fortnight', x) FROM t": ("", PART.format("DATE_PART", "fortnight")),
    "SELECT DATEDIFF(fortnight, a, b) FROM t": ("", PART.format("DATEDIFF", "fortnight")),
    # DATEDIFF(datepart, date|time|timetz|timestamp, date|time|timetz|timestamp): the second less the first
    "SELECT DATEDIFF(second, a, b), DATEDIFF('week', b, a) FROM t": (
        f"SELECT {RS}.datediff('second', a, b), {RS}.datediff('week', b, a) FROM t", ""),
    "SELECT AVG(a), SUM(b), AVG(b) + SUM(a) FROM t": (
        f"SELECT {RS}.avg(a), {RS}.sum(b), {RS}.avg(b) + {RS}.sum(a) FROM t", ""),
    "SELECT APPROXIMATE COUNT(DISTINCT s) FROM n": ("SELECT COUNT(DISTINCT s) FROM n", ""),
    # another aggregate's WITHIN GROUP is PostgreSQL's as written (MEDIAN is sqlglot's PERCENTILE_CONT(0.5))
    "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY a), MEDIAN(b) FROM t": (
        "SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY a), PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY b) FROM t", ""),
}


@pytest.mark.parametrize("sql", list(FUNCTIONS))
def test_a_function_whose_result_differs_on_postgresql_runs_as_redshifts(sql):
    parsed = translate.parse(sql)
    assert (parsed.text, parsed.error) == FUNCTIONS[sql]


_V = "NULLIF(CAST(s AS VARCHAR), '')"  # "NULL values and empty strings are ignored", whatever the value's type
_ALL = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
# LISTAGG([DISTINCT] expr [, delimiter]) [WITHIN GROUP (ORDER BY ...)] [OVER (...)]
# (https://docs.aws.amazon.com/redshift/latest/dg/r_LISTAGG.html, r_WF_LISTAGG.html)
LISTAGG = {
    "SELECT LISTAGG(s, '|') WITHIN GROUP (ORDER BY s DESC) FROM n":
        f"SELECT {RS}.listagg_limit(STRING_AGG({_V}, '|' ORDER BY s DESC)) FROM n",
    "SELECT LISTAGG(s) FROM n": f"SELECT {RS}.listagg_limit(STRING_AGG({_V}, '')) FROM n",
    "SELECT LISTAGG(s) WITHIN GROUP (ORDER BY k) FROM n": f"SELECT {RS}.listagg_limit(STRING_AGG({_V}, '' ORDER BY k)) FROM n",
    "SELECT LISTAGG(DISTINCT s, '|') WITHIN GROUP (ORDER BY s) FROM n":
        f"SELECT {RS}.listagg_limit({RS}.listagg_distinct({_V}, '|' ORDER BY s)) FROM n",
    "SELECT LISTAGG(DISTINCT s, '|') FROM n": f"SELECT {RS}.listagg_limit({RS}.listagg_distinct({_V}, '|')) FROM n",
    "SELECT LISTAGG(DISTINCT s) FROM n": f"SELECT {RS}.listagg_limit({RS}.listagg_distinct({_V}, '')) FROM n",
    "SELECT LISTAGG(s, '|') WITHIN GROUP (ORDER BY k) OVER (PARTITION BY p) FROM g":
        f"SELECT {RS}.listagg_limit(STRING_AGG({_V}, '|') OVER (PARTITION BY p ORDER BY k {_ALL})) FROM g",
    "SELECT LISTAGG(s, '|') OVER (PARTITION BY p) FROM g":
        f"SELECT {RS}.listagg_limit(STRING_AGG({_V}, '|') OVER (PARTITION BY p)) FROM g",
    "SELECT LISTAGG(DISTINCT s, ',') WITHIN GROUP (ORDER BY k DESC) OVER () FROM g":
        f"SELECT {RS}.listagg_limit({RS}.listagg_distinct({_V}, ',') OVER (ORDER BY k DESC {_ALL})) FROM g",
}


@pytest.mark.parametrize("sql", list(LISTAGG))
def test_listagg_is_written_as_postgresql_computes_redshifts(sql):
    parsed = translate.parse(sql)
    assert (parsed.text, parsed.error) == (LISTAGG[sql], "")


LISTAGG_ARGUMENTS = "ERROR: LISTAGG takes one expression and at most one delimiter " \
                    "(https://docs.aws.amazon.com/redshift/latest/dg/r_LISTAGG.html)"


@pytest.mark.parametrize("sql", ["SELECT LISTAGG(s, ',', 'x') FROM n", "SELECT LISTAGG(DISTINCT s, ',', 'x') FROM n",
                                 "SELECT LISTAGG(s, ',', 'x') WITHIN GROUP (ORDER BY s) OVER () FROM n"])
def test_listagg_takes_an_expression_and_a_delimiter_no_more(sql):
    """The grammar of r_LISTAGG.html and r_WF_LISTAGG.html: ``LISTAGG( [DISTINCT] expression [, 'delimiter'] )`` (the
    error's wording is unconfirmed)."""
    assert translate.parse(sql).error == LISTAGG_ARGUMENTS


# MERGE ... WHEN NOT MATCHED THEN INSERT [(columns)] VALUES (...) (https://docs.aws.amazon.com/redshift/latest/dg/r_MERGE.html)
MERGE = {
    "MERGE INTO m USING s ON m.a = s.a WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.a, s.v)":
        "MERGE INTO m USING s ON m.a = s.a WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.a, s.v)",
    "MERGE INTO m USING s ON m.a = s.a WHEN NOT MATCHED THEN INSERT (a, v) VALUES (s.a, s.v)":
        "MERGE INTO m USING s ON m.a = s.a WHEN NOT MATCHED THEN INSERT (a, v) VALUES (s.a, s.v)",
    "MERGE INTO m USING s ON m.a = s.a WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.a)":
        "MERGE INTO m USING s ON m.a = s.a WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT VALUES (s.a)",
}


@pytest.mark.parametrize("sql", list(MERGE))
def test_merge_is_written_as_postgresql_reads_it(sql):
    parsed = translate.parse(sql)
    assert (parsed.text, parsed.error) == (MERGE[sql], "")


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
