"""The lease's documents (sparkify_nb/iam/lease.py), pure functions of the settings, and the lease's
words and command line where no AWS call is made (the calls themselves: tests/test_lease.py)."""

from __future__ import annotations

import fnmatch
from datetime import datetime, timedelta, timezone

import pytest

from sparkify_nb import cli, config
from sparkify_nb.iam import boundary, lease
from sparkify_nb.infra import lease as infra_lease

ACCOUNT = "123456789012"
DEADLINE = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def settings_for(tmp_path, **overrides):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={"general.target": "redshift", **overrides})


def test_lease_hours_defaults_to_12_and_takes_0_to_turn_it_off(tmp_path):
    assert settings_for(tmp_path).get("cluster", "lease_hours") == 12
    assert settings_for(tmp_path, **{"cluster.lease_hours": "0"}).get("cluster", "lease_hours") == 0
    with pytest.raises(config.ConfigError, match="lease_hours"):
        settings_for(tmp_path, **{"cluster.lease_hours": "-1"})


def test_with_a_final_snapshot_the_lease_keeps_the_one_99_would_named_after_the_deadline(tmp_path):
    [target] = lease.targets(settings_for(tmp_path, **{"cluster.final_snapshot": "true"}), DEADLINE)
    assert target == {"name": "sparkify-lease", "at": DEADLINE,
                      "arn": "arn:aws:scheduler:::aws-sdk:redshift:deleteCluster",
                      "input": {"ClusterIdentifier": "sparkify-dwh", "SkipFinalClusterSnapshot": False,
                                "FinalClusterSnapshotIdentifier": "sparkify-dwh-final-20300102-030405"}}
    [without] = lease.targets(settings_for(tmp_path), DEADLINE)
    assert without["input"] == {"ClusterIdentifier": "sparkify-dwh", "SkipFinalClusterSnapshot": True}


def test_the_role_may_keep_only_the_final_snapshots_of_this_cluster_and_only_with_final_snapshot(tmp_path):
    kept = lease.role_policy(settings_for(tmp_path, **{"cluster.final_snapshot": "true"}), ACCOUNT)
    assert [(st["Action"], st["Resource"]) for st in kept["Statement"]] == [
        ("redshift:DeleteCluster", f"arn:aws:redshift:us-west-2:{ACCOUNT}:cluster:sparkify-dwh"),
        ("redshift:CreateClusterSnapshot",
         f"arn:aws:redshift:us-west-2:{ACCOUNT}:snapshot:sparkify-dwh/sparkify-dwh-final-*")]
    assert len(lease.role_policy(settings_for(tmp_path), ACCOUNT)["Statement"]) == 1


def test_a_serverless_role_policy_needs_the_arns_01_recorded(tmp_path):
    with pytest.raises(ValueError, match="names its workgroup and namespace"):
        lease.role_policy(settings_for(tmp_path, **{"cluster.kind": "serverless"}), ACCOUNT)


def actions(statement):
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def resources(statement):
    return [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]


@pytest.mark.parametrize("kind", ["provisioned", "serverless"])
def test_the_boundary_admits_every_action_of_the_role_on_its_resources(tmp_path, kind):
    settings = settings_for(tmp_path, **{"cluster.kind": kind, "cluster.final_snapshot": "true"})
    serverless = f"arn:aws:redshift-serverless:us-west-2:{ACCOUNT}"
    policy = lease.role_policy(settings, ACCOUNT, warehouse={"workgroup_arn": f"{serverless}:workgroup/0a1b",
                                                              "namespace_arn": f"{serverless}:namespace/2c3d"})
    admitted = boundary.document(settings, ACCOUNT)["Statement"]
    for st in policy["Statement"]:
        for action in actions(st):
            for resource in resources(st):
                assert [b for b in admitted if action in actions(b) and any(
                    fnmatch.fnmatchcase(resource, pattern) for pattern in resources(b))], (action, resource)


def test_the_role_trusts_the_scheduler_for_this_accounts_default_group_only(tmp_path):
    assert lease.trust(settings_for(tmp_path), ACCOUNT) == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnEquals": {
            "aws:SourceArn": f"arn:aws:scheduler:us-west-2:{ACCOUNT}:schedule-group/default"}}}]}


