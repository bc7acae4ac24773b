"""Cost guardrails and COPY-role association where the AWS emulator (moto 5)
has no API, pinned with botocore's Stubber: moto implements no Redshift
scheduled actions, no ModifyClusterIamRoles and no Redshift Serverless at all.
Stubber validates every request against the real service model and answers
with canned responses; what moto does implement (pause, resume, IAM, the
billing line of a provisioned cluster) runs against it in tests/test_guardrails.py.
"""

import boto3
import pytest

from sparkify_nb import aws, config, infra, local
from sparkify_nb.infra import billing, cluster, guardrails, pause, resources, serverless
from tests.helpers import quiet, stubbed

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/gr-redshift-copy"
SCHEDULER = f"arn:aws:iam::{ACCOUNT}:role/gr-redshift-scheduler"
WG_ARN = f"arn:aws:redshift-serverless:us-west-2:{ACCOUNT}:workgroup/wg1"
NS_ARN = f"arn:aws:redshift-serverless:us-west-2:{ACCOUNT}:namespace/ns1"


def make_settings(tmp_path, **overrides):
    values = {"general.target": "redshift", "general.stack_name": "gr", "cluster.identifier": "gr-dwh"}
    values.update(overrides)
    return config.load(tmp_path / "absent.cfg", environ={}, overrides=values)


def context(settings, lines, **clients):
    made = aws.Clients(settings)
    for service, client in clients.items():
        made.use(service.replace("_", "-"), client)
    return infra.Context(settings, made, lines.append, delay_s=0)


def tags(stack="gr"):
    return [{"key": "sparkify:stack", "value": stack}]


# --- 01 re-associates a detached COPY role -----------------------------------------------

def test_01_associates_the_copy_role_with_a_cluster_that_lacks_it(tmp_path):
    client, stub = stubbed("redshift")
    stub.add_response("modify_cluster_iam_roles", {"Cluster": {"ClusterIdentifier": "gr-dwh"}},
                      {"ClusterIdentifier": "gr-dwh", "AddIamRoles": [ROLE]})
    lines = []
    found = {"ClusterIdentifier": "gr-dwh", "IamRoles": [{"IamRoleArn": ROLE, "ApplyStatus": "removing"}]}
    with stub:
        assert cluster.associate_copy_role(context(make_settings(tmp_path), lines, redshift=client), found, ROLE)
    stub.assert_no_pending_responses()
    assert lines == ["cluster gr-dwh: COPY role gr-redshift-copy was not associated; associated it "
                     "(COPY reads S3 with it)"]


def test_a_cluster_that_has_the_copy_role_is_left_alone(tmp_path):
    client, stub = stubbed("redshift")  # no response queued: any call fails the test
    found = {"ClusterIdentifier": "gr-dwh", "IamRoles": [{"IamRoleArn": ROLE, "ApplyStatus": "in-sync"}]}
    with stub:
        assert not cluster.associate_copy_role(context(make_settings(tmp_path), [], redshift=client), found, ROLE)


def test_01_associates_the_copy_role_with_a_namespace_keeping_its_other_roles(tmp_path):
    other = f"arn:aws:iam::{ACCOUNT}:role/analyst-ml"
    client, stub = stubbed("redshift-serverless")
    stub.add_response("update_namespace", {"namespace": {"namespaceName": "gr-dwh"}},
                      {"namespaceName": "gr-dwh", "iamRoles": [other, ROLE], "defaultIamRoleArn": other})
    ns = {"namespaceName": "gr-dwh", "defaultIamRoleArn": other,
          "iamRoles": [f"IamRole(iamRoleArn={other}, applyStatus=in-sync)"]}
    lines = []
    with stub:
        assert serverless.associate_copy_role(context(make_settings(tmp_path, **{"cluster.kind": "serverless"}),
                                                      lines, redshift_serverless=client), ns, ROLE)
    stub.assert_no_pending_responses()
    assert lines[-1].startswith("serverless namespace gr-dwh: COPY role gr-redshift-copy was not associated")


