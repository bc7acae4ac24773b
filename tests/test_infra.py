"""infra against the AWS emulator (real boto3 calls to moto on loopback).

Each test gets its own stack name, so its resources never meet another test's;
the fixture tears the stack down afterwards.
"""

import json

import pytest

from dataclasses import replace

from tests.helpers import quiet, stack_settings
from sparkify_nb import aws, config, infra, staging
from sparkify_nb.iam import copy_role
from sparkify_nb.infra import resources, state

ACCOUNT = "123456789012"  # the emulator's default account


def make_settings(tmp_path, **overrides):
    return stack_settings(tmp_path, "t", **overrides)


@pytest.fixture
def settings(tmp_path):
    s = make_settings(tmp_path)
    yield s
    infra.teardown(s, progress=lambda _: None)


def counts(settings):
    kinds = [r.split()[0] for r in infra.tagged_resources(settings)]
    return {k: kinds.count(k) for k in set(kinds)}


PROVISIONED = {"vpc": 1, "subnet": 2, "security-group": 1, "route-table": 1, "s3-endpoint": 1, "cluster": 1,
               "cluster-subnet-group": 1, "cluster-parameter-group": 1, "iam-role": 1, "log-group": 3}
DIRECT = {"cluster.access": "direct", "cluster.node_count": 1}


def test_provision_makes_role_network_and_cluster_and_records_them(settings):
    record = infra.provision(settings, progress=quiet)
    assert record["cluster_status"] == "available"
    assert record["role_arn"].endswith(f":role/{settings.stack_name}-redshift-copy")
    assert state.load(settings)["vpc_id"] == record["vpc_id"]
    assert counts(settings) == PROVISIONED


def test_cluster_is_encrypted_private_in_our_groups_and_uses_the_role(settings):
    record = infra.provision(settings, progress=quiet)
    cluster = aws.Clients(settings)("redshift").describe_clusters(
        ClusterIdentifier=settings.get("cluster", "identifier"))["Clusters"][0]
    assert cluster["Encrypted"] is True
    assert cluster["PubliclyAccessible"] is False
    assert cluster["ClusterSubnetGroupName"] == f"{settings.stack_name}-subnets"
    assert [g["ParameterGroupName"] for g in cluster["ClusterParameterGroups"]] == [f"{settings.stack_name}-params"]
    assert [g["VpcSecurityGroupId"] for g in cluster["VpcSecurityGroups"]] == [record["security_group_id"]]
    assert [r["IamRoleArn"] for r in cluster["IamRoles"]] == [record["role_arn"]]
    assert (cluster["NodeType"], cluster["NumberOfNodes"]) == ("ra3.large", 2)


def test_subnets_are_in_two_availability_zones(settings):
    record = infra.provision(settings, progress=quiet)
    subnets = aws.Clients(settings)("ec2").describe_subnets(SubnetIds=record["subnet_ids"])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    assert {s["VpcId"] for s in subnets} == {record["vpc_id"]}


def ingress(settings, record):
    sg = aws.Clients(settings)("ec2").describe_security_groups(
        GroupIds=[record["security_group_id"]])["SecurityGroups"][0]
    return [(p["IpProtocol"], p["FromPort"], p["ToPort"], [r["CidrIp"] for r in p["IpRanges"]])
            for p in sg["IpPermissions"]]


def test_data_api_security_group_admits_only_the_vpcs_own_range(settings):
    record = infra.provision(settings, progress=quiet)
    assert ingress(settings, record) == [("tcp", 5439, 5439, ["10.42.0.0/16"])]
    assert record["allowed_cidrs"] == ["10.42.0.0/16"]
    cluster = aws.Clients(settings)("redshift").describe_clusters(
        ClusterIdentifier=settings.get("cluster", "identifier"))["Clusters"][0]
    assert cluster["PubliclyAccessible"] is False


def test_direct_security_group_admits_the_allowed_cidrs_loopback_on_local(tmp_path):
    s = make_settings(tmp_path, **DIRECT)
    try:
        record = infra.provision(s, progress=quiet)
        assert ingress(s, record) == [("tcp", 5439, 5439, ["127.0.0.1/32"])]
    finally:
        left = infra.teardown(s, progress=quiet)
    assert left == []


def test_data_api_makes_no_internet_gateway_and_no_default_route(settings):
    record = infra.provision(settings, progress=quiet)
    assert "internet-gateway" not in counts(settings)
    rtb = aws.Clients(settings)("ec2").describe_route_tables(RouteTableIds=[record["route_table_id"]])["RouteTables"][0]
    assert [r.get("DestinationCidrBlock") for r in rtb["Routes"] if r.get("DestinationCidrBlock")] == ["10.42.0.0/16"]


def test_s3_gateway_endpoint_sits_on_the_route_table_of_both_subnets(settings):
    record = infra.provision(settings, progress=quiet)
    ec2 = aws.Clients(settings)("ec2")
    endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[record["s3_endpoint_id"]])["VpcEndpoints"][0]
    assert (endpoint["VpcEndpointType"], endpoint["ServiceName"], endpoint["RouteTableIds"]) == (
        "Gateway", "com.amazonaws.us-west-2.s3", [record["route_table_id"]])
    rtb = ec2.describe_route_tables(RouteTableIds=[record["route_table_id"]])["RouteTables"][0]
    assert sorted(a["SubnetId"] for a in rtb["Associations"]) == sorted(record["subnet_ids"])


