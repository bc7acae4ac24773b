"""Where the warehouse's traffic goes: a route table of our own on our subnets,
an S3 gateway endpoint on it, and with ``[cluster] access = direct`` an
internet gateway with the default route.

The cluster runs with enhanced VPC routing (Security Hub control Redshift.7),
which "forces all COPY and UNLOAD traffic between the cluster and data
repositories to go through your VPC"; a private cluster then reaches S3 only
through a gateway endpoint, and only buckets of its own region
(https://docs.aws.amazon.com/redshift/latest/mgmt/enhanced-vpc-enabling-cluster.html).
So the endpoint is always made (gateway endpoints cost nothing), and
:mod:`.preflight` refuses sources in another region on ``data_api``.

Each kind has ``find_*``, ``ensure_*`` and ``delete_*`` like :mod:`.network`.
"""

from __future__ import annotations

from typing import Any

from .. import aws
from .context import Context
from .network import create_tagged, delete_in_use, find_tagged
from .wait import retry_in_use


def s3_service(region: str) -> str:
    """The S3 gateway endpoint's service name in ``region``, e.g.
    ``com.amazonaws.us-west-2.s3`` (as in
    https://docs.aws.amazon.com/ec2/latest/devguide/example_ec2_CreateVpcEndpoint_section.html)."""
    return f"com.amazonaws.{region}.s3"


# --- internet gateway (access = direct) -------------------------------------------

def find_internet_gateways(ctx: Context) -> list[dict[str, Any]]:
    return find_tagged(ctx, "describe_internet_gateways", "InternetGateways")


