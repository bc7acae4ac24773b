"""Every security control of 01 shown failing on a resource built to fail it
(issue 22): a control that says ``pass`` whatever it reads must fail a test.

Provisioned clusters are built on the emulator by hand, beside one provisioned
stack, each with the stack's secure settings but for the one a control
checks; what the emulator cannot make (a parameter group's ``require_ssl``,
a Serverless namespace and workgroup) comes as a botocore answer. The
controls already shown failing in tests/test_infra.py (Redshift.1, .3, .4,
.6, .7, .15 and Sparkify.ingress, on resources changed by hand) are not
repeated here.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from sparkify_nb import aws, config, infra, local
from sparkify_nb.infra.context import TAG_KEY
from tests.helpers import quiet, stack_settings
from tests.test_infra_sequence import on_emulator  # noqa: F401 (a fixture)

LOG_EXPORTS = ["connectionlog", "userlog", "useractivitylog"]
# One worker runs the module: its tests share one provisioned stack.
pytestmark = [pytest.mark.shared_setup, pytest.mark.slow(seconds=15)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """One provisioned default stack on the emulator: its network, role and groups."""
    settings = stack_settings(tmp_path_factory.mktemp("ctl"), "ctl")
    record = infra.provision(settings, progress=quiet)
    yield settings, record
    infra.teardown(settings, progress=quiet)  # also the clusters the tests made (they carry the stack's tag)


def results(frame):
    return dict(zip(frame["control"], zip(frame["state"], frame["result"])))


def handmade_cluster(stack, name, **changes):
    """A cluster of the stack (its tag, groups and role) made with 01's secure settings except
    ``changes``, audit logging on as 01 turns it on; returns settings naming it."""
    settings, record = stack
    stack_name = settings.stack_name
    ident = f"{stack_name}-{name}"
    redshift = aws.Clients(settings)("redshift")
    redshift.create_cluster(**{
        "ClusterIdentifier": ident, "NodeType": "ra3.large", "NumberOfNodes": 2, "ManageMasterPassword": True,
        "MasterUsername": "sparkify_admin", "DBName": "sparkify", "Port": 5439, "Encrypted": True,
        "PubliclyAccessible": False, "EnhancedVpcRouting": True, "AutomatedSnapshotRetentionPeriod": 7,
        "AllowVersionUpgrade": True, "ClusterSubnetGroupName": f"{stack_name}-subnets",
        "ClusterParameterGroupName": f"{stack_name}-params", "VpcSecurityGroupIds": [record["security_group_id"]],
        "IamRoles": [record["role_arn"]], "Tags": [{"Key": TAG_KEY, "Value": stack_name}], **changes})
    redshift.enable_logging(ClusterIdentifier=ident, LogDestinationType="cloudwatch", LogExports=LOG_EXPORTS)
    return stack_settings_for(settings, ident)


def stack_settings_for(settings, ident):
    """The stack's settings with another ``[cluster] identifier``."""
    return config.load(overrides={"general.stack_name": settings.stack_name, "cluster.identifier": ident},
                       environ={})


PASSING = {"Redshift.1": "pass", "Redshift.2": "n/a", "Redshift.3": "pass", "Redshift.4": "pass",
           "Redshift.6": "pass", "Redshift.7": "pass", "Redshift.8": "pass", "Redshift.9": "pass",
           "Redshift.10": "pass", "Redshift.15": "pass", "Redshift.16": "pass", "Sparkify.role": "pass",
           "Sparkify.ingress": "pass", "Sparkify.gateway": "pass"}


def test_a_handmade_cluster_with_01s_settings_passes_every_control(stack):
    """The control group of the tests below: only what each of them changes makes a control fail."""
    settings = handmade_cluster(stack, "same")
    found = results(infra.controls.table(settings, stack[1]))
    assert {c: r for c, (_, r) in found.items()} == PASSING


