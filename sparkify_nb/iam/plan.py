"""The AWS requests a run of the suite sends, planned before it sends them, and
what IAM authorises for each: what 01's preflight simulates (issue 25, item 7:
"simulates each call with the context that call will really carry, per
resource").

:func:`requests` lists the calls 01 -> 04 -> 99 make for the settings (``[cluster]
kind`` and ``access``, the names, the sources, the guardrails set), each with the
parameters the stack's own code sends (the tags 01 sets, the boundary on each role,
the roles it hands to a service, the database users, the prefixes it lists), put
into the wire form the service reads (botocore's serializer: the query protocol's
flat fields) where the gate reads that form. :func:`authorisations` then asks the
same table the rehearsal's gate asks of a real request, :mod:`.touches`, what each
touches and with which condition keys, reading the account as the run's own
calls leave it (:class:`Planned`: every resource the run uses is the stack's,
tagged as 01 tags it; each stack role carries the boundary; no service-linked role
yet, as on a new account). Nothing here comes from the operator policy, so a policy
whose condition names a wrong value (another boundary, another tag value) is
refused by the simulation, as AWS would refuse the call.

The ids of what does not exist yet are placeholders named for what they are
(``vpc-of-this-stack``): IAM sees a new resource as ``<type>/*`` and an existing one
by its ARN, whatever the id.
"""

from __future__ import annotations

import functools
from typing import Any

from ..config import Settings
from ..s3uri import parse_s3_uri
from . import analyst, boundary, copy_role, lease, reach, sar, scheduler, touches, touches_redshift, workbucket
from .calls import Authorisation, Call, Principal, State, action_of
from .rules_redshift import LOG_EXPORTS
from .tags import TAG_KEY, stack_tags

SOURCES = ("song_data", "log_data", "log_jsonpath")
IDS = {"vpc": "vpc-of-this-stack", "subnet": "subnet-of-this-stack", "security-group": "sg-of-this-stack",
       "internet-gateway": "igw-of-this-stack", "route-table": "rtb-of-this-stack",
       "vpc-endpoint": "vpce-of-this-stack", "association": "rtbassoc-of-this-stack"}
QUERY = ("ec2", "iam", "sts", "redshift")  # the query protocol: the gate reads the flat form fields


class Planned(State):
    """The account as the run's own calls leave it (module docstring)."""

    def __init__(self, settings: Settings, account: str, caller_arn: str, userid: str, boundary_arn: str):
        self.settings, self.account, self.userid, self.boundary_arn = settings, account, userid, boundary_arn
        self.tags = {t["Key"]: t["Value"] for t in stack_tags(settings.stack_name, caller_arn, settings.stack_name)}

    def ec2_tags(self, resource_id: str) -> dict[str, str]:
        return dict(self.tags) if resource_id in IDS.values() else {}

    def route_table_of_association(self, association_id: str) -> str:
        return IDS["route-table"] if association_id == IDS["association"] else ""

    def role_boundary(self, name: str) -> str | None:
        return self.boundary_arn

    def role_tags(self, name: str) -> dict[str, str]:
        return dict(self.tags)

    def redshift_tags(self, arn: str) -> dict[str, str]:
        return dict(self.tags)

    def log_group_tags(self, name: str) -> dict[str, str]:
        return {TAG_KEY: self.settings.stack_name}  # 01 tags its log groups with the stack's tag alone

    def serverless_arn(self, kind: str, name: str) -> str | None:
        return f"arn:aws:redshift-serverless:{self.settings.region}:{self.account}:{kind}/{kind}-of-this-stack"

    def serverless_tags(self, arn: str) -> dict[str, str]:
        return dict(self.tags)

    def serverless_admin_secret(self, namespace_arn: str) -> str | None:
        ident, user = self.settings.get("cluster", "identifier"), self.settings.get("cluster", "db_user")
        return (f"arn:aws:secretsmanager:{self.settings.region}:{self.account}:secret:redshift!{ident}-{user}-"
                f"{touches_redshift.SECRET_SUFFIX}")

    def session(self, session_id: str) -> tuple[str, str] | None:
        identifier = self.settings.get("cluster", "identifier")
        if self.settings.get("cluster", "kind") == "serverless":
            return self.serverless_arn("workgroup", identifier) or "", self.userid
        return f"arn:aws:redshift:{self.settings.region}:{self.account}:cluster:{identifier}", self.userid

    def statement_owner(self, statement_id: str) -> str | None:
        return self.userid


