"""The backing store: one PostgreSQL database per rehearsed cluster on the
local stack's server, ``rehearsal_<identifier, - as _>``.

- Made the first time the endpoint serves the cluster, with Redshift's system
  views (``sql/system.sql``) and the cluster's MasterUsername as its owner (a
  superuser, as Redshift's master user is:
  https://docs.aws.amazon.com/redshift/latest/dg/r_superusers.html).
- Recreated empty when the emulator's cluster of that name has a newer
  ClusterCreateTime than the one recorded (in the database's comment): a
  deleted and recreated cluster starts empty, as on Redshift.
- Statements run as the request's DbUser: a PostgreSQL role of that name
  (pgserver trusts local socket connections). A cluster's users are its own:
  the master user, then whoever SQL created (``CREATE USER``), listed in
  ``rehearsal_internal.users``; PostgreSQL's roles are server-wide, so a role
  another cluster made is not a user here.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions

SQL_DIR = Path(__file__).resolve().parent / "sql"
_made: dict[str, str] = {}
_lock = threading.Lock()


def database_name(identifier: str) -> str:
    """``rehearsal_<identifier>`` with ``-`` as ``_`` (a plain PostgreSQL identifier)."""
    return "rehearsal_" + identifier.replace("-", "_")


def server_dsn(state: Path | None = None, dbname: str = "postgres", user: str | None = None) -> str:
    """The local stack's PostgreSQL as ``user`` (default: the server's own superuser) on ``dbname``."""
    from .. import stack

    params = psycopg2.extensions.parse_dsn(stack.dsn(state))
    params["dbname"] = dbname
    if user:
        params["user"] = user
    return psycopg2.extensions.make_dsn(**params)


def rehearsal_dsn(cluster_identifier: str, state: Path | None = None) -> str:
    """The libpq DSN (psql accepts it) of the database that backs the rehearsed
    cluster ``cluster_identifier`` on the local PostgreSQL, as the server's
    superuser (for checks; ``sparkify-nb local dsn --rehearsal``). The endpoint
    makes the database when it first serves the cluster; this only names it.
    Raises LocalStackError when the database server is not running."""
    return server_dsn(state, database_name(cluster_identifier))


def connect(state: Path | None, dbname: str, user: str | None = None, autocommit: bool = True) -> Any:
    conn = psycopg2.connect(server_dsn(state, dbname, user), connect_timeout=10)
    conn.autocommit = autocommit
    return conn


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure(state: Path | None, cluster: dict[str, Any], on_recreate: Any = None) -> str:
    """The database of ``cluster`` (a DescribeClusters entry), made or recreated as the
    module docstring says; returns its name. ``on_recreate(dbname)`` runs before a drop
    (the endpoint ends that database's sessions)."""
    dbname = database_name(cluster["ClusterIdentifier"])
    created = str(cluster.get("ClusterCreateTime", ""))
    with _lock:
        if _made.get(dbname) == created:
            return dbname
        admin = connect(state, "postgres")
        try:
            with admin.cursor() as cur:
                cur.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                            (dbname,))
                row = cur.fetchone()
                if row is not None and row[0] != _comment(created):
                    if on_recreate:
                        on_recreate(dbname)
                    cur.execute(f"DROP DATABASE {_quote(dbname)} WITH (FORCE)")
                    row = None
                if row is None:
                    _create(state, cur, dbname, cluster["MasterUsername"], created)
        finally:
            admin.close()
        _made[dbname] = created
        return dbname


def _comment(created: str) -> str:
    return f"rehearsal of a Redshift cluster created {created}"


def _create(state: Path | None, cur: Any, dbname: str, master: str, created: str) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (master,))
    if cur.fetchone() is None:
        cur.execute(f"CREATE ROLE {_quote(master)} LOGIN SUPERUSER")
    cur.execute(f"CREATE DATABASE {_quote(dbname)} OWNER {_quote(master)}")
    cur.execute(f"COMMENT ON DATABASE {_quote(dbname)} IS %s", (_comment(created),))
    # Redshift's session defaults: UTC, ISO dates; its system views after the user's schemas
    cur.execute(f"ALTER DATABASE {_quote(dbname)} SET timezone = 'UTC'")
    cur.execute(f"ALTER DATABASE {_quote(dbname)} SET datestyle = 'ISO, MDY'")
    cur.execute(f"ALTER DATABASE {_quote(dbname)} SET search_path = \"$user\", public, redshift_system")
    conn = connect(state, dbname)
    try:
        with conn.cursor() as inner:
            inner.execute((SQL_DIR / "system.sql").read_text())
            inner.execute("INSERT INTO rehearsal_internal.users (usename) VALUES (%s)", (master,))
    finally:
        conn.close()


def is_user(state: Path | None, dbname: str, user: str) -> bool:
    """True when ``user`` is a database user of the cluster whose database is ``dbname``."""
    conn = connect(state, dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM rehearsal_internal.users WHERE usename = %s", (user,))
            return cur.fetchone() is not None
    finally:
        conn.close()


def add_user(state: Path | None, dbname: str, user: str) -> None:
    """Make ``user`` a database user of the cluster whose database is ``dbname`` (a role that may log in,
    not a superuser), as ``GetClusterCredentials`` with ``AutoCreate`` does."""
    conn = connect(state, dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,))
            if cur.fetchone() is None:
                cur.execute(f"CREATE ROLE {_quote(user)} LOGIN")
            cur.execute("INSERT INTO rehearsal_internal.users (usename) SELECT %s WHERE NOT EXISTS "
                        "(SELECT 1 FROM rehearsal_internal.users WHERE usename = %s)", (user, user))
    finally:
        conn.close()
