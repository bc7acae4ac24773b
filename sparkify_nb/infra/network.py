"""The warehouse's own network: a VPC, subnets in two availability zones (three
for Serverless, which needs them with enhanced VPC routing), and a security
group whose only ingress is the cluster port (:func:`ingress_cidrs`): from the
VPC's own range with ``[cluster] access = data_api`` (the cluster is private:
SQL arrives over the Data API, and "connect from inside the VPC" works), from
``[network] allowed_cidrs`` with ``access = direct``. Routing (route table,
S3 gateway endpoint, internet gateway) is in :mod:`.routes`.

Each kind has ``find_*`` (this stack's tagged instances), ``ensure_*`` (find or
create, bring in line; returns fields for the state record) and ``delete_*``;
:mod:`.resources` puts them in order.
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request
from typing import Any, Callable

from .. import aws
from ..config import Settings
from .context import Context
from .errors import InfraError, IngressError
from .wait import retry_in_use

VPC_CIDR = "10.42.0.0/16"
SUBNET_CIDRS = ("10.42.1.0/24", "10.42.2.0/24", "10.42.3.0/24")
PUBLIC_IP_URL = "https://checkip.amazonaws.com"


# --- who may reach the cluster port --------------------------------------------

def public_ip(url: str = PUBLIC_IP_URL, timeout_s: float = 5) -> str:
    """This machine's public IPv4 address as seen from the internet (asks
    ``url``). Raises :class:`IngressError` saying which setting to use instead."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 (fixed https URL)
            text = response.read(64).decode("ascii", "replace").strip()
        return str(ipaddress.IPv4Address(text))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise IngressError(
            f"cannot find your public IP address at {url} ({exc}), needed as the default of [network] "
            "allowed_cidrs on redshift. Set it yourself in dwh.cfg ([network] allowed_cidrs = 203.0.113.7/32) or "
            "SPARKIFY_NETWORK_ALLOWED_CIDRS") from None


def ingress_cidrs(settings: Settings, lookup: Callable[[], str] = public_ip) -> tuple[list[str], list[str]]:
    """The CIDR blocks allowed to reach the cluster port, and warnings.

    ``access = data_api``: the VPC's own range (:data:`VPC_CIDR`) and nothing
    else. ``access = direct``: ``[network] allowed_cidrs``, else
    ``127.0.0.1/32`` on the local stack (``local`` and a rehearsal, whose
    endpoint is on loopback) and this machine's public IP as /32 on
    ``redshift``. A block open to the whole internet (``/0``) raises
    :class:`IngressError` unless ``[network] allow_public_ingress = true``;
    then it is allowed with a warning."""
    if settings.access == "data_api":
        return [VPC_CIDR], []
    cidrs = list(settings.get("network", "allowed_cidrs"))
    if not cidrs:
        cidrs = ["127.0.0.1/32"] if settings.on_emulator else [f"{lookup()}/32"]
    open_to_all = [c for c in cidrs if ipaddress.ip_network(c).prefixlen == 0]
    warnings = []
    if open_to_all:
        port = settings.get("cluster", "port")
        if not settings.get("network", "allow_public_ingress"):
            raise IngressError(
                f"[network] allowed_cidrs = {', '.join(open_to_all)} opens port {port} to the whole internet: "
                "refused. Allow your own address (e.g. 203.0.113.7/32), or set [network] allow_public_ingress = "
                "true if you really mean it")
        warnings = [f"security group: port {port} is open to {c} (the whole internet) because [network] "
                    "allow_public_ingress = true" for c in open_to_all]
    return cidrs, warnings


