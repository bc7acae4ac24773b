"""The security controls 01 shows, judged on what exists (describe calls), not
on what we asked for. A failed control stops the notebook.

The rows are the AWS Foundational Security Best Practices controls for
Amazon Redshift that a stack of this shape can meet
(https://docs.aws.amazon.com/securityhub/latest/userguide/redshift-controls.html):
Redshift.1 no public access, .2 ``require_ssl``, .3 automated snapshots kept
at least 7 days, .4 audit logging, .6 automatic major version upgrades,
.7 enhanced VPC routing (here also: an S3 gateway endpoint on the subnets'
route table, so that COPY still reaches S3), .8 admin user not ``awsuser``,
.9 database not ``dev``, .10 encrypted at rest, .15 no ingress from
0.0.0.0/0 or ::/0 on the port, .16 subnet group in two or more zones.
For Serverless the same requirements are read from the namespace and
workgroup, as Security Hub's RedshiftServerless controls do
(https://docs.aws.amazon.com/securityhub/latest/userguide/redshiftserverless-controls.html);
where a requirement has no Serverless setting the row says so (``n/a``).
Rows of our own follow: the COPY role lists and reads the sources only (its
actions, and the resources of each: only what 01 granted it, ``copy_reach``
of :mod:`.reach`, so ``s3:GetObject`` on ``*`` fails), the security
group admits exactly what the settings say, an internet gateway exists only
with ``access = direct``, and (``redshift`` only) the work bucket of daily
loads is tagged, encrypted, private and expiring (:mod:`.workbucket`).

:func:`report` gives the table to show, :func:`require` stops on a failed control.
``result`` is ``pass``, ``fail``, ``exception`` (a failure accepted for a
reason given in ``state``: Redshift.1 with ``access = direct``) or ``n/a``
(cannot be judged here, e.g. what the local emulator does not implement;
tests cover those with botocore's Stubber).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd

from .. import aws
from ..config import Settings
from ..display import Table
from ..iam import copy_role, reach
from . import cluster, network, roles, routes, serverless, workbucket
from .context import Context
from .errors import InfraError

COLUMNS = ["control", "requirement", "state", "result"]
OPEN = ("0.0.0.0/0", "::/0")


class ControlsError(InfraError):
    """A control failed on what exists; the message names each and its state."""


class Row(NamedTuple):
    control: str
    requirement: str
    state: str
    result: str


def _verdict(ok: bool) -> str:
    return "pass" if ok else "fail"


def _public(ctx: Context, public: Any) -> Row:
    state = f"publicly accessible: {str(bool(public)).lower()}"
    if public and ctx.settings.access == "direct":
        return Row("Redshift.1", "not publicly accessible", f"{state}; accepted: [cluster] access = direct gives the "
                   "warehouse a public endpoint on purpose, reachable only from [network] allowed_cidrs", "exception")
    return Row("Redshift.1", "not publicly accessible", state, _verdict(not public))


def _open_ingress(ctx: Context, group_ids: list[str], port: int) -> Row:
    """Redshift.15: any rule of the groups that admits 0.0.0.0/0 or ::/0 to ``port``."""
    groups = aws.call(ctx.client("ec2"), "describe_security_groups", GroupIds=group_ids)["SecurityGroups"] \
        if group_ids else []
    open_rules = sorted({f"{source} on {lo}-{hi}" for g in groups for (_, lo, hi, source)
                         in network.ingress_rules(g.get("IpPermissions", []))
                         if source in OPEN and (lo is None or lo <= port <= (hi if hi is not None else lo))})
    state = f"open to the internet: {', '.join(open_rules)}" if open_rules else \
        f"no rule for 0.0.0.0/0 or ::/0 on port {port} in {len(groups)} security group(s)"
    if open_rules and ctx.settings.get("network", "allow_public_ingress"):
        return Row("Redshift.15", "port not open to 0.0.0.0/0 or ::/0",
                   f"{state}; accepted: [network] allow_public_ingress = true", "exception")
    return Row("Redshift.15", "port not open to 0.0.0.0/0 or ::/0", state, _verdict(not open_rules))


def _zones(ctx: Context, subnet_zones: dict[str, str]) -> Row:
    zones = sorted(set(subnet_zones.values()))
    return Row("Redshift.16", "subnets in two or more availability zones",
               f"{len(subnet_zones)} subnets in {', '.join(zones) or 'no zone'}", _verdict(len(zones) >= 2))


def _routing(ctx: Context, evr: Any, subnet_ids: list[str]) -> Row:
    """Redshift.7, and the S3 gateway endpoint on every subnet's route table."""
    ec2 = ctx.client("ec2")
    tables: dict[str, str] = {}
    if subnet_ids:
        for table_ in aws.call(ec2, "describe_route_tables", Filters=[
                {"Name": "association.subnet-id", "Values": subnet_ids}])["RouteTables"]:
            tables.update({a["SubnetId"]: table_["RouteTableId"] for a in table_.get("Associations", [])
                           if a.get("SubnetId") in subnet_ids})
    endpoints = [e for e in aws.call(ec2, "describe_vpc_endpoints", Filters=[
        {"Name": "service-name", "Values": [routes.s3_service(ctx.settings.region)]}])["VpcEndpoints"]
        if e.get("State", "").lower() == "available"]
    covered = {s for s in subnet_ids if any(tables.get(s) in e.get("RouteTableIds", []) for e in endpoints)}
    ok = bool(evr) and bool(subnet_ids) and covered == set(subnet_ids)
    return Row("Redshift.7", "enhanced VPC routing, with an S3 gateway endpoint for COPY",
               f"enhanced VPC routing: {str(bool(evr)).lower()}; S3 gateway endpoint on the route table of "
               f"{len(covered)} of {len(subnet_ids)} subnets", _verdict(ok))


