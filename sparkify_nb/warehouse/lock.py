"""One load at a time: 03 (and 02, which recreates the tables) hold the
warehouse while they change it; a second one waits up to ``[etl]
lock_wait_seconds`` and then stops with ``another load holds the warehouse
since <time> (<where it runs>)``. Two loads never interleave.

Two protocols, one per target, both with a crashed holder that never blocks
the next run for ever:

- ``advisory`` (PostgreSQL, the local target): a session-level advisory lock
  on a connection of its own. "Once acquired at session level, an advisory
  lock is held until explicitly released or the session ends"
  (https://www.postgresql.org/docs/16/explicit-locking.html#ADVISORY-LOCKS): a
  holder killed with SIGKILL loses its connection, and the lock is free at
  once. The row of ``load_lock`` is only the note a waiting load shows.
- ``table`` (Redshift, which has no advisory locks): the row of ``load_lock``
  *is* the lock. Taking it is one transaction that starts with ``LOCK
  load_lock`` (serialising every taker, ``sql/lock/take.sql``), deletes an
  expired row and inserts ours only when no row is left. The holder's
  heartbeat thread pushes ``expires_at`` forward every quarter of ``[etl]
  lock_expiry_seconds``; a holder that died stops beating and the next load
  takes over once its row expired. Times come from this machine's UTC clock,
  so machines that share a warehouse need clocks within a few seconds of
  each other (NTP), far less than the expiry.

``load_lock`` is created on first use, not by 02, so recreating the schema
never drops the row of a running load.

Example::

    >>> from sparkify_nb import config, warehouse
    >>> settings = config.load()
    >>> with warehouse.lock.held(settings, "03_etl"):   # doctest: +SKIP
    ...     pass                                        # load, merge, check
"""

from __future__ import annotations

import atexit
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pandas as pd

from .. import Progress, SparkifyError
from ..config import Settings
from . import connect as warehouse

SQL = warehouse.SQL_DIR / "lock"
ADVISORY_KEY = 7_303_014_911_236_541_012  # any fixed bigint: the one lock all loads agree on
POLL_SECONDS = 1.0
NOTE_EVERY_SECONDS = 10.0


