"""Provision, describe and tear down what the warehouse runs on: the IAM role
that Redshift assumes for COPY, a network of its own (VPC, subnets, security
group, cluster subnet group) and the Redshift cluster.

Every resource carries the tag ``sparkify:stack = <stack_name>``; provisioning
finds what exists by that tag and creates only what is missing, and teardown
deletes only what carries it. What was made is recorded by :mod:`state`.

All functions take the settings; boto3 clients come from :mod:`aws`, so on
``local`` the very same calls go to the emulator.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable

from botocore.exceptions import ClientError, WaiterError

from . import SparkifyError, aws, state
from .config import Settings

log = logging.getLogger(__name__)

TAG_KEY = "sparkify:stack"
VPC_CIDR = "10.42.0.0/16"
SUBNET_CIDRS = ("10.42.1.0/24", "10.42.2.0/24")
Progress = Callable[[str], None]


class InfraError(SparkifyError):
    """Provisioning or teardown could not complete; the message says which resource."""


def _tags(settings: Settings, name: str) -> list[dict[str, str]]:
    return [{"Key": TAG_KEY, "Value": settings.stack_name}, {"Key": "Name", "Value": name}]


def _tag_filter(settings: Settings) -> list[dict[str, Any]]:
    return [{"Name": f"tag:{TAG_KEY}", "Values": [settings.stack_name]}]


def role_name(settings: Settings) -> str:
    return f"{settings.stack_name}-redshift-copy"


def _bucket_of(uri: str) -> str | None:
    return uri[5:].split("/", 1)[0] if uri.startswith("s3://") else None


def role_policy(settings: Settings) -> dict[str, Any]:
    """The inline policy of the COPY role: read the configured sources, nothing more."""
    uris = [settings.source_uri(n) for n in ("song_data", "log_data", "log_jsonpath")]
    buckets = sorted({b for b in map(_bucket_of, uris) if b})
    objects = sorted({f"arn:aws:s3:::{u[5:].rstrip('/')}" + ("" if u.endswith(".json") else "/*")
                      for u in uris if u.startswith("s3://")})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ListSources", "Effect": "Allow", "Action": "s3:ListBucket",
             "Resource": [f"arn:aws:s3:::{b}" for b in buckets]},
            {"Sid": "ReadSources", "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects},
        ],
    }


def _ensure_role(settings: Settings, progress: Progress) -> str:
    iam = aws.client(settings, "iam")
    name = role_name(settings)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "redshift.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        progress(f"IAM role {name}: exists")
    except ClientError as exc:
        if aws.error_code(exc) != "NoSuchEntity":
            log.error("get_role failed: %s", aws.error_code(exc))
            raise
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                              Description="Lets Redshift COPY read the Sparkify sources",
                              Tags=_tags(settings, name))["Role"]["Arn"]
        progress(f"IAM role {name}: created")
    iam.put_role_policy(RoleName=name, PolicyName="read-sources", PolicyDocument=json.dumps(role_policy(settings)))
    return arn


def _find_one(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    return items[0] if items else None


def _ensure_network(settings: Settings, progress: Progress) -> dict[str, Any]:
    ec2 = aws.client(settings, "ec2")
    name = f"{settings.stack_name}-vpc"
    vpc = _find_one(ec2.describe_vpcs(Filters=_tag_filter(settings))["Vpcs"])
    if vpc:
        progress(f"VPC {vpc['VpcId']}: exists")
    else:
        vpc = ec2.create_vpc(CidrBlock=VPC_CIDR, TagSpecifications=[
            {"ResourceType": "vpc", "Tags": _tags(settings, name)}])["Vpc"]
        ec2.get_waiter("vpc_available").wait(VpcIds=[vpc["VpcId"]])
        progress(f"VPC {vpc['VpcId']}: created")
    vpc_id = vpc["VpcId"]

    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    existing = ec2.describe_subnets(Filters=_tag_filter(settings) + [{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    by_cidr = {s["CidrBlock"]: s["SubnetId"] for s in existing}
    subnet_ids = []
    for cidr, zone in zip(SUBNET_CIDRS, zones):
        if cidr not in by_cidr:
            sid = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone, TagSpecifications=[
                {"ResourceType": "subnet", "Tags": _tags(settings, f"{settings.stack_name}-{zone}")}])["Subnet"]["SubnetId"]
            progress(f"subnet {sid} in {zone}: created")
            by_cidr[cidr] = sid
        subnet_ids.append(by_cidr[cidr])

    sg_name = f"{settings.stack_name}-redshift"
    sg = _find_one(ec2.describe_security_groups(Filters=_tag_filter(settings) + [
        {"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"])
    if sg:
        sg_id = sg["GroupId"]
        progress(f"security group {sg_id}: exists")
    else:
        sg_id = ec2.create_security_group(GroupName=sg_name, VpcId=vpc_id,
                                          Description="Sparkify warehouse: cluster port from allowed CIDRs only",
                                          TagSpecifications=[{"ResourceType": "security-group",
                                                              "Tags": _tags(settings, sg_name)}])["GroupId"]
        cidrs = settings.get("network", "allowed_cidrs") or (("127.0.0.1/32",) if settings.is_local else ())
        if cidrs:
            port = settings.get("cluster", "port")
            ec2.authorize_security_group_ingress(GroupId=sg_id, IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                "IpRanges": [{"CidrIp": c, "Description": "Sparkify warehouse clients"} for c in cidrs]}])
        progress(f"security group {sg_id}: created, port {settings.get('cluster', 'port')} from {', '.join(cidrs) or 'nowhere'}")
    return {"vpc_id": vpc_id, "subnet_ids": subnet_ids, "security_group_id": sg_id}


def _ensure_subnet_group(settings: Settings, subnet_ids: list[str], progress: Progress) -> str:
    redshift = aws.client(settings, "redshift")
    name = f"{settings.stack_name}-subnets"
    try:
        redshift.describe_cluster_subnet_groups(ClusterSubnetGroupName=name)
        progress(f"cluster subnet group {name}: exists")
    except ClientError as exc:
        if aws.error_code(exc) != "ClusterSubnetGroupNotFoundFault":
            raise
        redshift.create_cluster_subnet_group(ClusterSubnetGroupName=name, Description="Sparkify warehouse subnets",
                                             SubnetIds=subnet_ids, Tags=_tags(settings, name))
        progress(f"cluster subnet group {name}: created")
    return name


def _describe_cluster(settings: Settings) -> dict[str, Any] | None:
    redshift = aws.client(settings, "redshift")
    try:
        return redshift.describe_clusters(ClusterIdentifier=settings.get("cluster", "identifier"))["Clusters"][0]
    except ClientError as exc:
        if aws.error_code(exc) == "ClusterNotFound":
            return None
        raise


def wait(waiter_name: str, service: str, settings: Settings, progress: Progress, timeout_s: int = 3600,
         describe: Callable[[], str] | None = None, **kwargs: Any) -> None:
    """Run a boto3 waiter in short rounds, printing the status and elapsed time
    after each, until it succeeds or ``timeout_s`` passes (InfraError)."""
    waiter = aws.client(settings, service).get_waiter(waiter_name)
    t0 = time.monotonic()
    while True:
        try:
            waiter.wait(WaiterConfig={"Delay": 15 if not settings.is_local else 1, "MaxAttempts": 4}, **kwargs)
            progress(f"{waiter_name}: done after {time.monotonic() - t0:.0f} s")
            return
        except WaiterError as exc:
            elapsed = time.monotonic() - t0
            if "terminal failure" in str(exc) or elapsed > timeout_s:
                raise InfraError(f"{waiter_name} did not succeed after {elapsed:.0f} s: {exc}") from None
            progress(f"{waiter_name}: {describe() if describe else 'waiting'} ({elapsed:.0f} s)")


def _ensure_cluster(settings: Settings, subnet_group: str, sg_id: str, role_arn: str, progress: Progress) -> dict[str, Any]:
    ident = settings.get("cluster", "identifier")
    cluster = _describe_cluster(settings)
    if cluster:
        progress(f"cluster {ident}: exists ({cluster['ClusterStatus']})")
    else:
        nodes = settings.get("cluster", "node_count")
        aws.client(settings, "redshift").create_cluster(
            ClusterIdentifier=ident,
            ClusterType="single-node" if nodes == 1 else "multi-node",
            **({} if nodes == 1 else {"NumberOfNodes": nodes}),
            NodeType=settings.get("cluster", "node_type"),
            DBName=settings.get("cluster", "db_name"),
            MasterUsername=settings.get("cluster", "db_user"),
            ManageMasterPassword=True,  # AWS keeps the password in Secrets Manager; we never see it
            Port=settings.get("cluster", "port"),
            ClusterSubnetGroupName=subnet_group,
            VpcSecurityGroupIds=[sg_id],
            IamRoles=[role_arn],
            Encrypted=True,
            PubliclyAccessible=settings.get("cluster", "publicly_accessible"),
            Tags=_tags(settings, ident),
        )
        progress(f"cluster {ident}: creating {nodes} x {settings.get('cluster', 'node_type')}")
    wait("cluster_available", "redshift", settings, progress, ClusterIdentifier=ident,
         describe=lambda: (_describe_cluster(settings) or {}).get("ClusterStatus", "?"))
    return _describe_cluster(settings) or {}


def provision(settings: Settings, progress: Progress = print) -> dict[str, Any]:
    """Create whatever is missing of role, network, subnet group and cluster;
    record and return the state (ids, ARNs, endpoint; never a secret)."""
    t0 = time.monotonic()
    record = state.load(settings)
    record.update({"target": settings.target, "stack_name": settings.stack_name, "region": settings.region})
    record["role_arn"] = _ensure_role(settings, progress)
    state.save(settings, record)
    record.update(_ensure_network(settings, progress))
    state.save(settings, record)
    record["subnet_group"] = _ensure_subnet_group(settings, record["subnet_ids"], progress)
    cluster = _ensure_cluster(settings, record["subnet_group"], record["security_group_id"], record["role_arn"], progress)
    endpoint = cluster.get("Endpoint", {})
    record.update({
        "cluster_identifier": cluster.get("ClusterIdentifier"),
        "cluster_status": cluster.get("ClusterStatus"),
        "endpoint": endpoint.get("Address"),
        "port": endpoint.get("Port"),
        "db_name": cluster.get("DBName"),
        "db_user": cluster.get("MasterUsername"),
        "cluster_created": cluster.get("ClusterCreateTime"),
    })
    state.save(settings, record)
    progress(f"provisioned in {time.monotonic() - t0:.1f} s")
    return record


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """The printable part of a state record (what a person looks up)."""
    keys = ("cluster_identifier", "cluster_status", "endpoint", "port", "db_name", "db_user", "role_arn",
            "vpc_id", "security_group_id")
    return {k: record.get(k) for k in keys}


def tagged_resources(settings: Settings) -> list[str]:
    """Every resource that still carries this stack's tag (``kind id`` each)."""
    found: list[str] = []
    ec2 = aws.client(settings, "ec2")
    found += [f"vpc {v['VpcId']}" for v in ec2.describe_vpcs(Filters=_tag_filter(settings))["Vpcs"]]
    found += [f"subnet {s['SubnetId']}" for s in ec2.describe_subnets(Filters=_tag_filter(settings))["Subnets"]]
    found += [f"security-group {g['GroupId']}" for g in
              ec2.describe_security_groups(Filters=_tag_filter(settings))["SecurityGroups"]]
    redshift = aws.client(settings, "redshift")
    for c in redshift.describe_clusters(TagKeys=[TAG_KEY], TagValues=[settings.stack_name])["Clusters"]:
        found.append(f"cluster {c['ClusterIdentifier']}")
    for g in redshift.describe_cluster_subnet_groups(TagKeys=[TAG_KEY], TagValues=[settings.stack_name])["ClusterSubnetGroups"]:
        found.append(f"cluster-subnet-group {g['ClusterSubnetGroupName']}")
    iam = aws.client(settings, "iam")
    try:
        tags = iam.list_role_tags(RoleName=role_name(settings))["Tags"]
        if {"Key": TAG_KEY, "Value": settings.stack_name} in tags:
            found.append(f"iam-role {role_name(settings)}")
    except ClientError as exc:
        if aws.error_code(exc) != "NoSuchEntity":
            raise
    found += [f"s3-bucket {b}" for b in _tagged_buckets(settings)]
    return found


