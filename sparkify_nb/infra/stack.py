"""Provision, describe and tear down what the warehouse runs on.

What :func:`provision` makes, in this order (each step finds what exists first):

1. the IAM role Redshift assumes for ``COPY``, with an inline least-privilege
   policy (:func:`role_policy`): list the source buckets, read the source
   prefixes and the jsonpaths object, nothing else;
2. a network of its own: a VPC, subnets in two availability zones (three for
   Serverless, which needs them), a security group whose only ingress is the
   cluster port from ``[network] allowed_cidrs`` (:func:`ingress_cidrs`), and,
   only when ``[cluster] publicly_accessible = true``, an internet gateway with
   a route table that sends 0.0.0.0/0 to it;
3. ``[cluster] kind = provisioned``: a cluster subnet group, a parameter group
   with ``require_ssl = true`` and the cluster itself (encrypted, master
   password managed by AWS in Secrets Manager, publicly accessible only when
   asked). ``kind = serverless``: a Redshift Serverless namespace and workgroup
   (base capacity from config) on the same role and network.

Every resource carries the tag ``sparkify:stack = <stack_name>``. Re-running
creates nothing twice: what can be brought in line in place is (the role
policy, the security group's ingress, the workgroup's base capacity); what
cannot (node type or count, port, public access of an existing cluster) is
reported as a warning, printed and recorded, never silently ignored.

:func:`teardown` deletes in dependency order only what carries the tag, waits
where AWS deletes asynchronously, is idempotent and works after a provision
that failed halfway. What was made (ids, ARNs, endpoint; never a secret) is
recorded by :mod:`state`.

Every boto3 call goes through :func:`aws.call` (logs the AWS error code,
re-raises). On ``local`` the same calls go to the emulator; the few it does not
implement (:data:`aws.EMULATOR_GAPS`) are skipped with a visible line.

Example::

    >>> from sparkify_nb import config, infra
    >>> settings = config.load()
    >>> record = infra.provision(settings)          # doctest: +SKIP
    >>> infra.teardown(settings)                    # doctest: +SKIP
    []
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Any, Callable

from botocore.exceptions import ClientError, WaiterError

from .. import SparkifyError, aws
from ..config import Settings
from . import pricing, state

log = logging.getLogger(__name__)

TAG_KEY = "sparkify:stack"
VPC_CIDR = "10.42.0.0/16"
SUBNET_CIDRS = ("10.42.1.0/24", "10.42.2.0/24", "10.42.3.0/24")
PARAMETER_GROUP_FAMILY = "redshift-1.0"
PUBLIC_IP_URL = "https://checkip.amazonaws.com"
Progress = Callable[[str], None]


class InfraError(SparkifyError):
    """Provisioning or teardown could not complete; the message says which resource."""


class IngressError(InfraError):
    """``[network] allowed_cidrs`` is refused or cannot be defaulted (no public IP found)."""


class ConflictError(InfraError):
    """A resource with our name exists but does not carry this stack's tag: not ours to manage."""


class WaitTimeout(InfraError):
    """A resource did not reach the wanted state within the timeout."""


# --- tags -------------------------------------------------------------------

def _tags(settings: Settings, name: str) -> list[dict[str, str]]:
    return [{"Key": TAG_KEY, "Value": settings.stack_name}, {"Key": "Name", "Value": name}]


def _tag_filter(settings: Settings) -> list[dict[str, Any]]:
    return [{"Name": f"tag:{TAG_KEY}", "Values": [settings.stack_name]}]


def _is_ours(settings: Settings, tags: list[dict[str, str]] | None) -> bool:
    """True when ``tags`` (EC2/Redshift/IAM ``Key``/``Value`` or Serverless
    ``key``/``value`` shape) hold ``sparkify:stack = <stack_name>``."""
    for tag in tags or []:
        key, value = tag.get("Key", tag.get("key")), tag.get("Value", tag.get("value"))
        if key == TAG_KEY and value == settings.stack_name:
            return True
    return False


def _claim(settings: Settings, tags: list[dict[str, str]] | None, what: str, setting: str) -> None:
    """Refuse to manage ``what`` (e.g. ``"IAM role x"``) unless it carries this
    stack's tag: an existing resource of the same name is someone else's.
    ``setting`` names the key to change to avoid the clash."""
    if not _is_ours(settings, tags):
        raise ConflictError(f"{what} exists but is not tagged {TAG_KEY}={settings.stack_name}: not ours to "
                            f"manage. Set another {setting}")


def role_name(settings: Settings) -> str:
    return f"{settings.stack_name}-redshift-copy"


def _names(settings: Settings) -> dict[str, str]:
    stack = settings.stack_name
    return {"vpc": f"{stack}-vpc", "sg": f"{stack}-redshift", "igw": f"{stack}-igw", "rtb": f"{stack}-public",
            "subnet_group": f"{stack}-subnets", "parameter_group": f"{stack}-params"}


# --- waiting ----------------------------------------------------------------

def wait(waiter_name: str, service: str, settings: Settings, progress: Progress, timeout_s: int = 3600,
         describe: Callable[[], str] | None = None, delay_s: int | None = None, **kwargs: Any) -> None:
    """Run a boto3 waiter in short rounds (4 polls ``delay_s`` apart; default
    15 s, 1 s on ``local``), printing the status and the elapsed time after
    each, until it succeeds; raises :class:`WaitTimeout` after ``timeout_s``
    seconds, :class:`InfraError` on a terminal failure."""
    waiter = aws.client(settings, service).get_waiter(waiter_name)
    delay = delay_s if delay_s is not None else (1 if settings.is_local else 15)
    t0 = time.monotonic()
    while True:
        try:
            waiter.wait(WaiterConfig={"Delay": delay, "MaxAttempts": 4}, **kwargs)
            progress(f"{waiter_name}: done after {time.monotonic() - t0:.0f} s")
            return
        except WaiterError as exc:
            elapsed = time.monotonic() - t0
            if "terminal failure" in str(exc):
                raise InfraError(f"{waiter_name} failed after {elapsed:.0f} s: {exc}") from None
            if elapsed > timeout_s:
                raise WaitTimeout(f"{waiter_name} did not succeed within {timeout_s} s; look at the resource in "
                                  "the AWS console, then re-run (nothing is created twice)") from None
            progress(f"{waiter_name}: {describe() if describe else 'waiting'} ({elapsed:.0f} s)")


def poll(what: str, status: Callable[[], str | None], done: Callable[[str | None], bool], progress: Progress,
         timeout_s: int = 1800, delay_s: float = 15) -> str | None:
    """The waiter equivalent for APIs without boto3 waiters (Redshift Serverless):
    call ``status()`` every ``delay_s`` s, print status and elapsed time, until
    ``done(status)``; raises :class:`WaitTimeout` after ``timeout_s``."""
    t0 = time.monotonic()
    while True:
        current = status()
        elapsed = time.monotonic() - t0
        if done(current):
            progress(f"{what}: {current or 'gone'} after {elapsed:.0f} s")
            return current
        if elapsed > timeout_s:
            raise WaitTimeout(f"{what} still {current} after {timeout_s} s; look at it in the AWS console, "
                              "then re-run")
        progress(f"{what}: {current} ({elapsed:.0f} s)")
        time.sleep(delay_s)


