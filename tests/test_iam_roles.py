"""Role sessions are gated too (issue 25): a call signed with the temporary key of a session of a rehearsal
account's role (04's analyst on Serverless, the lease role) is authorised against that role's own policies,
within its permissions boundary ("Permissions boundaries for IAM entities",
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html), at the emulator's gate
(sparkify_nb/local/iam/gate.py, session_of) and at the Data API's (sparkify_nb/local/rehearsal/authorise.py).
Real boto3 clients; an account of its own per test."""

import json
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sparkify_nb import config, local
from sparkify_nb.iam import analyst, tags
from sparkify_nb.local.iam import account, requests, trust

REGION = "us-west-2"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(*actions, resource="*"):
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


def _client(session, service, endpoint=None):
    return session.client(service, endpoint_url=endpoint or local.aws_endpoint(), region_name=REGION,
                          config=Config(retries={"max_attempts": 1}))


def _role_session(role_policy, boundary=None, name="r", trust=None):
    """A fresh account whose operator may assume role ``name`` (holding ``role_policy``, within ``boundary``
    when given, trusting whom ``trust(account)`` says, default anyone), the administrator's session, and the
    role's session as the operator assumed it."""
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
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust(made) if trust else TRUST), **extra)
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


def _analyst_session(drop=(), available=False):
    """04's analyst: a session of the stack's analyst role, holding its policy (less the statements ``drop``)
    within an allow-all boundary, on a workgroup the administrator made and tagged as the stack's (waited for
    until AVAILABLE when ``available``)."""
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
    for _ in range(100 if available else 0):
        if serverless.get_workgroup(workgroupName=workgroup["workgroupName"])["workgroup"]["status"] == "AVAILABLE":
            break
        time.sleep(0.1)
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


def _a_second_statement_runs_in(data_api, session_id):
    """A second statement runs in the session (taken once its first is done: "busy" until then)."""
    for _ in range(100):
        try:
            assert data_api.execute_statement(SessionId=session_id, Sql="select 2")["SessionId"] == session_id
            return
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ValidationException" and "busy" in str(exc), exc
            time.sleep(0.05)
    raise AssertionError("the session stayed busy")


def test_04s_analyst_runs_sql_in_its_session_on_the_stacks_workgroup_by_the_workgroups_tag_alone():
    """In a session the statement is authorised on the session's workgroup with that workgroup's tags, as one
    naming the workgroup is (``aws:ResourceTag`` on the Data API's workgroup resource, list_amazonredshiftdataapi.html):
    the analyst's tag-conditioned SQL statement allows it without the session-owner statement."""
    session, workgroup = _analyst_session(drop=("SqlInItsOwnSessions",), available=True)
    data_api = _client(session, "redshift-data", local.data_api_endpoint())
    opened = data_api.execute_statement(WorkgroupName=workgroup["workgroupName"], Database="dev", Sql="select 1",
                                        SessionKeepAliveSeconds=60)
    _a_second_statement_runs_in(data_api, opened["SessionId"])


def test_a_statement_in_a_session_on_a_workgroup_is_decided_on_that_workgroups_arn():
    """In a session, the Data API authorises ExecuteStatement on the session's workgroup ("Authorizing access to
    the Amazon Redshift Data API", data-api-access.html; sparkify_nb/local/rehearsal/authorise.py): a role allowed
    SQL on workgroup ARNs alone (``workgroup/<id>``, not a bare ``workgroup/*``) runs a second statement in the
    session it opened."""
    workgroups = "arn:aws:redshift-serverless:us-west-2:*:workgroup/????????-*"
    made, admin, session = _role_session(_doc(_allow("redshift-data:ExecuteStatement",
                                                     "redshift-serverless:GetCredentials", resource=workgroups)),
                                         name=f"sql-{uuid.uuid4().hex[:6]}")
    serverless = _client(admin, "redshift-serverless", local.data_api_endpoint())
    name = f"g{uuid.uuid4().hex[:6]}"
    serverless.create_namespace(namespaceName=name, adminUsername="awsuser", adminUserPassword="Rehearsal1x",
                                dbName="dev")
    serverless.create_workgroup(workgroupName=name, namespaceName=name)
    for _ in range(100):
        if serverless.get_workgroup(workgroupName=name)["workgroup"]["status"] == "AVAILABLE":
            break
        time.sleep(0.1)
    data_api = _client(session, "redshift-data", local.data_api_endpoint())
    opened = data_api.execute_statement(WorkgroupName=name, Database="dev", Sql="select 1", SessionKeepAliveSeconds=60)
    _a_second_statement_runs_in(data_api, opened["SessionId"])


