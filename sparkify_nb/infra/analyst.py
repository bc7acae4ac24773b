"""Serverless only: find and make the IAM role 04 assumes (its names and
documents, and why it exists: :mod:`sparkify_nb.iam.analyst`)."""

from __future__ import annotations

import json
from typing import Any

from .. import aws
from ..iam.analyst import POLICY_NAME, database_user, role_name, role_policy, trust
from . import roles
from .context import Context


def find_analyst_role(ctx: Context) -> list[dict[str, Any]]:
    name = role_name(ctx.settings)
    tags = aws.call(ctx.client("iam"), "list_role_tags", missing=("NoSuchEntity",), RoleName=name)
    return [{"RoleName": name, "Tags": tags["Tags"]}] if tags and ctx.is_ours(tags["Tags"]) else []


def ensure_analyst_role(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Find or create the role (bounded, trusting the operator who runs 01) and set its inline policy. Returns
    ``{"analyst_role_arn": ...}``."""
    account, partition, name = ctx.caller["Account"], ctx.partition, role_name(ctx.settings)
    arn = roles.ensure_bounded_role(ctx, name, trust(account, ctx.caller["Arn"], partition), "04 assumes it to read the Sparkify "
                                  "warehouse as a read-only database user", record["boundary_arn"])
    aws.call(ctx.client("iam"), "put_role_policy", RoleName=name, PolicyName=POLICY_NAME,
             PolicyDocument=json.dumps(role_policy(ctx.settings, account, partition)))
    ctx.progress(f"IAM role {name}: may log in to this stack's workgroup and query it; 04 runs as "
                 f"{database_user(ctx.settings)}")
    return {"analyst_role_arn": arn}