def ensure_internet_gateway(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Attached to the VPC only with ``access = direct``; one left from such a
    run is reported, not removed (the cluster may still depend on it)."""
    igw = next(iter(find_internet_gateways(ctx)), None)
    if not ctx.settings.publicly_accessible:
        if igw:
            ctx.warn(f"internet gateway {igw['InternetGatewayId']}: still there from a run with [cluster] access = "
                     "direct; not removed in place (the cluster may depend on it). 99_teardown removes it")
        return {"internet_gateway_id": igw["InternetGatewayId"] if igw else None}
    if igw:
        ctx.progress(f"internet gateway {igw['InternetGatewayId']}: exists")
    else:
        igw = create_tagged(ctx, "create_internet_gateway", "internet-gateway",
                            f"{ctx.settings.stack_name}-igw")["InternetGateway"]
        ctx.progress(f"internet gateway {igw['InternetGatewayId']}: created")
    igw_id, vpc_id = igw["InternetGatewayId"], record["vpc_id"]
    if vpc_id not in [a["VpcId"] for a in igw.get("Attachments", [])]:
        aws.call(ctx.client("ec2"), "attach_internet_gateway", InternetGatewayId=igw_id, VpcId=vpc_id)
        ctx.progress(f"internet gateway {igw_id}: attached to {vpc_id}")
    return {"internet_gateway_id": igw_id}


def delete_internet_gateway(ctx: Context, igw: dict[str, Any]) -> None:
    """Detach and delete. "The VPC must not contain any running instances with
    Elastic IP addresses or public IPv4 addresses"
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DetachInternetGateway.html):
    the public address of a cluster deleted just before can linger a while, and
    EC2 refuses with ``DependencyViolation`` ("... has some mapped public
    address(es)") meanwhile, so the detach is retried like the other deletes
    a just-deleted cluster blocks (:func:`.wait.retry_in_use`)."""
    ec2, igw_id = ctx.client("ec2"), igw["InternetGatewayId"]
    for attachment in igw.get("Attachments", []):
        retry_in_use(lambda vpc=attachment["VpcId"]: aws.call(  # type: ignore[misc]
            ec2, "detach_internet_gateway", missing=("Gateway.NotAttached",), InternetGatewayId=igw_id, VpcId=vpc),
            f"internet gateway {igw_id}", ctx.progress, ctx.poll_delay_s)
    aws.call(ec2, "delete_internet_gateway", missing=("InvalidInternetGatewayID.NotFound",), InternetGatewayId=igw_id)
    ctx.progress(f"internet gateway {igw_id}: detached and deleted")


# --- route table ---------------------------------------------------------------------

def find_route_tables(ctx: Context) -> list[dict[str, Any]]:
    return find_tagged(ctx, "describe_route_tables", "RouteTables")


def ensure_route_table(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Our route table, associated with our subnets (the S3 endpoint's routes
    go into it); with ``access = direct`` it also sends 0.0.0.0/0 to the
    internet gateway."""
    ec2, vpc_id = ctx.client("ec2"), record["vpc_id"]
    rtb = next(iter(find_tagged(ctx, "describe_route_tables", "RouteTables", vpc_id)), None)
    if rtb:
        ctx.progress(f"route table {rtb['RouteTableId']}: exists")
    else:
        rtb = create_tagged(ctx, "create_route_table", "route-table", f"{ctx.settings.stack_name}-routes",
                            VpcId=vpc_id)["RouteTable"]
        ctx.progress(f"route table {rtb['RouteTableId']}: created")
    rtb_id, igw_id = rtb["RouteTableId"], record.get("internet_gateway_id")
    default = any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in rtb.get("Routes", []))
    if ctx.settings.publicly_accessible and not default:
        aws.call(ec2, "create_route", RouteTableId=rtb_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
        ctx.progress(f"route table {rtb_id}: 0.0.0.0/0 -> {igw_id}")
    associated = {a.get("SubnetId") for a in rtb.get("Associations", [])}
    for subnet_id in record["subnet_ids"]:
        if subnet_id not in associated:
            aws.call(ec2, "associate_route_table", RouteTableId=rtb_id, SubnetId=subnet_id)
            ctx.progress(f"route table {rtb_id}: associated with {subnet_id}")
    return {"route_table_id": rtb_id}


def delete_route_table(ctx: Context, rtb: dict[str, Any]) -> None:
    ec2, rtb_id = ctx.client("ec2"), rtb["RouteTableId"]
    for assoc in rtb.get("Associations", []):
        if not assoc.get("Main"):
            aws.call(ec2, "disassociate_route_table", missing=("InvalidAssociationID.NotFound",),
                     AssociationId=assoc["RouteTableAssociationId"])
    delete_in_use(ctx, "delete_route_table", "InvalidRouteTableID.NotFound", f"route table {rtb_id}",
                  RouteTableId=rtb_id)


# --- S3 gateway endpoint -----------------------------------------------------------------

def find_s3_endpoints(ctx: Context) -> list[dict[str, Any]]:
    """Our S3 gateway endpoints that are not deleted (a deleted one stays listed for a while)."""
    return [e for e in find_tagged(ctx, "describe_vpc_endpoints", "VpcEndpoints")
            if e.get("State", "").lower() not in ("deleted", "deleting")]


def ensure_s3_endpoint(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """A gateway endpoint for S3 in the cluster's region on our route table, so
    that COPY reaches S3 with enhanced VPC routing on."""
    ec2, rtb_id = ctx.client("ec2"), record["route_table_id"]
    endpoint = next(iter(find_s3_endpoints(ctx)), None)
    if endpoint is None:
        endpoint = create_tagged(ctx, "create_vpc_endpoint", "vpc-endpoint", f"{ctx.settings.stack_name}-s3",
                                 VpcId=record["vpc_id"], VpcEndpointType="Gateway",
                                 ServiceName=s3_service(ctx.settings.region), RouteTableIds=[rtb_id])["VpcEndpoint"]
        ctx.progress(f"S3 gateway endpoint {endpoint['VpcEndpointId']}: created on route table {rtb_id}")
    elif rtb_id not in endpoint.get("RouteTableIds", []):
        aws.call(ec2, "modify_vpc_endpoint", VpcEndpointId=endpoint["VpcEndpointId"], AddRouteTableIds=[rtb_id])
        ctx.progress(f"S3 gateway endpoint {endpoint['VpcEndpointId']}: added to route table {rtb_id}")
    else:
        ctx.progress(f"S3 gateway endpoint {endpoint['VpcEndpointId']}: exists")
    return {"s3_endpoint_id": endpoint["VpcEndpointId"]}


def delete_s3_endpoint(ctx: Context, endpoint: dict[str, Any]) -> None:
    endpoint_id = endpoint["VpcEndpointId"]
    aws.call(ctx.client("ec2"), "delete_vpc_endpoints", VpcEndpointIds=[endpoint_id])
    ctx.progress(f"S3 gateway endpoint {endpoint_id}: deleted")
