"""The calls the AWS emulator (moto 5) does not implement, pinned with botocore's Stubber.

moto has no Redshift Serverless API at all and no ModifyClusterParameterGroup
(it answers HTTP 500), so these tests use botocore.stub.Stubber: a real boto3
client whose requests are validated against the service model and answered
with canned responses. Everything else in infra runs against the emulator
(tests/test_infra.py). Stubbed clients go in through ``aws.Clients(...).use``.
"""

from datetime import datetime, timedelta, timezone

import pytest

from sparkify_nb import aws, config, infra
from sparkify_nb.infra import network, pricing, resources, wait
from tests.helpers import stubbed

ROLE = "arn:aws:iam::123456789012:role/sls-redshift-copy"
NS_ARN = "arn:aws:redshift-serverless:us-west-2:123456789012:namespace/abc"
WG_ARN = "arn:aws:redshift-serverless:us-west-2:123456789012:workgroup/def"
NET = {"subnet_ids": ["subnet-1", "subnet-2", "subnet-3"], "security_group_id": "sg-1"}
# Who runs the stubbed steps (what sts:GetCallerIdentity would say): the owner tag names it.
ME = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/me", "UserId": "AIDAME"}


@pytest.fixture
def settings(tmp_path):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": "sls", "cluster.kind": "serverless",
        "cluster.identifier": "sls-dwh", "cluster.base_capacity": 16})


def tags(stack="sls"):
    return [{"key": "sparkify:stack", "value": stack}, {"key": "sparkify:owner", "value": ME["Arn"]},
            {"key": "Name", "value": "sls-dwh"}]


def workgroup(status="AVAILABLE", capacity=16, routing=True):
    return {"workgroup": {"workgroupName": "sls-dwh", "workgroupArn": WG_ARN, "status": status,
                          "baseCapacity": capacity, "publiclyAccessible": False, "enhancedVpcRouting": routing,
                          "endpoint": {"address": "sls-dwh.123456789012.us-west-2.redshift-serverless.amazonaws.com",
                                       "port": 5439}}}


def not_found(stubber, operation):
    stubber.add_client_error(operation, service_error_code="ResourceNotFoundException", http_status_code=404)


# The namespace and workgroup (the analyst role is IAM: tests/test_analysts_redshift.py); the optional usage
# limit has its own tests (tests/test_guardrails_stubbed.py).
SERVERLESS = [k for k in resources.KINDS if k.cluster_kind == "serverless" and k.setting is None
              and k.name.startswith("serverless-")]


def context(settings, client, progress=lambda _: None):
    """A run of infra steps whose redshift-serverless client is ``client``; no pause between polls."""
    return infra.Context(settings, aws.Clients(settings).use("redshift-serverless", client), progress, delay_s=0,
                         identity=ME)


def ensure_serverless(ctx, record):
    """What provision does for the serverless kinds: each ensure, in table order."""
    for kind in SERVERLESS:
        record.update(kind.ensure(ctx, record))
    return record


def found_serverless(ctx):
    """What teardown finds of the serverless kinds, in its order."""
    return [(kind, item) for kind in resources.teardown_order() if kind in SERVERLESS for item in kind.find(ctx)]


def test_require_ssl_and_user_activity_logging_are_set_in_the_parameter_group():
    client, stub = stubbed("redshift")
    stub.add_response("modify_cluster_parameter_group",
                      {"ParameterGroupName": "s-params", "ParameterGroupStatus": "ok"},
                      {"ParameterGroupName": "s-params", "Parameters": [
                          {"ParameterName": "require_ssl", "ParameterValue": "true", "ApplyType": "static"},
                          {"ParameterName": "enable_user_activity_logging", "ParameterValue": "true",
                           "ApplyType": "static"}]})
    with stub:
        infra.set_parameters(client, "s-params")
    stub.assert_no_pending_responses()


def test_emulator_gaps_are_skipped_only_on_local(settings, tmp_path):
    local = config.load(tmp_path / "absent.cfg", environ={})
    assert aws.emulator_lacks(local, "redshift", "modify_cluster_parameter_group")
    assert aws.emulator_lacks(local, "redshift-serverless", "create_workgroup")
    assert not aws.emulator_lacks(local, "redshift", "create_cluster")
    assert not aws.emulator_lacks(settings, "redshift", "modify_cluster_parameter_group")
    assert not aws.emulator_lacks(settings, "redshift-serverless")


