"""What :func:`.stack.provision` would change on resources that exist, for the
plan (``01 -p plan true``): read-only describe calls, one function per kind
that can differ from the settings. Kinds not named here are made once and
never changed in place.
"""

from __future__ import annotations

from typing import Any, Callable

from .. import aws
from ..iam import copy_role
from . import cluster, lease, network, roles, serverless
from .context import Context
from .resources import Kind


def _role(ctx: Context, item: dict[str, Any]) -> list[str]:
    client, name = ctx.client("iam"), item["RoleName"]
    out = []
    trust = aws.call(client, "get_role", RoleName=name)["Role"].get("AssumeRolePolicyDocument")
    if copy_role.document(trust) != copy_role.trust(ctx.settings, ctx.caller["Account"], ctx.partition):
        out.append("trust would be set to Redshift (provisioned and Serverless) for this cluster's or workgroup's "
                   "database users only")
    current = aws.call(client, "get_role_policy", missing=("NoSuchEntity",), RoleName=name,
                       PolicyName=copy_role.POLICY_NAME)
    if (current and copy_role.document(current["PolicyDocument"])) != roles.wanted_policy(ctx)[0]:
        out.append(f"policy {copy_role.POLICY_NAME} would be set to read the configured sources")
    return out


def _security_group(ctx: Context, item: dict[str, Any]) -> list[str]:
    cidrs, _ = network.ingress_cidrs(ctx.settings)
    port = ctx.settings.get("cluster", "port")
    wanted = network.ingress_rules(network.ip_permissions(port, cidrs))
    if network.ingress_rules(item.get("IpPermissions", [])) == wanted:
        return []
    return [f"ingress would be set to port {port} from {', '.join(cidrs)}"]


def _route_table(ctx: Context, item: dict[str, Any]) -> list[str]:
    default = any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in item.get("Routes", []))
    if ctx.settings.publicly_accessible and not default:
        return ["would route 0.0.0.0/0 to the internet gateway"]
    return []


def _parameter_group(ctx: Context, item: dict[str, Any]) -> list[str]:
    if ctx.lacks("redshift", "modify_cluster_parameter_group"):
        return []
    params = aws.call(ctx.client("redshift"), "describe_cluster_parameters",
                      ParameterGroupName=item["ParameterGroupName"], Source="user")["Parameters"]
    have = {p["ParameterName"]: p.get("ParameterValue") for p in params}
    wrong = [f"{k} = {v}" for k, v in cluster.PARAMETERS.items() if have.get(k) != v]
    return [f"would set {', '.join(wrong)}"] if wrong else []


def _cluster(ctx: Context, item: dict[str, Any]) -> list[str]:
    out = [f"would set {key} = {want}" for key, want in cluster.in_place(ctx.settings).items() if item.get(key) != want]
    out += [f"cannot change in place: {message}" for message in cluster.cluster_drift(ctx.settings, item)]
    status = aws.call(ctx.client("redshift"), "describe_logging_status", ClusterIdentifier=item["ClusterIdentifier"])
    if not (status.get("LoggingEnabled") and status.get("LogDestinationType") == "cloudwatch"):
        out.append("would turn on audit logging to CloudWatch Logs")
    return out


def _workgroup(ctx: Context, item: dict[str, Any]) -> list[str]:
    wg = aws.call(ctx.client(serverless.SERVICE), "get_workgroup", workgroupName=item["workgroupName"])["workgroup"]
    wanted = serverless.wanted_workgroup(ctx.settings)
    return [f"would set {key} {wg.get(key)} -> {value}" for key, value in wanted.items() if wg.get(key) != value]


def _log_group(ctx: Context, item: dict[str, Any]) -> list[str]:
    days = ctx.settings.get("cluster", "log_retention_days")
    return [] if item.get("retentionInDays") == days else [f"events would be kept {days} days "
                                                           f"(now {item.get('retentionInDays', 'for ever')})"]


def _lease(ctx: Context, item: dict[str, Any]) -> list[str]:
    """Every 01 moves the lease's deadline (:mod:`.lease`); with ``lease_hours = 0`` it removes the schedule."""
    hours, now = ctx.settings.get("cluster", "lease_hours"), lease.deadline_of([item])
    if not hours:
        return ["would be deleted ([cluster] lease_hours = 0)"]
    return [f"deadline would move from {lease.when(now) if now else item.get('ScheduleExpression')} to {hours} h "
            "after this run"]


PENDING: dict[str, Callable[[Context, dict[str, Any]], list[str]]] = {
    "lease-schedule": _lease,
    "iam-role": _role, "security-group": _security_group, "route-table": _route_table,
    "cluster-parameter-group": _parameter_group, "cluster": _cluster, "serverless-workgroup": _workgroup,
    "log-group": _log_group,
}


def pending(ctx: Context, kind: Kind, item: dict[str, Any]) -> list[str]:
    """What provisioning would change on ``item`` (a found resource of ``kind``), in words; empty when nothing."""
    check = PENDING.get(kind.name)
    return check(ctx, item) if check else []
