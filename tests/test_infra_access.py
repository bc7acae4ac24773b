"""Every AWS permission listed once: the operator policy built from the list,
linted with parliament, and a run of the whole suite on the emulator whose
every boto3 call must be on the list.
"""

import json
from pathlib import Path
import subprocess
import sys

import pytest
from parliament import analyze_policy_string

from sparkify_nb import aws, config, infra, paths
from sparkify_nb.iam import boundary, copy_role, operator as access, scopes
from sparkify_nb.infra import resources


def settings_for(tmp_path, **overrides):
    values = {"general.target": "redshift", **overrides}
    return config.load(tmp_path / "absent.cfg", environ={}, overrides=values)


def findings(document):
    return [(f.issue, f.detail) for f in analyze_policy_string(json.dumps(document)).findings]


def statements_of(document, action):
    return [st for st in document["Statement"]
            if action in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])]


COMBOS = [(kind, mode) for kind in ("provisioned", "serverless") for mode in ("data_api", "direct")]
GUARDRAILS = {"provisioned": {"cluster.pause_schedule": "cron(0 20 * * ? *)"},
              "serverless": {"cluster.max_rpu_hours_per_day": "16"}}


@pytest.mark.parametrize("guarded", [False, True], ids=["plain", "guardrails"])
@pytest.mark.parametrize("kind, mode", COMBOS)
def test_operator_policy_has_no_parliament_findings(tmp_path, kind, mode, guarded):
    extra = GUARDRAILS[kind] if guarded else {}
    settings = settings_for(tmp_path, **{"cluster.kind": kind, "cluster.access": mode, **extra})
    assert findings(access.policy(settings, "123456789012")) == []
    assert findings(access.policy(settings)) == []


def test_copy_role_policy_has_no_parliament_findings(tmp_path):
    assert findings(copy_role.role_policy(settings_for(tmp_path))) == []


@pytest.mark.parametrize("kind, mode", COMBOS)
def test_every_action_of_the_list_is_allowed_by_the_policy_and_nothing_else(tmp_path, kind, mode):
    settings = settings_for(tmp_path, **{"cluster.kind": kind, "cluster.access": mode})
    policy = access.policy(settings)
    allowed = {a for st in policy["Statement"] if st["Effect"] == "Allow" for a in st["Action"]}
    denied = {a for st in policy["Statement"] if st["Effect"] == "Deny" for a in st["Action"]}
    assert sorted(allowed) == access.actions("redshift", kind, mode, guardrails=frozenset({"lease_hours"}))
    assert denied <= allowed


def test_an_action_without_a_scope_rule_stops_the_policy(tmp_path, monkeypatch):
    monkeypatch.setattr(access, "NEEDS", list(access.NEEDS))
    access.register(access.Need("keys", ("kms:CreateKey",), targets=("redshift",)))
    with pytest.raises(scopes.ScopeError, match=r"no scope for kms:CreateKey: add a Rule to "
                       r"sparkify_nb/iam/scopes\.py"):
        access.policy(settings_for(tmp_path))


def test_a_pause_schedule_adds_its_scheduled_action_and_passes_its_role_to_the_scheduler_only(tmp_path):
    plain = access.policy(settings_for(tmp_path), "123456789012")
    scheduled = access.policy(settings_for(tmp_path, **{"cluster.pause_schedule": "cron(0 20 * * ? *)"}),
                              "123456789012")
    assert statements_of(plain, "redshift:CreateScheduledAction") == []
    [create] = statements_of(scheduled, "redshift:CreateScheduledAction")
    assert create["Resource"] == ["*"]  # scheduled actions take no resource
    assert create["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-west-2"}}
    assert [(st["Resource"], st["Condition"]) for st in statements_of(scheduled, "iam:PassRole")] == [
        (["arn:aws:iam::123456789012:role/sparkify-redshift-copy"],
         {"StringEquals": {"iam:PassedToService": ["redshift.amazonaws.com"]}}),
        (["arn:aws:iam::123456789012:role/sparkify-redshift-scheduler"],
         {"StringEquals": {"iam:PassedToService": ["redshift.amazonaws.com", "scheduler.redshift.amazonaws.com"]}}),
        (["arn:aws:iam::123456789012:role/sparkify-lease"],  # the lease's, on by default
         {"StringEquals": {"iam:PassedToService": ["scheduler.amazonaws.com"]}})]
    assert [st["Resource"] for st in statements_of(plain, "iam:PassRole")] == [
        ["arn:aws:iam::123456789012:role/sparkify-redshift-copy"], ["arn:aws:iam::123456789012:role/sparkify-lease"]]