@pytest.mark.parametrize("control, name, changes, state", [
    ("Redshift.8", "awsuser", {"MasterUsername": "awsuser"}, "admin user: awsuser"),
    ("Redshift.9", "dev", {"DBName": "dev"}, "database: dev"),
    ("Redshift.10", "plain", {"Encrypted": False}, "encrypted: false"),
    ("Redshift.3", "six", {"AutomatedSnapshotRetentionPeriod": 6}, "retention: 6 days"),  # one day short of 7
])
def test_a_cluster_made_to_fail_one_control_fails_exactly_that_one_and_stops_01(stack, control, name, changes,
                                                                                  state):
    settings = handmade_cluster(stack, name, **changes)
    found = results(infra.controls.table(settings, stack[1]))
    assert found[control] == (state, "fail")
    assert {c: r for c, (_, r) in found.items() if c != control} == {c: r for c, r in PASSING.items()
                                                                     if c != control}
    with pytest.raises(infra.ControlsError, match=rf"failed security controls: {control} \(.+\): {state}\. "):
        infra.controls.require(infra.controls.report(settings, stack[1]))


def test_a_dc2_cluster_that_keeps_no_automated_snapshots_fails_redshift_3_saying_0_days(stack):
    """Retention 0 disables automated snapshots, which only a non-RA3 cluster may do ("You can't disable automated
    snapshots for RA3 node types", API_ModifyCluster.html): an existing dc2 cluster can. moto stores 0 as its
    default, 1, so DescribeClusters' answer is changed after the call to say 0."""
    settings = handmade_cluster(stack, "nosnap", NodeType="dc2.large")
    clients = aws.Clients(settings)

    def no_snapshots(parsed, **_):
        for found in parsed.get("Clusters", []):
            found["AutomatedSnapshotRetentionPeriod"] = 0

    redshift = clients("redshift")  # the process's one client for these settings (aws._client): put back after
    redshift.meta.events.register("after-call.redshift.DescribeClusters", no_snapshots)
    try:
        assert results(infra.controls.table(settings, stack[1], clients))["Redshift.3"] == ("retention: 0 days", "fail")
    finally:
        redshift.meta.events.unregister("after-call.redshift.DescribeClusters", no_snapshots)


def test_a_clusters_open_ingress_is_judged_on_the_port_its_endpoint_listens_on(stack):
    """DescribeClusters' Endpoint.Port (API_Endpoint.html), not [cluster] port: a cluster made on 5440 with a group
    open to the internet on 5440 fails Redshift.15 while the settings say 5439."""
    settings, record = stack
    open_group = open_to_the_internet(settings, record, "open-port", 5440)
    try:
        bad = handmade_cluster(stack, "port", Port=5440, VpcSecurityGroupIds=[open_group])
        found = results(infra.controls.table(bad, record))
    finally:
        aws.Clients(settings)("redshift").delete_cluster(ClusterIdentifier=f"{settings.stack_name}-port",
                                                         SkipFinalClusterSnapshot=True)
        aws.Clients(settings)("ec2").delete_security_group(GroupId=open_group)
    assert bad.get("cluster", "port") == 5439
    assert found["Redshift.15"] == ("open to the internet: 0.0.0.0/0 on 5440-5440", "fail")


def test_a_subnet_group_in_one_zone_fails_redshift_16(stack):
    settings, record = stack
    clients = aws.Clients(settings)
    zones = {s["SubnetId"]: s["AvailabilityZone"] for s in clients("ec2").describe_subnets(
        SubnetIds=record["subnet_ids"])["Subnets"]}
    first = record["subnet_ids"][0]
    extra = clients("ec2").create_subnet(VpcId=record["vpc_id"], CidrBlock="10.42.9.0/24",
                                         AvailabilityZone=zones[first],
                                         TagSpecifications=[{"ResourceType": "subnet", "Tags": [
                                             {"Key": TAG_KEY, "Value": settings.stack_name}]}])["Subnet"]
    clients("redshift").create_cluster_subnet_group(
        ClusterSubnetGroupName=f"{settings.stack_name}-onezone", Description="one zone",
        SubnetIds=[first, extra["SubnetId"]], Tags=[{"Key": TAG_KEY, "Value": settings.stack_name}])
    try:
        bad = handmade_cluster(stack, "onezone", ClusterSubnetGroupName=f"{settings.stack_name}-onezone")
        found = results(infra.controls.table(bad, record))
    finally:
        clients("redshift").delete_cluster(ClusterIdentifier=f"{settings.stack_name}-onezone",
                                           SkipFinalClusterSnapshot=True)
        clients("redshift").delete_cluster_subnet_group(ClusterSubnetGroupName=f"{settings.stack_name}-onezone")
        clients("ec2").delete_subnet(SubnetId=extra["SubnetId"])
    assert found["Redshift.16"] == (f"2 subnets in {zones[first]}", "fail")
    assert found["Redshift.7"][1] == "fail"  # the new subnet is on no route table with the S3 endpoint