def _names(user: str | None, db: str | None) -> list[Row]:
    return [Row("Redshift.8", "admin user is not awsuser", f"admin user: {user}",
                _verdict(bool(user) and user != "awsuser")),
            Row("Redshift.9", "database is not dev", f"database: {db}", _verdict(bool(db) and db != "dev"))]


def _provisioned(ctx: Context) -> list[Row]:
    found = cluster.describe_cluster(ctx)
    if not found:
        return [Row("Redshift.*", "a cluster to check", f"no cluster {ctx.settings.get('cluster', 'identifier')}",
                    "fail")]
    redshift, ident = ctx.client("redshift"), found["ClusterIdentifier"]
    groups = [g["ParameterGroupName"] for g in found.get("ClusterParameterGroups", [])]
    if ctx.lacks("redshift", "modify_cluster_parameter_group"):
        ssl = Row("Redshift.2", "require_ssl = true", f"not checkable on the emulator, which cannot set it "
                  f"(no ModifyClusterParameterGroup) in {', '.join(groups)}", "n/a")
    else:
        values = {p["ParameterName"]: p.get("ParameterValue") for g in groups for p in aws.call(
            redshift, "describe_cluster_parameters", ParameterGroupName=g)["Parameters"]}
        ssl = Row("Redshift.2", "require_ssl = true", f"require_ssl = {values.get('require_ssl')} in "
                  f"{', '.join(groups)}", _verdict(values.get("require_ssl") == "true"))
    logging = aws.call(redshift, "describe_logging_status", ClusterIdentifier=ident)
    subnet_group = aws.call(redshift, "describe_cluster_subnet_groups",
                            ClusterSubnetGroupName=found["ClusterSubnetGroupName"])["ClusterSubnetGroups"][0]
    subnets = {s["SubnetIdentifier"]: s["SubnetAvailabilityZone"]["Name"] for s in subnet_group["Subnets"]}
    retention = found.get("AutomatedSnapshotRetentionPeriod") or 0
    port = (found.get("Endpoint") or {}).get("Port") or ctx.settings.get("cluster", "port")
    return [
        _public(ctx, found.get("PubliclyAccessible")), ssl,
        Row("Redshift.3", "automated snapshots kept >= 7 days", f"retention: {retention} days",
            _verdict(retention >= 7)),
        Row("Redshift.4", "audit logging on", f"logging: {str(bool(logging.get('LoggingEnabled'))).lower()}"
            f" ({logging.get('LogDestinationType') or 'no destination'}: {', '.join(logging.get('LogExports') or [])})",
            _verdict(bool(logging.get("LoggingEnabled")))),
        Row("Redshift.6", "automatic major version upgrades", f"allow version upgrade: "
            f"{str(bool(found.get('AllowVersionUpgrade'))).lower()}", _verdict(bool(found.get("AllowVersionUpgrade")))),
        _routing(ctx, found.get("EnhancedVpcRouting"), list(subnets)),
        *_names(found.get("MasterUsername"), found.get("DBName")),
        Row("Redshift.10", "encrypted at rest", f"encrypted: {str(bool(found.get('Encrypted'))).lower()}",
            _verdict(bool(found.get("Encrypted")))),
        _open_ingress(ctx, [g["VpcSecurityGroupId"] for g in found.get("VpcSecurityGroups", [])], port),
        _zones(ctx, subnets),
    ]


