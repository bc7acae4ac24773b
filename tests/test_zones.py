"""Which availability zones the subnets go to (network.subnet_zones).
DescribeOrderableClusterOptions is not served by the emulator (moto 5), so
it and the zone list are answered by botocore's Stubber; requests are
validated against botocore's models of redshift and ec2."""

import pytest
from botocore.exceptions import ClientError

from sparkify_nb import config, infra
from sparkify_nb.infra import network, serverless
from tests.helpers import stubbed, stubbed_context

ZONE_FILTERS = {"Filters": [{"Name": "state", "Values": ["available"]},
                            {"Name": "zone-type", "Values": ["availability-zone"]},
                            {"Name": "opt-in-status", "Values": ["opt-in-not-required"]}]}


def settings_for(tmp_path, **overrides):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": "az", "cluster.identifier": "az-dwh", **overrides})


def zone_list(stub, region, letters):
    stub.add_response("describe_availability_zones", {"AvailabilityZones": [
        {"ZoneName": f"{region}{x}", "ZoneId": f"usw2-az{i}", "State": "available", "RegionName": region,
         "ZoneType": "availability-zone", "OptInStatus": "opt-in-not-required"} for i, x in enumerate(letters, 1)]},
        ZONE_FILTERS)


def orderable(stub, node_type, by_type):
    stub.add_response("describe_orderable_cluster_options", {"OrderableClusterOptions": [
        {"ClusterVersion": "1.0", "ClusterType": cluster_type, "NodeType": node_type,
         "AvailabilityZones": [{"Name": z} for z in zones]} for cluster_type, zones in by_type.items()]},
        {"NodeType": node_type})


def test_a_provisioned_clusters_subnets_go_where_its_node_type_is_offered(tmp_path):
    settings = settings_for(tmp_path)
    (ec2, ec2_stub), (redshift, rs_stub) = stubbed("ec2"), stubbed("redshift")
    zone_list(ec2_stub, "us-west-2", "abcd")
    orderable(rs_stub, "ra3.large", {"multi-node": ["us-west-2b", "us-west-2d", "us-west-2c"],
                                     "single-node": ["us-west-2a"]})
    with ec2_stub, rs_stub:
        assert network.subnet_zones(stubbed_context(settings, {"ec2": ec2, "redshift": redshift})) == ["us-west-2b", "us-west-2c"]


def test_too_few_zones_offering_the_node_type_stop_01_naming_the_keys(tmp_path):
    settings = settings_for(tmp_path, **{"cluster.node_type": "ra3.16xlarge"})
    (ec2, ec2_stub), (redshift, rs_stub) = stubbed("ec2"), stubbed("redshift")
    zone_list(ec2_stub, "us-west-2", "abcd")
    orderable(rs_stub, "ra3.16xlarge", {"multi-node": ["us-west-2d"]})
    with ec2_stub, rs_stub, pytest.raises(infra.InfraError, match=r"region us-west-2 \(\[general\] region\) has 1 "
                                                                  r"availability zones where ra3\.16xlarge is offered "
                                                                  r".* Choose another region or \[cluster\] node_type"):
        network.subnet_zones(stubbed_context(settings, {"ec2": ec2, "redshift": redshift}))


def test_serverless_takes_three_zones_and_in_n_california_three_subnets_in_two(tmp_path):
    settings = settings_for(tmp_path, **{"cluster.kind": "serverless"})
    ec2, stub = stubbed("ec2")
    zone_list(stub, "us-west-2", "dcba")
    with stub:
        assert network.subnet_zones(stubbed_context(settings, {"ec2": ec2})) == ["us-west-2a", "us-west-2b", "us-west-2c"]
    west1 = settings_for(tmp_path, **{"cluster.kind": "serverless", "general.region": "us-west-1"})
    ec2, stub = stubbed("ec2", "us-west-1")
    zone_list(stub, "us-west-1", "ac")
    with stub:
        assert network.subnet_zones(stubbed_context(west1, {"ec2": ec2})) == ["us-west-1a", "us-west-1c", "us-west-1a"]


def test_serverless_refusing_its_subnets_says_what_to_do():
    exc = ClientError({"Error": {"Code": "ValidationException", "Message": "Insufficient free IP addresses found in "
                                 "subnets: [subnet-1]."}}, "CreateWorkgroup")
    error = serverless._placement_error(exc, "us-west-2")
    assert str(error).startswith("Redshift Serverless refused the workgroup's subnets in us-west-2: Insufficient free "
                                 "IP addresses found in subnets: [subnet-1]. 01 puts them in the first")
    assert serverless._placement_error(ClientError({"Error": {"Code": "ValidationException", "Message": "bad port"}},
                                                   "CreateWorkgroup"), "us-west-2") is None
