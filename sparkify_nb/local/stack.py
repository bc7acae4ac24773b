"""The local stack: an embedded PostgreSQL (pgserver), the AWS API emulator
(moto in server mode) and the Redshift Data API endpoint of a rehearsal
(:mod:`sparkify_nb.local.rehearsal`), as background processes that outlive
one kernel, so every notebook papermill runs (one kernel each) shares them.

Everything lives under ``<state dir>/local/``: ``pg/`` (the database files,
kept across ``down``/``up``), ``emulator.log``, ``data_api.log`` and
``stack.json`` (what is running: process ids, ports; never a secret).

The emulator keeps AWS resources in memory: ``down`` forgets them (01 makes
them again), while the database files persist.

Example::

    >>> from sparkify_nb import local
    >>> info = local.up()          # idempotent
    >>> info["aws_endpoint"]             # doctest: +SKIP
    'http://127.0.0.1:40123'
    >>> local.down()               # stops exactly what up started
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import psutil

from .. import SparkifyError, config, paths
from . import processes

log = logging.getLogger(__name__)

DB_NAME = "sparkify"
EMULATOR_RESTARTED = ("the AWS emulator had stopped and was started again, empty: the AWS state it held (bucket, "
                      "sample data, role, cluster record) is gone; run 01_infrastructure again (make run does)")
START_TIMEOUT_S = 60


class LocalStackError(SparkifyError):
    """The local stack could not be started, reached or stopped."""


def _dir(state: Path | None = None) -> Path:
    path = (state or paths.state_dir()) / "local"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _record_path(state: Path | None = None) -> Path:
    return _dir(state) / "stack.json"


def _read_record(state: Path | None = None) -> dict[str, Any]:
    path = _record_path(state)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return {}


def _write_record(record: dict[str, Any], state: Path | None = None) -> None:
    path = _record_path(state)
    paths.write_atomically(path, json.dumps(record, indent=2, sort_keys=True))


def _external_dsn() -> str:
    """``[local] dsn`` / ``SPARKIFY_DSN``: a PostgreSQL to use instead of the embedded one."""
    return config.load().get("local", "dsn")


# --- PostgreSQL -------------------------------------------------------------

def _postmaster(pgdata: Path) -> dict[str, Any] | None:
    """pid, socket dir and port of the server running on ``pgdata``, or None."""
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.is_file():
        return None
    lines = pidfile.read_text().splitlines()
    if len(lines) < 8:
        return None
    pid = int(lines[0])
    if not processes.alive(pid, None) or lines[7].strip() != "ready":  # a killed server may linger as a zombie
        return None
    return {"pid": pid, "socket_dir": lines[4].strip(), "port": int(lines[3] or 5432),
            "create_time": psutil.Process(pid).create_time()}


def _clear_stale_pidfile(pgdata: Path) -> None:
    """Remove ``postmaster.pid`` of a server that died without shutting down
    (SIGKILL, a power cut): pgserver takes the file for a running server and
    would not start one. PostgreSQL itself replays its WAL on the next start."""
    pidfile = pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return
    if not processes.alive(pid, None):
        log.info("PostgreSQL (pid %s) had died without shutting down; starting it again (crash recovery)", pid)
        pidfile.unlink(missing_ok=True)


def _start_postgres(pgdata: Path) -> dict[str, Any]:
    running = _postmaster(pgdata)
    if running:
        return running
    _clear_stale_pidfile(pgdata)
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver  # imported late: only the embedded case needs it

    t0 = time.monotonic()
    # pgserver caches one handle per folder; after a `down` in this process it is stale.
    pgserver.PostgresServer._instances.pop(pgdata.resolve(), None)
    # cleanup_mode=None: the server must outlive this process (kernels come and go).
    pgserver.get_server(pgdata, cleanup_mode=None)
    info = _postmaster(pgdata)
    if info is None:
        raise LocalStackError(f"PostgreSQL did not start; see {paths.display_path(pgdata / 'log')}")
    log.info("PostgreSQL 16 started in %.1f s (pid %s)", time.monotonic() - t0, info["pid"])
    return info


def _stop_postgres(pgdata: Path, pid: int | None) -> None:
    if not (pgdata / "postmaster.pid").is_file():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl

    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        if pid and psutil.pid_exists(pid):
            proc = psutil.Process(pid)
            proc.terminate()
            try:
                proc.wait(10)
            except psutil.TimeoutExpired:
                proc.kill()


def _embedded_dsn(socket_dir: str, port: int, dbname: str = DB_NAME) -> str:
    return f"postgresql://postgres@/{dbname}?host={socket_dir}&port={port}"


def _ensure_database(socket_dir: str, port: int) -> None:
    import psycopg2

    conn = psycopg2.connect(_embedded_dsn(socket_dir, port, "postgres"))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
            if cur.fetchone() is None:
                cur.execute(f"CREATE DATABASE {DB_NAME}")
    finally:
        conn.close()


# --- AWS emulator -------------------------------------------------------------

def _endpoint_answers(port: int, timeout_s: float = 10) -> bool:
    # Generous timeout: an emulator busy serving a large load answers late, and
    # "not answering" must not be mistaken for "not running".
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=timeout_s) as resp:
            return resp.status == 200
    except OSError:
        return False


def _start(folder: Path, name: str, module: str, label: str, answers: Any,
           args: tuple[str, ...] = ()) -> dict[str, Any]:
    try:
        return processes.start(folder, name, module, label, answers, START_TIMEOUT_S, args)
    except processes.ProcessError as exc:
        raise LocalStackError(str(exc)) from None


def _start_emulator(folder: Path) -> dict[str, Any]:
    return _start(folder, "emulator", "sparkify_nb.local.aws_emulator", "AWS emulator", _endpoint_answers)


# --- Redshift Data API endpoint (rehearsal) -------------------------------------------

def _data_api_answers(port: int, timeout_s: float = 10) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=timeout_s) as resp:
            return resp.status == 200
    except OSError:
        return False


def _start_data_api(folder: Path) -> dict[str, Any]:
    """The rehearsal's process: the Data API endpoint, and the wire-protocol front door on a port of its own
    (``wire.port``, written before the endpoint's port file)."""
    started = _start(folder, "data_api", "sparkify_nb.local.rehearsal", "Redshift Data API endpoint",
                     _data_api_answers, ("--state", str(folder.parent)))
    return {**started, "wire_port": int((folder / "wire.port").read_text())}


# --- public API -------------------------------------------------------------------

def status(state: Path | None = None) -> dict[str, Any]:
    """What is running: ``{"running", "aws_endpoint", "dsn", "postgres", "emulator",
    "data_api_endpoint", "data_api"}``.

    ``running`` is True when both the database and the emulator answer (the
    ``local`` target needs no more); ``data_api_endpoint`` is the rehearsal's
    Data API URL, empty when it is not running. The DSN is printed with any
    password redacted."""
    folder = _dir(state)
    record = _read_record(state)
    emu = record.get("emulator", {})
    emulator_up = processes.alive(emu.get("pid"), emu.get("create_time")) and _endpoint_answers(emu.get("port", 0))
    api = record.get("data_api", {})
    api_up = processes.alive(api.get("pid"), api.get("create_time")) and _data_api_answers(api.get("port", 0))
    external = _external_dsn()
    if external:
        pg_up, dsn, pg_kind = _can_connect(external), external, "external"
    else:
        pm = _postmaster(folder / "pg")
        pg_up = pm is not None
        dsn = _embedded_dsn(pm["socket_dir"], pm["port"]) if pm else ""
        pg_kind = "embedded"
    return {
        "running": bool(pg_up and emulator_up),
        "aws_endpoint": f"http://127.0.0.1:{emu['port']}" if emulator_up else "",
        "dsn": config.redact(dsn),
        "postgres": {"kind": pg_kind, "running": bool(pg_up),
                     "pid": (record.get("postgres") or {}).get("pid") if pg_kind == "embedded" else None},
        "emulator": {"running": bool(emulator_up), "pid": emu.get("pid") if emulator_up else None},
        "data_api_endpoint": f"http://127.0.0.1:{api['port']}" if api_up else "",
        "data_api": {"running": bool(api_up), "pid": api.get("pid") if api_up else None},
        "wire_port": api.get("wire_port") if api_up else None,
    }


def _can_connect(dsn: str) -> bool:
    import psycopg2

    try:
        psycopg2.connect(dsn, connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


def up(state: Path | None = None) -> dict[str, Any]:
    """Start whatever part of the stack is not running; return :func:`status`,
    plus ``notice`` when an emulator that had been running was found dead and
    restarted (its AWS state is gone: 01 must run again). A PostgreSQL killed
    mid-load restarts with crash recovery: committed data is kept.

    Idempotent: a second call reuses the running processes. Raises
    :class:`LocalStackError` when a part does not start (with the log to read)."""
    folder = _dir(state)
    record = _read_record(state)
    external = _external_dsn()
    if external:
        if not _can_connect(external):
            raise LocalStackError(f"cannot connect to the PostgreSQL named by [local] dsn / SPARKIFY_DSN ({config.redact(external)})")
        record["postgres"] = {"external": True}
    else:
        pm = _start_postgres(folder / "pg")
        _ensure_database(pm["socket_dir"], pm["port"])
        record["postgres"] = {"pid": pm["pid"], "create_time": pm["create_time"]}
    _write_record(record, state)

    emu = record.get("emulator", {})
    if processes.alive(emu.get("pid"), emu.get("create_time")):
        # Never replace a live emulator: its AWS resources exist only in its memory.
        if not _endpoint_answers(emu.get("port", 0), timeout_s=START_TIMEOUT_S):
            raise LocalStackError(
                f"the AWS emulator (pid {emu['pid']}) is running but does not answer on port {emu.get('port')}; "
                "stop the stack with `sparkify-nb local down` and start it again")
    restarted = False
    if not processes.alive(emu.get("pid"), emu.get("create_time")):
        restarted = bool(emu.get("pid"))  # it was running before and died (killed, crashed, machine restarted)
        record["emulator"] = _start_emulator(folder)
        _write_record(record, state)
        log.info("AWS emulator serving on 127.0.0.1:%s", record["emulator"]["port"])
    _ensure_data_api(folder, record, state)
    if restarted:
        return {**status(state), "notice": EMULATOR_RESTARTED}
    return status(state)


def _ensure_data_api(folder: Path, record: dict[str, Any], state: Path | None) -> None:
    """Start the rehearsal's Data API endpoint unless it runs. A live one is never replaced:
    its sessions (open PostgreSQL sessions, temp tables) live only in it."""
    api = record.get("data_api", {})
    if processes.alive(api.get("pid"), api.get("create_time")):
        if not _data_api_answers(api.get("port", 0), timeout_s=START_TIMEOUT_S):
            raise LocalStackError(
                f"the Redshift Data API endpoint (pid {api['pid']}) is running but does not answer on port "
                f"{api.get('port')}; stop the stack with `sparkify-nb local down` and start it again")
        return
    record["data_api"] = _start_data_api(folder)
    _write_record(record, state)
    log.info("Redshift Data API endpoint serving on 127.0.0.1:%s", record["data_api"]["port"])


def down(state: Path | None = None) -> dict[str, Any]:
    """Stop the processes :func:`up` started (never an external PostgreSQL).
    Returns :func:`status`, whose ``running`` is then False."""
    folder = _dir(state)
    record = _read_record(state)
    api = record.get("data_api", {})
    processes.stop(api.get("pid"), api.get("create_time"))  # first: it holds PostgreSQL sessions
    emu = record.get("emulator", {})
    processes.stop(emu.get("pid"), emu.get("create_time"))
    pg = record.get("postgres", {})
    if not pg.get("external"):
        pm = _postmaster(folder / "pg")
        _stop_postgres(folder / "pg", pm["pid"] if pm else pg.get("pid"))
    _record_path(state).unlink(missing_ok=True)
    (folder / "emulator.port").unlink(missing_ok=True)
    shutil.rmtree(folder / "accounts", ignore_errors=True)  # the rehearsals' accounts lived in the emulator's memory
    (folder / "data_api.port").unlink(missing_ok=True)
    (folder / "wire.port").unlink(missing_ok=True)
    return status(state)


def require_running(state: Path | None = None) -> dict[str, Any]:
    """:func:`status`, or :class:`LocalStackError` telling how to start the stack."""
    info = status(state)
    if not info["running"]:
        raise LocalStackError("the local stack is not running: start it with `sparkify-nb local up` (or `make run`)")
    return info


def dsn(state: Path | None = None) -> str:
    """The libpq connection string of the local database (psql accepts it).
    Unredacted: for connecting, not for printing an external DSN."""
    external = _external_dsn()
    if external:
        return external
    pm = _postmaster(_dir(state) / "pg")
    if pm is None:
        raise LocalStackError("the local database is not running: start it with `sparkify-nb local up` (or `make run`)")
    return _embedded_dsn(pm["socket_dir"], pm["port"])


def aws_endpoint(state: Path | None = None) -> str:
    """``http://127.0.0.1:<port>`` of the running emulator, or LocalStackError."""
    info = require_running(state)
    return info["aws_endpoint"]


def rehearsal_ca_path(state: Path | None = None) -> Path:
    """The PEM of the certificate authority the stack made for the rehearsal's front door
    (:mod:`sparkify_nb.local.rehearsal.pki`): the trust store of a rehearsal's direct connections."""
    return _dir(state) / "ca" / "ca.pem"


def wire_address(state: Path | None = None) -> tuple[str, int]:
    """``("127.0.0.1", port)`` of the rehearsal's PostgreSQL wire-protocol front door (what a direct
    connection reaches instead of a cluster's endpoint), or LocalStackError telling how to start it."""
    port = status(state)["wire_port"]
    if not port:
        raise LocalStackError("the rehearsal's PostgreSQL front door is not running: start the local stack with "
                              "`sparkify-nb local up` (`sparkify-nb local down` first if it was started by an older "
                              "version)")
    return "127.0.0.1", int(port)


def data_api_endpoint(state: Path | None = None) -> str:
    """``http://127.0.0.1:<port>`` of the running Redshift Data API endpoint of a
    rehearsal, or LocalStackError telling how to start it."""
    url = status(state)["data_api_endpoint"]
    if not url:
        raise LocalStackError("the rehearsal's Redshift Data API endpoint is not running: start the local stack with "
                              "`sparkify-nb local up`")
    return url
