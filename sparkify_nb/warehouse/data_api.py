"""SQL over the Redshift Data API, behind the small DB-API-like surface the
stages use (``cursor()``, ``execute(sql, params)``, ``fetchone()``,
``fetchall()``, ``description``, ``rowcount``, ``commit()``, ``rollback()``,
``close()``), so the SQL files do not know whether psycopg2 or the Data API
runs them.

What is transactional (read this before relying on ``rollback``):

- A statement that returns nothing (DDL, DELETE, INSERT, COPY, CREATE TEMP
  TABLE) is *buffered* by ``execute``; nothing reaches Redshift yet.
- ``commit()`` sends the buffered statements as **one**
  ``BatchExecuteStatement`` (one ``ExecuteStatement`` when there is only one).
  AWS runs a batch "as a single transaction ... If any SQL statement fails,
  all work is rolled back" (API reference, ``Sqls``:
  https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_BatchExecuteStatement.html).
  So a transform's temp tables live inside its batch, and a failed batch
  leaves the warehouse as it was.
- A statement that returns rows (``SELECT`` / ``WITH``) runs at once, as the
  last statement of a batch with whatever is buffered before it; that batch
  commits when it succeeds. ``rollback()`` after it cannot undo it:
  ``rollback()`` only discards statements still buffered. (The stages never
  read in the middle of work they may still roll back, except the COPY, whose
  ``DELETE`` + ``COPY`` + ``SELECT pg_last_copy_count()`` is one batch, hence
  one transaction, exactly what it needs.)
- :meth:`DataApiConnection.run_queries` sends several statements, SELECTs
  anywhere among them, as one batch and reads the rows of each SELECT
  (``Id:N``): 03's transform reads its counts before and after in its own
  batch, 04 asks its questions in one (``warehouse.query_many``).
- A batch holds at most 40 statements (the ``Sqls`` limit); more raises
  :class:`WarehouseError` rather than splitting the transaction.

Every call after the first passes the ``SessionId`` the first call returned
(the first asks for ``SessionKeepAliveSeconds``), so the calls of one
connection share one database session: ``pg_last_copy_id()`` and
``pg_backend_pid()`` after a COPY see that COPY. A session lives
``keep_alive_s`` after each statement (at most 24 hours: "After 24 hours, the
session is forced closed", ``SessionKeepAliveSeconds`` in the API reference
https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_ExecuteStatement.html).
The default, :data:`KEEP_ALIVE_S` (5 minutes), covers the gaps between the
statements of one step; a connection idle longer gets a new session (below),
and an idle session does not hold a connection of the cluster for an hour
(each session holds a database connection while it lives, and the Data API
caps active sessions: ``ActiveSessionsExceededException`` in its service model).
Not confirmed by an AWS sentence: that a call with ``SessionId`` must leave
out ``ClusterIdentifier`` / ``WorkgroupName`` / ``Database`` (it does here,
as the session already names them).

A session that has ended (its keep-alive passed: a notebook left open over
lunch) refuses every later call: ``ValidationException: Session is not
available`` (the wording AWS Support gave,
https://github.com/awslabs/mcp/issues/4587). When the refused call holds only
the statement being run, nothing of the old session is lost, so a new session
is opened and the statement sent again, saying so through ``progress``. When
it also holds buffered statements, they belong to work begun in the old
session: the call fails, naming the cause, with nothing of it run (the next
call opens a new session).

Credentials: IAM temporary credentials, never a secret. Provisioned:
``ClusterIdentifier`` + ``Database`` + ``DbUser`` (the Data API calls
``redshift:GetClusterCredentials`` for you); Serverless: ``WorkgroupName`` +
``Database`` (``redshift-serverless:GetCredentials``), per the
authorization list of ExecuteStatement (URL above).

Parameters: the SQL files use psycopg2's ``%(name)s``; here they become
``:name`` with ``Parameters=[{"name": ..., "value": ...}]``, values as text
("Amazon Redshift implicitly converts to the proper data type",
https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_SqlParameter.html).
A ``SqlParameter`` value is required and at least one character long, so
``None`` cannot be sent as a parameter: it is written into the statement as
the keyword ``NULL`` (and an empty string as ``''``). Result fields say NULL
with ``isNull`` (``Field`` shape); they come back as ``None``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Sequence

from botocore.exceptions import ClientError

from .. import Progress
from . import data_api_calls
from .data_api_calls import Poll  # noqa: F401 - how a connection waits, part of its interface
from .errors import WarehouseError

MAX_BATCH = 40  # BatchExecuteStatement Sqls: 1..40 items (service model)
KEEP_ALIVE_S = 300  # SessionKeepAliveSeconds of a connection's session (module docstring)
DONE = ("FINISHED", "FAILED", "ABORTED")
_NAMED = re.compile(r"%\(([0-9A-Za-z_]+)\)s")
_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|SHOW)\b", re.IGNORECASE)


def first_line(sql: str) -> str:
    """The first non-blank line of ``sql`` (at most 120 characters): how errors name a statement."""
    return next((line.strip() for line in sql.splitlines() if line.strip()), "")[:120]


def returns_rows(sql: str) -> bool:
    """True for a statement whose rows the caller will fetch (SELECT, WITH, SHOW),
    leading ``--`` comment lines skipped."""
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return bool(_RETURNS_ROWS.match(body))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, int, float, Decimal)):
        return str(value)
    if isinstance(value, str):
        return value
    raise WarehouseError(f"cannot send a {type(value).__name__} as a Data API parameter")


def convert(sql: str, params: dict[str, Any] | Sequence[Any] | None) -> tuple[str, list[dict[str, str]]]:
    """psycopg2 ``%(name)s`` -> Data API ``:name`` plus its ``Parameters``.

    Only parameters the text uses are sent (a batch refuses unused ones).
    ``None`` becomes ``NULL`` and ``""`` becomes ``''`` in the text (a
    parameter value must be at least one character). ``%%`` becomes ``%``.
    Raises :class:`WarehouseError` for positional ``%s`` parameters or a name
    the SQL uses but ``params`` lacks.

    >>> convert("SELECT 1 WHERE a = %(a)s AND (%(b)s IS NULL OR b > %(b)s)", {"a": 3, "b": None})
    ('SELECT 1 WHERE a = :a AND (NULL IS NULL OR b > NULL)', [{'name': 'a', 'value': '3'}])
    """
    if params is not None and not isinstance(params, dict):
        raise WarehouseError(f"{first_line(sql)}: the Data API takes named parameters %(name)s, not positional ones")
    params = params or {}
    sent: dict[str, str] = {}

    def place(match: re.Match) -> str:
        name = match.group(1)
        if name not in params:
            raise WarehouseError(f"{first_line(sql)}: no value for parameter {name!r}")
        value = params[name]
        if value is None:
            return "NULL"
        if value == "":
            return "''"
        sent[name] = _text(value)
        return f":{name}"

    text = _NAMED.sub(place, sql) if params or _NAMED.search(sql) else sql
    if params:
        text = text.replace("%%", "%")
    return text, [{"name": k, "value": v} for k, v in sent.items()]


_TYPED: dict[str, Callable[[str], Any]] = {
    "timestamp": datetime.fromisoformat, "date": date.fromisoformat, "numeric": Decimal, "decimal": Decimal,
}


def field_value(field: dict[str, Any], type_name: str = "") -> Any:
    """One result ``Field`` as a Python value: ``isNull`` -> None, numbers and
    booleans as they are, text of a timestamp/date/numeric column as
    ``datetime`` / ``date`` / ``Decimal`` (what psycopg2 gives), other text as str."""
    if field.get("isNull"):
        return None
    for key in ("longValue", "doubleValue", "booleanValue", "blobValue"):
        if key in field:
            return field[key]
    text = field.get("stringValue")
    convert_text = _TYPED.get(type_name.lower())
    return convert_text(text) if convert_text and text is not None else text


class DataApiCursor:
    """The cursor of a :class:`DataApiConnection` (see the module docstring)."""

    def __init__(self, conn: "DataApiConnection"):
        self.connection = conn
        self.description: tuple[tuple[Any, ...], ...] | None = None
        self.rowcount = -1
        self._rows: list[tuple[Any, ...]] = []

    def __enter__(self) -> "DataApiCursor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Buffer ``sql`` or, when it returns rows, run it with what is buffered (one batch)."""
        text, parameters = convert(sql, params)
        self.description, self._rows, self.rowcount = None, [], -1
        if not returns_rows(sql):
            self.connection._pending.append((sql, text, parameters))
            return
        columns, self._rows = self.connection._run_with_pending(sql, text, parameters)
        self.description = tuple((c.get("name") or c.get("label"), c.get("typeName"), None, None, None, None, None)
                                 for c in columns)
        self.rowcount = len(self._rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        self._rows = []


class DataApiConnection:
    """A connection-like object over the Redshift Data API (module docstring:
    what is transactional). ``target``: ``{"ClusterIdentifier", "Database",
    "DbUser"}`` (provisioned) or ``{"WorkgroupName", "Database"}`` (Serverless).

    Statements that run longer than ``poll.report_every_s`` show their status
    and elapsed seconds through ``progress``. A FAILED or ABORTED statement
    raises :class:`WarehouseError` naming its first line and the Data API's error.

    Example::

        >>> conn = DataApiConnection(clients("redshift-data"),          # doctest: +SKIP
        ...                          {"WorkgroupName": "sparkify-dwh", "Database": "sparkify"})
        >>> warehouse.query(conn, "SELECT 1 AS one")                     # doctest: +SKIP
    """

    def __init__(self, client: Any, target: dict[str, str], *, progress: Progress = print,
                 keep_alive_s: int = KEEP_ALIVE_S, poll: Poll | None = None):
        self.client, self.target, self.progress = client, dict(target), progress
        self.keep_alive_s, self.poll = keep_alive_s, poll or Poll()
        self.session_id: str | None = None
        self.closed = False
        self._pending: list[tuple[str, str, list[dict[str, str]]]] = []

    def cursor(self) -> DataApiCursor:
        if self.closed:
            raise WarehouseError("the Data API connection is closed")
        return DataApiCursor(self)

    def commit(self) -> None:
        """Run the buffered statements as one batch (one transaction); nothing buffered: nothing sent."""
        if self._pending:
            pending, self._pending = self._pending, []
            self._run(pending)

    def rollback(self) -> None:
        """Discard the statements still buffered (what already ran has committed)."""
        self._pending = []

    def close(self) -> None:
        """Discard what is buffered; the session itself ends ``keep_alive_s`` after its last statement."""
        self._pending = []
        self.closed = True

    def _run_with_pending(self, sql: str, text: str, parameters: list[dict[str, str]]) -> tuple[list, list]:
        buffered = bool(self._pending)
        pending, self._pending = self._pending + [(sql, text, parameters)], []
        result_id = self._run(pending, buffered=buffered)
        return self._fetch(result_id)

    def run_queries(self, queries: Sequence[tuple[str, dict[str, Any] | None]]) -> list[Any]:
        """Run ``queries`` (``(sql, params)``) after whatever is buffered, as **one**
        BatchExecuteStatement (one ExecuteStatement for one), and return each SELECT's
        ``(columns, rows)`` (None for a statement that returns none), one GetStatementResult
        per SELECT (a batch's statements keep their results, ``Id:N``: DescribeStatement in
        the API reference,
        https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_DescribeStatement.html).
        The batch is one transaction; it holds at most :data:`MAX_BATCH` statements."""
        converted = [(sql, *convert(sql, params)) for sql, params in queries]
        buffered = bool(self._pending)
        pending, self._pending = self._pending + converted, []
        described = self._run(pending, buffered=buffered, whole=True)
        subs = (described.get("SubStatements") or [described])[len(pending) - len(converted):]
        return [self._fetch(sub["Id"]) if returns_rows(sql) else None for (sql, _, _), sub in zip(converted, subs)]

    def _session_args(self) -> dict[str, Any]:
        if self.session_id:
            return {"SessionId": self.session_id}
        return {**self.target, "SessionKeepAliveSeconds": self.keep_alive_s}

    def _run(self, statements: list[tuple[str, str, list[dict[str, str]]]], buffered: bool = True,
             whole: bool = False) -> Any:
        """Submit ``statements`` (one call), wait for them; return the id whose result is the last statement's
        (``whole``: the DescribeStatement answer itself). ``buffered``: the call holds statements buffered by
        earlier ``execute`` calls (module docstring: an ended session)."""
        if len(statements) > MAX_BATCH:
            raise WarehouseError(f"{first_line(statements[0][0])}: {len(statements)} statements in one transaction; "
                                 f"the Data API runs at most {MAX_BATCH} in a batch")
        parameters = _merge([p for _, _, p in statements], statements[0][0])
        try:
            response = self._submit(statements, parameters)
        except ClientError as exc:
            if not (self.session_id and _session_ended(exc)):
                raise _refused(exc, statements) from None
            ended, self.session_id = self.session_id, None
            if buffered:
                raise WarehouseError(
                    f"{first_line(statements[0][0])}: the Data API session {ended} has ended (more than its "
                    f"keep-alive of {self.keep_alive_s} s passed since its last statement) with "
                    f"{len(statements)} statement(s) of work begun in it buffered: none of them ran. Run the step "
                    "again (it opens a new session)") from None
            self.progress(f"the Data API session {ended} had ended (no statement for more than its keep-alive of "
                          f"{self.keep_alive_s} s); a new session is opened")
            try:
                response = self._submit(statements, parameters)
            except ClientError as again:
                raise _refused(again, statements) from None
        self.session_id = response.get("SessionId") or self.session_id
        described = self._wait(response["Id"], statements)
        if whole:
            return described
        subs = described.get("SubStatements") or []
        return subs[-1]["Id"] if subs else described["Id"]

    def _submit(self, statements: list[tuple[str, str, list]], parameters: list[dict[str, str]]) -> dict[str, Any]:
        """One ExecuteStatement (one statement) or BatchExecuteStatement, in this connection's session."""
        args = self._session_args()
        if parameters:
            args["Parameters"] = parameters
        if len(statements) == 1:
            data_api_calls.count("ExecuteStatement", 1)
            return self.client.execute_statement(Sql=statements[0][1], **args)
        data_api_calls.count("BatchExecuteStatement", len(statements))
        return self.client.batch_execute_statement(Sqls=[t for _, t, _ in statements], **args)

    def _wait(self, statement_id: str, statements: list[tuple[str, str, list]]) -> dict[str, Any]:
        """Poll DescribeStatement until FINISHED (returned), FAILED or ABORTED (raised)."""
        started, pause, shown = self.poll.clock(), self.poll.first_s, 0.0
        label = first_line(statements[-1][0])
        while True:
            self.poll.sleep(self.poll.pause(pause))  # first: a statement just submitted is not done yet
            pause = min(pause * 2, self.poll.max_s)
            data_api_calls.count("DescribeStatement")
            described = self.client.describe_statement(Id=statement_id)
            status, elapsed = described["Status"], self.poll.clock() - started
            if status in DONE:
                break
            if elapsed - shown >= self.poll.report_every_s:
                self.progress(f"{label}: {status} after {elapsed:.0f} s")
                shown = elapsed
        if status != "FINISHED":
            raise WarehouseError(_failure(described, statements))
        if elapsed >= self.poll.report_every_s:
            self.progress(f"{label}: finished after {elapsed:.0f} s")
        return described

    def _fetch(self, result_id: str) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
        """Every row of ``result_id``, following NextToken."""
        columns: list[dict[str, Any]] = []
        rows: list[tuple[Any, ...]] = []
        args: dict[str, Any] = {"Id": result_id}
        while True:
            data_api_calls.count("GetStatementResult")
            page = self.client.get_statement_result(**args)
            columns = columns or page.get("ColumnMetadata", [])
            types = [c.get("typeName", "") for c in columns]
            rows += [tuple(field_value(f, t) for f, t in zip(record, types)) for record in page.get("Records", [])]
            if not page.get("NextToken"):
                return columns, rows
            args["NextToken"] = page["NextToken"]


def _session_ended(exc: ClientError) -> bool:
    """True when AWS refused a call because its session is no longer available (module docstring)."""
    error = exc.response.get("Error", {})
    return error.get("Code") == "ValidationException" and "session is not available" in error.get("Message", "").lower()


def _refused(exc: ClientError, statements: list[tuple[str, str, list]]) -> WarehouseError:
    """The error of a call AWS refused: the first statement's first line, the AWS error code and message."""
    error = exc.response.get("Error", {})
    return WarehouseError(f"{first_line(statements[0][0])}: {error.get('Code', '')}: "
                          f"{error.get('Message', '')}".rstrip(": "))


def _merge(parameter_lists: list[list[dict[str, str]]], sql: str) -> list[dict[str, str]]:
    """One ``Parameters`` list for a batch (shared by its statements); a name
    bound to two different values raises :class:`WarehouseError`."""
    merged: dict[str, str] = {}
    for parameters in parameter_lists:
        for p in parameters:
            if merged.setdefault(p["name"], p["value"]) != p["value"]:
                raise WarehouseError(f"{first_line(sql)}: parameter {p['name']!r} has two values in one batch")
    return [{"name": k, "value": v} for k, v in merged.items()]


def _failure(described: dict[str, Any], statements: list[tuple[str, str, list]]) -> str:
    """The message of a failed statement or batch: the failing statement's first line and the Data API error."""
    for index, sub in enumerate(described.get("SubStatements") or []):
        if sub.get("Status") in ("FAILED", "ABORTED"):
            return (f"{first_line(statements[index][0])}: {sub.get('Status')}: {sub.get('Error') or described.get('Error', '')}"
                    f" (statement {index + 1} of {len(statements)}; the batch was rolled back)")
    return f"{first_line(statements[-1][0])}: {described['Status']}: {described.get('Error', '')}".rstrip(": ")