def test_a_copy_role_that_may_write_or_has_a_managed_policy_fails_sparkify_role(stack):
    settings, record = stack
    iam = aws.Clients(settings)("iam")
    role = record["role_arn"].rsplit("/", 1)[1]
    iam.put_role_policy(RoleName=role, PolicyName="write-too", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", '
        '"Resource": "arn:aws:s3:::udacity-dend/*"}]}'))
    try:
        written = results(infra.controls.table(settings, record))["Sparkify.role"]
    finally:
        iam.delete_role_policy(RoleName=role, PolicyName="write-too")
    policy = iam.create_policy(PolicyName=f"{settings.stack_name}-read", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
        '"Resource": "arn:aws:s3:::udacity-dend/*"}]}'))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=policy)
    try:
        managed = results(infra.controls.table(settings, record))["Sparkify.role"]
    finally:
        iam.detach_role_policy(RoleName=role, PolicyArn=policy)
        iam.delete_policy(PolicyArn=policy)
    assert written[1] == "fail" and written[0].startswith("s3:GetObject, s3:ListBucket, s3:PutObject on ")
    assert managed[1] == "fail" and managed[0].endswith("; 1 managed policies")
    assert results(infra.controls.table(settings, record))["Sparkify.role"][1] == "pass"


@pytest.mark.parametrize("action, resource", [("s3:GetObject", "*"), ("s3:ListBucket", "arn:aws:s3:::another-bucket")])
def test_a_copy_role_that_reads_beyond_the_sources_fails_sparkify_role(stack, action, resource):
    """Only the actions were checked once: a role granted s3:GetObject on "*" passed."""
    settings, record = stack
    iam = aws.Clients(settings)("iam")
    role = record["role_arn"].rsplit("/", 1)[1]
    iam.put_role_policy(RoleName=role, PolicyName="read-more", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}))
    try:
        found = results(infra.controls.table(settings, record))["Sparkify.role"]
    finally:
        iam.delete_role_policy(RoleName=role, PolicyName="read-more")
    assert found == (f"s3:GetObject, s3:ListBucket on {settings.stack_name}-data; beyond the sources: {action} on "
                     f"{resource}; 0 managed policies", "fail")


def test_an_internet_gateway_of_the_stack_with_data_api_fails_sparkify_gateway(stack):
    settings, record = stack
    ec2 = aws.Clients(settings)("ec2")
    igw = ec2.create_internet_gateway(TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": [
        {"Key": TAG_KEY, "Value": settings.stack_name}]}])["InternetGateway"]["InternetGatewayId"]
    try:
        found = results(infra.controls.table(settings, record))
    finally:
        ec2.delete_internet_gateway(InternetGatewayId=igw)
    assert found["Sparkify.gateway"] == ("present (access = data_api)", "fail")


def test_a_parameter_group_without_require_ssl_fails_redshift_2_on_the_redshift_path(on_emulator):  # noqa: F811
    """moto cannot set a parameter group's parameters: DescribeClusterParameters is answered
    (``require_ssl = false``), after 01 provisioned on the redshift code path."""
    settings, clients = on_emulator()
    record = infra.provision(settings, clients, progress=quiet)
    events = clients("redshift").meta.events

    def ssl_off(**_):
        return AWSResponse(None, 200, {}, None), {"Parameters": [
            {"ParameterName": "require_ssl", "ParameterValue": "false", "Source": "user"}]}

    events.unregister("before-call.redshift.DescribeClusterParameters", unique_id="seq-describe")
    events.register("before-call.redshift.DescribeClusterParameters", ssl_off, unique_id="seq-describe")
    found = results(infra.controls.table(settings, record, clients))
    assert found["Redshift.2"] == (f"require_ssl = false in {settings.stack_name}-params", "fail")
    with pytest.raises(infra.ControlsError, match=r"Redshift\.2 \(require_ssl = true\): require_ssl = false"):
        infra.controls.require(infra.controls.report(settings, record, clients))


