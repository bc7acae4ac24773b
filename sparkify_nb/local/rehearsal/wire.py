"""The rehearsal's PostgreSQL wire-protocol front door: what ``psycopg2``
with ``[cluster] access = direct`` reaches instead of a cluster's endpoint.
It listens on loopback; the client names the cluster's endpoint as ``host``
(checked against the certificate) and the door's address as ``hostaddr``.

The rules, each enforced here and pinned by tests/test_rehearsal_wire.py:

1. TLS only. A client that does not ask for it (SSLRequest) is refused
   (``FATAL: no pg_hba.conf entry ... SSL off``, PostgreSQL's wording;
   Redshift refuses non-SSL connections when ``require_ssl`` is on, as the
   suite's parameter group sets it: https://docs.aws.amazon.com/redshift/latest/mgmt/connecting-ssl-support.html).
   The certificate names the host the client asked for (TLS SNI, which
   libpq sends) and is issued by the stack's CA (:mod:`.pki`); a name that is
   not a Redshift endpoint (``<cluster>.<id>.<region>.redshift.amazonaws.com``,
   ``<workgroup>.<account>.<region>.redshift-serverless.amazonaws.com``)
   gets no certificate and the handshake fails.
2. The endpoint must be a cluster's (or a Serverless workgroup's) that
   exists, is ``available`` and is publicly accessible (a private cluster's endpoint cannot be reached from
   outside its VPC: https://docs.aws.amazon.com/redshift/latest/mgmt/rs-vpc-create.html;
   here it is refused with ``FATAL``, where AWS would not answer at all).
3. Passwords: the temporary credentials the stack's ``GetClusterCredentials``
   (or Serverless ``GetCredentials``) issued for that cluster (workgroup) and
   user, before they expire, and nothing else (:mod:`.credentials`); else
   ``FATAL: password authentication failed for user "..."`` (PostgreSQL's
   wording; Redshift's is unconfirmed). The password is asked in clear text
   inside TLS (which method Redshift asks for is unconfirmed). On a cluster
   ``IAM:name`` logs in as the database user ``name``, who must exist;
   ``IAMA:name`` makes the user first ("AutoCreate: Create a database user
   with the name specified for the user named in DbUser if one does not
   exist", API_GetClusterCredentials.html). On Serverless the user is the IAM
   identity's own, ``IAM:<user>`` / ``IAMR:<role>``, made at its first sign-in
   (:mod:`.serverless`, rule 7).
4. The database must be the cluster's (``FATAL: database "x" does not exist``).
5. Statements: the simple query protocol (what psycopg2 speaks); each
   statement goes through :func:`.translate.parse` (refused as Redshift
   refuses, translated to PostgreSQL) and :func:`.execute.run_one`, the same
   executor, COPY included, as the Data API endpoint's. A failed statement
   in a transaction block leaves it aborted until ROLLBACK (a COMMIT then
   rolls back), as PostgreSQL does; the statements of one Query outside a
   block run as one implicit transaction, rolled back when one fails
   (https://www.postgresql.org/docs/current/protocol-flow.html, "Multiple
   Statements in a Simple Query"). The extended protocol is refused. Rows go
   in text format, each value as PostgreSQL's output function writes it (a
   boolean ``t`` / ``f``, NULL as no value); RowDescription gives each type's
   pg_type length and its modifier (``VARCHAR(5)``: -1 and 9), as PostgreSQL.
6. ``server_version`` is ``8.0.2``, Redshift's
   (https://docs.aws.amazon.com/redshift/latest/dg/c_redshift-and-postgres-sql.html).
7. The connection ends after Terminate and after a FATAL error, in TLS or
   not (protocol-flow.html, "Start-up", "Termination"). A CancelRequest, on a
   connection of its own before TLS, is 16 bytes; one of another length is
   dropped unserved, as PostgreSQL's postmaster drops it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import socket
import socketserver
import ssl
import struct
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import extensions

from .wire_door import ENDPOINT, Door
from .wire_messages import Fatal, cstr, error, message, split, startup_parameters, typmod

log = logging.getLogger(__name__)
SSL_REQUEST, GSS_REQUEST, CANCEL_REQUEST, PROTOCOL_3 = 80877103, 80877104, 80877102, 196608
PARAMETERS = {"server_version": "8.0.2", "server_encoding": "UTF8", "client_encoding": "UTF8",
              "DateStyle": "ISO, MDY", "TimeZone": "UTC", "integer_datetimes": "on",
              "standard_conforming_strings": "on"}
ABORTED = "current transaction is aborted, commands ignored until end of transaction block"


class Connection:
    """One client connection: startup, TLS, authentication, then queries until it ends."""

    def __init__(self, door: Door, sock: socket.socket):
        self.door, self.sock = door, sock
        self.host = ""
        self.conn: Any = None
        self.caller: Any = None
        self.aborted = False
        self.oids: tuple[int, ...] = ()
        self.typlens: dict[int, int] = {}

    # --- bytes ------------------------------------------------------------------------

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the client hung up")
            data += chunk
        return data

    def _startup(self) -> tuple[int, bytes]:
        length = struct.unpack("!i", self._read(4))[0]
        if not 8 <= length <= 10004:  # 4 to 10,000 bytes after the length word, as PostgreSQL reads
            raise ConnectionError("not a PostgreSQL startup packet")
        body = self._read(length - 4)
        return struct.unpack("!i", body[:4])[0], body[4:]

    def _send(self, data: bytes) -> None:
        self.sock.sendall(data)

    # --- the conversation -------------------------------------------------------------

    def serve(self) -> None:
        """The conversation, then the socket closed: after Terminate, a FATAL error or a hang-up (the TLS
        socket is this connection's own; socketserver closes only the plain one it accepted)."""
        try:
            self._converse()
        finally:
            self.sock.close()

    def _converse(self) -> None:
        try:
            params = self._open()
            self._login(params)
        except Fatal as exc:
            self._send(error("FATAL", exc.sqlstate, str(exc)))
            return
        except (ConnectionError, ssl.SSLError, OSError):
            return
        try:
            self._loop()
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            with self.door._lock:
                for key in [k for k, c in self.door.cancel_keys.items() if c is self.conn]:
                    del self.door.cancel_keys[key]
            self.conn.close()

    def _open(self) -> dict[str, str]:
        """SSLRequest, the TLS handshake, the StartupMessage: its parameters (user, database...)."""
        code, body = self._startup()
        if code == GSS_REQUEST:
            self._send(b"N")
            code, body = self._startup()
        if code == CANCEL_REQUEST:
            if len(body) == 8:  # 16 bytes in all, as PostgreSQL's postmaster takes it; another length: dropped
                self._cancel(*struct.unpack("!ii", body))
            raise ConnectionError("cancel request served")
        if code != SSL_REQUEST:
            raise Fatal("28000", 'no pg_hba.conf entry for host "127.0.0.1", SSL off: this endpoint takes '
                                 "SSL connections only (require_ssl)")
        self._send(b"S")
        seen: dict[str, str] = {}
        self.sock = self.door.tls_context(seen).wrap_socket(self.sock, server_side=True)
        self.host = seen.get("host", "")
        code, body = self._startup()
        if code != PROTOCOL_3:
            raise Fatal("08P01", f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}")
        return startup_parameters(body)

    def _cancel(self, pid: int, key: int) -> None:
        with self.door._lock:
            conn = self.door.cancel_keys.get((pid, key))
        if conn is not None:
            conn.cancel()

    def _login(self, params: dict[str, str]) -> None:
        """Rules 2-4: the cluster behind the endpoint, the password, the database; then the session."""
        from . import backing, credentials
        from .api import Target
        from .execute import Caller

        user, database = params.get("user", ""), params.get("database") or params.get("user", "")
        match = ENDPOINT.match(self.host)
        region = match.group("region") if match else ""
        cluster = self.door.target(self.host)
        if (cluster.get("Endpoint") or {}).get("Address") != self.host:
            raise Fatal("08001", f"no available Redshift cluster has the endpoint {self.host}")
        if not cluster.get("PubliclyAccessible"):
            raise Fatal("08001", f"{self.host} is not publicly accessible: it cannot be reached from outside its "
                                 "VPC (set [cluster] access = direct when 01 creates the cluster)")
        self._send(message(b"R", struct.pack("!i", 3)))  # AuthenticationCleartextPassword
        kind = self._read(1)
        length = struct.unpack("!i", self._read(4))[0]
        password = self._read(length - 4).rstrip(b"\0").decode("utf-8", "replace")
        if kind != b"p":
            raise Fatal("08P01", "expected a password message")
        ok, why = credentials.check(credentials.ledger_path(self.door.state), target=cluster["ClusterIdentifier"],
                                    region=region, user=user, password=password)
        if not ok:
            log.info("refused %s on %s: %s", user, self.host, why)
            raise Fatal("28P01", f'password authentication failed for user "{user}"')
        if database != cluster.get("DBName"):
            raise Fatal("3D000", f'database "{database}" does not exist')
        serverless = bool(cluster.get("Serverless"))
        prefix, _, name = user.partition(":")
        name = user if serverless else name  # Serverless: the IAM identity's user, IAMR:<role> itself
        dbname = backing.ensure(self.door.state, cluster)
        if not backing.is_user(self.door.state, dbname, name):
            if prefix != "IAMA" and not serverless:
                raise Fatal("28000", f'user "{name}" does not exist')
            backing.add_user(self.door.state, dbname, name)
        self.conn = backing.connect(self.door.state, dbname, name)
        self.caller = Caller(Target(region, cluster, database, name, dbname, serverless), self.door.control,
                             self.door.state,
                             after_rollback=self._after_rollback)
        with self.conn.cursor() as cur:
            cur.execute("SELECT oid, typlen FROM pg_type")
            self.typlens = dict(cur.fetchall())
        self.oids = tuple(self.typlens)
        key = (self.conn.get_backend_pid(), secrets.randbits(31))
        with self.door._lock:
            self.door.cancel_keys[key] = self.conn
        out = message(b"R", struct.pack("!i", 0))
        for name_, value in {**PARAMETERS, "session_authorization": name, "is_superuser": "off"}.items():
            out += message(b"S", cstr(name_) + cstr(value))
        out += message(b"K", struct.pack("!ii", *key))
        self._send(out + self._ready())

    def _after_rollback(self, conn: Any) -> None:
        """A COPY that failed on its data keeps its id in ``pg_last_copy_id()`` (rule 10)."""
        from .copy import set_last_copy

        if self.caller.copy_state and self.caller.copy_state[2]:
            set_last_copy(conn, self.caller.copy_state[0], 0)

    def _ready(self) -> bytes:
        status = self.conn.info.transaction_status
        letter = "E" if self.aborted or status == extensions.TRANSACTION_STATUS_INERROR else (
            "I" if status == extensions.TRANSACTION_STATUS_IDLE else "T")
        return message(b"Z", letter.encode())

    def _loop(self) -> None:
        skipping = False  # after an extended-protocol message, until Sync
        while True:
            kind = self._read(1)
            body = self._read(struct.unpack("!i", self._read(4))[0] - 4)
            if kind == b"X":
                return
            if kind == b"Q":
                self._query(body.rstrip(b"\0").decode("utf-8"))
            elif kind == b"S":
                skipping = False
                self._send(self._ready())
            elif kind in b"PBDECHF" and not skipping:
                skipping = True
                self._send(error("ERROR", "0A000", "this rehearsal's front door speaks the simple query "
                                                    "protocol only (what psycopg2 sends)"))

    def _query(self, text: str) -> None:
        """Rule 5: each statement of ``text`` parsed, refused or run, answered; then ReadyForQuery.
        Several statements outside a transaction block run in an implicit one: committed after the last,
        rolled back when one fails; a BEGIN among them makes it a regular block (statements before it
        included), a COMMIT or ROLLBACK ends it and the statements after it start another
        (postgresql.org/docs/current/protocol-flow.html, "Multiple Statements in a Simple Query")."""
        parts = split(text)
        if not parts:
            self._send(message(b"I") + self._ready())
            return
        implicit = failed = False
        for sql in parts:
            word = _first_word(sql)
            try:
                if implicit and word in ("BEGIN", "START"):
                    implicit = False  # the block the statements so far ran in goes on as a regular one
                    self._send(message(b"C", cstr("BEGIN")))
                    continue
                if len(parts) > 1 and not implicit and not self.aborted and word not in _TRANSACTION_WORDS and (
                        self.conn.info.transaction_status == extensions.TRANSACTION_STATUS_IDLE):
                    with self.conn.cursor() as cur:
                        cur.execute("BEGIN")
                    implicit = True
                self._send(self._statement(sql))
                if word in _TRANSACTION_WORDS:
                    implicit = False
            except _Refused as exc:
                self._fail(exc.sqlstate, str(exc))
                failed = True
                break
            except psycopg2.Error as exc:
                diag = exc.diag
                self._fail(exc.pgcode or "XX000", diag.message_primary or str(exc).strip(), diag.message_detail or "")
                failed = True
                break
        if implicit and not self.conn.closed:
            with self.conn.cursor() as cur:
                cur.execute("ROLLBACK" if failed else "COMMIT")
            if failed:
                self.aborted = False
                self._after_rollback(self.conn)
        self._send(self._ready())

    def _fail(self, sqlstate: str, message: str, detail: str = "") -> None:
        if message.startswith("ERROR: "):
            message = message[len("ERROR: "):]
        if not self.conn.closed and self.conn.info.transaction_status != extensions.TRANSACTION_STATUS_IDLE:
            self.aborted = True
        self._send(error("ERROR", sqlstate, message, detail))

    def _statement(self, sql: str) -> bytes:
        from . import execute, translate
        from .statements import Failed

        try:
            statement = translate.parse(sql)
        except translate.ParameterError as exc:
            raise _Refused("42601", str(exc)) from None
        if self.aborted:
            if statement.kind == "transaction" and statement.text.split()[0].upper() in (
                    "ROLLBACK", "ABORT", "COMMIT", "END"):
                with self.conn.cursor() as cur:
                    cur.execute("ROLLBACK")
                self.aborted = False
                self._after_rollback(self.conn)  # a COPY that failed the block on its data keeps its id
                return message(b"C", cstr("ROLLBACK"))
            raise _Refused("25P02", ABORTED)
        if statement.error:
            raise _Refused("42601" if "syntax" in statement.error else "0A000", statement.error)
        try:
            params = translate.bind(statement.names, [])
            rows: list[bytes] = []
            with self._as_text(statement.kind in _AS_TEXT):
                done = execute.run_one(self.caller, self.conn, statement, params, lambda cur: rows.extend(
                    self._rows(cur)), in_transaction=self.conn.info.transaction_status
                    == extensions.TRANSACTION_STATUS_INTRANS)
        except translate.ParameterError as exc:
            raise _Refused("42601", str(exc)) from None
        except Failed as exc:
            raise _Refused("XX000", str(exc)) from None
        return b"".join(rows) + message(b"C", cstr(done.tag))

    @contextlib.contextmanager
    def _as_text(self, on: bool) -> Any:
        """While a statement runs (``on``), every type the server knew at login reads as the text PostgreSQL wrote
        (a type made since has no caster: psycopg2 gives its text too). Set on the connection, not on the
        cursor: psycopg2 picks a cursor's casts when it executes, before the rows reach :meth:`_rows`. COPY and
        the commands read their own queries' values (ids, flags) as Python's: they run without it."""
        if not on:
            yield
            return
        casts = self.conn.string_types
        kept = dict(casts)
        extensions.register_type(extensions.new_type(self.oids, "REHEARSAL_TEXT", lambda v, c: v), self.conn)
        try:
            yield
        finally:
            casts.clear()
            casts.update(kept)

    def _rows(self, cur: Any) -> list[bytes]:
        """RowDescription (per field the type's pg_type.typlen, -1 for a type made since login, and its
        modifier) and a DataRow per row, in text format (PostgreSQL's own text of each value, as
        :meth:`_as_text` reads it; NULL as length -1)."""
        out = [message(b"T", struct.pack("!h", len(cur.description)) + b"".join(
            cstr(d.name) + struct.pack("!ihihih", 0, 0, d.type_code, self.typlens.get(d.type_code, -1), typmod(d), 0)
            for d in cur.description))]
        for row in cur:
            cells = b"".join(struct.pack("!i", -1) if v is None else struct.pack("!i", len(b := str(v).encode(
                "utf-8"))) + b for v in row)
            out.append(message(b"D", struct.pack("!h", len(row)) + cells))
        return out


_TRANSACTION_WORDS = ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT")
_AS_TEXT = ("sql", "truncate", "transaction")  # the kinds whose only query on the connection is the statement
_LEADING = re.compile(r"(\s+|--[^\n]*|/\*.*?\*/)*", re.S)


def _first_word(sql: str) -> str:
    """The statement's first word, upper case, after white space and comments."""
    words = sql[_LEADING.match(sql).end():].split(None, 1)
    return words[0].upper().rstrip(";") if words else ""


class _Refused(Exception):
    def __init__(self, sqlstate: str, message: str):
        super().__init__(message)
        self.sqlstate = sqlstate


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(None)
        Connection(self.server.door, self.request).serve()  # type: ignore[attr-defined]


def serve(state: Path | None, endpoint: Any, port: int = 0) -> socketserver.ThreadingTCPServer:
    """The front door on 127.0.0.1:``port`` (0: a free one), not yet serving, beside the Data API
    ``endpoint`` (whose control plane and Serverless workgroups it reads); makes the stack's CA."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), _Handler, bind_and_activate=True)
    server.daemon_threads = True
    server.door = Door(state, endpoint)  # type: ignore[attr-defined]
    return server