def test_a_provisioned_run_may_list_serverless_namespaces_and_workgroups_but_not_make_them(tmp_path):
    wanted = access.actions("redshift", "provisioned", "data_api")
    assert {"redshift-serverless:ListNamespaces", "redshift-serverless:ListWorkgroups"} <= set(wanted)
    assert "redshift-serverless:CreateWorkgroup" not in wanted


def test_data_api_may_not_make_an_internet_gateway_but_may_remove_one(tmp_path):
    data_api, direct = (set(access.actions("redshift", "provisioned", m)) for m in ("data_api", "direct"))
    assert direct - data_api == {"ec2:AttachInternetGateway", "ec2:CreateInternetGateway"}
    assert {"ec2:DeleteInternetGateway", "ec2:DetachInternetGateway"} <= data_api


def test_only_finding_the_local_sample_bucket_needs_more_on_local_and_the_work_buckets_settings_on_redshift():
    local, redshift = (set(access.actions(t, "provisioned", "data_api")) for t in ("local", "redshift"))
    assert local - redshift == {"s3:ListAllMyBuckets"}
    assert {a for a in redshift - local if a.startswith("s3:")} == {
        "s3:GetBucketPublicAccessBlock", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
        "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"}


def test_the_list_names_the_permissions_issue_10_found_missing():
    wanted = set(access.actions("redshift", "provisioned", "data_api"))
    assert {"redshift:DescribeClusterParameters", "iam:CreateServiceLinkedRole", "redshift-serverless:ListNamespaces",
            "redshift-serverless:ListWorkgroups"} <= wanted
    assert set(resources.PERMISSION_ONLY) <= wanted


def test_iam_policy_command_prints_the_policy_for_the_kind_and_access_asked(tmp_path):
    out = subprocess.run([sys.executable, "-m", "sparkify_nb.cli", "iam-policy", "--kind", "serverless",
                          "--access", "direct", "--account", "123456789012"],
                         capture_output=True, text=True, check=True).stdout
    policy = json.loads(out)
    settings = settings_for(tmp_path, **{"cluster.kind": "serverless", "cluster.access": "direct"})
    assert policy == access.policy(settings, "123456789012")
    [credentials] = statements_of(policy, "redshift-serverless:GetCredentials")
    assert credentials["Resource"] == ["arn:aws:redshift-serverless:us-west-2:123456789012:namespace/*",
                                       "arn:aws:redshift-serverless:us-west-2:123456789012:workgroup/*"]
    assert credentials["Condition"] == {"StringEquals": {"aws:ResourceTag/sparkify:stack": "sparkify"}}


