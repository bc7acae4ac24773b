"""The lease ([cluster] lease_hours) on the emulator, in a rehearsal (target
redshift on the local stack): real boto3 calls to moto's EventBridge
Scheduler, IAM and Redshift. moto keeps schedules and never fires them, so
the test that "fires" the lease makes the schedule's own target call as the
scheduler would: the same API call (the universal target's service and
action), the same Input, with the lease role's credentials (sts:AssumeRole on
the emulator), then deletes the schedule as ``ActionAfterCompletion = DELETE``
does; and then runs what 01 and status say about it. (moto 5.2's UpdateSchedule takes no
ActionAfterCompletion and keeps the create's; the suite sends it with every update anyway, as AWS's
UpdateSchedule replaces every field, so the tests cannot tell.)

One rehearsed provisioned stack for the module (01 once: a few seconds on the emulator), and a Serverless one
for its own test; about 40 s on a quiet 2-core machine."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from sparkify_nb import aws, config, infra
from sparkify_nb.iam import lease as documents
from sparkify_nb.infra import billing, lease, state, wait
from tests.helpers import quiet

pytestmark = [pytest.mark.shared_setup, pytest.mark.slow(seconds=40)]


def rehearsal_settings(folder, stack, **overrides):
    return config.load(folder / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.rehearsal": "true", "general.stack_name": stack,
        "cluster.identifier": f"{stack}-dwh", "cluster.node_count": 1, **overrides})


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A rehearsed provisioned stack as 01 leaves it, with what 01 printed."""
    name, folder = f"ls{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("lease")
    settings = rehearsal_settings(folder, name)
    clients = aws.Clients(settings)
    lines: list[str] = []
    try:
        before = datetime.now(timezone.utc).replace(microsecond=0)
        record = infra.provision(settings, clients, progress=lines.append)
        yield {"settings": settings, "clients": clients, "record": record, "lines": lines, "before": before,
               "folder": folder, "account": clients("sts").get_caller_identity()["Account"]}
    finally:
        infra.teardown(settings, clients, progress=quiet)


def schedule(stack, name=None):
    settings = stack["settings"]
    return stack["clients"]("scheduler").get_schedule(Name=name or f"{settings.stack_name}-lease",
                                                      GroupName="default")


