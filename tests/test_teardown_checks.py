"""Teardown against what AWS does after a cluster is gone, where the emulator
behaves more simply than AWS: a public address that lingers and blocks the
internet gateway's detach (moto detaches at once), final snapshots found by
name as well as by tag. Stubbed calls are validated against botocore's
service models."""


from sparkify_nb import aws, config, infra
from sparkify_nb.infra import routes
from tests.helpers import stubbed, stubbed_context


def redshift_settings(tmp_path, **overrides):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.stack_name": "td", "cluster.identifier": "td-dwh", **overrides})


def test_the_gateway_detach_is_retried_while_a_deleted_clusters_public_address_lingers(tmp_path):
    """Stubber: EC2 refuses the detach once with DependencyViolation (the
    emulator never does), then detaches; the gateway is then deleted."""
    settings = redshift_settings(tmp_path, **{"cluster.access": "direct"})
    ec2, stub = stubbed("ec2")
    stub.add_client_error("detach_internet_gateway", service_error_code="DependencyViolation", http_status_code=400,
                          service_message="Network vpc-1 has some mapped public address(es). Please unmap those "
                                          "public address(es) before detaching the gateway.",
                          expected_params={"InternetGatewayId": "igw-1", "VpcId": "vpc-1"})
    stub.add_response("detach_internet_gateway", {}, {"InternetGatewayId": "igw-1", "VpcId": "vpc-1"})
    stub.add_response("delete_internet_gateway", {}, {"InternetGatewayId": "igw-1"})
    lines = []
    ctx = infra.Context(settings, aws.Clients(settings).use("ec2", ec2), lines.append, delay_s=0)
    with stub:
        routes.delete_internet_gateway(ctx, {"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": "vpc-1"}]})
    stub.assert_no_pending_responses()
    assert lines == ["internet gateway igw-1: still in use, retrying (0 s)",
                     "internet gateway igw-1: detached and deleted"]


def test_a_final_snapshot_without_the_stacks_tag_is_found_by_its_cluster_and_name(tmp_path):
    """Stubber: whether a final snapshot inherits the cluster's tags is not
    documented, so one without them is found by ClusterIdentifier and name;
    another manual snapshot of the cluster is not reported as ours."""
    from datetime import datetime, timezone

    from sparkify_nb.infra import snapshots

    settings = redshift_settings(tmp_path)
    redshift, stub = stubbed("redshift")
    serverless, sl_stub = stubbed("redshift-serverless")
    stub.add_response("describe_cluster_snapshots", {"Snapshots": []},
                      {"TagKeys": ["sparkify:stack"], "TagValues": ["td"], "SnapshotType": "manual"})
    created = datetime(2026, 11, 30, tzinfo=timezone.utc)
    stub.add_response("describe_cluster_snapshots", {"Snapshots": [
        {"SnapshotIdentifier": "td-dwh-final-20261130-120000", "ClusterIdentifier": "td-dwh",
         "TotalBackupSizeInMegaBytes": 20480.0, "SnapshotCreateTime": created},
        {"SnapshotIdentifier": "someones-own-copy", "ClusterIdentifier": "td-dwh", "TotalBackupSizeInMegaBytes": 1.0}]},
        {"ClusterIdentifier": "td-dwh", "SnapshotType": "manual"})
    sl_stub.add_response("list_snapshots", {"snapshots": []}, {"namespaceName": "td-dwh"})
    with stub, sl_stub:
        kept = snapshots.kept(stubbed_context(settings, {"redshift": redshift, "redshift-serverless": serverless}))
    assert kept == [{"name": "td-dwh-final-20261130-120000", "kind": "cluster", "size_gb": 20.0, "created": created,
                     "usd_per_month": 0.48}]
    assert snapshots.line(kept[0]) == ("td-dwh-final-20261130-120000 (cluster snapshot, 20.0 GB, about $0.48/month at "
                                       "$0.024/GB-month; created 2026-11-30)")


def test_a_kept_serverless_final_snapshot_is_reported_with_its_monthly_cost(tmp_path):
    """Stubber (the emulator has no Redshift Serverless API): ListSnapshots of
    the namespace; the final snapshot 99 took is reported, size and cost."""
    from sparkify_nb.infra import snapshots

    settings = redshift_settings(tmp_path, **{"cluster.kind": "serverless"})
    redshift, stub = stubbed("redshift")
    serverless, sl_stub = stubbed("redshift-serverless")
    stub.add_response("describe_cluster_snapshots", {"Snapshots": []})
    stub.add_client_error("describe_cluster_snapshots", service_error_code="ClusterNotFound", http_status_code=404)
    sl_stub.add_response("list_snapshots", {"snapshots": [
        {"snapshotName": "td-dwh-final-20261201-090000", "namespaceName": "td-dwh", "status": "AVAILABLE",
         "totalBackupSizeInMegaBytes": 5120.0}]}, {"namespaceName": "td-dwh"})
    with stub, sl_stub:
        kept = snapshots.kept(stubbed_context(settings, {"redshift": redshift, "redshift-serverless": serverless}))
    assert [(s["name"], s["kind"], s["size_gb"], s["usd_per_month"]) for s in kept] == [
        ("td-dwh-final-20261201-090000", "serverless", 5.0, 0.12)]
    assert snapshots.how_to_delete(kept[0]) == ("aws redshift-serverless delete-snapshot --snapshot-name "
                                                "td-dwh-final-20261201-090000")
