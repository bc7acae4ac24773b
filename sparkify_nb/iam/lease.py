"""The lease (``[cluster] lease_hours``) as documents: the names of its
schedules and role, the role's trust, the one inline policy that lets it
delete this warehouse and nothing else, and what each schedule asks AWS to
do at the deadline. Pure functions of the settings (and the account); 01
makes them in AWS (:mod:`sparkify_nb.infra.lease`).

The mechanism is EventBridge Scheduler: a one-time schedule
(``at(yyyy-mm-ddThh:mm:ss)`` in a time zone:
https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html)
whose target is a *universal target*, one call of an AWS API:
``arn:aws:scheduler:::aws-sdk:<service>:<apiAction>`` with the call's request
parameters as the target's JSON ``Input``, made with the target's
``RoleArn`` ("The execution role you specify must have the permissions to
call the API operation you want your schedule to target":
https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html).
AWS runs it whether or not the machine that made it is on.

- provisioned: one schedule ``<stack>-lease`` calls Redshift ``DeleteCluster``
  with the same parameters 99 sends (``SkipFinalClusterSnapshot``, or the
  final snapshot ``<identifier>-final-<deadline stamp>`` with ``[cluster]
  final_snapshot = true``).
- serverless: a universal target makes one call, and a namespace cannot be
  deleted while a workgroup uses it (99 deletes the workgroup first too), so
  two schedules: ``<stack>-lease`` calls ``DeleteWorkgroup`` at the deadline,
  ``<stack>-lease-namespace`` calls ``DeleteNamespace`` (with
  ``finalSnapshotName`` when 99 would keep one) :data:`NAMESPACE_AFTER` later,
  when the workgroup is long gone. The SDK identifier of Redshift Serverless
  in the target ARN is ``redshiftserverless`` (the JavaScript SDK's
  "Identifier: redshiftserverless":
  https://docs.aws.amazon.com/AWSJavaScriptSDK/latest/AWS/RedshiftServerless.html);
  that the Input takes the API's own camelCase member names
  (``workgroupName``) follows "determined by the service API" above, and is
  *unconfirmed* for this service.

The schedules sit in the account's ``default`` schedule group (no group to
make, tag or delete); they carry no tags (a schedule takes none), so they are
the stack's by name and by their role, like the pause schedule.

The role ``<stack>-lease`` trusts ``scheduler.amazonaws.com`` only, on
behalf of this account's ``default`` schedule group: "The value of
aws:SourceArn must be your EventBridge Scheduler schedule group ARN ...
Do not scope the aws:SourceArn statement to a specific schedule or a schedule
name prefix" (https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html;
setting up the execution role: https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html).
Only a principal that may ``iam:PassRole`` this role to the scheduler can
attach it to a schedule, and the operator may do so only for the stack's
lease schedules (:mod:`.rules_lease`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from ..config import Settings

SERVICE_PRINCIPAL = "scheduler.amazonaws.com"
GROUP = "default"
POLICY_NAME = "delete-this-warehouse"
NAMESPACE_AFTER = timedelta(hours=1)  # serverless: the namespace's schedule, after the workgroup's
# Redshift Serverless's SDK service identifier in universal target ARNs (module docstring).
SERVERLESS_SDK = "redshiftserverless"


def role_name(settings: Settings) -> str:
    """``<stack_name>-lease``."""
    return f"{settings.stack_name}-lease"


def _names(settings: Settings) -> tuple[str, str]:
    """``<stack>-lease`` (the cluster, or the workgroup) and ``<stack>-lease-namespace`` (Serverless only)."""
    return f"{settings.stack_name}-lease", f"{settings.stack_name}-lease-namespace"


def schedule_names(settings: Settings) -> list[str]:
    """The lease's schedules for ``[cluster] kind``, in the order they fire: ``<stack>-lease`` (the
    cluster, or the workgroup), and on Serverless ``<stack>-lease-namespace``."""
    names = _names(settings)
    return list(names) if settings.get("cluster", "kind") == "serverless" else [names[0]]


def group_arn(settings: Settings, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:scheduler:{settings.region}:{account}:schedule-group/{GROUP}"


def schedule_arns(settings: Settings, account: str, partition: str = "aws") -> list[str]:
    """The ARNs of both kinds' lease schedules, whatever ``[cluster] kind`` says: what 99 looks for (a stack
    switched between kinds) and what the operator policy holds."""
    return [f"arn:{partition}:scheduler:{settings.region}:{account}:schedule/{GROUP}/{n}" for n in _names(settings)]


def trust(settings: Settings, account: str, partition: str = "aws") -> dict[str, Any]:
    """The scheduler may assume the role, for this account's ``default`` schedule group only."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": SERVICE_PRINCIPAL}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account},
                      "ArnEquals": {"aws:SourceArn": group_arn(settings, account, partition)}}}]}


