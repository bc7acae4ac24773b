"""Role sessions are gated too (issue 25): a call signed with the temporary key of a session of a rehearsal
account's role (04's analyst on Serverless, the lease role) is authorised against that role's own policies,
within its permissions boundary ("Permissions boundaries for IAM entities",
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html), at the emulator's gate
(sparkify_nb/local/iam/gate.py, session_of) and at the Data API's (sparkify_nb/local/rehearsal/authorise.py).
Real boto3 clients; an account of its own per test."""

import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sparkify_nb import config, local
from sparkify_nb.iam import analyst, tags
from sparkify_nb.local.iam import account

REGION = "us-west-2"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(*actions, resource="*"):
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


def _client(session, service, endpoint=None):
    return session.client(service, endpoint_url=endpoint or local.aws_endpoint(), region_name=REGION,
                          config=Config(retries={"max_attempts": 1}))


def _role_session(role_policy, boundary=None, name="r"):
    """A fresh account whose operator may assume role ``name`` (holding ``role_policy``, within ``boundary``
    when given), the administrator's session, and the role's session as the operator assumed it."""
    endpoint = local.aws_endpoint()
    made = account.create(endpoint)
    role_arn = f"arn:aws:iam::{made}:role/{name}"
    settings = config.load(overrides={"general.stack_name": f"g{uuid.uuid4().hex[:6]}"})
    account.attach(endpoint, made, settings, [json.loads(_doc(_allow("sts:AssumeRole", resource=role_arn)))])
    iam = account.admin_client(endpoint, made, "iam")
    extra = {}
    if boundary is not None:
        extra["PermissionsBoundary"] = iam.create_policy(PolicyName=f"{name}-boundary",
                                                         PolicyDocument=boundary)["Policy"]["Arn"]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **extra)
    iam.put_role_policy(RoleName=name, PolicyName="own", PolicyDocument=role_policy)
    key, secret = account.keys(made)
    operator = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION)
    creds = _client(operator, "sts").assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=REGION)
    key, secret = account.keys(made, account.ADMINISTRATOR)
    admin = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION)
    return made, admin, session


def _refused(exc_info):
    error = exc_info.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_role_session_may_do_what_its_role_allows_and_nothing_else():
    made, _, session = _role_session(_doc(_allow("ec2:DescribeVpcs")))
    ec2 = _client(session, "ec2")
    assert "Vpcs" in ec2.describe_vpcs()
    with pytest.raises(ClientError) as refused:
        ec2.describe_subnets()
    assert _refused(refused) == ("UnauthorizedOperation", "You are not authorized to perform this operation. User: "
                                 f"arn:aws:sts::{made}:assumed-role/r/s1 is not authorized to perform: "
                                 "ec2:DescribeSubnets on resource: * because no identity-based policy allows the "
                                 "ec2:DescribeSubnets action")


def test_a_roles_permissions_boundary_caps_what_its_policies_allow():
    made, _, session = _role_session(_doc(_allow("ec2:DescribeVpcs", "ec2:DescribeSubnets")),
                                     boundary=_doc(_allow("ec2:DescribeVpcs")))
    ec2 = _client(session, "ec2")
    assert "Vpcs" in ec2.describe_vpcs()
    with pytest.raises(ClientError) as refused:
        ec2.describe_subnets()
    assert _refused(refused)[1].endswith("ec2:DescribeSubnets on resource: * because no permissions boundary allows "
                                         "the ec2:DescribeSubnets action")


def _analyst_session(drop=()):
    """04's analyst: a session of the stack's analyst role, holding its policy (less the statements ``drop``)
    within an allow-all boundary, on a workgroup the administrator made and tagged as the stack's."""
    name = f"g{uuid.uuid4().hex[:6]}"
    settings = config.load(overrides={"general.target": "redshift", "general.stack_name": name,
                                      "cluster.kind": "serverless", "cluster.identifier": f"{name}-dwh"})
    policy = analyst.role_policy(settings, "*")
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] not in drop]
    made, admin, session = _role_session(json.dumps(policy), boundary=_doc(_allow("*")),
                                         name=analyst.role_name(settings))
    serverless = _client(admin, "redshift-serverless", local.data_api_endpoint())
    stack_tag = [{"key": tags.TAG_KEY, "value": name}]
    serverless.create_namespace(namespaceName=f"{name}-dwh", adminUsername="awsuser", adminUserPassword="Rehearsal1x",
                                dbName="dev", tags=stack_tag)
    workgroup = serverless.create_workgroup(workgroupName=f"{name}-dwh", namespaceName=f"{name}-dwh",
                                            tags=stack_tag)["workgroup"]
    return session, workgroup


def test_04s_analyst_is_refused_sql_when_the_analyst_roles_policy_lacks_it():
    session, workgroup = _analyst_session(drop=("SqlOnTheStacksWorkgroup",))
    data_api = _client(session, "redshift-data", local.data_api_endpoint())
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(WorkgroupName=workgroup["workgroupName"], Database="dev", Sql="select 1")
    code, message = _refused(refused)
    assert code == "AccessDeniedException" and (
        f"assumed-role/{workgroup['workgroupName'][:-4]}-redshift-analyst/s1 is not authorized to perform: "
        f"redshift-data:ExecuteStatement on resource: {workgroup['workgroupArn']} because no identity-based policy "
        "allows") in message, message


def test_04s_analyst_holding_the_analyst_roles_policy_is_not_refused_by_iam():
    session, workgroup = _analyst_session()
    data_api = _client(session, "redshift-data", local.data_api_endpoint())
    try:
        data_api.execute_statement(WorkgroupName=workgroup["workgroupName"], Database="dev", Sql="select 1")
    except ClientError as exc:  # the workgroup may still be starting: any answer but IAM's refusal
        assert exc.response["Error"]["Code"] != "AccessDeniedException", exc
