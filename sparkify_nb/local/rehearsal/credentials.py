"""The temporary database credentials the local stack issued, so that the
wire-protocol front door (:mod:`.wire`) accepts those and nothing else.

``GetClusterCredentials`` "Returns a database user name and temporary
password with temporary authorization to log on to an Amazon Redshift
database. The action returns the database user name prefixed with ``IAM:``
if ``AutoCreate`` is ``False`` or ``IAMA:`` if ``AutoCreate`` is ``True``
... You can optionally specify a duration between 900 seconds (15 minutes)
and 3600 seconds (60 minutes)" (API reference,
https://docs.aws.amazon.com/redshift/latest/APIReference/API_GetClusterCredentials.html).
The emulator (moto 5) answers it in that shape (``DbUser`` prefixed, a random
32-character ``DbPassword``, ``Expiration``, duration checked 900-3600) but
keeps no record of what it issued. The emulator's process
(:mod:`sparkify_nb.local.aws_emulator`) therefore wraps moto's backend method
and appends each issue to a ledger, ``<state>/local/issued-credentials.jsonl``
(mode 0600): cluster, Region, account, the prefixed user, the expiry and the
SHA-256 of the password, never the password itself. The door checks a login
against it: the right cluster, the same user, the same password, not expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEDGER = "issued-credentials.jsonl"
_lock = threading.Lock()


def ledger_path(state: Path | None = None) -> Path:
    from .. import stack

    return stack._dir(state) / LEDGER


def _digest(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def record(path: Path, *, target: str, region: str, account: str, user: str, password: str,
           expires: dt.datetime) -> None:
    """Append one issue to the ledger at ``path`` (``target``: the cluster or workgroup it is for)."""
    line = json.dumps({"target": target, "region": region, "account": account, "user": user,
                       "sha256": _digest(password), "expires": expires.astimezone(dt.timezone.utc).isoformat()})
    with _lock:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


def record_cluster_credentials(path: Path) -> None:
    """Make the emulator's ``GetClusterCredentials`` record what it issues in the ledger at ``path``
    (called once in the emulator's process, before it serves). A new emulator has issued nothing yet:
    the ledger starts empty."""
    from moto.redshift.models import RedshiftBackend

    path.unlink(missing_ok=True)
    issue = RedshiftBackend.get_cluster_credentials
    if getattr(issue, "recorded", False):
        return

    def recorded(self: Any, cluster_identifier: str, db_user: str, auto_create: bool,
                 duration_seconds: int) -> dict[str, Any]:
        out = issue(self, cluster_identifier, db_user, auto_create, duration_seconds)
        record(path, target=cluster_identifier, region=self.region_name, account=self.account_id,
               user=out["DbUser"], password=out["DbPassword"], expires=out["Expiration"])
        return out

    recorded.recorded = True  # type: ignore[attr-defined]
    RedshiftBackend.get_cluster_credentials = recorded


@dataclass(frozen=True)
class Issued:
    user: str
    expires: dt.datetime


def check(path: Path, *, target: str, region: str, user: str, password: str,
          now: dt.datetime | None = None) -> tuple[bool, str]:
    """``(True, "")`` when ``user`` / ``password`` were issued for ``target`` in ``region`` and have
    not expired; else ``(False, why)`` (``why`` is for the door's log, never for the client: the
    client hears only that authentication failed)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    digest = _digest(password)
    found: list[Issued] = []
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        entry = json.loads(line)
        if (entry["target"], entry["region"], entry["user"], entry["sha256"]) == (target, region, user, digest):
            found.append(Issued(entry["user"], dt.datetime.fromisoformat(entry["expires"])))
    if not found:
        return False, f"no credentials for {user} on {target} ({region}) with this password were issued"
    if all(i.expires <= now for i in found):
        return False, f"the credentials of {user} on {target} expired at {max(i.expires for i in found).isoformat()}"
    return True, ""
