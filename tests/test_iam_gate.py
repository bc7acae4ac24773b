"""The IAM gate in front of the emulator (sparkify_nb/local/iam/gate.py, requests.py): a rehearsal
operator's requests, sent by real boto3 clients to the session's emulator, are authorised against the
policy the operator holds, and refused as the service refuses them. Each operator here holds a small
policy of its own, in an account of its own."""

import io
import json
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from sparkify_nb import config, local
from sparkify_nb.iam import touches
from sparkify_nb.local.iam import account, requests

REGION = "us-west-2"


def _operator(*statements):
    """A fresh account whose operator holds exactly ``statements``; (account id, boto3 session)."""
    endpoint = local.aws_endpoint()
    made = account.create(endpoint)
    settings = config.load(overrides={"general.stack_name": f"g{uuid.uuid4().hex[:6]}"})
    account.attach(endpoint, made, settings, [{"Version": "2012-10-17", "Statement": list(statements)}])
    key_id, secret = account.keys(made)
    return made, boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION)


def test_the_permissions_report_names_the_statement_that_allowed_each_pair_and_those_that_allowed_nothing():
    from sparkify_nb.local.iam import report

    notes = [{"action": "ec2:CreateVpc", "resource": "arn:v", "sid": "A", "outcome": "allowed"},
             {"action": "ec2:CreateVpc", "resource": "arn:v", "sid": "A", "outcome": "allowed"},
             {"action": "s3:GetObject", "resource": "arn:o", "sid": "", "outcome": "implicit deny"},
             {"action": "kms:Decrypt", "resource": "", "sid": "", "outcome": "unevaluated"}]
    policy = [{"Statement": [{"Sid": "A", "Effect": "Allow"}, {"Sid": "B", "Effect": "Allow"},
                             {"Sid": "D", "Effect": "Deny"}]}]
    built = report.build(notes, policy)
    assert built["allowed"] == [{"action": "ec2:CreateVpc", "resource": "arn:v", "sid": "A"}]
    assert built["refused"] == [{"action": "s3:GetObject", "resource": "arn:o", "why": "implicit deny"}]
    assert built["allowed_nothing"] == ["B"]
    assert built["unevaluated"] == ["kms:Decrypt"]


def test_the_statements_table_names_the_runs_that_used_an_action_only_when_not_every_run_did():
    from sparkify_nb.local.iam import report

    reports = {"a": {"allowed": [{"sid": "SourceBuckets", "action": "s3:ListBucket"},
                                 {"sid": "SourceBuckets", "action": "s3:GetBucketLocation"}], "allowed_nothing": []},
               "b": {"allowed": [{"sid": "SourceBuckets", "action": "s3:ListBucket"}],
                     "allowed_nothing": ["SourceObjects"]}}
    rows = {line.split(" | ")[0]: line for line in report.statements_table(reports).splitlines()}
    assert rows["| SourceBuckets"].endswith("| `s3:GetBucketLocation` (a); `s3:ListBucket` |")
    assert "| nothing (in these four runs" in rows["| SourceObjects"]
    assert rows["| CompactIntoYourBucket"].endswith("| not in these runs' policy (a setting adds it) |")
    docs = f"# Before\n{report.DOCS_START}\nold rows\n{report.DOCS_END}\nAfter\n"
    new = f"{report.DOCS_START}\nnew rows\n{report.DOCS_END}"
    assert report.docs_with(new, docs) == f"# Before\n{new}\nAfter\n"


def _client(session, service):
    from botocore.config import Config

    return session.client(service, endpoint_url=local.aws_endpoint(),
                          config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


def _allow(action, resource="*", **condition):
    return {"Sid": action.replace(":", "").replace("*", "All"), "Effect": "Allow", "Action": action,
            "Resource": resource, **({"Condition": condition} if condition else {})}


def _refused(exc_info):
    error = exc_info.value.response["Error"]
    return error["Code"], error["Message"]


def test_ec2_refuses_with_unauthorized_operation_naming_the_action_and_the_resource():
    made, session = _operator(_allow("ec2:CreateVpc"), _allow("ec2:Describe*"))
    ec2 = _client(session, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ClientError) as refused:
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")
    code, message = _refused(refused)
    assert code == "UnauthorizedOperation"
    assert message == (f"You are not authorized to perform this operation. User: arn:aws:iam::{made}:user/"
                       f"sparkify-operator is not authorized to perform: ec2:CreateSubnet on resource: "
                       f"arn:aws:ec2:{REGION}:{made}:subnet/* because no identity-based policy allows the "
                       "ec2:CreateSubnet action")
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"] == []  # never served
    from sparkify_nb.local.iam import report
    from sparkify_nb.local.iam.authorize import authorize

    noted = {(n["action"], n["sid"], n["outcome"]) for n in report.read(made)}  # the permissions report's notes
    assert {("ec2:CreateVpc", "ec2CreateVpc", "allowed"), ("ec2:CreateSubnet", "", "implicit deny")} <= noted
    who, subnet = account.principal(made), f"arn:aws:ec2:{REGION}:{made}:subnet/*"
    assert authorize(who, "ec2:CreateVpc", ["*"], {}).allowed
    assert not authorize(who, "ec2:CreateSubnet", [subnet], {}).allowed


def test_a_changed_policy_is_in_force_at_the_next_request():
    """The gate caches a principal's documents by the version of its policies: a change is never served stale
    (IAM itself is eventually consistent, troubleshoot_general.html#troubleshoot_general_eventual-consistency;
    the rehearsal takes the strictest reading, no delay)."""
    made, session = _operator(_allow("ec2:DescribeVpcs"))
    ec2 = _client(session, "ec2")
    assert ec2.describe_vpcs()["Vpcs"] is not None
    account.admin_client(local.aws_endpoint(), made, "iam", REGION).put_user_policy(
        UserName=account.OPERATOR, PolicyName="no-vpcs",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "ec2:DescribeVpcs", "Resource": "*"}]}))
    with pytest.raises(ClientError) as refused:
        ec2.describe_vpcs()
    assert _refused(refused)[0] == "UnauthorizedOperation"


