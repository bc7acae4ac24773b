"""The Data API endpoint's IAM gate (issue 25, item 1): a request a rehearsal's
operator signs is authorised, as the emulator's gate authorises the rest
(:mod:`sparkify_nb.local.iam.gate`, the same evaluator and decision), before
the endpoint runs it; a refusal is the Data API's ``AccessDeniedException``
with IAM's message.

What each operation is authorised for (the Data API's Service Authorization
Reference page, list_amazonredshiftdataapi.html, and "Authorizing access to
the Amazon Redshift Data API", https://docs.aws.amazon.com/redshift/latest/mgmt/data-api-access.html):

- ``ExecuteStatement`` / ``BatchExecuteStatement`` on the cluster
  (``arn:aws:redshift:<region>:<account>:cluster:<id>``) or the workgroup
  (its ARN, with its tags as ``aws:ResourceTag/*``); in a session, on the
  session's cluster or workgroup with ``redshift-data:session-owner-iam-userid``
  (who opened it);
- behind them, the credentials the Data API fetches as the caller: with a
  ``DbUser``, ``redshift:GetClusterCredentials`` on ``dbuser:<id>/<user>`` and
  ``dbname:<id>/<database>`` (``redshift:DbUser``, ``redshift:DbName``); on a
  workgroup ``redshift-serverless:GetCredentials`` on the workgroup ("the Data
  API ... calls GetClusterCredentials / GetCredentials with the caller's
  credentials": the page above, "temporary credentials" section);
- ``DescribeStatement`` / ``GetStatementResult`` / ``CancelStatement`` /
  ``ListStatements`` on ``*`` with ``redshift-data:statement-owner-iam-userid``
  (who ran the statement).

Who is gated: a rehearsal account's ``sparkify-operator``, and a session of one
of the account's roles (04's analyst on Serverless, the lease role), which acts
with the role's own policies within its permissions boundary (the policies
read from the emulator's IAM and kept a few seconds per identity).

What each request touches is the shared table :mod:`sparkify_nb.iam.touches`
(``redshift-data`` and ``redshift-serverless`` rows), as for the emulator's
requests; :class:`EndpointState` is what it reads of this endpoint.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ...iam import calls, touches
from ..iam.account import OPERATOR
from .errors import ApiError

POLICY_SECONDS = 5.0


class EndpointState(calls.State):
    """What authorising a Data API or Serverless request reads of the endpoint (:class:`calls.State`):
    its Serverless namespaces and workgroups with their tags, its sessions and statements."""

    def __init__(self, gate: "Gate", account: str, region: str):
        self.gate, self.account, self.region = gate, account, region
        self.endpoint = gate.endpoint

    def serverless_arn(self, kind: str, name: str) -> str | None:
        plane = self.endpoint.serverless_of(self.account)
        try:
            return (plane.namespace if kind == "namespace" else plane.workgroup)(name, self.region)[f"{kind}Arn"]
        except ApiError:
            return None

    def serverless_tags(self, arn: str) -> dict[str, str]:
        return dict(self.endpoint.serverless_of(self.account).tags.get(arn, {}))

    def serverless_admin_secret(self, namespace_arn: str) -> str | None:
        return self.endpoint.serverless_of(self.account).namespaces.get(namespace_arn, {}).get("adminPasswordSecretArn")

    def session(self, session_id: str) -> tuple[str, str] | None:
        peek = getattr(self.endpoint.sessions, "peek", None)
        target = getattr(peek(session_id) if peek else None, "target", None)
        if target is None:
            resource = "*"
        elif target.serverless:
            resource = self.serverless_arn("workgroup", target.identifier) or \
                f"arn:aws:redshift-serverless:{self.region}:{self.account}:workgroup/*"
        else:
            resource = f"arn:aws:redshift:{self.region}:{self.account}:cluster:{target.identifier}"
        return resource, self.gate.session_owners.get(session_id, "")

    def statement_owner(self, statement_id: str) -> str | None:
        run = self.endpoint.runs.get(statement_id)
        return getattr(run, "owner", "") if run else None  # an unknown id: the endpoint says so itself


class Gate:
    """Authorises the endpoint's Data API and Serverless requests (module docstring)."""

    def __init__(self, endpoint: Any):
        self.endpoint = endpoint
        self._policies: dict[str, tuple[float, tuple[list[dict[str, Any]], dict[str, Any] | None]]] = {}
        self._lock = threading.Lock()
        self.session_owners: dict[str, str] = {}
        self._notes: Any = None

    def notes(self) -> Any:
        """Where the decisions are noted for the permissions report (as the emulator's gate notes them)."""
        if self._notes is None:
            from ..iam.gate import Notes
            from ..stack import _dir

            folder = _dir(self.endpoint.state) / "accounts"
            folder.mkdir(parents=True, exist_ok=True)
            self._notes = Notes(folder)
        return self._notes

    def _identity(self, principal: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """(identity policies, permissions boundary or None) of ``principal`` (a user's or a role session's
        ARN), read from the emulator's IAM and kept :data:`POLICY_SECONDS`."""
        from ..iam.account import admin_client
        from ..iam.authorize import policies_of

        with self._lock:
            held = self._policies.get(principal)
        if held and time.monotonic() - held[0] < POLICY_SECONDS:
            return held[1]
        iam = admin_client(self.endpoint.control.endpoint(), principal.split(":")[4], "iam")
        found = policies_of(iam, principal)
        with self._lock:
            self._policies[principal] = (time.monotonic(), found)
        return found

    def _gated(self, who: Any) -> calls.Principal | None:
        """The principal to authorise: a rehearsal account's operator, or a session of one of its roles
        (the role's own policies within its boundary, as on the emulator: :func:`..iam.gate.session_of`);
        None for anyone else (the account's administrator, the ``local`` target)."""
        from ..iam.account import known

        if who.arn.endswith(f":user/{OPERATOR}"):
            return calls.Principal(who.account, who.arn, OPERATOR, who.userid)
        if ":assumed-role/" in who.arn and who.account in known(self.endpoint.state):
            role, session = who.arn.split(":assumed-role/", 1)[1].split("/", 1)
            return calls.Principal(who.account, who.arn, session, who.userid, "AssumedRole",
                                   f"arn:aws:iam::{who.account}:role/{role}")
        return None

    def check(self, operation: str, req: dict[str, Any], region: str, authorization: str) -> None:
        """Raise the Data API's ``AccessDeniedException`` when IAM would refuse the request."""
        self._authorise("redshift-data", operation, req, region, authorization)

    def check_serverless(self, operation: str, req: dict[str, Any], region: str, authorization: str) -> None:
        """As :meth:`check`, for Redshift Serverless's control plane (:func:`sparkify_nb.iam.touches_redshift._serverless`)."""
        self._authorise("redshift-serverless", operation, req, region, authorization)

    def _authorise(self, service: str, operation: str, req: dict[str, Any], region: str, authorization: str) -> None:
        """Decide each authorisation of the request (:func:`sparkify_nb.iam.touches.authorisations`) for the
        operator who signed it, note each resource's outcome for the permissions report, and raise
        ``AccessDeniedException`` at the first refusal."""
        from ..iam.gate import decide

        who = self.endpoint.control.caller(authorization, region)
        principal = self._gated(who)
        if principal is None:
            return
        identity, boundary = self._identity(who.arn)
        call = calls.Call(service, region, operation, req)
        for auth in touches.authorisations(call, principal, EndpointState(self, who.account, region)) or []:
            verdict = decide(auth, identity, boundary)
            for resource, decision in verdict.decisions:
                if principal.kind == "User":  # the report is the operator policy's
                    self.notes().note(who.account, action=auth.action, resource=resource, sid=decision.sid,
                                      outcome=decision.why)
            if not verdict.allowed:
                raise ApiError("AccessDeniedException", verdict.message(who.arn), status=400)


__all__ = ["EndpointState", "Gate"]