def test_serverless_creates_namespace_and_workgroup_on_our_role_and_network(settings):
    client, stub = stubbed("redshift-serverless")
    not_found(stub, "get_namespace")
    stub.add_response("create_namespace", {"namespace": {"namespaceName": "sls-dwh", "namespaceArn": NS_ARN}}, {
        "namespaceName": "sls-dwh", "adminUsername": "sparkify_admin", "manageAdminPassword": True,
        "dbName": "sparkify", "iamRoles": [ROLE], "defaultIamRoleArn": ROLE, "tags": tags(),
        "logExports": ["connectionlog", "userlog", "useractivitylog"]})
    not_found(stub, "get_workgroup")
    stub.add_response("create_workgroup", workgroup("CREATING"), {
        "workgroupName": "sls-dwh", "namespaceName": "sls-dwh", "baseCapacity": 16, "maxCapacity": 16,
        "subnetIds": NET["subnet_ids"], "securityGroupIds": ["sg-1"], "publiclyAccessible": False,
        "enhancedVpcRouting": True, "port": 5439,
        "configParameters": [{"parameterKey": "require_ssl", "parameterValue": "true"},
                             {"parameterKey": "enable_user_activity_logging", "parameterValue": "true"}],
        "tags": tags()})
    stub.add_response("get_workgroup", workgroup("CREATING"), {"workgroupName": "sls-dwh"})
    stub.add_response("get_workgroup", workgroup("AVAILABLE"), {"workgroupName": "sls-dwh"})
    stub.add_response("get_workgroup", workgroup("AVAILABLE"), {"workgroupName": "sls-dwh"})
    lines = []
    with stub:
        record = ensure_serverless(context(settings, client, lines.append), {"role_arn": ROLE, **NET})
    stub.assert_no_pending_responses()
    assert record["workgroup_arn"] == WG_ARN and record["namespace_arn"] == NS_ARN
    assert record["endpoint"].endswith(".redshift-serverless.amazonaws.com") and record["port"] == 5439
    assert lines[-2:] == ["serverless workgroup sls-dwh: CREATING (0 s)",
                          "serverless workgroup sls-dwh: AVAILABLE after 0 s"]


def test_serverless_rerun_creates_nothing_and_applies_each_setting_in_its_own_update(settings):
    """Stubber (the emulator has no Serverless API): UpdateWorkgroup takes one
    setting per request, so base capacity, routing and the maximum each get
    their own call, the workgroup AVAILABLE again before the next."""
    client, stub = stubbed("redshift-serverless")
    stub.add_response("get_namespace", {"namespace": {"namespaceName": "sls-dwh", "namespaceArn": NS_ARN,
                                                      "logExports": ["userlog"], "iamRoles": [
        f"IamRole(applyStatus=in-sync, iamRoleArn={ROLE})"]}})
    stub.add_response("list_tags_for_resource", {"tags": tags()}, {"resourceArn": NS_ARN})
    stub.add_response("update_namespace", {"namespace": {"namespaceName": "sls-dwh", "namespaceArn": NS_ARN}},
                      {"namespaceName": "sls-dwh", "logExports": ["connectionlog", "userlog", "useractivitylog"]})
    stub.add_response("get_workgroup", workgroup(capacity=8, routing=False))
    stub.add_response("list_tags_for_resource", {"tags": tags()}, {"resourceArn": WG_ARN})
    for change in ({"baseCapacity": 16}, {"enhancedVpcRouting": True}, {"maxCapacity": 16}):
        stub.add_response("update_workgroup", workgroup(), {"workgroupName": "sls-dwh", **change})
        stub.add_response("get_workgroup", workgroup("MODIFYING"), {"workgroupName": "sls-dwh"})
        stub.add_response("get_workgroup", workgroup(), {"workgroupName": "sls-dwh"})
    stub.add_response("get_workgroup", workgroup())
    stub.add_response("get_workgroup", workgroup())
    lines = []
    with stub:
        ensure_serverless(context(settings, client, lines.append), {"role_arn": ROLE, **NET})
    stub.assert_no_pending_responses()
    changes = [line for line in lines if " -> " in line]
    assert changes == ["serverless workgroup sls-dwh: baseCapacity 8 -> 16",
                       "serverless workgroup sls-dwh: enhancedVpcRouting False -> True",
                       "serverless workgroup sls-dwh: maxCapacity None -> 16"]
    assert lines.count("serverless workgroup sls-dwh: MODIFYING (0 s)") == 3
    assert "serverless namespace sls-dwh: audit logs exported to CloudWatch Logs" in lines
    assert not [line for line in lines if "created" in line or "creating" in line]