def test_namespace_roles_are_read_from_either_text_form():
    ns = {"iamRoles": [f"IamRole(applyStatus=in-sync, iamRoleArn={ROLE})",
                       f"IamRole(iamRoleArn={SCHEDULER}, applyStatus=adding)"]}
    assert serverless.namespace_roles(ns) == [ROLE, SCHEDULER]
    odd = f"arn:aws:iam::{ACCOUNT}:role/a,b"  # IAM allows commas in role names
    assert serverless.namespace_roles({"iamRoles": [odd, f"IamRole(iamRoleArn={odd}, applyStatus=in-sync)"]}) == \
        [odd, odd]


# --- [cluster] pause_schedule --------------------------------------------------------------

def action(schedule="cron(0 20 * * ? *)"):
    return {"ScheduledActionName": "gr-pause", "Schedule": schedule, "IamRole": SCHEDULER,
            "TargetAction": {"PauseCluster": {"ClusterIdentifier": "gr-dwh"}}}


def test_pause_schedule_creates_a_scheduled_action_that_pauses_the_cluster(tmp_path):
    settings = make_settings(tmp_path, **{"cluster.pause_schedule": "cron(0 20 * * ? *)"})
    client, stub = stubbed("redshift")
    stub.add_client_error("describe_scheduled_actions", service_error_code="ScheduledActionNotFound",
                          expected_params={"ScheduledActionName": "gr-pause"})
    stub.add_response("create_scheduled_action", action(), {
        "ScheduledActionName": "gr-pause", "Enable": True, "Schedule": "cron(0 20 * * ? *)", "IamRole": SCHEDULER,
        "TargetAction": {"PauseCluster": {"ClusterIdentifier": "gr-dwh"}},
        "ScheduledActionDescription": "Pause gr-dwh (sparkify [cluster] pause_schedule)"})
    lines = []
    with stub:
        out = guardrails.ensure_pause_action(context(settings, lines, redshift=client),
                                             {"scheduler_role_arn": SCHEDULER})
    stub.assert_no_pending_responses()
    assert out == {"pause_schedule": "cron(0 20 * * ? *)"}
    assert lines == ["scheduled action gr-pause: created, pauses cluster gr-dwh on cron(0 20 * * ? *) (UTC)"]


def test_a_changed_pause_schedule_is_applied_in_place(tmp_path):
    settings = make_settings(tmp_path, **{"cluster.pause_schedule": "cron(30 18 ? * MON-FRI *)"})
    client, stub = stubbed("redshift")
    stub.add_response("describe_scheduled_actions", {"ScheduledActions": [action()]})
    stub.add_response("modify_scheduled_action", action("cron(30 18 ? * MON-FRI *)"), {
        "ScheduledActionName": "gr-pause", "Enable": True, "Schedule": "cron(30 18 ? * MON-FRI *)",
        "IamRole": SCHEDULER, "TargetAction": {"PauseCluster": {"ClusterIdentifier": "gr-dwh"}}})
    lines = []
    with stub:
        guardrails.ensure_pause_action(context(settings, lines, redshift=client), {"scheduler_role_arn": SCHEDULER})
    stub.assert_no_pending_responses()
    assert lines == ["scheduled action gr-pause: updated, pauses cluster gr-dwh on cron(30 18 ? * MON-FRI *) (UTC)"]


def test_an_empty_pause_schedule_removes_the_action_an_earlier_run_made(tmp_path):
    client, stub = stubbed("redshift")
    stub.add_response("describe_scheduled_actions", {"ScheduledActions": [action()]})
    stub.add_response("delete_scheduled_action", {}, {"ScheduledActionName": "gr-pause"})
    lines = []
    with stub:
        out = guardrails.ensure_pause_action(context(make_settings(tmp_path), lines, redshift=client), {})
    stub.assert_no_pending_responses()
    assert out == {"pause_schedule": None} and lines == ["scheduled action gr-pause: deleted"]


def test_a_scheduled_action_of_that_name_with_another_role_is_not_ours(tmp_path):
    client, stub = stubbed("redshift")
    stub.add_response("describe_scheduled_actions", {"ScheduledActions": [
        {**action(), "IamRole": f"arn:aws:iam::{ACCOUNT}:role/someone-elses"}]})
    with stub:
        assert guardrails.find_pause_actions(context(make_settings(tmp_path), [], redshift=client)) == []


