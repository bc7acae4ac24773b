"""Analysts on Redshift: what 02 sends and who 04 connects as, request by
request with botocore's Stubber (the Data API Script of tests/test_data_api.py:
every request validated against the service model and compared with the exact
parameters expected); the Serverless analyst role on the emulator's IAM.

Provisioned: 02 makes the group and the user and grants (Redshift SQL), 04
asks the Data API (or GetClusterCredentials) for ``DbUser = sparkify_analyst``.
Serverless: 04 assumes the stack's analyst role, whose database user
(``IAMR:<role>``) 02 granted after one first login.
"""

from __future__ import annotations

import json

import boto3
import pytest
from parliament import analyze_policy_string

from sparkify_nb import analytics, aws, config, local, warehouse
from sparkify_nb.iam import analyst as analyst_documents, boundary as boundary_documents
from sparkify_nb.infra import analyst as analyst_role, boundary, state
from sparkify_nb.warehouse import analysts
from tests.helpers import quiet, stubbed
from tests.test_data_api import PROVISIONED, Script, n

SERVERLESS = {"WorkgroupName": "ana-dwh", "Database": "sparkify"}
ME = {"UserId": "AROAEXAMPLE:me", "Account": "123456789012",
      "Arn": "arn:aws:sts::123456789012:assumed-role/Operator/me"}


def settings_for(tmp_path, kind="provisioned", access="data_api"):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": "ana", "cluster.identifier": "ana-dwh",
        "cluster.kind": kind, "cluster.access": access})


@pytest.fixture
def recorded(tmp_path):
    """Settings whose state file says what 01 made, removed afterwards."""
    made = []

    def record(kind="provisioned", access="data_api", **fields):
        settings = settings_for(tmp_path, kind, access)
        base = ({"kind": "serverless", "workgroup_name": "ana-dwh"} if kind == "serverless" else
                {"kind": "provisioned", "cluster_identifier": "ana-dwh"})
        state.save(settings, {**base, "db_name": "sparkify", **fields})
        made.append(settings)
        return settings

    yield record
    for settings in made:
        state.clear(settings)


def test_02_sends_redshift_the_group_the_user_and_the_grants():
    script = Script()
    script.statement("CREATE GROUP analysts")
    script.statement('CREATE USER "sparkify_analyst" PASSWORD DISABLE')
    script.batch(["REVOKE CREATE ON SCHEMA public FROM PUBLIC", 'ALTER GROUP analysts ADD USER "sparkify_analyst"',
                  "GRANT USAGE ON SCHEMA public TO GROUP analysts",
                  'GRANT SELECT ON "songplays", "users", "songs", "artists", "time" TO GROUP analysts'])
    with script.stub:
        line = analysts.ensure(script.connection(), "redshift", "sparkify_analyst")
    script.stub.assert_no_pending_responses()
    assert line.startswith("group analysts: USAGE on the schema, SELECT on songplays")


def test_a_group_and_user_that_exist_are_taken_as_made():
    script = Script()
    script.statement("CREATE GROUP analysts", status="FAILED", error='ERROR: group "analysts" already exists')
    script.statement('CREATE USER "sparkify_analyst" PASSWORD DISABLE', status="FAILED",
                     error='ERROR: user "sparkify_analyst" already exists')
    script.batch(["REVOKE CREATE ON SCHEMA public FROM PUBLIC", 'ALTER GROUP analysts ADD USER "sparkify_analyst"',
                  "GRANT USAGE ON SCHEMA public TO GROUP analysts",
                  'GRANT SELECT ON "songplays", "users", "songs", "artists", "time" TO GROUP analysts'])
    with script.stub:
        analysts.ensure(script.connection(), "redshift", "sparkify_analyst")
    script.stub.assert_no_pending_responses()


def test_any_other_failure_of_02s_analysts_stops_02():
    script = Script()
    script.statement("CREATE GROUP analysts", status="FAILED", error="ERROR: permission denied to create group")
    with script.stub, pytest.raises(warehouse.WarehouseError, match="permission denied to create group"):
        analysts.ensure(script.connection(), "redshift", "sparkify_analyst")


