"""Find, make and delete the stack's IAM roles: the COPY role Redshift assumes
(its documents and why: :mod:`sparkify_nb.iam.copy_role`), and every other
role the stack makes under its permissions boundary (:func:`ensure_bounded_role`:
the scheduler's of :mod:`.guardrails`, the analysts' of :mod:`.analyst`). A
role made before boundaries existed gets it before anything else is written
into it; one whose trust drifted is deleted and made again (the operator may
not re-trust a role).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from .. import aws, s3uri
from ..aws import Clients
from ..iam import reach
from ..iam.copy_role import POLICY_NAME, document, role_name, role_policy, trust as copy_trust
from .context import Context
from .wait import wait


def manifest_reader(clients: Clients) -> Callable[[str], list[str]]:
    """Reads a manifest's part URLs with ``clients`` (the operator's identity: ``s3:GetObject`` on it);
    a manifest that does not parse raises as COPY would fail on it."""
    def read(uri: str) -> list[str]:
        bucket, key = s3uri.parse_s3_uri(uri)
        return s3uri.manifest_urls(s3uri.manifest_entries(clients("s3").get_object(Bucket=bucket, Key=key)["Body"].read()))
    return read


def wanted_policy(ctx: Context) -> tuple[dict[str, Any], reach.Reach]:
    """:func:`role_policy` as 01 writes it: each manifest source read for its
    parts, the work bucket named with the caller's account. Raises
    :class:`sparkify_nb.iam.errors.PolicyError` for a manifest whose parts lie outside the source buckets."""
    granted = reach.copy_reach(ctx.settings, ctx.caller["Account"], manifest_reader(ctx.clients))
    return role_policy(ctx.settings, granted, ctx.partition), granted


def find_role(ctx: Context) -> list[dict[str, Any]]:
    """The COPY role, when it exists and carries this stack's tag."""
    name = role_name(ctx.settings)
    tags = aws.call(ctx.client("iam"), "list_role_tags", missing=("NoSuchEntity",), RoleName=name)
    return [{"RoleName": name, "Tags": tags["Tags"]}] if tags and ctx.is_ours(tags["Tags"]) else []


def _create_bounded_role(ctx: Context, name: str, trust: dict[str, Any], description: str,
                         boundary_arn: str) -> str:
    client = ctx.client("iam")
    arn = aws.call(client, "create_role", RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                   Description=description, PermissionsBoundary=boundary_arn, Tags=ctx.tags(name))["Role"]["Arn"]
    # IAM is eventually consistent: a role Redshift cannot see yet fails CreateCluster.
    wait(client, "role_exists", ctx.progress, delay_s=ctx.poll_delay_s, timeout_s=120, RoleName=name)
    return arn


