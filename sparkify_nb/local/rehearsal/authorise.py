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

Who is gated: a rehearsal account's ``sparkify-operator`` (its policies read
from the emulator's IAM and kept a few seconds per identity). Roles' sessions
(04's analyst on Serverless) are not gated yet.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ..iam import requests, touches
from ..iam.account import OPERATOR
from .errors import ApiError

POLICY_SECONDS = 5.0


class Gate:
    """Authorises the endpoint's Data API requests (module docstring)."""

    def __init__(self, endpoint: Any):
        self.endpoint = endpoint
        self._policies: dict[str, tuple[float, list[dict[str, Any]]]] = {}
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

    def _identity(self, principal: str) -> list[dict[str, Any]]:
        from ..iam.account import admin_client
        from ..iam.authorize import policies_of

        with self._lock:
            held = self._policies.get(principal)
        if held and time.monotonic() - held[0] < POLICY_SECONDS:
            return held[1]
        iam = admin_client(self.endpoint.control.endpoint(), principal.split(":")[4], "iam")
        identity, _ = policies_of(iam, principal)
        with self._lock:
            self._policies[principal] = (time.monotonic(), identity)
        return identity

    def check(self, operation: str, req: dict[str, Any], region: str, authorization: str) -> None:
        """Raise the Data API's ``AccessDeniedException`` when IAM would refuse the request."""
        who = self.endpoint.control.caller(authorization, region)
        if who.arn.endswith(f":user/{OPERATOR}"):
            self._authorise(who, "redshift-data", operation, req, region, self._wanted(operation, req, region, who))

    def check_serverless(self, operation: str, req: dict[str, Any], region: str, authorization: str) -> None:
        """As :meth:`check`, for Redshift Serverless's control plane (its SAR page,
        list_amazonredshiftserverless.html: each operation on its namespace, workgroup or snapshot; the
        usage limits and lists on ``*``; ``iam:PassRole`` for the namespace's roles, passed to
        redshift-serverless.amazonaws.com: which of Redshift's service names IAM sees is not documented,
        unconfirmed)."""
        who = self.endpoint.control.caller(authorization, region)
        if who.arn.endswith(f":user/{OPERATOR}"):
            self._authorise(who, "redshift-serverless", operation, req, region,
                            self._serverless_wanted(operation, req, region, who.account))

    def _authorise(self, who: Any, service: str, operation: str, req: dict[str, Any], region: str,
                   wanted: list[requests.Authorisation]) -> None:
        """Decide each of ``wanted`` for the operator ``who`` with the request's global context, note each
        resource's outcome for the permissions report, and raise ``AccessDeniedException`` at the first refusal."""
        from ..iam.gate import decide

        principal = requests.Principal(who.account, who.arn, OPERATOR, who.userid)
        base = touches.global_context(requests.Call(service, region, operation, req), principal)
        for auth in wanted:
            auth.context = {**base, **auth.context}
            verdict = decide(auth, self._identity(who.arn))
            for resource, decision in verdict.decisions:
                self.notes().note(who.account, action=auth.action, resource=resource, sid=decision.sid,
                                  outcome=decision.why)
            if not verdict.allowed:
                raise ApiError("AccessDeniedException", verdict.message(who.arn), status=400)

    def _serverless_wanted(self, operation: str, req: dict[str, Any], region: str,
                           account: str) -> list[requests.Authorisation]:
        plane = self.endpoint.serverless_of(account)
        action = f"redshift-serverless:{operation}"
        arn = lambda kind: f"arn:aws:redshift-serverless:{region}:{account}:{kind}"  # noqa: E731

        def existing(kind: str, name: str) -> list[requests.Authorisation]:
            try:
                found = (plane.namespace if kind == "namespace" else plane.workgroup)(name, region)[f"{kind}Arn"]
            except ApiError:
                # None of that name: its ARN (a generated id) cannot be formed, so the service answers
                # ResourceNotFoundException itself (unconfirmed: AWS does not say what it authorises then)
                return []
            return [requests.Authorisation(action, [found], {}, {found: self._workgroup_tags(found, account)})]

        tags = requests.tag_context({t["key"]: t["value"] for t in req.get("tags") or []})
        if operation == "CreateNamespace":
            roles = list(dict.fromkeys([*(req.get("iamRoles") or []), *([req["defaultIamRoleArn"]] if req.get(
                "defaultIamRoleArn") else [])]))
            return [requests.Authorisation(action, [arn("namespace/*")], tags)] + [
                requests.Authorisation("iam:PassRole", [r], {"iam:PassedToService": "redshift-serverless.amazonaws.com"})
                for r in roles]
        if operation == "CreateWorkgroup":
            return [requests.Authorisation(action, [arn("workgroup/*")], tags)]
        if operation in ("GetNamespace", "UpdateNamespace", "DeleteNamespace"):
            wanted = existing("namespace", req.get("namespaceName", ""))
            if operation == "UpdateNamespace" and req.get("iamRoles"):
                wanted += [requests.Authorisation("iam:PassRole", [r], {
                    "iam:PassedToService": "redshift-serverless.amazonaws.com"}) for r in req["iamRoles"]]
            return wanted
        if operation in ("GetWorkgroup", "UpdateWorkgroup", "DeleteWorkgroup", "GetCredentials"):
            return existing("workgroup", req.get("workgroupName", ""))
        if operation == "ListSnapshots":
            return [requests.Authorisation(action, [arn("snapshot/*")])]
        if operation in ("ListTagsForResource", "TagResource", "UntagResource"):
            resource = req.get("resourceArn", "*")
            context = tags if operation == "TagResource" else (
                {"aws:TagKeys": list(req.get("tagKeys") or [])} if operation == "UntagResource" else {})
            return [requests.Authorisation(action, [resource], context,
                                           {resource: self._workgroup_tags(resource, account)})]
        return [requests.Authorisation(action, ["*"])]

    def _wanted(self, operation: str, req: dict[str, Any], region: str, who: Any) -> list[requests.Authorisation]:
        action = f"redshift-data:{operation}"
        if operation in ("DescribeStatement", "GetStatementResult", "CancelStatement"):
            run = self.endpoint.runs.get(str(req.get("Id", "")).split(":")[0])
            owner = getattr(run, "owner", "") if run else who.userid  # an unknown id: the endpoint says so itself
            return [requests.Authorisation(action, ["*"], {"redshift-data:statement-owner-iam-userid": owner})]
        if operation == "ListStatements":
            return [requests.Authorisation(action, ["*"], {"redshift-data:statement-owner-iam-userid": who.userid})]
        if operation not in ("ExecuteStatement", "BatchExecuteStatement"):
            return []
        arn = lambda service, resource: f"arn:aws:{service}:{region}:{who.account}:{resource}"  # noqa: E731
        if req.get("SessionId"):
            session = self.endpoint.sessions.peek(req["SessionId"]) if hasattr(self.endpoint.sessions, "peek") \
                else None
            target = getattr(session, "target", None)
            resource = (self._workgroup_arn(target.identifier, region, who.account) if target and target.serverless
                        else arn("redshift", f"cluster:{target.identifier}") if target else "*")
            owner = self.session_owners.get(req["SessionId"], "")
            return [requests.Authorisation(action, [resource],
                                           {"redshift-data:session-owner-iam-userid": owner} if owner else {})]
        if req.get("WorkgroupName"):
            wg = self._workgroup_arn(req["WorkgroupName"], region, who.account)
            tags = self._workgroup_tags(wg, who.account)
            return [requests.Authorisation(action, [wg], {}, {wg: tags}),
                    requests.Authorisation("redshift-serverless:GetCredentials", [wg], {}, {wg: tags})]
        cluster = req.get("ClusterIdentifier", "")
        wanted = [requests.Authorisation(action, [arn("redshift", f"cluster:{cluster}")])]
        if req.get("DbUser"):
            resources = [arn("redshift", f"dbuser:{cluster}/{req['DbUser']}")] + (
                [arn("redshift", f"dbname:{cluster}/{req['Database']}")] if req.get("Database") else [])
            wanted.append(requests.Authorisation("redshift:GetClusterCredentials", resources, {
                "redshift:DbUser": req["DbUser"], **({"redshift:DbName": req["Database"]} if req.get("Database")
                                                      else {})}))
        return wanted

    def _workgroup_arn(self, name: str, region: str, account: str) -> str:
        try:
            return self.endpoint.serverless_of(account).workgroup(name, region)["workgroupArn"]
        except ApiError:
            return f"arn:aws:redshift-serverless:{region}:{account}:workgroup/*"

    def _workgroup_tags(self, arn: str, account: str) -> dict[str, str]:
        tags = self.endpoint.serverless_of(account).tags.get(arn, {})
        return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}


__all__ = ["Gate"]