def test_at_expressions_are_utc_to_the_second_and_read_back():
    here = DEADLINE.astimezone(timezone(timedelta(hours=-5)))
    assert lease.at_expression(here) == "at(2030-01-02T03:04:05)"
    assert lease.parse_at("at(2030-01-02T03:04:05)") == DEADLINE
    assert lease.parse_at("rate(1 hour)") is None and lease.parse_at("at(tomorrow)") is None
    assert lease.parse_at("at(2030-01-02T03:04:05") is None  # no closing parenthesis


def test_the_time_left_is_hours_and_minutes_and_never_negative():
    assert infra_lease.left(DEADLINE, DEADLINE - timedelta(hours=25, minutes=3, seconds=59)) == "25 h 03 min"
    assert infra_lease.left(DEADLINE, DEADLINE + timedelta(minutes=5)) == "0 h 00 min"
    assert infra_lease.when(DEADLINE).startswith("2030-01-02 03:04 UTC (")


def test_the_lease_command_on_local_says_there_is_none_and_extend_is_refused(capsys):
    assert cli.main(["lease"]) == 0
    assert capsys.readouterr().out == "lease: none (the local target bills nothing)\n"
    assert cli.main(["lease", "extend", "3"]) == 1
    assert "the local target has no lease (it bills nothing)" in capsys.readouterr().err


def test_01s_plan_says_the_deadline_would_move_or_the_schedule_go(tmp_path):
    from sparkify_nb.infra import changes, resources
    from tests.helpers import stubbed_context

    item = {"Name": "sparkify-lease", "ScheduleExpression": "at(2030-01-02T03:04:05)"}
    kind = resources.kind("lease-schedule")
    assert changes.pending(stubbed_context(settings_for(tmp_path), {}), kind, item) == [
        f"deadline would move from {infra_lease.when(DEADLINE)} to 12 h after this run"]
    off = settings_for(tmp_path, **{"cluster.lease_hours": "0"})
    assert changes.pending(stubbed_context(off, {}), kind, item) == ["would be deleted ([cluster] lease_hours = 0)"]


@pytest.mark.parametrize("final", [False, True])
def test_a_serverless_role_may_delete_its_workgroup_namespace_and_secret_and_snapshot_only_when_kept(tmp_path, final):
    settings = settings_for(tmp_path, **{"cluster.kind": "serverless", "cluster.final_snapshot": str(final).lower()})
    serverless = f"arn:aws:redshift-serverless:us-west-2:{ACCOUNT}"
    policy = lease.role_policy(settings, ACCOUNT, warehouse={"workgroup_arn": f"{serverless}:workgroup/0a1b",
                                                              "namespace_arn": f"{serverless}:namespace/2c3d"})
    assert [(st["Action"], st["Resource"]) for st in policy["Statement"]] == [
        ("redshift-serverless:DeleteWorkgroup", f"{serverless}:workgroup/0a1b"),
        ("redshift-serverless:DeleteNamespace", f"{serverless}:namespace/2c3d"),
        (["secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret"],
         f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:redshift!sparkify-dwh-sparkify_admin-*"),
    ] + ([("redshift-serverless:CreateSnapshot", f"{serverless}:snapshot/*")] if final else [])


def test_serverless_schedules_delete_the_workgroup_then_the_namespace_an_hour_later(tmp_path):
    first, second = lease.targets(settings_for(tmp_path, **{"cluster.kind": "serverless"}), DEADLINE, "aws-cn")
    assert (first["name"], first["at"], first["arn"], first["input"]) == (
        "sparkify-lease", DEADLINE, "arn:aws-cn:scheduler:::aws-sdk:redshiftserverless:deleteWorkgroup",
        {"workgroupName": "sparkify-dwh"})
    assert (second["name"], second["at"], second["arn"], second["input"]) == (
        "sparkify-lease-namespace", DEADLINE + timedelta(hours=1),
        "arn:aws-cn:scheduler:::aws-sdk:redshiftserverless:deleteNamespace", {"namespaceName": "sparkify-dwh"})
    assert lease.schedule_names(settings_for(tmp_path)) == ["sparkify-lease"]
    assert lease.input_json({"b": 1, "a": True}) == '{"a": true, "b": 1}'
