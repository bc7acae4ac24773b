"""01's preflight tells the truth (issue 25, item 7): in a rehearsal the gate answers
SimulatePrincipalPolicy with the evaluator that authorises every call, and the preflight simulates each call of
the run on each resource with the context that call carries there (sparkify_nb/iam/plan.py, through the gate's
own table sparkify_nb/iam/touches.py), not with the values the policy's own conditions name. So a policy with
one wrong condition value fails the permissions row, naming the action and the resource, while the printed
policy passes. Real boto3 against the session's emulator; an account of its own per test."""

import copy
import uuid

import pytest

from sparkify_nb import aws, config, local
from sparkify_nb.iam import admin, operator
from sparkify_nb.infra import preflight
from sparkify_nb.local.iam import account


def _settings(tmp_path, name):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.rehearsal": "true", "general.stack_name": name,
        "cluster.identifier": f"{name}-dwh"})


def _permissions(tmp_path, monkeypatch, alter=None):
    """The preflight's permissions row (state, result) for an operator holding the printed policy, changed by
    ``alter`` (a function of the document)."""
    name = f"pf{uuid.uuid4().hex[:6]}"
    settings = _settings(tmp_path, name)
    endpoint = local.aws_endpoint()
    made = account.create(endpoint)
    document = copy.deepcopy(operator.policy(settings, made))
    if alter:
        alter(document, name, made)
    account.attach(endpoint, made, settings, admin.operator_parts(document))
    monkeypatch.setenv(account.ACCOUNT_ENV, made)
    table = preflight.run(settings, aws.Clients(settings)).table
    row = table[table["check"] == "permissions"].iloc[0]
    return row["state"], row["result"], name, made


def _statement(document, sid):
    return next(s for s in document["Statement"] if s["Sid"] == sid)


def test_the_printed_policy_passes_the_rehearsals_preflight(tmp_path, monkeypatch):
    state, result, _, made = _permissions(tmp_path, monkeypatch)
    assert (result, state.split(" may ")[0]) == ("pass", account.principal(made)), state


def _other_boundary(document, name, made):
    _statement(document, "CreateOnlyBoundedRoles")["Condition"]["ArnEquals"]["iam:PermissionsBoundary"] = \
        f"arn:aws:iam::{made}:policy/someone-elses-boundary"


def _other_tag_value(document, name, made):
    _statement(document, "CreateSubnetTaggedAsThisStack")["Condition"]["StringEquals"][
        "aws:RequestTag/sparkify:stack"] = "another-stack"


@pytest.mark.parametrize("alter, refused", [
    (_other_boundary, "iam:CreateRole on arn:aws:iam::{made}:role/{name}-redshift-copy"),
    (_other_tag_value, "ec2:CreateSubnet on arn:aws:ec2:us-west-2:{made}:subnet/*"),
])
def test_one_wrong_condition_value_fails_the_rehearsals_preflight_naming_the_action_and_the_resource(
        tmp_path, monkeypatch, alter, refused):
    state, result, name, made = _permissions(tmp_path, monkeypatch, alter)
    assert result == "fail", state
    assert refused.format(made=made, name=name) in state.split(" may not: ")[1].split(", "), state
