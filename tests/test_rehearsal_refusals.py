"""The rehearsal refuses what Redshift refuses, from AWS's own lists
(sparkify_nb/local/rehearsal/sql/redshift_refuses.toml, rule 9 of
sparkify_nb/local/rehearsal/__init__.py): every entry of the data file has a
statement here that the parse step refuses with that entry's message and page,
and the suite's own statements pass. Pure (no connection): parse is."""

from __future__ import annotations

import pytest

from sparkify_nb.local.rehearsal import refusals, translate
from sparkify_nb.warehouse import schema

DG = "https://docs.aws.amazon.com/redshift/latest/dg/"
# feature or construct of the data file -> a statement that uses it
FEATURE_EXAMPLES = {
    "CREATE INDEX": "CREATE INDEX t_a ON t (a)",
    "table partitioning": "CREATE TABLE p (a INT) PARTITION BY RANGE (a)",
    "CHECK constraints": "CREATE TABLE c (a INT CHECK (a > 0))",
    "exclusion constraints": "CREATE TABLE e (a INT, EXCLUDE USING gist (a WITH =))",
    "inheritance": "CREATE TABLE c (a INT) INHERITS (p)",
    "tablespaces": "CREATE TABLE c (a INT) TABLESPACE fast",
    "array constructors": "SELECT ARRAY[1, 2]",
    "row constructors": "SELECT ROW(1, 2)",
    "subscript expressions": "SELECT a[1] FROM t",
    "triggers": "CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
    "VALUES lists used as constant tables": "SELECT * FROM (VALUES (1), (2)) v(a)",
    "sequences": "CREATE SEQUENCE s",
    "collations": 'SELECT a COLLATE "C" FROM t',
    "full text search": "SELECT a @@ b FROM t",
    "UNLOGGED tables": "CREATE UNLOGGED TABLE u (a INT)",
    "INSERT ... ON CONFLICT": "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
    "RETURNING": "INSERT INTO t VALUES (1) RETURNING a",
    "GENERATED ALWAYS AS IDENTITY, or an identity without (seed, step)":
        "CREATE TABLE g (a INT GENERATED ALWAYS AS IDENTITY)",
    "DISTINCT ON": "SELECT DISTINCT ON (a) a, b FROM t",
    "aggregate FILTER (WHERE ...)": "SELECT COUNT(*) FILTER (WHERE a > 1) FROM t",
    "LATERAL": "SELECT * FROM t, LATERAL (SELECT 1) x",
    "IS DISTINCT FROM": "SELECT a IS DISTINCT FROM b FROM t",
    "CREATE TYPE": "CREATE TYPE mood AS ENUM ('sad', 'ok')",
    "PL/pgSQL functions": "CREATE FUNCTION f() RETURNS INT LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
}
# data type of the data file -> a statement that uses it (the types sqlglot cannot even read fail as syntax errors)
TYPE_EXAMPLES = {t: f"CREATE TABLE x (a {t})" for t in ("ARRAY", "BIT", "BYTEA", "POINT", "HSTORE", "JSON", "JSONB",
                                                        "INET", "SERIAL", "BIGSERIAL", "SMALLSERIAL", "MONEY", "NAME",
                                                        "UUID", "XML", "INT4RANGE", "TSRANGE")}
TYPE_EXAMPLES["ARRAY"] = "CREATE TABLE x (a INT[])"


def error(sql: str) -> str:
    return translate.parse(sql).error


def test_every_feature_and_construct_of_the_data_file_has_a_way_to_be_found_and_an_example():
    listed = {name for name, _ in refusals._pages()}
    assert listed == set(refusals.FEATURES) == set(FEATURE_EXAMPLES)


@pytest.mark.parametrize("what", sorted(FEATURE_EXAMPLES))
def test_a_postgresql_feature_redshift_lacks_is_refused_naming_its_page(what):
    page = dict(refusals._pages())[what]
    assert error(FEATURE_EXAMPLES[what]) == f"ERROR: {what} is not supported by Amazon Redshift ({page})"


@pytest.mark.parametrize("name", sorted(refusals.FUNCTIONS))
def test_a_postgresql_function_redshift_lacks_is_refused_naming_its_page(name):
    assert error(f"SELECT {name}(a) FROM t").startswith(f"ERROR: function {name} is ")
    assert DG + ("c_SQL_functions_leader_node_only.html" if name in refusals.RULES["leader_node_only"]["deprecated"]
                 else "c_unsupported-postgresql-functions.html") in error(f"SELECT {name}(a) FROM t")


LEADER_CALLS = {"current_schema": "current_schema()", "current_schemas": "current_schemas(false)",
                "has_database_privilege": "has_database_privilege('dev', 'create')",
                "has_schema_privilege": "has_schema_privilege('public', 'create')",
                "has_table_privilege": "has_table_privilege('users', 'select')", "substr": "substr('abc', 1, 2)",
                "factorial": "factorial(3)"}


def test_every_leader_node_only_function_has_an_example():
    assert set(LEADER_CALLS) == refusals.LEADER_ONLY


@pytest.mark.parametrize("name", sorted(LEADER_CALLS))
def test_a_leader_node_only_function_runs_alone_and_is_refused_with_a_user_table(name):
    call = LEADER_CALLS[name]
    assert error(f"SELECT {call}") == ""
    assert error(f"SELECT {call} FROM pg_catalog.pg_class") == ""  # a catalog table: on the leader node
    assert error(f"SELECT {call}, user_id FROM users").startswith(
        "ERROR: Specified types or functions (one per INFO message) not supported on Redshift tables.")


@pytest.mark.parametrize("name", sorted(TYPE_EXAMPLES))
def test_a_postgresql_type_redshift_lacks_is_refused_naming_its_page(name):
    got = error(TYPE_EXAMPLES[name])
    assert got.startswith("ERROR: type ") and DG + "c_unsupported-postgresql-datatypes.html" in got
    assert refusals.TYPES[name]


@pytest.mark.parametrize("word", ["tag", "open", "offset", "snapshot", "user", "system", "partition"])
def test_a_reserved_word_is_refused_bare_and_taken_quoted(word):
    assert error(f"SELECT a AS {word} FROM t").startswith(f'ERROR: syntax error at or near "{word}"')
    assert error(f'SELECT a AS "{word}" FROM t') == ""


def test_the_reserved_words_are_the_pages_whole_list():
    words = refusals.RULES["reserved_words"]["names"]
    assert len(words) == len(set(words)) == 156 and words[0] == "AES128" and words[-1] == "WITHOUT"


@pytest.mark.parametrize("sql", [
    "SELECT LISTAGG(a, ',') WITHIN GROUP (ORDER BY a) FROM t",  # Redshift's, though sqlglot reads it as STRING_AGG
    "CREATE TABLE v (a VARBYTE(16))",  # Redshift's, though sqlglot reads it as BYTEA
    "CREATE TABLE format (a INT)",  # a table named like a function
    "SELECT user_id FROM users WHERE level = 'paid'",
])
def test_what_redshift_has_is_not_refused(sql):
    assert error(sql) == ""


def test_none_of_the_suites_ddl_is_refused():
    assert [s for s in schema.create_statements("redshift") + schema.drop_statements("redshift") if error(s)] == []
