"""The provisioned Redshift cluster (``[cluster] kind = provisioned``): a
cluster subnet group, a parameter group with ``require_ssl = true``, and the
cluster itself, made so that every AWS Foundational Security Best Practices
control for Redshift passes (:mod:`.controls`): encrypted, private unless
``[cluster] access = direct``, enhanced VPC routing, automated snapshots kept
:data:`SNAPSHOT_RETENTION_DAYS` days, automatic version upgrades, audit logs
exported to CloudWatch Logs, master password managed by AWS in Secrets Manager.

What can be brought in line on an existing cluster is (:data:`IN_PLACE`, one
``ModifyCluster``); what cannot (node type or count, port, names, encryption)
is reported by :func:`cluster_drift` as a warning, never silently ignored.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .. import aws
from ..config import Settings
from . import pricing
from .context import TAG_KEY, Context
from .errors import InfraError
from .wait import poll, retry_role_propagation, wait
from ..iam.rules_redshift import LOG_EXPORTS  # noqa: F401  (cluster.LOG_EXPORTS: serverless.py, tests)

PARAMETER_GROUP_FAMILY = "redshift-1.0"
# require_ssl: Security Hub Redshift.2. enable_user_activity_logging: without it the user activity
# log exports nothing (https://docs.aws.amazon.com/redshift/latest/mgmt/db-auditing.html).
PARAMETERS = {"require_ssl": "true", "enable_user_activity_logging": "true"}
# Security Hub Redshift.3 wants >= 7 days (CreateCluster's default is 1).
SNAPSHOT_RETENTION_DAYS = 7
# Audit logs go to CloudWatch Logs (no bucket to make and secure); Redshift.4 checks LoggingEnabled.


def _tagged(ctx: Context, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Redshift resources of one kind carrying this stack's tag."""
    found = aws.call(ctx.client("redshift"), operation, TagKeys=[TAG_KEY], TagValues=[ctx.settings.stack_name],
                     **kwargs)[key]
    return [item for item in found if ctx.is_ours(item.get("Tags"))]


def stamp() -> str:
    """A UTC timestamp for final snapshot names (``YYYYmmdd-HHMMSS``)."""
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


# --- parameter group ---------------------------------------------------------------

def find_parameter_groups(ctx: Context) -> list[dict[str, Any]]:
    return _tagged(ctx, "describe_cluster_parameter_groups", "ParameterGroups")


def set_parameters(redshift: Any, parameter_group: str) -> None:
    """Set :data:`PARAMETERS` in ``parameter_group``: ``require_ssl = true``
    (the cluster then refuses unencrypted connections) and user activity
    logging. ``redshift``: an injected boto3 client."""
    aws.call(redshift, "modify_cluster_parameter_group", ParameterGroupName=parameter_group,
             Parameters=[{"ParameterName": name, "ParameterValue": value, "ApplyType": "static"}
                         for name, value in PARAMETERS.items()])


def _ensure_group(ctx: Context, label: str, name_arg: str, name: str, describe: str, key: str, missing: str,
                  create: str, **create_args: Any) -> None:
    """Find the Redshift group ``name`` (refusing one not tagged as ours) or
    create it tagged; ``name_arg`` is the API's name parameter."""
    redshift = ctx.client("redshift")
    found = aws.call(redshift, describe, missing=(missing,), **{name_arg: name})
    if found:
        ctx.claim(found[key][0].get("Tags"), f"Redshift {label} {name}", "[general] stack_name")
        ctx.progress(f"{label} {name}: exists")
    else:
        aws.call(redshift, create, Tags=ctx.tags(name), **{name_arg: name}, **create_args)
        ctx.progress(f"{label} {name}: created")


def _delete_group(ctx: Context, label: str, name_arg: str, name: str, delete: str, missing: str) -> None:
    if aws.call(ctx.client("redshift"), delete, missing=(missing,), **{name_arg: name}) is not None:
        ctx.progress(f"{label} {name}: deleted")


