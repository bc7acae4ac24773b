"""One AWS request as IAM sees it, and what IAM authorises for it: the shapes
the rehearsal's gate (:mod:`sparkify_nb.local.iam.gate`) and 01's preflight
(:mod:`sparkify_nb.infra.preflight`, through :mod:`.plan`) share, with
:mod:`.touches` (which ARNs each operation touches) between them. Pure: no
AWS call, no emulator.

- :class:`Call`: the operation and its parameters as they go over the wire
  (query protocol: the flat form fields; JSON: the body; S3: bucket, key,
  query);
- :class:`Principal`: who signs it;
- :class:`Authorisation`: one action on some resources with the request
  context (AWS global condition keys,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html;
  a service's own keys from its SAR page) and each resource's own keys (its tags);
- :class:`State`: what a call's authorisation reads of the account's current
  state (tags of an existing resource, a role's boundary, ...). This one knows
  nothing; the gate reads the emulator's (:class:`sparkify_nb.local.iam.requests.Lookup`),
  the preflight the state a run's own calls leave (:class:`.plan.Planned`);
- :func:`action_of`: the IAM action of an API operation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """One request: ``service`` (its signing name), ``region``, ``operation`` (the API's name),
    ``params`` (query protocol: the flat form fields; JSON: the body; S3: bucket, key, query)."""

    service: str
    region: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)
    key_id: str = ""


@dataclass
class Principal:
    """Who signed: account, ARN, user name and unique id (``aws:userid``); ``kind``: ``User``, or
    ``AssumedRole`` for a role's session (``aws:PrincipalType``), then ``role`` is the role's ARN."""

    account: str
    arn: str
    name: str
    userid: str
    kind: str = "User"
    role: str = ""


@dataclass
class Authorisation:
    """One thing IAM authorises: ``action`` on each of ``resources`` with ``context`` (the keys the
    whole request carries) and ``per_resource`` (keys of one resource: its tags)."""

    action: str
    resources: list[str]
    context: dict[str, Any] = field(default_factory=dict)
    per_resource: dict[str, dict[str, Any]] = field(default_factory=dict)


# S3's IAM actions are not named after its API operations (the "Actions defined by Amazon S3" table of the Service
# Authorization Reference: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
# Everywhere else the action is "<service prefix>:<operation>".
ACTION_OF = {
    ("s3", "ListObjectsV2"): "s3:ListBucket", ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket", ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "DeleteObjects"): "s3:DeleteObject", ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "CreateMultipartUpload"): "s3:PutObject", ("s3", "UploadPart"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
    # The work bucket's settings (infra/workbucket.py): each operation's "Permissions" in the S3 API Reference.
    ("s3", "PutBucketEncryption"): "s3:PutEncryptionConfiguration",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "PutBucketLifecycleConfiguration"): "s3:PutLifecycleConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
}


def action_of(prefix: str, operation: str) -> str:
    """The IAM action an API call needs: ``action_of("s3", "ListObjectsV2")`` is
    ``"s3:ListBucket"``, ``action_of("ec2", "CreateVpc")`` ``"ec2:CreateVpc"``.
    ``prefix`` is the service's signing name (its IAM prefix)."""
    return ACTION_OF.get((prefix, operation), f"{prefix}:{operation}")


def listed(params: dict[str, Any], prefix: str) -> list[str]:
    """The members of a query-protocol list: ``Prefix.1``, ``Prefix.member.1``, ``Prefix.X.1`` ..."""
    pattern = re.compile(re.escape(prefix) + r"(\.[A-Za-z]+)?\.(\d+)$")
    found = sorted(((int(m.group(2)), v) for k, v in params.items() if (m := pattern.match(k))))
    return [v for _, v in found]


def query_tags(params: dict[str, Any], prefix: str) -> dict[str, str]:
    """``{key: value}`` of a query-protocol tag list (``Tags.member.1.Key`` / ``Tags.Tag.1.Key`` / ``Tag.1.Key``)."""
    pattern = re.compile(re.escape(prefix) + r"(\.[A-Za-z]+)?\.(\d+)\.Key$")
    out = {}
    for k, v in params.items():
        m = pattern.match(k)
        if m:
            out[v] = params.get(k[:-len("Key")] + "Value", "")
    return out


def ec2_tag_specifications(params: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``{resource type: {key: value}}`` of EC2's ``TagSpecification.N``."""
    out: dict[str, dict[str, str]] = {}
    for k, v in params.items():
        m = re.match(r"TagSpecification\.(\d+)\.ResourceType$", k)
        if m:
            out.setdefault(v, {}).update(query_tags(params, f"TagSpecification.{m.group(1)}.Tag"))
    return out


def tag_context(tags: dict[str, str]) -> dict[str, Any]:
    """``aws:RequestTag/<key>`` and ``aws:TagKeys`` of the tags a request sets."""
    if not tags:
        return {}
    return {**{f"aws:RequestTag/{k}": v for k, v in tags.items()}, "aws:TagKeys": list(tags)}


class State:
    """What authorising a call reads of the account (:mod:`.touches`): here, nothing is known (no
    tags, no role, no service-linked role). Subclasses read the emulator or plan a run."""

    def ec2_tags(self, resource_id: str) -> dict[str, str]:
        return {}

    def route_table_of_association(self, association_id: str) -> str:
        return ""

    def role_boundary(self, name: str) -> str | None:
        """The permissions boundary ARN of role ``name``, None when it has none or does not exist."""
        return None

    def role_tags(self, name: str) -> dict[str, str]:
        return {}

    def redshift_tags(self, arn: str) -> dict[str, str]:
        return {}

    def log_group_tags(self, name: str) -> dict[str, str]:
        return {}

    def service_linked_role_exists(self, service: str) -> bool:
        return False

    def serverless_arn(self, kind: str, name: str) -> str | None:
        """The ARN of the Serverless ``namespace`` or ``workgroup`` named ``name`` (None: none of that name)."""
        return None

    def serverless_tags(self, arn: str) -> dict[str, str]:
        return {}

    def serverless_admin_secret(self, namespace_arn: str) -> str | None:
        """The ARN of the admin secret Redshift keeps for a namespace (``manageAdminPassword``), None when none."""
        return None

    def session(self, session_id: str) -> tuple[str, str] | None:
        """(resource ARN, owner's ``aws:userid``) of a Data API session, None when unknown."""
        return None

    def statement_owner(self, statement_id: str) -> str | None:
        """The ``aws:userid`` that ran a Data API statement, None when unknown."""
        return None


__all__ = ["ACTION_OF", "Authorisation", "Call", "Principal", "State", "action_of", "ec2_tag_specifications",
           "listed", "query_tags", "tag_context"]