def test_04_on_a_provisioned_cluster_asks_the_data_api_for_the_analyst(recorded):
    settings = recorded()
    client, stub = stubbed("redshift-data")
    conn = analytics.open_connection(settings, aws.Clients(settings).use("redshift-data", client), progress=quiet)
    assert conn.target == {**PROVISIONED, "ClusterIdentifier": "ana-dwh", "DbUser": "sparkify_analyst"}


def test_04_direct_gets_iam_credentials_for_the_analyst_and_never_the_admins_password(recorded, monkeypatch):
    settings = recorded(access="direct", endpoint="ana-dwh.abc.us-west-2.redshift.amazonaws.com", port=5439)
    monkeypatch.setenv("SPARKIFY_DB_PASSWORD", "the-admins")
    client, stub = stubbed("redshift")
    stub.add_response("get_cluster_credentials", {"DbUser": "IAM:sparkify_analyst", "DbPassword": "temporary"}, {
        "DbUser": "sparkify_analyst", "DbName": "sparkify", "ClusterIdentifier": "ana-dwh", "DurationSeconds": 3600,
        "AutoCreate": False})
    with stub:
        params = warehouse.connect._redshift_params(settings, aws.Clients(settings).use("redshift", client),
                                                    user="sparkify_analyst")
    assert (params["user"], params["password"], params["sslmode"]) == ("IAM:sparkify_analyst", "temporary",
                                                                       "verify-full")


def test_04_on_serverless_assumes_the_analyst_role_and_names_no_database_user(recorded, monkeypatch):
    settings = recorded("serverless")
    sts, sts_stub = stubbed("sts")
    sts_stub.add_response("get_caller_identity", ME)
    data, _ = stubbed("redshift-data")
    assumed = []

    def assuming(clients, role_arn, session_name):
        assumed.append((role_arn, session_name))
        return aws.Clients(settings).use("redshift-data", data)

    monkeypatch.setattr(aws.Clients, "assuming", assuming)
    with sts_stub:
        conn = analytics.open_connection(settings, aws.Clients(settings).use("sts", sts), progress=quiet)
    assert assumed == [("arn:aws:iam::123456789012:role/ana-redshift-analyst", "sparkify-04-ana")]
    assert conn.client is data and conn.target == SERVERLESS


def test_assuming_a_role_makes_clients_with_its_temporary_credentials(tmp_path):
    settings = settings_for(tmp_path)
    sts, stub = stubbed("sts")
    stub.add_response("assume_role", {"Credentials": {
        "AccessKeyId": "ASIATEMPORARYKEY01", "SecretAccessKey": "secret", "SessionToken": "token",
        "Expiration": "2026-12-01T17:00:00Z"}}, {"RoleArn": "arn:aws:iam::123456789012:role/ana-redshift-analyst",
                                                "RoleSessionName": "sparkify-04-ana", "DurationSeconds": 3600})
    with stub:
        clients = aws.Clients(settings).use("sts", sts).assuming("arn:aws:iam::123456789012:role/ana-redshift-analyst",
                                                                 "sparkify-04-ana")
    credentials = clients("redshift-data")._request_signer._credentials
    assert (credentials.access_key, credentials.token) == ("ASIATEMPORARYKEY01", "token")


def test_02_on_serverless_logs_the_analyst_in_once_then_grants_its_iam_user(recorded, monkeypatch):
    settings = recorded("serverless")
    first, admin = Script(SERVERLESS), Script(SERVERLESS)
    first.query("SELECT 1 AS logged_in", [("logged_in", "int4")], [[n(1)]])
    admin.statement('GRANT SELECT ON "songplays", "users", "songs", "artists", "time" TO "IAMR:ana-redshift-analyst"')
    sts, sts_stub = stubbed("sts")
    sts_stub.add_response("get_caller_identity", ME)
    monkeypatch.setattr(aws.Clients, "assuming", lambda *_: aws.Clients(settings).use("redshift-data", first.client))
    with first.stub, admin.stub, sts_stub:
        line = analysts.setup(admin.connection(), settings, aws.Clients(settings).use("sts", sts))
    first.stub.assert_no_pending_responses()
    admin.stub.assert_no_pending_responses()
    assert line == ("user IAMR:ana-redshift-analyst (04's IAM role): SELECT on songplays, users, songs, artists, time; "
                    "nothing on staging or load tables. 04 runs as it")