def ensure_parameter_group(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    name = f"{ctx.settings.stack_name}-params"
    _ensure_group(ctx, "parameter group", "ParameterGroupName", name, "describe_cluster_parameter_groups",
                  "ParameterGroups", "ClusterParameterGroupNotFound", "create_cluster_parameter_group",
                  ParameterGroupFamily=PARAMETER_GROUP_FAMILY, Description="Sparkify warehouse: SSL required")
    if ctx.lacks("redshift", "modify_cluster_parameter_group"):
        ctx.progress(f"parameter group {name}: require_ssl = true not set: the local emulator lacks "
                     "ModifyClusterParameterGroup (on redshift it is set)")
    else:
        set_parameters(ctx.client("redshift"), name)
        ctx.progress(f"parameter group {name}: require_ssl = true, enable_user_activity_logging = true")
    return {"parameter_group": name}


def delete_parameter_group(ctx: Context, group: dict[str, Any]) -> None:
    _delete_group(ctx, "parameter group", "ParameterGroupName", group["ParameterGroupName"],
                  "delete_cluster_parameter_group", "ClusterParameterGroupNotFound")


# --- subnet group --------------------------------------------------------------------

def find_subnet_groups(ctx: Context) -> list[dict[str, Any]]:
    return _tagged(ctx, "describe_cluster_subnet_groups", "ClusterSubnetGroups")


def ensure_subnet_group(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    name = f"{ctx.settings.stack_name}-subnets"
    _ensure_group(ctx, "cluster subnet group", "ClusterSubnetGroupName", name, "describe_cluster_subnet_groups",
                  "ClusterSubnetGroups", "ClusterSubnetGroupNotFoundFault", "create_cluster_subnet_group",
                  Description="Sparkify warehouse subnets", SubnetIds=record["subnet_ids"])
    return {"subnet_group": name}


def delete_subnet_group(ctx: Context, group: dict[str, Any]) -> None:
    _delete_group(ctx, "cluster subnet group", "ClusterSubnetGroupName", group["ClusterSubnetGroupName"],
                  "delete_cluster_subnet_group", "ClusterSubnetGroupNotFoundFault")


# --- the cluster -------------------------------------------------------------------------

def find_clusters(ctx: Context) -> list[dict[str, Any]]:
    return _tagged(ctx, "describe_clusters", "Clusters")


def describe_cluster(ctx: Context, ident: str | None = None) -> dict[str, Any] | None:
    """The cluster ``ident`` (default ``[cluster] identifier``), or None when there is none."""
    found = aws.call(ctx.client("redshift"), "describe_clusters", missing=("ClusterNotFound",),
                     ClusterIdentifier=ident or ctx.settings.get("cluster", "identifier"))
    return found["Clusters"][0] if found else None


def cluster_drift(settings: Settings, cluster: dict[str, Any]) -> list[str]:
    """What differs between the settings and an existing cluster that cannot be
    changed in place by re-running 01, each as a message naming the config key
    and what to do. Empty when the cluster matches."""
    ident = cluster["ClusterIdentifier"]
    actual = {
        "node_type": cluster.get("NodeType"),
        "node_count": cluster.get("NumberOfNodes"),
        "port": (cluster.get("Endpoint") or {}).get("Port"),
        "db_name": cluster.get("DBName"),
        "db_user": cluster.get("MasterUsername"),
    }
    out = []
    for key, have in actual.items():
        want = settings.get("cluster", key)
        if have is not None and have != want:
            out.append(f"cluster {ident}: [cluster] {key} = {want} but the cluster has {have}; not changed in place "
                       "(a resize or modify is a separate, slow operation). Change it in the Redshift console, or "
                       "run 99_teardown and then 01 again")
    if cluster.get("Encrypted") is False:
        out.append(f"cluster {ident}: not encrypted; encryption cannot be added in place here. Run 99_teardown "
                   "and then 01 again")
    return out


def in_place(settings: Settings) -> dict[str, Any]:
    """The cluster settings 01 makes and brings in line with one ``ModifyCluster``
    (``ModifyCluster`` takes each: https://docs.aws.amazon.com/redshift/latest/APIReference/API_ModifyCluster.html)."""
    return {"PubliclyAccessible": settings.publicly_accessible, "EnhancedVpcRouting": True,
            "AutomatedSnapshotRetentionPeriod": SNAPSHOT_RETENTION_DAYS, "AllowVersionUpgrade": True}


def _create(ctx: Context, record: dict[str, Any]) -> None:
    settings, ident = ctx.settings, ctx.settings.get("cluster", "identifier")
    nodes = settings.get("cluster", "node_count")

    def create() -> None:
        aws.call(ctx.client("redshift"), "create_cluster", ClusterIdentifier=ident,
                 ClusterType="single-node" if nodes == 1 else "multi-node",
                 **({} if nodes == 1 else {"NumberOfNodes": nodes}),
                 NodeType=settings.get("cluster", "node_type"), DBName=settings.get("cluster", "db_name"),
                 MasterUsername=settings.get("cluster", "db_user"),
                 ManageMasterPassword=True,  # AWS keeps it in Secrets Manager; we never see it
                 Port=settings.get("cluster", "port"), ClusterSubnetGroupName=record["subnet_group"],
                 ClusterParameterGroupName=record["parameter_group"],
                 VpcSecurityGroupIds=[record["security_group_id"]], IamRoles=[record["role_arn"]], Encrypted=True,
                 **in_place(settings), Tags=ctx.tags(ident))

    retry_role_propagation(create, f"cluster {ident}", ctx.progress, ctx.poll_delay_s)
    ctx.progress(f"cluster {ident}: creating {nodes} x {settings.get('cluster', 'node_type')} (encrypted, "
                 f"{'public' if settings.publicly_accessible else 'private'}, enhanced VPC routing)")


def _bring_in_line(ctx: Context, cluster: dict[str, Any]) -> None:
    ident = cluster["ClusterIdentifier"]
    changes = {key: want for key, want in in_place(ctx.settings).items() if cluster.get(key) != want}
    if changes:
        aws.call(ctx.client("redshift"), "modify_cluster", ClusterIdentifier=ident, **changes)
        ctx.progress(f"cluster {ident}: set {', '.join(f'{k} = {v}' for k, v in changes.items())}")
        _wait_available(ctx, ident)


def ensure_logging(ctx: Context, ident: str) -> None:
    """Audit logging to CloudWatch Logs (:data:`LOG_EXPORTS`), unless it is on already."""
    redshift = ctx.client("redshift")
    status = aws.call(redshift, "describe_logging_status", ClusterIdentifier=ident)
    if (status.get("LoggingEnabled") and status.get("LogDestinationType") == "cloudwatch"
            and set(LOG_EXPORTS) <= set(status.get("LogExports") or [])):
        ctx.progress(f"cluster {ident}: audit logging to CloudWatch Logs: on")
        return
    aws.call(redshift, "enable_logging", ClusterIdentifier=ident, LogDestinationType="cloudwatch",
             LogExports=list(LOG_EXPORTS))
    ctx.progress(f"cluster {ident}: audit logging to CloudWatch Logs ({', '.join(LOG_EXPORTS)}) turned on")


def _wait_available(ctx: Context, ident: str) -> None:
    wait(ctx.client("redshift"), "cluster_available", ctx.progress, delay_s=ctx.poll_delay_s, ClusterIdentifier=ident,
         describe=lambda: (describe_cluster(ctx) or {}).get("ClusterStatus", "?"))


def ensure_cluster(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Find (and check for drift) or create the cluster, wait until it is
    available, bring :func:`in_place` settings in line and turn on audit
    logging. Returns its endpoint and shape for the state record."""
    ident = ctx.settings.get("cluster", "identifier")
    cluster = describe_cluster(ctx)
    if cluster:
        ctx.claim(cluster.get("Tags"), f"cluster {ident}", "[cluster] identifier")
        ctx.progress(f"cluster {ident}: exists ({cluster['ClusterStatus']})")
        for message in cluster_drift(ctx.settings, cluster):
            ctx.warn(message)
        resume_if_paused(ctx, cluster)
    else:
        _create(ctx, record)
    _wait_available(ctx, ident)
    _bring_in_line(ctx, describe_cluster(ctx) or {"ClusterIdentifier": ident})
    ensure_logging(ctx, ident)
    cluster = describe_cluster(ctx) or {}
    if associate_copy_role(ctx, cluster, record["role_arn"]):
        _wait_available(ctx, ident)
    endpoint = cluster.get("Endpoint") or {}
    return {"cluster_identifier": cluster.get("ClusterIdentifier"), "cluster_status": cluster.get("ClusterStatus"),
            "endpoint": endpoint.get("Address"), "port": endpoint.get("Port"), "db_name": cluster.get("DBName"),
            "db_user": cluster.get("MasterUsername"), "node_type": cluster.get("NodeType"),
            "node_count": cluster.get("NumberOfNodes"), "cluster_created": cluster.get("ClusterCreateTime"),
            "publicly_accessible": cluster.get("PubliclyAccessible")}


def lifetime_line(settings: Settings, cluster: dict[str, Any]) -> str:
    """How long ``cluster`` lived and what that cost at on-demand prices, in words."""
    created = cluster.get("ClusterCreateTime")
    node_type, nodes = cluster.get("NodeType"), cluster.get("NumberOfNodes") or 1
    if not isinstance(created, datetime) or node_type not in pricing.NODE_HOURLY:
        return f"cluster {cluster['ClusterIdentifier']}: lifetime cost unknown (no price for {node_type})"
    lived, usd = pricing.lifetime_cost(created, datetime.now(timezone.utc),
                                       pricing.provisioned_hourly(node_type, nodes))
    where = "at redshift prices (the emulator itself costs nothing)" if settings.is_local else "on-demand"
    minutes = int(lived.total_seconds() // 60)
    return pricing.rehearsal_marked(settings, f"cluster {cluster['ClusterIdentifier']}: lived {minutes // 60} h "
                                    f"{minutes % 60:02d} min; estimated cost ${usd:.2f} {where} ({nodes} x "
                                    f"{node_type}; see {pricing.SOURCE_URL})")


def delete_cluster(ctx: Context, cluster: dict[str, Any]) -> None:
    """Delete the cluster (a final snapshot only with ``[cluster] final_snapshot
    = true``), report its lifetime cost and wait until it is gone."""
    ident = cluster["ClusterIdentifier"]
    if cluster["ClusterStatus"] != "deleting":
        if ctx.settings.get("cluster", "final_snapshot"):
            snapshot = f"{ident}-final-{stamp()}"
            extra: dict[str, Any] = {"SkipFinalClusterSnapshot": False, "FinalClusterSnapshotIdentifier": snapshot}
            ctx.progress(f"cluster {ident}: final snapshot {snapshot} ([cluster] final_snapshot = true)")
        else:
            extra = {"SkipFinalClusterSnapshot": True}
        aws.call(ctx.client("redshift"), "delete_cluster", missing=("ClusterNotFound",), ClusterIdentifier=ident,
                 **extra)
    ctx.progress(lifetime_line(ctx.settings, cluster))
    ctx.progress(f"cluster {ident}: deleting. Its audit logs stay in CloudWatch Logs under "
                 f"/aws/redshift/cluster/{ident}/ (storage billed per GB; delete the log groups when done)")
    wait(ctx.client("redshift"), "cluster_deleted", ctx.progress, delay_s=ctx.poll_delay_s, ClusterIdentifier=ident,
         describe=lambda: (describe_cluster(ctx, ident) or {}).get("ClusterStatus", "gone"))


# --- an existing cluster: paused, or without the COPY role ---------------------------

def resume_if_paused(ctx: Context, cluster: dict[str, Any]) -> None:
    """A paused cluster never becomes ``available`` by itself, so 01 would wait
    for it in vain: resume it (ResumeCluster, then 01's wait shows ``resuming``
    until it is ``available``), or with ``[cluster] resume = false`` (01's
    ``-p resume false``) raise :class:`InfraError` at once, saying so. A
    cluster still ``pausing`` is waited for first (ResumeCluster refuses it:
    InvalidClusterState, https://docs.aws.amazon.com/redshift/latest/APIReference/API_ResumeCluster.html)."""
    ident, status = cluster["ClusterIdentifier"], cluster.get("ClusterStatus")
    if status not in ("paused", "pausing"):
        return
    if not ctx.settings.get("cluster", "resume"):
        raise InfraError(f"cluster {ident} is {status} (compute is not billed while paused) and [cluster] resume is "
                         "false: not resumed. Resume it with `sparkify-nb resume`, or run 01 with -p resume true")
    if status == "pausing":
        poll(f"cluster {ident}", lambda: (describe_cluster(ctx, ident) or {}).get("ClusterStatus"),
             lambda s: s != "pausing", ctx.progress, delay_s=ctx.poll_delay_s)
    aws.call(ctx.client("redshift"), "resume_cluster", ClusterIdentifier=ident)
    ctx.progress(f"cluster {ident}: paused; resuming it (compute billing starts again; `sparkify-nb pause` "
                 "stops it)")


def associate_copy_role(ctx: Context, cluster: dict[str, Any], role_arn: str) -> bool:
    """Associate the COPY role with an existing cluster that lacks it (someone
    detached it, or the cluster predates the role), saying so; True when it
    did. ModifyClusterIamRoles ``AddIamRoles``:
    https://docs.aws.amazon.com/redshift/latest/APIReference/API_ModifyClusterIamRoles.html .
    A role being removed (``ApplyStatus`` ``removing``) counts as missing. The
    local emulator lacks the call: there it is reported, not made."""
    ident = cluster.get("ClusterIdentifier")
    attached = {r.get("IamRoleArn") for r in cluster.get("IamRoles") or [] if r.get("ApplyStatus") != "removing"}
    if not ident or role_arn in attached:
        return False
    role = role_arn.rsplit("/", 1)[-1]
    if ctx.lacks("redshift", "modify_cluster_iam_roles"):
        ctx.progress(f"cluster {ident}: COPY role {role} is not associated; not associated here: the local emulator "
                     "lacks ModifyClusterIamRoles (on redshift 01 associates it)")
        return False
    aws.call(ctx.client("redshift"), "modify_cluster_iam_roles", ClusterIdentifier=ident, AddIamRoles=[role_arn])
    ctx.progress(f"cluster {ident}: COPY role {role} was not associated; associated it (COPY reads S3 with it)")
    return True