def serverless_answers(client, name, namespace, workgroup):
    stub = Stubber(client)
    stub.add_response("get_namespace", {"namespace": {"namespaceName": name, **namespace}})
    stub.add_response("get_workgroup", {"workgroup": {"workgroupName": name, **workgroup}})
    return stub


def open_to_the_internet(settings, record, name: str, port: int) -> str:
    """A security group of the stack's VPC open to 0.0.0.0/0 on ``port`` (the caller deletes it)."""
    ec2 = aws.Clients(settings)("ec2")
    group = ec2.create_security_group(GroupName=f"{settings.stack_name}-{name}", Description="open",
                                      VpcId=record["vpc_id"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return group


def serverless_of(settings, tmp_path):
    """The same stack as ``kind = serverless``, and a Serverless client for a Stubber (moto has none)."""
    serverless = stack_settings(tmp_path, "ctl", **{"cluster.kind": "serverless",
                                                    "general.stack_name": settings.stack_name,
                                                    "cluster.identifier": settings.get("cluster", "identifier")})
    return serverless, boto3.client("redshift-serverless", region_name="us-west-2", aws_access_key_id="testing",
                                    aws_secret_access_key="testing")


def test_without_the_warehouse_the_controls_table_fails_one_row_saying_it_is_missing(stack, tmp_path):
    """No cluster of the settings' name; a namespace whose workgroup is gone (GetWorkgroup's
    ResourceNotFoundException, API_GetWorkgroup.html): one failed row instead of the warehouse's controls, then the
    stack's own rows; require stops on it."""
    settings, record = stack
    missing = stack_settings_for(settings, f"{settings.stack_name}-absent")
    frame = infra.controls.table(missing, record)
    assert results(frame)["Redshift.*"] == (f"no cluster {settings.stack_name}-absent", "fail")
    assert list(frame["control"]) == ["Redshift.*", "Sparkify.role", "Sparkify.ingress", "Sparkify.gateway"]
    with pytest.raises(infra.ControlsError, match=r"Redshift\.\* \(a cluster to check\): no cluster "):
        infra.controls.require(infra.controls.report(missing, record))
    serverless, client = serverless_of(settings, tmp_path)
    name = serverless.get("cluster", "identifier")
    stub = Stubber(client)
    stub.add_response("get_namespace", {"namespace": {"namespaceName": name}}, {"namespaceName": name})
    stub.add_client_error("get_workgroup", "ResourceNotFoundException", expected_params={"workgroupName": name})
    with stub:
        frame = infra.controls.table(serverless, {**record, "kind": "serverless"},
                                     aws.Clients(serverless).use("redshift-serverless", client))
    assert results(frame)["Redshift.*"] == (f"no serverless namespace or workgroup {name}", "fail")
    assert list(frame["control"])[0] == "Redshift.*" and "Redshift.1" not in list(frame["control"])


def serverless_controls(stack, tmp_path, port: int, namespace: dict, workgroup: dict):
    """(the Serverless settings, the controls table's results) for a namespace and a workgroup answered by a
    Stubber (moto has no Serverless API), on the stack's first subnet with a group open to the internet on
    ``port`` (deleted afterwards); ``workgroup`` adds to or overrides those answers."""
    settings, record = stack
    ec2 = aws.Clients(settings)("ec2")
    open_group = open_to_the_internet(settings, record, f"open-{port}", port)
    serverless, client = serverless_of(settings, tmp_path)
    stub = serverless_answers(client, serverless.get("cluster", "identifier"), namespace, {
        "subnetIds": record["subnet_ids"][:1], "securityGroupIds": [open_group], **workgroup})
    try:
        with stub:
            return serverless, results(infra.controls.table(serverless, {**record, "kind": "serverless"},
                                                            aws.Clients(serverless).use("redshift-serverless", client)))
    finally:
        ec2.delete_security_group(GroupId=open_group)


def test_a_workgroups_open_ingress_is_judged_on_the_port_its_endpoint_listens_on(stack, tmp_path):
    """A workgroup's port is its own (GetWorkgroup's endpoint.port, API_Endpoint.html), not [cluster] port:
    the group open on 5440 fails Redshift.15 for a workgroup on 5440 while the settings say 5439."""
    serverless, found = serverless_controls(stack, tmp_path, 5440, {"adminUsername": "a", "dbName": "d"},
                                            {"endpoint": {"port": 5440}})
    assert serverless.get("cluster", "port") == 5439
    assert found["Redshift.15"] == ("open to the internet: 0.0.0.0/0 on 5440-5440", "fail")


def test_a_serverless_namespace_and_workgroup_built_to_fail_fail_every_row_they_decide(stack, tmp_path):
    """Namespace and workgroup answered (moto has no Serverless API) with every setting a control
    wants turned the wrong way, on the emulator's network: one subnet, a group open to the internet."""
    settings, record = stack
    namespace = {"adminUsername": "awsuser", "dbName": "dev", "logExports": []}
    _, found = serverless_controls(stack, tmp_path, 5439, namespace, {
        "publiclyAccessible": True, "enhancedVpcRouting": False, "endpoint": {"port": 5439},
        "configParameters": [{"parameterKey": "require_ssl", "parameterValue": "false"}]})
    ec2 = aws.Clients(settings)("ec2")
    zone = ec2.describe_subnets(SubnetIds=record["subnet_ids"][:1])["Subnets"][0]["AvailabilityZone"]
    assert {c: found[c] for c in ("Redshift.1", "Redshift.2", "Redshift.4", "Redshift.8", "Redshift.9",
                                  "Redshift.10", "Redshift.15", "Redshift.16")} == {
        "Redshift.1": ("publicly accessible: true", "fail"),
        "Redshift.2": ("workgroup require_ssl = false", "fail"),
        "Redshift.4": ("namespace log exports: none", "fail"),
        "Redshift.8": ("admin user: awsuser", "fail"),
        "Redshift.9": ("database: dev", "fail"),
        "Redshift.10": ("namespace KMS key: none", "fail"),
        "Redshift.15": ("open to the internet: 0.0.0.0/0 on 5439-5439", "fail"),
        "Redshift.16": (f"1 subnets in {zone}", "fail")}
    assert found["Redshift.7"] == ("enhanced VPC routing: false; S3 gateway endpoint on the route table of 1 of 1 "
                                   "subnets", "fail")


def test_a_work_bucket_is_brought_in_line_only_where_it_falls_short(tmp_path):
    """SSE-S3, all four public access blocks, objects expiring after EXPIRY_DAYS at most (a shorter expiry is
    kept): what is already so is not written again (the emulator's S3)."""
    from sparkify_nb.infra import workbucket

    s3 = boto3.client("s3", endpoint_url=local.aws_endpoint(), region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    name = f"wb-{tmp_path.name[-20:].lower().replace('_', '-')}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "long", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]})
    assert workbucket._bring_in_line(s3, name) == [
        "default encryption set to SSE-S3", "public access blocked",
        f"objects expire after {workbucket.EXPIRY_DAYS} days"]
    assert workbucket.settings_of(s3, name) == {"encryption": "AES256", "public_access_blocked": True,
                                                "expiry_days": workbucket.EXPIRY_DAYS}
    assert workbucket._bring_in_line(s3, name) == []
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "short", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]})
    assert workbucket._bring_in_line(s3, name) == []  # one day is within the three


