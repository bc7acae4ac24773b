"""Connections to the warehouse and running SQL on them.

The one seam between targets. Every case gives the stages the same small
DB-API-like object (``cursor().execute(sql, params)`` with psycopg2's
``%(name)s``, ``fetchone``/``fetchall``, ``description``, ``commit``,
``rollback``, ``close``), so the SQL files do not know which one runs them:

- ``local``: psycopg2 to the embedded PostgreSQL (or the one named by
  ``[local] dsn`` / ``SPARKIFY_DSN``).
- ``redshift`` with ``[cluster] access = data_api`` (the default): a
  :class:`~sparkify_nb.warehouse.data_api.DataApiConnection` over the Redshift
  Data API with IAM temporary credentials (cluster + database user on a
  provisioned cluster, workgroup on Serverless); no password at all. Read its
  module docstring for what ``commit`` and ``rollback`` mean there.
- ``redshift`` with ``access = direct``: psycopg2 to the public endpoint 01
  recorded, ``sslmode=verify-full`` against a CA bundle (:mod:`.tls`: the
  certificate must chain to a trusted root and name the endpoint), with IAM
  temporary credentials
  (``GetClusterCredentials``; ``GetCredentials`` for Serverless) or the
  ``SPARKIFY_DB_PASSWORD`` environment variable as fallback.
  :func:`probe` says whether the port can be reached from here, and if not, why.

No password is ever printed, logged or put into an exception message.

Example::

    >>> from sparkify_nb import config, warehouse
    >>> settings = config.load()
    >>> with warehouse.connection(settings) as conn:       # doctest: +SKIP
    ...     warehouse.run(conn, ["SELECT 1"])
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd
import psycopg2

from .. import Progress, aws, config, local
from ..config import Settings
from ..iam import analyst
from ..infra import network, state
from . import tls
from .data_api import DataApiConnection
from .errors import WarehouseError

log = logging.getLogger(__name__)
SQL_DIR = Path(__file__).resolve().parent / "sql"
ACCESS_MODES = ("data_api", "direct")


def dialect(settings: Settings) -> str:
    """``redshift`` or ``postgres``: which DDL and COPY path the target needs."""
    return "postgres" if settings.is_local else "redshift"


def access(settings: Settings) -> str:
    """How SQL reaches Redshift: ``[cluster] access``, ``data_api`` unless set to ``direct``."""
    return settings.values.get(("cluster", "access"), "data_api")


def _redshift_params(settings: Settings, clients: aws.Clients | None = None,
                     user: str | None = None) -> dict[str, Any]:
    """psycopg2 keyword arguments for ``direct`` access (password from IAM, never logged), as ``user``
    (default: the admin, ``[cluster] db_user``). Only the admin may fall back to ``SPARKIFY_DB_PASSWORD``:
    the analyst has no password (``PASSWORD DISABLE``, :mod:`.analysts`)."""
    record = state.load(settings, required=True)
    if not record.get("endpoint"):
        raise state.StateError("01 recorded no cluster endpoint yet: re-run notebooks/01_infrastructure")
    params = {"host": record["endpoint"], "port": record.get("port") or settings.get("cluster", "port"),
              "dbname": settings.get("cluster", "db_name"), **tls.ssl_params(settings), "connect_timeout": 15}
    if settings.rehearsal:
        # the endpoint's name stays the host (verify-full checks the certificate against it); hostaddr is where
        # it really is: "a host name is required for ... verify-full SSL certificate verification", and with
        # hostaddr given no name look-up is done (libpq-connect.html, hostaddr)
        params["hostaddr"], params["port"] = local.wire_address()
    admin = settings.get("cluster", "db_user")
    user = user or admin
    password = config.db_password() if user == admin else None
    if password:
        params.update(user=admin, password=password)
        return params
    clients = clients or aws.Clients(settings)
    if record.get("kind") == "serverless":
        creds = aws.call(clients("redshift-serverless"), "get_credentials",
                         workgroupName=record["workgroup_name"], dbName=params["dbname"], durationSeconds=3600)
        params.update(user=creds["dbUser"], password=creds["dbPassword"])
        return params
    creds = aws.call(clients("redshift"), "get_cluster_credentials",
                     DbUser=user, DbName=params["dbname"],
                     ClusterIdentifier=record["cluster_identifier"], DurationSeconds=3600, AutoCreate=False)
    params.update(user=creds["DbUser"], password=creds["DbPassword"])
    return params


def data_api_target(settings: Settings, record: dict[str, Any], user: str | None = None) -> dict[str, str]:
    """Who the Data API connects as: ``WorkgroupName`` + ``Database`` on
    Serverless, ``ClusterIdentifier`` + ``Database`` + ``DbUser`` (``user``,
    default the admin) on a provisioned cluster (IAM temporary credentials
    either way, no secret)."""
    database = record.get("db_name") or settings.get("cluster", "db_name")
    if record.get("kind") == "serverless":
        return {"WorkgroupName": record["workgroup_name"], "Database": database}
    if not record.get("cluster_identifier"):
        raise state.StateError("01 recorded no cluster yet: re-run notebooks/01_infrastructure")
    return {"ClusterIdentifier": record["cluster_identifier"], "Database": database,
            "DbUser": user or settings.get("cluster", "db_user")}


def analyst_clients(settings: Settings, clients: aws.Clients) -> aws.Clients:
    """The clients of the analyst on Serverless, where the database user is the
    IAM identity's (``IAMR:<role>``): ``clients`` assuming the stack's analyst
    role (:mod:`sparkify_nb.iam.analyst`)."""
    who = aws.call(clients("sts"), "get_caller_identity")
    arn = analyst.role_arn(settings, who["Account"], who["Arn"].split(":")[1])
    return clients.assuming(arn, f"sparkify-04-{settings.stack_name}")


def open_connection(settings: Settings, clients: aws.Clients | None = None, progress: Progress = print,
                    user: str | None = None) -> Any:
    """A new connection to the target's warehouse (caller closes it): psycopg2 on
    ``local`` and ``direct``, a Data API connection on ``data_api``; as
    ``user`` (a database user: 04 passes ``[cluster] analyst_user``), default
    the admin (``[cluster] db_user``; on ``local`` the DSN's user). On
    Serverless, which takes no database user, any user but the admin means the
    analyst role's (:func:`analyst_clients`). Raises :class:`WarehouseError`
    when it cannot connect."""
    try:
        if settings.is_local:
            return psycopg2.connect(local.dsn(), connect_timeout=10, **({"user": user} if user else {}))
        record = state.load(settings, required=True)
        clients = clients or aws.Clients(settings)
        if record.get("kind") == "serverless" and user not in (None, settings.get("cluster", "db_user")):
            clients = analyst_clients(settings, clients)
        if access(settings) == "data_api":
            return DataApiConnection(clients("redshift-data"), data_api_target(settings, record, user),
                                     progress=progress)
        return psycopg2.connect(**_redshift_params(settings, clients, user))
    except psycopg2.OperationalError as exc:
        # psycopg2 messages name host and user, never the password.
        raise WarehouseError(f"cannot connect to the {settings.target} warehouse: {str(exc).strip()}") from None


def connection(settings: Settings, clients: aws.Clients | None = None) -> closing[Any]:
    """:func:`open_connection` as a context manager that always closes it."""
    return closing(open_connection(settings, clients))


def run(conn: Any, statements: Sequence[str | tuple[str, dict[str, Any]]], label: str = "") -> float:
    """Run ``statements`` in one transaction: all commit or none. Returns seconds.

    A statement is its SQL text, or ``(sql, params)`` with named parameters
    (``%(name)s``); on the Data API the statements form one batch, whose
    parameters are shared, so a name must mean one value across them.
    Raises :class:`WarehouseError` naming the first line of the failing statement."""
    t0 = time.monotonic()
    try:
        with conn.cursor() as cur:
            for item in statements:
                sql, params = (item, None) if isinstance(item, str) else item
                try:
                    cur.execute(sql, params)
                except psycopg2.Error as exc:
                    head = sql.strip().splitlines()[0][:120]
                    raise WarehouseError(f"{label + ': ' if label else ''}{head}: {str(exc).strip()}") from None
            conn.commit()  # on the Data API: the statements run here, as one batch
    except WarehouseError as exc:
        conn.rollback()
        if label and not str(exc).startswith(label):
            raise WarehouseError(f"{label}: {exc}") from None
        raise
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
        except WarehouseError:  # the Data API connection names the statement itself
            conn.rollback()
            raise
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


def counts_sql(tables: Sequence[str]) -> str:
    """One SELECT of every table's row count (``table_name``, ``row_count``)."""
    return " UNION ALL ".join(f"SELECT '{t}' AS table_name, COUNT(*) AS row_count FROM \"{t}\"" for t in tables)


def table_counts(conn: Any, tables: Sequence[str]) -> pd.DataFrame:
    """Row count of each table, in the given order (one query: :func:`counts_sql`)."""
    frame = query(conn, counts_sql(tables))
    frame["row_count"] = frame["row_count"].astype(int)
    return frame.set_index("table_name").loc[list(tables)].reset_index()



# --- direct access: can this machine reach the cluster port? ---------------------

@dataclass(frozen=True)
class Reachability:
    """What :func:`probe` found: ``ok``, the ``host`` and ``port`` tried, the
    likely ``cause`` when not ok (``not_available``, ``ip_changed``,
    ``firewall``, ``unknown``; ``""`` when ok) and a ``message`` saying what to do."""

    ok: bool
    host: str
    port: int
    cause: str
    message: str


def _allowed(ip: str, cidrs: Sequence[str]) -> bool:
    address = ipaddress.ip_address(ip)
    networks = (ipaddress.ip_network(c, strict=False) for c in cidrs)
    return any(n.version == address.version and address in n for n in networks)


def probe(settings: Settings, record: dict[str, Any], *, public_ip: Callable[[], str] = network.public_ip,
          timeout_s: float = 5.0) -> Reachability:
    """Open (and close) a TCP connection to the endpoint and port 01 recorded;
    no credentials, no SQL. When it fails, name the likely cause:

    - ``not_available``: 01 recorded no endpoint or a status other than
      available, or the address answered but refused the port (nothing listens
      there yet, or the port is wrong);
    - ``ip_changed``: this machine's public IP (asked with ``public_ip``) is
      outside the security group's ``allowed_cidrs``;
    - ``firewall``: the IP is allowed yet nothing answered within ``timeout_s``:
      a firewall between here and AWS (often a company or hotel network) drops
      outgoing traffic to the port;
    - ``unknown``: the public IP could not be found to tell the two apart.
    """
    host, port = record.get("endpoint") or "", int(record.get("port") or settings.get("cluster", "port"))
    status = str(record.get("cluster_status") or "").lower()
    if not host or (status and status != "available"):
        return Reachability(False, host, port, "not_available",
                            f"the warehouse is not yet available (status {status or 'unknown'}, endpoint "
                            f"{host or 'none'}): wait, then re-run 01 to record its endpoint")
    address = local.wire_address() if settings.rehearsal else (host, port)  # a rehearsal's endpoint: its front door
    try:
        with socket.create_connection(address, timeout=timeout_s):
            return Reachability(True, host, port, "", f"{host}:{port} accepts connections from here")
    except ConnectionRefusedError:
        return Reachability(False, host, port, "not_available",
                            f"{host} refused port {port}: the warehouse is not listening yet (still starting, "
                            "paused or being modified) or the port differs: check its status, then retry")
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
    cidrs = list(record.get("allowed_cidrs") or settings.get("network", "allowed_cidrs"))
    try:
        ip = public_ip()
    except Exception:  # noqa: BLE001 - any failure only means we cannot tell the causes apart
        return Reachability(False, host, port, "unknown",
                            f"{host}:{port}: {reason}, and your public IP could not be found to tell whether "
                            f"it is still among the allowed {', '.join(cidrs)}")
    if not _allowed(ip, cidrs):
        return Reachability(False, host, port, "ip_changed",
                            f"{host}:{port}: {reason}; your public IP is now {ip}, but the security group admits "
                            f"only {', '.join(cidrs)}: re-run 01 (it sets the rule to your current IP) or set "
                            "[network] allowed_cidrs")
    return Reachability(False, host, port, "firewall",
                        f"{host}:{port}: {reason} within {timeout_s:g} s although your IP {ip} is allowed: a "
                        f"firewall on your network likely blocks outgoing tcp {port}; try another network, or "
                        "use [cluster] access = data_api (HTTPS only)")