def test_the_scheduler_role_may_only_pause_this_cluster(tmp_path):
    settings = make_settings(tmp_path, **{"cluster.pause_schedule": "cron(0 20 * * ? *)"})
    ctx = context(settings, [])
    assert guardrails.cluster_arn(ctx, SCHEDULER) == f"arn:aws:redshift:us-west-2:{ACCOUNT}:cluster:gr-dwh"
    assert guardrails.SCHEDULER_TRUST["Statement"][0]["Principal"] == {"Service": "scheduler.redshift.amazonaws.com"}


# --- [cluster] max_rpu_hours_per_day ---------------------------------------------------------

def limit(amount=16):
    return {"usageLimitId": "ul-1", "usageType": "serverless-compute", "period": "daily",
            "breachAction": "deactivate", "amount": amount, "resourceArn": WG_ARN}


def serverless_settings(tmp_path, amount=""):
    return make_settings(tmp_path, **{"cluster.kind": "serverless", "cluster.max_rpu_hours_per_day": amount})


def test_max_rpu_hours_per_day_creates_a_daily_deactivating_usage_limit(tmp_path):
    client, stub = stubbed("redshift-serverless")
    stub.add_response("list_usage_limits", {},  # none: the list (min length 1 in the model) is left out
                     
                      {"resourceArn": WG_ARN, "usageType": "serverless-compute"})
    stub.add_response("create_usage_limit", {"usageLimit": limit()}, {
        "resourceArn": WG_ARN, "usageType": "serverless-compute", "amount": 16, "period": "daily",
        "breachAction": "deactivate"})
    lines = []
    with stub:
        out = guardrails.ensure_usage_limit(context(serverless_settings(tmp_path, 16), lines,
                                                    redshift_serverless=client),
                                            {"workgroup_name": "gr-dwh", "workgroup_arn": WG_ARN})
    stub.assert_no_pending_responses()
    assert out == {"max_rpu_hours_per_day": 16}
    assert lines == ["serverless workgroup gr-dwh: usage limit created, queries stop after 16 RPU-hours a day"]


def test_a_changed_limit_is_updated_and_an_empty_one_removed(tmp_path):
    client, stub = stubbed("redshift-serverless")
    stub.add_response("list_usage_limits", {"usageLimits": [limit(16)]})
    stub.add_response("update_usage_limit", {"usageLimit": limit(24)}, {"usageLimitId": "ul-1", "amount": 24})
    stub.add_response("list_usage_limits", {"usageLimits": [limit(24), {**limit(), "usageLimitId": "ul-theirs",
                                                                        "breachAction": "log"}]})
    stub.add_response("delete_usage_limit", {"usageLimit": limit(24)}, {"usageLimitId": "ul-1"})
    record = {"workgroup_name": "gr-dwh", "workgroup_arn": WG_ARN}
    lines = []
    with stub:
        guardrails.ensure_usage_limit(context(serverless_settings(tmp_path, 24), lines, redshift_serverless=client),
                                      record)
        guardrails.ensure_usage_limit(context(serverless_settings(tmp_path), lines, redshift_serverless=client),
                                      record)
    stub.assert_no_pending_responses()  # the 'log' limit someone else set is left alone
    assert lines == ["serverless workgroup gr-dwh: usage limit 16 -> 24 RPU-hours a day",
                     "usage limit ul-1 (24 RPU-hours a day): deleted"]


def test_teardown_deletes_the_usage_limit_before_the_workgroup():
    order = [k.name for k in resources.teardown_order()]
    assert order.index("serverless-usage-limit") < order.index("serverless-workgroup")
    assert order.index("pause-schedule") < order.index("scheduler-role") < order.index("cluster")


# --- the billing line of Serverless ------------------------------------------------------------

