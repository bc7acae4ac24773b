"""One parsed statement executed on a PostgreSQL connection: the step both
doors of a rehearsal share (the Data API endpoint, :mod:`.api`, and the
PostgreSQL wire-protocol front door, :mod:`.wire`). What a statement may be
and how it is translated is :mod:`.translate`'s; how its result reaches the
caller is the door's (``on_result`` reads the cursor); who is asking (the
cluster, the database user, the control plane COPY checks the role and reads
S3 through) comes in as a :class:`Caller`, never from a door's request.

The rules each step keeps are stated once in :mod:`sparkify_nb.local.rehearsal`
(9: TRUNCATE commits; 10: ``pg_last_copy_id()``; 11: COPY).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import commands, translate
from .statements import idle


@dataclass
class Caller:
    """Who runs a statement: ``target`` (``region``, ``cluster``, ``identifier``, ``database``,
    ``user``, ``dbname``), the ``control`` plane (:class:`~.control.ControlPlane`) and the stack's
    ``state`` folder. ``copy_state`` is the last COPY's (query id, rows, failed on its data), which
    the door keeps for ``pg_last_copy_id()``; ``after_rollback(conn)`` runs when a COPY rolls back
    the transaction it opened itself."""

    target: Any
    control: Any
    state: Path | None
    copy_state: tuple[int, int, bool] | None = None
    after_rollback: Callable[[Any], None] = field(default=lambda conn: None)


@dataclass
class Done:
    """What a statement did: PostgreSQL's command ``tag`` (``INSERT 0 3``, ``COPY 8000``),
    the rows it touched (-1: none counted) and, for a COPY, its query id (-1 otherwise)."""

    tag: str
    rows: int = -1
    query_id: int = -1


def run_one(caller: Caller, conn: Any, statement: translate.Statement, params: dict[str, str],
            on_result: Callable[[Any], None], in_transaction: bool) -> Done:
    """Run ``statement`` (``params`` bound, :func:`translate.bind`) on ``conn`` as ``caller``;
    ``on_result(cursor)`` reads a result set, when there is one. ``in_transaction``: the
    caller's transaction block stays open afterwards (a batch, or a client's BEGIN), which a
    TRUNCATE re-opens after committing it. Raises :class:`~.statements.Failed` for what
    Redshift refuses, ``psycopg2.Error`` for what PostgreSQL does."""
    kind = statement.kind
    if kind == "copy":
        from . import copy

        query_id, loaded = copy.run(caller, conn, statement.tree, in_transaction)
        return Done(f"COPY {loaded}", loaded, query_id)
    if kind == "command":
        tag = commands.run(conn, statement.text, on_result)
        return Done(tag)
    with conn.cursor() as cur:
        if kind == "truncate" and not idle(conn):
            # "TRUNCATE commits the transaction in which it is run" (r_TRUNCATE.html)
            cur.execute("COMMIT")
            cur.execute(statement.text, params)
            if in_transaction:
                cur.execute("BEGIN")
        else:
            cur.execute(statement.text, params)
        tag = cur.statusmessage or ""
        if cur.description:
            on_result(cur)
        return Done(tag, cur.rowcount)
