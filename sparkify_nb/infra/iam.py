"""The IAM role Redshift assumes for ``COPY``, with an inline least-privilege
policy (:func:`role_policy`): list the source buckets, read the source prefixes,
the jsonpaths object, a manifest source and its parts and, on ``redshift``, the
manifests of daily loads in the stack's work bucket; nothing else (what exactly,
and why: :mod:`.reach`). Local-folder sources need no permission.

Every role the stack makes (this one, the scheduler's of :mod:`.guardrails`)
carries the stack's permissions boundary (:mod:`.boundary`) from its creation
on (:func:`ensure_bounded_role`); a role made before boundaries existed gets it
before anything else is written into it.
"""

from __future__ import annotations

import json
from typing import Any

from .. import aws
from ..config import Settings
from ..staging.sources import parse_s3_uri
from . import reach
from .context import Context
from .wait import wait

# Both the provisioned service and Redshift Serverless assume the role for COPY; Serverless needs its own
# principal (as DMS documents for a Serverless target:
# https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.Redshift.html#CHAP_Target.Redshift.RSServerless).
TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]},
    "Action": "sts:AssumeRole"}]}
POLICY_NAME = "read-sources"
SOURCES = ("song_data", "log_data", "log_jsonpath")


def role_name(settings: Settings) -> str:
    """The COPY role's name: ``<stack_name>-redshift-copy``."""
    return f"{settings.stack_name}-redshift-copy"


def source_buckets(settings: Settings) -> list[str]:
    """The S3 buckets the song and log data are read from (none for local folders)."""
    return sorted({parse_s3_uri(settings.source_uri(n))[0] for n in ("song_data", "log_data")
                   if settings.source_uri(n).startswith("s3://")})


def role_policy(settings: Settings, granted: reach.Reach | None = None, partition: str = "aws") -> dict[str, Any]:
    """The inline policy of the COPY role: ``s3:ListBucket`` on each source
    bucket, limited to the source prefixes (``s3:prefix``), and ``s3:GetObject``
    on what the COPY reads: the objects under the song and log prefixes, the
    jsonpaths object, a manifest source and its parts, on ``redshift`` the work
    bucket's manifests (``granted``, default :func:`.reach.copy_reach` without
    reading any manifest). Sources that are local folders need no permission.
    Nothing broader (no managed S3 policy)."""
    granted = granted or reach.copy_reach(settings)
    return {"Version": "2012-10-17", "Statement": reach.statements(granted, partition)}


def wanted_policy(ctx: Context) -> tuple[dict[str, Any], reach.Reach]:
    """:func:`role_policy` as 01 writes it: each manifest source read for its
    parts, the work bucket named with the caller's account. Raises
    :class:`.InfraError` for a manifest whose parts lie outside the source buckets."""
    granted = reach.copy_reach(ctx.settings, ctx.caller["Account"], ctx.clients)
    return role_policy(ctx.settings, granted, ctx.partition), granted


def document(doc: Any) -> Any:
    """IAM returns policy documents URL-decoded as dicts; the emulator as JSON text."""
    return json.loads(doc) if isinstance(doc, str) else doc


def find_role(ctx: Context) -> list[dict[str, Any]]:
    """The COPY role, when it exists and carries this stack's tag."""
    name = role_name(ctx.settings)
    tags = aws.call(ctx.client("iam"), "list_role_tags", missing=("NoSuchEntity",), RoleName=name)
    return [{"RoleName": name, "Tags": tags["Tags"]}] if tags and ctx.is_ours(tags["Tags"]) else []


