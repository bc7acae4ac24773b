"""A rehearsal holds the policy your administrator gave you (issue 25, items 1 and 6): with
``[general] rehearsal_policy`` / ``sparkify-nb run --rehearse --policy FILE`` naming a policy that lacks
one statement the run needs, the run stops in the notebook that needs it, naming the action and the
resource, as AWS would refuse it."""

import json
import re
import uuid

import pytest

from sparkify_nb import config, runner
from sparkify_nb.iam import operator
from tests.helpers import quiet

pytestmark = [pytest.mark.slow(seconds=40)]


def test_a_policy_lacking_one_statement_stops_the_notebook_that_needs_it_naming_action_and_resource(
        tmp_path, monkeypatch):
    stack = f"pl{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("SPARKIFY_GENERAL_STACK_NAME", stack)
    monkeypatch.setenv("SPARKIFY_CLUSTER_IDENTIFIER", f"{stack}-dwh")
    settings = config.load(overrides={"general.target": "redshift"})
    printed = operator.policy(settings, "*")
    lacking = {**printed, "Statement": [s for s in printed["Statement"] if s["Sid"] != "CreateVpcTaggedAsThisStack"]}
    (tmp_path / "policy.json").write_text(json.dumps(lacking))
    monkeypatch.setenv("SPARKIFY_GENERAL_REHEARSAL_POLICY", str(tmp_path / "policy.json"))
    with pytest.raises(runner.SuiteError) as stopped:
        runner.run_suite(["01_infrastructure"], out=tmp_path / "run", progress=quiet, rehearse=True)
    said = str(stopped.value)
    # 01's preflight simulates the policy it holds (the gate answers SimulatePrincipalPolicy): it stops before
    # anything is made, naming the action and the resource
    assert said.startswith("01_infrastructure failed in cell") and "preflight failed, nothing was made" in said
    assert re.search(rf"may not: ec2:CreateVpc on arn:aws:ec2:{settings.region}:\d{{12}}:vpc/\*", said), said


def test_a_policy_lacking_one_statement_is_refused_by_the_call_itself_without_the_preflight(tmp_path, monkeypatch):
    """The gate, not only the simulation: with the preflight's own right to simulate gone too, the refused call
    stops 01 with EC2's error naming the action and the resource."""
    stack = f"pl{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("SPARKIFY_GENERAL_STACK_NAME", stack)
    monkeypatch.setenv("SPARKIFY_CLUSTER_IDENTIFIER", f"{stack}-dwh")
    settings = config.load(overrides={"general.target": "redshift"})
    printed = operator.policy(settings, "*")
    lacking = {**printed, "Statement": [s for s in printed["Statement"]
                                        if s["Sid"] not in ("CreateVpcTaggedAsThisStack", "SimulateYourOwnPermissionsOnly")]}
    (tmp_path / "policy.json").write_text(json.dumps([lacking]))  # a list of documents, as IAM takes them
    monkeypatch.setenv("SPARKIFY_GENERAL_REHEARSAL_POLICY", str(tmp_path / "policy.json"))
    with pytest.raises(runner.SuiteError) as stopped:
        runner.run_suite(["01_infrastructure"], out=tmp_path / "run", progress=quiet, rehearse=True)
    said = str(stopped.value)
    assert said.startswith("01_infrastructure failed in cell") and "UnauthorizedOperation" in said
    assert re.search(rf"is not authorized to perform: ec2:CreateVpc on resource: arn:aws:ec2:{settings.region}:"
                     r"\d{12}:vpc/\* because no identity-based policy allows the ec2:CreateVpc action", said), said


def test_a_policy_file_that_is_not_a_policy_is_refused_saying_so(tmp_path):
    (tmp_path / "p.json").write_text('{"Version": "2012-10-17"}')
    with pytest.raises(runner.SuiteError, match="give one IAM policy document"):
        runner.read_policy(str(tmp_path / "p.json"))