@pytest.mark.parametrize("songs, logs, region", [
    ("s3://udacity-dend/song_data", "s3://udacity-dend/log_data", "us-west-2"),  # one known bucket: its Region
    ("s3://udacity-dend/song_data", "s3://mine/log_data", "eu-central-1"),  # two buckets: [general] region
    ("s3://mine/song_data", "s3://mine/log_data", "eu-central-1"),  # an unknown bucket: [general] region
], ids=["known", "two-buckets", "unknown"])
def test_the_work_bucket_goes_where_the_one_known_source_bucket_is_else_to_the_general_region(songs, logs, region):
    """A COPY manifest must be in the sources' Region (COPY's REGION, copy-parameters-data-source-s3.html)."""
    from sparkify_nb.infra import workbucket

    settings = config.load(overrides={"general.region": "eu-central-1", "s3.song_data": songs, "s3.log_data": logs})
    assert workbucket.region(settings, {}) == region
    assert workbucket.region(settings, {"source_region": "ap-south-1"}) == "ap-south-1"


def test_the_work_bucket_row_names_each_setting_that_falls_short_and_passes_what_01_sets(tmp_path):
    """The controls row reads the bucket back (workbucket.problems): SSE-KMS is not SSE-S3 (SSEAlgorithm AES256 is
    SSE-S3, aws:kms is SSE-KMS: API_ServerSideEncryptionByDefault.html), public access open, objects kept 30 days
    (more than EXPIRY_DAYS) each fail it; exactly EXPIRY_DAYS, as 01 writes it, passes. The emulator's S3."""
    from sparkify_nb.infra import controls, workbucket

    stack = f"wb{tmp_path.name[-8:].lower().replace('_', '-')}"
    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": stack, "cluster.identifier": f"{stack}-dwh"})
    s3 = boto3.client("s3", endpoint_url=local.aws_endpoint(), region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    ctx = infra.Context(settings, aws.Clients(settings).use("s3", s3), quiet, identity={
        "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/operator", "UserId": "AIDAOPERATOR"})
    name = workbucket.bucket_name(settings, "123456789012")
    assert workbucket.problems(ctx) == (name, ["no bucket of that name tagged as this stack's"])
    s3.create_bucket(Bucket=name)
    try:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": ctx.tags(name)})
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
            {"ID": "long", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]})
        row = controls.work_bucket_row(ctx)
        assert (row.state, row.result) == (
            f"{name}: default encryption aws:kms, not SSE-S3 (AES256); public access not blocked; objects expire "
            f"after 30 days, not {workbucket.EXPIRY_DAYS}", "fail")
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=workbucket.ENCRYPTION)
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=workbucket.BLOCK_ALL)
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration=workbucket.LIFECYCLE)
        row = controls.work_bucket_row(ctx)
        assert (row.state, row.result) == (f"{name}: SSE-S3, public access blocked, objects expire after 3 days",
                                           "pass")  # a manifest is read once, right after it is written
    finally:
        workbucket.delete_work_bucket(ctx, {"Name": name})