def test_cluster_has_every_setting_the_security_controls_want(settings):
    infra.provision(settings, progress=quiet)
    redshift = aws.Clients(settings)("redshift")
    ident = settings.get("cluster", "identifier")
    cluster = redshift.describe_clusters(ClusterIdentifier=ident)["Clusters"][0]
    assert {k: cluster[k] for k in ("EnhancedVpcRouting", "AutomatedSnapshotRetentionPeriod", "AllowVersionUpgrade",
                                    "Encrypted", "MasterUsername", "DBName")} == {
        "EnhancedVpcRouting": True, "AutomatedSnapshotRetentionPeriod": 7, "AllowVersionUpgrade": True,
        "Encrypted": True, "MasterUsername": "sparkify_admin", "DBName": "sparkify"}
    logging = redshift.describe_logging_status(ClusterIdentifier=ident)
    assert (logging["LoggingEnabled"], logging["LogDestinationType"], logging["LogExports"]) == (
        True, "cloudwatch", ["connectionlog", "userlog", "useractivitylog"])


def test_a_cluster_changed_by_hand_is_brought_back_in_line(settings):
    infra.provision(settings, progress=quiet)
    redshift = aws.Clients(settings)("redshift")
    ident = settings.get("cluster", "identifier")
    redshift.modify_cluster(ClusterIdentifier=ident, AutomatedSnapshotRetentionPeriod=1, AllowVersionUpgrade=False)
    redshift.disable_logging(ClusterIdentifier=ident)
    lines = []
    infra.provision(settings, progress=lines.append)
    cluster = redshift.describe_clusters(ClusterIdentifier=ident)["Clusters"][0]
    assert (cluster["AutomatedSnapshotRetentionPeriod"], cluster["AllowVersionUpgrade"]) == (7, True)
    assert redshift.describe_logging_status(ClusterIdentifier=ident)["LoggingEnabled"] is True
    assert f"cluster {ident}: set AutomatedSnapshotRetentionPeriod = 7, AllowVersionUpgrade = True" in lines


def test_direct_access_gets_gateway_and_route_and_teardown_removes_them(tmp_path):
    s = make_settings(tmp_path, **DIRECT)
    try:
        record = infra.provision(s, progress=quiet)
        assert counts(s) == {**PROVISIONED, "internet-gateway": 1}
        rtb = aws.Clients(s)("ec2").describe_route_tables(RouteTableIds=[record["route_table_id"]])["RouteTables"][0]
        assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": record["internet_gateway_id"]}.items() <= \
            next(r for r in rtb["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0").items()
        assert sorted(a["SubnetId"] for a in rtb["Associations"]) == sorted(record["subnet_ids"])
        assert record["publicly_accessible"] is True
    finally:
        left = infra.teardown(s, progress=quiet)
    assert left == []


def test_second_provision_changes_no_resource_counts_and_creates_nothing(settings):
    infra.provision(settings, progress=quiet)
    before = counts(settings)
    lines = []
    infra.provision(settings, progress=lines.append)
    assert counts(settings) == before
    assert [line for line in lines if "created" in line] == []


def test_config_change_that_cannot_apply_in_place_is_reported_and_recorded(tmp_path):
    s = make_settings(tmp_path)
    try:
        infra.provision(s, progress=quiet)
        bigger = make_settings(tmp_path, **{"cluster.node_count": 4})
        lines = []
        record = infra.provision(bigger, progress=lines.append)
        expected = (f"cluster {s.get('cluster', 'identifier')}: [cluster] node_count = 4 but the cluster has 2; "
                    "not changed in place")
        assert [w[:len(expected)] for w in record["warnings"]] == [expected]
        assert [line[:len(expected) + 9] for line in lines if line.startswith("WARNING")] == [f"WARNING: {expected}"]
        assert state.load(s)["warnings"] == record["warnings"]
        assert record["node_count"] == 2
    finally:
        infra.teardown(s, progress=quiet)


def test_changed_allowed_cidrs_are_applied_to_the_security_group_in_place(tmp_path):
    s = make_settings(tmp_path, **DIRECT)
    try:
        record = infra.provision(s, progress=quiet)
        moved = make_settings(tmp_path, **DIRECT, **{"network.allowed_cidrs": "203.0.113.7/32, 198.51.100.0/24"})
        infra.provision(moved, progress=quiet)
        sg = aws.Clients(s)("ec2").describe_security_groups(GroupIds=[record["security_group_id"]])["SecurityGroups"][0]
        assert sorted(r["CidrIp"] for p in sg["IpPermissions"] for r in p["IpRanges"]) == \
            ["198.51.100.0/24", "203.0.113.7/32"]
        assert counts(s) == {**PROVISIONED, "internet-gateway": 1}
    finally:
        infra.teardown(s, progress=quiet)


def test_teardown_leaves_nothing_tagged_and_a_second_teardown_is_clean(settings):
    infra.provision(settings, progress=quiet)
    staging.seed_sample_data(settings, events=50, songs=5, users=3, days=1, progress=quiet)
    assert infra.teardown(settings, progress=quiet) == []
    assert infra.tagged_resources(settings) == []
    lines = []
    assert infra.teardown(settings, progress=lines.append) == []
    assert lines[0] == f"nothing tagged sparkify:stack={settings.stack_name}: nothing to delete"
    # the permissions boundary is the administrator's: 99 keeps it and says who removes it, and how
    assert [line for line in lines[1:] if not line.startswith(f"kept: permissions boundary {settings.stack_name}-boundary")] == []
    assert state.load(settings) == {}


