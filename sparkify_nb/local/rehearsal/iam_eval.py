"""A COPY role's reach: does a role's policy allow an S3 action on a resource?
The role's policies as the emulator's IAM holds them (inline and attached, and
its permissions boundary when it has one), decided by the rehearsal's one IAM
evaluator, :mod:`sparkify_nb.local.iam.evaluate` (the rules and their pages are
there). The request context is what Redshift's read carries: ``s3:prefix`` for
ListBucket, ``aws:SecureTransport`` (Redshift reads S3 over TLS).

Out of scope, as the rehearsal says of itself: resource policies (bucket
policies), service control policies, session policies.
"""

from __future__ import annotations

from typing import Any

from ..iam.authorize import document, managed as _managed
from ..iam.evaluate import Request, evaluate


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed(identity: list[dict[str, Any]], boundary: dict[str, Any] | None, action: str, resource: str,
            context: dict[str, str] | None = None) -> bool:
    """True when ``identity`` policies (within ``boundary``, if any) allow ``action`` on ``resource``."""
    context = {"aws:SecureTransport": "true", **(context or {})}
    return evaluate(identity, Request(action, resource, context), boundary).allowed


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


def trusts_redshift(trust: Any, external_id: str) -> bool:
    """True when a role's trust policy lets Redshift (Principal Service ``redshift.amazonaws.com``) assume it
    for ``external_id``, the ARN of the database user running the COPY, which Redshift passes as
    ``sts:ExternalId`` ("limits the sts:ExternalId field ... an ARN for each database user":
    https://docs.aws.amazon.com/redshift/latest/mgmt/authorizing-redshift-service-database-users.html)."""
    for statement in _as_list(document(trust).get("Statement", [])):
        services = _as_list((statement.get("Principal") or {}).get("Service", [])) \
            if isinstance(statement.get("Principal"), dict) else []
        if statement.get("Effect") == "Allow" and "redshift.amazonaws.com" in services and \
                evaluate([{"Statement": [{**statement, "Resource": "*"}]}],
                         Request("sts:AssumeRole", "*", {"sts:ExternalId": external_id})).allowed:
            return True
    return False


__all__ = ["allowed", "document", "role_policies", "trusts_redshift"]
