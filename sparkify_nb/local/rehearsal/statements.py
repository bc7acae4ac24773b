"""Statements and batches as the Data API keeps them, and how they run: in
the background (a thread per submission), through SUBMITTED -> PICKED ->
STARTED -> FINISHED | FAILED | ABORTED, a batch as one transaction, results
kept as the Data API's ``Field`` records (the rules and their sources:
:mod:`sparkify_nb.local.rehearsal`)."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2
from psycopg2 import extensions

from . import translate

MAX_ROW_BYTES = 64 * 1024          # "The Data API size limit is 64 KB per row in the result set"
MAX_RESULT_BYTES = 500 * 1024 ** 2  # "The Data API limit is 500 MB in the result set returned by the database" [TROUBLE]
PAGE_BYTES = 1024 ** 2             # one GetStatementResult page at most (unconfirmed: AWS documents no page size)
DONE = ("FINISHED", "FAILED", "ABORTED")
CANCELLED = "ERROR: canceling statement due to user request"  # PostgreSQL's, as a cancelled running query reads

_LONG = {20, 21, 23, 26}
_DOUBLE = {700, 701}
_TYPE_NAMES = {16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2", 23: "int4", 25: "varchar",
               26: "oid", 700: "float4", 701: "float8", 1042: "bpchar", 1043: "varchar", 1082: "date",
               1083: "time", 1114: "timestamp", 1184: "timestamptz", 1700: "numeric"}


class Failed(Exception):
    """A statement failed; ``str()`` is its Data API ``Error``."""


def now() -> float:
    return time.time()


@dataclass
class Sub:
    """One SQL statement of a submission (the only one of an ExecuteStatement)."""

    id: str
    sql: str
    parsed: translate.Statement
    params: dict[str, str] = field(default_factory=dict)
    status: str = "SUBMITTED"
    created: float = field(default_factory=now)
    updated: float = field(default_factory=now)
    started: float = 0.0
    error: str = ""
    query_id: int = -1
    has_result: bool = False
    result_rows: int = -1
    result_size: int = -1
    columns: list[dict[str, Any]] = field(default_factory=list)
    records: list[list[dict[str, Any]]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)  # the index of each page's first record

    def mark(self, status: str, error: str = "") -> None:
        if status == "STARTED":
            self.started = now()
        self.status, self.error, self.updated = status, error or self.error, now()

    @property
    def duration_ns(self) -> int:
        return int((self.updated - self.started) * 1e9) if self.started and self.status in DONE else -1


@dataclass
class Run:
    """One ExecuteStatement or BatchExecuteStatement: its statements, target and state."""

    subs: list[Sub]
    batch: bool
    target: Any
    parameters: list[dict[str, str]]
    session: Any = None
    name: str = ""
    result_format: str = "JSON"
    mode: str = "TRANSACTION"
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: float = field(default_factory=now)
    updated: float = field(default_factory=now)
    status: str = "SUBMITTED"
    error: str = ""
    pid: int = 0
    cancelled: bool = False
    caller: Any = None  # the execute.Caller its statements run as (made on the first)
    owner: str = ""  # the signer's unique id (redshift-data:statement-owner-iam-userid)
    done: threading.Event = field(default_factory=threading.Event)

    def mark(self, status: str, error: str = "") -> None:
        self.status, self.error, self.updated = status, error or self.error, now()
        if status in DONE:
            self.done.set()


def new_run(sqls: list[str], parsed: list[translate.Statement], batch: bool, target: Any,
            parameters: list[dict[str, str]], **fields: Any) -> Run:
    run = Run([], batch, target, parameters, **fields)
    run.subs = [Sub(f"{run.id}:{i + 1}" if batch else run.id, sql, p, translate.bind(p.names, parameters))
                for i, (sql, p) in enumerate(zip(sqls, parsed))]
    return run


def execute(run: Run, runner: Any) -> None:
    """Run ``run`` to its end on its session's connection or a new one (``runner``:
    the endpoint's :class:`~.api.Endpoint`, which opens connections and runs COPY)."""
    conn = None
    try:
        if run.cancelled:
            return _abort_all(run)
        run.mark("PICKED")
        try:
            conn = run.session.conn if run.session else runner.connect(run.target)
        except Failed as exc:
            return _fail(run, run.subs[0], str(exc))
        run.pid = conn.get_backend_pid()
        run.mark("STARTED")
        transaction = run.batch and run.mode == "TRANSACTION"
        if transaction and idle(conn):
            _exec(conn, "BEGIN")
        for index, sub in enumerate(run.subs):
            try:
                if run.cancelled:  # cancelled between statements: no query ran for pg_cancel_backend to interrupt
                    raise Failed(CANCELLED)
                sub.mark("STARTED")
                if sub.parsed.error:
                    raise Failed(sub.parsed.error)
                runner.run_one(conn, run, sub, in_batch=transaction)
            except (Failed, psycopg2.Error) as exc:
                error = str(exc) if isinstance(exc, Failed) else pg_error(exc)
                aborted = run.cancelled or isinstance(exc, psycopg2.extensions.QueryCanceledError)
                if transaction:
                    _exec(conn, "ROLLBACK")  # the batch is one transaction: all or nothing
                runner.after_rollback(conn, run)
                sub.mark("ABORTED" if aborted else "FAILED", error)
                for later in run.subs[index + 1:]:
                    later.mark("ABORTED")
                return run.mark("ABORTED" if aborted else "FAILED", error)
            sub.mark("FINISHED")
            if not transaction:
                runner.after_commit(conn, run)
        if transaction:
            _exec(conn, "COMMIT")
            runner.after_commit(conn, run)
        run.mark("FINISHED")
    except Exception as exc:  # a fault of the endpoint itself: say it, do not hang the caller
        _fail(run, next((s for s in run.subs if s.status not in DONE), run.subs[-1]), f"ERROR: internal: {exc}")
    finally:
        if run.session is not None:
            runner.sessions.release(run.session)
        elif conn is not None:
            conn.close()


