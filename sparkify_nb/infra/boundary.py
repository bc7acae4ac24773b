"""Find, make (or check) and delete the stack's permissions boundary; its
document and why it exists: :mod:`sparkify_nb.iam.boundary`."""

from __future__ import annotations

import json
from typing import Any

from .. import aws
from ..iam.boundary import DESCRIPTION, document, policy_arn, policy_name
from ..iam.copy_role import document as decoded
from .context import Context
from .errors import InfraError


class BoundaryError(InfraError):
    """The stack's boundary exists with another document than the one 01 makes."""


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
    if decoded(version["PolicyVersion"]["Document"]) != wanted:
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
