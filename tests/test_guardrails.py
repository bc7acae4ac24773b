"""Cost guardrails against the AWS emulator (real boto3 calls to moto on
loopback): status, pause and resume, 01 with a paused cluster, the billing
line, the scheduler role of a pause schedule, a cluster without the COPY role.
moto pauses and resumes at once, so the waits end after one poll; what moto
lacks is in tests/test_guardrails_stubbed.py.
"""

import json
from datetime import timedelta

import boto3
import pytest

from tests.helpers import quiet, stack_settings
from sparkify_nb import aws, cli, config, infra, local
from sparkify_nb.infra import billing, pause


def make_settings(tmp_path, **overrides):
    return stack_settings(tmp_path, "g", **{"cluster.node_count": 2, **overrides})


@pytest.fixture
def settings(tmp_path):
    s = make_settings(tmp_path)
    yield s
    infra.teardown(s, progress=lambda _: None)


def status_of(settings):
    return aws.Clients(settings)("redshift").describe_clusters(
        ClusterIdentifier=settings.get("cluster", "identifier"))["Clusters"][0]["ClusterStatus"]


def test_pause_then_resume_wait_and_say_what_bills(settings):
    infra.provision(settings, progress=quiet)
    ident = settings.get("cluster", "identifier")
    lines = []
    assert pause.pause(settings, progress=lines.append, delay_s=0) == "paused"
    assert status_of(settings) == "paused"
    assert lines == [f"cluster {ident}: pausing (Redshift takes a snapshot first)",
                     f"cluster {ident}: paused after 0 s",
                     f"cluster {ident}: paused; compute is no longer billed, storage is. `sparkify-nb resume` (or 01) "
                     "starts it again"]
    lines.clear()
    assert pause.pause(settings, progress=lines.append, delay_s=0) == "paused"
    assert lines == [f"cluster {ident}: already paused (storage only is billed)"]
    assert pause.resume(settings, progress=quiet, delay_s=0) == "available"
    assert status_of(settings) == "available"


def test_01_resumes_a_paused_cluster_instead_of_waiting_for_it(settings):
    infra.provision(settings, progress=quiet)
    pause.pause(settings, progress=quiet, delay_s=0)
    lines = []
    record = infra.provision(settings, progress=lines.append)
    ident = settings.get("cluster", "identifier")
    assert f"cluster {ident}: paused; resuming it (compute billing starts again; `sparkify-nb pause` stops it)" \
        in lines
    assert record["cluster_status"] == "available" and status_of(settings) == "available"


def test_01_with_resume_false_stops_at_once_saying_the_cluster_is_paused(tmp_path, settings):
    infra.provision(settings, progress=quiet)
    pause.pause(settings, progress=quiet, delay_s=0)
    told = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.stack_name": settings.stack_name, "cluster.identifier": settings.get("cluster", "identifier"),
        "cluster.resume": False})
    with pytest.raises(infra.InfraError, match=r"is paused \(compute is not billed while paused\) and \[cluster\] "
                                               r"resume is false: not resumed\. Resume it with `sparkify-nb resume`"):
        infra.provision(told, progress=quiet)
    assert status_of(settings) == "paused"


def redshift_view(settings):
    """The same stack seen as target redshift, its redshift client on the emulator."""
    seen = config.load(overrides={"general.target": "redshift", "general.stack_name": settings.stack_name,
                                  "cluster.identifier": settings.get("cluster", "identifier")}, environ={})
    client, scheduler = (boto3.client(service, region_name=seen.region, endpoint_url=local.aws_endpoint(),
                                      aws_access_key_id="testing", aws_secret_access_key="testing")
                         for service in ("redshift", "scheduler"))  # the lease's schedules: none made on local
    return seen, aws.Clients(seen).use("redshift", client).use("scheduler", scheduler), client


def test_billing_line_on_redshift_gives_age_cost_so_far_and_the_way_out(settings):
    infra.provision(settings, progress=quiet)
    seen, clients, client = redshift_view(settings)
    ident = settings.get("cluster", "identifier")
    created = client.describe_clusters(ClusterIdentifier=ident)["Clusters"][0]["ClusterCreateTime"]
    later = created + timedelta(hours=3, minutes=12)
    assert billing.billing_line(seen, clients, now=later) == (
        f"cluster {ident} has existed 3 h 12 min, about $3.48 so far; 99_teardown deletes it, `sparkify-nb pause` "
        "stops compute billing")
    client.pause_cluster(ClusterIdentifier=ident)
    assert billing.billing_line(seen, clients, now=later) == (
        f"cluster {ident} is paused: storage is still billed; it has existed 3 h 12 min, at most $3.48 so far; "
        "99_teardown deletes it, `sparkify-nb resume` (or 01) starts it again")
    infra.teardown(settings, progress=quiet)
    assert billing.billing_line(seen, clients) == \
        f"nothing of stack {settings.stack_name} bills compute on redshift (us-west-2) now"


def test_billing_line_on_local_says_nothing_bills(settings):
    assert billing.billing_line(settings) == billing.LOCAL_LINE


