"""The calls a run makes, planned for 01's preflight (sparkify_nb/iam/plan.py): every action the suite needs is
among them, and the operator policy printed for the same settings allows each on each resource with the context
the call carries there (the rehearsal's evaluator, no stack)."""

import pytest

from sparkify_nb import config
from sparkify_nb.iam import operator, plan
from sparkify_nb.local.iam.evaluate import Request, evaluate

ACCOUNT, USER = "123456789012", "arn:aws:iam::123456789012:user/alice"
# every kind x access pair, with every optional guardrail and the lease set, and with none of them
PAIRS = [(k, a, g) for k in operator.KINDS for a in operator.ACCESS for g in (True, False)]


def _settings(kind, access, guardrails=True):
    keys = {"cluster.pause_schedule": "cron(0 1 * * ? *)", "cluster.max_rpu_hours_per_day": 10} if guardrails else {
        "cluster.lease_hours": 0}
    return config.load(overrides={"general.target": "redshift", "cluster.kind": kind, "cluster.access": access,
                                  **keys})


@pytest.mark.parametrize("kind, access, guardrails", PAIRS)
def test_every_action_the_run_needs_is_planned_except_the_one_that_needs_no_permission(kind, access, guardrails):
    settings = _settings(kind, access, guardrails)
    planned = {a.action for a in plan.authorisations(settings, ACCOUNT, USER, "AIDAX")}
    needed = set(operator.actions("redshift", kind, access, operator.guardrails_set(settings)))
    assert needed - planned == {"sts:GetCallerIdentity"} and planned - needed == set()


@pytest.mark.parametrize("kind, access, guardrails", PAIRS)
def test_the_printed_policy_allows_every_planned_call_on_each_resource_with_its_context(kind, access, guardrails):
    settings = _settings(kind, access, guardrails)
    policy = operator.policy(settings, ACCOUNT)
    refused = [(a.action, r) for a in plan.authorisations(settings, ACCOUNT, USER, "AIDAX")
               for r, context in a.per_resource.items() if not evaluate([policy], Request(a.action, r, context)).allowed]
    assert refused == []


def test_a_create_plans_the_stacks_tags_and_an_existing_resource_carries_them():
    auths = plan.authorisations(_settings("provisioned", "data_api"), ACCOUNT, USER, "AIDAX")
    subnet = next(a for a in auths if a.action == "ec2:CreateSubnet")
    new, vpc = (f"arn:aws:ec2:us-west-2:{ACCOUNT}:subnet/*", f"arn:aws:ec2:us-west-2:{ACCOUNT}:vpc/vpc-of-this-stack")
    assert subnet.per_resource[new]["aws:TagKeys"] == ["sparkify:stack", "sparkify:owner", "Name"]
    assert subnet.per_resource[vpc]["aws:ResourceTag/sparkify:stack"] == "sparkify"
    assert "aws:RequestTag/sparkify:stack" not in subnet.per_resource[vpc]


def test_the_admin_secret_redshift_makes_is_planned_with_the_sars_dependent_actions():
    auths = plan.authorisations(_settings("serverless", "data_api"), ACCOUNT, USER, "AIDAX")
    secret = f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:redshift!sparkify-dwh-sparkify_admin-Ab12Cd"
    assert {a.action for a in auths if a.resources == [secret]} == {
        "secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
        "secretsmanager:RotateSecret", "secretsmanager:TagResource", "secretsmanager:UpdateSecret"}


def test_an_sso_roles_own_reads_are_planned_on_its_real_arn_with_its_path():
    """01 reads the path of the caller's own role (ReadYourOwnRole names the role with its path) and simulates it."""
    role = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_Data_0123"
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Data_0123/alice@example.com"
    settings = _settings("provisioned", "data_api")
    auths = plan.authorisations(settings, ACCOUNT, session, "AROAX:alice@example.com", principal=role)
    assert [a.resources for a in auths if a.action in ("iam:GetRole", "iam:SimulatePrincipalPolicy")
            and role in a.resources] == [[role], [role]]
    policy = operator.policy(settings, ACCOUNT, principal=role)
    assert [(a.action, r) for a in auths for r, context in a.per_resource.items()
            if not evaluate([policy], Request(a.action, r, context)).allowed] == []


def _pairs(settings, action, caller=USER, principal=None):
    return {(r, tuple(sorted((k, str(v)) for k, v in c.items() if not k.startswith("aws:") or "Tag" in k)))
            for a in plan.authorisations(settings, ACCOUNT, caller, "AIDAX", principal) if a.action == action
            for r, c in a.per_resource.items()}


