"""The IAM role Redshift assumes for ``COPY``, as documents: its trust, its
name, and its inline least-privilege policy (:func:`role_policy`): list the
source buckets, read the source prefixes, the jsonpaths object, a manifest
source and its parts and, on ``redshift``, the manifests of daily loads in the
stack's work bucket; nothing else (what exactly, and why: :mod:`.reach`).
Local-folder sources need no permission. 01 makes the role under the stack's
permissions boundary (:mod:`.boundary`): :mod:`sparkify_nb.infra.roles`.
"""

from __future__ import annotations

import json
from typing import Any

from ..config import Settings
from ..s3uri import parse_s3_uri
from . import reach

# Both the provisioned service and Redshift Serverless assume the role for COPY: "make sure that it contains
# redshift-serverless.amazonaws.com and redshift.amazonaws.com as principal service names"
# (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-security-other-services.html).
SERVICES = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
POLICY_NAME = "read-sources"
SOURCES = ("song_data", "log_data", "log_jsonpath")


def trust(settings: Settings, account: str, partition: str = "aws") -> dict[str, Any]:
    """Redshift may assume the role only for a database user of this stack's cluster or workgroup (both are
    named ``[cluster] identifier``): "Add a condition to the sts:AssumeRole action section of the trust
    relationship that limits the sts:ExternalId field to values that you specify. Include an ARN for each
    database user", ``arn:aws:redshift:region:account-id:dbuser:cluster-name/user-name``, and for Serverless
    ``...:dbuser:workgroup-name/user-name``
    (https://docs.aws.amazon.com/redshift/latest/mgmt/authorizing-redshift-service-database-users.html).
    Every user of the cluster (``/*``, ``StringLike``), not a list: on Serverless the user is the caller's
    IAM identity (``IAM:<user>``, ``IAMR:<role>``), which the policy cannot know before 01 runs. AWS shows
    the users listed one by one with ``StringEquals``; that a pattern matches what Redshift sends is the
    strictest reading of the same page (unconfirmed). ``aws:SourceArn`` / ``aws:SourceAccount`` are not
    documented for Redshift's assumption of a COPY role, so the condition is the one the page gives."""
    users = f"arn:{partition}:redshift:{settings.region}:{account}:dbuser:{settings.get('cluster', 'identifier')}/*"
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": list(SERVICES)}, "Action": "sts:AssumeRole",
        "Condition": {"StringLike": {"sts:ExternalId": users}}}]}


def role_name(settings: Settings) -> str:
    """The COPY role's name: ``<stack_name>-redshift-copy``."""
    return f"{settings.stack_name}-redshift-copy"


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


def document(doc: Any) -> Any:
    """IAM returns policy documents URL-decoded as dicts; the emulator as JSON text."""
    return json.loads(doc) if isinstance(doc, str) else doc


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
