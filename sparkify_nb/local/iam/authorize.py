"""The rehearsal's authorisation hook: may ``principal`` do ``action`` on each
of ``resources`` with this request ``context``? The one door every room of
the local stack asks (the gate in front of the emulator, the Data API
endpoint, the wire-protocol door, the Serverless service, COPY's role check):
``authorize(principal, action, resources, context)``.

- The principal's policies are the emulator's IAM's, read at each call, as
  IAM holds them: an IAM user's inline and attached policies and its
  permissions boundary; a role's (an assumed-role session acts with its
  role's) likewise (:func:`policies_of`).
- Each resource is decided on its own: the context it is evaluated with keeps
  the request-wide global keys (:data:`GLOBAL_KEYS`) and, of the others, only
  those the Service Authorization Reference lists for that resource's
  resource-type row or for the action itself (:func:`.sar.keys_for`): "A key is
  in the context of a resource only where the SAR lists it for that
  resource-type row and the request carries it" (the service pages' tables;
  https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
  A condition on a key not in that context does not match (the IfExists forms
  aside, :mod:`.evaluate`).
- The request is allowed when every resource is; the answer names the first
  resource refused and why.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from ...iam.sar import GLOBAL_KEYS, context_for  # noqa: F401 (the SAR's context per resource)
from .evaluate import Decision, Request, evaluate


@dataclass(frozen=True)
class Verdict:
    """The answer for one request: ``allowed``; ``action``; ``resource`` (the one refused, or
    the last allowed); ``decision`` per resource (:class:`.evaluate.Decision`, in order)."""

    allowed: bool
    action: str
    resource: str
    decisions: tuple[tuple[str, Decision], ...]

    def message(self, principal: str) -> str:
        """AWS's wording of a denial (the form AccessDenied messages take: "User: <arn> is not
        authorized to perform: <action> on resource: <arn> because no identity-based policy allows
        the <action> action"; "Access denied error messages",
        https://docs.aws.amazon.com/IAM/latest/UserGuide/access_denied-error-messages.html)."""
        why = {"explicit deny": "with an explicit deny in an identity-based policy",
               "boundary": "because no permissions boundary allows the " + self.action + " action",
               "trust": "because no resource-based policy allows the " + self.action + " action",
               "trust deny": "with an explicit deny in a resource-based policy",
               }.get(self.decisions[-1][1].why, "because no identity-based policy allows the " + self.action
                     + " action")
        return f"User: {principal} is not authorized to perform: {self.action} on resource: {self.resource} {why}"


def decide(action: str, resources: list[str], context: dict[str, Any], identity: list[dict[str, Any]],
           boundary: dict[str, Any] | None = None) -> Verdict:
    """:class:`Verdict` of ``action`` on each of ``resources`` (``["*"]`` for an action with no
    resource type) by a principal holding ``identity`` within ``boundary``."""
    decisions = []
    for resource in resources or ["*"]:
        decision = evaluate(identity, Request(action, resource, context_for(action, resource, context)), boundary)
        decisions.append((resource, decision))
        if not decision.allowed:
            return Verdict(False, action, resource, tuple(decisions))
    return Verdict(True, action, decisions[-1][0], tuple(decisions))


def document(value: Any) -> dict[str, Any]:
    """A policy document as IAM returns it (a dict, JSON text, or URL-encoded JSON)."""
    if isinstance(value, dict):
        return value
    text = value if value.lstrip().startswith("{") else urllib.parse.unquote(value)
    return json.loads(text)


def managed(iam: Any, arn: str) -> dict[str, Any]:
    """The default version's document of the managed policy ``arn``."""
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return document(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])


def policies_of(iam: Any, principal: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """(identity policies, permissions boundary or None) of ``principal`` (a user's, role's or
    assumed-role session's ARN), read with ``iam``, a client of the principal's account."""
    kind, _, path = principal.split(":", 5)[5].partition("/")
    name = path.split("/")[0] if kind == "assumed-role" else path.rsplit("/", 1)[-1]
    if kind == "user":
        inline = [document(iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"])
                  for p in iam.list_user_policies(UserName=name)["PolicyNames"]]
        attached = [managed(iam, a["PolicyArn"])
                    for a in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]]
        entity = iam.get_user(UserName=name)["User"]
    elif kind in ("role", "assumed-role"):
        inline = [document(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
                  for p in iam.list_role_policies(RoleName=name)["PolicyNames"]]
        attached = [managed(iam, a["PolicyArn"])
                    for a in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
        entity = iam.get_role(RoleName=name)["Role"]
    else:
        raise ValueError(f"not a user, role or assumed-role ARN: {principal}")
    boundary_arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return inline + attached, (managed(iam, boundary_arn) if boundary_arn else None)


def authorize(principal: str, action: str, resources: list[str], context: dict[str, Any],
              endpoint: str | None = None) -> Verdict:
    """May ``principal`` (an ARN) do ``action`` on every one of ``resources``, with ``context``?
    Its policies are read from the emulator at ``endpoint`` (default: the running local stack's)."""
    from .. import stack
    from .account import admin_client

    account = principal.split(":")[4]
    iam = admin_client(endpoint or stack.aws_endpoint(), account, "iam")
    identity, boundary = policies_of(iam, principal)
    return decide(action, resources, context, identity, boundary)


__all__ = ["GLOBAL_KEYS", "Verdict", "authorize", "context_for", "decide", "document", "managed", "policies_of"]