def test_serverless_name_taken_by_another_stack_is_a_conflict(settings):
    client, stub = stubbed("redshift-serverless")
    stub.add_response("get_namespace", {"namespace": {"namespaceName": "sls-dwh", "namespaceArn": NS_ARN}})
    stub.add_response("list_tags_for_resource", {"tags": tags("someone-else")})
    with stub, pytest.raises(infra.ConflictError, match="serverless namespace sls-dwh exists but is not tagged"):
        ensure_serverless(context(settings, client), {"role_arn": ROLE, **NET})


def test_serverless_teardown_deletes_workgroup_then_namespace_only_if_tagged_and_waits(settings):
    client, stub = stubbed("redshift-serverless")
    other = "arn:aws:redshift-serverless:us-west-2:123456789012:workgroup/other"
    stub.add_response("list_workgroups", {"workgroups": [
        {"workgroupName": "sls-dwh", "workgroupArn": WG_ARN}, {"workgroupName": "other", "workgroupArn": other}]})
    stub.add_response("list_tags_for_resource", {"tags": tags()}, {"resourceArn": WG_ARN})
    stub.add_response("list_tags_for_resource", {"tags": []}, {"resourceArn": other})
    stub.add_response("list_namespaces", {"namespaces": [{"namespaceName": "sls-dwh", "namespaceArn": NS_ARN}]})
    stub.add_response("list_tags_for_resource", {"tags": tags()}, {"resourceArn": NS_ARN})
    stub.add_response("delete_workgroup", workgroup("DELETING"), {"workgroupName": "sls-dwh"})
    stub.add_response("get_workgroup", workgroup("DELETING"), {"workgroupName": "sls-dwh"})
    not_found(stub, "get_workgroup")
    stub.add_response("delete_namespace", {"namespace": {"namespaceName": "sls-dwh", "status": "DELETING"}},
                      {"namespaceName": "sls-dwh"})
    not_found(stub, "get_namespace")
    lines = []
    ctx = context(settings, client, lines.append)
    with stub:
        found = found_serverless(ctx)
        for kind, item in found:
            kind.delete(ctx, item)
    stub.assert_no_pending_responses()
    assert [kind.describe(item) for kind, item in found] == ["serverless-workgroup sls-dwh",
                                                            "serverless-namespace sls-dwh"]
    assert lines == ["serverless workgroup sls-dwh: deleting", "serverless workgroup sls-dwh: DELETING (0 s)",
                     "serverless workgroup sls-dwh: gone after 0 s",
                     "serverless: billed per RPU-second of work, so its cost is in the AWS Billing console "
                     "(estimate: " + pricing.describe(pricing.for_settings(settings)) + ")",
                     "serverless namespace sls-dwh: deleting", "serverless namespace sls-dwh: gone after 0 s"]


def test_serverless_dry_run_lists_and_deletes_nothing(settings):
    client, stub = stubbed("redshift-serverless")
    stub.add_response("list_workgroups", {"workgroups": [{"workgroupName": "sls-dwh", "workgroupArn": WG_ARN}]})
    stub.add_response("list_tags_for_resource", {"tags": tags()})
    stub.add_response("list_namespaces", {"namespaces": []})
    with stub:
        found = found_serverless(context(settings, client))
    stub.assert_no_pending_responses()
    assert [kind.describe(item) for kind, item in found] == ["serverless-workgroup sls-dwh"]


def test_poll_gives_up_with_a_timeout_error():
    with pytest.raises(infra.WaitTimeout, match="thing still CREATING after 0 s"):
        wait.poll("thing", lambda: "CREATING", lambda s: s == "AVAILABLE", lambda _: None, timeout_s=0, delay_s=0)


def test_aws_call_logs_the_error_code_and_reraises(caplog):
    client, stub = stubbed("iam")
    stub.add_client_error("get_role", service_error_code="AccessDenied", http_status_code=403)
    with stub, pytest.raises(Exception) as caught, caplog.at_level("ERROR"):
        aws.call(client, "get_role", RoleName="r")
    assert aws.error_code(caught.value) == "AccessDenied"
    assert "iam get_role failed: AccessDenied" in caplog.text


