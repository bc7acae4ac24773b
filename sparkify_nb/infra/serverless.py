"""Redshift Serverless (``[cluster] kind = serverless``): a namespace and a
workgroup named ``[cluster] identifier``, on the COPY role and our network,
admin password managed by AWS, audit logs exported to CloudWatch Logs
(:data:`.cluster.LOG_EXPORTS`), ``require_ssl = true``, enhanced VPC routing,
public only with ``[cluster] access = direct``. The workgroup's base and
maximum capacity, routing and public access are brought in line in place
(:func:`bring_in_line`: one ``UpdateWorkgroup`` per setting, "You can't update
multiple parameters in one request",
https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_UpdateWorkgroup.html),
as are the namespace's log exports (``UpdateNamespace``).

``maxCapacity`` is always set, from ``[cluster] max_capacity`` (default: the
base capacity): without it a workgroup scales above its base ("The max
capacity setting serves as the upper limit of RPUs that Amazon Redshift
Serverless can scale up to",
https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-billing-on-demand.html),
so the cost printed at the maximum is a real ceiling per hour of work.

The local emulator has no Serverless API (:data:`aws.EMULATOR_GAPS`): there
the finds return nothing, and tests pin the calls with botocore's Stubber.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from .. import aws
from . import pricing
from .cluster import LOG_EXPORTS, PARAMETERS, stamp
from .context import Context
from .errors import InfraError
from .wait import poll, retry_role_propagation

SERVICE = "redshift-serverless"
GONE = ("ResourceNotFoundException",)


def _tags(ctx: Context, name: str) -> list[dict[str, str]]:
    """Serverless spells tags ``key``/``value``."""
    return [{"key": t["Key"], "value": t["Value"]} for t in ctx.tags(name)]


def _find(ctx: Context, lister: str, key: str, arn_key: str) -> list[dict[str, Any]]:
    if ctx.lacks(SERVICE):
        return []
    client = ctx.client(SERVICE)
    found = []
    for item in aws.call(client, lister)[key]:
        # Another stack's namespace or workgroup may be deleted between the list and its tags: not ours either.
        tags = aws.call(client, "list_tags_for_resource", missing=("ResourceNotFoundException",),
                        resourceArn=item[arn_key])
        if tags is not None and ctx.is_ours(tags["tags"]):
            found.append({**item, "tags": tags["tags"]})
    return found


def find_namespaces(ctx: Context) -> list[dict[str, Any]]:
    return _find(ctx, "list_namespaces", "namespaces", "namespaceArn")


def find_workgroups(ctx: Context) -> list[dict[str, Any]]:
    return _find(ctx, "list_workgroups", "workgroups", "workgroupArn")


def _existing(ctx: Context, kind: str, name: str) -> dict[str, Any] | None:
    """The namespace or workgroup ``name``, refused unless tagged as ours; None when there is none."""
    client = ctx.client(SERVICE)
    found = aws.call(client, f"get_{kind}", missing=GONE, **{f"{kind}Name": name})
    if not found:
        return None
    tags = aws.call(client, "list_tags_for_resource", resourceArn=found[kind][f"{kind}Arn"])["tags"]
    ctx.claim(tags, f"serverless {kind} {name}", "[cluster] identifier")
    return found[kind]


def ensure_namespace(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    client, name = ctx.client(SERVICE), ctx.settings.get("cluster", "identifier")
    ns = _existing(ctx, "namespace", name)
    if ns:
        ctx.progress(f"serverless namespace {name}: exists")
        if not set(LOG_EXPORTS) <= set(ns.get("logExports") or []):
            aws.call(client, "update_namespace", namespaceName=name, logExports=list(LOG_EXPORTS))
            ctx.progress(f"serverless namespace {name}: audit logs exported to CloudWatch Logs")
        associate_copy_role(ctx, ns, record["role_arn"])
    else:
        role_arn = record["role_arn"]

        def create() -> dict[str, Any]:
            return aws.call(client, "create_namespace", namespaceName=name,
                            adminUsername=ctx.settings.get("cluster", "db_user"), manageAdminPassword=True,
                            dbName=ctx.settings.get("cluster", "db_name"), iamRoles=[role_arn],
                            defaultIamRoleArn=role_arn, logExports=list(LOG_EXPORTS),
                            tags=_tags(ctx, name))["namespace"]

        ns = retry_role_propagation(create, f"serverless namespace {name}", ctx.progress, ctx.poll_delay_s)
        ctx.progress(f"serverless namespace {name}: created (audit logs to CloudWatch Logs)")
    return {"namespace_name": name, "namespace_arn": ns["namespaceArn"]}


def wanted_workgroup(settings: Any) -> dict[str, Any]:
    """The workgroup settings 01 makes and keeps: base and maximum capacity
    (RPUs), enhanced VPC routing, public access."""
    return {"baseCapacity": settings.get("cluster", "base_capacity"), "maxCapacity": max_capacity(settings),
            "enhancedVpcRouting": True, "publiclyAccessible": settings.publicly_accessible}


def max_capacity(settings: Any) -> int:
    """``[cluster] max_capacity``, or the base capacity when it is empty (RPUs)."""
    return settings.get("cluster", "max_capacity") or settings.get("cluster", "base_capacity")


def update_order(wg: dict[str, Any], changes: dict[str, Any]) -> list[str]:
    """The keys of ``changes`` in the order they can be sent one by one: the
    base may never exceed the maximum in between, so a rising maximum goes
    first and a falling one last (a workgroup without a maximum counts as
    unbounded). That AWS refuses a base above the maximum is inferred, not
    stated on the API page: the order simply never asks for it."""
    rising = changes.get("maxCapacity", 0) > (wg.get("maxCapacity") or float("inf"))
    return sorted(changes, key=lambda k: (k != "maxCapacity") if rising else (k == "maxCapacity"))


def bring_in_line(ctx: Context, wg: dict[str, Any]) -> None:
    """Send what differs of :func:`wanted_workgroup` as one ``UpdateWorkgroup``
    per setting (AWS refuses more in one request: "Can't update multiple
    configurations at the same time"), waiting until the workgroup is
    ``AVAILABLE`` again after each."""
    name = wg["workgroupName"]
    changes = {key: value for key, value in wanted_workgroup(ctx.settings).items() if wg.get(key) != value}
    client = ctx.client(SERVICE)
    for key in update_order(wg, changes):
        aws.call(client, "update_workgroup", workgroupName=name, **{key: changes[key]})
        ctx.progress(f"serverless workgroup {name}: {key} {wg.get(key)} -> {changes[key]}")
        _wait_available(ctx, name)


def _wait_available(ctx: Context, name: str) -> None:
    def status() -> str | None:
        return aws.call(ctx.client(SERVICE), "get_workgroup", workgroupName=name)["workgroup"].get("status")

    poll(f"serverless workgroup {name}", status, lambda s: s == "AVAILABLE", ctx.progress, delay_s=ctx.poll_delay_s)


def ensure_workgroup(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Find or create the workgroup (base and maximum capacity, routing, public
    access as the settings say), bring an existing one in line, wait until it
    is available; returns its endpoint for the state record."""
    client, settings = ctx.client(SERVICE), ctx.settings
    name, capacity = settings.get("cluster", "identifier"), settings.get("cluster", "base_capacity")
    wg = _existing(ctx, "workgroup", name)
    if wg:
        ctx.progress(f"serverless workgroup {name}: exists ({wg.get('status')})")
        if wg.get("status") != "AVAILABLE":
            _wait_available(ctx, name)
        bring_in_line(ctx, wg)
    else:
        try:
            aws.call(client, "create_workgroup", workgroupName=name, namespaceName=name,
                     **wanted_workgroup(settings), subnetIds=record["subnet_ids"],
                     securityGroupIds=[record["security_group_id"]], port=settings.get("cluster", "port"),
                     configParameters=[{"parameterKey": k, "parameterValue": v} for k, v in PARAMETERS.items()],
                     tags=_tags(ctx, name))
        except ClientError as exc:
            raise _placement_error(exc, settings.region) or exc
        ctx.progress(f"serverless workgroup {name}: creating, base capacity {capacity} RPU, at most "
                     f"{max_capacity(settings)} RPU ({'public' if settings.publicly_accessible else 'private'}, "
                     "enhanced VPC routing)")
    _wait_available(ctx, name)
    wg = aws.call(client, "get_workgroup", workgroupName=name)["workgroup"]
    endpoint = wg.get("endpoint") or {}
    return {"workgroup_name": name, "workgroup_arn": wg["workgroupArn"], "base_capacity": wg.get("baseCapacity"),
            "max_capacity": wg.get("maxCapacity"), "endpoint": endpoint.get("address"), "port": endpoint.get("port"),
            "db_name": settings.get("cluster", "db_name"), "db_user": settings.get("cluster", "db_user"),
            "cluster_status": wg.get("status")}


def _placement_error(exc: ClientError, region: str) -> InfraError | None:
    """A CreateWorkgroup refusal about its subnets, said with what to do; None
    for any other error. Serverless runs only in the Availability Zone IDs it
    supports and needs free addresses in each subnet
    (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-usage-considerations.html);
    AWS lists the supported zone IDs in its console, not on that page
    (unconfirmed here), so a zone is known to be unsupported only when AWS says so."""
    message = str(exc.response.get("Error", {}).get("Message", "")).rstrip(". ")
    if not re.search(r"subnet|availability zone|ip address", message, re.IGNORECASE):
        return None
    return InfraError(f"Redshift Serverless refused the workgroup's subnets in {region}: {message}. 01 puts them in "
                      "the first availability zones by name (its subnet lines say which); Serverless supports only "
                      "some zone IDs, which its console lists (create workgroup, network and security). Set "
                      "[general] region to a region whose first three zones it supports")


def _wait_gone(ctx: Context, kind: str, name: str) -> None:
    client = ctx.client(SERVICE)

    def status() -> str | None:
        found = aws.call(client, f"get_{kind}", missing=GONE, **{f"{kind}Name": name})
        return found[kind].get("status") if found else None

    poll(f"serverless {kind} {name}", status, lambda s: s is None, ctx.progress, delay_s=ctx.poll_delay_s)


def delete_workgroup(ctx: Context, wg: dict[str, Any]) -> None:
    """Delete the workgroup and wait until it is gone. Its compute was billed
    per RPU-second of work, so the cost is in the AWS Billing console."""
    name = wg["workgroupName"]
    if wg.get("status") == "DELETING":  # its lease fired a moment ago: a second DeleteWorkgroup is a ConflictException
        ctx.progress(f"serverless workgroup {name}: already deleting (its lease)")
    else:
        aws.call(ctx.client(SERVICE), "delete_workgroup", missing=GONE, workgroupName=name)
        ctx.progress(f"serverless workgroup {name}: deleting")
    _wait_gone(ctx, "workgroup", name)
    try:
        estimate = pricing.describe(pricing.for_settings(ctx.settings))
    except pricing.PricingError as exc:
        estimate = str(exc)
    ctx.progress(f"serverless: billed per RPU-second of work, so its cost is in the AWS Billing console "
                 f"(estimate: {estimate})")


def delete_namespace(ctx: Context, ns: dict[str, Any]) -> None:
    """Delete the namespace (a final snapshot only with ``[cluster]
    final_snapshot = true``) and wait until it is gone."""
    name = ns["namespaceName"]
    if ns.get("status") == "DELETING":  # its lease deleted it (with the final snapshot 99 would keep)
        ctx.progress(f"serverless namespace {name}: already deleting (its lease)")
    else:
        extra = {"finalSnapshotName": f"{name}-final-{stamp()}"} if ctx.settings.get("cluster", "final_snapshot") else {}
        aws.call(ctx.client(SERVICE), "delete_namespace", missing=GONE, namespaceName=name, **extra)
        ctx.progress(f"serverless namespace {name}: deleting")
    _wait_gone(ctx, "namespace", name)


# GetNamespace lists iamRoles as text, "IamRole(applyStatus=in-sync, iamRoleArn=arn:...)" (either field first),
# not as ARNs: https://github.com/aws-solutions-library-samples/guidance-for-clickstream-analytics-on-aws/pull/507
# A role name may hold commas, so the ARN ends where the next "field=" or the closing parenthesis starts.
_ROLE_ARN = re.compile(r"(arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+?)(?:,\s*\w+=|\)|$)")


def namespace_roles(ns: dict[str, Any]) -> list[str]:
    """The IAM role ARNs associated with namespace ``ns`` (as GetNamespace
    returns it: plain ARNs or the ``IamRole(...)`` text), in order."""
    return [m.group(1) for text in ns.get("iamRoles") or [] if (m := _ROLE_ARN.search(str(text).strip()))]


def associate_copy_role(ctx: Context, ns: dict[str, Any], role_arn: str) -> bool:
    """Associate the COPY role with an existing namespace that lacks it, saying
    so; True when it did. UpdateNamespace replaces the whole list, and
    ``iamRoles`` "must be updated together with defaultIamRoleArn"
    (https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_UpdateNamespace.html),
    so the other roles and the default (the COPY role when there was none) are kept."""
    roles = namespace_roles(ns)
    if role_arn in roles:
        return False
    name = ns["namespaceName"]
    aws.call(ctx.client(SERVICE), "update_namespace", namespaceName=name, iamRoles=roles + [role_arn],
             defaultIamRoleArn=ns.get("defaultIamRoleArn") or role_arn)
    ctx.progress(f"serverless namespace {name}: COPY role {role_arn.rsplit('/', 1)[-1]} was not associated; "
                 "associated it (COPY reads S3 with it)")
    return True
