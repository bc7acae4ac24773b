"""Optional cost guardrails, off by default, as kinds of the resource table
(:mod:`.resources`), so provisioning, the inventory and teardown follow them:

- ``[cluster] pause_schedule`` (provisioned): a Redshift scheduled action that
  pauses the cluster on that schedule, e.g. ``cron(0 20 * * ? *)`` every day at
  20:00 UTC, and the IAM role the Redshift scheduler assumes to do it (trusts
  ``scheduler.redshift.amazonaws.com``; may only ``redshift:PauseCluster`` on
  this cluster). The scheduled action's ``IamRole`` "must allow the Amazon
  Redshift scheduler (Principal scheduler.redshift.amazonaws.com) to assume
  permissions on your behalf":
  https://docs.aws.amazon.com/redshift/latest/APIReference/API_ScheduledAction.html ,
  https://docs.aws.amazon.com/redshift/latest/APIReference/API_CreateScheduledAction.html .
  Pausing stops compute billing; storage stays billed
  (https://docs.aws.amazon.com/redshift/latest/APIReference/API_PauseCluster.html).
- ``[cluster] max_rpu_hours_per_day`` (serverless): a usage limit on the
  workgroup, ``usageType = serverless-compute``, ``period = daily``,
  ``breachAction = deactivate`` (it turns off user queries once the day's
  RPU-hours are used):
  https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_CreateUsageLimit.html ,
  https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-workgroup-max-rpu.html .

Setting a key to empty removes what an earlier run made for it. Scheduled
actions and usage limits carry no tags: the action is ours by its name
(``<stack_name>-pause``, unique in the account) and its role; a usage limit by
its workgroup (tagged) and its shape (daily, deactivate).

The local emulator has no scheduled actions and no Serverless API
(:data:`aws.EMULATOR_GAPS`): there the role is made but the action is reported,
not created; tests pin the calls with botocore's Stubber.
"""

from __future__ import annotations

import json
from typing import Any

from .. import aws
from ..iam import scheduler
from . import roles, serverless
from .context import Context

SCHEDULER_TRUST = scheduler.TRUST
SCHEDULER_POLICY = scheduler.POLICY_NAME


def scheduler_role_name(ctx: Context) -> str:
    """``<stack_name>-redshift-scheduler``."""
    return scheduler.role_name(ctx.settings)


def action_name(ctx: Context) -> str:
    """``<stack_name>-pause``: scheduled action names are unique within an account."""
    return f"{ctx.settings.stack_name}-pause"


def cluster_arn(ctx: Context, role_arn: str) -> str:
    """The cluster's ARN, with the partition and account of ``role_arn`` (an IAM role of this account)."""
    partition, account = role_arn.split(":")[1], role_arn.split(":")[4]
    return f"arn:{partition}:redshift:{ctx.settings.region}:{account}:cluster:{ctx.settings.get('cluster', 'identifier')}"


# --- the role the Redshift scheduler assumes ------------------------------------------

def find_scheduler_role(ctx: Context) -> list[dict[str, Any]]:
    name = scheduler_role_name(ctx)
    tags = aws.call(ctx.client("iam"), "list_role_tags", missing=("NoSuchEntity",), RoleName=name)
    return [{"RoleName": name, "Tags": tags["Tags"]}] if tags and ctx.is_ours(tags["Tags"]) else []