def _cluster_arn(settings: Settings, account: str, partition: str) -> str:
    return f"arn:{partition}:redshift:{settings.region}:{account}:cluster:{settings.get('cluster', 'identifier')}"


def _final_snapshots(settings: Settings, account: str, partition: str) -> str:
    ident = settings.get("cluster", "identifier")
    return f"arn:{partition}:redshift:{settings.region}:{account}:snapshot:{ident}/{ident}-final-*"


def _admin_secret(settings: Settings, account: str, partition: str) -> str:
    c = settings.get("cluster", "identifier"), settings.get("cluster", "db_user")
    return f"arn:{partition}:secretsmanager:{settings.region}:{account}:secret:redshift!{c[0]}-{c[1]}-*"


# DeleteNamespace's dependent actions in the Service Authorization Reference: Secrets Manager's (the managed
# admin password's secret goes with the namespace) and KMS's (only with a customer managed key, which the stack
# does not use): https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftserverless.html
_SECRET = ["secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret"]


def role_policy(settings: Settings, account: str, partition: str = "aws",
                warehouse: dict[str, str] | None = None) -> dict[str, Any]:
    """The lease role's inline policy: delete this warehouse, nothing else.
    Provisioned: ``redshift:DeleteCluster`` on this cluster, and with
    ``[cluster] final_snapshot = true`` ``redshift:CreateClusterSnapshot`` on
    its final snapshots only. Serverless: ``DeleteWorkgroup`` and
    ``DeleteNamespace`` on this stack's workgroup and namespace, by their ARNs
    (``warehouse``: ``{"workgroup_arn", "namespace_arn"}``, as 01 recorded them),
    the admin secret Redshift deletes with the namespace, and with a final
    snapshot ``redshift-serverless:CreateSnapshot``."""
    final = settings.get("cluster", "final_snapshot")
    if settings.get("cluster", "kind") != "serverless":
        statements = [{"Sid": "DeleteThisCluster", "Effect": "Allow", "Action": "redshift:DeleteCluster",
                       "Resource": _cluster_arn(settings, account, partition)}]
        if final:
            statements.append({"Sid": "KeepItsFinalSnapshot", "Effect": "Allow",
                               "Action": "redshift:CreateClusterSnapshot",
                               "Resource": _final_snapshots(settings, account, partition)})
        return {"Version": "2012-10-17", "Statement": statements}
    if not warehouse:
        raise ValueError("a serverless lease names its workgroup and namespace: pass warehouse={'workgroup_arn': "
                         "..., 'namespace_arn': ...}")
    statements = [
        {"Sid": "DeleteThisWorkgroup", "Effect": "Allow", "Action": "redshift-serverless:DeleteWorkgroup",
         "Resource": warehouse["workgroup_arn"]},
        {"Sid": "DeleteThisNamespace", "Effect": "Allow", "Action": "redshift-serverless:DeleteNamespace",
         "Resource": warehouse["namespace_arn"]},
        {"Sid": "ItsAdminSecretGoesWithIt", "Effect": "Allow", "Action": _SECRET,
         "Resource": _admin_secret(settings, account, partition)}]
    if final:
        statements.append({"Sid": "KeepItsFinalSnapshot", "Effect": "Allow",
                           "Action": "redshift-serverless:CreateSnapshot",
                           "Resource": f"arn:{partition}:redshift-serverless:{settings.region}:{account}:snapshot/*"})
    return {"Version": "2012-10-17", "Statement": statements}