def test_billing_line_of_a_workgroup_says_it_bills_only_while_queries_run(tmp_path):
    client, stub = stubbed("redshift-serverless")
    stub.add_response("get_workgroup", {"workgroup": {"workgroupName": "gr-dwh", "workgroupArn": WG_ARN,
                                                      "status": "AVAILABLE", "baseCapacity": 8,
                                                      "maxCapacity": 8}},
                      {"workgroupName": "gr-dwh"})
    stub.add_response("list_workgroups", {"workgroups": [{"workgroupName": "gr-dwh", "workgroupArn": WG_ARN}]})
    stub.add_response("list_tags_for_resource", {"tags": tags()}, {"resourceArn": WG_ARN})
    stub.add_response("list_usage_limits", {"usageLimits": [limit(16)]})
    settings = serverless_settings(tmp_path, 16)
    # The lease's schedules are read from the emulator, which serves EventBridge Scheduler (none there: no lease).
    scheduler = boto3.client("scheduler", region_name="us-west-2", endpoint_url=local.aws_endpoint(),
                             aws_access_key_id="testing", aws_secret_access_key="testing")
    with stub:
        line = billing.billing_line(settings, aws.Clients(settings).use("redshift-serverless", client)
                                    .use("scheduler", scheduler))
    stub.assert_no_pending_responses()
    assert line == ("serverless workgroup gr-dwh is AVAILABLE: billed $0.375/RPU-hour only while queries run "
                    "(at most $3.00 per hour of work at its maximum of 8 RPU; the Billing console has the cost so far); "
                    "queries stop after "
                    "16 RPU-hours a day; 99_teardown deletes it")


def test_pause_is_refused_for_serverless_with_the_reason(tmp_path):
    from sparkify_nb.infra import pause

    with pytest.raises(infra.InfraError, match="Redshift Serverless bills compute only while queries run"):
        pause.pause(serverless_settings(tmp_path), progress=lambda _: None)


# --- pause and resume through their in-between states (moto pauses and resumes at once) --------

def described(stub, *states):
    """One DescribeClusters answer per state, in order."""
    for state in states:
        stub.add_response("describe_clusters", {"Clusters": [{
            "ClusterIdentifier": "gr-dwh", "ClusterStatus": state,
            "Tags": [{"Key": "sparkify:stack", "Value": "gr"}]}]}, {"ClusterIdentifier": "gr-dwh"})


def called(stub, operation):
    stub.add_response(operation, {"Cluster": {"ClusterIdentifier": "gr-dwh"}}, {"ClusterIdentifier": "gr-dwh"})


def run_stubbed(tmp_path, step, client):
    settings = make_settings(tmp_path)
    lines = []
    final = step(settings, aws.Clients(settings).use("redshift", client), progress=lines.append, delay_s=0)
    return final, lines


def test_pause_waits_through_pausing_until_the_cluster_says_paused(tmp_path):
    from sparkify_nb.infra import pause

    client, stub = stubbed("redshift")
    described(stub, "available")
    called(stub, "pause_cluster")
    described(stub, "pausing", "pausing", "paused")
    with stub:
        final, lines = run_stubbed(tmp_path, pause.pause, client)
    stub.assert_no_pending_responses()
    assert final == "paused"
    assert lines == ["cluster gr-dwh: pausing (Redshift takes a snapshot first)", "cluster gr-dwh: pausing (0 s)",
                     "cluster gr-dwh: pausing (0 s)", "cluster gr-dwh: paused after 0 s",
                     "cluster gr-dwh: paused; compute is no longer billed, storage is. `sparkify-nb resume` (or 01) "
                     "starts it again"]


def test_pause_of_a_cluster_already_pausing_waits_for_it_without_a_second_pause_call(tmp_path):
    from sparkify_nb.infra import pause

    client, stub = stubbed("redshift")
    described(stub, "pausing", "pausing", "paused")
    with stub:
        final, lines = run_stubbed(tmp_path, pause.pause, client)
    stub.assert_no_pending_responses()
    assert final == "paused" and lines[:2] == ["cluster gr-dwh: pausing (0 s)", "cluster gr-dwh: paused after 0 s"]


def test_resume_of_a_cluster_still_pausing_waits_for_paused_then_resumes_until_available(tmp_path):
    from sparkify_nb.infra import pause

    client, stub = stubbed("redshift")
    described(stub, "pausing", "pausing", "paused")
    called(stub, "resume_cluster")
    described(stub, "resuming", "available")
    with stub:
        final, lines = run_stubbed(tmp_path, pause.resume, client)
    stub.assert_no_pending_responses()
    assert final == "available"
    assert lines == ["cluster gr-dwh: pausing (0 s)", "cluster gr-dwh: paused after 0 s",
                     "cluster gr-dwh: resuming (compute billing starts again)", "cluster gr-dwh: resuming (0 s)",
                     "cluster gr-dwh: available after 0 s", "cluster gr-dwh: available"]


