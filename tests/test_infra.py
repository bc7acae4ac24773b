"""infra against the AWS emulator (real boto3 calls on loopback)."""

import pytest

from sparkify_nb import aws, config, infra, state


@pytest.fixture
def settings(tmp_path):
    stack = f"t{tmp_path.name[-12:].lower().replace('_', '-')}"
    s = config.load(tmp_path / "absent.cfg", overrides={"general.stack_name": stack,
                                                          "cluster.identifier": f"{stack}-dwh"}, environ={})
    yield s
    infra.teardown(s, progress=lambda _: None)


def counts(settings):
    kinds = [r.split()[0] for r in infra.tagged_resources(settings)]
    return {k: kinds.count(k) for k in set(kinds)}


def test_provision_makes_role_network_and_cluster_and_records_them(settings):
    record = infra.provision(settings, progress=lambda _: None)
    assert record["cluster_status"] == "available"
    assert record["role_arn"].endswith(f":role/{settings.stack_name}-redshift-copy")
    assert state.load(settings)["vpc_id"] == record["vpc_id"]
    assert counts(settings) == {"vpc": 1, "subnet": 2, "security-group": 1, "cluster": 1,
                                "cluster-subnet-group": 1, "iam-role": 1}


def test_second_provision_creates_nothing(settings):
    infra.provision(settings, progress=lambda _: None)
    before = counts(settings)
    lines = []
    infra.provision(settings, progress=lines.append)
    assert counts(settings) == before
    assert not [line for line in lines if "created" in line]


def test_teardown_leaves_nothing_tagged_and_runs_again_cleanly(settings):
    infra.provision(settings, progress=lambda _: None)
    infra.seed_sample_data(settings, events=50, songs=5, users=3, days=1, progress=lambda _: None)
    assert infra.teardown(settings, progress=lambda _: None) == []
    assert infra.tagged_resources(settings) == []
    assert infra.teardown(settings, progress=lambda _: None) == []
    assert state.load(settings) == {}


def test_teardown_never_touches_untagged_resources(settings):
    ec2 = aws.client(settings, "ec2")
    foreign = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    infra.provision(settings, progress=lambda _: None)
    infra.teardown(settings, progress=lambda _: None)
    assert [v["VpcId"] for v in ec2.describe_vpcs(VpcIds=[foreign])["Vpcs"]] == [foreign]
    ec2.delete_vpc(VpcId=foreign)


def test_role_policy_reads_only_the_configured_sources(settings):
    policy = infra.role_policy(settings)
    bucket = config.local_bucket(settings.stack_name)
    resources = [r for st in policy["Statement"] for r in st["Resource"]]
    assert all(r.startswith(f"arn:aws:s3:::{bucket}") for r in resources)
    assert {a for st in policy["Statement"] for a in [st["Action"]]} == {"s3:ListBucket", "s3:GetObject"}