def ensure_scheduler_role(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """With a pause schedule: find or create the role, with an inline policy that
    allows ``redshift:PauseCluster`` on this cluster only. Without one: delete
    the role an earlier run made. Returns ``{"scheduler_role_arn": ...}``."""
    client, name = ctx.client("iam"), scheduler_role_name(ctx)
    if not ctx.settings.get("cluster", "pause_schedule"):
        for item in find_scheduler_role(ctx):
            roles.delete_role(ctx, item)
        return {"scheduler_role_arn": None}
    arn = roles.ensure_bounded_role(ctx, name, SCHEDULER_TRUST, "Lets the Redshift scheduler pause the Sparkify "
                                  "cluster", record["boundary_arn"])
    policy = scheduler.role_policy(cluster_arn(ctx, arn))
    aws.call(client, "put_role_policy", RoleName=name, PolicyName=SCHEDULER_POLICY, PolicyDocument=json.dumps(policy))
    return {"scheduler_role_arn": arn}


# --- the scheduled action that pauses the cluster ---------------------------------------

def find_pause_actions(ctx: Context) -> list[dict[str, Any]]:
    """The scheduled action ``<stack_name>-pause`` when its role is this stack's scheduler role."""
    if ctx.lacks("redshift", "describe_scheduled_actions"):
        return []
    found = aws.call(ctx.client("redshift"), "describe_scheduled_actions", missing=("ScheduledActionNotFound",),
                     ScheduledActionName=action_name(ctx))
    return [a for a in (found or {}).get("ScheduledActions", [])
            if a.get("IamRole", "").endswith(f":role/{scheduler_role_name(ctx)}")]


def ensure_pause_action(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Create the scheduled action for ``[cluster] pause_schedule`` (or bring an
    existing one's schedule and role in line); with no schedule, delete ours.
    Returns ``{"pause_schedule": <schedule or None>}``."""
    schedule, name = ctx.settings.get("cluster", "pause_schedule"), action_name(ctx)
    existing = find_pause_actions(ctx)
    if not schedule:
        for action in existing:
            delete_pause_action(ctx, action)
        return {"pause_schedule": None}
    if ctx.lacks("redshift", "create_scheduled_action"):
        ctx.progress(f"pause schedule {schedule}: not made here: the local emulator lacks Redshift scheduled actions "
                     "(on redshift 01 creates it)")
        return {"pause_schedule": None}
    ident = ctx.settings.get("cluster", "identifier")
    wanted = {"TargetAction": {"PauseCluster": {"ClusterIdentifier": ident}}, "Schedule": schedule,
              "IamRole": record["scheduler_role_arn"]}
    redshift = ctx.client("redshift")
    if not existing:
        aws.call(redshift, "create_scheduled_action", ScheduledActionName=name, Enable=True,
                 ScheduledActionDescription=f"Pause {ident} (sparkify [cluster] pause_schedule)", **wanted)
        ctx.progress(f"scheduled action {name}: created, pauses cluster {ident} on {schedule} (UTC)")
    elif any(existing[0].get(key) != value for key, value in wanted.items()):
        aws.call(redshift, "modify_scheduled_action", ScheduledActionName=name, Enable=True, **wanted)
        ctx.progress(f"scheduled action {name}: updated, pauses cluster {ident} on {schedule} (UTC)")
    else:
        ctx.progress(f"scheduled action {name}: exists, pauses cluster {ident} on {schedule} (UTC)")
    return {"pause_schedule": schedule}


def delete_pause_action(ctx: Context, action: dict[str, Any]) -> None:
    name = action["ScheduledActionName"]
    if aws.call(ctx.client("redshift"), "delete_scheduled_action", missing=("ScheduledActionNotFound",),
                ScheduledActionName=name) is not None:
        ctx.progress(f"scheduled action {name}: deleted")


# --- the Serverless usage limit ------------------------------------------------------------

def _ours(limit: dict[str, Any]) -> bool:
    return (limit.get("usageType"), limit.get("period"), limit.get("breachAction")) == \
        ("serverless-compute", "daily", "deactivate")


def _limits(ctx: Context, workgroup_arn: str) -> list[dict[str, Any]]:
    found = aws.call(ctx.client(serverless.SERVICE), "list_usage_limits", resourceArn=workgroup_arn,
                     usageType="serverless-compute")
    return [limit for limit in found.get("usageLimits", []) if _ours(limit)]


def find_usage_limits(ctx: Context) -> list[dict[str, Any]]:
    """The daily, deactivating compute limits on this stack's workgroups."""
    return [limit for wg in serverless.find_workgroups(ctx) for limit in _limits(ctx, wg["workgroupArn"])]


def ensure_usage_limit(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Create (or set the amount of) the daily RPU-hour limit of ``[cluster]
    max_rpu_hours_per_day``; with the key empty, delete ours. Returns
    ``{"max_rpu_hours_per_day": <amount or None>}``."""
    amount, client = ctx.settings.get("cluster", "max_rpu_hours_per_day"), ctx.client(serverless.SERVICE)
    wg, existing = record["workgroup_name"], _limits(ctx, record["workgroup_arn"])
    if amount is None:
        for limit in existing:
            delete_usage_limit(ctx, limit)
        return {"max_rpu_hours_per_day": None}
    if not existing:
        aws.call(client, "create_usage_limit", resourceArn=record["workgroup_arn"], usageType="serverless-compute",
                 amount=amount, period="daily", breachAction="deactivate")
        ctx.progress(f"serverless workgroup {wg}: usage limit created, queries stop after {amount} RPU-hours a day")
    elif existing[0].get("amount") != amount:
        aws.call(client, "update_usage_limit", usageLimitId=existing[0]["usageLimitId"], amount=amount)
        ctx.progress(f"serverless workgroup {wg}: usage limit {existing[0].get('amount')} -> {amount} RPU-hours a day")
    else:
        ctx.progress(f"serverless workgroup {wg}: usage limit exists, {amount} RPU-hours a day")
    return {"max_rpu_hours_per_day": amount}


def delete_usage_limit(ctx: Context, limit: dict[str, Any]) -> None:
    if aws.call(ctx.client(serverless.SERVICE), "delete_usage_limit", missing=serverless.GONE,
                usageLimitId=limit["usageLimitId"]) is not None:
        ctx.progress(f"usage limit {limit['usageLimitId']} ({limit.get('amount')} RPU-hours a day): deleted")
