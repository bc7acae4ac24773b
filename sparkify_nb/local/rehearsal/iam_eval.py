"""Does a role's policy allow an S3 action on a resource? The part of IAM's
policy evaluation a COPY's role needs, over the role's policies as the
emulator's IAM holds them (inline and attached, and its permissions boundary
when it has one), following "Policy evaluation logic"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

- an explicit Deny in any of them denies;
- otherwise an Allow in the identity policies is needed, and, when the role has
  a permissions boundary, an Allow in the boundary too;
- ``Action`` / ``NotAction`` match case-insensitively with ``*`` and ``?``;
  ``Resource`` / ``NotResource`` case-sensitively;
- conditions: the String* operators (``...IfExists`` too), ``Null`` and
  ``Bool``, on the keys the request has (``s3:prefix`` for ListBucket,
  ``aws:SecureTransport``: Redshift reads S3 over TLS). A key the request
  lacks fails a positive operator and passes a negated one (``StringNotLike``)
  and any ``...IfExists``. An operator this module does not know makes an
  Allow not apply and a Deny apply: it errs towards refusing.

Out of scope, as the rehearsal says of itself: resource policies (bucket
policies), service control policies, session policies.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

_STRING_OPS = {"StringEquals": (False, False), "StringNotEquals": (True, False), "StringLike": (False, True),
               "StringNotLike": (True, True), "StringEqualsIgnoreCase": (False, False)}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def document(value: Any) -> dict[str, Any]:
    """A policy document as IAM returns it (a dict, JSON text, or URL-encoded JSON)."""
    if isinstance(value, dict):
        return value
    text = value if value.lstrip().startswith("{") else urllib.parse.unquote(value)
    return json.loads(text)


def _glob(pattern: str, value: str, case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


def _matches(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        if not any(_glob(a, action, False) for a in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_glob(a, action, False) for a in _as_list(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        return any(_glob(r, resource, True) for r in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(_glob(r, resource, True) for r in _as_list(statement["NotResource"]))
    return False


def _condition(block: dict[str, Any], context: dict[str, str], effect: str) -> bool:
    """True when every condition of ``block`` holds for ``context``."""
    for operator, tests in (block or {}).items():
        op = operator.split(":")[-1]  # ForAnyValue:/ForAllValues: on single-valued keys act as the plain operator
        if_exists = op.endswith("IfExists")
        op = op[: -len("IfExists")] if if_exists else op
        for key, wanted in tests.items():
            value = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            if op == "Null":
                holds = (value is None) == (str(_as_list(wanted)[0]).lower() == "true")
            elif value is None:
                holds = if_exists or (op in _STRING_OPS and _STRING_OPS[op][0])
            elif op in _STRING_OPS:
                negated, like = _STRING_OPS[op]
                case = not op.endswith("IgnoreCase")
                hit = any(_glob(w, value, case) if like else (w == value if case else w.lower() == value.lower())
                          for w in map(str, _as_list(wanted)))
                holds = hit != negated
            elif op == "Bool":
                holds = str(value).lower() in [str(w).lower() for w in _as_list(wanted)]
            else:
                return effect == "Deny"  # unknown operator: err towards refusing
            if not holds:
                return False
    return True


def _effects(documents: list[dict[str, Any]], action: str, resource: str, context: dict[str, str]) -> set[str]:
    found = set()
    for doc in documents:
        for statement in _as_list(doc.get("Statement", [])):
            effect = statement.get("Effect")
            if effect in ("Allow", "Deny") and _matches(statement, action, resource) and \
                    _condition(statement.get("Condition"), context, effect):
                found.add(effect)
    return found


def allowed(identity: list[dict[str, Any]], boundary: dict[str, Any] | None, action: str, resource: str,
            context: dict[str, str] | None = None) -> bool:
    """True when ``identity`` policies (within ``boundary``, if any) allow ``action`` on ``resource``."""
    context = {"aws:SecureTransport": "true", **(context or {})}
    effects = _effects(identity, action, resource, context)
    if "Deny" in effects or "Allow" not in effects:
        return False
    if boundary is not None:
        bounded = _effects([boundary], action, resource, context)
        return "Allow" in bounded and "Deny" not in bounded
    return True


def role_policies(iam: Any, role_name: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """(identity policies, permissions boundary or None) of ``role_name``, read from IAM."""
    docs = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
        for name in page["PolicyNames"]:
            docs.append(document(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]))
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
        for attached in page["AttachedPolicies"]:
            docs.append(_managed(iam, attached["PolicyArn"]))
    role = iam.get_role(RoleName=role_name)["Role"]
    boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return docs, (_managed(iam, boundary_arn) if boundary_arn else None)


def _managed(iam: Any, arn: str) -> dict[str, Any]:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return document(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])


def trusts_redshift(trust: Any) -> bool:
    """True when a role's trust policy lets Redshift assume it (Principal Service redshift.amazonaws.com)."""
    for statement in _as_list(document(trust).get("Statement", [])):
        services = _as_list((statement.get("Principal") or {}).get("Service", [])) \
            if isinstance(statement.get("Principal"), dict) else []
        if statement.get("Effect") == "Allow" and "redshift.amazonaws.com" in services and \
                any(_glob(a, "sts:AssumeRole", False) for a in _as_list(statement.get("Action", []))):
            return True
    return False


__all__ = ["allowed", "document", "role_policies", "trusts_redshift"]