# --- pricing ----------------------------------------------------------------------

def test_hourly_cost_of_a_provisioned_cluster():
    assert pricing.provisioned_hourly("ra3.large", 2) == 1.086
    assert pricing.provisioned_hourly("dc2.large", 1) == 0.25


def test_hourly_cost_of_serverless_at_base_capacity_from_4_rpu():
    assert pricing.serverless_hourly(8) == 3.0
    assert pricing.serverless_hourly(4) == 1.5
    with pytest.raises(pricing.PricingError, match=r"base_capacity = 2: Redshift Serverless starts at 4 RPUs"):
        pricing.serverless_hourly(2)


def test_direct_access_adds_the_hourly_price_of_its_public_ipv4_addresses():
    private = pricing.estimate("provisioned", "ra3.large", 2)
    public = pricing.estimate("provisioned", "ra3.large", 2, public=True)
    assert (private["usd_per_hour"], public["usd_per_hour"]) == (1.086, 1.101)  # 3 addresses x $0.005
    assert public["basis"].endswith("plus 3 public IPv4 x $0.005/hour (access = direct)")
    assert pricing.public_addresses("provisioned", 1) == 1


def test_unknown_node_type_names_the_key():
    with pytest.raises(pricing.PricingError, match=r"no price for node type 'x1.huge' \(\[cluster\] node_type\)"):
        pricing.provisioned_hourly("x1.huge", 2)


def test_estimate_names_its_source_and_date():
    line = pricing.describe(pricing.estimate("provisioned", "ra3.large", 2))
    assert line.startswith("estimated cost: $1.086/hour, $26.06/day left running (2 x ra3.large at $0.543/node-hour")
    assert f"{pricing.SOURCE_URL} as of {pricing.AS_OF}" in line


def test_lifetime_cost():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert pricing.lifetime_cost(start, start + timedelta(hours=2), 1.086) == (timedelta(hours=2), 2.17)


def test_serverless_connection_uses_get_credentials_and_requires_ssl(settings, monkeypatch):
    from sparkify_nb import warehouse
    from sparkify_nb.infra import state

    client, stub = stubbed("redshift-serverless")
    stub.add_response("get_credentials", {"dbUser": "IAMR:sparkify_admin", "dbPassword": "temporary"},
                      {"workgroupName": "sls-dwh", "dbName": "sparkify", "durationSeconds": 3600})
    monkeypatch.delenv("SPARKIFY_DB_PASSWORD", raising=False)
    state.save(settings, {"kind": "serverless", "workgroup_name": "sls-dwh", "port": 5439,
                          "endpoint": "sls-dwh.123456789012.us-west-2.redshift-serverless.amazonaws.com"})
    try:
        with stub:
            params = warehouse.connect._redshift_params(settings, clients=lambda service: client)
    finally:
        state.clear(settings)
    assert (params["user"], params["sslmode"], params["port"]) == ("IAMR:sparkify_admin", "verify-full", 5439)


# --- waiting with visible progress (a cluster that takes a while: moto's is available at once) ---

def cluster(status):
    return {"Clusters": [{"ClusterIdentifier": "c", "ClusterStatus": status}]}


def test_wait_prints_status_and_elapsed_time_until_the_cluster_is_available():
    client, stub = stubbed("redshift")
    for _ in range(5):  # one round of 4 waiter polls, then the status shown
        stub.add_response("describe_clusters", cluster("creating"), {"ClusterIdentifier": "c"})
    stub.add_response("describe_clusters", cluster("available"), {"ClusterIdentifier": "c"})
    lines = []
    with stub:
        wait.wait(client, "cluster_available", lines.append, delay_s=0, ClusterIdentifier="c",
                  describe=lambda: client.describe_clusters(ClusterIdentifier="c")["Clusters"][0]["ClusterStatus"])
    stub.assert_no_pending_responses()
    assert lines == ["waiting for the cluster to be available: creating (0 s)",
                     "waited 0 s for the cluster to be available"]