@pytest.mark.parametrize("kind, guardrails, made", [
    ("provisioned", True, ["sparkify-lease", "sparkify-redshift-copy", "sparkify-redshift-scheduler"]),
    ("provisioned", False, ["sparkify-redshift-copy"]),
    ("serverless", True, ["sparkify-lease", "sparkify-redshift-analyst", "sparkify-redshift-copy"]),
])
def test_the_roles_a_run_makes_are_those_its_settings_need_and_every_stack_role_is_looked_for(kind, guardrails, made):
    settings = _settings(kind, "data_api", guardrails)
    role = f"arn:aws:iam::{ACCOUNT}:role/"
    assert sorted(r.removeprefix(role) for r, _ in _pairs(settings, "iam:CreateRole")) == made
    assert sorted(r.removeprefix(role) for r, _ in _pairs(settings, "iam:DeleteRole")) == [
        "sparkify-lease", "sparkify-redshift-analyst", "sparkify-redshift-copy", "sparkify-redshift-scheduler"]


STACK_TAGS = (("aws:ResourceTag/Name", "sparkify"), ("aws:ResourceTag/sparkify:owner", USER),
              ("aws:ResourceTag/sparkify:stack", "sparkify"))


@pytest.mark.parametrize("kind, session, tags, group", [
    ("provisioned", f"arn:aws:redshift:us-west-2:{ACCOUNT}:cluster:sparkify-dwh", (),
     f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:/aws/redshift/cluster/sparkify-dwh/"),
    ("serverless", f"arn:aws:redshift-serverless:us-west-2:{ACCOUNT}:workgroup/workgroup-of-this-stack", STACK_TAGS,
     f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:/aws/redshift/sparkify-dwh/")])
def test_sql_in_a_session_and_the_audit_logs_are_planned_on_the_kinds_own_resources(kind, session, tags, group):
    """In a session on a workgroup, the workgroup's tags come with it, as for a statement naming it."""
    settings = _settings(kind, "data_api")
    owner = ("redshift-data:session-owner-iam-userid", "AIDAX")
    assert (session, (*tags, owner)) in _pairs(settings, "redshift-data:ExecuteStatement")
    assert {r for r, _ in _pairs(settings, "logs:CreateLogGroup")} == {
        group + log for log in ("connectionlog", "userlog", "useractivitylog")}  # one group per audit log


def test_each_source_is_listed_under_its_own_prefix():
    listed = _pairs(_settings("provisioned", "data_api"), "s3:ListBucket")
    assert {c for r, c in listed if r == "arn:aws:s3:::udacity-dend"} == {
        (("s3:prefix", p),) for p in ("song_data", "log_data", "log_json_path.json")}


def test_a_role_sessions_calls_carry_its_roles_arn_as_the_principal():
    role = f"arn:aws:iam::{ACCOUNT}:role/DataEngineer"
    auths = plan.authorisations(_settings("provisioned", "data_api"), ACCOUNT,
                                f"arn:aws:sts::{ACCOUNT}:assumed-role/DataEngineer/alice", "AROAX:alice", role)
    assert {a.context["aws:PrincipalArn"] for a in auths} == {role}
    assert {a.context["aws:PrincipalType"] for a in auths} == {"AssumedRole"}


def test_a_manifest_source_plans_the_compactions_writes_and_the_printed_policy_allows_them():
    settings = config.load(overrides={"general.target": "redshift", "s3.song_data": "s3://mine/songs.manifest"})
    written = {r for r, _ in _pairs(settings, "s3:PutObject")}
    assert {"arn:aws:s3:::mine/songs.manifest"} < written and any(r.startswith("arn:aws:s3:::mine/songs") and
                                                                  r != "arn:aws:s3:::mine/songs.manifest" for r in written)
    policy = operator.policy(settings, ACCOUNT)
    assert [(a.action, r) for a in plan.authorisations(settings, ACCOUNT, USER, "AIDAX")
            for r, context in a.per_resource.items() if not evaluate([policy], Request(a.action, r, context)).allowed] == []


def test_deleting_a_serverless_namespace_plans_deleting_the_admin_secret_redshift_kept_for_it():
    """DeleteNamespace of a namespace whose admin password Redshift manages also deletes its secret, with the
    caller's rights (the SAR's dependent actions of redshift-serverless:DeleteNamespace); reading it does not."""
    auths = plan.authorisations(_settings("serverless", "data_api"), ACCOUNT, USER, "AIDAX")
    actions = [a.action for a in auths]
    secret = f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:redshift!sparkify-dwh-sparkify_admin-Ab12Cd"
    at = actions.index("redshift-serverless:DeleteNamespace")
    assert [(a.action, a.resources) for a in auths[at + 1:at + 3]] == [
        ("secretsmanager:DeleteSecret", [secret]), ("secretsmanager:DescribeSecret", [secret])]
    read = actions.index("redshift-serverless:GetNamespace")
    assert not actions[read + 1].startswith("secretsmanager:")