def ip_permissions(port: int, cidrs: list[str]) -> list[dict[str, Any]]:
    """The security group's wanted ingress: tcp ``port`` from each of ``cidrs``."""
    v4 = [{"CidrIp": c, "Description": "Sparkify warehouse clients"} for c in cidrs if ":" not in c]
    v6 = [{"CidrIpv6": c, "Description": "Sparkify warehouse clients"} for c in cidrs if ":" in c]
    return [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": v4, "Ipv6Ranges": v6}]


def ingress_rules(perms: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    """EC2 ``IpPermissions`` as comparable ``(protocol, from, to, source)`` tuples."""
    rules = set()
    for p in perms:
        head = (p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"))
        rules |= {head + (r["CidrIp"],) for r in p.get("IpRanges", [])}
        rules |= {head + (r["CidrIpv6"],) for r in p.get("Ipv6Ranges", [])}
        rules |= {head + (g.get("GroupId"),) for g in p.get("UserIdGroupPairs", [])}
        rules |= {head + (g.get("PrefixListId"),) for g in p.get("PrefixListIds", [])}
    return rules


# --- find ------------------------------------------------------------------------

def find_tagged(ctx: Context, operation: str, key: str, vpc_id: str | None = None) -> list[dict[str, Any]]:
    """EC2 resources of one kind carrying this stack's tag (in ``vpc_id`` if given)."""
    extra = [{"Name": "vpc-id", "Values": [vpc_id]}] if vpc_id else []
    return aws.call(ctx.client("ec2"), operation, Filters=ctx.tag_filter() + extra)[key]


def find_vpcs(ctx: Context) -> list[dict[str, Any]]:
    return find_tagged(ctx, "describe_vpcs", "Vpcs")


def find_subnets(ctx: Context) -> list[dict[str, Any]]:
    return find_tagged(ctx, "describe_subnets", "Subnets")


def find_security_groups(ctx: Context) -> list[dict[str, Any]]:
    return find_tagged(ctx, "describe_security_groups", "SecurityGroups")


def create_tagged(ctx: Context, operation: str, resource_type: str, name: str, **kwargs: Any) -> dict[str, Any]:
    """An EC2 ``Create*`` call that tags the new resource as this stack's."""
    return aws.call(ctx.client("ec2"), operation, TagSpecifications=[
        {"ResourceType": resource_type, "Tags": ctx.tags(name)}], **kwargs)


# --- ensure ------------------------------------------------------------------------

def ensure_vpc(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    vpc = next(iter(find_vpcs(ctx)), None)
    if vpc:
        ctx.progress(f"VPC {vpc['VpcId']}: exists")
    else:
        vpc = create_tagged(ctx, "create_vpc", "vpc", f"{ctx.settings.stack_name}-vpc", CidrBlock=VPC_CIDR)["Vpc"]
        ctx.client("ec2").get_waiter("vpc_available").wait(VpcIds=[vpc["VpcId"]])
        ctx.progress(f"VPC {vpc['VpcId']}: created ({VPC_CIDR})")
    return {"vpc_id": vpc["VpcId"]}


def zones(ctx: Context) -> list[str]:
    """The region's availability zones a subnet group may use, in name order:
    ``ZoneType = availability-zone`` (no Local or Wavelength Zone, which
    Redshift does not run in) and ``OptInStatus = opt-in-not-required`` (no zone
    the account had to opt in to), state ``available``. Filter names:
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html"""
    found = aws.call(ctx.client("ec2"), "describe_availability_zones", Filters=[
        {"Name": "state", "Values": ["available"]}, {"Name": "zone-type", "Values": ["availability-zone"]},
        {"Name": "opt-in-status", "Values": ["opt-in-not-required"]}])["AvailabilityZones"]
    # Checked again here: a filter an endpoint ignores must not let a Local Zone through.
    return sorted(z["ZoneName"] for z in found if z.get("ZoneType", "availability-zone") == "availability-zone"
                  and z.get("OptInStatus", "opt-in-not-required") == "opt-in-not-required")


def offered_zones(ctx: Context) -> set[str] | None:
    """The zones where a provisioned cluster of ``[cluster] node_type`` (single-
    or multi-node, as ``node_count`` says) can be ordered:
    DescribeOrderableClusterOptions lists, per node type and cluster type, the
    "list of availability zones for the orderable cluster"
    (https://docs.aws.amazon.com/redshift/latest/APIReference/API_DescribeOrderableClusterOptions.html;
    "Amazon Redshift might not be available in all Availability Zones within an
    AWS Region": https://docs.aws.amazon.com/redshift/latest/mgmt/az-considerations.html).
    None for Serverless (AWS lists the zone IDs it supports only in its
    console: unconfirmed here, see :func:`ensure_subnets`) and on the emulator,
    which lacks the call (said in a progress line)."""
    settings = ctx.settings
    if settings.get("cluster", "kind") != "provisioned":
        return None
    if ctx.lacks("redshift", "describe_orderable_cluster_options"):
        ctx.progress("availability zones: where the node type is offered is not checked here: the local emulator "
                     "lacks DescribeOrderableClusterOptions (on redshift 01 checks it)")
        return None
    cluster_type = "single-node" if settings.get("cluster", "node_count") == 1 else "multi-node"
    pages = ctx.client("redshift").get_paginator("describe_orderable_cluster_options").paginate(
        NodeType=settings.get("cluster", "node_type"))
    return {zone["Name"] for page in pages for option in page.get("OrderableClusterOptions", [])
            if option.get("ClusterType") in (None, cluster_type) for zone in option.get("AvailabilityZones", [])}


def subnet_zones(ctx: Context) -> list[str]:
    """The zone of each subnet to make, in order: two zones for a provisioned
    cluster, where its node type is offered (:func:`offered_zones`); three for
    Serverless with enhanced VPC routing, except US West (N. California), where
    AWS asks for "three subnets ... across only two Availability Zones" (one
    of them holds two): https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-usage-considerations.html.
    Raises :class:`InfraError` naming the region and what to change when too
    few zones qualify."""
    settings = ctx.settings
    serverless = settings.get("cluster", "kind") == "serverless"
    wanted = 3 if serverless else 2
    distinct = 2 if serverless and settings.region == "us-west-1" else wanted
    usable, offered = zones(ctx), offered_zones(ctx)
    if offered is not None:
        usable = [z for z in usable if z in offered]
    if len(usable) < distinct:
        what = (f"where {settings.get('cluster', 'node_type')} is offered (DescribeOrderableClusterOptions)"
                if offered is not None else "that need no opt-in")
        raise InfraError(f"region {settings.region} ([general] region) has {len(usable)} availability zones {what}; "
                         f"{distinct} are needed. Choose another region"
                         + (" or [cluster] node_type" if offered is not None else ""))
    return [usable[i % distinct] for i in range(wanted)]


def ensure_subnets(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """One subnet per zone of :func:`subnet_zones`, each a /24 (251 usable
    addresses: AWS reserves five of each subnet's,
    https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
    Serverless needs free addresses in each subnet, more for more RPUs; the
    numbers by capacity are on AWS's considerations page (link above) and not
    restated here (unconfirmed), so CreateWorkgroup's own refusal is what
    tells (:mod:`.serverless` says what to do)."""
    vpc_id = record["vpc_id"]
    wanted = subnet_zones(ctx)
    by_cidr = {s["CidrBlock"]: s["SubnetId"] for s in find_tagged(ctx, "describe_subnets", "Subnets", vpc_id)}
    subnet_ids = []
    for cidr, zone in zip(SUBNET_CIDRS[:len(wanted)], wanted):
        if cidr not in by_cidr:
            by_cidr[cidr] = create_tagged(ctx, "create_subnet", "subnet", f"{ctx.settings.stack_name}-{zone}",
                                           VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
            ctx.progress(f"subnet {by_cidr[cidr]} in {zone}: created")
        subnet_ids.append(by_cidr[cidr])
    if len(by_cidr) == len(wanted):
        ctx.progress(f"subnets: {len(wanted)} in {len(set(wanted))} availability zones")
    return {"subnet_ids": subnet_ids}


def ensure_security_group(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """The group, with ingress set to exactly the cluster port from ``record["allowed_cidrs"]``."""
    ec2, port, cidrs = ctx.client("ec2"), ctx.settings.get("cluster", "port"), record["allowed_cidrs"]
    sg = next(iter(find_tagged(ctx, "describe_security_groups", "SecurityGroups", record["vpc_id"])), None)
    if sg:
        ctx.progress(f"security group {sg['GroupId']}: exists")
    else:
        name = f"{ctx.settings.stack_name}-redshift"
        sg = {"GroupId": create_tagged(ctx, "create_security_group", "security-group", name, GroupName=name,
                                        VpcId=record["vpc_id"],
                                        Description="Sparkify warehouse: the cluster port only"
                                        )["GroupId"], "IpPermissions": []}
        ctx.progress(f"security group {sg['GroupId']}: created")
    sg_id, wanted = sg["GroupId"], ip_permissions(port, cidrs)
    if ingress_rules(sg.get("IpPermissions", [])) != ingress_rules(wanted):
        if sg.get("IpPermissions"):
            aws.call(ec2, "revoke_security_group_ingress", GroupId=sg_id, IpPermissions=sg["IpPermissions"])
        # The new rules are tagged too: the operator policy lets EC2 create only what carries the stack's tag.
        aws.call(ec2, "authorize_security_group_ingress", GroupId=sg_id, IpPermissions=wanted, TagSpecifications=[
            {"ResourceType": "security-group-rule", "Tags": ctx.tags(f"{ctx.settings.stack_name}-port")}])
        ctx.progress(f"security group {sg_id}: ingress set to port {port} from {', '.join(cidrs)}")
    else:
        ctx.progress(f"security group {sg_id}: port {port} from {', '.join(cidrs)}")
    return {"security_group_id": sg_id}


# --- delete ------------------------------------------------------------------------

def delete_in_use(ctx: Context, operation: str, missing: str, label: str, **ident: str) -> None:
    """Delete one EC2 resource, retrying while a just-deleted cluster still uses it."""
    ec2 = ctx.client("ec2")
    retry_in_use(lambda: aws.call(ec2, operation, missing=(missing,), **ident), label, ctx.progress,
                 ctx.poll_delay_s)
    ctx.progress(f"{label}: deleted")


def delete_vpc(ctx: Context, vpc: dict[str, Any]) -> None:
    delete_in_use(ctx, "delete_vpc", "InvalidVpcID.NotFound", f"VPC {vpc['VpcId']}", VpcId=vpc["VpcId"])


def delete_subnet(ctx: Context, subnet: dict[str, Any]) -> None:
    delete_in_use(ctx, "delete_subnet", "InvalidSubnetID.NotFound", f"subnet {subnet['SubnetId']}",
                   SubnetId=subnet["SubnetId"])


def delete_security_group(ctx: Context, sg: dict[str, Any]) -> None:
    delete_in_use(ctx, "delete_security_group", "InvalidGroup.NotFound", f"security group {sg['GroupId']}",
                   GroupId=sg["GroupId"])