def test_iam_policy_command_prints_the_boundary_and_simulation_on_the_principal_given(tmp_path):
    role = "arn:aws:iam::123456789012:role/DataEngineer"
    out = subprocess.run([sys.executable, "-m", "sparkify_nb.cli", "iam-policy", "--account", "123456789012",
                          "--principal", role], capture_output=True, text=True, check=True).stdout
    [simulate] = statements_of(json.loads(out), "iam:SimulatePrincipalPolicy")
    assert simulate["Resource"] == [role]
    out = subprocess.run([sys.executable, "-m", "sparkify_nb.cli", "iam-policy", "--account", "123456789012",
                          "--boundary"], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == boundary.document(settings_for(tmp_path), "123456789012")


def test_iam_policy_command_refuses_an_unknown_kind():
    run = subprocess.run([sys.executable, "-m", "sparkify_nb.cli", "iam-policy", "--kind", "huge"],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "invalid choice: 'huge'" in run.stderr


def test_a_registered_rule_joins_the_policy_rules_once(monkeypatch):
    from sparkify_nb.iam import rule as rules, scopes

    monkeypatch.setattr(scopes, "RULES", list(scopes.RULES))
    added = rules.Rule("ReadTheJsonpathsFile", frozenset({"s3:GetObject"}), lambda stack: ["arn:aws:s3:::b/paths.json"])
    for _ in range(2):
        scopes.register(added)
        scopes.register(scopes.RULES[0])
    assert scopes.RULES.count(added) == 1 and scopes.RULES[-1] is added
    assert len(scopes.RULES) == len(set(map(id, scopes.RULES)))


def test_a_registered_need_joins_the_list_once(monkeypatch):
    monkeypatch.setattr(access, "NEEDS", list(access.NEEDS))
    need = access.Need("staging", ("s3:GetObject",), targets=("redshift",), why="read the jsonpaths file")
    access.register(need)
    access.register(need)
    assert access.NEEDS.count(need) == 1
    assert "s3:GetObject" in access.actions("redshift", "provisioned", "data_api")


def test_recording_maps_api_operations_to_iam_actions(tmp_path):
    settings = config.load(tmp_path / "absent.cfg", environ={})
    clients = aws.Clients(settings)
    with aws.recording() as calls:
        clients("s3").list_buckets()
        clients("ec2").describe_vpcs()
        clients("sts").get_caller_identity()
    assert [action for action, _ in calls] == ["s3:ListAllMyBuckets", "ec2:DescribeVpcs", "sts:GetCallerIdentity"]


def test_the_policy_in_docs_redshift_md_is_what_the_command_prints_for_the_defaults(tmp_path):
    text = (paths.project_root() / "docs" / "redshift.md").read_text()
    block = text.split("<!-- BEGIN iam-policy")[1].split("```json\n")[1].split("\n```")[0]
    assert json.loads(block) == access.policy(settings_for(tmp_path))


def dependent_actions(prefix, action):
    """The Dependent actions of ``prefix:action`` in the Service Authorization
    Reference, as the copy parliament ships (iam_definition.json) holds them."""
    import parliament

    definition = json.loads((Path(parliament.__file__).parent / "iam_definition.json").read_text())
    [service] = [s for s in definition if s["prefix"] == prefix]
    [privilege] = [p for p in service["privileges"] if p["privilege"] == action]
    return {a for r in privilege["resource_types"] for a in r.get("dependent_actions") or []}


@pytest.mark.parametrize("prefix, action, kind", [("redshift", "CreateCluster", "provisioned"),
                                                  ("redshift-serverless", "CreateNamespace", "serverless")])
def test_what_creating_the_warehouse_depends_on_is_on_the_list_but_kms_for_a_key_of_ones_own(prefix, action, kind):
    """Issue 18 asked whether CreateCluster needs ec2:DescribeAccountAttributes
    or ec2:DescribeAddresses: the reference names no EC2 action for it; its
    Secrets Manager dependents (the managed admin password) are on the list;
    its KMS dependents apply to a customer managed key, which 01 does not use."""
    needed = dependent_actions(prefix, action)
    assert not {a for a in needed if a.startswith("ec2:")}
    assert {a for a in needed if not a.startswith("kms:")} <= set(access.actions("redshift", kind, "data_api"))


# --- every kind x access pair: what connecting calls, and the command that prints the policy -----------

# What the Data API calls on the caller's behalf, by the target a request names: with temporary
# credentials, a request naming a serverless workgroup (WorkgroupName + Database) needs permission to call
# redshift-serverless:GetCredentials, one naming a cluster as a database user (ClusterIdentifier +
# Database + DbUser) needs redshift:GetClusterCredentials (the AWS CLI reference of the Data API's
# execute-statement, https://docs.aws.amazon.com/cli/latest/reference/redshift-data/execute-statement.html).
CALLED_FOR_YOU = {"ClusterIdentifier": "redshift:GetClusterCredentials",
                  "WorkgroupName": "redshift-serverless:GetCredentials"}
CREDENTIALS = {"provisioned": "redshift:GetClusterCredentials", "serverless": "redshift-serverless:GetCredentials"}


def stubbed_client(service):
    import boto3
    from botocore.stub import Stubber

    client = boto3.client(service, region_name="us-west-2", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    return client, Stubber(client)


def connection_calls(settings, kind, mode, monkeypatch):
    """The IAM actions of opening a connection to the warehouse 01 recorded and running one query:
    the calls our clients make (Stubber answers) plus what the Data API calls for us."""
    from sparkify_nb import warehouse
    from sparkify_nb.infra import state

    ident = settings.get("cluster", "identifier")
    state.save(settings, {"kind": kind, "cluster_identifier": ident, "workgroup_name": ident, "port": 5439,
                          "endpoint": f"{ident}.example.us-west-2.redshift.amazonaws.com"})
    monkeypatch.delenv("SPARKIFY_DB_PASSWORD", raising=False)
    monkeypatch.setattr(warehouse.connect.psycopg2, "connect", lambda **kwargs: kwargs)  # no network
    clients = aws.Clients(settings)
    if mode == "data_api":
        client, stub = stubbed_client("redshift-data")
        stub.add_response("execute_statement", {"Id": "00000000-0000-4000-8000-000000000001",
                                                "SessionId": "5a2e7f0c-1b2d-4c3e-8f9a-0123456789ab"})
        stub.add_response("describe_statement", {"Id": "00000000-0000-4000-8000-000000000001", "Status": "FINISHED"})
        stub.add_response("get_statement_result", {"Records": [[{"longValue": 1}]], "TotalNumRows": 1,
                                                   "ColumnMetadata": [{"name": "one", "typeName": "int4"}]})
        clients.use("redshift-data", client)
    elif kind == "serverless":
        client, stub = stubbed_client("redshift-serverless")
        stub.add_response("get_credentials", {"dbUser": "IAMR:sparkify_admin", "dbPassword": "temporary"})
        clients.use("redshift-serverless", client)
    else:
        client, stub = stubbed_client("redshift")
        stub.add_response("get_cluster_credentials", {"DbUser": "IAM:sparkify_admin", "DbPassword": "temporary"})
        clients.use("redshift", client)
    try:
        with stub, aws.recording() as calls:
            conn = warehouse.open_connection(settings, clients)
            if mode == "data_api":
                assert warehouse.query(conn, "SELECT 1 AS one")["one"].tolist() == [1]
    finally:
        state.clear(settings)
    stub.assert_no_pending_responses()
    called = {action for action, _ in calls}
    for_you = {CALLED_FOR_YOU[key] for action, params in calls if action.startswith("redshift-data:")
               for key in CALLED_FOR_YOU if key in params}
    return called | for_you


@pytest.mark.parametrize("kind, mode", COMBOS)
def test_every_call_of_connecting_and_querying_is_in_the_policy_of_its_kind_and_access(tmp_path, monkeypatch,
                                                                                       kind, mode):
    settings = settings_for(tmp_path, **{"cluster.kind": kind, "cluster.access": mode})
    needed = connection_calls(settings, kind, mode, monkeypatch)
    assert CREDENTIALS[kind] in needed
    assert needed - set(access.actions("redshift", kind, mode)) == set()
    policy = access.policy(settings, "123456789012")
    assert {a for a in needed if not statements_of(policy, a)} == set()


@pytest.mark.parametrize("kind, mode", COMBOS)
def test_iam_policy_command_prints_for_each_kind_and_access_the_policy_with_its_credentials(tmp_path, capsys,
                                                                                           kind, mode):
    from sparkify_nb import cli

    assert cli.main(["iam-policy", "--kind", kind, "--access", mode, "--account", "123456789012"]) == 0
    printed = json.loads(capsys.readouterr().out)
    settings = settings_for(tmp_path, **{"cluster.kind": kind, "cluster.access": mode})
    assert printed == access.policy(settings, "123456789012")
    [credentials] = statements_of(printed, CREDENTIALS[kind])
    # what the credentials are for: the workgroup, or the cluster's database user and database
    assert set(credentials["Resource"]) >= {
        "provisioned": {"arn:aws:redshift:us-west-2:123456789012:dbname:sparkify-dwh/sparkify",
                        "arn:aws:redshift:us-west-2:123456789012:dbuser:sparkify-dwh/sparkify_admin"},
        "serverless": {"arn:aws:redshift-serverless:us-west-2:123456789012:workgroup/*"}}[kind]
    data_api = statements_of(printed, "redshift-data:ExecuteStatement")
    # on the cluster or workgroup, and in a session the caller opened (a call that carries only its SessionId)
    assert [st["Sid"] for st in data_api] == ([
        "SqlOnThisCluster" if kind == "provisioned" else "SqlOnThisStacksWorkgroup", "SqlInYourOwnDataApiSessions"]
        if mode == "data_api" else [])