@functools.lru_cache(maxsize=8)
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def wire(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` (as boto3 takes them) as the service reads them: the query protocol's flat form fields
    (botocore's own serializer, no request sent); a JSON service's body as it is."""
    if service not in QUERY:
        return params
    from botocore.serialize import create_serializer

    model = _model(service)
    body = create_serializer(model.metadata["protocol"], include_validation=False).serialize_to_request(
        params, model.operation_model(operation))["body"]
    return {k: v for k, v in body.items() if k not in ("Action", "Version")}


def _roles(settings: Settings) -> dict[str, bool]:
    """``{role name: whether this run makes it}``: every stack role is looked for (01 and 99 delete one
    left by other settings); the run makes those its settings need."""
    kind, get = settings.get("cluster", "kind"), settings.get
    return {copy_role.role_name(settings): True,
            scheduler.role_name(settings): kind == "provisioned" and bool(get("cluster", "pause_schedule")),
            analyst.role_name(settings): kind == "serverless",
            lease.role_name(settings): bool(get("cluster", "lease_hours"))}


def requests(settings: Settings, account: str, caller_arn: str, principal: str | None = None) -> list[Call]:
    """The calls a run of ``settings`` makes, signed by ``caller_arn`` in ``account`` (``principal``: the
    IAM user or role the preflight simulates, default the caller)."""
    region, stack, get = settings.region, settings.stack_name, settings.get
    kind, ident = get("cluster", "kind"), get("cluster", "identifier")
    partition = caller_arn.split(":")[1] if caller_arn.startswith("arn:") else "aws"
    arn = lambda service, res, regional=True: f"arn:{partition}:{service}:{region if regional else ''}:{account}:{res}"  # noqa: E731
    tags = lambda name: stack_tags(stack, caller_arn, name)  # noqa: E731
    out: list[tuple[str, str, dict[str, Any]]] = [("sts", "GetCallerIdentity", {})]
    add = lambda service, op, **p: out.append((service, op, p))  # noqa: E731

    def spec(kind_: str, name: str) -> dict[str, Any]:
        return {"TagSpecifications": [{"ResourceType": kind_, "Tags": tags(name)}]}

    # the preflight itself
    add("iam", "SimulatePrincipalPolicy", PolicySourceArn=principal or caller_arn, ActionNames=["sts:GetCallerIdentity"])
    if principal and ":role/" in principal:  # its real ARN, path and all, is what GetRole is authorised on: the
        add("iam", "GetRole", RoleName=principal)  # plan names it whole (touches takes an ARN as it is; never sent)
    boundary_arn = boundary.policy_arn(settings, account, partition)
    add("iam", "GetPolicy", PolicyArn=boundary_arn)
    add("iam", "GetPolicyVersion", PolicyArn=boundary_arn, VersionId="v1")
    for name in SOURCES:
        uri = settings.source_uri(name)
        if uri.startswith("s3://"):
            bucket, key = parse_s3_uri(uri)
            out.append(("s3", "GetBucketLocation", {"Bucket": bucket, "Key": "", "query": {"location": [""]}}))
            out.append(("s3", "ListObjectsV2", {"Bucket": bucket, "Key": "", "query": {"list-type": ["2"],
                                                                                        "prefix": [key]}}))
    for uri in reach.copy_reach(settings, work=False).objects:
        bucket, key = parse_s3_uri(uri.replace("*", "part-00000.json"))
        out.append(("s3", "GetObject", {"Bucket": bucket, "Key": key, "query": {}}))
    for target, parts in reach.compaction_targets(settings):
        for uri in (target, parts):
            bucket, key = parse_s3_uri(uri.replace("*", "part-00000.json"))
            out.append(("s3", "PutObject", {"Bucket": bucket, "Key": key, "query": {}}))
    # the network (ec2)
    vpc, subnet, sg, igw, rtb, vpce = (IDS[k] for k in ("vpc", "subnet", "security-group", "internet-gateway",
                                                        "route-table", "vpc-endpoint"))
    for op in ("DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups", "DescribeInternetGateways",
               "DescribeRouteTables", "DescribeVpcEndpoints", "DescribeAvailabilityZones"):
        add("ec2", op)
    add("ec2", "CreateVpc", CidrBlock="10.0.0.0/16", **spec("vpc", f"{stack}-vpc"))
    add("ec2", "CreateSubnet", VpcId=vpc, CidrBlock="10.0.0.0/24", **spec("subnet", f"{stack}-subnet"))
    add("ec2", "CreateSecurityGroup", GroupName=f"{stack}-sg", Description="-", VpcId=vpc,
        **spec("security-group", f"{stack}-sg"))
    if settings.access == "direct":  # a public endpoint: the gateway its route goes through
        add("ec2", "CreateInternetGateway", **spec("internet-gateway", f"{stack}-igw"))
        add("ec2", "AttachInternetGateway", InternetGatewayId=igw, VpcId=vpc)
    add("ec2", "CreateRouteTable", VpcId=vpc, **spec("route-table", f"{stack}-rtb"))
    add("ec2", "CreateRoute", RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    add("ec2", "AssociateRouteTable", RouteTableId=rtb, SubnetId=subnet)
    add("ec2", "CreateVpcEndpoint", VpcId=vpc, ServiceName=f"com.amazonaws.{region}.s3", RouteTableIds=[rtb],
        **spec("vpc-endpoint", f"{stack}-s3"))
    add("ec2", "ModifyVpcEndpoint", VpcEndpointId=vpce, AddRouteTableIds=[rtb])
    add("ec2", "AuthorizeSecurityGroupIngress", GroupId=sg, IpPermissions=[])
    add("ec2", "RevokeSecurityGroupIngress", GroupId=sg, IpPermissions=[])
    for op, p in (("DeleteVpcEndpoints", {"VpcEndpointIds": [vpce]}), ("DisassociateRouteTable", {
            "AssociationId": IDS["association"]}), ("DeleteRouteTable", {"RouteTableId": rtb}),
                  ("DetachInternetGateway", {"InternetGatewayId": igw, "VpcId": vpc}),
                  ("DeleteInternetGateway", {"InternetGatewayId": igw}), ("DeleteSecurityGroup", {"GroupId": sg}),
                  ("DeleteSubnet", {"SubnetId": subnet}), ("DeleteVpc", {"VpcId": vpc})):
        add("ec2", op, **p)
    # the roles (iam), each made under the boundary, and the work bucket and the log groups
    for name, made in _roles(settings).items():
        if made:
            add("iam", "CreateRole", RoleName=name, AssumeRolePolicyDocument="{}", PermissionsBoundary=boundary_arn,
                Tags=tags(name))
            add("iam", "PutRolePermissionsBoundary", RoleName=name, PermissionsBoundary=boundary_arn)
            add("iam", "TagRole", RoleName=name, Tags=tags(name))
            add("iam", "PutRolePolicy", RoleName=name, PolicyName="p", PolicyDocument="{}")
            add("iam", "GetRolePolicy", RoleName=name, PolicyName="p")
        for op in ("GetRole", "ListRoleTags", "ListRolePolicies", "ListAttachedRolePolicies", "DeleteRole"):
            add("iam", op, RoleName=name)
        add("iam", "DeleteRolePolicy", RoleName=name, PolicyName="p")
        add("iam", "DetachRolePolicy", RoleName=name, PolicyArn=arn("iam", "policy/p", False))
    work = workbucket.bucket_name(settings, account)
    for op, key, query in (("CreateBucket", "", {}), ("PutBucketTagging", "", {"tagging": [""]}),
                           ("GetBucketTagging", "", {"tagging": [""]}), ("GetBucketLocation", "", {"location": [""]}),
                           ("PutBucketEncryption", "", {"encryption": [""]}),
                           ("GetBucketEncryption", "", {"encryption": [""]}),
                           ("PutPublicAccessBlock", "", {"publicAccessBlock": [""]}),
                           ("GetPublicAccessBlock", "", {"publicAccessBlock": [""]}),
                           ("PutBucketLifecycleConfiguration", "", {"lifecycle": [""]}),
                           ("GetBucketLifecycleConfiguration", "", {"lifecycle": [""]}),
                           ("ListObjectsV2", "", {"list-type": ["2"]}), ("DeleteBucket", "", {}),
                           ("PutObject", f"{workbucket.MANIFESTS}load.manifest", {}),
                           ("DeleteObject", f"{workbucket.MANIFESTS}load.manifest", {})):
        out.append(("s3", op, {"Bucket": work, "Key": key, "query": query}))
    prefix = f"/aws/redshift/cluster/{ident}/" if kind == "provisioned" else f"/aws/redshift/{ident}/"
    add("logs", "DescribeLogGroups", logGroupNamePrefix=prefix)
    for group in (prefix + export for export in LOG_EXPORTS):  # one log group per audit log, each made and deleted
        add("logs", "CreateLogGroup", logGroupName=group, tags={TAG_KEY: stack})
        add("logs", "TagResource", resourceArn=arn("logs", f"log-group:{group}"), tags={TAG_KEY: stack})
        for op in ("PutRetentionPolicy", "DeleteLogGroup"):
            add("logs", op, logGroupName=group)
        add("logs", "UntagResource", resourceArn=arn("logs", f"log-group:{group}"), tagKeys=[TAG_KEY])
        add("logs", "ListTagsForResource", resourceArn=arn("logs", f"log-group:{group}"))
    copy = arn("iam", f"role/{copy_role.role_name(settings)}", False)
    out += _warehouse(settings, account, arn, tags, copy)
    return [Call(service, region, op, wire(service, op, p)) for service, op, p in out]


def _warehouse(settings: Settings, account: str, arn: Any, tags: Any, copy: str) -> list[tuple[str, str, dict]]:
    """The calls on the cluster or the namespace and workgroup, SQL through the Data API, the guardrails
    and the lease (a guardrail's or the lease's create only when its ``[cluster]`` key is set; its find and
    delete always, as :func:`.kinds.actions` keeps them)."""
    get, ident, stack = settings.get, settings.get("cluster", "identifier"), settings.stack_name
    out: list[tuple[str, str, dict[str, Any]]] = []
    add = lambda service, op, **p: out.append((service, op, p))  # noqa: E731
    users = [get("cluster", "db_user"), get("cluster", "analyst_user")]
    database = get("cluster", "db_name")
    # either kind's finds and deletes: 99 deletes what a stack switched between kinds left
    for op in ("DescribeClusters", "DescribeClusterParameterGroups", "DescribeClusterSubnetGroups",
               "DescribeClusterSnapshots", "DescribeOrderableClusterOptions", "DescribeScheduledActions"):
        add("redshift", op)
    add("redshift", "DeleteClusterParameterGroup", ParameterGroupName=f"{stack}-params")
    add("redshift", "DeleteClusterSubnetGroup", ClusterSubnetGroupName=f"{stack}-subnets")
    add("redshift", "DeleteCluster", ClusterIdentifier=ident, SkipFinalClusterSnapshot=False,
        FinalClusterSnapshotIdentifier=f"{ident}-final")
    add("redshift", "DeleteScheduledAction", ScheduledActionName=f"{stack}-pause")
    for op in ("ListNamespaces", "ListWorkgroups", "ListUsageLimits", "DeleteUsageLimit"):
        add("redshift-serverless", op)
    for op in ("GetNamespace", "DeleteNamespace"):
        add("redshift-serverless", op, namespaceName=ident)
    for op in ("GetWorkgroup", "DeleteWorkgroup"):
        add("redshift-serverless", op, workgroupName=ident)
    add("redshift-serverless", "ListSnapshots", namespaceName=ident)
    for kind in ("namespace", "workgroup"):
        add("redshift-serverless", "ListTagsForResource",
            resourceArn=arn("redshift-serverless", f"{kind}/{kind}-of-this-stack"))
    if get("cluster", "kind") == "provisioned":
        add("redshift", "CreateClusterParameterGroup", ParameterGroupName=f"{stack}-params",
            ParameterGroupFamily="redshift-2.0", Description="-", Tags=tags(f"{stack}-params"))
        add("redshift", "CreateClusterSubnetGroup", ClusterSubnetGroupName=f"{stack}-subnets", Description="-",
            SubnetIds=[IDS["subnet"]], Tags=tags(f"{stack}-subnets"))
        add("redshift", "CreateCluster", ClusterIdentifier=ident, NodeType=get("cluster", "node_type"),
            MasterUsername=users[0], ManageMasterPassword=True, IamRoles=[copy], Tags=tags(ident))
        add("redshift", "CreateTags", ResourceName=arn("redshift", f"cluster:{ident}"), Tags=tags(ident))
        for op in ("ModifyCluster", "PauseCluster", "ResumeCluster", "DescribeLoggingStatus"):
            add("redshift", op, ClusterIdentifier=ident)
        add("redshift", "EnableLogging", ClusterIdentifier=ident, LogDestinationType="cloudwatch")
        add("redshift", "ModifyClusterIamRoles", ClusterIdentifier=ident, AddIamRoles=[copy])
        add("redshift", "DescribeClusterParameters", ParameterGroupName=f"{stack}-params")
        add("redshift", "ModifyClusterParameterGroup", ParameterGroupName=f"{stack}-params", Parameters=[])
        for user in users:
            add("redshift", "GetClusterCredentials", ClusterIdentifier=ident, DbUser=user, DbName=database)
        if get("cluster", "pause_schedule"):
            role = arn("iam", f"role/{scheduler.role_name(settings)}", False)
            for op in ("CreateScheduledAction", "ModifyScheduledAction"):
                add("redshift", op, ScheduledActionName=f"{stack}-pause", Schedule="cron(0 0 * * ? *)", IamRole=role,
                    TargetAction={"PauseCluster": {"ClusterIdentifier": ident}})
        targets = [{"ClusterIdentifier": ident, "Database": database, "DbUser": user} for user in users]
    else:
        if get("cluster", "max_rpu_hours_per_day"):
            for op in ("CreateUsageLimit", "UpdateUsageLimit"):
                add("redshift-serverless", op)
        add("redshift-serverless", "CreateNamespace", namespaceName=ident, adminUsername=users[0],
            manageAdminPassword=True, iamRoles=[copy], defaultIamRoleArn=copy,
            tags=[{"key": t["Key"], "value": t["Value"]} for t in tags(ident)])
        add("redshift-serverless", "CreateWorkgroup", workgroupName=ident, namespaceName=ident,
            tags=[{"key": t["Key"], "value": t["Value"]} for t in tags(ident)])
        add("redshift-serverless", "UpdateNamespace", namespaceName=ident)
        for op in ("UpdateWorkgroup", "GetCredentials"):
            add("redshift-serverless", op, workgroupName=ident)
        add("sts", "AssumeRole", RoleArn=arn("iam", f"role/{analyst.role_name(settings)}", False), RoleSessionName="s")
        targets = [{"WorkgroupName": ident, "Database": database}]
    if settings.access == "data_api":
        for target in targets + [{"SessionId": "a-session-of-yours"}]:
            for op in ("ExecuteStatement", "BatchExecuteStatement"):
                add("redshift-data", op, **target)
        for op in ("DescribeStatement", "GetStatementResult", "CancelStatement"):
            add("redshift-data", op, Id="a-statement-of-yours")
    role = arn("iam", f"role/{lease.role_name(settings)}", False)
    if get("cluster", "lease_hours"):
        for schedule in lease.schedule_names(settings):
            for op in ("CreateSchedule", "UpdateSchedule"):
                add("scheduler", op, Name=schedule, GroupName=lease.GROUP, Target={"RoleArn": role})
    # 01, status and 99 look for a lease whatever [cluster] lease_hours says, by either kind's names (a stack
    # switched between kinds): infra/lease.find_lease_schedules
    for schedule in (a.rsplit("/", 1)[-1] for a in lease.schedule_arns(settings, account)):
        for op in ("GetSchedule", "DeleteSchedule"):
            add("scheduler", op, Name=schedule, GroupName=lease.GROUP)
    add("pricing", "GetProducts", ServiceCode="AmazonRedshift")
    return out


def authorisations(settings: Settings, account: str, caller_arn: str, userid: str,
                   principal: str | None = None) -> list[Authorisation]:
    """What IAM authorises for every call of :func:`requests` (:mod:`.touches`, reading :class:`Planned`),
    each resource's context kept to the keys the SAR lists for its row (:func:`.sar.context_for`), in
    :attr:`Authorisation.per_resource`; ``resources`` as the table gives them. A call the table cannot
    read (not in it, and its SAR entry requires a resource) is authorised on ``*``."""
    partition = caller_arn.split(":")[1] if caller_arn.startswith("arn:") else "aws"
    state = Planned(settings, account, caller_arn, userid, boundary.policy_arn(settings, account, partition))
    name = caller_arn.rsplit("/", 1)[-1]
    kind = "AssumedRole" if ":assumed-role/" in caller_arn else "User"
    who = Principal(account, caller_arn, name, userid, kind, principal if kind == "AssumedRole" else "")
    out = []
    for call in requests(settings, account, caller_arn, principal):
        found = touches.authorisations(call, who, state)
        for auth in found if found is not None else [Authorisation(action_of(call.service, call.operation), ["*"])]:
            auth.per_resource = {r: sar.context_for(auth.action, r, {**auth.context, **auth.per_resource.get(r, {})})
                                 for r in auth.resources or ["*"]}
            out.append(auth)
    return out


__all__ = ["IDS", "Planned", "authorisations", "requests", "wire"]
