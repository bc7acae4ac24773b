"""The permissions boundary of the stack's roles: a customer managed policy
``<stack_name>-boundary`` that caps what any role the stack makes may do, however
its own policies are later written.

Why: the operator may create the stack's roles and write their inline
policies (01 must). Without a cap, whoever holds the operator policy could
write ``"*"`` into a role, make it trust themselves and act through it. With
it, a role's effective permissions are the intersection of its policies and
its boundary ("A permissions boundary ... sets the maximum permissions that an
identity-based policy can grant to an IAM entity":
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
The operator policy (:mod:`.access`) allows ``iam:CreateRole``,
``iam:PutRolePolicy`` and ``iam:PutRolePermissionsBoundary`` only with the
condition ``iam:PermissionsBoundary`` = this policy's ARN, and allows no
action that changes or removes a boundary (``iam:CreatePolicyVersion``,
``iam:SetDefaultPolicyVersion``, ``iam:DeleteRolePermissionsBoundary``).

What it allows (:func:`document`), the union of what the roles need and no more:

- the COPY role: ``s3:ListBucket`` and ``s3:GetObject`` on the source buckets
  (the role's own policy narrows them to the source prefixes), the public
  Udacity bucket and, on the emulator, the sample bucket (:func:`reachable_buckets`);
  and the manifests (``manifests/*``) of the stack's work bucket (:mod:`.workbucket`);
- the scheduler role: ``redshift:PauseCluster`` on this stack's cluster;
- on a Serverless stack, the analyst role 04 assumes (:mod:`.analyst`): log in
  to the workgroup tagged as this stack's and run SQL there through the Data
  API, reading back its own statements only.

Bucket-wide on purpose: a new prefix in the same bucket needs no new boundary.
When the sources move to another bucket (or the cluster is renamed) the
boundary no longer fits; 01 then stops and says what to do
(:class:`BoundaryError`): the operator may not rewrite a boundary, which is the
point. The document also serves as the check that nobody widened it by hand:
01 compares the policy's default version with :func:`document` each run.

Teardown path: 99 deletes the roles first (:func:`.resources.teardown_order`),
then this policy (``iam:DeletePolicy``, its non-default versions first:
https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html).
Deleting it widens nothing: a role without its boundary cannot be given a
policy by the operator (``iam:PutRolePolicy`` needs the boundary on the
role), and a new role cannot be made without it. What the operator policy
cannot prevent (IAM has no condition key on a policy's document): someone
holding it could delete the boundary and create a wider one of the same name.
01 refuses such a boundary (its document differs) and so never makes or uses
a role under it; docs/redshift.md says how an administrator closes even that
gap (create the boundary yourself and keep ``iam:CreatePolicy`` /
``iam:DeletePolicy`` out of the operator's policy).
"""

from __future__ import annotations

import json
from typing import Any

from .. import aws
from ..config import REDSHIFT_SOURCES, Settings, local_bucket
from ..staging.sources import parse_s3_uri
from . import analyst, iam, workbucket
from .context import Context
from .errors import InfraError

DESCRIPTION = "Sparkify: the most any role of this stack may do (its permissions boundary)"


class BoundaryError(InfraError):
    """The stack's boundary exists with another document than the one 01 makes."""


def policy_name(settings: Settings) -> str:
    """``<stack_name>-boundary``."""
    return f"{settings.stack_name}-boundary"


def policy_arn(settings: Settings, account: str, partition: str = "aws") -> str:
    """The boundary's ARN in ``account`` (``*`` in a policy printed without one)."""
    return f"arn:{partition}:iam::{account}:policy/{policy_name(settings)}"


def reachable_buckets(settings: Settings) -> list[str]:
    """The buckets the boundary lets the stack's roles read: the configured
    sources, the public Udacity bucket (anyone may read it: allowing it widens
    nothing, and it is the default source), and on the emulator the local
    sample bucket too, so that a local run and a rehearsal of one stack (which
    share the emulator, with sources of their own) keep one boundary."""
    public = {parse_s3_uri(uri)[0] for uri in REDSHIFT_SOURCES.values()}
    sample = {local_bucket(settings.stack_name)} if settings.on_emulator else set()
    return sorted(set(iam.source_buckets(settings)) | public | sample)