def test_a_create_is_authorised_on_the_existing_vpc_too_with_that_vpcs_tags():
    made, session = _operator(_allow("ec2:CreateVpc"), _allow("ec2:CreateTags"),
                              _allow("ec2:CreateSubnet", f"arn:aws:ec2:{REGION}:*:subnet/*"))
    # the Allow names subnets only: the VPC the subnet goes into is refused (the SAR's CreateSubnet requires vpc*)
    ec2 = _client(session, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ClientError) as refused:
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")
    assert f"on resource: arn:aws:ec2:{REGION}:{made}:vpc/{vpc} " in _refused(refused)[1]


def test_tags_given_at_creation_need_ec2_create_tags_with_the_create_action():
    tagged = [{"ResourceType": "vpc", "Tags": [{"Key": "sparkify:stack", "Value": "s"}]}]
    made, session = _operator(_allow("ec2:CreateVpc"))
    with pytest.raises(ClientError) as refused:
        _client(session, "ec2").create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tagged)
    assert "perform: ec2:CreateTags on resource: " in _refused(refused)[1]
    made, session = _operator(_allow("ec2:CreateVpc"), _allow("ec2:CreateTags", **{
        "StringEquals": {"ec2:CreateAction": "CreateVpc", "aws:RequestTag/sparkify:stack": "s"}}))
    assert _client(session, "ec2").create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tagged)["Vpc"]["VpcId"]


def test_an_existing_resource_is_decided_with_its_current_tags():
    made, session = _operator(_allow("ec2:CreateVpc"), _allow("ec2:CreateTags"), _allow("ec2:DeleteVpc", **{
        "StringEquals": {"aws:ResourceTag/sparkify:stack": "ours"}}))
    ec2 = _client(session, "ec2")
    spec = lambda value: [{"ResourceType": "vpc", "Tags": [{"Key": "sparkify:stack", "Value": value}]}]  # noqa: E731
    theirs = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec("theirs"))["Vpc"]["VpcId"]
    ours = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=spec("ours"))["Vpc"]["VpcId"]
    with pytest.raises(ClientError) as refused:
        ec2.delete_vpc(VpcId=theirs)
    assert _refused(refused)[0] == "UnauthorizedOperation"
    ec2.delete_vpc(VpcId=ours)


