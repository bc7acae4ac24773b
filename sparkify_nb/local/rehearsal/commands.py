"""The statements sqlglot keeps as an opaque command that Redshift runs
(``translate.COMMANDS``): ``LOCK``, ``GRANT``, ``SHOW`` run as written (their
Redshift syntax is PostgreSQL's for the forms the suite sends); the user
statements keep the cluster's list of users (``rehearsal_internal.users``) as
well as the server-wide PostgreSQL role.

- ``CREATE GROUP name``, ``ALTER GROUP name ADD USER u [, ...]`` / ``DROP USER
  u [, ...]``, ``DROP GROUP name`` (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_GROUP.html ,
  r_ALTER_GROUP.html, r_DROP_GROUP.html) run as written: PostgreSQL keeps these
  spellings (its group is a role that cannot log in), and refuses a second
  ``CREATE GROUP`` with ``role "name" already exists`` (Redshift's wording,
  ``group ... already exists``, unconfirmed). Groups are server-wide here, a
  cluster's own on Redshift, as users' roles are.

- ``CREATE USER name [WITH] PASSWORD {'...' | DISABLE} [option ...]``: the
  password is required (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_USER.html)
  but never used (the rehearsal's server trusts local connections); CREATEUSER
  makes a superuser, as on Redshift.
- ``DROP USER [IF EXISTS] name [, ...]`` (r_DROP_USER.html).
- ``ALTER USER name ...``: only CREATEUSER / NOCREATEUSER take effect here.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .statements import Failed

_CREATE = re.compile(r"^\s*CREATE\s+USER\s+(\"[^\"]+\"|\w+)\s+(?:WITH\s+)?PASSWORD\s+('(?:[^']|'')*'|DISABLE)(.*)$",
                     re.IGNORECASE | re.DOTALL)
_DROP = re.compile(r"^\s*DROP\s+USER\s+(IF\s+EXISTS\s+)?(.+)$", re.IGNORECASE | re.DOTALL)
_ALTER = re.compile(r"^\s*ALTER\s+USER\s+(\"[^\"]+\"|\w+)\s+(.*)$", re.IGNORECASE | re.DOTALL)


def _name(token: str) -> str:
    return token[1:-1] if token.startswith('"') else token.lower()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def run(conn: Any, text: str, on_result: Callable[[Any], None]) -> str:
    """Run the command ``text`` on ``conn``; ``on_result(cursor)`` reads a result (SHOW). Returns
    the command's tag (``CREATE USER``, ``LOCK TABLE``)."""
    head = " ".join(text.split()[:2]).upper()
    with conn.cursor() as cur:
        if head == "CREATE USER":
            _create_user(cur, text)
            return head
        if head == "DROP USER":
            _drop_user(cur, text)
            return head
        if head == "ALTER USER":
            _alter_user(cur, text)
            return head
        cur.execute(text.replace("%", "%%"), {})
        if cur.description:
            on_result(cur)
        return cur.statusmessage or ""


def _superuser(cur: Any) -> None:
    cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cur.fetchone()[0]:
        raise Failed("ERROR: permission denied to create, alter or drop users (a superuser's right)")


def _create_user(cur: Any, text: str) -> None:
    match = _CREATE.match(text)
    if not match:
        raise Failed('ERROR: syntax error at or near "USER" (CREATE USER name PASSWORD {\'...\' | DISABLE}: '
                      "the password is required)")
    _superuser(cur)
    name, options = _name(match.group(1)), match.group(3).upper()
    cur.execute("SELECT 1 FROM rehearsal_internal.users WHERE usename = %s", (name,))
    if cur.fetchone():
        raise Failed(f'ERROR: user "{name}" already exists')
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    if cur.fetchone() is None:  # a role another cluster made is reused: roles are server-wide
        cur.execute(f"CREATE ROLE {_quote(name)} LOGIN")
    superuser = "CREATEUSER" in options.replace("NOCREATEUSER", "")
    cur.execute(f"ALTER ROLE {_quote(name)} {'SUPERUSER' if superuser else 'NOSUPERUSER'}")
    cur.execute("INSERT INTO rehearsal_internal.users (usename) VALUES (%s)", (name,))


def _drop_user(cur: Any, text: str) -> None:
    match = _DROP.match(text)
    if not match:
        raise Failed('ERROR: syntax error at or near "USER"')
    _superuser(cur)
    # the PostgreSQL role itself stays: another rehearsed cluster may have a user of that name
    for token in [t.strip() for t in match.group(2).split(",")]:
        name = _name(token)
        cur.execute("DELETE FROM rehearsal_internal.users WHERE usename = %s", (name,))
        if cur.rowcount == 0 and not match.group(1):
            raise Failed(f'ERROR: user "{name}" does not exist')


def _alter_user(cur: Any, text: str) -> None:
    match = _ALTER.match(text)
    if not match:
        raise Failed('ERROR: syntax error at or near "USER"')
    _superuser(cur)
    name, options = _name(match.group(1)), match.group(2).upper()
    cur.execute("SELECT 1 FROM rehearsal_internal.users WHERE usename = %s", (name,))
    if cur.fetchone() is None:
        raise Failed(f'ERROR: user "{name}" does not exist')
    if "NOCREATEUSER" in options:
        cur.execute(f"ALTER ROLE {_quote(name)} NOSUPERUSER")
    elif "CREATEUSER" in options:
        cur.execute(f"ALTER ROLE {_quote(name)} SUPERUSER")
