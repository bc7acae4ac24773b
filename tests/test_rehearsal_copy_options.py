"""How the rehearsal's COPY reads its options (rule 11 of sparkify_nb/local/rehearsal/__init__.py), without a
stack: which it runs, with which data conversion parameters, and which it refuses, saying why. The loads
themselves, through a boto3 client: tests/test_rehearsal_copy.py."""

from __future__ import annotations

import pytest
import sqlglot

from sparkify_nb.local.rehearsal.copy import NOT_WITH_JSON, conversion, options
from sparkify_nb.local.rehearsal.statements import Failed
from sparkify_nb.staging.convert import Conversion

HEAD = "COPY t FROM 's3://b/p' IAM_ROLE 'arn:aws:iam::123456789012:role/r' "
DG = "https://docs.aws.amazon.com/redshift/latest/dg/"


def read(tail: str) -> dict[str, str]:
    return options(sqlglot.parse_one(HEAD + tail, read="redshift"))


# tail of the COPY -> (options read, the Conversion they make); each option's page: DG copy-parameters-*.html
READ = {
    "JSON 'auto'": ({"FORMAT AS JSON": "auto"}, Conversion()),
    "FORMAT AS JSON 'AUTO'": ({"FORMAT AS JSON": "AUTO"}, Conversion()),
    "JSON 'auto ignorecase'": ({"FORMAT AS JSON": "auto ignorecase"}, Conversion(ignore_case=True)),
    "JSON 'Auto IgnoreCase'": ({"FORMAT AS JSON": "Auto IgnoreCase"}, Conversion(ignore_case=True)),
    "JSON 's3://b/paths.json' TRIMBLANKS": ({"FORMAT AS JSON": "s3://b/paths.json", "TRIMBLANKS": ""},
                                           Conversion(trim_blanks=True)),
    "JSON 'auto' TRUNCATECOLUMNS": ({"FORMAT AS JSON": "auto", "TRUNCATECOLUMNS": ""},
                                    Conversion(truncate_columns=True)),
    "JSON 'auto' BLANKSASNULL": ({"FORMAT AS JSON": "auto", "BLANKSASNULL": ""}, Conversion(blanks_as_null=True)),
    "JSON 'auto' EMPTYASNULL": ({"FORMAT AS JSON": "auto", "EMPTYASNULL": ""}, Conversion(empty_as_null=True)),
    "JSON 'auto' ACCEPTINVCHARS": ({"FORMAT AS JSON": "auto", "ACCEPTINVCHARS": "?"},
                                   Conversion(accept_inv_chars="?")),
    "JSON 'auto' ACCEPTINVCHARS AS '^'": ({"FORMAT AS JSON": "auto", "ACCEPTINVCHARS": "^"},
                                         Conversion(accept_inv_chars="^")),
    "JSON 'auto' ACCEPTINVCHARS '*' MAXERROR 2": ({"FORMAT AS JSON": "auto", "ACCEPTINVCHARS": "*", "MAXERROR": "2"},
                                                 Conversion(accept_inv_chars="*")),
    "JSON 'auto' ACCEPTINVCHARS MAXERROR 2": ({"FORMAT AS JSON": "auto", "ACCEPTINVCHARS": "?", "MAXERROR": "2"},
                                             Conversion(accept_inv_chars="?")),
    "JSON 'auto' MANIFEST TRIMBLANKS TRUNCATECOLUMNS BLANKSASNULL EMPTYASNULL GZIP ACCEPTINVCHARS": (
        {"FORMAT AS JSON": "auto", "MANIFEST": "", "TRIMBLANKS": "", "TRUNCATECOLUMNS": "", "BLANKSASNULL": "",
         "EMPTYASNULL": "", "GZIP": "", "ACCEPTINVCHARS": "?"}, Conversion(True, True, True, True, "?")),
    "MAXERROR 0 JSON": ({"FORMAT AS JSON": "auto", "MAXERROR": "0"}, Conversion()),
    # "MAXERROR [AS] error_count ... The MAXERROR default value is 0 and the limit is 100000"
    # (copy-parameters-data-load.html#copy-maxerror)
    "JSON 'auto' MAXERROR AS 100000": ({"FORMAT AS JSON": "auto", "MAXERROR": "100000"}, Conversion()),
    # sqlglot pairs EMPTYASNULL with ACCEPTINVCHARS: the name after it (MAXERROR) is no replacement character
    "JSON 'auto' EMPTYASNULL ACCEPTINVCHARS MAXERROR 2": (
        {"FORMAT AS JSON": "auto", "EMPTYASNULL": "", "ACCEPTINVCHARS": "?", "MAXERROR": "2"},
        Conversion(empty_as_null=True, accept_inv_chars="?")),
}


