"""Connections to the warehouse and running SQL on them.

The one seam between targets: on ``local`` the connection goes to the
embedded PostgreSQL (or the one named by ``[local] dsn`` / ``SPARKIFY_DSN``);
on ``redshift`` to the cluster recorded by 01, with IAM temporary
credentials (``GetClusterCredentials``; ``GetCredentials`` for Redshift
Serverless) and ``sslmode=require``, or the
``SPARKIFY_DB_PASSWORD`` environment variable as fallback. No password is
ever printed, logged or put into an exception message.

Example::

    >>> from sparkify_nb import config, warehouse
    >>> settings = config.load()
    >>> with warehouse.connection(settings) as conn:       # doctest: +SKIP
    ...     warehouse.run(conn, ["SELECT 1"])
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import pandas as pd
import psycopg2

from .. import SparkifyError, aws, config, local
from ..config import Settings
from ..infra import state

log = logging.getLogger(__name__)
SQL_DIR = Path(__file__).resolve().parent / "sql"


class WarehouseError(SparkifyError):
    """A statement failed; the message names the statement (never a credential)."""


def dialect(settings: Settings) -> str:
    """``redshift`` or ``postgres``: which DDL and COPY path the target needs."""
    return "postgres" if settings.is_local else "redshift"


def _redshift_params(settings: Settings, clients: aws.Clients | None = None) -> dict[str, Any]:
    record = state.load(settings, required=True)
    if not record.get("endpoint"):
        raise state.StateError("01 recorded no cluster endpoint yet: re-run notebooks/01_infrastructure")
    params = {"host": record["endpoint"], "port": record.get("port") or settings.get("cluster", "port"),
              "dbname": settings.get("cluster", "db_name"), "sslmode": "require", "connect_timeout": 15}
    password = config.db_password()
    if password:
        params.update(user=settings.get("cluster", "db_user"), password=password)
        return params
    clients = clients or aws.Clients(settings)
    if record.get("kind") == "serverless":
        creds = aws.call(clients("redshift-serverless"), "get_credentials",
                         workgroupName=record["workgroup_name"], dbName=params["dbname"], durationSeconds=3600)
        params.update(user=creds["dbUser"], password=creds["dbPassword"])
        return params
    creds = aws.call(clients("redshift"), "get_cluster_credentials",
                     DbUser=settings.get("cluster", "db_user"), DbName=params["dbname"],
                     ClusterIdentifier=record["cluster_identifier"], DurationSeconds=3600, AutoCreate=False)
    params.update(user=creds["DbUser"], password=creds["DbPassword"])
    return params


def open_connection(settings: Settings) -> Any:
    """A new psycopg2 connection to the target's warehouse (caller closes it)."""
    try:
        if settings.is_local:
            return psycopg2.connect(local.dsn(), connect_timeout=10)
        return psycopg2.connect(**_redshift_params(settings))
    except psycopg2.OperationalError as exc:
        # psycopg2 messages name host and user, never the password.
        raise WarehouseError(f"cannot connect to the {settings.target} warehouse: {str(exc).strip()}") from None


@contextmanager
def connection(settings: Settings) -> Iterator[Any]:
    """Context manager around :func:`open_connection` that always closes."""
    conn = open_connection(settings)
    try:
        yield conn
    finally:
        conn.close()


def run(conn: Any, statements: Sequence[str], label: str = "") -> float:
    """Run ``statements`` in one transaction: all commit or none. Returns seconds.

    Raises :class:`WarehouseError` naming the first line of the failing statement."""
    t0 = time.monotonic()
    try:
        with conn.cursor() as cur:
            for sql in statements:
                try:
                    cur.execute(sql)
                except psycopg2.Error as exc:
                    head = sql.strip().splitlines()[0][:120]
                    raise WarehouseError(f"{label + ': ' if label else ''}{head}: {str(exc).strip()}") from None
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return time.monotonic() - t0


def query(conn: Any, sql: str, params: Any = None) -> pd.DataFrame:
    """Run a SELECT and return its rows as a DataFrame (read-only, no commit)."""
    with conn.cursor() as cur:
        try:
            cur.execute(sql, params)
        except psycopg2.Error as exc:
            conn.rollback()
            raise WarehouseError(f"{sql.strip().splitlines()[0][:120]}: {str(exc).strip()}") from None
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
    conn.rollback()
    return pd.DataFrame(rows, columns=columns)


def sql_text(folder: Path, name: str) -> str:
    """The text of ``<folder>/<name>.sql``: each stage package keeps its SQL
    files in its own ``sql/`` folder. Raises :class:`WarehouseError` when missing."""
    path = Path(folder) / f"{name}.sql"
    if not path.is_file():
        raise WarehouseError(f"no SQL file {name}.sql in {path.parent.name}/ of the package")
    return path.read_text()


def split_sql(text: str) -> list[str]:
    """Statements of a .sql file separated by ``;`` at a line end (our files
    keep semicolons out of string literals)."""
    parts, current = [], []
    for line in text.splitlines():
        if line.strip().startswith("--") and not current:
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            parts.append("\n".join(current).rstrip().rstrip(";"))
            current = []
    tail = "\n".join(current).strip()
    if tail:
        parts.append(tail)
    return [p for p in parts if p.strip()]


def table_counts(conn: Any, tables: Sequence[str]) -> pd.DataFrame:
    """Row count of each table, in the given order."""
    union = " UNION ALL ".join(f"SELECT '{t}' AS table_name, COUNT(*) AS row_count FROM \"{t}\"" for t in tables)
    frame = query(conn, union)
    frame["row_count"] = frame["row_count"].astype(int)
    return frame.set_index("table_name").loc[list(tables)].reset_index()

