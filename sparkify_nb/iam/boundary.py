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
The operator policy (:mod:`.operator`) allows ``iam:CreateRole``,
``iam:PutRolePolicy`` and ``iam:PutRolePermissionsBoundary`` only with the
condition ``iam:PermissionsBoundary`` = this policy's ARN, and no action that
creates, deletes, versions or removes a policy or a boundary
(``iam:CreatePolicy``, ``iam:DeletePolicy``, ``iam:CreatePolicyVersion``,
``iam:DeletePolicyVersion``, ``iam:SetDefaultPolicyVersion``,
``iam:DeleteRolePermissionsBoundary``): the account's administrator makes it,
once (:mod:`.admin`; IAM has no condition key on a policy's document, so
whoever may write this policy may write one of ``*``).

What it allows (:func:`document`), the union of what the roles need and no more:

- the COPY role: ``s3:ListBucket`` and ``s3:GetObject`` on the source buckets
  (the role's own policy narrows them to the source prefixes), the public
  Udacity bucket and, on the emulator, the sample bucket (:func:`reachable_buckets`);
  and the manifests (``manifests/*``) of the stack's work bucket (:mod:`.workbucket`);
- the scheduler role: ``redshift:PauseCluster`` on this stack's cluster;
- on a Serverless stack, the analyst role 04 assumes (:mod:`.analyst`): log in
  to the workgroup tagged as this stack's and run SQL there through the Data
  API, reading back its own statements only.
- the lease role (:mod:`.lease`): delete this stack's cluster (keeping its
  final snapshot, named after it), or on Serverless the workgroup and
  namespace tagged as this stack's, with the admin secret Redshift deletes
  with them and their final snapshot; whatever ``[cluster] lease_hours`` and
  ``final_snapshot`` say (the administrator makes the boundary once).

Bucket-wide on purpose: a new prefix in the same bucket needs no new boundary.
When the sources move to another bucket (or the cluster is renamed) the
boundary no longer fits; 01 then stops and prints the administrator's command
(:class:`sparkify_nb.infra.boundary.BoundaryError`). The document also serves
as the check that nobody widened it by hand: 01 compares the policy's default
version with :func:`document` each run, and 99 leaves the policy (the
administrator deletes it: :mod:`sparkify_nb.infra.boundary`).
"""

from __future__ import annotations

from typing import Any

from ..config import REDSHIFT_SOURCES, Settings, local_bucket
from ..s3uri import parse_s3_uri
from . import analyst, lease, reach, workbucket

DESCRIPTION = "Sparkify: the most any role of this stack may do (its permissions boundary)"


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
    return sorted(set(reach.source_buckets(settings)) | public | sample)


def document(settings: Settings, account: str, partition: str = "aws") -> dict[str, Any]:
    """The boundary's policy document (module docstring): S3 read of the source
    buckets, ``redshift:PauseCluster`` on this stack's cluster, on Serverless
    the analyst role's queries of the stack's workgroup, and the lease role's deletion of the warehouse."""
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
    statements += lease.boundary_statements(settings, account, partition)
    return {"Version": "2012-10-17", "Statement": statements}