# --- IAM role ---------------------------------------------------------------

def _bucket_of(uri: str) -> str | None:
    return uri[5:].split("/", 1)[0] if uri.startswith("s3://") else None


def _key_of(uri: str) -> str:
    return uri[5:].split("/", 1)[1] if "/" in uri[5:] else ""


def role_policy(settings: Settings) -> dict[str, Any]:
    """The inline policy of the COPY role: ``s3:ListBucket`` on each source
    bucket, limited to the source prefixes, and ``s3:GetObject`` on objects under
    the song and log prefixes plus the one jsonpaths object. Sources that are
    local folders need no permission. Nothing broader (no managed S3 policy)."""
    uris = {n: settings.source_uri(n) for n in ("song_data", "log_data", "log_jsonpath")}
    s3_uris = {n: u for n, u in uris.items() if u.startswith("s3://")}
    statements: list[dict[str, Any]] = []
    for bucket in sorted({_bucket_of(u) for u in s3_uris.values()}):
        prefixes = sorted({_key_of(u).rstrip("/") + ("" if n == "log_jsonpath" else "*")
                           for n, u in s3_uris.items() if _bucket_of(u) == bucket})
        statements.append({"Sid": f"List{''.join(ch for ch in bucket.title() if ch.isalnum())}", "Effect": "Allow",
                           "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
                           "Condition": {"StringLike": {"s3:prefix": prefixes}}})
    objects = sorted(f"arn:aws:s3:::{u[5:].rstrip('/')}" + ("" if n == "log_jsonpath" else "/*")
                     for n, u in s3_uris.items())
    if objects:
        statements.append({"Sid": "ReadSources", "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects})
    return {"Version": "2012-10-17", "Statement": statements}


TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "redshift.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
POLICY_NAME = "read-sources"


def _ensure_role(settings: Settings, progress: Progress) -> str:
    iam = aws.client(settings, "iam")
    name = role_name(settings)
    role = aws.call(iam, "get_role", missing=("NoSuchEntity",), RoleName=name)
    if role:
        tags = aws.call(iam, "list_role_tags", RoleName=name)["Tags"]
        _claim(settings, tags, f"IAM role {name}", "[general] stack_name")
        arn = role["Role"]["Arn"]
        progress(f"IAM role {name}: exists")
    else:
        arn = aws.call(iam, "create_role", RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
                       Description="Lets Redshift COPY read the Sparkify sources",
                       Tags=_tags(settings, name))["Role"]["Arn"]
        # IAM is eventually consistent: a role Redshift cannot see yet fails CreateCluster.
        wait("role_exists", "iam", settings, progress, timeout_s=120, RoleName=name)
        progress(f"IAM role {name}: created")
    wanted = role_policy(settings)
    current = aws.call(iam, "get_role_policy", missing=("NoSuchEntity",), RoleName=name, PolicyName=POLICY_NAME)
    current_doc = current["PolicyDocument"] if current else None
    if isinstance(current_doc, str):
        current_doc = json.loads(current_doc)
    if not wanted["Statement"]:
        if current:
            aws.call(iam, "delete_role_policy", RoleName=name, PolicyName=POLICY_NAME)
        progress(f"IAM role {name}: no S3 source, no S3 permission")
    elif current_doc != wanted:
        aws.call(iam, "put_role_policy", RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(wanted))
        buckets = [st["Resource"].rsplit(":", 1)[1] for st in wanted["Statement"] if st["Action"] == "s3:ListBucket"]
        progress(f"IAM role {name}: policy {POLICY_NAME} {'updated' if current else 'attached'} "
                 f"(read-only on {', '.join(buckets)})")
    return arn


# --- network ----------------------------------------------------------------

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

    ``[network] allowed_cidrs``, else ``127.0.0.1/32`` on ``local`` and this
    machine's public IP as /32 on ``redshift``. A block open to the whole
    internet (``/0``) raises :class:`IngressError` unless ``[network]
    allow_public_ingress = true``; then it is allowed with a warning."""
    cidrs = list(settings.get("network", "allowed_cidrs"))
    if not cidrs:
        cidrs = ["127.0.0.1/32"] if settings.is_local else [f"{lookup()}/32"]
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


def _ip_permissions(port: int, cidrs: list[str]) -> list[dict[str, Any]]:
    v4 = [{"CidrIp": c, "Description": "Sparkify warehouse clients"} for c in cidrs if ":" not in c]
    v6 = [{"CidrIpv6": c, "Description": "Sparkify warehouse clients"} for c in cidrs if ":" in c]
    return [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": v4, "Ipv6Ranges": v6}]


def _ingress_rules(perms: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    rules = set()
    for p in perms:
        head = (p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"))
        rules |= {head + (r["CidrIp"],) for r in p.get("IpRanges", [])}
        rules |= {head + (r["CidrIpv6"],) for r in p.get("Ipv6Ranges", [])}
        rules |= {head + (g.get("GroupId"),) for g in p.get("UserIdGroupPairs", [])}
        rules |= {head + (g.get("PrefixListId"),) for g in p.get("PrefixListIds", [])}
    return rules


def _find_tagged(ec2: Any, settings: Settings, operation: str, key: str,
                 extra: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """EC2 resources of one kind carrying this stack's tag (plus ``extra`` filters)."""
    return aws.call(ec2, operation, Filters=_tag_filter(settings) + (extra or []))[key]


def _ensure_network(settings: Settings, cidrs: list[str], progress: Progress, warn: Progress) -> dict[str, Any]:
    ec2 = aws.client(settings, "ec2")
    names = _names(settings)
    vpc = next(iter(_find_tagged(ec2, settings, "describe_vpcs", "Vpcs")), None)
    if vpc:
        progress(f"VPC {vpc['VpcId']}: exists")
    else:
        vpc = aws.call(ec2, "create_vpc", CidrBlock=VPC_CIDR, TagSpecifications=[
            {"ResourceType": "vpc", "Tags": _tags(settings, names["vpc"])}])["Vpc"]
        ec2.get_waiter("vpc_available").wait(VpcIds=[vpc["VpcId"]])
        progress(f"VPC {vpc['VpcId']}: created ({VPC_CIDR})")
    vpc_id = vpc["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]

    wanted = 3 if settings.get("cluster", "kind") == "serverless" else 2
    zones = [z["ZoneName"] for z in aws.call(ec2, "describe_availability_zones", Filters=[
        {"Name": "state", "Values": ["available"]}])["AvailabilityZones"]]
    if len(zones) < wanted:
        raise InfraError(f"region {settings.region} ([general] region) has {len(zones)} available zones; "
                         f"{wanted} are needed")
    existing = _find_tagged(ec2, settings, "describe_subnets", "Subnets", in_vpc)
    by_cidr = {s["CidrBlock"]: s["SubnetId"] for s in existing}
    subnet_ids = []
    for cidr, zone in zip(SUBNET_CIDRS[:wanted], sorted(zones)[:wanted]):
        if cidr not in by_cidr:
            by_cidr[cidr] = aws.call(ec2, "create_subnet", VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone,
                                     TagSpecifications=[{"ResourceType": "subnet", "Tags": _tags(
                                         settings, f"{settings.stack_name}-{zone}")}])["Subnet"]["SubnetId"]
            progress(f"subnet {by_cidr[cidr]} in {zone}: created")
        subnet_ids.append(by_cidr[cidr])
    if len(by_cidr) == wanted:
        progress(f"subnets: {wanted} in {wanted} availability zones")

    port = settings.get("cluster", "port")
    sg = next(iter(_find_tagged(ec2, settings, "describe_security_groups", "SecurityGroups", in_vpc)), None)
    if sg:
        sg_id = sg["GroupId"]
        progress(f"security group {sg_id}: exists")
    else:
        sg_id = aws.call(ec2, "create_security_group", GroupName=names["sg"], VpcId=vpc_id,
                         Description="Sparkify warehouse: cluster port from allowed CIDRs only",
                         TagSpecifications=[{"ResourceType": "security-group",
                                             "Tags": _tags(settings, names["sg"])}])["GroupId"]
        sg = {"GroupId": sg_id, "IpPermissions": []}
        progress(f"security group {sg_id}: created")
    wanted_perms = _ip_permissions(port, cidrs)
    if _ingress_rules(sg.get("IpPermissions", [])) != _ingress_rules(wanted_perms):
        if sg.get("IpPermissions"):
            aws.call(ec2, "revoke_security_group_ingress", GroupId=sg_id, IpPermissions=sg["IpPermissions"])
        aws.call(ec2, "authorize_security_group_ingress", GroupId=sg_id, IpPermissions=wanted_perms)
        progress(f"security group {sg_id}: ingress set to port {port} from {', '.join(cidrs)}")
    else:
        progress(f"security group {sg_id}: port {port} from {', '.join(cidrs)}")

    out: dict[str, Any] = {"vpc_id": vpc_id, "subnet_ids": subnet_ids, "security_group_id": sg_id,
                           "allowed_cidrs": cidrs, "internet_gateway_id": None, "route_table_id": None}
    igw = next(iter(_find_tagged(ec2, settings, "describe_internet_gateways", "InternetGateways")), None)
    if settings.get("cluster", "publicly_accessible"):
        out.update(_ensure_public_route(settings, ec2, vpc_id, subnet_ids, igw, progress))
    elif igw:
        out["internet_gateway_id"] = igw["InternetGatewayId"]
        warn(f"internet gateway {igw['InternetGatewayId']}: still there from a run with [cluster] "
             "publicly_accessible = true; not removed in place (the cluster may depend on it). 99_teardown removes it")
    return out


def _ensure_public_route(settings: Settings, ec2: Any, vpc_id: str, subnet_ids: list[str],
                         igw: dict[str, Any] | None, progress: Progress) -> dict[str, Any]:
    """Internet gateway attached to the VPC, and a route table (0.0.0.0/0 to it)
    associated with our subnets: only for a publicly accessible cluster."""
    names = _names(settings)
    if igw:
        igw_id = igw["InternetGatewayId"]
        progress(f"internet gateway {igw_id}: exists")
    else:
        igw = aws.call(ec2, "create_internet_gateway", TagSpecifications=[
            {"ResourceType": "internet-gateway", "Tags": _tags(settings, names["igw"])}])["InternetGateway"]
        igw_id = igw["InternetGatewayId"]
        progress(f"internet gateway {igw_id}: created")
    if vpc_id not in [a["VpcId"] for a in igw.get("Attachments", [])]:
        aws.call(ec2, "attach_internet_gateway", InternetGatewayId=igw_id, VpcId=vpc_id)
        progress(f"internet gateway {igw_id}: attached to {vpc_id}")
    rtb = next(iter(_find_tagged(ec2, settings, "describe_route_tables", "RouteTables",
                                 [{"Name": "vpc-id", "Values": [vpc_id]}])), None)
    if rtb:
        progress(f"route table {rtb['RouteTableId']}: exists")
    else:
        rtb = aws.call(ec2, "create_route_table", VpcId=vpc_id, TagSpecifications=[
            {"ResourceType": "route-table", "Tags": _tags(settings, names["rtb"])}])["RouteTable"]
        progress(f"route table {rtb['RouteTableId']}: created")
    rtb_id = rtb["RouteTableId"]
    if not any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in rtb.get("Routes", [])):
        aws.call(ec2, "create_route", RouteTableId=rtb_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
        progress(f"route table {rtb_id}: 0.0.0.0/0 -> {igw_id}")
    associated = {a.get("SubnetId") for a in rtb.get("Associations", [])}
    for subnet_id in subnet_ids:
        if subnet_id not in associated:
            aws.call(ec2, "associate_route_table", RouteTableId=rtb_id, SubnetId=subnet_id)
    return {"internet_gateway_id": igw_id, "route_table_id": rtb_id}


# --- provisioned cluster ----------------------------------------------------

def _ensure_subnet_group(settings: Settings, subnet_ids: list[str], progress: Progress) -> str:
    redshift = aws.client(settings, "redshift")
    name = _names(settings)["subnet_group"]
    found = aws.call(redshift, "describe_cluster_subnet_groups", missing=("ClusterSubnetGroupNotFoundFault",),
                     ClusterSubnetGroupName=name)
    if found:
        _claim(settings, found["ClusterSubnetGroups"][0].get("Tags"), f"cluster subnet group {name}",
               "[general] stack_name")
        progress(f"cluster subnet group {name}: exists")
    else:
        aws.call(redshift, "create_cluster_subnet_group", ClusterSubnetGroupName=name,
                 Description="Sparkify warehouse subnets", SubnetIds=subnet_ids, Tags=_tags(settings, name))
        progress(f"cluster subnet group {name}: created")
    return name


def require_ssl(redshift: Any, parameter_group: str) -> None:
    """Set ``require_ssl = true`` in ``parameter_group`` (the cluster then
    refuses unencrypted connections). ``redshift``: an injected boto3 client."""
    aws.call(redshift, "modify_cluster_parameter_group", ParameterGroupName=parameter_group,
             Parameters=[{"ParameterName": "require_ssl", "ParameterValue": "true", "ApplyType": "static"}])


def _ensure_parameter_group(settings: Settings, progress: Progress) -> str:
    redshift = aws.client(settings, "redshift")
    name = _names(settings)["parameter_group"]
    found = aws.call(redshift, "describe_cluster_parameter_groups", missing=("ClusterParameterGroupNotFound",),
                     ParameterGroupName=name)
    if found:
        _claim(settings, found["ParameterGroups"][0].get("Tags"), f"cluster parameter group {name}",
               "[general] stack_name")
        progress(f"parameter group {name}: exists")
    else:
        aws.call(redshift, "create_cluster_parameter_group", ParameterGroupName=name,
                 ParameterGroupFamily=PARAMETER_GROUP_FAMILY, Description="Sparkify warehouse: SSL required",
                 Tags=_tags(settings, name))
        progress(f"parameter group {name}: created")
    if aws.emulator_lacks(settings, "redshift", "modify_cluster_parameter_group"):
        progress(f"parameter group {name}: require_ssl = true not set: the local emulator lacks "
                 "ModifyClusterParameterGroup (on redshift it is set)")
    else:
        require_ssl(redshift, name)
        progress(f"parameter group {name}: require_ssl = true")
    return name


def _describe_cluster(settings: Settings, ident: str | None = None) -> dict[str, Any] | None:
    found = aws.call(aws.client(settings, "redshift"), "describe_clusters", missing=("ClusterNotFound",),
                     ClusterIdentifier=ident or settings.get("cluster", "identifier"))
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
        "publicly_accessible": cluster.get("PubliclyAccessible"),
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


def _ensure_cluster(settings: Settings, net: dict[str, Any], role_arn: str, subnet_group: str,
                    parameter_group: str, progress: Progress, warn: Progress) -> dict[str, Any]:
    ident = settings.get("cluster", "identifier")
    cluster = _describe_cluster(settings)
    if cluster:
        _claim(settings, cluster.get("Tags"), f"cluster {ident}", "[cluster] identifier")
        progress(f"cluster {ident}: exists ({cluster['ClusterStatus']})")
        for message in cluster_drift(settings, cluster):
            warn(message)
    else:
        nodes = settings.get("cluster", "node_count")
        aws.call(aws.client(settings, "redshift"), "create_cluster",
                 ClusterIdentifier=ident,
                 ClusterType="single-node" if nodes == 1 else "multi-node",
                 **({} if nodes == 1 else {"NumberOfNodes": nodes}),
                 NodeType=settings.get("cluster", "node_type"),
                 DBName=settings.get("cluster", "db_name"),
                 MasterUsername=settings.get("cluster", "db_user"),
                 ManageMasterPassword=True,  # AWS keeps it in Secrets Manager; we never see it
                 Port=settings.get("cluster", "port"),
                 ClusterSubnetGroupName=subnet_group,
                 ClusterParameterGroupName=parameter_group,
                 VpcSecurityGroupIds=[net["security_group_id"]],
                 IamRoles=[role_arn],
                 Encrypted=True,
                 PubliclyAccessible=settings.get("cluster", "publicly_accessible"),
                 Tags=_tags(settings, ident))
        progress(f"cluster {ident}: creating {nodes} x {settings.get('cluster', 'node_type')} (encrypted)")
    wait("cluster_available", "redshift", settings, progress, ClusterIdentifier=ident,
         describe=lambda: (_describe_cluster(settings) or {}).get("ClusterStatus", "?"))
    cluster = _describe_cluster(settings) or {}
    endpoint = cluster.get("Endpoint") or {}
    return {
        "cluster_identifier": cluster.get("ClusterIdentifier"),
        "cluster_status": cluster.get("ClusterStatus"),
        "endpoint": endpoint.get("Address"),
        "port": endpoint.get("Port"),
        "db_name": cluster.get("DBName"),
        "db_user": cluster.get("MasterUsername"),
        "node_type": cluster.get("NodeType"),
        "node_count": cluster.get("NumberOfNodes"),
        "cluster_created": cluster.get("ClusterCreateTime"),
    }


# --- Redshift Serverless ----------------------------------------------------

def _serverless_tags(settings: Settings, name: str) -> list[dict[str, str]]:
    return [{"key": TAG_KEY, "value": settings.stack_name}, {"key": "Name", "value": name}]


def ensure_serverless(client: Any, settings: Settings, net: dict[str, Any], role_arn: str,
                      progress: Progress = print, warn: Progress = print, delay_s: float = 15) -> dict[str, Any]:
    """Namespace and workgroup named ``[cluster] identifier``, on our role and
    network, admin password managed by AWS, ``require_ssl = true``; the
    workgroup's base capacity is brought in line with ``[cluster]
    base_capacity``. ``client``: an injected ``redshift-serverless`` client.
    Returns the state fields (names, ARNs, endpoint)."""
    name = settings.get("cluster", "identifier")
    ns = aws.call(client, "get_namespace", missing=("ResourceNotFoundException",), namespaceName=name)
    if ns:
        ns = ns["namespace"]
        tags = aws.call(client, "list_tags_for_resource", resourceArn=ns["namespaceArn"])["tags"]
        _claim(settings, tags, f"serverless namespace {name}", "[cluster] identifier")
        progress(f"serverless namespace {name}: exists")
    else:
        ns = aws.call(client, "create_namespace", namespaceName=name, adminUsername=settings.get("cluster", "db_user"),
                      manageAdminPassword=True, dbName=settings.get("cluster", "db_name"), iamRoles=[role_arn],
                      defaultIamRoleArn=role_arn, tags=_serverless_tags(settings, name))["namespace"]
        progress(f"serverless namespace {name}: created")
    capacity = settings.get("cluster", "base_capacity")
    wg = aws.call(client, "get_workgroup", missing=("ResourceNotFoundException",), workgroupName=name)
    if wg:
        wg = wg["workgroup"]
        tags = aws.call(client, "list_tags_for_resource", resourceArn=wg["workgroupArn"])["tags"]
        _claim(settings, tags, f"serverless workgroup {name}", "[cluster] identifier")
        progress(f"serverless workgroup {name}: exists ({wg.get('status')})")
        if wg.get("baseCapacity") != capacity:
            aws.call(client, "update_workgroup", workgroupName=name, baseCapacity=capacity)
            progress(f"serverless workgroup {name}: base capacity {wg.get('baseCapacity')} -> {capacity} RPU")
        if wg.get("publiclyAccessible") != settings.get("cluster", "publicly_accessible"):
            warn(f"serverless workgroup {name}: [cluster] publicly_accessible = "
                 f"{settings.get('cluster', 'publicly_accessible')} but the workgroup has "
                 f"{wg.get('publiclyAccessible')};"
                 " not changed in place. Change it in the console, or run 99_teardown and 01 again")
    else:
        wg = aws.call(client, "create_workgroup", workgroupName=name, namespaceName=name, baseCapacity=capacity,
                      subnetIds=net["subnet_ids"], securityGroupIds=[net["security_group_id"]],
                      publiclyAccessible=settings.get("cluster", "publicly_accessible"),
                      port=settings.get("cluster", "port"),
                      configParameters=[{"parameterKey": "require_ssl", "parameterValue": "true"}],
                      tags=_serverless_tags(settings, name))["workgroup"]
        progress(f"serverless workgroup {name}: creating, base capacity {capacity} RPU")

    def status() -> str | None:
        return aws.call(client, "get_workgroup", workgroupName=name)["workgroup"].get("status")

    poll(f"serverless workgroup {name}", status, lambda s: s == "AVAILABLE", progress, delay_s=delay_s)
    wg = aws.call(client, "get_workgroup", workgroupName=name)["workgroup"]
    endpoint = wg.get("endpoint") or {}
    return {"namespace_name": name, "namespace_arn": ns["namespaceArn"], "workgroup_name": name,
            "workgroup_arn": wg["workgroupArn"], "base_capacity": wg.get("baseCapacity"),
            "endpoint": endpoint.get("address"), "port": endpoint.get("port"),
            "db_name": settings.get("cluster", "db_name"), "db_user": settings.get("cluster", "db_user"),
            "cluster_status": wg.get("status")}


def delete_serverless(client: Any, settings: Settings, progress: Progress = print, dry_run: bool = False,
                      delay_s: float = 15) -> list[str]:
    """Delete every workgroup, then every namespace, tagged with the stack
    (a final snapshot of the namespace only with ``[cluster] final_snapshot``),
    waiting until each is gone. ``client``: an injected ``redshift-serverless``
    client. Returns what was (or, with ``dry_run``, would be) deleted."""
    done = []
    for kind, lister, key, arn_key, name_key, getter in (
            ("workgroup", "list_workgroups", "workgroups", "workgroupArn", "workgroupName", "get_workgroup"),
            ("namespace", "list_namespaces", "namespaces", "namespaceArn", "namespaceName", "get_namespace")):
        for item in aws.call(client, lister)[key]:
            tags = aws.call(client, "list_tags_for_resource", resourceArn=item[arn_key])["tags"]
            if not _is_ours(settings, tags):
                continue
            name = item[name_key]
            done.append(f"serverless-{kind} {name}")
            if dry_run:
                continue
            if kind == "workgroup":
                aws.call(client, "delete_workgroup", missing=("ResourceNotFoundException",), workgroupName=name)
            else:
                extra = ({"finalSnapshotName": f"{name}-final-{_stamp()}"}
                         if settings.get("cluster", "final_snapshot") else {})
                aws.call(client, "delete_namespace", missing=("ResourceNotFoundException",), namespaceName=name,
                         **extra)
            progress(f"serverless {kind} {name}: deleting")

            def status(getter: str = getter, kind: str = kind, name: str = name) -> str | None:
                found = aws.call(client, getter, missing=("ResourceNotFoundException",), **{f"{kind}Name": name})
                return found[kind].get("status") if found else None

            poll(f"serverless {kind} {name}", status, lambda s: s is None, progress, delay_s=delay_s)
    return done


# --- provision --------------------------------------------------------------

def estimate(settings: Settings) -> dict[str, Any]:
    """The hourly cost estimate of the configured capacity (see :mod:`pricing`)."""
    return pricing.estimate(settings.get("cluster", "kind"), settings.get("cluster", "node_type"),
                            settings.get("cluster", "node_count"), settings.get("cluster", "base_capacity"))


def cost_line(settings: Settings) -> str:
    """The hourly cost estimate as one printable line (on ``local``: what the
    same capacity would cost on Redshift; the emulator itself costs nothing)."""
    try:
        line = pricing.describe(estimate(settings))
    except pricing.PricingError as exc:
        return f"no cost estimate: {exc}"
    return f"local: $0 (emulator). On redshift, {line}" if settings.is_local else line


def report_warnings(record: dict[str, Any]) -> None:
    """Print the warnings :func:`provision` recorded (settings it could not apply
    in place, public ingress), or that there were none."""
    warnings = record.get("warnings") or []
    for message in warnings:
        print(f"WARNING: {message}")
    if not warnings:
        print("no warnings: the stack matches the settings")


def provision(settings: Settings, progress: Progress = print) -> dict[str, Any]:
    """Create whatever is missing of role, network and cluster (or serverless
    namespace and workgroup); record and return the state (ids, ARNs,
    endpoint, warnings; never a secret).

    Raises :class:`IngressError` before creating anything when ``[network]
    allowed_cidrs`` is refused, :class:`ConflictError` when a name is taken by
    an untagged resource, :class:`WaitTimeout` when the cluster does not come
    up in time. A failure halfway leaves a state file and tagged resources
    that a re-run completes and :func:`teardown` removes."""
    t0 = time.monotonic()
    kind = settings.get("cluster", "kind")
    if kind == "serverless" and aws.emulator_lacks(settings, "redshift-serverless"):
        raise InfraError("[cluster] kind = serverless needs [general] target = redshift: the local AWS emulator "
                         "(moto) has no Redshift Serverless API. Use kind = provisioned on local")
    cidrs, warnings = ingress_cidrs(settings)  # refused ingress stops here, before anything is made
    try:
        cost: dict[str, Any] | None = estimate(settings)
    except pricing.PricingError as exc:
        cost = None
        warnings.append(f"{exc}; no cost estimate")

    def warn(message: str) -> None:
        warnings.append(message)
        log.warning("%s", message)
        progress(f"WARNING: {message}")

    for message in list(warnings):
        log.warning("%s", message)
        progress(f"WARNING: {message}")
    record = state.load(settings)
    record.update({"target": settings.target, "stack_name": settings.stack_name, "region": settings.region,
                   "kind": kind})
    record["role_arn"] = _ensure_role(settings, progress)
    state.save(settings, record)
    record.update(_ensure_network(settings, cidrs, progress, warn))
    state.save(settings, record)
    for message in _other_kind_left(settings, kind):
        warn(message)
    if kind == "serverless":
        record.update(ensure_serverless(aws.client(settings, "redshift-serverless"), settings, record,
                                        record["role_arn"], progress, warn))
    else:
        record["subnet_group"] = _ensure_subnet_group(settings, record["subnet_ids"], progress)
        record["parameter_group"] = _ensure_parameter_group(settings, progress)
        state.save(settings, record)
        record.update(_ensure_cluster(settings, record, record["role_arn"], record["subnet_group"],
                                      record["parameter_group"], progress, warn))
    record["warnings"] = warnings
    record["cost_usd_per_hour"] = cost["usd_per_hour"] if cost else None
    record["cost_basis"] = cost["basis"] if cost else None
    state.save(settings, record)
    progress(f"provisioned in {time.monotonic() - t0:.1f} s")
    return record


def checks(settings: Settings, record: dict[str, Any]) -> list[tuple[str, str]]:
    """Look at what exists (not at what we asked for) and judge it: each check
    is ``(verdict, text)`` with verdict ``ok``, ``FAIL`` or ``n/a`` (cannot be
    checked here, e.g. what the emulator does not implement)."""
    out: list[tuple[str, str]] = []
    iam = aws.client(settings, "iam")
    name = role_name(settings)
    policies = aws.call(iam, "list_role_policies", RoleName=name)["PolicyNames"]
    attached = aws.call(iam, "list_attached_role_policies", RoleName=name)["AttachedPolicies"]
    actions: set[str] = set()
    for policy in policies:
        doc = aws.call(iam, "get_role_policy", RoleName=name, PolicyName=policy)["PolicyDocument"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
        for st in doc["Statement"]:
            actions |= set([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    buckets = sorted({_bucket_of(settings.source_uri(n)) or "" for n in ("song_data", "log_data")} - {""})
    out.append(("ok" if actions <= {"s3:ListBucket", "s3:GetObject"} and not attached else "FAIL",
                f"COPY role: {', '.join(sorted(actions)) or 'no action'} on the configured sources "
                f"({', '.join(buckets)}), {len(attached)} managed policies"))
    ec2 = aws.client(settings, "ec2")
    sg = aws.call(ec2, "describe_security_groups", GroupIds=[record["security_group_id"]])["SecurityGroups"][0]
    port = settings.get("cluster", "port")
    rules = sorted(_ingress_rules(sg.get("IpPermissions", [])))
    wanted = sorted(_ingress_rules(_ip_permissions(port, record["allowed_cidrs"])))
    out.append(("ok" if rules == wanted else "FAIL", f"security group ingress: only tcp {port} from "
                f"{', '.join(record['allowed_cidrs'])}" if rules == wanted else f"security group ingress: {rules}"))
    public = settings.get("cluster", "publicly_accessible")
    igws = _find_tagged(ec2, settings, "describe_internet_gateways", "InternetGateways")
    out.append(("ok" if bool(igws) == public else "FAIL",
                f"internet gateway: {'present (publicly accessible)' if igws else 'none (not publicly accessible)'}"))
    if record.get("kind") == "serverless":
        return out
    cluster = _describe_cluster(settings) or {}
    out.append(("ok" if cluster.get("Encrypted") else "FAIL",
                f"cluster encrypted: {str(bool(cluster.get('Encrypted'))).lower()}"))
    out.append(("ok" if cluster.get("PubliclyAccessible") == public else "FAIL",
                f"cluster publicly accessible: {str(bool(cluster.get('PubliclyAccessible'))).lower()}"))
    groups = [g["ParameterGroupName"] for g in cluster.get("ClusterParameterGroups", [])]
    if aws.emulator_lacks(settings, "redshift", "modify_cluster_parameter_group"):
        out.append(("n/a", f"require_ssl in {', '.join(groups)}: not set on the emulator "
                           "(no ModifyClusterParameterGroup)"))
    else:
        params = aws.call(aws.client(settings, "redshift"), "describe_cluster_parameters",
                          ParameterGroupName=record["parameter_group"], Source="user")["Parameters"]
        ssl = {p["ParameterName"]: p.get("ParameterValue") for p in params}.get("require_ssl")
        out.append(("ok" if ssl == "true" and record["parameter_group"] in groups else "FAIL",
                    f"require_ssl in {', '.join(groups)}: {ssl}"))
    return out


def report_checks(settings: Settings, record: dict[str, Any]) -> None:
    """Print :func:`checks`; raises :class:`InfraError` when one fails."""
    results = checks(settings, record)
    for verdict, text in results:
        print(f"{verdict:<4} {text}")
    failed = [text for verdict, text in results if verdict == "FAIL"]
    if failed:
        raise InfraError(f"the stack does not meet its settings: {'; '.join(failed)}. Re-run 01, or run "
                         "99_teardown and 01 again")


def _other_kind_left(settings: Settings, kind: str) -> list[str]:
    """Warnings for a cluster (or serverless workgroup) of this stack left from
    a run with the other ``[cluster] kind``: it is not converted in place and
    keeps billing until 99_teardown removes it."""
    if kind == "serverless":
        left = [f"cluster {c['ClusterIdentifier']}" for c in _tagged_clusters(settings)]
    elif not aws.emulator_lacks(settings, "redshift-serverless"):
        left = delete_serverless(aws.client(settings, "redshift-serverless"), settings, dry_run=True)
    else:
        left = []
    return [f"{item}: made with another [cluster] kind than {kind!r}; not converted in place and still billed. "
            "99_teardown removes it" for item in left]


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """The printable part of a state record (what a person looks up)."""
    keys = ("kind", "cluster_identifier", "workgroup_name", "cluster_status", "endpoint", "port", "db_name",
            "db_user", "role_arn", "vpc_id", "security_group_id", "allowed_cidrs")
    return {k: record.get(k) for k in keys if k in record}


# --- what is tagged ---------------------------------------------------------

def _tagged_clusters(settings: Settings) -> list[dict[str, Any]]:
    redshift = aws.client(settings, "redshift")
    found = aws.call(redshift, "describe_clusters", TagKeys=[TAG_KEY], TagValues=[settings.stack_name])["Clusters"]
    return [c for c in found if _is_ours(settings, c.get("Tags"))]


def kept_snapshots(settings: Settings) -> list[str]:
    """Final snapshots of our clusters (kept on purpose with ``[cluster]
    final_snapshot = true``; their storage is billed until you delete them)."""
    redshift = aws.client(settings, "redshift")
    snaps = aws.call(redshift, "describe_cluster_snapshots", SnapshotType="manual", TagKeys=[TAG_KEY],
                     TagValues=[settings.stack_name])["Snapshots"]
    return [s["SnapshotIdentifier"] for s in snaps if _is_ours(settings, s.get("Tags"))]


def tagged_resources(settings: Settings) -> list[str]:
    """Every resource that carries this stack's tag (``kind id`` each), in the
    order :func:`teardown` deletes them. Kept final snapshots are not listed
    (see :func:`kept_snapshots`)."""
    found: list[str] = []
    if not aws.emulator_lacks(settings, "redshift-serverless"):
        found += delete_serverless(aws.client(settings, "redshift-serverless"), settings, dry_run=True)
    redshift = aws.client(settings, "redshift")
    found += [f"cluster {c['ClusterIdentifier']}" for c in _tagged_clusters(settings)]
    found += [f"cluster-subnet-group {g['ClusterSubnetGroupName']}" for g in aws.call(
        redshift, "describe_cluster_subnet_groups", TagKeys=[TAG_KEY], TagValues=[settings.stack_name]
    )["ClusterSubnetGroups"] if _is_ours(settings, g.get("Tags"))]
    found += [f"cluster-parameter-group {g['ParameterGroupName']}" for g in aws.call(
        redshift, "describe_cluster_parameter_groups", TagKeys=[TAG_KEY], TagValues=[settings.stack_name]
    )["ParameterGroups"] if _is_ours(settings, g.get("Tags"))]
    ec2 = aws.client(settings, "ec2")
    found += [f"security-group {g['GroupId']}" for g in _find_tagged(ec2, settings, "describe_security_groups",
                                                                     "SecurityGroups")]
    found += [f"route-table {r['RouteTableId']}" for r in _find_tagged(ec2, settings, "describe_route_tables",
                                                                       "RouteTables")]
    found += [f"internet-gateway {g['InternetGatewayId']}" for g in _find_tagged(
        ec2, settings, "describe_internet_gateways", "InternetGateways")]
    found += [f"subnet {s['SubnetId']}" for s in _find_tagged(ec2, settings, "describe_subnets", "Subnets")]
    found += [f"vpc {v['VpcId']}" for v in _find_tagged(ec2, settings, "describe_vpcs", "Vpcs")]
    iam = aws.client(settings, "iam")
    tags = aws.call(iam, "list_role_tags", missing=("NoSuchEntity",), RoleName=role_name(settings))
    if tags and _is_ours(settings, tags["Tags"]):
        found.append(f"iam-role {role_name(settings)}")
    found += [f"s3-bucket {b}" for b in _tagged_buckets(settings)]
    return found


def _tagged_buckets(settings: Settings) -> list[str]:
    """Buckets we made (the local sample-data bucket): only those carry the tag.
    On ``redshift`` we make no bucket, so none is looked at (an account may hold
    thousands, in many regions)."""
    if not settings.is_local:
        return []
    s3 = aws.client(settings, "s3")
    mine = []
    for bucket in aws.call(s3, "list_buckets").get("Buckets", []):
        tagging = aws.call(s3, "get_bucket_tagging", missing=("NoSuchTagSet", "NoSuchBucket", "AccessDenied"),
                           Bucket=bucket["Name"])
        if tagging and _is_ours(settings, tagging["TagSet"]):
            mine.append(bucket["Name"])
    return mine


def ensure_bucket(settings: Settings, bucket: str, progress: Progress = print) -> None:
    """Create ``bucket`` tagged with the stack, unless it exists (local sample data)."""
    s3 = aws.client(settings, "s3")
    if aws.call(s3, "head_bucket", missing=("404", "NoSuchBucket", "NotFound"), Bucket=bucket) is not None:
        return
    kwargs = {} if settings.region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": settings.region}}
    aws.call(s3, "create_bucket", Bucket=bucket, **kwargs)
    aws.call(s3, "put_bucket_tagging", Bucket=bucket,
             Tagging={"TagSet": [{"Key": TAG_KEY, "Value": settings.stack_name}]})
    progress(f"S3 bucket {bucket}: created")


# --- teardown ---------------------------------------------------------------

def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


def _retry_dependency(call: Callable[[], Any], what: str, progress: Progress, settings: Settings,
                      timeout_s: int = 600) -> None:
    """Run a delete that AWS refuses with ``DependencyViolation`` while a just
    deleted cluster's network interfaces linger; retry until ``timeout_s``."""
    t0 = time.monotonic()
    while True:
        try:
            call()
            return
        except ClientError as exc:
            elapsed = time.monotonic() - t0
            if aws.error_code(exc) != "DependencyViolation" or elapsed > timeout_s:
                raise
            progress(f"{what}: still in use, retrying ({elapsed:.0f} s)")
            time.sleep(1 if settings.is_local else 15)


def _lifetime(settings: Settings, cluster: dict[str, Any], progress: Progress) -> None:
    created = cluster.get("ClusterCreateTime")
    node_type, nodes = cluster.get("NodeType"), cluster.get("NumberOfNodes") or 1
    if not isinstance(created, datetime) or node_type not in pricing.NODE_HOURLY:
        progress(f"cluster {cluster['ClusterIdentifier']}: lifetime cost unknown (no price for {node_type})")
        return
    lived, usd = pricing.lifetime_cost(created, datetime.now(timezone.utc),
                                       pricing.provisioned_hourly(node_type, nodes))
    where = "at redshift prices (the emulator itself costs nothing)" if settings.is_local else "on-demand"
    minutes = int(lived.total_seconds() // 60)
    progress(f"cluster {cluster['ClusterIdentifier']}: lived {minutes // 60} h {minutes % 60:02d} min; "
             f"estimated cost ${usd:.2f} {where} ({nodes} x {node_type}; see {pricing.SOURCE_URL})")


def teardown(settings: Settings, progress: Progress = print, dry_run: bool = False) -> list[str]:
    """Delete, in dependency order, everything tagged with the stack, waiting
    where deletion is asynchronous: serverless workgroup and namespace; the
    cluster (a final snapshot only with ``[cluster] final_snapshot = true``);
    cluster subnet and parameter groups; security group; route table and
    internet gateway; subnets; VPC; the role's policies and the role; the
    sample-data bucket. Never touches an untagged resource. Idempotent, and
    works after a provision that failed halfway.

    Returns what is still tagged afterwards (empty when all went; the state
    file is then removed). With ``dry_run`` nothing is deleted and the return
    value is what would be deleted, in order."""
    plan = tagged_resources(settings)
    if dry_run:
        for item in plan:
            progress(f"would delete {item}")
        if not plan:
            progress("nothing tagged with the stack: nothing to delete")
        return plan
    if not plan:
        progress(f"nothing tagged {TAG_KEY}={settings.stack_name}: nothing to delete")

    if not aws.emulator_lacks(settings, "redshift-serverless"):
        if delete_serverless(aws.client(settings, "redshift-serverless"), settings, progress):
            progress("serverless: billed per RPU-second of work, so its cost is in the AWS Billing console "
                     f"(estimate: {pricing.describe(estimate(settings))})")

    redshift = aws.client(settings, "redshift")
    for cluster in _tagged_clusters(settings):
        ident = cluster["ClusterIdentifier"]
        if cluster["ClusterStatus"] != "deleting":
            if settings.get("cluster", "final_snapshot"):
                snapshot = f"{ident}-final-{_stamp()}"
                extra: dict[str, Any] = {"SkipFinalClusterSnapshot": False, "FinalClusterSnapshotIdentifier": snapshot}
                progress(f"cluster {ident}: final snapshot {snapshot} ([cluster] final_snapshot = true)")
            else:
                extra = {"SkipFinalClusterSnapshot": True}
            aws.call(redshift, "delete_cluster", missing=("ClusterNotFound",), ClusterIdentifier=ident, **extra)
        _lifetime(settings, cluster, progress)
        progress(f"cluster {ident}: deleting")
        wait("cluster_deleted", "redshift", settings, progress, ClusterIdentifier=ident,
             describe=lambda ident=ident: (_describe_cluster(settings, ident) or {}).get("ClusterStatus", "gone"))

    for group in aws.call(redshift, "describe_cluster_subnet_groups", TagKeys=[TAG_KEY],
                          TagValues=[settings.stack_name])["ClusterSubnetGroups"]:
        if _is_ours(settings, group.get("Tags")) and aws.call(
                redshift, "delete_cluster_subnet_group", missing=("ClusterSubnetGroupNotFoundFault",),
                ClusterSubnetGroupName=group["ClusterSubnetGroupName"]) is not None:
            progress(f"cluster subnet group {group['ClusterSubnetGroupName']}: deleted")
    for group in aws.call(redshift, "describe_cluster_parameter_groups", TagKeys=[TAG_KEY],
                          TagValues=[settings.stack_name])["ParameterGroups"]:
        if _is_ours(settings, group.get("Tags")) and aws.call(
                redshift, "delete_cluster_parameter_group", missing=("ClusterParameterGroupNotFound",),
                ParameterGroupName=group["ParameterGroupName"]) is not None:
            progress(f"parameter group {group['ParameterGroupName']}: deleted")

    ec2 = aws.client(settings, "ec2")
    for sg in _find_tagged(ec2, settings, "describe_security_groups", "SecurityGroups"):
        _retry_dependency(lambda sg=sg: aws.call(ec2, "delete_security_group", missing=("InvalidGroup.NotFound",),
                                                 GroupId=sg["GroupId"]), f"security group {sg['GroupId']}",
                          progress, settings)
        progress(f"security group {sg['GroupId']}: deleted")
    for rtb in _find_tagged(ec2, settings, "describe_route_tables", "RouteTables"):
        for assoc in rtb.get("Associations", []):
            if not assoc.get("Main"):
                aws.call(ec2, "disassociate_route_table", missing=("InvalidAssociationID.NotFound",),
                         AssociationId=assoc["RouteTableAssociationId"])
        aws.call(ec2, "delete_route_table", missing=("InvalidRouteTableID.NotFound",), RouteTableId=rtb["RouteTableId"])
        progress(f"route table {rtb['RouteTableId']}: deleted")
    for igw in _find_tagged(ec2, settings, "describe_internet_gateways", "InternetGateways"):
        for attachment in igw.get("Attachments", []):
            aws.call(ec2, "detach_internet_gateway", missing=("Gateway.NotAttached",),
                     InternetGatewayId=igw["InternetGatewayId"], VpcId=attachment["VpcId"])
        aws.call(ec2, "delete_internet_gateway", missing=("InvalidInternetGatewayID.NotFound",),
                 InternetGatewayId=igw["InternetGatewayId"])
        progress(f"internet gateway {igw['InternetGatewayId']}: detached and deleted")
    for subnet in _find_tagged(ec2, settings, "describe_subnets", "Subnets"):
        _retry_dependency(lambda subnet=subnet: aws.call(ec2, "delete_subnet", missing=("InvalidSubnetID.NotFound",),
                                                         SubnetId=subnet["SubnetId"]),
                          f"subnet {subnet['SubnetId']}", progress, settings)
        progress(f"subnet {subnet['SubnetId']}: deleted")
    for vpc in _find_tagged(ec2, settings, "describe_vpcs", "Vpcs"):
        _retry_dependency(lambda vpc=vpc: aws.call(ec2, "delete_vpc", missing=("InvalidVpcID.NotFound",),
                                                   VpcId=vpc["VpcId"]), f"VPC {vpc['VpcId']}", progress, settings)
        progress(f"VPC {vpc['VpcId']}: deleted")

    iam = aws.client(settings, "iam")
    name = role_name(settings)
    tags = aws.call(iam, "list_role_tags", missing=("NoSuchEntity",), RoleName=name)
    if tags and _is_ours(settings, tags["Tags"]):
        for policy in aws.call(iam, "list_role_policies", RoleName=name)["PolicyNames"]:
            aws.call(iam, "delete_role_policy", RoleName=name, PolicyName=policy)
        for policy in aws.call(iam, "list_attached_role_policies", RoleName=name)["AttachedPolicies"]:
            aws.call(iam, "detach_role_policy", RoleName=name, PolicyArn=policy["PolicyArn"])
        aws.call(iam, "delete_role", missing=("NoSuchEntity",), RoleName=name)
        progress(f"IAM role {name}: policies and role deleted")

    s3 = aws.client(settings, "s3")
    for bucket in _tagged_buckets(settings):
        _empty_and_delete_bucket(s3, bucket)
        progress(f"S3 bucket {bucket}: emptied and deleted")

    for snapshot in kept_snapshots(settings):
        progress(f"kept: final snapshot {snapshot} (its storage is billed; delete it in the Redshift console "
                 "or with `aws redshift delete-cluster-snapshot` when no longer needed)")
    left = tagged_resources(settings)
    if not left:
        state.clear(settings)
    return left


def _empty_and_delete_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            aws.call(s3, "delete_objects", Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    aws.call(s3, "delete_bucket", missing=("NoSuchBucket",), Bucket=bucket)


def report_left(left: list[str], dry_run: bool = False) -> None:
    """Print the end of a teardown: what a dry run would delete, or that
    nothing tagged is left. Raises :class:`InfraError` listing what is still
    tagged after a real run."""
    if dry_run:
        print(f"dry run: {len(left)} tagged resources would be deleted; nothing was")
    elif left:
        raise InfraError(f"still tagged with the stack after teardown: {', '.join(left)}; re-run 99_teardown, "
                         "or delete them in the AWS console")
    else:
        print("nothing tagged with the stack is left")


# --- sample data (local) ----------------------------------------------------

def seed_sample_data(settings: Settings, events: int = 8000, songs: int = 300, users: int = 50, days: int = 30,
                     seed: int = 42, progress: Progress = print) -> dict[str, Any] | None:
    """On ``local``: generate a Sparkify-format data set into the emulator's
    bucket (created and tagged if missing) and return its counts. On
    ``redshift`` the sources are the configured ones (by default the public
    ``s3://udacity-dend``): nothing is written and None is returned."""
    from .. import datagen
    from ..config import local_bucket

    if not settings.is_local:
        progress(f"sources: {settings.source_uri('song_data')}, {settings.source_uri('log_data')}")
        return None
    bucket = local_bucket(settings.stack_name)
    ensure_bucket(settings, bucket, progress)
    t0 = time.monotonic()
    counts = datagen.generate(datagen.S3Sink(aws.client(settings, "s3"), bucket), events=events, songs=songs,
                              users=users, days=days, seed=seed)
    progress(f"sample data: {counts['events']} events in {days} daily files, {counts['songs']} songs "
             f"-> s3://{bucket}/ in {time.monotonic() - t0:.1f} s")
    return counts