def _abort_all(run: Run) -> None:
    for sub in run.subs:
        sub.mark("ABORTED")
    run.mark("ABORTED")


def _fail(run: Run, sub: Sub, error: str) -> None:
    sub.mark("FAILED", error)
    for later in run.subs[run.subs.index(sub) + 1:]:
        later.mark("ABORTED")
    run.mark("FAILED", error)


def idle(conn: Any) -> bool:
    """True when ``conn`` is outside any transaction block."""
    return conn.info.transaction_status == extensions.TRANSACTION_STATUS_IDLE


def _exec(conn: Any, sql: str) -> None:
    with conn.cursor() as cur:
        cur.execute(sql)


_STRING_TYPES = ("character varying", "text", "character", "unknown")
_NUMBER_TYPES = ("smallint", "integer", "bigint", "numeric", "real", "double precision")
_NUMBER_VS_STRING = re.compile(r"operator does not exist: ([a-z ]+?) (=|<>|<|<=|>|>=) ([a-z ]+)")


def pg_error(exc: psycopg2.Error) -> str:
    """A PostgreSQL error as Redshift words it in a Data API ``Error``: ``ERROR: relation "x" does not exist``.
    A number compared with a string that PostgreSQL refuses (no such operator) is said to be one the
    rehearsal does not serve: Redshift converts the number to a string (r_Type_conversion.html; rule 9)."""
    diag = getattr(exc, "diag", None)
    primary = diag.message_primary if diag is not None and diag.message_primary else str(exc).strip().splitlines()[0]
    found = _NUMBER_VS_STRING.fullmatch(primary)
    if found and {found.group(1), found.group(3)} & set(_STRING_TYPES) and \
            {found.group(1), found.group(3)} & set(_NUMBER_TYPES):
        return (f"ERROR: the rehearsal does not serve this comparison of a number with a string yet ({primary}): "
                "Redshift converts the number to a string "
                "(https://docs.aws.amazon.com/redshift/latest/dg/r_Type_conversion.html); the rehearsal does so for "
                "whole number literals within SMALLINT's range only. CAST one side to say which comparison you mean")
    return f"ERROR: {primary}"