def test_the_serverless_analyst_role_is_bounded_trusts_only_the_operator_and_may_only_query(tmp_path, monkeypatch):
    """On the emulator's IAM (the role's steps only: the emulator has no Serverless)."""
    from sparkify_nb.infra.context import Context

    settings = settings_for(tmp_path, "serverless")
    clients = aws.Clients(settings, endpoint_url=local.aws_endpoint())
    for service in ("iam", "sts"):
        clients.use(service, boto3.client(service, endpoint_url=local.aws_endpoint(), region_name="us-west-2",
                                          aws_access_key_id="testing", aws_secret_access_key="testing"))
    ctx = Context(settings, clients, quiet, delay_s=0)
    boundary.administer(clients, settings, "123456789012")  # as the administrator, before 01
    record = boundary.ensure_boundary(ctx, {})
    try:
        made = analyst_role.ensure_analyst_role(ctx, record)
        role = clients("iam").get_role(RoleName="ana-redshift-analyst")["Role"]
        assert made == {"analyst_role_arn": role["Arn"]}
        assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == record["boundary_arn"]
        operator = clients("sts").get_caller_identity()["Arn"]
        assert role["AssumeRolePolicyDocument"] == analyst_documents.trust("123456789012", operator)
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
            "ArnLike": {"aws:PrincipalArn": [operator]}}
        inline = clients("iam").get_role_policy(RoleName="ana-redshift-analyst", PolicyName="query-the-workgroup")
        assert inline["PolicyDocument"] == analyst_documents.role_policy(settings, "123456789012")
    finally:
        for item in analyst_role.find_analyst_role(ctx):
            from sparkify_nb.infra import roles

            roles.delete_role(ctx, item)
        clients("iam").delete_policy(PolicyArn=record["boundary_arn"])  # the administrator's, afterwards


def test_the_analyst_role_policy_and_the_serverless_boundary_are_clean_and_the_boundary_holds_it(tmp_path):
    settings = settings_for(tmp_path, "serverless")
    policy = analyst_documents.role_policy(settings, "123456789012")
    bound = boundary_documents.document(settings, "123456789012")
    for document in (policy, bound):
        assert [f.issue for f in analyze_policy_string(json.dumps(document)).findings] == []
    assert all(statement in bound["Statement"] for statement in policy["Statement"])
    assert not any("redshift-data" in json.dumps(st) for st in boundary.document(settings_for(tmp_path),
                                                                                 "123456789012")["Statement"])


@pytest.mark.parametrize("caller, principal, trusted", [
    ("arn:aws:iam::123456789012:user/ops/ana", "arn:aws:iam::123456789012:user/ops/ana", True),
    ("arn:aws:iam::123456789012:user/ops/ana", "arn:aws:iam::123456789012:user/ops/bob", False),
    ("arn:aws:iam::123456789012:user/ops/ana", "arn:aws:iam::123456789012:role/ana", False),
    ("arn:aws:sts::123456789012:assumed-role/Ops/ana@example.com", "arn:aws:iam::123456789012:role/Ops", True),
    ("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Ops_1a2b/ana",
     "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Ops_1a2b", True),
    ("arn:aws:sts::123456789012:assumed-role/Ops/ana", "arn:aws:iam::123456789012:role/OtherOps", False),
    ("arn:aws:sts::123456789012:assumed-role/Ops/ana", "arn:aws:iam::123456789012:role/team/NotOps", False),
    ("arn:aws:sts::123456789012:assumed-role/Ops/ana", "arn:aws:iam::210987654321:role/Ops", False),
    ("arn:aws:sts::123456789012:assumed-role/Ops/ana", "arn:aws:iam::123456789012:user/Ops", False),
])
def test_the_analyst_role_may_be_assumed_by_the_operator_who_ran_01_and_no_other_principal(caller, principal, trusted):
    """aws:PrincipalArn is the user's or the role's ARN, path included, never the session's; a role is matched by its
    name (unique in the account) with or without a path."""
    from sparkify_nb.local.iam.evaluate import conditions_hold

    statement = analyst_documents.trust("123456789012", caller)["Statement"][0]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert conditions_hold(statement["Condition"], {"aws:PrincipalArn": principal}) is trusted
    assert not conditions_hold(statement["Condition"], {})  # a request without the key (anonymous) is not trusted