def _serverless(ctx: Context) -> list[Row]:
    client, name = ctx.client(serverless.SERVICE), ctx.settings.get("cluster", "identifier")
    ns = aws.call(client, "get_namespace", missing=serverless.GONE, namespaceName=name)
    wg = aws.call(client, "get_workgroup", missing=serverless.GONE, workgroupName=name)
    if not ns or not wg:
        return [Row("Redshift.*", "a namespace and workgroup to check", f"no serverless namespace or workgroup {name}",
                    "fail")]
    ns, wg = ns["namespace"], wg["workgroup"]
    params = {p["parameterKey"]: p.get("parameterValue") for p in wg.get("configParameters", [])}
    subnets = {s["SubnetId"]: s["AvailabilityZone"] for s in aws.call(
        ctx.client("ec2"), "describe_subnets", SubnetIds=wg.get("subnetIds", []))["Subnets"]}
    exports = ns.get("logExports") or []
    return [
        _public(ctx, wg.get("publiclyAccessible")),
        Row("Redshift.2", "require_ssl = true", f"workgroup require_ssl = {params.get('require_ssl')}",
            _verdict(params.get("require_ssl") == "true")),
        Row("Redshift.3", "automated snapshots kept >= 7 days", "Serverless has no snapshot retention setting "
            "(it keeps its own recovery points)", "n/a"),
        Row("Redshift.4", "audit logging on", f"namespace log exports: {', '.join(exports) or 'none'}",
            _verdict(bool(exports))),
        Row("Redshift.6", "automatic major version upgrades", "Serverless is upgraded by AWS; no setting", "n/a"),
        _routing(ctx, wg.get("enhancedVpcRouting"), list(subnets)),
        *_names(ns.get("adminUsername"), ns.get("dbName")),
        Row("Redshift.10", "encrypted at rest", f"namespace KMS key: {ns.get('kmsKeyId') or 'none'}",
            _verdict(bool(ns.get("kmsKeyId")))),
        _open_ingress(ctx, wg.get("securityGroupIds", []), (wg.get("endpoint") or {}).get("port")
                      or ctx.settings.get("cluster", "port")),
        _zones(ctx, subnets),
    ]