def test_teardown_prints_cluster_lifetime_and_estimated_cost(settings):
    infra.provision(settings, progress=quiet)
    lines = []
    infra.teardown(settings, progress=lines.append)
    ident = settings.get("cluster", "identifier")
    assert [line for line in lines if line.startswith(f"cluster {ident}: lived 0 h 00 min; estimated cost $0.00")]


def test_dry_run_lists_what_would_go_in_order_and_deletes_nothing(settings):
    infra.provision(settings, progress=quiet)
    before = infra.tagged_resources(settings)
    lines = []
    plan = infra.teardown(settings, progress=lines.append, dry_run=True)
    assert plan == before
    assert [p.split()[0] for p in plan] == ["cluster", "cluster-subnet-group", "cluster-parameter-group",
                                           "log-group", "log-group", "log-group", "s3-endpoint", "route-table",
                                           "security-group", "subnet", "subnet", "vpc", "iam-role"]
    assert lines == [f"stack {settings.stack_name}: yours (arn:aws:sts::123456789012:user/moto)"] + [
        f"would delete {p}" for p in plan]
    assert infra.tagged_resources(settings) == before


def test_teardown_after_a_failure_between_network_and_cluster(settings, monkeypatch):
    def broken(*args, **kwargs):
        raise infra.InfraError("injected failure before the cluster")

    monkeypatch.setattr(resources, "KINDS", tuple(replace(k, ensure=broken) if k.name == "cluster" else k
                                                  for k in resources.KINDS))
    with pytest.raises(infra.InfraError, match="injected"):
        infra.provision(settings, progress=quiet)
    assert counts(settings) == {k: v for k, v in PROVISIONED.items() if k != "cluster"}
    assert state.load(settings)["vpc_id"]
    monkeypatch.undo()
    assert infra.teardown(settings, progress=quiet) == []
    assert infra.teardown(settings, progress=quiet) == []


def test_teardown_never_touches_untagged_resources(settings):
    ec2 = aws.Clients(settings)("ec2")
    foreign = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    infra.provision(settings, progress=quiet)
    infra.teardown(settings, progress=quiet)
    assert [v["VpcId"] for v in ec2.describe_vpcs(VpcIds=[foreign])["Vpcs"]] == [foreign]
    ec2.delete_vpc(VpcId=foreign)


def test_teardown_never_touches_another_stacks_cluster(tmp_path):
    mine = make_settings(tmp_path)
    other = config.load(tmp_path / "absent.cfg", overrides={"general.stack_name": f"{mine.stack_name}-x",
                                                             "cluster.identifier": f"{mine.stack_name}-x-dwh"},
                        environ={})
    try:
        infra.provision(other, progress=quiet)
        infra.provision(mine, progress=quiet)
        assert infra.teardown(mine, progress=quiet) == []
        assert counts(other) == PROVISIONED
    finally:
        infra.teardown(mine, progress=quiet)
        infra.teardown(other, progress=quiet)


def test_final_snapshot_is_taken_and_kept_only_when_configured(tmp_path):
    s = make_settings(tmp_path, **{"cluster.final_snapshot": True, "cluster.node_count": 1})
    redshift = aws.Clients(s)("redshift")
    try:
        infra.provision(s, progress=quiet)
        lines = []
        assert infra.teardown(s, progress=lines.append) == []
        kept = infra.kept_snapshots(s)
        assert len(kept) == 1 and kept[0].startswith(f"{s.get('cluster', 'identifier')}-final-")
        assert [line for line in lines if line.startswith(f"kept: final snapshot {kept[0]}")]
    finally:
        for snap in infra.kept_snapshots(s):
            redshift.delete_cluster_snapshot(SnapshotIdentifier=snap)
        infra.teardown(s, progress=quiet)


def test_no_final_snapshot_by_default(settings):
    infra.provision(settings, progress=quiet)
    infra.teardown(settings, progress=quiet)
    assert infra.kept_snapshots(settings) == []


# --- ingress ------------------------------------------------------------------

def test_whole_internet_ingress_is_refused_before_anything_is_made(tmp_path):
    s = make_settings(tmp_path, **DIRECT, **{"network.allowed_cidrs": "0.0.0.0/0"})
    with pytest.raises(infra.IngressError, match=r"allowed_cidrs = 0\.0\.0\.0/0 opens port 5439 to the whole "
                                                 r"internet: refused.*allow_public_ingress = true"):
        infra.provision(s, progress=quiet)
    assert infra.tagged_resources(s) == []


def test_whole_internet_ingress_with_allow_public_ingress_is_warned_about(tmp_path):
    s = make_settings(tmp_path, **DIRECT, **{"network.allowed_cidrs": "0.0.0.0/0",
                                             "network.allow_public_ingress": True})
    try:
        lines = []
        record = infra.provision(s, progress=lines.append)
        warning = ("security group: port 5439 is open to 0.0.0.0/0 (the whole internet) because [network] "
                   "allow_public_ingress = true")
        assert record["warnings"] == [warning]
        assert f"WARNING: {warning}" in lines
    finally:
        infra.teardown(s, progress=quiet)


