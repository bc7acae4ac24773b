"""The checks 01 shows: look at what exists (not at what we asked for) and
judge it against the settings. A failed check stops the notebook.
"""

from __future__ import annotations

from typing import Any

from .. import aws
from ..config import Settings
from . import cluster, iam, network
from .context import Context
from .errors import InfraError

Check = tuple[str, str]  # (verdict: "ok", "FAIL" or "n/a", text)


def _role(ctx: Context) -> Check:
    actions, managed = iam.role_actions(ctx)
    ok = actions <= {"s3:ListBucket", "s3:GetObject"} and not managed
    return ("ok" if ok else "FAIL", f"COPY role: {', '.join(sorted(actions)) or 'no action'} on the configured "
            f"sources ({', '.join(iam.source_buckets(ctx.settings))}), {managed} managed policies")


def _ingress(ctx: Context, record: dict[str, Any]) -> Check:
    sg = aws.call(ctx.client("ec2"), "describe_security_groups",
                  GroupIds=[record["security_group_id"]])["SecurityGroups"][0]
    port = ctx.settings.get("cluster", "port")
    rules = sorted(network.ingress_rules(sg.get("IpPermissions", [])))
    wanted = sorted(network.ingress_rules(network.ip_permissions(port, record["allowed_cidrs"])))
    if rules == wanted:
        return "ok", f"security group ingress: only tcp {port} from {', '.join(record['allowed_cidrs'])}"
    return "FAIL", f"security group ingress: {rules}"


def _cluster(ctx: Context, record: dict[str, Any]) -> list[Check]:
    public = ctx.settings.get("cluster", "publicly_accessible")
    found = cluster.describe_cluster(ctx) or {}
    out = [("ok" if found.get("Encrypted") else "FAIL",
            f"cluster encrypted: {str(bool(found.get('Encrypted'))).lower()}"),
           ("ok" if found.get("PubliclyAccessible") == public else "FAIL",
            f"cluster publicly accessible: {str(bool(found.get('PubliclyAccessible'))).lower()}")]
    groups = [g["ParameterGroupName"] for g in found.get("ClusterParameterGroups", [])]
    if ctx.lacks("redshift", "modify_cluster_parameter_group"):
        out.append(("n/a", f"require_ssl in {', '.join(groups)}: not set on the emulator "
                           "(no ModifyClusterParameterGroup)"))
        return out
    params = aws.call(ctx.client("redshift"), "describe_cluster_parameters",
                      ParameterGroupName=record["parameter_group"], Source="user")["Parameters"]
    ssl = {p["ParameterName"]: p.get("ParameterValue") for p in params}.get("require_ssl")
    out.append(("ok" if ssl == "true" and record["parameter_group"] in groups else "FAIL",
                f"require_ssl in {', '.join(groups)}: {ssl}"))
    return out


def checks(settings: Settings, record: dict[str, Any], clients: aws.Clients | None = None) -> list[Check]:
    """Each check as ``(verdict, text)``, verdict ``ok``, ``FAIL`` or ``n/a``
    (cannot be checked here, e.g. what the emulator does not implement):
    the COPY role's permissions, the security group's ingress, the internet
    gateway, and for a provisioned cluster encryption, public access and
    ``require_ssl``. ``record``: what :func:`.stack.provision` returned."""
    ctx = Context(settings, clients or aws.Clients(settings))
    public = settings.get("cluster", "publicly_accessible")
    igws = network.find_internet_gateways(ctx)
    out = [_role(ctx), _ingress(ctx, record),
           ("ok" if bool(igws) == public else "FAIL",
            f"internet gateway: {'present (publicly accessible)' if igws else 'none (not publicly accessible)'}")]
    if record.get("kind") != "serverless":
        out += _cluster(ctx, record)
    return out


def report_checks(settings: Settings, record: dict[str, Any], clients: aws.Clients | None = None) -> str:
    """:func:`checks` as printable lines (``verdict text``). Raises
    :class:`InfraError` naming the failed checks when one fails."""
    results = checks(settings, record, clients)
    failed = [text for verdict, text in results if verdict == "FAIL"]
    if failed:
        raise InfraError(f"the stack does not meet its settings: {'; '.join(failed)}. Re-run 01, or run "
                         "99_teardown and 01 again")
    return "\n".join(f"{verdict:<4} {text}" for verdict, text in results)
