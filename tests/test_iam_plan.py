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