def _tagged_buckets(settings: Settings) -> list[str]:
    """Buckets we made (the local sample-data bucket): only those carry the tag."""
    s3 = aws.client(settings, "s3")
    mine = []
    for bucket in s3.list_buckets().get("Buckets", []):
        try:
            tags = s3.get_bucket_tagging(Bucket=bucket["Name"])["TagSet"]
        except ClientError as exc:
            if aws.error_code(exc) in ("NoSuchTagSet", "NoSuchBucket", "AccessDenied"):
                continue
            raise
        if {"Key": TAG_KEY, "Value": settings.stack_name} in tags:
            mine.append(bucket["Name"])
    return mine


def ensure_bucket(settings: Settings, bucket: str, progress: Progress = print) -> None:
    """Create ``bucket`` tagged with the stack, unless it exists (local sample data)."""
    s3 = aws.client(settings, "s3")
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as exc:
        if aws.error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise
    kwargs = {} if settings.region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": settings.region}}
    s3.create_bucket(Bucket=bucket, **kwargs)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": TAG_KEY, "Value": settings.stack_name}]})
    progress(f"S3 bucket {bucket}: created")


def _empty_and_delete_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    s3.delete_bucket(Bucket=bucket)


def _ignore_missing(call: Callable[[], Any], *codes: str) -> bool:
    """Run a delete call; False if the resource was already gone."""
    try:
        call()
        return True
    except ClientError as exc:
        if aws.error_code(exc) in codes:
            return False
        log.error("delete failed: %s", aws.error_code(exc))
        raise


