"""``%sql`` and ``%%sql``: the analysts' own questions as SQL cells, on the
notebook's target, through the connection seam.

    %load_ext sparkify_nb

    %%sql
    SELECT level, COUNT(*) AS plays FROM songplays GROUP BY level

    %%sql paid_by_hour <<
    SELECT CAST(EXTRACT(hour FROM start_time) AS INTEGER) AS hour, COUNT(*) AS plays
    FROM songplays WHERE location = :city AND level = 'paid'
    GROUP BY 1 ORDER BY 1

- **Where it runs**: on the target of the notebook's ``settings`` (the
  :class:`~sparkify_nb.config.Settings` every notebook of the suite makes from
  its parameters; without one, ``config.load()``: ``dwh.cfg`` and the
  environment), over :func:`sparkify_nb.analytics.open_connection`: psycopg2
  on ``local`` and with ``[cluster] access = direct``, the Redshift Data API
  with ``data_api`` (a rehearsal included). One connection per notebook, made
  at the first SQL cell, made again when ``settings`` is another object or the
  connection was lost. ``%sql`` alone says where SQL goes.
- **Python values** enter only as bound parameters: ``:name`` or ``%(name)s``
  takes the notebook variable ``name`` and sends it beside the text (psycopg2's
  parameters, the Data API's ``Parameters``), never formatted into it. Inside
  quotes and comments, and in ``::`` casts, nothing is a parameter.
- **Statements**: a cell may hold several, each ending with ``;`` at a line end
  (:func:`~sparkify_nb.warehouse.connect.split_sql`). They run in order as one
  transaction, committed when every one succeeded and rolled back otherwise
  (on the Data API a statement that returns rows ends a batch:
  :mod:`~sparkify_nb.warehouse.data_api` says what is transactional there).
- **Result**: the rows of the last statement as a pandas DataFrame, shown as a
  table; ``%%sql NAME <<`` keeps it in the notebook variable ``NAME`` instead and
  prints one line saying so; statements without rows print ``done``.
- **Errors** raise :class:`SqlError`, shown as one line: the failing statement's
  first line and the database's message (psycopg2's, or the Data API's), no
  traceback through this package.

Why a magic of our own and not JupySQL (tried: jupysql 0.11.1): handed our
connections (psycopg2's, or :class:`~sparkify_nb.warehouse.data_api.DataApiConnection`)
it treats them as plain DB-API connections, and for those it sends neither
``:name`` nor ``%(name)s`` as bound parameters (only its ``{{name}}`` templates,
which format values into the text); bound parameters need a SQLAlchemy engine,
and no SQLAlchemy dialect speaks the Redshift Data API through our seam.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import pandas as pd
import psycopg2
from IPython.core.magic import Magics, line_cell_magic, magics_class, needs_local_scope

from .. import SparkifyError, config
from ..config import Settings
from ..warehouse import connect as warehouse
from ..warehouse.data_api import DataApiConnection, first_line
from ..warehouse.errors import WarehouseError

_KEEP = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*<<(?P<rest>.*)$", re.DOTALL)
_TOKENS = re.compile(r"""
    (?P<skip>'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|::)   # literals, quoted names, comments, casts
  | :(?P<colon>[A-Za-z_]\w*)                                        # :name
  | %\((?P<named>[A-Za-z_]\w*)\)s                                   # %(name)s
  | (?P<percent>%)                                                  # any other %: doubled for psycopg2
""", re.VERBOSE | re.DOTALL)


class SqlError(WarehouseError):
    """A SQL cell failed; the message names the statement (its first line) and
    says what the database answered. Jupyter shows it as one line, no traceback."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback (the frames would all be this package's).
        return [f"\x1b[0;31mSqlError\x1b[0m: {self}"]


def bind(sql: str, variables: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """``sql`` with its ``:name`` and ``%(name)s`` as psycopg2's ``%(name)s``
    and their values taken from ``variables``; ``None`` for the values when the
    text uses none (then ``sql`` is returned as it is). With parameters, every
    other ``%`` is doubled, as psycopg2 reads ``%`` everywhere in the text.
    Raises :class:`SqlError` naming a parameter no variable answers.

    >>> bind("SELECT '10%', x::int FROM t WHERE a = :a AND b > %(b)s -- :c", {"a": 1, "b": 2})
    ("SELECT '10%%', x::int FROM t WHERE a = %(a)s AND b > %(b)s -- :c", {'a': 1, 'b': 2})
    """
    names = [m.group("colon") or m.group("named") for m in _TOKENS.finditer(sql)
             if m.group("colon") or m.group("named")]
    if not names:
        return sql, None
    missing = [n for n in names if n not in variables]
    if missing:
        raise SqlError(f"{first_line(sql)}: no notebook variable {missing[0]!r} for the parameter :{missing[0]}")

    def place(match: re.Match) -> str:
        if match.group("skip") is not None:
            return match.group("skip").replace("%", "%%")
        name = match.group("colon") or match.group("named")
        return f"%({name})s" if name else "%%"

    return _TOKENS.sub(place, sql), {n: variables[n] for n in names}


def split_keep(line: str, cell: str | None) -> tuple[str | None, str]:
    """The variable of ``NAME <<`` (or None) and the SQL of a magic call:
    ``%sql [NAME <<] SQL`` or ``%%sql [NAME <<]`` with the SQL in the cell."""
    text = line if cell is None else f"{line}\n{cell}"
    match = _KEEP.match(text)
    if match:
        return match.group("name"), match.group("rest").strip()
    return None, text.strip()


def describe(conn: Any) -> str:
    """Where ``conn`` sends SQL, in words, without any secret."""
    if isinstance(conn, DataApiConnection):
        return "Redshift Data API: " + ", ".join(f"{k} {v}" for k, v in conn.target.items())
    info = conn.info
    return f"PostgreSQL protocol: database {info.dbname} as user {info.user} on {info.host}:{info.port}"


def run(conn: Any, sql: str, variables: Mapping[str, Any]) -> pd.DataFrame | None:
    """Run the statements of ``sql`` on ``conn`` as one transaction (see the
    module docstring); return the last statement's rows as a DataFrame, None
    when it returns none. Raises :class:`SqlError` (after rolling back)."""
    statement, frame = sql, None
    try:
        for statement in warehouse.split_sql(sql):
            text, params = bind(statement, variables)
            with conn.cursor() as cur:
                cur.execute(text, params)
                frame = None
                if cur.description is not None:
                    frame = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
        conn.commit()
    except (psycopg2.Error, SparkifyError) as exc:
        _rollback(conn)
        if isinstance(exc, psycopg2.Error):  # the Data API's errors already name the statement
            raise SqlError(f"{first_line(statement)}: {str(exc).strip()}") from None
        raise SqlError(str(exc)) from None
    return frame


def _rollback(conn: Any) -> None:
    try:
        conn.rollback()
    except psycopg2.Error:
        pass  # a connection that is gone has nothing to roll back; the next cell connects again


def _analysts_connection(settings: Settings) -> Any:
    from . import open_connection  # the analysts' door to the warehouse (04 uses it too)

    return open_connection(settings)


def _closed(conn: Any) -> bool:
    return bool(getattr(conn, "closed", False))


@magics_class
class SqlMagics(Magics):
    """The ``%sql`` / ``%%sql`` magics (module docstring). ``connect``: how a
    connection is made from settings (default: ``analytics.open_connection``,
    as 04's own queries; tests pass another)."""

    def __init__(self, shell: Any = None, connect: Callable[[Settings], Any] | None = None):
        super().__init__(shell)
        self.connect = connect or _analysts_connection
        self._conn: Any = None
        self._settings: Settings | None = None
        self._default: Settings | None = None  # config.load(), for a notebook without settings

    def connection(self, variables: Mapping[str, Any]) -> Any:
        """The connection for the notebook's ``settings`` (made or made again when needed)."""
        settings = variables.get("settings")
        if not isinstance(settings, Settings):
            settings = self._default = self._default or config.load()
        if self._conn is None or settings is not self._settings or _closed(self._conn):
            self.close()
            self._conn, self._settings = self.connect(settings), settings
        return self._conn

    def close(self) -> None:
        """Close the connection, if any (the next SQL cell makes a new one)."""
        if self._conn is not None and not _closed(self._conn):
            self._conn.close()
        self._conn = None

    @needs_local_scope
    @line_cell_magic
    def sql(self, line: str, cell: str | None = None, local_ns: dict | None = None) -> pd.DataFrame | None:
        """Run SQL on the notebook's target: ``%sql [NAME <<] SQL`` or
        ``%%sql [NAME <<]`` above the SQL (see :mod:`sparkify_nb.analytics.magic`)."""
        variables = {**self.shell.user_ns, **(local_ns or {})}
        keep, sql = split_keep(line, cell)
        try:
            conn = self.connection(variables)
        except SparkifyError as exc:
            raise SqlError(f"cannot connect: {exc}") from None
        if not sql:
            print(f"SQL cells run on {self._settings.target}: {describe(conn)}")
            return None
        try:
            frame = run(conn, sql, variables)
        except SqlError:
            if _closed(conn):
                self._conn = None
            raise
        if keep is None:
            if frame is None:
                print("done")
            return frame
        if frame is None:
            raise SqlError(f"{first_line(sql)}: returns no rows to keep in {keep} (the statements ran and committed)")
        self.shell.user_ns[keep] = frame
        print(f"{keep}: {len(frame):,} rows x {len(frame.columns)} columns ({', '.join(map(str, frame.columns))})")
        return None


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext sparkify_nb``: register the magics on ``ipython``."""
    ipython.register_magics(SqlMagics(ipython))