@pytest.mark.parametrize("permission, allow_public, state, result", [
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, False,
     "no rule for 0.0.0.0/0 or ::/0 on port 5439 in 1 security group(s)", "pass"),  # another port
    ({"IpProtocol": "tcp", "FromPort": 5440, "ToPort": 6000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, False,
     "no rule for 0.0.0.0/0 or ::/0 on port 5439 in 1 security group(s)", "pass"),  # a range above it
    ({"IpProtocol": "tcp", "FromPort": 5000, "ToPort": 5438, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, False,
     "no rule for 0.0.0.0/0 or ::/0 on port 5439 in 1 security group(s)", "pass"),  # a range below it
    ({"IpProtocol": "tcp", "FromPort": 5439, "ToPort": 5439, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, False,
     "no rule for 0.0.0.0/0 or ::/0 on port 5439 in 1 security group(s)", "pass"),  # the port, a private source
    ({"IpProtocol": "tcp", "FromPort": 5000, "ToPort": 6000, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}, False,
     "open to the internet: ::/0 on 5000-6000", "fail"),  # a range around it, IPv6
    ({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, False,
     "open to the internet: 0.0.0.0/0 on None-None", "fail"),  # every protocol: no ports, all of them
    ({"IpProtocol": "tcp", "FromPort": 5439, "ToPort": 5439, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, True,
     "open to the internet: 0.0.0.0/0 on 5439-5439; accepted: [network] allow_public_ingress = true", "exception"),
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, True,
     "no rule for 0.0.0.0/0 or ::/0 on port 5439 in 1 security group(s)", "pass"),  # nothing to accept
], ids=["other-port", "range-above", "range-below", "private-source", "range-around-v6", "all-protocols",
        "accepted", "allowed-but-closed"])
def test_redshift_15_fails_a_rule_open_to_the_internet_whose_ports_hold_the_warehouses_port(
        tmp_path, permission, allow_public, state, result):
    """Only a rule from 0.0.0.0/0 or ::/0 whose FromPort-ToPort holds the port fails it; IpProtocol -1 names no
    ports and "allows traffic on all ports" (API_IpPermission.html); [network] allow_public_ingress accepts an open
    rule (an exception) and nothing else. DescribeSecurityGroups answered (Stubber)."""
    from sparkify_nb.infra import controls
    from tests.helpers import stubbed, stubbed_context

    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "network.allow_public_ingress": allow_public})
    client, stub = stubbed("ec2")
    stub.add_response("describe_security_groups", {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [
        permission]}]}, {"GroupIds": ["sg-1"]})
    with stub:
        row = controls._open_ingress(stubbed_context(settings, {"ec2": client}), ["sg-1"], 5439)
    assert (row.control, row.state, row.result) == ("Redshift.15", state, result)


