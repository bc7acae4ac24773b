"""A provisioning run on the ``redshift`` code path, recorded call by call.

The run goes to the emulator as target ``redshift`` (so nothing is skipped as
an emulator gap); what moto does not implement is answered by botocore
``before-call`` handlers (the hook Stubber uses): ModifyClusterParameterGroup
and the DescribeClusterParameters that reads it back (keeping the parameters
set), DescribeScheduledActions (the optional pause schedule, answered: none),
DescribeOrderableClusterOptions (answered: the node type in zones a, b and c),
and the Serverless ListNamespaces and ListWorkgroups that teardown and the
inventory make on every run (answered: none). Every other call is real,
EventBridge Scheduler's (the lease) included. The tests pin
the ordered list of calls that change something, with the parameters that
make the stack secure, so dropping any security step (require_ssl, user
activity logging, encryption, private access, enhanced VPC routing, the S3
endpoint, snapshot retention, version upgrades, audit logging) fails here.
"""

import pytest
from botocore.awsrequest import AWSResponse

from sparkify_nb import aws, config, infra, local
from sparkify_nb.iam import operator as access
from sparkify_nb.infra import boundary

CHANGES = ("Create", "Modify", "Authorize", "Revoke", "Associate", "Attach", "Enable", "Put", "Update", "Tag",
           "Delete", "Detach", "Disassociate")
# The parameters each changing call is pinned on (the rest are ids).
PINNED = {
    "s3:CreateBucket": ("Bucket", "CreateBucketConfiguration"),
    "s3:PutEncryptionConfiguration": ("ServerSideEncryptionConfiguration",),
    "s3:PutBucketPublicAccessBlock": ("PublicAccessBlockConfiguration",),
    "s3:PutLifecycleConfiguration": ("LifecycleConfiguration",),
    "iam:CreateRole": ("RoleName", "PermissionsBoundary"),
    "iam:PutRolePolicy": ("PolicyName",),
    "ec2:CreateVpc": ("CidrBlock",),
    "ec2:CreateSubnet": ("CidrBlock", "AvailabilityZone"),
    "ec2:AuthorizeSecurityGroupIngress": ("IpPermissions",),
    "ec2:CreateRoute": ("DestinationCidrBlock",),
    "ec2:CreateVpcEndpoint": ("VpcEndpointType", "ServiceName"),
    "redshift:ModifyClusterParameterGroup": ("Parameters",),
    "redshift:CreateCluster": ("Encrypted", "PubliclyAccessible", "EnhancedVpcRouting",
                               "AutomatedSnapshotRetentionPeriod", "AllowVersionUpgrade", "ManageMasterPassword",
                               "MasterUsername", "DBName", "Port"),
    "redshift:EnableLogging": ("LogDestinationType", "LogExports"),
    "logs:CreateLogGroup": ("logGroupName",),
    "logs:PutRetentionPolicy": ("retentionInDays",),
    "scheduler:CreateSchedule": ("Name", "ScheduleExpressionTimezone", "FlexibleTimeWindow", "ActionAfterCompletion",
                                 "Target"),
    "scheduler:UpdateSchedule": ("Name", "ActionAfterCompletion", "Target"),
}


class ParameterGroups:
    """Answers what moto lacks for parameter groups, keeping what was set."""

    def __init__(self):
        self.values = {}

    def modify(self, params, **_):
        body = params["body"]  # the serialized query: Parameters.member.N.ParameterName / .ParameterValue
        names = {k.rsplit(".", 1)[0]: v for k, v in body.items() if k.endswith(".ParameterName")}
        self.values.setdefault(body["ParameterGroupName"], {}).update(
            {name: body[f"{member}.ParameterValue"] for member, name in names.items()})
        return AWSResponse(None, 200, {}, None), {"ParameterGroupName": body["ParameterGroupName"],
                                                  "ParameterGroupStatus": "in-sync"}

    @staticmethod
    def no_serverless(model, **_):
        key = {"ListNamespaces": "namespaces", "ListSnapshots": "snapshots"}.get(model.name, "workgroups")
        return AWSResponse(None, 200, {}, None), {key: []}

    @staticmethod
    def orderable(params, **_):
        zones = [{"Name": f"us-west-2{x}"} for x in "abc"]
        return AWSResponse(None, 200, {}, None), {"OrderableClusterOptions": [
            {"ClusterType": cluster_type, "NodeType": params["body"]["NodeType"], "AvailabilityZones": zones}
            for cluster_type in ("single-node", "multi-node")]}

    @staticmethod
    def no_schedule(**_):
        return AWSResponse(None, 200, {}, None), {"ScheduledActions": []}

    def describe(self, params, **_):
        values = self.values.get(params["body"]["ParameterGroupName"], {})
        return AWSResponse(None, 200, {}, None), {"Parameters": [
            {"ParameterName": k, "ParameterValue": v, "Source": "user"} for k, v in values.items()]}


