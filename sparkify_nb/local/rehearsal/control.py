"""What the endpoint reads of the control plane: real boto3 calls to the
local AWS emulator's endpoint (found in the stack's record at each call, so an
emulator restarted on another port is followed), in the Region the request was
signed for. Nothing here writes to the emulator."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ApiError, validation

_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


def signed_region(authorization: str, service: str = "redshift-data") -> str:
    """The Region of a SigV4 ``Authorization`` header's credential scope (signed for ``service``).
    Raises :class:`ApiError`: for an unsigned request "Missing Authentication Token" (IAM's "Troubleshoot
    Signature Version 4 signing" page, signature-v4-troubleshooting.html); for one whose credential is
    scoped to another service AWS's ``InvalidSignatureException`` "Credential should be scoped to correct
    service" (its wording as AWS returns it to SDKs, e.g. aws/aws-sdk-go-v2 issue 163; no page documents
    it: unconfirmed)."""
    match = _CREDENTIAL.search(authorization or "")
    if not match:
        raise ApiError("MissingAuthenticationTokenException",
                       "Request is missing Authentication Token", status=403)
    if match.group(3) != service:
        raise ApiError("InvalidSignatureException", f"Credential should be scoped to correct service: '{service}'. ")
    return match.group(2)


@dataclass(frozen=True)
class Caller:
    """Who signed a request: the Region, the account and the IAM identity's ARN (as STS says)."""

    region: str
    account: str
    arn: str
    userid: str = ""


class ControlPlane:
    """boto3 clients on the emulator, per (service, Region); cheap to call from any thread."""

    def __init__(self, state: Path | None = None):
        self.state = state
        self._clients: dict[tuple[str, str, str, str], Any] = {}
        self._callers: dict[tuple[str, str, str], Caller] = {}
        self._lock = threading.Lock()

    def endpoint(self) -> str:
        from .. import stack

        path = stack._record_path(self.state)
        record = json.loads(path.read_text()) if path.is_file() else {}
        port = (record.get("emulator") or {}).get("port")
        if not port:
            raise ApiError("InternalServerException", "the local AWS emulator is not running", status=500)
        return f"http://127.0.0.1:{port}"

    def client(self, service: str, region: str, account: str = "") -> Any:
        """A client of ``account`` (a rehearsal's own, :mod:`..iam.account`; ``""``: the emulator's
        default account, the ``local`` target's), acting as the account itself: the gate never asks
        about it (what the endpoint reads is the service's own business, not the caller's)."""
        url = self.endpoint()
        key = (service, region, url, account)
        with self._lock:
            if key not in self._clients:
                from botocore.config import Config

                from ...sessions import new_session
                from ..iam.account import admin_client

                self._clients[key] = admin_client(url, account, service, region) if account else \
                    new_session().client(
                        service, region_name=region, endpoint_url=url, aws_access_key_id="rehearsal",
                        aws_secret_access_key="rehearsal",
                        config=Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"}))
            return self._clients[key]

    def caller(self, authorization: str, region: str) -> Caller:
        """Who signed: ``sts:GetCallerIdentity`` on the emulator with the request's access key id (the
        emulator knows an identity by its key alone: an IAM user's, or a role's it issued by AssumeRole)."""
        key = _CREDENTIAL.search(authorization or "").group(1)
        url = self.endpoint()
        known = self._callers.get((key, region, url))
        if known:  # an access key's identity never changes (the emulator forgets it only when restarted)
            return known
        from ...sessions import new_session

        sts = new_session().client("sts", region_name=region, endpoint_url=url,
                                             aws_access_key_id=key, aws_secret_access_key="rehearsal")
        who = sts.get_caller_identity()
        found = self._callers[(key, region, url)] = Caller(region, who["Account"], who["Arn"], who.get("UserId", ""))
        return found

    def account_of(self, authorization: str, region: str) -> str:
        """The account of a request's signer, ``""`` for an unsigned one."""
        return self.caller(authorization, region).account if _CREDENTIAL.search(authorization or "") else ""

    def clients(self, region: str, account: str = "") -> "Clients":
        return Clients(self, region, account)

    def accounts(self) -> list[str]:
        """Where a cluster named without its account may be: the rehearsals' accounts (newest
        first), then the emulator's default one."""
        from ..iam.account import known

        return known(self.state) + [""]

    def cluster(self, identifier: str, region: str, account: str | None = None) -> dict[str, Any]:
        """The cluster ``identifier`` (DescribeClusters) of ``account`` (None: of any account the
        stack knows, :meth:`accounts`; a cluster endpoint's host name has no account), available,
        with ``_account`` added: the account it was found in.

        An absent cluster is refused as the Data API refuses it: ValidationException
        "Redshift endpoint doesn't exist in this region." (the Data API's answer quoted
        in https://github.com/aws/aws-cdk/issues/30536). One not ``available`` (paused,
        resuming, modifying) is refused with a ValidationException naming its status
        (unconfirmed wording: AWS documents no message for it)."""
        found = []
        for where in (self.accounts() if account is None else [account]):
            redshift = self.client("redshift", region, where)
            try:
                found = redshift.describe_clusters(ClusterIdentifier=identifier)["Clusters"]
            except redshift.exceptions.ClusterNotFoundFault:
                continue
            if found:
                break
        if not found:
            raise validation("Redshift endpoint doesn't exist in this region.")
        cluster = {**found[0], "_account": where}
        status = cluster.get("ClusterStatus", "")
        if status != "available":
            raise validation(f"Cluster {identifier} is not available: its status is {status}. "
                             + ("Resume it before running SQL on it." if status == "paused" else ""))
        return cluster


class Clients:
    """The ``aws.Clients`` face the staging package takes: ``clients("s3")``."""

    def __init__(self, plane: ControlPlane, region: str, account: str = ""):
        self.plane, self.region, self.account = plane, region, account

    def __call__(self, service: str, region: str | None = None) -> Any:
        return self.plane.client(service, region or self.region, self.account)
