"""Data API sessions as PostgreSQL sessions: a call with
``SessionKeepAliveSeconds`` opens one (its ``SessionId`` comes back), a call
with ``SessionId`` runs on it. One session is one PostgreSQL connection, so
temporary tables, ``pg_backend_pid()`` and ``pg_last_copy_id()`` carry over
from call to call. It runs one statement (or batch) at a time, and ends
``SessionKeepAliveSeconds`` after its last statement finished, or 24 hours
after it began (the rules and their sources: :mod:`sparkify_nb.local.rehearsal`).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import validation

MAX_LIFE_S = 24 * 3600  # "After 24 hours, the session is forced closed and the query is terminated."
REAP_EVERY_S = 0.2


@dataclass
class Session:
    """One Data API session: ``target`` (cluster, database, user, region) and its connection."""

    id: str
    target: Any
    conn: Any
    keep_alive_s: int
    created: float = field(default_factory=time.time)
    expires: float = 0.0
    busy: bool = False
    closed: bool = False
    last_copy: tuple[int, int] = (-1, 0)  # (pg_last_copy_id, pg_last_copy_count) as committed

    def __post_init__(self) -> None:
        self.expires = self.created + self.keep_alive_s


class Sessions:
    """The open sessions; a reaper thread ends those past their keep-alive."""

    def __init__(self) -> None:
        self._all: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._reap, name="session-reaper", daemon=True).start()

    def open(self, target: Any, keep_alive_s: int, connect: Callable[[], Any]) -> Session:
        """A new session on a new connection, busy (its first statement is about to run)."""
        session = Session(str(uuid.uuid4()), target, connect(), keep_alive_s, busy=True)
        with self._lock:
            self._all[session.id] = session
        return session

    def peek(self, session_id: str) -> Session | None:
        """The session ``session_id`` if it is open (not taken: the IAM gate reads its target)."""
        with self._lock:
            return self._all.get(session_id)

    def take(self, session_id: str, keep_alive_s: int | None) -> Session:
        """The session ``session_id``, now busy with the caller's statement.

        Refused (ValidationException) when it never existed ("Session with Id: ... is
        invalid"), has ended ("Session is not available"; both messages as AWS Support
        gave them in https://github.com/awslabs/mcp/issues/4587), or is running a
        statement (a session runs one at a time; AWS's message for it is unconfirmed)."""
        with self._lock:
            session = self._all.get(session_id)
            if session is None:
                raise validation(f"Session with Id: {session_id} is invalid")
            if session.closed or (not session.busy and time.time() >= session.expires):
                raise validation("Session is not available")
            if session.busy:
                raise validation(f"Session {session_id} is busy: it is running another statement, and a session "
                                 "runs one statement at a time")
            session.busy = True
            if keep_alive_s is not None:
                session.keep_alive_s = keep_alive_s
            return session

    def release(self, session: Session) -> None:
        """The session's statement finished: it lives ``keep_alive_s`` from now (at most 24 h in all)."""
        with self._lock:
            session.busy = False
            session.expires = min(time.time() + session.keep_alive_s, session.created + MAX_LIFE_S)

    def close_database(self, dbname: str) -> None:
        """End every session on ``dbname`` (its cluster was deleted and made again)."""
        with self._lock:
            doomed = [s for s in self._all.values() if s.target.dbname == dbname and not s.closed]
        for session in doomed:
            self._close(session)

    def _close(self, session: Session) -> None:
        session.closed = True
        try:
            session.conn.close()  # ends the PostgreSQL session: its temp tables go with it
        except Exception:
            pass

    def _reap(self) -> None:
        while not self._stop.wait(REAP_EVERY_S):
            now = time.time()
            with self._lock:
                doomed = [s for s in self._all.values() if not s.closed and (
                    (not s.busy and now >= s.expires) or now >= s.created + MAX_LIFE_S)]
                for s in [s for s in self._all.values() if s.closed and now - s.created > MAX_LIFE_S]:
                    del self._all[s.id]
            for session in doomed:
                self._close(session)

    def stop(self) -> None:
        """Stop the reaper (a test's Sessions, on a clock of its own); the endpoint's lives as long as its process,
        whose end closes every connection."""
        self._stop.set()