def test_handing_a_role_to_redshift_needs_pass_role_to_that_service():
    made, session = _operator(_allow("redshift:CreateCluster"), _allow("iam:CreateServiceLinkedRole"),
                              _allow("iam:PassRole", **{"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}))
    role = f"arn:aws:iam::{made}:role/copy"
    with pytest.raises(ClientError) as refused:
        _client(session, "redshift").create_cluster(
            ClusterIdentifier=f"g{uuid.uuid4().hex[:6]}", NodeType="ra3.large", MasterUsername="admin",
            MasterUserPassword="Rehearsal1x", IamRoles=[role])
    code, message = _refused(refused)
    assert (code, f"perform: iam:PassRole on resource: {role} " in message) == ("AccessDenied", True)


def test_a_cluster_whose_admin_password_redshift_manages_needs_the_secrets_manager_actions_on_its_secret():
    """The SAR lists secretsmanager:* as dependent actions of CreateCluster (sar.json); Redshift makes the secret
    with the caller's rights (redshift-secrets-manager-integration.html)."""
    ident = f"g{uuid.uuid4().hex[:6]}"
    basics = [_allow("redshift:CreateCluster"), _allow("redshift:DeleteCluster"), _allow("iam:CreateServiceLinkedRole")]
    made, session = _operator(*basics, _allow("secretsmanager:GetRandomPassword"))
    with pytest.raises(ClientError) as refused:
        _client(session, "redshift").create_cluster(ClusterIdentifier=ident, NodeType="ra3.large",
                                                    MasterUsername="boss", ManageMasterPassword=True)
    code, message = _refused(refused)
    assert code == "AccessDenied" and (f"perform: secretsmanager:CreateSecret on resource: arn:aws:secretsmanager:"
                                       f"{REGION}:{made}:secret:redshift!{ident}-boss-" in message), message
    made, session = _operator(*basics, _allow("secretsmanager:*", f"arn:aws:secretsmanager:*:*:secret:redshift!{ident}-boss-*"),
                              _allow("secretsmanager:GetRandomPassword"))
    redshift = _client(session, "redshift")
    redshift.create_cluster(ClusterIdentifier=ident, NodeType="ra3.large", MasterUsername="boss",
                            ManageMasterPassword=True)
    redshift.delete_cluster(ClusterIdentifier=ident, SkipFinalClusterSnapshot=True)


def test_a_roles_boundary_condition_reads_the_boundary_asked_for():
    boundary = "arn:aws:iam::{}:policy/b"
    made, session = _operator({"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*",
                               "Condition": {"ArnEquals": {"iam:PermissionsBoundary": boundary.format("*")}}})
    iam = _client(session, "iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    with pytest.raises(ClientError) as refused:
        iam.create_role(RoleName="unbounded", AssumeRolePolicyDocument=trust)
    assert _refused(refused)[0] == "AccessDenied"
    iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=trust, PermissionsBoundary=boundary.format(made))


def test_cloudwatch_logs_refuses_with_access_denied_exception():
    made, session = _operator(_allow("logs:DescribeLogGroups"))
    with pytest.raises(ClientError) as refused:
        _client(session, "logs").create_log_group(logGroupName="/g")
    code, message = _refused(refused)
    assert code == "AccessDeniedException"
    assert f"perform: logs:CreateLogGroup on resource: arn:aws:logs:{REGION}:{made}:log-group:/g " in message


def test_s3_list_is_decided_with_the_prefix_asked_for():
    bucket = f"g{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=local.aws_endpoint(), region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=bucket)
    made, session = _operator(_allow("s3:ListBucket", f"arn:aws:s3:::{bucket}",
                                     **{"StringLike": {"s3:prefix": ["log_data/*"]}}))
    s3 = _client(session, "s3")
    assert s3.list_objects_v2(Bucket=bucket, Prefix="log_data/2018")["KeyCount"] == 0
    with pytest.raises(ClientError) as refused:
        s3.list_objects_v2(Bucket=bucket, Prefix="song_data/")
    assert _refused(refused)[0] == "AccessDenied"


def test_neither_the_administrator_nor_the_local_target_is_gated():
    made, _ = _operator(_allow("sts:GetCallerIdentity"))
    key_id, secret = account.keys(made, account.ADMINISTRATOR)
    admin = boto3.client("ec2", endpoint_url=local.aws_endpoint(), region_name=REGION, aws_access_key_id=key_id,
                         aws_secret_access_key=secret)
    assert admin.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["OwnerId"] == made
    on_local = boto3.client("ec2", endpoint_url=local.aws_endpoint(), region_name=REGION, aws_access_key_id="testing",
                            aws_secret_access_key="testing")
    assert on_local.describe_vpcs()["Vpcs"]


@pytest.mark.parametrize("service, operation, params, wanted", [
    ("ec2", "CreateSubnet", {"VpcId": "vpc-1", "TagSpecification.1.ResourceType": "subnet",
                             "TagSpecification.1.Tag.1.Key": "k", "TagSpecification.1.Tag.1.Value": "v"},
     [("ec2:CreateSubnet", ["ec2:::subnet/*", "ec2:::vpc/vpc-1"]), ("ec2:CreateTags", ["ec2:::subnet/*"])]),
    ("ec2", "CreateVpcEndpoint", {"VpcId": "vpc-1", "RouteTableId.1": "rtb-1"},
     [("ec2:CreateVpcEndpoint", ["ec2:::vpc-endpoint/*", "ec2:::vpc/vpc-1", "ec2:::route-table/rtb-1"])]),
    ("ec2", "AttachInternetGateway", {"InternetGatewayId": "igw-1", "VpcId": "vpc-1"},
     [("ec2:AttachInternetGateway", ["ec2:::internet-gateway/igw-1", "ec2:::vpc/vpc-1"])]),
    ("ec2", "AssociateRouteTable", {"RouteTableId": "rtb-1", "SubnetId": "subnet-1"},
     [("ec2:AssociateRouteTable", ["ec2:::route-table/rtb-1", "ec2:::subnet/subnet-1"])]),
    ("redshift", "GetClusterCredentials", {"ClusterIdentifier": "c", "DbUser": "u", "DbName": "d"},
     [("redshift:GetClusterCredentials", ["redshift:::dbuser:c/u", "redshift:::dbname:c/d"])]),
    ("redshift", "ModifyClusterIamRoles", {"ClusterIdentifier": "c", "AddIamRoles.IamRoleArn.1": "arn:r"},
     [("redshift:ModifyClusterIamRoles", ["redshift:::cluster:c"]), ("iam:PassRole", ["arn:r"])]),
    ("iam", "PutRolePolicy", {"RoleName": "r"}, [("iam:PutRolePolicy", ["iam:::role/r"])]),
    # a final snapshot is a snapshot made: redshift:CreateClusterSnapshot on it too; none without one
    ("redshift", "DeleteCluster", {"ClusterIdentifier": "c", "SkipFinalClusterSnapshot": True},
     [("redshift:DeleteCluster", ["redshift:::cluster:c"])]),
    ("redshift", "DeleteCluster", {"ClusterIdentifier": "c", "FinalClusterSnapshotIdentifier": "f"},
     [("redshift:DeleteCluster", ["redshift:::cluster:c"]), ("redshift:CreateClusterSnapshot", ["redshift:::snapshot:c/f"])]),
    ("redshift-serverless", "UpdateNamespace", {"namespaceName": "n", "iamRoles": ["arn:r"]},
     [("iam:PassRole", ["arn:r"])]),  # (a namespace the emulator does not hold: nothing else to authorise)
    ("s3", "DeleteObjects", {"Bucket": "b", "Key": "", "query": {}, "Keys": ["a", "b/c"]},
     [("s3:DeleteObject", ["s3:::b/a"]), ("s3:DeleteObject", ["s3:::b/b/c"])]),
    ("ec2", "DescribeVpcs", {}, [("ec2:DescribeVpcs", ["*"])]),
    ("scheduler", "CreateSchedule", {"Name": "n", "GroupName": "default", "Target": {"RoleArn": "arn:r"}},
     [("scheduler:CreateSchedule", ["scheduler:::schedule/default/n"]), ("iam:PassRole", ["arn:r"])]),
    ("iam", "CreateServiceLinkedRole", {"AWSServiceName": "redshift.amazonaws.com"},
     [("iam:CreateServiceLinkedRole",
       ["iam:::role/aws-service-role/redshift.amazonaws.com/AWSServiceRoleForRedshift"])]),
])
def test_what_each_operation_of_the_suite_touches(service, operation, params, wanted):
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")

    class Nothing(requests.Lookup):
        def ec2_tags(self, resource_id):
            return {}

        def redshift_tags(self, arn):
            return {}

        def role(self, name):
            return None

    found = touches.authorisations(requests.Call(service, "r", operation, params), who, Nothing("1", "r"))
    short = [(a.action, [r.replace(":r:1:", ":::").replace("::1:", ":::").replace("arn:aws:", "") for r in a.resources])
             for a in found]
    assert short == wanted


@pytest.mark.parametrize("params", [{"logGroupName": "/sparkify/g"},
                                    {"resourceArn": "arn:aws:logs:r:1:log-group:/sparkify/g:*"}], ids=["name", "arn"])
def test_a_log_group_is_decided_with_the_tags_of_the_group_it_names_by_name_or_arn(params):
    """CloudWatch Logs authorises on arn:...:log-group:NAME with aws:ResourceTag/* (list_amazoncloudwatchlogs.html);
    an ARN in a request may end in :* (TagResource takes the group's ARN)."""
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")

    class Tagged(requests.Lookup):
        def log_group_tags(self, group):
            return {"stack": "s"} if group == "/sparkify/g" else {}

    operation = "PutRetentionPolicy" if "logGroupName" in params else "TagResource"
    [found] = touches.authorisations(requests.Call("logs", "r", operation, params), who, Tagged("1", "r"))
    arn = found.resources[0]
    assert arn.endswith(":log-group:/sparkify/g") and found.per_resource[arn] == {"aws:ResourceTag/stack": "s"}


def test_an_arn_that_repeats_log_group_does_not_borrow_the_tags_of_the_group_named_after_the_second():
    """A log group's name has no colon (API_CreateLogGroup.html: [\\.\\-_/#A-Za-z0-9]+), so the name in
    arn:...:log-group:a:log-group:b is everything after the first ':log-group:', a group that cannot exist:
    decided with no tags, never with those of the stack's group b."""
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")

    class Tagged(requests.Lookup):
        def log_group_tags(self, group):
            return {"stack": "s"} if group == "/sparkify/g" else {}

    arn = "arn:aws:logs:r:1:log-group:elsewhere:log-group:/sparkify/g"
    [found] = touches.authorisations(requests.Call("logs", "r", "TagResource", {"resourceArn": arn}), who,
                                     Tagged("1", "r"))
    assert found.resources == [arn] and found.per_resource[arn] == {}


@pytest.mark.parametrize("account, tagged", [("1", {"iam:ResourceTag/stack": "s"}), ("2", {})],
                         ids=["own account", "another account"])
def test_assume_role_is_decided_with_the_roles_tags_when_the_role_is_of_the_callers_account(account, tagged):
    """sts:AssumeRole takes iam:ResourceTag/${TagKey} (the SAR's row for AWS STS, sparkify_nb/iam/sar.json); the
    gate reads a role's tags in the caller's own account only (another account's roles are not its to read)."""
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")

    class Tagged(requests.Lookup):
        def role_tags(self, name):
            return {"stack": "s"} if name == "lease" else {}

    arn = f"arn:aws:iam::{account}:role/sparkify/lease"
    [found] = touches.authorisations(requests.Call("sts", "r", "AssumeRole", {"RoleArn": arn}), who, Tagged("1", "r"))
    assert found.action == "sts:AssumeRole" and found.resources == [arn] and found.per_resource[arn] == tagged


@pytest.mark.parametrize("statement, owner", [("theirs", "AIDAOTHER"), ("unknown", "AIDA")])
def test_reading_a_statement_back_is_decided_on_its_owner_and_an_unknown_one_on_the_caller(statement, owner):
    """DescribeStatement, GetStatementResult and CancelStatement carry redshift-data:statement-owner-iam-userid
    (data-api-access.html): the user id of whoever ran the statement; for an id the endpoint does not know,
    the caller's own (the call then fails as not found, whatever the policy)."""
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")

    class Owners(requests.Lookup):
        def statement_owner(self, statement_id):
            return {"theirs": "AIDAOTHER"}.get(statement_id)

    for operation in ("DescribeStatement", "GetStatementResult", "CancelStatement"):
        [found] = touches.authorisations(requests.Call("redshift-data", "r", operation, {"Id": f"{statement}:2"}),
                                         who, Owners("1", "r"))
        assert found.action == f"redshift-data:{operation}" and found.resources == ["*"]
        assert found.context["redshift-data:statement-owner-iam-userid"] == owner


@pytest.mark.parametrize("service, operation, params", [
    ("redshift", "DeleteCluster", {}),  # its required ClusterIdentifier is missing: the service refuses it
    ("sts", "GetSessionToken", {})])  # an STS call the table does not list, on no resource the SAR requires
def test_a_call_the_gate_cannot_name_a_resource_for_is_left_to_the_service(service, operation, params):
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")
    assert touches.authorisations(requests.Call(service, "r", operation, params), who) is None


def test_iam_resources_name_no_region():
    """IAM is global: its ARNs carry no Region (reference_identifiers.html, "IAM ARNs"), arn:aws:iam::ACCOUNT:..."""
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")
    for operation, params in [("CreateServiceLinkedRole", {"AWSServiceName": "redshift.amazonaws.com"}),
                              ("PutRolePolicy", {"RoleName": "r"})]:
        [found] = touches.authorisations(requests.Call("iam", "us-west-2", operation, params), who)
        assert [r.split(":")[3] for r in found.resources] == [""], operation


def test_an_operation_the_table_does_not_know_and_that_requires_a_resource_is_not_gated():
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")
    assert touches.authorisations(requests.Call("ec2", "r", "DeleteNatGateway", {}), who) is None


def test_a_scheduler_operation_other_than_the_leases_four_is_not_gated_rather_than_allowed_with_nothing():
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")
    call = requests.Call("scheduler", "r", "TagResource", {"ResourceArn": "arn:aws:scheduler:r:1:schedule/default/n"})
    assert touches.authorisations(call, who) is None


def test_a_signature_names_the_key_the_region_and_the_service_it_was_signed_for():
    header = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/eu-west-1/ec2/aws4_request, SignedHeaders=host"
    assert requests.signed(header) == ("AKIAEXAMPLE", "eu-west-1", "ec2")
    assert requests.signed("") is None


def test_a_scheduler_rest_request_is_read_as_its_operation_and_schedule():
    call = requests.parse("DELETE", "/schedules/lease-x", "groupName=default",
                          {"authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-west-2/scheduler/aws4_request"},
                          b"")
    assert (call.operation, call.params["Name"], call.params["GroupName"]) == ("DeleteSchedule", "lease-x", "default")


def test_a_schedules_group_comes_from_its_body_else_the_query_else_default_and_other_paths_are_no_schedule():
    """API_CreateSchedule.html: POST /schedules/Name with GroupName in the JSON body; API_DeleteSchedule.html and
    API_GetSchedule.html: groupName in the query; "default" when none is given. /schedule-groups/... is no
    schedule operation."""
    auth = {"authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-west-2/scheduler/aws4_request"}
    made = requests.parse("POST", "/schedules/lease-x", "", auth, b'{"GroupName": "mine"}')
    assert (made.operation, made.params["Name"], made.params["GroupName"]) == ("CreateSchedule", "lease-x", "mine")
    assert requests.parse("GET", "/schedules/lease-x", "", auth, b"").params["GroupName"] == "default"
    group = requests.parse("GET", "/schedule-groups/default", "", auth, b"")
    assert group.operation == "GET /schedule-groups/default" and "Name" not in group.params


def test_a_query_request_that_repeats_a_parameter_is_read_with_its_first_value_as_the_emulator_serves_it():
    """The emulator (moto.core.responses.BaseResponse.setup_class) reads a form body's parameters with werkzeug's
    form.items(): each key's first value. The gate must ask IAM about the operation the emulator will serve."""
    auth = {"authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-west-2/ec2/aws4_request"}
    call = requests.parse("POST", "/", "", auth, b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16&Action=DescribeVpcs"
                                                 b"&CidrBlock=10.9.0.0%2F16")
    assert (call.operation, call.params) == ("CreateVpc", {"CidrBlock": "10.0.0.0/16"})


def test_an_s3_request_names_its_bucket_and_key_and_a_delete_objects_request_its_keys():
    auth = {"authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-west-2/s3/aws4_request"}
    got = requests.parse("GET", "/songs/A/A/A/TRAAAAK.json", "", auth, None)
    assert (got.operation, got.params["Bucket"], got.params["Key"]) == ("GetObject", "songs", "A/A/A/TRAAAAK.json")
    deleted = requests.parse("POST", "/work", "delete=", auth,
                             b"<Delete><Object><Key>parts/a.parquet</Key></Object>"
                             b"<Object><Key>b</Key></Object></Delete>")
    assert (deleted.operation, deleted.params["Keys"]) == ("DeleteObjects", ["parts/a.parquet", "b"])
    assert "Keys" not in requests.parse("PUT", "/work/parts/a.parquet", "", auth, b"<Key>x</Key>").params


def test_the_gate_reads_an_s3_body_only_for_delete_objects_and_puts_it_back_for_the_emulator():
    """The gate needs the keys DeleteObjects names; an object's or an upload's body is the emulator's to read."""
    from sparkify_nb.local.iam.gate import Gate

    class Unread(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the gate read a body it does not need")

    gate = Gate(lambda environ, start_response: [])
    for method, query in (("POST", "uploads="), ("POST", "uploadId=1"), ("PUT", ""), ("DELETE", "")):
        environ = {"CONTENT_LENGTH": "3", "wsgi.input": Unread(b"xyz")}
        assert gate._body(environ, "s3", method, query) is None
    environ = {"CONTENT_LENGTH": "3", "wsgi.input": io.BytesIO(b"xyz")}
    assert gate._body(environ, "s3", "POST", "delete=") == b"xyz" and environ["wsgi.input"].read() == b"xyz"
    for length in ("", "0", None):  # a query request with no body: nothing read (a socket would block on a read)
        environ = {"wsgi.input": Unread(b"")} if length is None else {"CONTENT_LENGTH": length, "wsgi.input": Unread()}
        assert gate._body(environ, "ec2", "GET", "Action=DescribeVpcs") == b""


def test_the_emulators_state_of_a_region_it_has_no_backend_for_is_empty():
    """A request signed for a Region moto has no EC2 backend for: no tags, no route table of an association."""
    class Nowhere(requests.Lookup):
        def ec2(self):  # moto's ec2_backends[account]["nowhere-1"] (importing moto here would cost ~2 s)
            raise KeyError(self.region)

    nowhere = Nowhere("210000000001", "nowhere-1")
    assert nowhere.ec2_tags("vpc-0abc") == {} and nowhere.route_table_of_association("rtbassoc-0abc") == ""


def test_the_gate_reads_a_roles_a_log_groups_and_a_buckets_tags_and_a_roles_boundary_from_the_emulators_state():
    """In-process, as in the emulator: moto's backends of a fresh account (no emulator request)."""
    from moto.iam.models import iam_backends
    from moto.logs.models import logs_backends
    from moto.s3.models import s3_backends

    made = account.new_id()
    fence = f"arn:aws:iam::{made}:policy/fence"
    iam = iam_backends[made]["aws"]
    iam.create_role("r", "{}", "/", fence, "", [{"Key": "stack", "Value": "s"}], None)
    logs = logs_backends[made][REGION]
    logs.create_log_group("/sparkify/g", {"stack": "s"})
    logs.create_log_group("/sparkify/bare", {})
    s3_backends[made]["aws"].create_bucket(f"b-{made}", REGION)
    s3_backends[made]["aws"].put_bucket_tagging(f"b-{made}", {"stack": "s"})
    here = requests.Lookup(made, REGION)
    assert (here.role_tags("r"), here.role_boundary("r")) == ({"stack": "s"}, fence)
    assert (here.role_tags("gone"), here.role_boundary("gone"), here.role("gone")) == ({}, None, None)
    assert [here.log_group_tags(g) for g in ("/sparkify/g", "/sparkify/bare", "/gone")] == [{"stack": "s"}, {}, {}]
    assert (here.bucket_tags(f"b-{made}"), here.bucket_tags(f"gone-{made}")) == ({"stack": "s"}, {})
    assert not here.service_linked_role_exists("redshift.amazonaws.com")
    iam.create_service_linked_role("redshift.amazonaws.com", "", "")
    assert here.service_linked_role_exists("redshift.amazonaws.com")


def test_s3_rest_requests_are_read_as_their_operations():
    assert [requests.s3_operation(m, k, q) for m, k, q in [
        ("GET", "", {"list-type": ["2"]}), ("PUT", "", {}), ("PUT", "", {"encryption": [""]}),
        ("GET", "", {"location": [""]}), ("PUT", "k", {}), ("HEAD", "", {}), ("POST", "", {"delete": [""]}),
        ("PUT", "", {"publicAccessBlock": [""]}), ("PUT", "k", {"partNumber": ["1"], "uploadId": ["u"]})]] == [
        "ListObjectsV2", "CreateBucket", "PutBucketEncryption", "GetBucketLocation", "PutObject", "HeadBucket",
        "DeleteObjects", "PutPublicAccessBlock", "UploadPart"]


def _data_api(session):
    return session.client("redshift-data", endpoint_url=local.data_api_endpoint())


def test_the_data_api_authorises_the_statement_and_the_credentials_behind_it():
    made, session = _operator(_allow("redshift-data:ExecuteStatement"))
    cluster = f"g{uuid.uuid4().hex[:6]}"
    account.admin_client(local.aws_endpoint(), made, "redshift", REGION).create_cluster(
        ClusterIdentifier=cluster, NodeType="ra3.large", ClusterType="single-node", MasterUsername="awsuser",
        MasterUserPassword="Rehearsal1x", DBName="dev")
    with pytest.raises(ClientError) as refused:
        _data_api(session).execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser", Sql="select 1")
    code, message = _refused(refused)
    assert code == "AccessDeniedException"
    assert message == (f"User: arn:aws:iam::{made}:user/sparkify-operator is not authorized to perform: "
                       f"redshift:GetClusterCredentials on resource: arn:aws:redshift:{REGION}:{made}:dbuser:"
                       f"{cluster}/awsuser because no identity-based policy allows the redshift:GetClusterCredentials "
                       "action")


def test_the_data_api_reads_back_only_the_callers_own_statements_under_the_owner_condition():
    own = {"StringEquals": {"redshift-data:statement-owner-iam-userid": "${aws:userid}"}}
    made, session = _operator(_allow("redshift-data:ExecuteStatement"), _allow("redshift:GetClusterCredentials"),
                              _allow("redshift-data:DescribeStatement", **own))
    cluster = f"g{uuid.uuid4().hex[:6]}"
    account.admin_client(local.aws_endpoint(), made, "redshift", REGION).create_cluster(
        ClusterIdentifier=cluster, NodeType="ra3.large", ClusterType="single-node", MasterUsername="awsuser",
        MasterUserPassword="Rehearsal1x", DBName="dev")
    api = _data_api(session)
    ran = api.execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser", Sql="select 1")
    assert api.describe_statement(Id=ran["Id"])["Id"] == ran["Id"]


def test_a_cluster_of_another_account_does_not_exist_for_the_caller():
    """The Data API finds a cluster in the caller's own account only: another account's cluster of that name is
    "Redshift endpoint doesn't exist in this region." to them, as an absent one is."""
    made, session = _operator(_allow("redshift-data:ExecuteStatement"), _allow("redshift:GetClusterCredentials"))
    other = account.create(local.aws_endpoint())
    assert other != made
    cluster = f"g{uuid.uuid4().hex[:6]}"
    account.admin_client(local.aws_endpoint(), other, "redshift", REGION).create_cluster(
        ClusterIdentifier=cluster, NodeType="ra3.large", ClusterType="single-node", MasterUsername="awsuser",
        MasterUserPassword="Rehearsal1x", DBName="dev")
    with pytest.raises(ClientError) as refused:
        _data_api(session).execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser",
                                             Sql="select 1")
    assert _refused(refused) == ("ValidationException", "Redshift endpoint doesn't exist in this region.")


def test_a_statement_in_a_session_carries_the_sessions_owner_for_the_policy_to_decide_on():
    """In a session the Data API authorises on the session's cluster with redshift-data:session-owner-iam-userid
    (data-api-access.html): a policy that denies whenever the key is present lets the operator open a session
    and refuses the next statement in it."""
    in_session = {"Null": {"redshift-data:session-owner-iam-userid": "false"}}
    made, session = _operator(_allow("redshift-data:ExecuteStatement"), _allow("redshift:GetClusterCredentials"),
                              _allow("redshift-data:DescribeStatement"),
                              {"Sid": "NoSessions", "Effect": "Deny", "Action": "redshift-data:ExecuteStatement",
                               "Resource": "*", "Condition": in_session})
    cluster = f"g{uuid.uuid4().hex[:6]}"
    account.admin_client(local.aws_endpoint(), made, "redshift", REGION).create_cluster(
        ClusterIdentifier=cluster, NodeType="ra3.large", ClusterType="single-node", MasterUsername="awsuser",
        MasterUserPassword="Rehearsal1x", DBName="dev")
    api = _data_api(session)
    opened = api.execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser", Sql="select 1",
                                   SessionKeepAliveSeconds=60)
    with pytest.raises(ClientError) as refused:
        api.execute_statement(SessionId=opened["SessionId"], Sql="select 2")
    code, message = _refused(refused)
    assert code == "AccessDeniedException" and "with an explicit deny in an identity-based policy" in message


def test_who_you_are_needs_no_permission_even_under_an_explicit_deny():
    made, session = _operator({"Effect": "Deny", "Action": "sts:GetCallerIdentity", "Resource": "*"})
    assert _client(session, "sts").get_caller_identity()["Arn"] == account.principal(made)


def test_serverless_passes_the_namespaces_roles_and_needs_pass_role():
    made, session = _operator(_allow("redshift-serverless:CreateNamespace"))
    role = f"arn:aws:iam::{made}:role/copy"
    serverless = session.client("redshift-serverless", endpoint_url=local.data_api_endpoint())
    with pytest.raises(ClientError) as refused:
        serverless.create_namespace(namespaceName=f"g{uuid.uuid4().hex[:6]}", iamRoles=[role])
    code, message = _refused(refused)
    assert (code, f"perform: iam:PassRole on resource: {role} " in message) == ("AccessDeniedException", True)


def test_a_simulations_context_entries_of_a_list_type_keep_every_value_and_others_their_first():
    """API_ContextEntry.html: ContextKeyType string, stringList, numeric, ...; a ...List type carries several values."""
    from sparkify_nb.local.iam.gate import simulation_context

    head = "ContextEntries.member"
    params = {f"{head}.1.ContextKeyName": "aws:TagKeys", f"{head}.1.ContextKeyType": "stringList",
              f"{head}.1.ContextKeyValues.member.2": "b", f"{head}.1.ContextKeyValues.member.1": "a",
              f"{head}.2.ContextKeyName": "aws:RequestTag/k", f"{head}.2.ContextKeyType": "string",
              f"{head}.2.ContextKeyValues.member.1": "v"}
    assert simulation_context(params) == {"aws:TagKeys": ["a", "b"], "aws:RequestTag/k": "v"}


def test_the_gate_answers_simulate_principal_policy_with_the_same_evaluator():
    made, session = _operator(_allow("ec2:CreateVpc", **{"StringEquals": {"aws:RequestTag/k": "v"}}),
                              _allow("iam:SimulatePrincipalPolicy", "arn:aws:iam::*:user/${aws:username}"))
    results = _client(session, "iam").simulate_principal_policy(
        PolicySourceArn=account.principal(made), ActionNames=["ec2:CreateVpc", "ec2:DeleteVpc"],
        ContextEntries=[{"ContextKeyName": "aws:RequestTag/k", "ContextKeyValues": ["v"],
                         "ContextKeyType": "string"}])["EvaluationResults"]
    assert [(r["EvalActionName"], r["EvalDecision"]) for r in results] == [
        ("ec2:CreateVpc", "allowed"), ("ec2:DeleteVpc", "implicitDeny")]


def test_serverless_answers_for_a_namespace_that_does_not_exist_itself():
    made, session = _operator(_allow("redshift-serverless:DeleteNamespace", **{
        "StringEquals": {"aws:ResourceTag/sparkify:stack": "ours"}}))
    serverless = session.client("redshift-serverless", endpoint_url=local.data_api_endpoint())
    with pytest.raises(ClientError) as missing:
        serverless.delete_namespace(namespaceName="none-such")
    assert _refused(missing)[0] == "ResourceNotFoundException"


def test_the_requested_region_is_the_one_the_request_was_signed_for():
    made, session = _operator(_allow("ec2:DescribeVpcs", **{"StringEquals": {"aws:RequestedRegion": REGION}}))
    assert "Vpcs" in _client(session, "ec2").describe_vpcs()
    elsewhere = boto3.Session(**{k: v for k, v in zip(("aws_access_key_id", "aws_secret_access_key"),
                                                      account.keys(made))}, region_name="eu-west-1")
    with pytest.raises(ClientError) as refused:
        _client(elsewhere, "ec2").describe_vpcs()
    assert _refused(refused)[0] == "UnauthorizedOperation"


def test_an_s3_list_that_repeats_its_prefix_is_decided_with_the_first_as_the_emulator_serves_it():
    """moto's list_objects and list_objects_v2 (moto/s3/responses.py) list ``querystring["prefix"][0]``: a policy's
    s3:prefix condition must see that prefix, not another one the same request names after it."""
    auth = {"authorization": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-west-2/s3/aws4_request"}
    call = requests.parse("GET", "/songs", "list-type=2&prefix=song_data%2F&prefix=log_data%2F", auth, None)
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")
    found = touches.authorisations(call, who, requests.Lookup("1", "us-west-2"))
    assert [(a.action, a.context.get("s3:prefix")) for a in found] == [("s3:ListBucket", "song_data/")]


def test_serverless_tagging_is_decided_with_the_keys_it_sets_or_removes_and_listing_with_none():
    """redshift-serverless:TagResource takes aws:RequestTag/* and aws:TagKeys, UntagResource aws:TagKeys of the
    keys it removes, ListTagsForResource neither; each is decided with the resource's own tags
    (list_amazonredshiftserverless.html, the actions table)."""
    who = requests.Principal("1", "arn:aws:iam::1:user/u", "u", "AIDA")
    arn = "arn:aws:redshift-serverless:r:1:workgroup/w"

    class Tagged(requests.Lookup):
        def serverless_tags(self, resource_arn):
            return {"sparkify:stack": "s"} if resource_arn == arn else {}

    def decided(operation, **params):
        [found] = touches.authorisations(requests.Call("redshift-serverless", "r", operation,
                                                       {"resourceArn": arn, **params}), who, Tagged("1", "r"))
        assert (found.action, found.resources) == (f"redshift-serverless:{operation}", [arn])
        assert found.per_resource == {arn: {"aws:ResourceTag/sparkify:stack": "s"}}
        return {k: v for k, v in found.context.items() if k.startswith(("aws:RequestTag/", "aws:TagKeys"))}

    assert decided("TagResource", tags=[{"key": "k", "value": "v"}]) == {"aws:RequestTag/k": "v", "aws:TagKeys": ["k"]}
    assert decided("UntagResource", tagKeys=["k", "sparkify:stack"]) == {"aws:TagKeys": ["k", "sparkify:stack"]}
    assert decided("ListTagsForResource") == {}