def ensure_bounded_role(ctx: Context, name: str, trust: dict[str, Any], description: str,
                        boundary_arn: str) -> str:
    """Find or create the role ``name`` with ``trust`` and the permissions
    boundary ``boundary_arn``; an existing role must carry this stack's tag
    (else :class:`.ConflictError`) and gets the boundary if it lacks it. One
    whose trust policy drifted is deleted and created again under the
    boundary, saying so: the operator may not re-trust a role
    (``iam:UpdateAssumeRolePolicy`` takes no condition key, so allowing it
    would let any stack role be made to trust another account:
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
    Returns the role's ARN; the caller writes its inline policy afterwards."""
    client = ctx.client("iam")
    role = aws.call(client, "get_role", missing=("NoSuchEntity",), RoleName=name)
    if not role:
        arn = _create_bounded_role(ctx, name, trust, description, boundary_arn)
        ctx.progress(f"IAM role {name}: created, bounded by {boundary_arn.rsplit('/', 1)[-1]}")
        return arn
    ctx.claim(aws.call(client, "list_role_tags", RoleName=name)["Tags"], f"IAM role {name}", "[general] stack_name")
    if document(role["Role"].get("AssumeRolePolicyDocument")) != trust:
        delete_role(ctx, {"RoleName": name})
        arn = _create_bounded_role(ctx, name, trust, description, boundary_arn)
        ctx.progress(f"IAM role {name}: its trust policy was not the one this stack sets, so it was deleted and made "
                     f"again under {boundary_arn.rsplit('/', 1)[-1]} (the operator may not change a role's trust)")
        return arn
    ctx.progress(f"IAM role {name}: exists")
    if (role["Role"].get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") != boundary_arn:
        # First, so that the operator's PutRolePolicy (allowed only on bounded roles) works after it.
        aws.call(client, "put_role_permissions_boundary", RoleName=name, PermissionsBoundary=boundary_arn)
        ctx.progress(f"IAM role {name}: permissions boundary set to {boundary_arn.rsplit('/', 1)[-1]}")
    return role["Role"]["Arn"]


def ensure_role(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Find or create the COPY role (bounded, :func:`ensure_bounded_role`), then
    bring its inline policy in line with :func:`wanted_policy`. Returns
    ``{"role_arn": ..., "copy_reach": ...}``: what the role may read, which 03
    checks every source against before its COPY (:mod:`.reach`)."""
    name = role_name(ctx.settings)
    wanted, granted = wanted_policy(ctx)
    arn = ensure_bounded_role(ctx, name, copy_trust(ctx.settings, ctx.caller["Account"], ctx.partition),
                              "Lets Redshift COPY read the Sparkify sources",
                              record["boundary_arn"])
    for note in granted.notes:
        ctx.progress(f"IAM role {name}: {note}")
    _ensure_policy(ctx, name, wanted)
    return {"role_arn": arn, "copy_reach": granted.record()}


def _ensure_policy(ctx: Context, name: str, wanted: dict[str, Any]) -> None:
    iam = ctx.client("iam")
    current = aws.call(iam, "get_role_policy", missing=("NoSuchEntity",), RoleName=name, PolicyName=POLICY_NAME)
    if not wanted["Statement"]:
        if current:
            aws.call(iam, "delete_role_policy", RoleName=name, PolicyName=POLICY_NAME)
        ctx.progress(f"IAM role {name}: no S3 source, no S3 permission")
    elif (current and document(current["PolicyDocument"])) != wanted:
        aws.call(iam, "put_role_policy", RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(wanted))
        buckets = [st["Resource"].rsplit(":", 1)[1] for st in wanted["Statement"] if st["Action"] == "s3:ListBucket"]
        ctx.progress(f"IAM role {name}: policy {POLICY_NAME} {'updated' if current else 'attached'} "
                     f"(read-only on {', '.join(buckets)})")


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def role_grants(ctx: Context) -> tuple[dict[str, set[str]], int]:
    """``{action: resources}`` of every ``Allow`` statement of the role's inline
    policies, and how many managed policies are attached to it. A statement
    with ``NotAction`` or ``NotResource`` (allowing all but what it names)
    counts as action or resource ``*``."""
    iam, name = ctx.client("iam"), role_name(ctx.settings)
    attached = aws.call(iam, "list_attached_role_policies", RoleName=name)["AttachedPolicies"]
    grants: dict[str, set[str]] = {}
    for policy in aws.call(iam, "list_role_policies", RoleName=name)["PolicyNames"]:
        doc = document(aws.call(iam, "get_role_policy", RoleName=name, PolicyName=policy)["PolicyDocument"])
        statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
        for st in statements:
            if st.get("Effect") != "Allow":
                continue
            actions = ["*"] if "NotAction" in st else _listed(st.get("Action"))
            resources = ["*"] if "NotResource" in st else _listed(st.get("Resource"))
            for action in actions:
                grants.setdefault(action, set()).update(resources)
    return grants, len(attached)


def delete_role(ctx: Context, item: dict[str, Any]) -> None:
    """Remove the role's inline and managed policies, then the role."""
    iam, name = ctx.client("iam"), item["RoleName"]
    for policy in aws.call(iam, "list_role_policies", RoleName=name)["PolicyNames"]:
        aws.call(iam, "delete_role_policy", RoleName=name, PolicyName=policy)
    for policy in aws.call(iam, "list_attached_role_policies", RoleName=name)["AttachedPolicies"]:
        aws.call(iam, "detach_role_policy", RoleName=name, PolicyArn=policy["PolicyArn"])
    aws.call(iam, "delete_role", missing=("NoSuchEntity",), RoleName=name)
    ctx.progress(f"IAM role {name}: policies and role deleted")