def test_wait_gives_up_after_the_timeout_with_what_to_do():
    client, stub = stubbed("redshift")
    for _ in range(4):
        stub.add_response("describe_clusters", cluster("creating"))
    with stub, pytest.raises(infra.WaitTimeout, match=r"cluster_available did not succeed within -1 s; look at"):
        wait.wait(client, "cluster_available", lambda _: None, timeout_s=-1, delay_s=0, ClusterIdentifier="c")


# --- every call a Serverless run makes is on the operator's list -----------------------------

@pytest.mark.parametrize("mode", ["data_api", "direct"])
def test_serverless_provisioning_and_teardown_calls_are_on_the_list(tmp_path, mode):
    """Stubber runs of the serverless kinds (moto has no Serverless API), recorded call by call,
    for each access (the list of each pair is its own)."""
    from sparkify_nb.iam import operator as access

    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": "sls", "cluster.kind": "serverless",
        "cluster.identifier": "sls-dwh", "cluster.base_capacity": 16, "cluster.access": mode})
    client, stub = stubbed("redshift-serverless")
    not_found(stub, "get_namespace")
    stub.add_response("create_namespace", {"namespace": {"namespaceName": "sls-dwh", "namespaceArn": NS_ARN}})
    not_found(stub, "get_workgroup")
    stub.add_response("create_workgroup", workgroup("CREATING"))
    stub.add_response("get_workgroup", workgroup("AVAILABLE"))
    stub.add_response("get_workgroup", workgroup("AVAILABLE"))
    stub.add_response("list_workgroups", {"workgroups": [{"workgroupName": "sls-dwh", "workgroupArn": WG_ARN}]})
    stub.add_response("list_tags_for_resource", {"tags": tags()})
    stub.add_response("list_namespaces", {"namespaces": [{"namespaceName": "sls-dwh", "namespaceArn": NS_ARN}]})
    stub.add_response("list_tags_for_resource", {"tags": tags()})
    stub.add_response("delete_workgroup", workgroup("DELETING"))
    not_found(stub, "get_workgroup")
    stub.add_response("delete_namespace", {"namespace": {"namespaceName": "sls-dwh"}})
    not_found(stub, "get_namespace")
    ctx = context(settings, client)
    with stub, aws.recording() as calls:
        ensure_serverless(ctx, {"role_arn": ROLE, **NET})
        for kind, item in found_serverless(ctx):
            kind.delete(ctx, item)
    stub.assert_no_pending_responses()
    recorded = {action for action, _ in calls}
    assert recorded - set(access.actions("redshift", "serverless", mode)) == set()
    assert {"redshift-serverless:CreateWorkgroup", "redshift-serverless:ListNamespaces"} <= recorded


# --- the role Redshift cannot use yet is retried ------------------------------------------------

ROLE_NOT_READY = ("The IAM role sls-redshift-copy is not valid. The IAM role must delegate access to an Amazon "
                  "Redshift account.")


def test_create_cluster_is_retried_while_the_new_role_propagates():
    """Stubber: CreateCluster refuses the role twice (InvalidParameterValue), then succeeds."""
    client, stub = stubbed("redshift")
    for _ in range(2):
        stub.add_client_error("create_cluster", service_error_code="InvalidParameterValue",
                              service_message=ROLE_NOT_READY, http_status_code=400)
    stub.add_response("create_cluster", {"Cluster": {"ClusterIdentifier": "c"}})
    lines = []
    with stub:
        wait.retry_role_propagation(lambda: client.create_cluster(
            ClusterIdentifier="c", NodeType="ra3.large", MasterUsername="u"), "cluster c", lines.append, delay_s=0)
    stub.assert_no_pending_responses()
    assert lines == ["cluster c: the new IAM role is not yet usable by Redshift (IAM is eventually consistent); "
                     "retrying in 0 s (0 s so far)"] * 2


def test_other_invalid_parameters_are_not_retried():
    """Stubber: an InvalidParameterValue that is not about the role fails at once."""
    client, stub = stubbed("redshift")
    stub.add_client_error("create_cluster", service_error_code="InvalidParameterValue",
                          service_message="Invalid node type: dc2.large.", http_status_code=400)
    with stub, pytest.raises(Exception, match="Invalid node type"):
        wait.retry_role_propagation(lambda: client.create_cluster(
            ClusterIdentifier="c", NodeType="dc2.large", MasterUsername="u"), "cluster c", lambda _: None, delay_s=0)


