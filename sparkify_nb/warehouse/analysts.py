"""Analysts read, nothing more: the group ``analysts`` and the user 04 runs as.

02 makes them (:func:`ensure`, after the tables): the group may use the schema
and ``SELECT`` the star tables (``songplays``, ``users``, ``songs``, ``artists``,
``time``) and nothing else: no staging table, no ``load_errors``,
``loaded_files`` or ``load_lock`` (a new table grants nothing to anyone but its
owner), no ``CREATE`` in the schema (revoked from ``PUBLIC``, which Redshift
grants it by default: "By default, all users have CREATE and USAGE privileges
on the PUBLIC schema of a database",
https://docs.aws.amazon.com/redshift/latest/dg/r_Schemas_and_tables.html).
``[cluster] analyst_user`` (``sparkify_analyst``) is its one member; 01-03 keep
the admin user. The SQL is in ``sql/analysts/``; Redshift's forms
(https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_GROUP.html ,
r_CREATE_USER.html, r_ALTER_GROUP.html, r_GRANT.html, r_REVOKE.html) are
PostgreSQL's too (``CREATE GROUP``, ``ALTER GROUP ... ADD USER`` and ``TO
GROUP`` are its older spellings of roles), except the password:
``PASSWORD DISABLE`` on Redshift (the analyst logs in with IAM temporary
credentials only), none on the local server (it trusts its socket).

Grants die with their table, and 02 recreates the tables, so 02 grants again
every run. The group and the user are made once: a second ``CREATE`` fails
with "already exists", which is taken as done (the statements run one by one,
as Redshift has no ``IF NOT EXISTS`` for users and groups).

Who connects as the analyst (:func:`.connect.open_connection` with ``user``):
the local PostgreSQL role; on a provisioned cluster the Data API's or
``GetClusterCredentials``' ``DbUser``; on a rehearsal the endpoint connects to
PostgreSQL as that role, so PostgreSQL enforces these grants there too.

Redshift Serverless takes no database user: the Data API and
``GetCredentials`` map the caller's IAM identity to one, and 02 runs as the
operator's (``IAMR:<role>`` or ``IAM:<user>``), which owns the tables it made
but is no superuser (AWS does not say it is one: unconfirmed, so 02 does not
rely on it). So on Serverless (:func:`ensure_serverless`) 04's user is the
analyst IAM role's, ``IAMR:<stack>-redshift-analyst``
(:mod:`sparkify_nb.iam.analyst`): it is made by its first login, then the
tables' owner grants it ``SELECT`` on the star tables; there is no group, and
``PUBLIC`` keeps ``CREATE`` on the schema (only its owner could take it), so
there the analyst could make tables of its own, though it can change none of
the stack's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..config import Settings
from ..iam import analyst
from . import schema
from .errors import WarehouseError

GROUP = "analysts"
SQL_DIR = Path(__file__).resolve().parent / "sql" / "analysts"


def _statements(name: str, **values: str) -> list[str]:
    from .connect import split_sql, sql_text

    return [s.format(**values) for s in split_sql(sql_text(SQL_DIR, name))]


def star_tables() -> str:
    """The star tables, quoted, comma-separated (``"time"`` is a keyword)."""
    return ", ".join(schema.quote_identifier(t.name) for t in schema.STAR_TABLES)


def _already_there(exc: WarehouseError) -> bool:
    # Redshift: 'group "analysts" already exists'; PostgreSQL: 'role "analysts" already exists', or, when two
    # sessions create the same role at once, the unique index of pg_authid.
    return "already exists" in str(exc) or "pg_authid_rolname_index" in str(exc)


def ensure(conn: Any, dialect: str, user: str, run: Callable[..., float] | None = None) -> str:
    """Make the group and ``user`` (when missing), then grant: USAGE on the
    schema, SELECT on the star tables, CREATE in it to no one else. ``conn``:
    the admin's connection; ``dialect``: ``redshift`` or ``postgres``. Returns
    the line 02 prints. Raises :class:`WarehouseError` for any failure but
    "already exists"."""
    if run is None:
        from .connect import run
    quoted = schema.quote_identifier(user)
    for name in ("create_group", f"create_user_{dialect}"):
        for sql in _statements(name, user=quoted):
            try:
                run(conn, [sql], label=f"02_schema: {name.replace('_', ' ')}")
            except WarehouseError as exc:
                if not _already_there(exc):
                    raise
    run(conn, _statements("grants", user=quoted, star_tables=star_tables()), label="02_schema: grants")
    return (f"group {GROUP}: USAGE on the schema, SELECT on {', '.join(t.name for t in schema.STAR_TABLES)}; "
            f"nothing on staging or load tables. 04 runs as {user}, its member")


def ensure_serverless(conn: Any, settings: Settings, clients: Any = None, run: Callable[..., float] | None = None,
                      progress: Callable[[str], None] = lambda _: None) -> str:
    """Serverless (module docstring): log in once as the analyst role (its
    database user is made then), and grant that user ``SELECT`` on the star
    tables over ``conn`` (the tables' owner's). Returns the line 02 prints."""
    from .connect import open_connection, query

    if run is None:
        from .connect import run
    first = open_connection(settings, clients, progress, user=settings.get("cluster", "analyst_user"))
    try:
        query(first, "SELECT 1 AS logged_in")  # the first login makes the database user
    finally:
        first.close()
    user = analyst.database_user(settings)
    run(conn, _statements("grants_serverless", user=schema.quote_identifier(user), star_tables=star_tables()),
        label="02_schema: grants")
    return (f"user {user} (04's IAM role): SELECT on {', '.join(t.name for t in schema.STAR_TABLES)}; nothing on "
            "staging or load tables. 04 runs as it")


def setup(conn: Any, settings: Settings, clients: Any = None) -> str:
    """What 02 calls after its DDL: :func:`ensure_serverless` on Redshift
    Serverless, else :func:`ensure` for ``[cluster] analyst_user``."""
    if not settings.is_local and settings.get("cluster", "kind") == "serverless":
        return ensure_serverless(conn, settings, clients)
    return ensure(conn, "postgres" if settings.is_local else "redshift", settings.get("cluster", "analyst_user"))