def fetch(cur: Any, sub: Sub) -> None:
    """Keep ``cur``'s rows on ``sub`` as Data API records, paged, within the documented size limits."""
    sub.has_result = True
    sub.columns = columns(cur)
    types = [d.type_code for d in cur.description]
    size = page = 0
    sub.pages = [0]
    while True:
        rows = cur.fetchmany(1000)
        if not rows:
            break
        for row in rows:
            record = [field_of(v, t) for v, t in zip(row, types)]
            length = len(json.dumps(record))
            if length > MAX_ROW_BYTES:
                raise Failed("Packet for query is too large: a row of the result is over 64 KB, the Data API's "
                             "limit per row")
            size += length
            if size > MAX_RESULT_BYTES:
                raise Failed("Database response exceeded size limit: the result is over 500 MB, the Data API's "
                             "limit")
            if page + length > PAGE_BYTES and page:
                sub.pages.append(len(sub.records))
                page = 0
            page += length
            sub.records.append(record)
    sub.result_rows, sub.result_size = len(sub.records), size


def field_of(value: Any, type_code: int) -> dict[str, Any]:
    """One value as a Data API ``Field``; a TIMESTAMP as JDBC writes one, the fraction without its trailing
    zeros and at least one digit (``2020-08-21 17:33:51.88712``, ``2022-02-22 00:00:00.0``: the examples of
    https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-calling.html), a TIMESTAMPTZ the same and its
    offset, ``+00`` (the session's UTC; the form is unconfirmed)."""
    if value is None:
        return {"isNull": True}
    if type_code == 16:
        return {"booleanValue": bool(value)}
    if type_code in _LONG:
        return {"longValue": int(value)}
    if type_code in _DOUBLE and value == value and abs(value) != float("inf"):
        return {"doubleValue": float(value)}
    if type_code == 17:
        return {"blobValue": base64.b64encode(bytes(value)).decode()}
    if type_code in (1114, 1184) and isinstance(value, datetime):
        text = f"{value:%Y-%m-%d %H:%M:%S}.{f'{value.microsecond:06d}'.rstrip('0') or '0'}"
        return {"stringValue": text + ("+00" if type_code == 1184 else "")}
    return {"stringValue": str(value)}


# The JDBC precision and scale of a type without a modifier: int2, int4, int8, timestamp as in
# data-api-calling.html's example (10, 19, 29 and 6); the others as PostgreSQL's JDBC driver gives them
# (unconfirmed for Redshift's)
_PRECISION = {16: (1, 0), 20: (19, 0), 21: (5, 0), 23: (10, 0), 26: (10, 0), 700: (8, 8), 701: (17, 17),
              1082: (13, 0), 1083: (15, 6), 1114: (29, 6), 1184: (35, 6)}
_UNBOUNDED = 2147483647  # a string type without a length (DescribeTable's example in data-api-calling.html)
_STRINGS = {18, 19, 25, 1042, 1043}


def columns(cur: Any) -> list[dict[str, Any]]:
    """GetStatementResult's ``ColumnMetadata`` of ``cur``'s result, shaped as AWS's example in
    https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-calling.html: ``typeName`` (``int4``,
    ``bpchar``, ``timestamp``), ``precision`` (a CHAR/VARCHAR's length, a number's digits), ``scale``,
    ``isSigned`` (number types), ``isCaseSensitive`` (string types), ``length`` 0, ``label`` = ``name``,
    ``schemaName`` "" and ``tableName`` the table a column comes from ("" for a computed one) as the
    example shows (``stll_query``, the table behind ``stl_query``), ``nullable`` 0 for a NOT NULL
    column of a table, else 1 (1 for a computed column is unconfirmed)."""
    keys = {(d.table_oid, d.table_column) for d in cur.description if d.table_oid}
    found: dict[tuple[int, int], tuple[str, bool, int]] = {}
    if keys:
        with cur.connection.cursor() as meta:
            meta.execute("SELECT a.attrelid, a.attnum, c.relname, a.attnotnull, a.atttypmod FROM pg_attribute a "
                         "JOIN pg_class c ON c.oid = a.attrelid WHERE (a.attrelid, a.attnum) IN %s", (tuple(keys),))
            found = {(r[0], r[1]): (r[2], r[3], r[4]) for r in meta.fetchall()}
    return [_column(d, found.get((d.table_oid, d.table_column))) for d in cur.description]