def test_status_lists_the_cluster_its_cost_snapshots_and_every_tagged_resource(settings):
    infra.provision(settings, progress=quiet)
    ident = settings.get("cluster", "identifier")
    created = aws.Clients(settings)("redshift").describe_clusters(
        ClusterIdentifier=ident)["Clusters"][0]["ClusterCreateTime"]
    lines = billing.status(settings, now=created + timedelta(hours=1))
    assert lines[0].startswith(f"stack {settings.stack_name} on local (us-west-2); state file: ")
    assert lines[1] == (f"cluster {ident}: available, 2 x ra3.large, created {created:%Y-%m-%d %H:%M} UTC "
                        "(1 h 00 min ago), about $1.09 so far at $1.086/hour (redshift's on-demand list price; the "
                        "emulator costs nothing, https://aws.amazon.com/redshift/pricing/)")
    assert lines[2:7] == ["pause schedule: none ([cluster] pause_schedule)",
                          "lease: none (the local target bills nothing)", "snapshots kept: none",
                          "audit logs: 3 log groups, 0.000 GB stored, kept 30 days, about $0.00/month at "
                          "$0.03/GB-month; 99_teardown deletes them ([cluster] keep_logs = true keeps them)",
                          "admin credential: none reported by AWS"]  # the emulator reports none
    # cluster, 2 groups, 3 log groups, S3 endpoint, route table, security group, 2 subnets, VPC, role (the
    # boundary is the administrator's, not listed)
    assert lines[7].splitlines()[0] == "tagged resources: 13"
    assert lines[7].splitlines()[1] == f"  cluster {ident}"
    assert lines[-1] == billing.LOCAL_LINE


def test_cli_status_pause_and_resume(settings, monkeypatch, capsys):
    monkeypatch.setenv("SPARKIFY_GENERAL_STACK_NAME", settings.stack_name)
    monkeypatch.setenv("SPARKIFY_CLUSTER_IDENTIFIER", settings.get("cluster", "identifier"))
    monkeypatch.setenv("SPARKIFY_CLUSTER_NODE_COUNT", "2")
    assert cli.main(["pause"]) == 1  # nothing made yet
    assert "nothing to pause or resume; 01_infrastructure makes it" in capsys.readouterr().err
    infra.provision(settings, progress=quiet)
    assert cli.main(["pause"]) == 0 and status_of(settings) == "paused"
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"cluster {settings.get('cluster', 'identifier')}: paused, 2 x ra3.large" in out
    assert cli.main(["resume"]) == 0 and status_of(settings) == "available"


def test_pause_schedule_makes_the_scheduler_role_and_teardown_removes_it(tmp_path):
    s = make_settings(tmp_path, **{"cluster.pause_schedule": "cron(0 20 * * ? *)"})
    iam = aws.Clients(s)("iam")
    name = f"{s.stack_name}-redshift-scheduler"
    try:
        lines = []
        record = infra.provision(s, progress=lines.append)
        trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        assert trust["Statement"][0]["Principal"] == {"Service": "scheduler.redshift.amazonaws.com"}
        policy = iam.get_role_policy(RoleName=name, PolicyName="pause-cluster")["PolicyDocument"]
        policy = json.loads(policy) if isinstance(policy, str) else policy
        account = record["role_arn"].split(":")[4]
        assert policy["Statement"] == [{"Effect": "Allow", "Action": "redshift:PauseCluster", "Resource":
                                        f"arn:aws:redshift:us-west-2:{account}:cluster:{s.stack_name}-dwh"}]
        assert "pause schedule cron(0 20 * * ? *): not made here: the local emulator lacks Redshift scheduled " \
               "actions (on redshift 01 creates it)" in lines
        assert f"scheduler-role {name}" in infra.tagged_resources(s)
    finally:
        assert infra.teardown(s, progress=quiet) == []
    assert [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"] == name] == []


def test_turning_the_pause_schedule_off_removes_its_role(tmp_path):
    on = make_settings(tmp_path, **{"cluster.pause_schedule": "cron(0 20 * * ? *)"})
    off = make_settings(tmp_path)
    try:
        infra.provision(on, progress=quiet)
        lines = []
        infra.provision(off, progress=lines.append)
        assert f"IAM role {on.stack_name}-redshift-scheduler: policies and role deleted" in lines
        assert not [r for r in infra.tagged_resources(off) if r.startswith("scheduler-role")]
    finally:
        infra.teardown(off, progress=quiet)


def test_a_cluster_without_the_copy_role_is_noticed_by_01(settings):
    """The cluster exists (tagged as ours) but lacks the COPY role: 01 says so.
    The emulator has no ModifyClusterIamRoles, so on local it is reported, not
    associated (the association itself is pinned in tests/test_guardrails_stubbed.py)."""
    ident = settings.get("cluster", "identifier")
    aws.Clients(settings)("redshift").create_cluster(
        ClusterIdentifier=ident, NodeType="ra3.large", ClusterType="multi-node", NumberOfNodes=2,
        MasterUsername="sparkify_admin", MasterUserPassword="Local-only-1", DBName="sparkify", Encrypted=True,
        Tags=[{"Key": infra.TAG_KEY, "Value": settings.stack_name}])
    lines = []
    infra.provision(settings, progress=lines.append)
    assert f"cluster {ident}: COPY role {settings.stack_name}-redshift-copy is not associated; not associated " \
           "here: the local emulator lacks ModifyClusterIamRoles (on redshift 01 associates it)" in lines