def boundary_statements(settings: Settings, account: str, partition: str = "aws") -> list[dict[str, Any]]:
    """What the permissions boundary (:mod:`.boundary`) admits for the lease role: the actions of
    :func:`role_policy` for either ``final_snapshot`` (the administrator makes the boundary once); the
    Serverless workgroup and namespace by the stack's tag (their ids are generated after the boundary)."""
    statements = [{"Sid": "LeaseDeletesThisCluster", "Effect": "Allow",
                   "Action": ["redshift:CreateClusterSnapshot", "redshift:DeleteCluster"],
                   "Resource": [_cluster_arn(settings, account, partition),
                                _final_snapshots(settings, account, partition)]}]
    if settings.get("cluster", "kind") == "serverless":
        from .tags import TAG_KEY

        serverless = f"arn:{partition}:redshift-serverless:{settings.region}:{account}"
        statements += [
            {"Sid": "LeaseDeletesThisServerlessWarehouse", "Effect": "Allow",
             "Action": ["redshift-serverless:DeleteNamespace", "redshift-serverless:DeleteWorkgroup"],
             "Resource": [f"{serverless}:namespace/*", f"{serverless}:workgroup/*"],
             "Condition": {"StringEquals": {f"aws:ResourceTag/{TAG_KEY}": settings.stack_name}}},
            {"Sid": "LeaseKeepsItsFinalSnapshot", "Effect": "Allow", "Action": "redshift-serverless:CreateSnapshot",
             "Resource": f"{serverless}:snapshot/*"},
            {"Sid": "LeaseDeletesItsAdminSecret", "Effect": "Allow", "Action": _SECRET,
             "Resource": _admin_secret(settings, account, partition)}]
    return statements


# --- what the schedules do -------------------------------------------------------------------

def at_expression(deadline: datetime) -> str:
    """``at(yyyy-mm-ddThh:mm:ss)`` of ``deadline`` in UTC (the schedules' ``ScheduleExpressionTimezone``)."""
    return f"at({deadline.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%S})"


def parse_at(expression: str) -> datetime | None:
    """The UTC datetime of an ``at(...)`` expression in UTC; None for any other expression."""
    if not (expression.startswith("at(") and expression.endswith(")")):
        return None
    try:
        return datetime.strptime(expression[3:-1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def final_snapshot_name(settings: Settings, deadline: datetime) -> str:
    """The final snapshot the lease keeps: named as 99 names one (``<identifier>-final-YYYYmmdd-HHMMSS``),
    stamped with the deadline (UTC)."""
    return f"{settings.get('cluster', 'identifier')}-final-{deadline.astimezone(timezone.utc):%Y%m%d-%H%M%S}"


def targets(settings: Settings, deadline: datetime, partition: str = "aws") -> list[dict[str, Any]]:
    """What each schedule of :func:`schedule_names` does: ``{"name", "at" (UTC datetime), "arn" (the
    universal target), "input" (the request, a dict)}``: the same parameters 99 sends."""
    ident, final = settings.get("cluster", "identifier"), settings.get("cluster", "final_snapshot")
    first, second = _names(settings)
    if settings.get("cluster", "kind") != "serverless":
        request: dict[str, Any] = ({"ClusterIdentifier": ident, "SkipFinalClusterSnapshot": False,
                                    "FinalClusterSnapshotIdentifier": final_snapshot_name(settings, deadline)}
                                   if final else {"ClusterIdentifier": ident, "SkipFinalClusterSnapshot": True})
        return [{"name": first, "at": deadline, "input": request,
                 "arn": f"arn:{partition}:scheduler:::aws-sdk:redshift:deleteCluster"}]
    later = deadline + NAMESPACE_AFTER
    namespace: dict[str, Any] = {"namespaceName": ident}
    if final:
        namespace["finalSnapshotName"] = final_snapshot_name(settings, later)
    return [{"name": first, "at": deadline, "input": {"workgroupName": ident},
             "arn": f"arn:{partition}:scheduler:::aws-sdk:{SERVERLESS_SDK}:deleteWorkgroup"},
            {"name": second, "at": later, "input": namespace,
             "arn": f"arn:{partition}:scheduler:::aws-sdk:{SERVERLESS_SDK}:deleteNamespace"}]


def input_json(request: dict[str, Any]) -> str:
    """A target's ``Input``: the request as JSON, keys sorted (so a schedule read back compares equal)."""
    return json.dumps(request, sort_keys=True)
