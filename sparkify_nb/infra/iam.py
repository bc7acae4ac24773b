"""The IAM role Redshift assumes for ``COPY``, with an inline least-privilege
policy (:func:`role_policy`): list the source buckets, read the source prefixes
and the jsonpaths object, nothing else. Local-folder sources need no permission.

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


def role_policy(settings: Settings) -> dict[str, Any]:
    """The inline policy of the COPY role: ``s3:ListBucket`` on each source
    bucket, limited to the source prefixes, and ``s3:GetObject`` on objects under
    the song and log prefixes plus the one jsonpaths object. Sources that are
    local folders need no permission. Nothing broader (no managed S3 policy)."""
    parsed = {n: parse_s3_uri(u) for n in SOURCES if (u := settings.source_uri(n)).startswith("s3://")}
    statements: list[dict[str, Any]] = []
    for bucket in sorted({b for b, _ in parsed.values()}):
        prefixes = sorted({key.rstrip("/") + ("" if n == "log_jsonpath" else "*")
                           for n, (b, key) in parsed.items() if b == bucket})
        statements.append({"Sid": f"List{''.join(ch for ch in bucket.title() if ch.isalnum())}", "Effect": "Allow",
                           "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
                           "Condition": {"StringLike": {"s3:prefix": prefixes}}})
    objects = sorted(f"arn:aws:s3:::{f'{b}/{key}'.rstrip('/')}" + ("" if n == "log_jsonpath" else "/*")
                     for n, (b, key) in parsed.items())
    if objects:
        statements.append({"Sid": "ReadSources", "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects})
    return {"Version": "2012-10-17", "Statement": statements}


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
    bring its inline policy in line with :func:`role_policy`. Returns ``{"role_arn": ...}``."""
    name = role_name(ctx.settings)
    arn = ensure_bounded_role(ctx, name, TRUST_POLICY, "Lets Redshift COPY read the Sparkify sources",
                              record["boundary_arn"])
    _ensure_policy(ctx, name)
    return {"role_arn": arn}


def _ensure_policy(ctx: Context, name: str) -> None:
    iam, wanted = ctx.client("iam"), role_policy(ctx.settings)
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


def role_actions(ctx: Context) -> tuple[set[str], int]:
    """What the role may do (every action of its inline policies) and how many
    managed policies are attached to it (:mod:`.controls` wants none)."""
    iam, name = ctx.client("iam"), role_name(ctx.settings)
    attached = aws.call(iam, "list_attached_role_policies", RoleName=name)["AttachedPolicies"]
    actions: set[str] = set()
    for policy in aws.call(iam, "list_role_policies", RoleName=name)["PolicyNames"]:
        doc = document(aws.call(iam, "get_role_policy", RoleName=name, PolicyName=policy)["PolicyDocument"])
        for st in doc["Statement"]:
            actions |= {st["Action"]} if isinstance(st["Action"], str) else set(st["Action"])
    return actions, len(attached)


def delete_role(ctx: Context, item: dict[str, Any]) -> None:
    """Remove the role's inline and managed policies, then the role."""
    iam, name = ctx.client("iam"), item["RoleName"]
    for policy in aws.call(iam, "list_role_policies", RoleName=name)["PolicyNames"]:
        aws.call(iam, "delete_role_policy", RoleName=name, PolicyName=policy)
    for policy in aws.call(iam, "list_attached_role_policies", RoleName=name)["AttachedPolicies"]:
        aws.call(iam, "detach_role_policy", RoleName=name, PolicyArn=policy["PolicyArn"])
    aws.call(iam, "delete_role", missing=("NoSuchEntity",), RoleName=name)
    ctx.progress(f"IAM role {name}: policies and role deleted")