def teardown(settings: Settings, progress: Progress = print) -> list[str]:
    """Delete, in dependency order, everything tagged with the stack; wait
    where deletion is asynchronous. Idempotent. Returns what is still tagged
    afterwards (empty when all went)."""
    ident = settings.get("cluster", "identifier")
    redshift = aws.client(settings, "redshift")
    cluster = _describe_cluster(settings)
    if cluster and {"Key": TAG_KEY, "Value": settings.stack_name} in cluster.get("Tags", []):
        if cluster["ClusterStatus"] != "deleting":
            redshift.delete_cluster(ClusterIdentifier=ident, SkipFinalClusterSnapshot=True)
        progress(f"cluster {ident}: deleting")
        wait("cluster_deleted", "redshift", settings, progress, ClusterIdentifier=ident,
             describe=lambda: (_describe_cluster(settings) or {}).get("ClusterStatus", "gone"))
    for group in redshift.describe_cluster_subnet_groups(TagKeys=[TAG_KEY], TagValues=[settings.stack_name])["ClusterSubnetGroups"]:
        name = group["ClusterSubnetGroupName"]
        if _ignore_missing(lambda: redshift.delete_cluster_subnet_group(ClusterSubnetGroupName=name),
                           "ClusterSubnetGroupNotFoundFault"):
            progress(f"cluster subnet group {name}: deleted")

    ec2 = aws.client(settings, "ec2")
    for sg in ec2.describe_security_groups(Filters=_tag_filter(settings))["SecurityGroups"]:
        if _ignore_missing(lambda: ec2.delete_security_group(GroupId=sg["GroupId"]), "InvalidGroup.NotFound"):
            progress(f"security group {sg['GroupId']}: deleted")
    for subnet in ec2.describe_subnets(Filters=_tag_filter(settings))["Subnets"]:
        if _ignore_missing(lambda: ec2.delete_subnet(SubnetId=subnet["SubnetId"]), "InvalidSubnetID.NotFound"):
            progress(f"subnet {subnet['SubnetId']}: deleted")
    for vpc in ec2.describe_vpcs(Filters=_tag_filter(settings))["Vpcs"]:
        if _ignore_missing(lambda: ec2.delete_vpc(VpcId=vpc["VpcId"]), "InvalidVpcID.NotFound"):
            progress(f"VPC {vpc['VpcId']}: deleted")

    iam = aws.client(settings, "iam")
    name = role_name(settings)
    try:
        tags = iam.list_role_tags(RoleName=name)["Tags"]
    except ClientError as exc:
        if aws.error_code(exc) != "NoSuchEntity":
            raise
        tags = []
    if {"Key": TAG_KEY, "Value": settings.stack_name} in tags:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)
        progress(f"IAM role {name}: deleted")

    s3 = aws.client(settings, "s3")
    for bucket in _tagged_buckets(settings):
        _empty_and_delete_bucket(s3, bucket)
        progress(f"S3 bucket {bucket}: emptied and deleted")

    left = tagged_resources(settings)
    if not left:
        state.clear(settings)
    return left


def seed_sample_data(settings: Settings, events: int = 8000, songs: int = 300, users: int = 50, days: int = 30,
                     seed: int = 42, progress: Progress = print) -> dict[str, Any] | None:
    """On ``local``: generate a Sparkify-format data set into the emulator's
    bucket (created and tagged if missing) and return its counts. On
    ``redshift`` the sources are the configured ones (by default the public
    ``s3://udacity-dend``): nothing is written and None is returned."""
    from . import datagen
    from .config import local_bucket

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