def ensure_bounded_role(ctx: Context, name: str, trust: dict[str, Any], description: str,
                        boundary_arn: str) -> str:
    """Find or create the role ``name`` with ``trust`` and the permissions
    boundary ``boundary_arn``; an existing role must carry this stack's tag
    (else :class:`.ConflictError`), gets the boundary if it lacks it, and its
    trust brought in line. Returns the role's ARN."""
    client = ctx.client("iam")
    role = aws.call(client, "get_role", missing=("NoSuchEntity",), RoleName=name)
    if not role:
        arn = aws.call(client, "create_role", RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                       Description=description, PermissionsBoundary=boundary_arn, Tags=ctx.tags(name))["Role"]["Arn"]
        # IAM is eventually consistent: a role Redshift cannot see yet fails CreateCluster.
        wait(client, "role_exists", ctx.progress, delay_s=ctx.poll_delay_s, timeout_s=120, RoleName=name)
        ctx.progress(f"IAM role {name}: created, bounded by {boundary_arn.rsplit('/', 1)[-1]}")
        return arn
    ctx.claim(aws.call(client, "list_role_tags", RoleName=name)["Tags"], f"IAM role {name}", "[general] stack_name")
    ctx.progress(f"IAM role {name}: exists")
    if (role["Role"].get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn") != boundary_arn:
        # First, so that the operator's PutRolePolicy (allowed only on bounded roles) works after it.
        aws.call(client, "put_role_permissions_boundary", RoleName=name, PermissionsBoundary=boundary_arn)
        ctx.progress(f"IAM role {name}: permissions boundary set to {boundary_arn.rsplit('/', 1)[-1]}")
    if document(role["Role"].get("AssumeRolePolicyDocument")) != trust:
        aws.call(client, "update_assume_role_policy", RoleName=name, PolicyDocument=json.dumps(trust))
        principals = trust["Statement"][0]["Principal"]["Service"]
        ctx.progress(f"IAM role {name}: trust set to {' and '.join(principals) if isinstance(principals, list) else principals}")
    return role["Role"]["Arn"]


def ensure_role(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Find or create the COPY role (bounded, :func:`ensure_bounded_role`), then
    bring its inline policy in line with :func:`wanted_policy`. Returns
    ``{"role_arn": ..., "copy_reach": ...}``: what the role may read, which 03
    checks every source against before its COPY (:mod:`.reach`)."""
    name = role_name(ctx.settings)
    wanted, granted = wanted_policy(ctx)
    arn = ensure_bounded_role(ctx, name, TRUST_POLICY, "Lets Redshift COPY read the Sparkify sources",
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


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def beyond_reach(grants: dict[str, set[str]], granted: dict[str, list[str]], partition: str = "aws") -> list[str]:
    """What ``grants`` (:func:`role_grants`) allow beyond ``granted`` (a
    :meth:`.reach.Reach.record`): ``s3:GetObject`` on a resource that is not
    one of its object patterns, ``s3:ListBucket`` on a bucket none of its
    prefixes is in, any other action on anything; as ``"action on resource"``."""
    objects = {reach.arn(o, partition) for o in granted.get("objects", [])}
    buckets = {f"arn:{partition}:s3:::{parse_s3_uri(p)[0]}" for p in granted.get("prefixes", [])}
    allowed = {"s3:GetObject": objects, "s3:ListBucket": buckets}
    return sorted(f"{action} on {resource}" for action, resources in grants.items() for resource in resources
                  if resource not in allowed.get(action, set()))


def delete_role(ctx: Context, item: dict[str, Any]) -> None:
    """Remove the role's inline and managed policies, then the role."""
    iam, name = ctx.client("iam"), item["RoleName"]
    for policy in aws.call(iam, "list_role_policies", RoleName=name)["PolicyNames"]:
        aws.call(iam, "delete_role_policy", RoleName=name, PolicyName=policy)
    for policy in aws.call(iam, "list_attached_role_policies", RoleName=name)["AttachedPolicies"]:
        aws.call(iam, "detach_role_policy", RoleName=name, PolicyArn=policy["PolicyArn"])
    aws.call(iam, "delete_role", missing=("NoSuchEntity",), RoleName=name)
    ctx.progress(f"IAM role {name}: policies and role deleted")