class LockTimeout(SparkifyError):
    """Another load held the warehouse for longer than we were allowed to wait."""


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: ``since`` (UTC), ``where`` (what, pid and host), ``heartbeat`` (UTC)."""

    holder: str
    since: datetime
    where: str
    heartbeat: datetime


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _statements(name: str) -> list[str]:
    return warehouse.split_sql(warehouse.sql_text(SQL, name))


def _run(conn: Any, name: str | tuple[str, ...], params: dict[str, Any] | None = None,
         then: str | None = None) -> Any:
    """The statements of ``sql/lock/<name>.sql`` (of each name, in order) in one transaction;
    ``then``: a SELECT run last in that transaction, whose rows are returned (on the Data API
    the SELECT goes in the same batch as the statements: one round trip, not two)."""
    try:
        rows = None
        with conn.cursor() as cur:
            for sql in [sql for each in ((name,) if isinstance(name, str) else name) for sql in _statements(each)]:
                cur.execute(sql, params if "%(" in sql else None)
            if then:
                cur.execute(then)
                rows = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
        conn.commit()
        return rows
    except BaseException:
        conn.rollback()
        raise


def _holder(conn: Any, rows: pd.DataFrame | None = None) -> Holder | None:
    """Who holds the lock: from ``rows`` of ``holder.sql`` when given, else asked."""
    rows = warehouse.query(conn, _statements("holder")[0]) if rows is None else rows
    if rows.empty:
        return None
    r = rows.iloc[0]
    return Holder(str(r.holder), r.since.to_pydatetime(), f"{r.purpose}, pid {r.pid} on {r.host}",
                  r.heartbeat.to_pydatetime())


class LoadLock:
    """The warehouse, held by this process until :meth:`release` (or its end)."""

    def __init__(self, settings: Settings, purpose: str, protocol: str, expiry_seconds: int):
        self.purpose, self.protocol, self.expiry = purpose, protocol, expiry_seconds
        self.holder = uuid.uuid4().hex
        self.where = f"{purpose}, pid {os.getpid()} on {socket.gethostname()}"
        self.since: datetime | None = None
        self.conn = warehouse.open_connection(settings)
        self._db = threading.Lock()  # the heartbeat thread and the caller share the connection
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.released = False
        self._created = protocol != "table"  # the table protocol creates it in its first take's transaction
        if self._created:
            try:
                _run(self.conn, "create")
            except Exception:  # two first loads created it at once: it exists now
                _run(self.conn, "create")

    def _params(self) -> dict[str, Any]:
        now = _now()
        return {"holder": self.holder, "purpose": self.purpose, "host": socket.gethostname()[:256],
                "pid": os.getpid(), "now": now, "expires_at": now + timedelta(seconds=self.expiry)}

    def try_take(self) -> bool:
        """One attempt; True when the lock is now ours."""
        with self._db:
            if self.protocol == "advisory":
                taken = bool(warehouse.query(self.conn, "SELECT pg_try_advisory_lock(%s) AS taken",
                                             (ADVISORY_KEY,)).taken[0])
                if taken:  # session-level: it outlives the rollback query() ends with
                    _run(self.conn, "record", self._params())
            else:
                current = _holder(self.conn, self._take())
                taken = current is not None and current.holder == self.holder
        if taken:
            self.since = _now()
            if self.protocol == "table":
                self._beat = threading.Thread(target=self._heartbeat, name="load-lock-heartbeat", daemon=True)
                self._beat.start()
        return taken

    def _take(self) -> pd.DataFrame:
        """take.sql, then who holds the lock, in one transaction (on the Data API one batch), the
        first time with create.sql before them: one round trip where there were three."""
        names = ("take",) if self._created else ("create", "take")
        try:
            rows = _run(self.conn, names, self._params(), then=_statements("holder")[0])
        except Exception:
            if self._created:
                raise
            # two first loads created it at once: it exists now
            rows = _run(self.conn, names, self._params(), then=_statements("holder")[0])
        self._created = True
        return rows

    def current(self) -> Holder | None:
        """Who holds the lock now (None: nobody, or a holder that has not noted itself yet)."""
        with self._db:
            return _holder(self.conn)

    def _heartbeat(self) -> None:
        while not self._stop.wait(max(self.expiry / 4, 1)):
            try:
                with self._db:
                    _run(self.conn, "heartbeat", self._params())
            except Exception:  # a lost connection: the row expires, as a crashed holder's would
                return

    def release(self) -> None:
        """Give the warehouse up (idempotent)."""
        global _HELD
        if self.released:
            return
        self.released = True
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        try:
            with self._db:
                _run(self.conn, "release", {"holder": self.holder})
                if self.protocol == "advisory":
                    warehouse.query(self.conn, "SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))
        finally:
            self.conn.close()
            if _HELD is self:
                _HELD = None


_HELD: LoadLock | None = None  # this process's lock: taking it again (a re-run cell) returns it


def acquire(settings: Settings, purpose: str, progress: Progress = print, *, wait_seconds: int | None = None,
            protocol: str | None = None, expiry_seconds: int | None = None) -> LoadLock:
    """Hold the warehouse for ``purpose`` (e.g. ``03_etl``); wait for another
    holder up to ``wait_seconds`` (default ``[etl] lock_wait_seconds``),
    reporting who holds it every few seconds.

    ``protocol``: ``advisory`` or ``table`` (default: advisory on ``local``,
    table on ``redshift``); ``expiry_seconds``: the table protocol's expiry
    (default ``[etl] lock_expiry_seconds``). A process that already holds the
    lock gets it back. Raises :class:`LockTimeout` saying since when and where
    the other load runs."""
    global _HELD
    if _HELD is not None and not _HELD.released:
        progress(f"this process holds the warehouse already (since {_HELD.since:%Y-%m-%d %H:%M:%S} UTC)")
        return _HELD
    wait = settings.get("etl", "lock_wait_seconds") if wait_seconds is None else wait_seconds
    lock = LoadLock(settings, purpose, protocol or ("advisory" if settings.is_local else "table"),
                    expiry_seconds or settings.get("etl", "lock_expiry_seconds"))
    t0 = last_note = time.monotonic()
    try:
        while not lock.try_take():
            other = lock.current()
            shown = (f"since {other.since:%Y-%m-%d %H:%M:%S} UTC ({other.where})" if other
                     else "(a holder that has not noted itself yet)")
            if time.monotonic() - t0 >= wait:
                raise LockTimeout(f"another load holds the warehouse {shown}; waited {wait} s "
                                  "([etl] lock_wait_seconds); run again when it has finished")
            if time.monotonic() - last_note >= NOTE_EVERY_SECONDS or last_note == t0:
                last_note = time.monotonic()
                progress(f"waiting for the warehouse: another load holds it {shown}; "
                         f"{time.monotonic() - t0:.0f} of {wait} s")
            time.sleep(POLL_SECONDS)
    except BaseException:
        lock.conn.close()
        raise
    progress(f"holding the warehouse for {purpose} (one load at a time)")
    _HELD = lock
    return lock


@contextmanager
def held(settings: Settings, purpose: str, progress: Progress = print, **options: Any) -> Iterator[LoadLock]:
    """:func:`acquire` as a context manager that always releases."""
    lock = acquire(settings, purpose, progress, **options)
    try:
        yield lock
    finally:
        lock.release()


@atexit.register
def _release_at_exit() -> None:
    # A kernel shut down normally (papermill after a failed cell) gives the lock back at once.
    if _HELD is not None:
        _HELD.release()