@pytest.fixture
def on_emulator(tmp_path, monkeypatch):
    """``make(**overrides)``: redshift settings and clients whose calls all go to the emulator."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    made, groups = [], ParameterGroups()

    def make(**overrides):
        stack = f"seq{tmp_path.name[-8:].lower().replace('_', '-')}"
        settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
            "general.target": "redshift", "general.stack_name": stack, "cluster.identifier": f"{stack}-dwh",
            "cluster.node_count": 1, **overrides})
        clients = aws.Clients(settings, endpoint_url=local.aws_endpoint())
        events = clients("redshift").meta.events
        events.register("before-call.redshift.ModifyClusterParameterGroup", groups.modify, unique_id="seq-modify")
        events.register("before-call.redshift.DescribeClusterParameters", groups.describe, unique_id="seq-describe")
        events.register("before-call.redshift.DescribeScheduledActions", groups.no_schedule, unique_id="seq-schedule")
        events.register("before-call.redshift.DescribeOrderableClusterOptions", groups.orderable, unique_id="seq-zones")
        clients("redshift-serverless").meta.events.register("before-call.redshift-serverless", groups.no_serverless,
                                                            unique_id="seq-serverless")
        # The account's administrator makes the boundary before 01 (on AWS: sparkify-nb iam-policy --admin)
        boundary.administer(clients, settings, "123456789012")
        made.append((settings, clients))
        return settings, clients

    yield make
    for settings, clients in made:
        infra.teardown(settings, clients, progress=lambda _: None)
        events = clients("redshift").meta.events
        events.unregister("before-call.redshift.ModifyClusterParameterGroup", unique_id="seq-modify")
        events.unregister("before-call.redshift.DescribeClusterParameters", unique_id="seq-describe")
        events.unregister("before-call.redshift.DescribeScheduledActions", unique_id="seq-schedule")
        events.unregister("before-call.redshift.DescribeOrderableClusterOptions", unique_id="seq-zones")
        clients("redshift-serverless").meta.events.unregister("before-call.redshift-serverless",
                                                              unique_id="seq-serverless")


def changes(calls):
    return [(action, {k: params.get(k) for k in PINNED.get(action, ())}) for action, params in calls
            if action.split(":")[1].startswith(CHANGES)]


def work_bucket(stack):
    """The work bucket of daily loads (infra/workbucket.py): made first, then encrypted, private, expiring."""
    return [("s3:CreateBucket", {"Bucket": f"{stack}-work-123456789012",
                                 "CreateBucketConfiguration": {"LocationConstraint": "us-west-2"}}),
            ("s3:PutBucketTagging", {}),
            ("s3:PutEncryptionConfiguration", {"ServerSideEncryptionConfiguration": {"Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}),
            ("s3:PutBucketPublicAccessBlock", {"PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True}}),
            ("s3:PutLifecycleConfiguration", {"LifecycleConfiguration": {"Rules": [
                {"ID": "expire-manifests", "Status": "Enabled", "Filter": {"Prefix": ""},
                 "Expiration": {"Days": 3}}]}})]


def ingress(cidr):
    return {"IpPermissions": [{"IpProtocol": "tcp", "FromPort": 5439, "ToPort": 5439, "Ipv6Ranges": [],
                               "IpRanges": [{"CidrIp": cidr, "Description": "Sparkify warehouse clients"}]}]}


def cluster(public):
    return {"Encrypted": True, "PubliclyAccessible": public, "EnhancedVpcRouting": True,
            "AutomatedSnapshotRetentionPeriod": 7, "AllowVersionUpgrade": True, "ManageMasterPassword": True,
            "MasterUsername": "sparkify_admin", "DBName": "sparkify", "Port": 5439}


REQUIRE_SSL = {"Parameters": [
    {"ParameterName": "require_ssl", "ParameterValue": "true", "ApplyType": "static"},
    {"ParameterName": "enable_user_activity_logging", "ParameterValue": "true", "ApplyType": "static"}]}
LOGGING = {"LogDestinationType": "cloudwatch", "LogExports": ["connectionlog", "userlog", "useractivitylog"]}
SUBNETS = [("ec2:CreateSubnet", {"CidrBlock": "10.42.1.0/24", "AvailabilityZone": "us-west-2a"}),
           ("ec2:CreateSubnet", {"CidrBlock": "10.42.2.0/24", "AvailabilityZone": "us-west-2b"})]


def log_groups(settings):
    """Each audit log group made before the cluster, then kept 30 days."""
    prefix = f"/aws/redshift/cluster/{settings.get('cluster', 'identifier')}/"
    return [step for log in ("connectionlog", "userlog", "useractivitylog") for step in (
        ("logs:CreateLogGroup", {"logGroupName": prefix + log}), ("logs:PutRetentionPolicy", {"retentionInDays": 30}))]


def lease(settings, verb="Create"):
    """The lease, made last (the warehouse exists): its role under the boundary with its one policy, then the
    one-time schedule that deletes the cluster at the deadline as that role (sparkify_nb/infra/lease.py)."""
    stack, ident = settings.stack_name, settings.get("cluster", "identifier")
    target = {"Arn": "arn:aws:scheduler:::aws-sdk:redshift:deleteCluster",
              "RoleArn": f"arn:aws:iam::123456789012:role/{stack}-lease",
              "Input": f'{{"ClusterIdentifier": "{ident}", "SkipFinalClusterSnapshot": true}}'}
    if verb == "Update":
        return [("scheduler:UpdateSchedule", {"Name": f"{stack}-lease", "ActionAfterCompletion": "DELETE",
                                              "Target": target})]
    return [("iam:CreateRole", {"RoleName": f"{stack}-lease",
                                "PermissionsBoundary": f"arn:aws:iam::123456789012:policy/{stack}-boundary"}),
            ("iam:PutRolePolicy", {"PolicyName": "delete-this-warehouse"}),
            ("scheduler:CreateSchedule", {"Name": f"{stack}-lease", "ScheduleExpressionTimezone": "UTC",
                                          "FlexibleTimeWindow": {"Mode": "OFF"}, "ActionAfterCompletion": "DELETE",
                                          "Target": target})]


def test_a_data_api_provisioning_run_makes_every_security_step_in_order(on_emulator):
    settings, clients = on_emulator()
    with aws.recording() as calls:
        infra.provision(settings, clients, progress=lambda _: None)
    stack = settings.stack_name
    assert changes(calls) == [
        *work_bucket(stack),
        ("iam:CreateRole", {"RoleName": f"{stack}-redshift-copy",
                            "PermissionsBoundary": f"arn:aws:iam::123456789012:policy/{stack}-boundary"}),
        ("iam:PutRolePolicy", {"PolicyName": "read-sources"}),
        ("ec2:CreateVpc", {"CidrBlock": "10.42.0.0/16"}), *SUBNETS,
        ("ec2:CreateSecurityGroup", {}), ("ec2:AuthorizeSecurityGroupIngress", ingress("10.42.0.0/16")),
        ("ec2:CreateRouteTable", {}), ("ec2:AssociateRouteTable", {}), ("ec2:AssociateRouteTable", {}),
        ("ec2:CreateVpcEndpoint", {"VpcEndpointType": "Gateway", "ServiceName": "com.amazonaws.us-west-2.s3"}),
        *log_groups(settings), ("redshift:CreateClusterParameterGroup", {}), ("redshift:ModifyClusterParameterGroup", REQUIRE_SSL),
        ("redshift:CreateClusterSubnetGroup", {}), ("redshift:CreateCluster", cluster(public=False)),
        ("redshift:EnableLogging", LOGGING), *lease(settings)]
    assert {a for a, _ in calls} <= set(access.actions("redshift", "provisioned", "data_api"))


def test_a_direct_provisioning_run_adds_the_gateway_route_and_public_endpoint(on_emulator):
    settings, clients = on_emulator(**{"cluster.access": "direct", "network.allowed_cidrs": "203.0.113.7/32"})
    with aws.recording() as calls:
        infra.provision(settings, clients, progress=lambda _: None)
    made = changes(calls)
    assert made[made.index(("ec2:CreateSecurityGroup", {})):] == [
        ("ec2:CreateSecurityGroup", {}), ("ec2:AuthorizeSecurityGroupIngress", ingress("203.0.113.7/32")),
        ("ec2:CreateInternetGateway", {}), ("ec2:AttachInternetGateway", {}),
        ("ec2:CreateRouteTable", {}), ("ec2:CreateRoute", {"DestinationCidrBlock": "0.0.0.0/0"}),
        ("ec2:AssociateRouteTable", {}), ("ec2:AssociateRouteTable", {}),
        ("ec2:CreateVpcEndpoint", {"VpcEndpointType": "Gateway", "ServiceName": "com.amazonaws.us-west-2.s3"}),
        *log_groups(settings), ("redshift:CreateClusterParameterGroup", {}), ("redshift:ModifyClusterParameterGroup", REQUIRE_SSL),
        ("redshift:CreateClusterSubnetGroup", {}), ("redshift:CreateCluster", cluster(public=True)),
        ("redshift:EnableLogging", LOGGING), *lease(settings)]
    assert {a for a, _ in calls} <= set(access.actions("redshift", "provisioned", "direct"))


def test_on_the_redshift_path_the_default_stack_passes_every_control_including_require_ssl(on_emulator):
    settings, clients = on_emulator()
    record = infra.provision(settings, clients, progress=lambda _: None)
    frame = infra.controls.table(settings, record, clients)
    assert dict(zip(frame["control"], frame["result"])) == {
        "Redshift.1": "pass", "Redshift.2": "pass", "Redshift.3": "pass", "Redshift.4": "pass", "Redshift.6": "pass",
        "Redshift.7": "pass", "Redshift.8": "pass", "Redshift.9": "pass", "Redshift.10": "pass",
        "Redshift.15": "pass", "Redshift.16": "pass", "Sparkify.role": "pass", "Sparkify.ingress": "pass",
        "Sparkify.gateway": "pass", "Sparkify.work-bucket": "pass"}
    states = frame.set_index("control")["state"]
    assert states["Redshift.2"] == f"require_ssl = true in {settings.stack_name}-params"


def test_a_second_run_changes_nothing(on_emulator):
    settings, clients = on_emulator()
    infra.provision(settings, clients, progress=lambda _: None)
    with aws.recording() as calls:
        infra.provision(settings, clients, progress=lambda _: None)
    # idempotent, always applied; and every 01 moves the lease's deadline
    assert changes(calls) == [("redshift:ModifyClusterParameterGroup", REQUIRE_SSL), *lease(settings, "Update")]


def test_teardown_calls_are_on_the_list_too(on_emulator):
    settings, clients = on_emulator(**{"cluster.access": "direct", "network.allowed_cidrs": "203.0.113.7/32"})
    infra.provision(settings, clients, progress=lambda _: None)
    with aws.recording() as calls:
        assert infra.teardown(settings, clients, progress=lambda _: None) == []
    assert [a for a, _ in changes(calls)] == [
        "scheduler:DeleteSchedule", "iam:DeleteRolePolicy", "iam:DeleteRole",  # the lease first
        "redshift:DeleteCluster", "redshift:DeleteClusterSubnetGroup", "redshift:DeleteClusterParameterGroup",
        "logs:DeleteLogGroup", "logs:DeleteLogGroup", "logs:DeleteLogGroup", "ec2:DeleteVpcEndpoints", "ec2:DisassociateRouteTable", "ec2:DisassociateRouteTable", "ec2:DeleteRouteTable",
        "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway", "ec2:DeleteSecurityGroup", "ec2:DeleteSubnet",
        "ec2:DeleteSubnet", "ec2:DeleteVpc", "iam:DeleteRolePolicy", "iam:DeleteRole",
        "s3:DeleteBucket"]  # the work bucket, empty (DeleteObjects only when it holds manifests); not the boundary
    assert {a for a, _ in calls} <= set(access.actions("redshift", "provisioned", "direct"))