def test_redshift_direct_default_ingress_is_the_callers_public_ip(tmp_path):
    s = make_settings(tmp_path, **{"general.target": "redshift", "cluster.access": "direct"})
    assert infra.ingress_cidrs(s, lookup=lambda: "203.0.113.7") == (["203.0.113.7/32"], [])


def test_redshift_data_api_ingress_is_the_vpc_range_and_asks_nobody_for_an_ip(tmp_path):
    s = make_settings(tmp_path, **{"general.target": "redshift"})
    assert infra.ingress_cidrs(s, lookup=lambda: pytest.fail("no lookup expected")) == (["10.42.0.0/16"], [])


def test_unreachable_public_ip_service_names_the_setting_to_use():
    with pytest.raises(infra.IngressError, match=r"cannot find your public IP address at http://127\.0\.0\.1:9/.*"
                                                 r"\[network\] allowed_cidrs"):
        infra.public_ip("http://127.0.0.1:9/", timeout_s=2)


# --- IAM policy -----------------------------------------------------------------

def test_role_policy_reads_only_the_configured_sources(settings):
    bucket = config.local_bucket(settings.stack_name)
    assert infra.role_policy(settings) == {"Version": "2012-10-17", "Statement": [
        {"Sid": f"List{bucket.title().replace('-', '')}", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringLike": {"s3:prefix": ["log_data*", "log_json_path.json", "song_data*"]}}},
        {"Sid": "ReadSources", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": [f"arn:aws:s3:::{bucket}/log_data/*", f"arn:aws:s3:::{bucket}/log_json_path.json",
                      f"arn:aws:s3:::{bucket}/song_data/*"]}]}


def test_role_policy_follows_configured_buckets_and_prefixes(tmp_path):
    s = make_settings(tmp_path, **{"s3.song_data": "s3://songs-bucket/raw/songs/",
                                   "s3.log_data": "s3://events-bucket/logs",
                                   "s3.log_jsonpath": "s3://events-bucket/meta/paths.json"})
    policy = infra.role_policy(s)
    assert [(st["Action"], st["Resource"], st.get("Condition")) for st in policy["Statement"]] == [
        ("s3:ListBucket", "arn:aws:s3:::events-bucket",
         {"StringLike": {"s3:prefix": ["logs*", "meta/paths.json"]}}),
        ("s3:ListBucket", "arn:aws:s3:::songs-bucket", {"StringLike": {"s3:prefix": ["raw/songs*"]}}),
        ("s3:GetObject", ["arn:aws:s3:::events-bucket/logs/*", "arn:aws:s3:::events-bucket/meta/paths.json",
                          "arn:aws:s3:::songs-bucket/raw/songs/*"], None),
    ]


def test_the_role_in_aws_carries_exactly_that_policy_and_no_managed_one(settings):
    infra.provision(settings, progress=quiet)
    iam = aws.Clients(settings)("iam")
    name = infra.role_name(settings)
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["read-sources"]
    document = iam.get_role_policy(RoleName=name, PolicyName="read-sources")["PolicyDocument"]
    assert (json.loads(document) if isinstance(document, str) else document) == infra.role_policy(settings)
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {
        "Service": ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]}


def test_a_name_taken_by_an_untagged_role_is_a_conflict_not_a_takeover(settings):
    iam = aws.Clients(settings)("iam")
    iam.create_role(RoleName=infra.role_name(settings), AssumeRolePolicyDocument=json.dumps(copy_role.trust(settings, ACCOUNT)))
    try:
        with pytest.raises(infra.ConflictError, match="exists but is not tagged"):
            infra.provision(settings, progress=quiet)
    finally:
        iam.delete_role(RoleName=infra.role_name(settings))


def test_a_role_whose_trust_drifted_is_made_again_not_re_trusted(settings):
    """The operator may not call iam:UpdateAssumeRolePolicy (it takes no condition key): 01 deletes the role and
    makes it again under the boundary, saying so."""
    infra.provision(settings, progress=quiet)
    iam, name = aws.Clients(settings)("iam"), infra.role_name(settings)
    before = iam.get_role(RoleName=name)["Role"]
    other = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": "arn:aws:iam::210987654321:root"}}]}
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(other))  # someone else, by hand
    lines = []
    with aws.recording() as calls:
        infra.provision(settings, progress=lines.append)
    assert f"IAM role {name}: its trust policy was not the one this stack sets, so it was deleted and made again " \
           f"under {settings.stack_name}-boundary (the operator may not change a role's trust)" in lines
    after = iam.get_role(RoleName=name)["Role"]
    trust = after["AssumeRolePolicyDocument"]
    assert (json.loads(trust) if isinstance(trust, str) else trust) == copy_role.trust(settings, ACCOUNT)
    assert after["RoleId"] != before["RoleId"] and after["Arn"] == before["Arn"]
    assert after["PermissionsBoundary"]["PermissionsBoundaryArn"].endswith(f":policy/{settings.stack_name}-boundary")
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["read-sources"]
    assert "iam:UpdateAssumeRolePolicy" not in {action for action, _ in calls}


def test_serverless_on_local_is_refused_with_the_reason(tmp_path):
    s = make_settings(tmp_path, **{"cluster.kind": "serverless"})
    with pytest.raises(infra.InfraError, match="no Redshift Serverless API"):
        infra.provision(s, progress=quiet)
    assert infra.tagged_resources(s) == []


# --- connections on redshift use IAM temporary credentials ------------------------

def test_redshift_connection_uses_get_cluster_credentials_and_requires_ssl(settings, tmp_path, monkeypatch):
    from sparkify_nb import warehouse

    record = infra.provision(settings, progress=quiet)
    on_redshift = make_settings(tmp_path, **{"general.target": "redshift"})
    state.save(on_redshift, record)
    monkeypatch.delenv("SPARKIFY_DB_PASSWORD", raising=False)
    try:
        params = warehouse.connect._redshift_params(on_redshift, clients=aws.Clients(settings))
    finally:
        state.clear(on_redshift)
    assert (params["host"], params["port"], params["sslmode"]) == (record["endpoint"], 5439, "verify-full")
    assert params["user"].endswith("sparkify_admin") and params["password"]


def test_redshift_connection_falls_back_to_the_environment_password(settings, tmp_path, monkeypatch):
    from sparkify_nb import warehouse

    on_redshift = make_settings(tmp_path, **{"general.target": "redshift"})
    state.save(on_redshift, {"endpoint": "example.invalid", "port": 5439, "cluster_identifier": "x"})
    monkeypatch.setenv("SPARKIFY_DB_PASSWORD", "from-the-environment")
    try:
        params = warehouse.connect._redshift_params(
            on_redshift, clients=lambda service: pytest.fail("no AWS call expected"))
    finally:
        state.clear(on_redshift)
    assert (params["user"], params["password"], params["sslmode"]) == (
        "sparkify_admin", "from-the-environment", "verify-full")


def test_state_file_refuses_anything_that_looks_like_a_secret(settings):
    with pytest.raises(state.StateError, match="refusing to record db_password"):
        state.save(settings, {"endpoint": "x", "db_password": "nope"})
    assert state.load(settings) == {}


def test_state_file_records_ids_arns_endpoint_and_no_secret(settings):
    infra.provision(settings, progress=quiet)
    text = state.path(settings).read_text()
    recorded = json.loads(text)
    assert {"role_arn", "vpc_id", "subnet_ids", "security_group_id", "subnet_group", "parameter_group",
            "cluster_identifier", "endpoint", "port", "cost_usd_per_hour", "warnings"} <= recorded.keys()
    assert not [k for k in recorded if config.SECRET_KEY.search(k)]


def test_a_node_type_without_a_price_is_warned_about_not_refused(tmp_path):
    s = make_settings(tmp_path, **{"cluster.node_type": "ra3.large-2030", "cluster.node_count": 1})
    try:
        record = infra.provision(s, progress=quiet)
        assert record["cost_usd_per_hour"] is None
        assert [w for w in record["warnings"] if w.startswith("no price for node type 'ra3.large-2030'")]
        assert infra.cost_line(s).startswith("no cost estimate: no price for node type")
    finally:
        infra.teardown(s, progress=quiet)


def controls(settings, record):
    frame = infra.controls.table(settings, record)
    return dict(zip(frame["control"], zip(frame["state"], frame["result"])))


def test_every_control_passes_on_a_fresh_default_stack(settings):
    record = infra.provision(settings, progress=quiet)
    stack = settings.stack_name
    found = controls(settings, record)
    assert {c: r for c, (_, r) in found.items()} == {
        "Redshift.1": "pass", "Redshift.2": "n/a", "Redshift.3": "pass", "Redshift.4": "pass", "Redshift.6": "pass",
        "Redshift.7": "pass", "Redshift.8": "pass", "Redshift.9": "pass", "Redshift.10": "pass",
        "Redshift.15": "pass", "Redshift.16": "pass", "Sparkify.role": "pass", "Sparkify.ingress": "pass",
        "Sparkify.gateway": "pass"}
    assert found["Redshift.2"][0] == ("not checkable on the emulator, which cannot set it (no "
                                      f"ModifyClusterParameterGroup) in {stack}-params")
    assert found["Redshift.7"][0] == ("enhanced VPC routing: true; S3 gateway endpoint on the route table of 2 of 2 "
                                      "subnets")
    assert found["Redshift.16"][0] == "2 subnets in us-west-2a, us-west-2b"
    head, first = str(infra.controls.report(settings, record)).splitlines()[:2]
    assert head.split() == ["control", "requirement", "state", "result"]
    assert first.startswith("Redshift.1  ") and first.endswith("pass")
    assert first.index("publicly accessible: false") == head.index("state")
    assert first.index("pass") == head.index("result")


def test_direct_access_shows_public_access_as_an_accepted_exception(tmp_path):
    s = make_settings(tmp_path, **DIRECT)
    try:
        record = infra.provision(s, progress=quiet)
        state_, result = controls(s, record)["Redshift.1"]
        report = str(infra.controls.report(s, record))
    finally:
        infra.teardown(s, progress=quiet)
    assert result == "exception"
    assert state_.startswith("publicly accessible: true; accepted: [cluster] access = direct")
    assert "Redshift.1" in report


def test_a_cluster_without_its_s3_endpoint_fails_redshift_7_and_stops_01(settings):
    record = infra.provision(settings, progress=quiet)
    aws.Clients(settings)("ec2").delete_vpc_endpoints(VpcEndpointIds=[record["s3_endpoint_id"]])
    assert controls(settings, record)["Redshift.7"] == (
        "enhanced VPC routing: true; S3 gateway endpoint on the route table of 0 of 2 subnets", "fail")
    with pytest.raises(infra.ControlsError, match=r"failed security controls: Redshift\.7 \(enhanced VPC routing"):
        infra.controls.require(infra.controls.report(settings, record))


def test_controls_fail_when_someone_opened_the_port_to_the_internet_by_hand(settings):
    record = infra.provision(settings, progress=quiet)
    aws.Clients(settings)("ec2").authorize_security_group_ingress(GroupId=record["security_group_id"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5439, "ToPort": 5439, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    found = controls(settings, record)
    assert found["Redshift.15"] == ("open to the internet: 0.0.0.0/0 on 5439-5439", "fail")
    assert found["Sparkify.ingress"][1] == "fail"
    with pytest.raises(infra.ControlsError, match=r"Redshift\.15 \(port not open to 0\.0\.0\.0/0 or ::/0\)"):
        infra.controls.require(infra.controls.report(settings, record))
    infra.provision(settings, progress=quiet)  # re-running 01 puts the ingress back in line
    infra.controls.require(infra.controls.report(settings, record))


def test_controls_fail_for_a_cluster_with_logging_off_and_short_snapshot_retention(settings):
    record = infra.provision(settings, progress=quiet)
    redshift = aws.Clients(settings)("redshift")
    ident = settings.get("cluster", "identifier")
    redshift.modify_cluster(ClusterIdentifier=ident, AutomatedSnapshotRetentionPeriod=1, AllowVersionUpgrade=False,
                            EnhancedVpcRouting=False, PubliclyAccessible=True)
    redshift.disable_logging(ClusterIdentifier=ident)
    found = controls(settings, record)
    assert {c: found[c] for c in ("Redshift.1", "Redshift.3", "Redshift.6", "Redshift.7")} == {
        "Redshift.1": ("publicly accessible: true", "fail"), "Redshift.3": ("retention: 1 days", "fail"),
        "Redshift.6": ("allow version upgrade: false", "fail"),
        "Redshift.7": ("enhanced VPC routing: false; S3 gateway endpoint on the route table of 2 of 2 subnets",
                       "fail")}
    # as DescribeLoggingStatus answers: the emulator keeps the destination and exports after DisableLogging
    assert found["Redshift.4"] == ("logging: false (cloudwatch: connectionlog, userlog, useractivitylog)", "fail")


def test_serverless_controls_are_read_from_the_namespace_and_workgroup(settings, tmp_path):
    """The network, role and endpoint on the emulator; the namespace and workgroup through botocore's
    Stubber (moto has no Serverless API), on the emulator's subnets and security group."""
    import boto3
    from botocore.stub import Stubber

    record = infra.provision(settings, progress=quiet)
    serverless = make_settings(tmp_path, **{"cluster.kind": "serverless"})
    client = boto3.client("redshift-serverless", region_name="us-west-2", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    stub = Stubber(client)
    name = serverless.get("cluster", "identifier")
    stub.add_response("get_namespace", {"namespace": {
        "namespaceName": name, "adminUsername": "sparkify_admin", "dbName": "sparkify",
        "kmsKeyId": "AWS_OWNED_KMS_KEY", "logExports": ["connectionlog", "userlog", "useractivitylog"]}})
    stub.add_response("get_workgroup", {"workgroup": {
        "workgroupName": name, "publiclyAccessible": False, "enhancedVpcRouting": True,
        "subnetIds": record["subnet_ids"], "securityGroupIds": [record["security_group_id"]],
        "configParameters": [{"parameterKey": "require_ssl", "parameterValue": "true"}],
        "endpoint": {"port": 5439}}})
    with stub:
        frame = infra.controls.table(serverless, {**record, "kind": "serverless"},
                                     aws.Clients(serverless).use("redshift-serverless", client))
    found = dict(zip(frame["control"], zip(frame["state"], frame["result"])))
    assert {c: r for c, (_, r) in found.items()} == {
        "Redshift.1": "pass", "Redshift.2": "pass", "Redshift.3": "n/a", "Redshift.4": "pass", "Redshift.6": "n/a",
        "Redshift.7": "pass", "Redshift.8": "pass", "Redshift.9": "pass", "Redshift.10": "pass",
        "Redshift.15": "pass", "Redshift.16": "pass", "Sparkify.role": "pass", "Sparkify.ingress": "pass",
        "Sparkify.gateway": "pass"}
    assert found["Redshift.10"][0] == "namespace KMS key: AWS_OWNED_KMS_KEY"


def test_a_plan_record_has_nothing_to_check(settings):
    frame = infra.controls.table(settings, {"plan": []})
    assert frame.values.tolist() == [["-", "plan only", "nothing was created: nothing to check", "n/a"]]


# --- one table drives provisioning, the inventory, teardown and its dry run -----

def record_steps(monkeypatch, step):
    """Wrap each kind's ``step`` ("ensure" or "delete") so that the kinds it runs on are recorded, in order."""
    ran = []

    def wrapped(kind):
        real = getattr(kind, step)

        def call(ctx, arg):
            ran.append(kind.name)
            return real(ctx, arg)
        return call

    monkeypatch.setattr(resources, "KINDS", tuple(replace(k, **{step: wrapped(k)}) if getattr(k, step) else k
                                                  for k in resources.KINDS))
    return ran


def test_provisioning_order_is_the_tables_order():
    assert [k.name for k in resources.provisioning_order("provisioned")] == [
        "permissions-boundary", "work-bucket", "iam-role", "vpc", "subnet", "security-group", "internet-gateway", "route-table",
        "s3-endpoint", "log-group", "cluster-parameter-group", "cluster-subnet-group", "cluster", "scheduler-role",
        "pause-schedule", "lease-role", "lease-schedule"]
    assert [k.name for k in resources.provisioning_order("serverless")] == [
        "permissions-boundary", "work-bucket", "iam-role", "analyst-role", "vpc", "subnet", "security-group", "internet-gateway",
        "route-table", "s3-endpoint", "log-group",
        "serverless-namespace", "serverless-workgroup", "serverless-usage-limit", "lease-role", "lease-schedule"]
    # the administrator's boundary is checked by 01 and left by 99
    assert resources.teardown_order() == [k for k in reversed(resources.KINDS) if k.name != "permissions-boundary"]
    # local loads need no work bucket (daily loads there read the files themselves)
    # and no lease: the local target bills nothing
    assert resources.provisioning_order("provisioned", "local") == [
        k for k in resources.provisioning_order("provisioned")
        if k.name not in ("work-bucket", "lease-role", "lease-schedule")]


def test_provision_ensures_kinds_in_table_order(settings, monkeypatch):
    ran = record_steps(monkeypatch, "ensure")
    infra.provision(settings, progress=quiet)
    assert ran == [k.name for k in resources.provisioning_order("provisioned", "local")]


def test_inventory_dry_run_and_teardown_all_walk_the_table_backwards(tmp_path, monkeypatch):
    s = make_settings(tmp_path, **DIRECT)
    try:
        infra.provision(s, progress=quiet)
        staging.seed_sample_data(s, events=20, songs=2, users=2, days=1, progress=quiet)
        made = [k.name for k in resources.provisioning_order("provisioned", "local") if k.setting is None] + [
            "s3-bucket"]
        present = [k.name for k in resources.teardown_order() if k.name in made]
        assert present == ["cluster", "cluster-subnet-group", "cluster-parameter-group", "log-group", "s3-endpoint",
                           "route-table", "internet-gateway", "security-group", "subnet", "vpc", "iam-role",
                           "s3-bucket"]
        inventory = infra.tagged_resources(s)
        assert list(dict.fromkeys(item.split()[0] for item in inventory)) == present
        assert infra.teardown(s, progress=quiet, dry_run=True) == inventory
        deleted = record_steps(monkeypatch, "delete")
        assert infra.teardown(s, progress=quiet) == []
        assert deleted == [item.split()[0] for item in inventory]
    finally:
        monkeypatch.undo()
        infra.teardown(s, progress=quiet)


def test_plan_says_what_provision_would_create_then_that_it_exists(settings):
    assert infra.plan(settings) == ["permissions boundary: missing; the local stack makes it in 01, playing the "
                                    "administrator", "IAM role: to create", "VPC: to create", "subnet: to create",
                                    "security group: to create", "route table: to create",
                                    "S3 gateway endpoint: to create", "log group: to create",
                                    "parameter group: to create", "cluster subnet group: to create",
                                    "cluster: to create"]
    record = infra.provision(settings, progress=quiet)
    stack = settings.stack_name
    lines = infra.plan(settings)[1:]
    assert infra.plan(settings)[0] == f"permissions boundary {stack}-boundary: exists"
    assert lines[:2] + lines[4:] == [
        f"IAM role {stack}-redshift-copy: exists", f"VPC {record['vpc_id']}: exists",
        f"security group {record['security_group_id']}: exists", f"route table {record['route_table_id']}: exists",
        f"S3 gateway endpoint {record['s3_endpoint_id']}: exists",
        *sorted(f"log group {name}: exists" for name in record["log_groups"]), f"parameter group {stack}-params: exists",
        f"cluster subnet group {stack}-subnets: exists", f"cluster {stack}-dwh: exists"]
    assert sorted(lines[2:4]) == sorted(f"subnet {s}: exists" for s in record["subnet_ids"])


def test_plan_names_what_would_change_on_what_exists(settings):
    record = infra.provision(settings, progress=quiet)
    redshift = aws.Clients(settings)("redshift")
    ident = settings.get("cluster", "identifier")
    redshift.modify_cluster(ClusterIdentifier=ident, AutomatedSnapshotRetentionPeriod=1)
    redshift.disable_logging(ClusterIdentifier=ident)
    lines = infra.plan(settings)
    assert [line for line in lines if line.startswith(f"cluster {ident}: ") and "exists" not in line] == [
        f"cluster {ident}: would set AutomatedSnapshotRetentionPeriod = 7",
        f"cluster {ident}: would turn on audit logging to CloudWatch Logs"]
    assert f"security group {record['security_group_id']}: exists" in lines


def test_plan_mode_of_provision_changes_nothing_and_says_what_it_costs(settings):
    lines = []
    record = infra.provision(settings, progress=lines.append, plan=True)
    assert record["plan"] == infra.plan(settings)
    assert infra.tagged_resources(settings) == []
    assert state.load(settings) == {}
    assert lines[-2].startswith("plan: estimated cost: $1.086/hour, $26.06/day left running (2 x ra3.large")
    assert lines[-1] == "plan only: nothing was created or changed"


def test_every_action_in_the_table_is_a_real_api_operation():
    import botocore.session

    from sparkify_nb import aws

    models = botocore.session.get_session()
    for action in resources.actions("redshift"):
        service, operation = action.split(":")
        if action == "iam:PassRole":  # checked by IAM when a role is handed to Redshift; no API of its own
            continue
        names = models.get_service_model(service).operation_names
        # S3's actions are named apart from its operations (aws.ACTION_OF: ListObjectsV2 needs s3:ListBucket)
        assert operation in names or any(aws.action_of(service, name) == action for name in names), action
    assert "s3:ListAllMyBuckets" in resources.actions() and "s3:ListAllMyBuckets" not in resources.actions("redshift")
    assert "s3:PutEncryptionConfiguration" in resources.actions("redshift")
    assert "s3:PutEncryptionConfiguration" not in resources.actions("local")


def test_the_cost_text_wraps_between_words_and_says_what_the_cost_line_says():
    settings = config.load()
    text = infra.cost_text(settings)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "https://aws.amazon.com/redshift/pricing/" in text.split()  # a URL is never cut
    assert " ".join(text.split()) == " ".join(infra.cost_line(settings).split())
    assert text.splitlines()[0].startswith("local: $0 (emulator). On redshift, estimated cost: $")


def test_a_stack_role_without_its_boundary_gets_it_one_whose_trust_drifted_is_made_again_and_a_bounded_one_is_left(
        tmp_path):
    """roles.ensure_bounded_role on the emulator's IAM: PutRolePermissionsBoundary only when the role's boundary is
    not the stack's; a changed trust policy makes the role anew under the boundary (the operator may not call
    UpdateAssumeRolePolicy); a role of that name without the stack's tag is not touched."""
    from sparkify_nb.infra import roles

    settings = make_settings(tmp_path)
    lines = []
    ctx = infra.Context(settings, aws.Clients(settings), lines.append, delay_s=0)
    iam, name = ctx.client("iam"), f"{settings.stack_name}-bounded"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "redshift.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    boundary = iam.create_policy(PolicyName=f"{settings.stack_name}-boundary", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))[
        "Policy"]["Arn"]
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Tags=ctx.tags(name))["Role"]["Arn"]
    try:
        assert roles.ensure_bounded_role(ctx, name, trust, "a role", boundary) == arn
        assert lines == [f"IAM role {name}: exists",
                         f"IAM role {name}: permissions boundary set to {settings.stack_name}-boundary"]
        assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
        lines.clear()
        assert roles.ensure_bounded_role(ctx, name, trust, "a role", boundary) == arn
        assert lines == [f"IAM role {name}: exists"]
        lines.clear()
        other = {**trust, "Statement": [{**trust["Statement"][0], "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
        roles.ensure_bounded_role(ctx, name, other, "a role", boundary)
        assert lines[-1] == (f"IAM role {name}: its trust policy was not the one this stack sets, so it was deleted and "
                             f"made again under {settings.stack_name}-boundary (the operator may not change a role's "
                             "trust)")
        made = iam.get_role(RoleName=name)["Role"]
        assert copy_role.document(made["AssumeRolePolicyDocument"]) == other
        assert made["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
        iam.untag_role(RoleName=name, TagKeys=["sparkify:stack"])
        with pytest.raises(infra.ConflictError, match=f"IAM role {name} exists but is not tagged"):
            roles.ensure_bounded_role(ctx, name, other, "a role", boundary)
    finally:
        roles.delete_role(ctx, {"RoleName": name})
        iam.delete_policy(PolicyArn=boundary)


def test_the_copy_roles_policy_is_attached_updated_only_when_it_differs_and_removed_without_an_s3_source(tmp_path):
    """roles._ensure_policy on the emulator's IAM, the lines 01 prints for each step."""
    from sparkify_nb.infra import roles

    settings = make_settings(tmp_path)
    lines = []
    ctx = infra.Context(settings, aws.Clients(settings), lines.append, delay_s=0)
    iam, name = ctx.client("iam"), f"{settings.stack_name}-policy-steps"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "redshift.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))

    def reading(*buckets):
        return {"Version": "2012-10-17", "Statement": [
            statement for b in buckets for statement in (
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{b}"},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::{b}/song_data/*"]})]}

    try:
        roles._ensure_policy(ctx, name, reading("b1"))
        assert lines == [f"IAM role {name}: policy {copy_role.POLICY_NAME} attached (read-only on b1)"]
        assert copy_role.document(iam.get_role_policy(RoleName=name, PolicyName=copy_role.POLICY_NAME)[
            "PolicyDocument"]) == reading("b1")
        roles._ensure_policy(ctx, name, reading("b1"))
        roles._ensure_policy(ctx, name, reading("b1", "b2"))
        assert lines[1:] == [f"IAM role {name}: policy {copy_role.POLICY_NAME} updated (read-only on b1, b2)"]
        lines.clear()
        roles._ensure_policy(ctx, name, {"Version": "2012-10-17", "Statement": []})
        roles._ensure_policy(ctx, name, {"Version": "2012-10-17", "Statement": []})  # none left to delete
        assert lines == [f"IAM role {name}: no S3 source, no S3 permission"] * 2
        assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []
    finally:
        roles.delete_role(ctx, {"RoleName": name})