def test_sql_on_a_workgroup_that_does_not_exist_is_refused_by_iam_first_when_the_policy_allows_no_such_arn():
    """AWS authorises a request before it serves it: a role allowed SQL on workgroup ARNs alone (``workgroup/<id>``)
    asking for a workgroup that does not exist is decided on ``workgroup/*`` (no ARN to name) and refused by IAM
    (AccessDeniedException), learning nothing of which workgroups exist; the Data API's gate does not stop at the
    failed look-up (sparkify_nb/local/rehearsal/authorise.py, EndpointState.serverless_arn)."""
    workgroups = "arn:aws:redshift-serverless:us-west-2:*:workgroup/????????-*"
    made, _, session = _role_session(_doc(_allow("redshift-data:ExecuteStatement",
                                                 "redshift-serverless:GetCredentials", resource=workgroups)),
                                     name=f"sql-{uuid.uuid4().hex[:6]}")
    data_api = _client(session, "redshift-data", local.data_api_endpoint())
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(WorkgroupName=f"absent-{uuid.uuid4().hex[:6]}", Database="dev", Sql="select 1")
    code, message = _refused(refused)
    assert code == "AccessDeniedException" and ":workgroup/* because no identity-based policy allows" in message


def test_a_role_whose_trust_policy_names_someone_else_cannot_be_assumed_though_the_callers_policy_allows_it():
    with pytest.raises(ClientError) as refused:
        _role_session(_doc(_allow("ec2:DescribeVpcs")), trust=lambda made: analyst.trust(
            made, f"arn:aws:iam::{made}:user/someone-else"))
    code, message = _refused(refused)
    assert code == "AccessDenied" and message.endswith(
        ":role/r because no resource-based policy allows the sts:AssumeRole action"), message


def test_the_analyst_roles_trust_lets_the_operator_assume_it():
    made, _, session = _role_session(_doc(_allow("ec2:DescribeVpcs")), trust=lambda made: analyst.trust(
        made, account.principal(made)))
    assert "Vpcs" in _client(session, "ec2").describe_vpcs()


def test_an_explicit_deny_in_the_trust_policy_refuses_even_the_accounts_own_principals():
    def trust(made):
        return {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{made}:root"}, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"AWS": account.principal(made)}, "Action": "sts:AssumeRole"}]}

    with pytest.raises(ClientError) as refused:
        _role_session(_doc(_allow("ec2:DescribeVpcs")), trust=trust)
    assert _refused(refused)[1].endswith("with an explicit deny in a resource-based policy")


USER_ARN = "arn:aws:iam::111122223333:user/op"
WHO = requests.Principal("111122223333", USER_ARN, "op", "AIDAOP")
SESSION = requests.Principal("111122223333", "arn:aws:sts::111122223333:assumed-role/R/s1", "s1", "AROAR:s1",
                             "AssumedRole", "arn:aws:iam::111122223333:role/R")


def _trust(*statements):
    return {"Version": "2012-10-17", "Statement": [{"Action": "sts:AssumeRole", **s} for s in statements]}


@pytest.mark.parametrize("statements, who, decided", [
    ([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}], WHO, (True, "allowed", "#1")),
    ([{"Effect": "Allow", "Principal": {"AWS": "111122223333"}}], WHO, (True, "allowed", "#1")),
    ([{"Effect": "Allow", "Principal": "*", "Sid": "Anyone"}], WHO, (True, "allowed", "Anyone")),
    ([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}}], WHO, (False, "trust", "")),
    ([{"Effect": "Allow", "Principal": USER_ARN}], WHO, (False, "trust", "")),  # only "*" may stand bare
    ([{"Effect": "Allow", "Principal": {"Service": "redshift.amazonaws.com"}}], WHO, (False, "trust", "")),
    ([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/R"}}], SESSION, (True, "allowed", "#1")),
    ([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/R"}}], WHO, (False, "trust", "")),
    ([{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}},
      {"Effect": "Allow", "Principal": {"AWS": USER_ARN}}], WHO, (True, "allowed", "#2")),
    ([{"Effect": "Allow", "Principal": {"AWS": USER_ARN}},
      {"Effect": "Deny", "Principal": {"AWS": USER_ARN}, "Sid": "No"}], WHO, (False, "trust deny", "No")),
    ([{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::444455556666:root"}}], WHO, (False, "trust", "")),
    ([{"Effect": "Allow", "Principal": {"AWS": USER_ARN}},
      {"Effect": "Deny", "NotPrincipal": {"AWS": USER_ARN}}], WHO, (False, "trust deny", "#2")),
    ([{"Effect": "Allow", "Principal": {"AWS": USER_ARN}, "Condition": {"StringEquals": {"aws:userid": "AIDAOP"}}}],
     WHO, (True, "allowed", "#1")),
    ([{"Effect": "Allow", "Principal": {"AWS": USER_ARN}, "Condition": {"StringEquals": {"aws:userid": "other"}}}],
     WHO, (False, "trust", "")),
    ([{"Effect": "Allow", "Principal": {"AWS": USER_ARN}, "Action": "sts:TagSession"}], WHO, (False, "trust", "")),
])
def test_a_trust_policy_decides_who_may_assume_the_role(statements, who, decided):
    found = trust.decide(_trust(*statements), who, {"aws:userid": who.userid, "aws:PrincipalArn": who.role or who.arn})
    assert (found.allowed, found.why, found.sid) == decided