@pytest.mark.parametrize("tail", list(READ))
def test_the_copys_options_are_read_as_redshift_takes_them(tail):
    expected, made = READ[tail]
    assert read(tail) == expected
    assert conversion(expected) == made


REFUSED = {  # tail -> the error's start
    **{f"JSON 'auto' {name} {'AS ' if name == 'NULL' else ''}'x'" if name in ("NULL", "DELIMITER", "FIXEDWIDTH")
       else f"JSON 'auto' {name}": f"ERROR: {name} is not supported with JSON" for name in NOT_WITH_JSON},
    "JSON 'auto' IGNOREHEADER 1": "ERROR: the rehearsal does not emulate the COPY option IGNOREHEADER",
    "JSON 'auto' ACCEPTANYDATE": "ERROR: the rehearsal does not emulate the COPY option ACCEPTANYDATE",
    "TRIMBLANKS": "ERROR: the rehearsal emulates COPY ... FORMAT AS JSON only",
    "JSON 'noshred'": "ERROR: the rehearsal does not serve COPY ... JSON 'noshred' yet",
    "JSON 'auto ignorecase x'": "ERROR: the rehearsal does not serve COPY ... JSON 'auto ignorecase x' yet",
    "JSON 'auto' ACCEPTINVCHARS AS '^^'": "ERROR: ACCEPTINVCHARS replacement '^^' must be one ASCII character",
    "JSON 'auto' ACCEPTINVCHARS AS 'é'": "ERROR: ACCEPTINVCHARS replacement 'é' must be one ASCII character",
    "JSON 'auto' ACCEPTINVCHARS AS ''": "ERROR: ACCEPTINVCHARS replacement '' must be one ASCII character",
    # MAXERROR [AS] error_count: the number is no option of its own, a whole number, at most 100000 (what Redshift
    # answers above the limit is unconfirmed: refused, the strictest reading)
    **{f"JSON 'auto' {tail}": 'ERROR: syntax error at or near "MAXERROR"'
       for tail in ("MAXERROR", "MAXERROR AS", "MAXERROR GZIP", "MAXERROR 1.5", "MAXERROR '12'", "GZIP MAXERROR")},
    "JSON 'auto' MAXERROR 100001": "ERROR: MAXERROR 100001 is over its limit, 100000",
    # a replacement character is a quoted string ("ACCEPTINVCHARS [AS] ['replacement_char']"): a bare number is not
    "JSON 'auto' ACCEPTINVCHARS 5": "ERROR: the rehearsal does not emulate the COPY option 5",
}


@pytest.mark.parametrize("tail", list(REFUSED))
def test_an_option_redshift_refuses_or_the_rehearsal_does_not_serve_is_refused_saying_so(tail):
    with pytest.raises(Failed) as refused:
        read(tail)
    assert str(refused.value).startswith(REFUSED[tail]), str(refused.value)


def test_the_options_not_supported_with_json_are_awss_list():
    """"The following options aren't supported with JSON" (copy-parameters-data-format.html#copy-json)."""
    assert set(NOT_WITH_JSON) == {"CSV", "DELIMITER", "ESCAPE", "FILLRECORD", "FIXEDWIDTH", "IGNOREBLANKLINES",
                                  "NULL", "READRATIO", "REMOVEQUOTES"}