def document(settings: Settings, account: str, partition: str = "aws") -> dict[str, Any]:
    """The boundary's policy document (module docstring): S3 read of the source
    buckets, ``redshift:PauseCluster`` on this stack's cluster, and on Serverless
    the analyst role's queries of the stack's workgroup."""
    buckets = reachable_buckets(settings)
    statements: list[dict[str, Any]] = []
    if buckets:
        statements.append({"Sid": "ReadTheSourceBuckets", "Effect": "Allow", "Action": ["s3:GetObject",
                           "s3:ListBucket"], "Resource": [f"arn:{partition}:s3:::{b}" for b in buckets]
                           + [f"arn:{partition}:s3:::{b}/*" for b in buckets]})
    # The work bucket's manifests (daily loads on redshift, :mod:`.workbucket`), on every target: a local run and a
    # rehearsal of one stack keep one boundary.
    work = f"arn:{partition}:s3:::{workbucket.bucket_name(settings, account)}"
    statements.append({"Sid": "ReadTheWorkBucketsManifests", "Effect": "Allow", "Action": ["s3:GetObject",
                       "s3:ListBucket"], "Resource": [work, f"{work}/{workbucket.MANIFESTS}*"]})
    cluster = f"arn:{partition}:redshift:{settings.region}:{account}:cluster:{settings.get('cluster', 'identifier')}"
    statements.append({"Sid": "PauseThisCluster", "Effect": "Allow", "Action": "redshift:PauseCluster",
                       "Resource": cluster})
    if settings.get("cluster", "kind") == "serverless":
        statements += analyst.role_policy(settings, account, partition)["Statement"]
    return {"Version": "2012-10-17", "Statement": statements}


def _arn(ctx: Context) -> str:
    return policy_arn(ctx.settings, ctx.caller["Account"], ctx.partition)


def find_boundary(ctx: Context) -> list[dict[str, Any]]:
    """The boundary, when it exists and carries this stack's tag."""
    found = aws.call(ctx.client("iam"), "get_policy", missing=("NoSuchEntity",), PolicyArn=_arn(ctx))
    if not found or not ctx.is_ours(found["Policy"].get("Tags")):
        return []
    policy = found["Policy"]
    return [{"PolicyName": policy["PolicyName"], "PolicyArn": policy["Arn"], "Tags": policy.get("Tags", []),
             "DefaultVersionId": policy.get("DefaultVersionId")}]


def ensure_boundary(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Create the boundary, or check that the existing one is ours and holds
    :func:`document` exactly. Returns ``{"boundary_arn": ...}``. Raises
    :class:`.ConflictError` for an untagged policy of that name and
    :class:`BoundaryError` for one whose document differs."""
    client, arn, name = ctx.client("iam"), _arn(ctx), policy_name(ctx.settings)
    wanted = document(ctx.settings, ctx.caller["Account"], ctx.partition)
    found = aws.call(client, "get_policy", missing=("NoSuchEntity",), PolicyArn=arn)
    if not found:
        aws.call(client, "create_policy", PolicyName=name, PolicyDocument=json.dumps(wanted), Description=DESCRIPTION,
                 Tags=ctx.tags(name))
        ctx.progress(f"permissions boundary {name}: created (the stack's roles may at most read the source buckets "
                     "and pause this cluster)")
        return {"boundary_arn": arn}
    ctx.claim(found["Policy"].get("Tags"), f"IAM policy {name}", "[general] stack_name")
    version = aws.call(client, "get_policy_version", PolicyArn=arn, VersionId=found["Policy"]["DefaultVersionId"])
    if iam.document(version["PolicyVersion"]["Document"]) != wanted:
        raise BoundaryError(
            f"permissions boundary {name} ({arn}) allows something else than this stack needs (its sources or "
            "[cluster] identifier changed, or someone edited it). The operator policy may not rewrite a boundary. "
            "Either run 99_teardown and then 01 (it makes the boundary anew), or have an administrator set its "
            f"document to the one `sparkify-nb iam-policy --boundary` prints (aws iam create-policy-version "
            f"--policy-arn {arn} --set-as-default --policy-document file://boundary.json)")
    ctx.progress(f"permissions boundary {name}: exists, unchanged")
    return {"boundary_arn": arn}


def delete_boundary(ctx: Context, item: dict[str, Any]) -> None:
    """Delete the boundary's non-default versions, then the policy (after the
    roles it bounds: it comes before them in the resource table)."""
    client, arn = ctx.client("iam"), item["PolicyArn"]
    versions = aws.call(client, "list_policy_versions", missing=("NoSuchEntity",), PolicyArn=arn)
    for version in (versions or {}).get("Versions", []):
        if not version.get("IsDefaultVersion"):
            aws.call(client, "delete_policy_version", PolicyArn=arn, VersionId=version["VersionId"])
    aws.call(client, "delete_policy", missing=("NoSuchEntity",), PolicyArn=arn)
    ctx.progress(f"permissions boundary {item['PolicyName']}: deleted")