def _ours(ctx: Context, record: dict[str, Any]) -> list[Row]:
    """The stack's own rows: COPY role (actions and resources), exact ingress, internet gateway, work bucket."""
    grants, managed = roles.role_grants(ctx)
    actions = set(grants)
    granted = record.get("copy_reach") or reach.copy_reach(ctx.settings, ctx.caller["Account"]).record()
    beyond = copy_role.beyond_reach(grants, granted, ctx.partition)
    role_ok = actions <= {"s3:ListBucket", "s3:GetObject"} and not beyond and not managed
    sg = aws.call(ctx.client("ec2"), "describe_security_groups",
                  GroupIds=[record["security_group_id"]])["SecurityGroups"][0]
    port = ctx.settings.get("cluster", "port")
    have = sorted(network.ingress_rules(sg.get("IpPermissions", [])))
    wanted = sorted(network.ingress_rules(network.ip_permissions(port, record["allowed_cidrs"])))
    gateways = routes.find_internet_gateways(ctx)
    public = ctx.settings.publicly_accessible
    buckets = ", ".join(reach.source_buckets(ctx.settings)) or "no bucket"
    return [
        Row("Sparkify.role", "COPY role lists and reads the sources only",
            f"{', '.join(sorted(actions)) or 'no action'} on {buckets}"
            + (f"; beyond the sources: {', '.join(beyond)}" if beyond else "") + f"; {managed} managed policies",
            _verdict(role_ok)),
        Row("Sparkify.ingress", "security group admits exactly the settings' sources",
            f"tcp {port} from {', '.join(record['allowed_cidrs'])}" if have == wanted else f"ingress: {have}",
            _verdict(have == wanted)),
        Row("Sparkify.gateway", "internet gateway only with access = direct",
            f"{'present' if gateways else 'none'} (access = {ctx.settings.access})",
            _verdict(bool(gateways) == public)),
    ] + ([] if ctx.settings.is_local else [work_bucket_row(ctx)])


def work_bucket_row(ctx: Context) -> Row:
    """The work bucket of daily loads (``redshift`` only): tagged, encrypted
    with SSE-S3, public access blocked, its objects expiring (:mod:`.workbucket`)."""
    name, wrong = workbucket.problems(ctx)
    state = f"{name}: " + ("; ".join(wrong) if wrong else
                           f"SSE-S3, public access blocked, objects expire after {workbucket.EXPIRY_DAYS} days")
    return Row("Sparkify.work-bucket", "work bucket tagged, encrypted (SSE-S3), private, its objects expiring", state,
               _verdict(not wrong))


def table(settings: Settings, record: dict[str, Any], clients: aws.Clients | None = None) -> pd.DataFrame:
    """Every control as a row of :data:`COLUMNS` (see the module docstring).
    ``record``: what :func:`.stack.provision` returned; a plan record (``-p
    plan true``) made nothing, so there is one row saying so."""
    if "plan" in record:
        return pd.DataFrame([Row("-", "plan only", "nothing was created: nothing to check", "n/a")], columns=COLUMNS)
    ctx = Context(settings, clients or aws.Clients(settings))
    rows = _serverless(ctx) if record.get("kind") == "serverless" else _provisioned(ctx)
    return pd.DataFrame(rows + _ours(ctx, record), columns=COLUMNS)


def report(settings: Settings, record: dict[str, Any], clients: aws.Clients | None = None) -> Table:
    """:func:`table` to show (:class:`~sparkify_nb.display.Table`: rich in
    JupyterLab, aligned text when printed), the ``result`` column coloured;
    shown also when a control failed, so the failure is read in its place.
    :func:`require` then stops."""
    return Table(table(settings, record, clients), "security controls", status="result")


def require(report: Table) -> None:
    """Raise :class:`ControlsError` naming every failed control of ``report``
    (from :func:`report`) and its state, with what to do; nothing when none failed."""
    failed = report.frame[report.frame["result"] == "fail"]
    if len(failed):
        raise ControlsError("failed security controls: " + "; ".join(
            f"{r.control} ({r.requirement}): {r.state}" for r in failed.itertuples())
            + ". Re-run 01 (it brings what it can in line), or run 99_teardown and then 01 again")