def test_the_role_is_not_retried_past_the_timeout():
    """Stubber: the role never becomes usable; the error comes through after the timeout."""
    client, stub = stubbed("redshift")
    stub.add_client_error("create_cluster", service_error_code="InvalidParameterValue",
                          service_message=ROLE_NOT_READY, http_status_code=400)
    with stub, pytest.raises(Exception, match="The IAM role sls-redshift-copy is not valid"):
        wait.retry_role_propagation(lambda: client.create_cluster(
            ClusterIdentifier="c", NodeType="ra3.large", MasterUsername="u"), "cluster c", lambda _: None,
            delay_s=0, timeout_s=-1)


def test_serverless_namespace_creation_is_retried_while_the_role_propagates(settings):
    """Stubber: CreateNamespace refuses the role once (ValidationException naming it), then succeeds."""
    client, stub = stubbed("redshift-serverless")
    not_found(stub, "get_namespace")
    stub.add_client_error("create_namespace", service_error_code="ValidationException",
                          service_message=f"IAM role {ROLE} cannot be assumed", http_status_code=400)
    stub.add_response("create_namespace", {"namespace": {"namespaceName": "sls-dwh", "namespaceArn": NS_ARN}})
    lines = []
    with stub:
        record = SERVERLESS[0].ensure(context(settings, client, lines.append), {"role_arn": ROLE})
    assert record["namespace_arn"] == NS_ARN
    assert lines[0].startswith("serverless namespace sls-dwh: the new IAM role is not yet usable by Redshift")


# --- availability zones ------------------------------------------------------------------------

def test_local_zones_and_zones_that_need_opt_in_are_never_chosen(settings):
    """Stubber: a region whose zone list holds a Local Zone and an opted-in zone that sort first."""
    client, stub = stubbed("ec2")
    zone = {"State": "available", "RegionName": "us-west-2"}
    stub.add_response("describe_availability_zones", {"AvailabilityZones": [
        {**zone, "ZoneName": "us-west-2-lax-1a", "ZoneType": "local-zone", "OptInStatus": "opted-in"},
        {**zone, "ZoneName": "us-west-2-den-1a", "ZoneType": "availability-zone", "OptInStatus": "opted-in"},
        {**zone, "ZoneName": "us-west-2c", "ZoneType": "availability-zone", "OptInStatus": "opt-in-not-required"},
        {**zone, "ZoneName": "us-west-2a", "ZoneType": "availability-zone", "OptInStatus": "opt-in-not-required"},
    ]}, {"Filters": [{"Name": "state", "Values": ["available"]},
                     {"Name": "zone-type", "Values": ["availability-zone"]},
                     {"Name": "opt-in-status", "Values": ["opt-in-not-required"]}]})
    ctx = infra.Context(settings, aws.Clients(settings).use("ec2", client), lambda _: None, delay_s=0)
    with stub:
        assert network.zones(ctx) == ["us-west-2a", "us-west-2c"]


def test_serverless_gets_subnets_in_three_zones(tmp_path):
    """On the emulator (ec2 only): the subnet step of a serverless stack."""
    s = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.stack_name": "threezones", "cluster.kind": "serverless", "cluster.identifier": "threezones-dwh"})
    ctx = infra.Context(s, aws.Clients(s), lambda _: None, delay_s=0)
    record = network.ensure_vpc(ctx, {})
    try:
        record.update(network.ensure_subnets(ctx, record))
        subnets = ctx.client("ec2").describe_subnets(SubnetIds=record["subnet_ids"])["Subnets"]
        assert sorted(sn["AvailabilityZone"] for sn in subnets) == ["us-west-2a", "us-west-2b", "us-west-2c"]
    finally:
        infra.teardown(s, progress=lambda _: None)


def test_a_new_dc2_cluster_is_refused_before_anything_is_made(tmp_path):
    """On the emulator (which would accept dc2): refused with the node type to use instead."""
    s = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.stack_name": "olddc2", "cluster.identifier": "olddc2-dwh", "cluster.node_type": "dc2.large"})
    with pytest.raises(infra.InfraError, match=r"\[cluster\] node_type = dc2\.large: AWS no longer makes new clusters "
                                               r"of dc2 nodes .* Use ra3\.large"):
        infra.provision(s, progress=lambda _: None)
    assert infra.tagged_resources(s) == []