def test_a_nul_replacement_character_is_refused():
    """"The replacement character can be any ASCII character except NULL" (copy-parameters-data-conversion.html)."""
    tree = sqlglot.parse_one(HEAD + "JSON 'auto' ACCEPTINVCHARS AS '^'", read="redshift")
    next(p for p in tree.args["params"] if p.this.name == "ACCEPTINVCHARS").expression.set("this", "\x00")
    with pytest.raises(Failed, match="must be one ASCII character other than NULL"):
        options(tree)


# The row a record makes under each parameter (sparkify_nb/staging/convert.py, Conversion; table (s VARCHAR(4), n INT))
ROWS = {  # (conversion, record) -> the CSV row, or the reject's reason start
    (Conversion(), '{"s": "ab  ", "n": 1}'): '"ab  ",1',
    (Conversion(trim_blanks=True), '{"s": "ab  ", "n": 1}'): '"ab",1',
    (Conversion(trim_blanks=True), '{"s": " ab\\t", "n": 1}'): '" ab\t",1',
    (Conversion(), '{"s": "", "n": 1}'): '"",1',
    (Conversion(empty_as_null=True), '{"s": "", "n": 1}'): ',1',
    (Conversion(empty_as_null=True), '{"s": " ", "n": 1}'): '" ",1',
    (Conversion(blanks_as_null=True), '{"s": " \\t ", "n": 1}'): ',1',
    (Conversion(blanks_as_null=True), '{"s": "", "n": 1}'): '"",1',
    (Conversion(blanks_as_null=True), '{"s": " a ", "n": 1}'): '" a ",1',
    (Conversion(empty_as_null=True, trim_blanks=True), '{"s": "  ", "n": 1}'): '"",1',
    (Conversion(), '{"s": "abcde", "n": 1}'): "String length exceeds DDL length (5 > 4 bytes)",
    (Conversion(truncate_columns=True), '{"s": "abcde", "n": 1}'): '"abcd",1',
    (Conversion(truncate_columns=True), '{"s": "abcd", "n": 1}'): '"abcd",1',
    (Conversion(truncate_columns=True), '{"s": "a\u00e9\u20ac", "n": 1}'): '"a\u00e9",1',
    (Conversion(truncate_columns=True), '{"s": "x", "n": 12345678901}'): "Overflow",
    (Conversion(), '{"S": "UP", "N": 2}'): ",",
    (Conversion(ignore_case=True), '{"S": "UP", "N": 2}'): '"UP",2',
    (Conversion(ignore_case=True), '{"s": "lo", "n": 3}'): '"lo",3',
}


@pytest.mark.parametrize("conv, record", list(ROWS))
def test_a_records_row_under_copys_data_conversion_parameters(conv, record):
    import orjson

    from sparkify_nb.staging.convert import compile_rows
    from sparkify_nb.staging.errors import RejectedValue
    from sparkify_nb.warehouse import schema

    table = schema.Table("t", (schema.Column("s", "VARCHAR(4)"), schema.Column("n", "INTEGER")))
    plain, careful, _ = compile_rows(table, None, conversion=conv)
    value = orjson.loads(record)
    expected = ROWS[(conv, record)]
    for row in (plain, careful):
        try:
            got = row(value)
        except RejectedValue as exc:
            got = exc.reason
        assert got.startswith(expected) if not expected.startswith(('"', ",")) else got == expected


@pytest.mark.parametrize("raw, char, text", [
    (b'{"s": "a\xffb"}', "?", b'{"s": "a?b"}'), (b'{"s": "a\xe2\x82b"}', "^", b'{"s": "a^^b"}'),
    (b'{"s": "\xc3\xa9"}', "?", b'{"s": "\xc3\xa9"}')])
def test_acceptinvchars_replaces_each_invalid_byte_with_the_character(raw, char, text):
    """"an invalid three-byte character will be replaced with '^^^'" (copy-parameters-data-conversion.html)."""
    from sparkify_nb.staging.convert import replace_invalid_utf8

    assert replace_invalid_utf8(raw, char) == text
