"""Redshift Serverless capacity: the maximum that caps the cost, and the
updates that bring a workgroup in line one setting at a time.

The emulator (moto) has no Redshift Serverless API, so the AWS calls are
pinned with botocore's Stubber; requests are validated against botocore's
service model (redshift-serverless)."""

import pytest

from sparkify_nb import aws, config, infra
from sparkify_nb.config import ConfigError
from sparkify_nb.infra import billing, pricing, serverless
from tests.helpers import stubbed, stubbed_context

WG_ARN = "arn:aws:redshift-serverless:us-west-2:123456789012:workgroup/def"


def settings_for(tmp_path, **overrides):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": "cap", "cluster.kind": "serverless",
        "cluster.identifier": "cap-dwh", **overrides})


def workgroup(status="AVAILABLE", base=8, most=None):
    return {"workgroup": {"workgroupName": "cap-dwh", "workgroupArn": WG_ARN, "status": status, "baseCapacity": base,
                          "enhancedVpcRouting": True, "publiclyAccessible": False,
                          **({"maxCapacity": most} if most else {})}}


def updates(settings, current, answers_between=1):
    """The UpdateWorkgroup calls bring_in_line sends to ``current``, in order."""
    client, stub = stubbed("redshift-serverless")
    sent = []
    changes = {k: v for k, v in serverless.wanted_workgroup(settings).items() if current["workgroup"].get(k) != v}
    for key in serverless.update_order(current["workgroup"], changes):
        stub.add_response("update_workgroup", current, {"workgroupName": "cap-dwh", key: changes[key]})
        for _ in range(answers_between):
            stub.add_response("get_workgroup", workgroup())
        sent.append({key: changes[key]})
    ctx = stubbed_context(settings, {"redshift-serverless": client})
    with stub:
        serverless.bring_in_line(ctx, current["workgroup"])
    stub.assert_no_pending_responses()
    return sent


def test_the_maximum_defaults_to_the_base_capacity(tmp_path):
    assert serverless.wanted_workgroup(settings_for(tmp_path, **{"cluster.base_capacity": 16}))["maxCapacity"] == 16


def test_raising_both_capacities_sends_the_maximum_first(tmp_path):
    sent = updates(settings_for(tmp_path, **{"cluster.base_capacity": 64, "cluster.max_capacity": 128}),
                   workgroup(base=8, most=32))
    assert sent == [{"maxCapacity": 128}, {"baseCapacity": 64}]


def test_lowering_both_capacities_sends_the_base_first(tmp_path):
    sent = updates(settings_for(tmp_path, **{"cluster.base_capacity": 8, "cluster.max_capacity": 16}),
                   workgroup(base=64, most=128))
    assert sent == [{"baseCapacity": 8}, {"maxCapacity": 16}]


def test_a_workgroup_without_a_maximum_gets_its_base_first_then_the_maximum(tmp_path):
    sent = updates(settings_for(tmp_path, **{"cluster.base_capacity": 8}), workgroup(base=32))
    assert sent == [{"baseCapacity": 8}, {"maxCapacity": 8}]


def test_a_workgroup_in_line_gets_no_update(tmp_path):
    assert updates(settings_for(tmp_path), workgroup(base=8, most=8)) == []


def test_a_maximum_below_the_base_is_refused_naming_both(tmp_path):
    with pytest.raises(ConfigError, match=r"parameter max_capacity = '8': expected at least base_capacity \(16 RPU\)"):
        settings_for(tmp_path, **{"cluster.base_capacity": 16, "cluster.max_capacity": 8})


def test_the_estimate_is_at_the_maximum_and_names_the_base(tmp_path):
    est = pricing.for_settings(settings_for(tmp_path, **{"cluster.base_capacity": 8, "cluster.max_capacity": 32}))
    assert (est["usd_per_hour"], est["usd_per_day"]) == (12.0, 288.0)
    assert est["basis"].startswith("at most 32 RPU x $0.375/RPU-hour ([cluster] max_capacity; base 8 RPU: "
                                   "$3.00/hour), billed per second only while queries run")


def test_the_billing_line_warns_about_a_workgroup_without_a_maximum():
    line = billing.workgroup_line(workgroup(base=8)["workgroup"], [])
    assert "$3.00 per hour of work at 8 RPU and NO maximum set (it may scale above; 01 sets [cluster] " \
           "max_capacity)" in line


def test_status_shows_the_audit_logs_and_the_admin_credential_with_their_monthly_cost(tmp_path):
    """Stubber (no Serverless API on the emulator; its CloudWatch Logs would
    do, but one stubbed status keeps the calls in one place): two tagged log
    groups of the namespace hold 1 GiB each; the namespace reports the managed
    admin credential."""
    settings = settings_for(tmp_path)
    sl, sl_stub = stubbed("redshift-serverless")
    logs_client, logs_stub = stubbed("logs")
    logs_stub.add_response("describe_log_groups", {"logGroups": []},
                           {"logGroupNamePrefix": "/aws/redshift/cluster/cap-dwh/"})
    names = [f"/aws/redshift/cap-dwh/{n}" for n in ("connectionlog", "userlog")]
    logs_stub.add_response("describe_log_groups", {"logGroups": [
        {"logGroupName": n, "arn": f"arn:aws:logs:us-west-2:123456789012:log-group:{n}:*", "storedBytes": 2 ** 30,
         "retentionInDays": 30} for n in names]}, {"logGroupNamePrefix": "/aws/redshift/cap-dwh/"})
    for n in names:
        logs_stub.add_response("list_tags_for_resource", {"tags": {"sparkify:stack": "cap"}},
                               {"resourceArn": f"arn:aws:logs:us-west-2:123456789012:log-group:{n}"})
    sl_stub.add_response("get_namespace", {"namespace": {"namespaceName": "cap-dwh", "adminPasswordSecretArn":
                                                         "arn:aws:secretsmanager:us-west-2:123456789012:secret:rs"}},
                         {"namespaceName": "cap-dwh"})
    ctx = infra.Context(settings, aws.Clients(settings).use("redshift-serverless", sl).use("logs", logs_client),
                        lambda _: None, delay_s=0)
    with sl_stub, logs_stub:
        lines = billing._monthly(ctx)
    assert lines == ["audit logs: 2 log groups, 2.000 GB stored, kept 30 days, about $0.06/month at $0.03/GB-month; "
                     "99_teardown deletes them ([cluster] keep_logs = true keeps them)",
                     "admin credential: kept by AWS for the warehouse, about $0.40/month; Redshift deletes it with "
                     "the warehouse"]