def _column(d: Any, table: tuple[str, bool, int] | None) -> dict[str, Any]:
    code = d.type_code
    type_name = _TYPE_NAMES.get(code, "varchar")
    typmod = table[2] if table else -1
    if code in _STRINGS:
        precision, scale = (typmod - 4 if typmod >= 4 else d.internal_size if (d.internal_size or 0) > 0
                            else _UNBOUNDED), 0
    elif code == 1700:
        precision, scale = (((typmod - 4) >> 16, (typmod - 4) & 0xFFFF) if typmod >= 4
                            else (d.precision or 0, d.scale or 0))
    else:
        precision, scale = _PRECISION.get(code, (0, 0))
    return {"isCaseSensitive": code in _STRINGS, "isCurrency": False,
            "isSigned": code in _LONG | _DOUBLE | {1700}, "label": d.name, "name": d.name,
            "nullable": 0 if table and table[1] else 1, "precision": precision, "scale": scale,
            "schemaName": "", "tableName": table[0] if table else "", "typeName": type_name, "length": 0}


def _token(sub: Sub, number: int) -> str:
    return base64.urlsafe_b64encode(f"{sub.id}/{number}".encode()).decode()


def page(sub: Sub, token: str | None) -> dict[str, Any]:
    """One GetStatementResult page of ``sub``: its first without ``token``, else the page ``token`` names.
    A token is good for the statement that returned it only: any other names no page of it and raises
    ValueError (a ValidationException: the strictest reading, unconfirmed; AWS says what a returned token does,
    not what one it never returned does)."""
    number = 0
    if token:
        issued = {_token(sub, n): n for n in range(1, len(sub.pages))}
        if token not in issued:
            raise ValueError(f"NextToken {token!r} names no page of the result of statement {sub.id}")
        number = issued[token]
    end = sub.pages[number + 1] if number + 1 < len(sub.pages) else len(sub.records)
    out: dict[str, Any] = {"Records": sub.records[sub.pages[number]:end], "ColumnMetadata": sub.columns,
                           "TotalNumRows": len(sub.records)}
    if number + 1 < len(sub.pages):
        out["NextToken"] = _token(sub, number + 1)
    return out


def list_offset(token: str | None) -> int:
    """Where a ListStatements page starts: 0 without a NextToken, else the offset a previous page's token holds
    (always 1 or more). Any other token names no page: ValidationException (AWS documents only what a returned
    token does; refusing the rest is the strictest reading, unconfirmed): ValueError, as :func:`page` raises."""
    if not token:
        return 0
    start = int(base64.urlsafe_b64decode(token.encode()).decode())  # binascii.Error, UnicodeDecodeError: ValueErrors
    if start < 1:
        raise ValueError(token)
    return start


def sub_data(sub: Sub) -> dict[str, Any]:
    """A statement as DescribeStatement and its SubStatements show it."""
    out = {"Id": sub.id, "Status": sub.status, "CreatedAt": sub.created, "UpdatedAt": sub.updated,
           "QueryString": sub.sql, "HasResultSet": sub.has_result, "ResultRows": sub.result_rows,
           "ResultSize": sub.result_size, "RedshiftQueryId": sub.query_id, "Duration": sub.duration_ns}
    if sub.error:
        out["Error"] = sub.error
    return out


def statement_data(run: Run) -> dict[str, Any]:
    """A run as ListStatements shows it."""
    out = {"Id": run.id, "Status": run.status, "CreatedAt": run.created, "UpdatedAt": run.updated,
           "IsBatchStatement": run.batch, "ResultFormat": run.result_format}
    if run.batch:
        out["QueryStrings"] = [s.sql for s in run.subs]
    else:
        out["QueryString"] = run.subs[0].sql
    if run.name:
        out["StatementName"] = run.name
    if run.parameters:
        out["QueryParameters"] = run.parameters
    if run.session is not None:
        out["SessionId"] = run.session.id
    return out
