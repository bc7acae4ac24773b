"""Redshift SQL in, PostgreSQL out: parse each statement with sqlglot's
Redshift dialect, refuse what Redshift refuses, translate the rest.

The rules (each stated once in :mod:`sparkify_nb.local.rehearsal`) live as
data: ``sql/redshift_refuses.toml`` lists what Redshift refuses of PostgreSQL,
each entry with the AWS page that says so (:mod:`.refusals` finds them: sqlglot's
Redshift dialect parses nearly all of them happily, so the parser alone never
refuses them); :mod:`.semantics` gives Redshift's result types and values;
:data:`COMMANDS` lists the few statements sqlglot keeps as an opaque command
that Redshift takes and the rehearsal runs.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError

from . import refusals, semantics
from .semantics import Refused

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its fall-back-to-Command notes are decided on here

DEV = "https://docs.aws.amazon.com/redshift/latest/dg/"


class ParameterError(ValueError):
    """A request whose parameters break the Data API's rules (a ValidationException)."""


# Statements sqlglot keeps as an opaque Command that Redshift runs: first words -> what to do.
COMMANDS = ("LOCK", "CREATE USER", "ALTER USER", "DROP USER", "CREATE GROUP", "ALTER GROUP", "DROP GROUP", "GRANT",
            "SHOW")

# Redshift-only parts of a CREATE TABLE that PostgreSQL has no use for (dropped), and the
# constraints Redshift declares but never enforces ("informational only", r_CREATE_TABLE_NEW.html).
_DROPPED_PROPERTIES = (exp.DistStyleProperty, exp.DistKeyProperty, exp.SortKeyProperty, exp.BackupProperty,
                       exp.EncodeProperty)
_INFORMATIONAL = (exp.PrimaryKey, exp.ForeignKey, exp.UniqueColumnConstraint, exp.PrimaryKeyColumnConstraint,
                  exp.Reference, exp.EncodeColumnConstraint)
_TRANSACTION = re.compile(r"^\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT)\b"
                          r"(\s+(WORK|TRANSACTION))?\s*;?\s*$", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z_]+")


@dataclass
class Statement:
    """One statement as the rehearsal runs it: ``kind`` is ``sql`` (``text`` for
    psycopg2 with ``%(name)s`` parameters), ``copy`` (``tree`` is the COPY),
    ``command`` (``text`` as given), ``transaction`` (BEGIN/COMMIT/...) or
    ``truncate``; ``error``: why Redshift would refuse it (run as FAILED)."""

    source: str
    kind: str = "sql"
    text: str = ""
    tree: exp.Expression | None = None
    names: set[str] = field(default_factory=set)
    error: str = ""


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql).strip()


def parse(sql: str) -> Statement:
    """``sql`` (one statement) parsed, checked and translated. Never raises for
    SQL Redshift would refuse: the statement carries the error instead (the Data
    API reports it as a FAILED statement). Raises :class:`ParameterError` for
    positional parameters (``?``, ``$1``) and other placeholders (``%(name)s``):
    the Data API takes ``:name`` only."""
    body = _strip_comments(sql)
    if _TRANSACTION.match(body):
        return Statement(sql, "transaction", body.rstrip(";"))
    try:
        trees = [e for e in sqlglot.parse(sql, read=semantics.RedshiftDialect, error_level=ErrorLevel.RAISE) if e is not None]
    except (ParseError, sqlglot.errors.TokenError) as exc:
        try:
            why = refusals.refused_call(sql)
        except sqlglot.errors.TokenError:
            why = ""
        return Statement(sql, error=why or _syntax_error(exc, sql))
    if len(trees) != 1:
        raise ParameterError(f"ExecuteStatement runs a single SQL statement; this text holds {len(trees)}")
    tree = trees[0]
    _refuse_positional(tree)
    names = {p.this for p in tree.find_all(exp.Placeholder)}  # each a :name (the others are refused above)
    if isinstance(tree, exp.Command) and str(tree.this).upper() == "VACUUM":
        return _vacuum(sql, body, names)
    if isinstance(tree, exp.Command):
        words = " ".join(_WORDS.findall(f"{tree.this} {tree.expression or ''}".upper())[:2])
        if not any(words.startswith(c) for c in COMMANDS):
            return Statement(sql, error=f'ERROR: syntax error at or near "{tree.this}" (the rehearsal parses '
                                        "SQL as Redshift with sqlglot, which cannot read this statement)")
        return Statement(sql, "command", body.rstrip(";"), tree, names)
    why = refusals.refused(sql, tree)
    if why:
        return Statement(sql, tree=tree, names=names, error=why)
    if isinstance(tree, exp.Copy):
        return Statement(sql, "copy", tree=tree, names=names)
    try:
        semantics.check_types(tree)
        text = postgres(tree)
    except Refused as exc:
        return Statement(sql, tree=tree, names=names, error=str(exc))
    return Statement(sql, "truncate" if isinstance(tree, exp.TruncateTable) else "sql", text, tree, names)


_VACUUM = re.compile(r"^\s*VACUUM(?:\s+(?:FULL|SORT\s+ONLY|DELETE\s+ONLY|REINDEX|RECLUSTER))?"
                     r"(?:\s+(?P<table>(?:\"[^\"]+\"|[A-Za-z_][\w$]*)(?:\.(?:\"[^\"]+\"|[A-Za-z_][\w$]*))?))?"
                     r"(?:\s+TO\s+\d{1,3}\s+PERCENT)?(?:\s+BOOST)?\s*;?\s*$", re.IGNORECASE)