def test_every_new_action_is_in_the_operator_policy():
    needed = set(resources.actions("redshift"))
    assert {"redshift:PauseCluster", "redshift:ResumeCluster", "redshift:ModifyClusterIamRoles",
            "redshift:CreateScheduledAction", "redshift:DeleteScheduledAction",
            "redshift-serverless:CreateUsageLimit", "redshift-serverless:DeleteUsageLimit",
            "redshift-serverless:UpdateNamespace"} <= needed


def test_a_workgroup_deleted_between_the_list_and_its_tags_is_not_the_stacks():
    """Stubbed: the race needs another stack's 99 to delete its workgroup between two of our calls (seen in
    the whole runs, where four rehearsals share one Serverless service); the emulator cannot be paused there."""
    from sparkify_nb import config
    from sparkify_nb.infra import serverless
    from tests.helpers import stubbed, stubbed_context

    settings = config.load(overrides={"general.target": "redshift", "cluster.kind": "serverless"}, environ={})
    client, stub = stubbed("redshift-serverless")
    gone = "arn:aws:redshift-serverless:us-west-2:123456789012:workgroup/0b1c"
    stub.add_response("list_workgroups", {"workgroups": [{"workgroupName": "other-wg", "workgroupArn": gone}]})
    stub.add_client_error("list_tags_for_resource", "ResourceNotFoundException", expected_params={"resourceArn": gone})
    with stub:
        assert serverless.find_workgroups(stubbed_context(settings, {"redshift-serverless": client})) == []
    stub.assert_no_pending_responses()


@pytest.mark.parametrize("overrides, notebooks", [
    ({}, ["03_etl"]),  # local: no cluster to pause
    ({"general.target": "redshift", "cluster.kind": "serverless"}, ["03_etl"]),  # Serverless has no pause
    ({"general.target": "redshift"}, ["01_infrastructure", "03_etl"]),  # 01 resumes it itself
    ({"general.target": "redshift"}, ["99_teardown"]),  # sends no SQL
], ids=["local", "serverless", "with-01", "no-sql"])
def test_a_run_that_needs_no_resume_asks_aws_nothing(overrides, notebooks):
    def no_aws(service):
        raise AssertionError(f"asked {service}")

    with pause.awake(config.load(overrides=overrides), notebooks, clients=no_aws, progress=quiet) as resumed:
        assert resumed is False


def test_resume_of_an_available_cluster_says_so_and_asks_nothing_more(tmp_path):
    client, stub = stubbed("redshift")
    described(stub, "available")  # no ResumeCluster queued: a call fails the test
    with stub:
        final, lines = run_stubbed(tmp_path, pause.resume, client)
    stub.assert_no_pending_responses()
    assert (final, lines) == ("available", ["cluster gr-dwh: already available"])


def test_a_cluster_neither_available_nor_paused_is_not_paused_and_the_error_says_when_to_try_again(tmp_path):
    """PauseCluster's InvalidClusterState: "The specified cluster is not in the available state"
    (API_PauseCluster.html): 01's pause asks nothing of a cluster in another state and says why."""
    client, stub = stubbed("redshift")
    described(stub, "modifying")  # no PauseCluster queued
    with stub, pytest.raises(infra.InfraError, match=r"^cluster gr-dwh is modifying: only an available cluster can be "
                                                     r"paused; try again when `sparkify-nb status` says available$"):
        run_stubbed(tmp_path, pause.pause, client)
    stub.assert_no_pending_responses()


@pytest.mark.parametrize("step", [pause.pause, pause.resume], ids=["pause", "resume"])
def test_a_cluster_of_that_name_without_the_stacks_tag_is_neither_paused_nor_resumed(tmp_path, step):
    client, stub = stubbed("redshift")
    stub.add_response("describe_clusters", {"Clusters": [{
        "ClusterIdentifier": "gr-dwh", "ClusterStatus": "available", "Tags": [{"Key": "sparkify:stack", "Value": "x"}]}]},
        {"ClusterIdentifier": "gr-dwh"})
    with stub, pytest.raises(infra.ConflictError, match=r"^cluster gr-dwh exists but is not tagged sparkify:stack=gr"):
        run_stubbed(tmp_path, step, client)
    stub.assert_no_pending_responses()