def test_01_makes_a_one_time_schedule_that_deletes_the_cluster_at_the_deadline_as_the_lease_role(stack):
    settings, found = stack["settings"], schedule(stack)
    deadline = datetime.fromisoformat(stack["record"]["lease_deadline"])
    assert stack["before"] + timedelta(hours=12) <= deadline <= datetime.now(timezone.utc) + timedelta(hours=12)
    assert found["ScheduleExpression"] == f"at({deadline:%Y-%m-%dT%H:%M:%S})"
    assert (found["ScheduleExpressionTimezone"], found["FlexibleTimeWindow"], found["ActionAfterCompletion"],
            found["State"]) == ("UTC", {"Mode": "OFF"}, "DELETE", "ENABLED")
    target = found["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:redshift:deleteCluster"
    assert json.loads(target["Input"]) == {"ClusterIdentifier": f"{settings.stack_name}-dwh",
                                           "SkipFinalClusterSnapshot": True}
    assert target["RoleArn"] == f"arn:aws:iam::{stack['account']}:role/{settings.stack_name}-lease"


def test_01_says_when_in_utc_and_local_time(stack):
    deadline = datetime.fromisoformat(stack["record"]["lease_deadline"])
    said = [line for line in stack["lines"] if line.startswith("lease:")]
    assert said == [f"lease: AWS deletes cluster {stack['settings'].stack_name}-dwh at {lease.when(deadline)}, 12 h "
                    "from now, without a final snapshot, as 99, whether or not this machine is on. Each 01 and "
                    "`sparkify-nb lease extend [HOURS]` move it; 99_teardown removes it"]
    assert lease.when(deadline).startswith(f"{deadline:%Y-%m-%d %H:%M} UTC (")


def test_the_lease_role_trusts_only_the_scheduler_of_this_account_and_may_delete_only_this_cluster(stack):
    settings, iam = stack["settings"], stack["clients"]("iam")
    name, account = f"{settings.stack_name}-lease", stack["account"]
    role = iam.get_role(RoleName=name)["Role"]
    assert role["AssumeRolePolicyDocument"] == documents.trust(settings, account)
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnEquals": {"aws:SourceArn": f"arn:aws:scheduler:us-west-2:{account}:schedule-group/default"}}
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(f":policy/{settings.stack_name}-boundary")
    policy = iam.get_role_policy(RoleName=name, PolicyName="delete-this-warehouse")["PolicyDocument"]
    assert policy["Statement"] == [{"Sid": "DeleteThisCluster", "Effect": "Allow", "Action": "redshift:DeleteCluster",
                                    "Resource": f"arn:aws:redshift:us-west-2:{account}:cluster:"
                                                f"{settings.stack_name}-dwh"}]


def test_status_and_the_cost_line_show_the_time_left(stack):
    settings, clients = stack["settings"], stack["clients"]
    deadline = datetime.fromisoformat(stack["record"]["lease_deadline"])
    now = deadline - timedelta(hours=3, minutes=7, seconds=30)
    assert lease.status_line(settings, clients, now) == (
        f"lease: AWS deletes cluster {settings.stack_name}-dwh at {lease.when(deadline)}, in 3 h 07 min; "
        "`sparkify-nb lease extend [HOURS]` moves it")
    assert billing.billing_line(settings, clients, now).endswith(
        f"`sparkify-nb pause` stops compute billing; its lease deletes it in 3 h 07 min ({deadline:%Y-%m-%d %H:%M} "
        "UTC) (not billed: rehearsal)")
    assert lease.status_line(settings, clients, now) in billing.status(settings, clients, now)


def test_lease_extend_moves_the_deadline_and_records_it(stack):
    settings, clients = stack["settings"], stack["clients"]
    now = datetime(2031, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert lease.extend(settings, 30, clients, progress=quiet, now=now) == now + timedelta(hours=30)
    assert schedule(stack)["ScheduleExpression"] == "at(2031-05-07T13:08:09)"
    assert schedule(stack)["Target"]["Arn"] == "arn:aws:scheduler:::aws-sdk:redshift:deleteCluster"
    assert state.load(settings)["lease_deadline"] == "2031-05-07T13:08:09+00:00"
    with pytest.raises(infra.InfraError, match="at least 1"):
        lease.extend(settings, 0, clients, progress=quiet)


def test_a_second_01_moves_the_deadline_in_place(stack):
    settings, clients = stack["settings"], stack["clients"]
    record = {**state.load(settings), "lease_role_arn": schedule(stack)["Target"]["RoleArn"]}
    ctx = infra.Context(settings, clients, quiet)
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert lease.ensure_lease(ctx, record, now=now) == {"lease_deadline": "2030-01-02T15:04:05+00:00"}
    assert schedule(stack)["ScheduleExpression"] == "at(2030-01-02T15:04:05)"


def test_a_schedule_of_the_same_name_that_runs_as_another_role_is_not_taken_over(stack):
    settings, clients = stack["settings"], stack["clients"]
    other = f"arn:aws:iam::{stack['account']}:role/someone-else"
    ctx = infra.Context(settings, clients, quiet)
    with pytest.raises(infra.ConflictError, match=f"schedule {settings.stack_name}-lease exists but does not run as "
                                                  "someone-else: not ours to manage"):
        lease.ensure_lease(ctx, {"lease_role_arn": other})


def test_lease_hours_0_removes_the_schedule_and_the_role_and_a_later_01_makes_them_again(stack):
    settings, clients, record = stack["settings"], stack["clients"], dict(stack["record"])
    off = rehearsal_settings(stack["folder"], settings.stack_name, **{"cluster.lease_hours": 0})
    lines = []
    ctx = infra.Context(off, clients, lines.append)
    assert lease.ensure_lease_role(ctx, record) == {"lease_role_arn": None}
    assert lease.ensure_lease(ctx, record) == {"lease_deadline": None}
    assert lines == [f"IAM role {settings.stack_name}-lease: policies and role deleted",
                     f"lease schedule {settings.stack_name}-lease: deleted",
                     "lease: none ([cluster] lease_hours = 0): the warehouse bills until 99_teardown deletes it"]
    assert lease.status_line(off, clients) == lines[-1]
    record = infra.provision(settings, clients, progress=quiet)  # the rest of the module needs the lease again
    assert schedule(stack)["Target"]["RoleArn"] == record["lease_role_arn"]

def fire(stack, name):
    """What EventBridge Scheduler does at the deadline: assume the target's role, make the universal target's
    call with its Input, then delete the schedule (ActionAfterCompletion = DELETE). The scheduler is not the
    operator (the role trusts scheduler.amazonaws.com only): the role is assumed from the account's side, with the
    administrator's clients (not counted as the operator's calls), and the call is made with the role's keys."""
    found = schedule(stack, name)
    target = found["Target"]
    service, action = target["Arn"].split(":")[-2:]  # arn:aws:scheduler:::aws-sdk:<service>:<apiAction>
    as_role = stack["clients"].administrator().assuming(target["RoleArn"], "lease")
    service = {"redshift": "redshift", documents.SERVERLESS_SDK: "redshift-serverless"}[service]
    operation = "".join("_" + c.lower() if c.isupper() else c for c in action)
    getattr(as_role(service), operation)(**json.loads(target["Input"]))
    stack["clients"]("scheduler").delete_schedule(Name=name, GroupName="default")


def test_a_lease_that_fired_is_reported_by_01_and_status_and_99_leaves_nothing(stack):
    """Last in the module: it deletes the cluster."""
    settings, clients = stack["settings"], stack["clients"]
    deadline = datetime.fromisoformat(state.load(settings)["lease_deadline"])
    fire(stack, f"{settings.stack_name}-lease")
    said = f"cluster {settings.stack_name}-dwh: deleted by its lease at {lease.when(deadline)}; the network, " \
           "roles, buckets and logs are left for 99_teardown (or 01 makes the warehouse again)"
    lines = billing.status(settings, clients)
    assert f"lease: fired; {said}" in lines and f"cluster {settings.stack_name}-dwh: none" in lines
    left = infra.tagged_resources(settings, clients)  # the lease deleted the warehouse only
    assert "lease-role " + f"{settings.stack_name}-lease" in left and f"vpc " in " ".join(left)
    assert not [item for item in left if item.startswith(("cluster ", "lease-schedule"))]
    told = []
    record = infra.provision(settings, clients, progress=told.append)  # 01 says so, then makes it again
    creating = next(i for i, line in enumerate(told) if line.startswith(f"cluster {settings.stack_name}-dwh: creating"))
    assert said in told[:creating]
    assert record["lease_deadline"] > deadline.isoformat() and schedule(stack)  # and a new lease
    assert infra.teardown(settings, clients, progress=quiet) == []
    assert lease.find_lease_schedules(infra.Context(settings, clients, quiet)) == []


def test_a_serverless_lease_deletes_the_workgroup_then_an_hour_later_the_namespace_and_each_is_reported(tmp_path):
    """The rehearsal's Serverless service serves the calls; moto's Scheduler keeps the two schedules."""
    name = f"lv{uuid.uuid4().hex[:8]}"
    settings = rehearsal_settings(tmp_path, name, **{"cluster.kind": "serverless", "cluster.final_snapshot": True})
    clients = aws.Clients(settings)
    stack = {"settings": settings, "clients": clients}
    try:
        record = infra.provision(settings, clients, progress=quiet)
        deadline = datetime.fromisoformat(record["lease_deadline"])
        first, second = schedule(stack), schedule(stack, f"{name}-lease-namespace")
        assert (first["ScheduleExpression"], second["ScheduleExpression"]) == (
            f"at({deadline:%Y-%m-%dT%H:%M:%S})", f"at({deadline + timedelta(hours=1):%Y-%m-%dT%H:%M:%S})")
        assert (first["Target"]["Arn"], json.loads(first["Target"]["Input"])) == (
            "arn:aws:scheduler:::aws-sdk:redshiftserverless:deleteWorkgroup", {"workgroupName": f"{name}-dwh"})
        later = deadline + timedelta(hours=1)
        assert (second["Target"]["Arn"], json.loads(second["Target"]["Input"])) == (
            "arn:aws:scheduler:::aws-sdk:redshiftserverless:deleteNamespace",
            {"namespaceName": f"{name}-dwh", "finalSnapshotName": f"{name}-dwh-final-{later:%Y%m%d-%H%M%S}"})
        policy = clients("iam").get_role_policy(RoleName=f"{name}-lease",
                                                PolicyName="delete-this-warehouse")["PolicyDocument"]
        assert [(st["Action"], st["Resource"]) for st in policy["Statement"][:2]] == [
            ("redshift-serverless:DeleteWorkgroup", record["workgroup_arn"]),
            ("redshift-serverless:DeleteNamespace", record["namespace_arn"])]
        assert lease.status_line(settings, clients, deadline - timedelta(minutes=90)) == (
            f"lease: AWS deletes serverless workgroup {name}-dwh (and its namespace 1 h later) at "
            f"{lease.when(deadline)}, in 1 h 30 min; `sparkify-nb lease extend [HOURS]` moves it")
        fire(stack, f"{name}-lease")
        lines = billing.status(settings, clients)
        assert (f"lease: fired; serverless workgroup {name}-dwh: deleted by its lease at "
                f"{lease.when(deadline)}; the network, roles, buckets and logs are left for 99_teardown (or 01 makes "
                f"the warehouse again); its namespace goes at {lease.when(later)}") in lines
        serverless = clients("redshift-serverless")
        wait.poll("workgroup", lambda: "deleting" if [w for w in serverless.list_workgroups()["workgroups"]
                                                     if w["workgroupName"] == f"{name}-dwh"] else None,
                  lambda status: status is None, quiet, delay_s=0.2, timeout_s=60)  # an hour later, the namespace
        fire(stack, f"{name}-lease-namespace")
        assert infra.teardown(settings, clients, progress=quiet) == []
        assert infra.kept_snapshots(settings, clients) == [f"{name}-dwh-final-{later:%Y%m%d-%H%M%S}"]  # as 99 keeps
    finally:
        infra.teardown(settings, clients, progress=quiet)