def _vacuum(sql: str, body: str, names: set[str]) -> Statement:
    """``VACUUM [FULL | SORT ONLY | DELETE ONLY | REINDEX | RECLUSTER] [table [TO n PERCENT] [BOOST]]``
    [DG r_VACUUM_command.html] runs as PostgreSQL's plain ``VACUUM [table]`` (it reclaims space
    there too; sorting has no meaning on PostgreSQL). "You can't run VACUUM within a transaction
    block (BEGIN ... END)" (same page): in a batch PostgreSQL refuses it the same way,
    ``VACUUM cannot run inside a transaction block``."""
    found = _VACUUM.match(body)
    if not found:
        return Statement(sql, error=f'ERROR: syntax error at or near "{body.split()[-1]}"')
    table = found.group("table")
    return Statement(sql, "sql", f"VACUUM {table}" if table else "VACUUM", None, names)


def _refuse_positional(tree: exp.Expression) -> None:
    """Every placeholder but ``:name`` (whose name sqlglot keeps as a string): ``?``, ``%s`` (no name),
    ``$1``, ``@x`` (a Parameter), psycopg2's ``%(name)s`` left unconverted (an Identifier)."""
    for node in tree.find_all(exp.Placeholder, exp.Parameter):
        if isinstance(node, exp.Parameter) or not isinstance(node.this, str):
            raise ParameterError("the Data API takes named parameters (:name) only, not positional ones or "
                                 f"other placeholders ({node.sql('redshift')})")


def _syntax_error(exc: Exception, sql: str) -> str:
    errors = getattr(exc, "errors", None) or [{}]
    near = (errors[0].get("highlight") or "").strip() or sql.strip().split()[-1] if sql.strip() else ""
    return f'ERROR: syntax error at or near "{near}"'


def postgres(tree: exp.Expression) -> str:
    """``tree`` (Redshift) as PostgreSQL text for psycopg2: distribution, sort keys
    and ENCODE dropped, keys and uniqueness not enforced, IDENTITY kept as an
    identity, Redshift's types and results made explicit (:mod:`.semantics`),
    ``:name`` -> ``CAST(%(name)s AS VARCHAR)`` (:func:`bind`) and every other ``%`` doubled."""
    tree = semantics.rewrite(tree.copy())
    for node in list(tree.find_all(*_DROPPED_PROPERTIES, *_INFORMATIONAL)):  # a column's own, its constraint too
        (node.parent if isinstance(node.parent, exp.ColumnConstraint) else node).pop()
    for node in tree.find_all(exp.GeneratedAsIdentityColumnConstraint):
        _identity(node)
    marks: dict[str, str] = {}
    for node in list(tree.find_all(exp.Placeholder)):
        mark = f"rehearsal_param_{secrets.token_hex(6)}"
        marks[mark] = f"CAST(%({node.this})s AS VARCHAR)"
        node.replace(exp.column(mark))
    text = tree.sql("postgres").replace("%", "%%")
    for mark, placeholder in marks.items():
        text = text.replace(mark, placeholder)
    return text


def _identity(node: exp.GeneratedAsIdentityColumnConstraint) -> None:
    """Redshift's IDENTITY(seed, step) generates every value (GENERATED ALWAYS: an INSERT may not
    give one); GENERATED BY DEFAULT AS IDENTITY(seed, step) takes a given value. The values "start
    with the value specified as seed and increment by the number specified as step" [DG
    r_CREATE_TABLE_NEW.html], either sign: the PostgreSQL sequence's bound on the seed's side is the
    seed (its defaults, MINVALUE 1 ascending and MAXVALUE -1 descending, refuse a seed beyond them)."""
    by_default = "on_null" in node.args  # sqlglot keeps the BY DEFAULT spelling apart only this way
    node.set("this", not by_default)
    start, step = node.args["start"], node.args["increment"]  # both there: refusals.py refuses an identity without
    if start.is_int and step.is_int:
        node.set("minvalue" if step.to_py() > 0 else "maxvalue", exp.Literal.number(start.to_py()))


def bind(names: set[str], parameters: list[dict[str, str]]) -> dict[str, str]:
    """The psycopg2 parameters of a statement that uses ``names``; raises
    :class:`ParameterError` for a name the request does not give.

    Each value is a VARCHAR where the SQL names it (:func:`postgres` writes
    ``CAST(%(name)s AS VARCHAR)``): the Data API takes every parameter as a string
    (``SqlParameter.value``: String [API SqlParameter]) and "follows the rule of the JDBC
    PreparedStatement" [GUIDE], whose ``setString`` binds a VARCHAR. So ``:x + 1`` fails
    (no VARCHAR + INTEGER), and so does an uncast ``:pid`` stored in an INTEGER column
    or compared with one: the strictest reading (unconfirmed: AWS does not say how
    Redshift types a parameter the SQL does not cast). Write ``CAST(:x AS type)``."""
    given = {p["name"]: p["value"] for p in parameters}
    missing = sorted(names - set(given))
    if missing:
        raise ParameterError(f"no value for parameter(s) {', '.join(':' + m for m in missing)} used in the SQL")
    return {n: given[n] for n in names}