def test_redshift_15_of_no_security_group_asks_ec2_nothing_and_passes(tmp_path):
    from sparkify_nb.infra import controls
    from tests.helpers import stubbed, stubbed_context

    client, stub = stubbed("ec2")  # nothing queued: a call fails the test
    with stub:
        row = controls._open_ingress(stubbed_context(config.load(tmp_path / "absent.cfg", environ={}, overrides={
            "general.target": "redshift"}), {"ec2": client}), [], 5439)
    assert (row.state, row.result) == ("no rule for 0.0.0.0/0 or ::/0 on port 5439 in 0 security group(s)", "pass")


def test_what_the_copy_role_is_granted_counts_notaction_and_notresource_as_everything_and_skips_deny(tmp_path):
    """Sparkify.role reads the role's grants (roles.role_grants): NotAction "matches everything except the specified
    list of actions" and NotResource every resource but those listed (reference_policies_elements_notaction.html,
    reference_policies_elements_notresource.html), so each counts as ``*``; a Deny grants nothing and does not end
    the reading; a Statement may be one object instead of a list (reference_policies_elements_statement.html).
    IAM answered (Stubber)."""
    from sparkify_nb.infra import roles
    from tests.helpers import stubbed, stubbed_context

    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": "gr"})
    client, stub = stubbed("iam", "us-east-1")
    role = {"RoleName": "gr-redshift-copy"}
    stub.add_response("list_attached_role_policies", {"AttachedPolicies": [
        {"PolicyName": "p", "PolicyArn": "arn:aws:iam::123456789012:policy/p"}]}, role)
    stub.add_response("list_role_policies", {"PolicyNames": ["several", "one"]}, role)
    for name, statement in (("several", [
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "arn:aws:s3:::b"},
            {"Effect": "Allow", "Action": ["s3:GetObject"], "NotResource": "arn:aws:s3:::b/secret/*"}]),
            ("one", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::c"]})):
        stub.add_response("get_role_policy", {"RoleName": "gr-redshift-copy", "PolicyName": name, "PolicyDocument":
                                              json.dumps({"Version": "2012-10-17", "Statement": statement})},
                          {**role, "PolicyName": name})
    with stub:
        grants, managed = roles.role_grants(stubbed_context(settings, {"iam": client}))
    stub.assert_no_pending_responses()
    assert grants == {"*": {"arn:aws:s3:::b"}, "s3:GetObject": {"*"},
                      "s3:ListBucket": {"arn:aws:s3:::b", "arn:aws:s3:::c"}}
    assert managed == 1


@pytest.mark.parametrize("head, create, said", [
    ((404, "404"), "BucketAlreadyExists", "S3 bucket wb-work-123456789012: the name is taken by another AWS account; "
                                          "choose another [general] stack_name"),
    ((403, "403"), None, "S3 bucket wb-work-123456789012 exists and is not ours (403); choose another [general] "
                         "stack_name"),
], ids=["taken-at-create", "forbidden-at-head"])
def test_a_work_bucket_name_held_by_another_account_is_a_conflict_and_nothing_is_written(tmp_path, head, create, said):
    """HeadBucket answers "403 Forbidden" for a bucket the caller may not access (API_HeadBucket.html), and a name
    another account holds fails CreateBucket with BucketAlreadyExists ("The bucket namespace is shared by all users
    of the system", API_CreateBucket.html). S3 answered (Stubber): no tagging or setting call follows."""
    from sparkify_nb.infra import workbucket
    from tests.helpers import stubbed

    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": "wb"})
    client, stub = stubbed("s3", "us-west-2")
    name = "wb-work-123456789012"
    stub.add_client_error("head_bucket", head[1], http_status_code=head[0], expected_params={"Bucket": name})
    if create:
        stub.add_client_error("create_bucket", create, http_status_code=409, expected_params={
            "Bucket": name, "CreateBucketConfiguration": {"LocationConstraint": "us-west-2"}})
    ctx = infra.Context(settings, aws.Clients(settings).use("s3", client), quiet, identity={
        "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/operator", "UserId": "AIDAOPERATOR"})
    with stub, pytest.raises(infra.ConflictError) as refused:
        workbucket.ensure_work_bucket(ctx, {"source_region": "us-west-2"})
    stub.assert_no_pending_responses()
    assert str(refused.value) == said


def test_01_makes_the_work_bucket_tagged_in_the_sources_region_then_finds_it_and_refuses_one_elsewhere_or_not_ours(
        tmp_path):
    """ensure_work_bucket on the emulator's S3 (redshift settings): made in the sources' Region ("all resources,
    including a manifest file ... must be located in the specified region", copy-parameters-data-source-s3.html),
    tagged and brought in line; a second 01 finds it and writes nothing; sources in another Region, or the stack's
    tag gone, stop 01 before anything is written."""
    from sparkify_nb.infra import workbucket

    stack = f"wm{tmp_path.name[-8:].lower().replace('_', '-')}"
    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": stack, "cluster.identifier": f"{stack}-dwh"})
    s3 = boto3.client("s3", endpoint_url=local.aws_endpoint(), region_name="us-west-2", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    lines = []
    ctx = infra.Context(settings, aws.Clients(settings).use("s3", s3), lines.append, identity={
        "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/operator", "UserId": "AIDAOPERATOR"})
    name = workbucket.bucket_name(settings, "123456789012")
    try:
        made = workbucket.ensure_work_bucket(ctx, {"source_region": "us-west-2"})
        assert made == {"work_bucket": name, "work_bucket_region": "us-west-2"}
        assert lines == [f"S3 work bucket {name}: created in us-west-2 (daily loads' COPY manifests, kept "
                         f"{workbucket.EXPIRY_DAYS} days)", f"S3 work bucket {name}: default encryption set to SSE-S3",
                         f"S3 work bucket {name}: public access blocked",
                         f"S3 work bucket {name}: objects expire after {workbucket.EXPIRY_DAYS} days"]
        assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "us-west-2"
        assert workbucket.problems(ctx) == (name, [])
        lines.clear()
        assert workbucket.ensure_work_bucket(ctx, {"source_region": "us-west-2"}) == made
        assert lines == [f"S3 work bucket {name}: exists"]
        with pytest.raises(infra.InfraError, match=rf"^S3 work bucket {name} is in us-west-2, the sources in "
                                                   r"eu-central-1: a COPY manifest must be in the sources' Region"):
            workbucket.ensure_work_bucket(ctx, {"source_region": "eu-central-1"})
        s3.delete_bucket_tagging(Bucket=name)
        with pytest.raises(infra.ConflictError, match=rf"^S3 bucket {name} exists but is not tagged"):
            workbucket.ensure_work_bucket(ctx, {"source_region": "us-west-2"})
    finally:
        workbucket.delete_work_bucket(ctx, {"Name": name})
