"""Redshift Serverless's control plane on the rehearsal's endpoint
(sparkify_nb/local/rehearsal/serverless.py): a real boto3 ``redshift-serverless``
client, one test per rule of the module's docstring, and the Data API and the
wire door on a workgroup (the database user is the caller's IAM identity)."""

from __future__ import annotations

import time
import uuid

import boto3
import psycopg2
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sparkify_nb import local
from sparkify_nb.local.rehearsal import serverless as service
from tests.rehearsal_fixtures import REGION, aws, data_api, rows, wait  # noqa: F401 (data_api: a fixture)
from tests.test_rehearsal_copy import bucket, make_role, reads  # noqa: F401 (bucket: a fixture)

KEYS = {"region_name": REGION, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
def sl():
    return boto3.client("redshift-serverless", endpoint_url=local.data_api_endpoint(), **KEYS)


@pytest.fixture
def raw_sl():
    """Without the client's own checks: what the server alone refuses."""
    return boto3.client("redshift-serverless", endpoint_url=local.data_api_endpoint(),
                        config=Config(parameter_validation=False, retries={"max_attempts": 1}), **KEYS)


def code(err) -> str:
    return err.value.response["Error"]["Code"]


def made(sl, public: bool = False, base: int = 8, **extra) -> dict:
    """A namespace and its workgroup, tagged, once AVAILABLE."""
    name = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=name, adminUsername="admin1", dbName="dev", manageAdminPassword=True,
                        tags=[{"key": "stack", "value": name}])
    wg = sl.create_workgroup(workgroupName=name, namespaceName=name, baseCapacity=base, publiclyAccessible=public,
                             tags=[{"key": "stack", "value": name}], **extra)["workgroup"]
    settle(sl, name)
    return wg


def settle(sl, name: str, timeout_s: float = 10) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = sl.get_workgroup(workgroupName=name)["workgroup"]["status"]
        if status == "AVAILABLE":
            return status
        time.sleep(0.1)
    raise AssertionError(f"workgroup {name} still {status}")


def test_a_workgroup_is_creating_then_available_and_modifying_after_an_update(sl):
    name = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=name)
    assert sl.create_workgroup(workgroupName=name, namespaceName=name, baseCapacity=8)["workgroup"]["status"] == \
        "CREATING"
    with pytest.raises(ClientError) as err:
        sl.update_workgroup(workgroupName=name, baseCapacity=16)
    assert code(err) == "ConflictException"
    time.sleep(service.STEP_S + 0.1)  # past its time, yet shown once before it is AVAILABLE
    assert sl.get_workgroup(workgroupName=name)["workgroup"]["status"] == "CREATING"
    settle(sl, name)
    assert sl.update_workgroup(workgroupName=name, baseCapacity=16)["workgroup"]["status"] == "MODIFYING"
    assert settle(sl, name) == "AVAILABLE"
    assert sl.get_workgroup(workgroupName=name)["workgroup"]["baseCapacity"] == 16


def test_a_deleted_workgroup_is_deleting_then_gone(sl):
    wg = made(sl)
    assert sl.delete_workgroup(workgroupName=wg["workgroupName"])["workgroup"]["status"] == "DELETING"
    time.sleep(service.STEP_S + 0.1)
    assert sl.get_workgroup(workgroupName=wg["workgroupName"])["workgroup"]["status"] == "DELETING"
    with pytest.raises(ClientError) as err:
        sl.get_workgroup(workgroupName=wg["workgroupName"])
    assert code(err) == "ResourceNotFoundException"


def test_update_workgroup_takes_one_setting_per_call(sl):
    wg = made(sl)
    with pytest.raises(ClientError) as err:
        sl.update_workgroup(workgroupName=wg["workgroupName"], baseCapacity=16, maxCapacity=32)
    assert code(err) == "ValidationException" and "You can't update multiple parameters in one request" in str(err.value)
    assert "(this one gives baseCapacity, maxCapacity)" in str(err.value)


def test_update_workgroup_naming_no_setting_is_refused_saying_it_gives_none(sl):
    """Rule 2 read the strictest way: an UpdateWorkgroup that names the workgroup and nothing to change updates
    nothing and is refused (AWS is silent: unconfirmed), saying what it gave: none."""
    wg = made(sl)
    with pytest.raises(ClientError) as err:
        sl.update_workgroup(workgroupName=wg["workgroupName"])
    assert code(err) == "ValidationException" and "(this one gives none)" in str(err.value)
    assert sl.get_workgroup(workgroupName=wg["workgroupName"])["workgroup"]["status"] == "AVAILABLE"


@pytest.mark.parametrize("base, most, ok", [(4, None, True), (8, 16, True), (520, None, False), (544, 1024, True),
                                            (12, None, False), (16, 8, False), (1056, None, False)])
def test_capacity_takes_aws_ranges_and_steps_and_no_maximum_below_the_base(sl, base, most, ok):
    name = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=name)
    call = lambda: sl.create_workgroup(workgroupName=name, namespaceName=name, baseCapacity=base,  # noqa: E731
                                       **({"maxCapacity": most} if most else {}))
    if ok:
        assert call()["workgroup"]["baseCapacity"] == base
    else:
        with pytest.raises(ClientError) as err:
            call()
        assert code(err) == "ValidationException"


def test_an_update_is_held_to_the_capacities_a_create_is_and_to_no_maximum_below_the_base(sl):
    wg = made(sl)
    base = wg["baseCapacity"]
    for change, said in (({"baseCapacity": 12}, "baseCapacity 12 is not a capacity"),
                         ({"maxCapacity": 520}, "maxCapacity 520 is not a capacity"),
                         ({"maxCapacity": 4}, f"maxCapacity 4 is below baseCapacity {base}")):
        with pytest.raises(ClientError) as err:
            sl.update_workgroup(workgroupName=wg["workgroupName"], **change)
        assert code(err) == "ValidationException" and said in str(err.value)
    assert sl.get_workgroup(workgroupName=wg["workgroupName"])["workgroup"]["baseCapacity"] == base


def test_a_namespace_cannot_be_deleted_while_its_workgroup_exists_and_has_one_workgroup(sl):
    wg = made(sl)
    name = wg["namespaceName"]
    with pytest.raises(ClientError) as err:
        sl.delete_namespace(namespaceName=name)
    assert code(err) == "ConflictException"
    with pytest.raises(ClientError) as err:
        sl.create_workgroup(workgroupName=name + "-b", namespaceName=name)
    assert code(err) == "ConflictException"
    sl.delete_workgroup(workgroupName=name)
    time.sleep(service.STEP_S + 0.1)
    sl.list_workgroups()  # seen DELETING once: now gone
    assert sl.delete_namespace(namespaceName=name)["namespace"]["status"] == "DELETING"


def test_usage_limits_take_their_periods_and_breach_actions_once_each(sl, raw_sl):
    arn = made(sl)["workgroupArn"]
    limit = sl.create_usage_limit(resourceArn=arn, usageType="serverless-compute", amount=2, period="daily",
                                  breachAction="deactivate")["usageLimit"]
    assert (limit["period"], limit["breachAction"], limit["amount"]) == ("daily", "deactivate", 2)
    default = sl.create_usage_limit(resourceArn=arn, usageType="serverless-compute", amount=5)["usageLimit"]
    assert (default["period"], default["breachAction"]) == ("monthly", "log")
    with pytest.raises(ClientError) as err:
        sl.create_usage_limit(resourceArn=arn, usageType="serverless-compute", amount=3, period="daily")
    assert code(err) == "ConflictException"
    with pytest.raises(ClientError) as err:
        raw_sl.create_usage_limit(resourceArn=arn, usageType="serverless-compute", amount=3, period="hourly")
    assert code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:
        sl.create_usage_limit(resourceArn=arn, usageType="serverless-compute", amount=0, period="weekly")
    assert code(err) == "ValidationException"
    assert sorted(u["period"] for u in sl.list_usage_limits(resourceArn=arn)["usageLimits"]) == ["daily", "monthly"]


def test_tags_given_on_create_are_the_resources_and_an_unknown_arn_is_not_found(sl):
    wg = made(sl)
    ns = sl.get_namespace(namespaceName=wg["namespaceName"])["namespace"]
    for arn in (wg["workgroupArn"], ns["namespaceArn"]):
        assert sl.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "stack", "value": wg["workgroupName"]}]
    with pytest.raises(ClientError) as err:
        sl.list_tags_for_resource(resourceArn=wg["workgroupArn"].replace(wg["workgroupId"], str(uuid.uuid4())))
    assert code(err) == "ResourceNotFoundException"


def test_get_namespace_reads_roles_back_as_aws_writes_them(sl):
    name = f"sv-{uuid.uuid4().hex[:8]}"
    role = "arn:aws:iam::123456789012:role/copy"
    ns = sl.create_namespace(namespaceName=name, iamRoles=[role])["namespace"]
    assert ns["iamRoles"] == [f"IamRole(applyStatus=in-sync, iamRoleArn={role})"]


@pytest.mark.parametrize("rpu", [4, 8, 16, 504, 512, 544, 576, 1024])
def test_the_capacities_aws_lists_are_taken(rpu):
    """[CAP]: 4; 8 to 512 in steps of 8; 512 to 1024 in steps of 32 (each end of each range included)."""
    assert service.capacity_ok(rpu)


@pytest.mark.parametrize("rpu", [0, 3, 5, 7, 9, 12, 513, 516, 520, 536, 1023, 1025, 1056, 2048])
def test_capacities_between_aws_steps_or_outside_its_ranges_are_refused(rpu):
    assert not service.capacity_ok(rpu)


@pytest.mark.parametrize("arn, user", [("arn:aws:sts::1:user/moto", "IAM:moto"),
                                       ("arn:aws:iam::1:user/path/ana", "IAM:ana"),
                                       ("arn:aws:iam::1:user/a/b/ana", "IAM:ana"),
                                       ("arn:aws:sts::1:assumed-role/analyst/s-04", "IAMR:analyst"),
                                       ("arn:aws:iam::1:role/analyst", "IAMR:analyst"),
                                       ("arn:aws:iam::1:role/service-role/team/loader", "IAMR:loader")])
def test_the_database_user_is_the_iam_identity_as_aws_maps_it(arn, user):
    assert service.mapped_user(arn) == user


def assumed_role_keys(name: str) -> dict:
    iam, sts = aws("iam"), aws("sts")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')[
        "Role"]["Arn"]
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="s0")["Credentials"]
    return {"region_name": REGION, "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"], "aws_session_token": creds["SessionToken"]}


def test_the_data_api_on_a_workgroup_runs_as_each_callers_identity_and_a_second_one_reads_nothing_ungranted(
        sl, data_api):  # noqa: F811
    wg = made(sl)
    target = {"WorkgroupName": wg["workgroupName"], "Database": "dev"}
    made_table = wait(data_api, data_api.execute_statement(Sql="CREATE TABLE t AS SELECT current_user AS who",
                                                           **target)["Id"])
    assert (made_table["Status"], made_table["WorkgroupName"]) == ("FINISHED", wg["workgroupName"])
    role = f"sv-reader-{uuid.uuid4().hex[:6]}"
    second = boto3.client("redshift-data", endpoint_url=local.data_api_endpoint(), **assumed_role_keys(role))
    denied = wait(second, second.execute_statement(Sql="SELECT who FROM t", **target)["Id"])
    assert (denied["Status"], denied["Error"]) == ("FAILED", "ERROR: permission denied for table t")
    assert wait(data_api, data_api.execute_statement(Sql=f'GRANT SELECT ON t TO "IAMR:{role}"', **target)["Id"])[
        "Status"] == "FINISHED"
    read = wait(second, second.execute_statement(Sql="SELECT who, current_user FROM t", **target)["Id"])
    assert rows(second, read["Id"]) == [["IAM:moto", f"IAMR:{role}"]]


@pytest.mark.parametrize("extra", [{"DbUser": "awsuser"}, {"ClusterIdentifier": "sparkify-cluster"}],
                         ids=["db-user", "cluster"])
def test_a_workgroup_request_that_also_names_a_database_user_or_a_cluster_is_refused(data_api, extra):  # noqa: F811
    """On Serverless the database user is the caller's IAM identity (redshift-iam-access-federated-db-roles.html):
    either extra key alone is refused, before any workgroup is looked up."""
    with pytest.raises(ClientError) as refused:
        data_api.execute_statement(Sql="SELECT 1", WorkgroupName="no-such-workgroup", Database="dev", **extra)
    assert code(refused) == "ValidationException" and "WorkgroupName takes neither" in str(refused.value)


def test_get_credentials_log_in_over_the_wire_door_as_the_iam_identity(sl):
    wg = made(sl, public=True)
    creds = sl.get_credentials(workgroupName=wg["workgroupName"], dbName="dev")
    assert creds["dbUser"] == "IAM:moto"
    _, port = local.wire_address()
    with psycopg2.connect(host=wg["endpoint"]["address"], hostaddr="127.0.0.1", port=port, dbname="dev",
                          user=creds["dbUser"], password=creds["dbPassword"], sslmode="verify-full",
                          sslrootcert=str(local.rehearsal_ca_path())) as conn, conn.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone() == ("IAM:moto",)
    with pytest.raises(psycopg2.OperationalError) as err:
        psycopg2.connect(host=wg["endpoint"]["address"], hostaddr="127.0.0.1", port=port, dbname="dev",
                         user=creds["dbUser"], password="forged", sslmode="verify-full",
                         sslrootcert=str(local.rehearsal_ca_path()))
    assert 'password authentication failed for user "IAM:moto"' in str(err.value)


def test_a_namespace_made_without_a_key_reads_back_aws_owned_encryption(sl):
    ns = sl.create_namespace(namespaceName=f"sv-{uuid.uuid4().hex[:8]}")["namespace"]
    assert ns["kmsKeyId"] == "AWS_OWNED_KMS_KEY"


def test_an_assumed_roles_data_api_and_serverless_clients_reach_the_rehearsals_endpoint():
    """04's analyst on Serverless assumes a role (aws.Clients.assuming): its clients must go where the
    operator's go on a rehearsal, not to the emulator."""
    from sparkify_nb import aws as aws_clients, config

    settings = config.load(overrides={"general.target": "redshift", "general.rehearsal": "true"})
    # as the rehearsal account's administrator (its operator may assume only the stack's analyst role)
    admin = aws_clients.Clients(settings).administrator()
    role = admin("iam").create_role(RoleName=f"sv-as-{uuid.uuid4().hex[:6]}",
                                    AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')["Role"]["Arn"]
    assumed = admin.assuming(role, "s0")
    for service_name in ("redshift-data", "redshift-serverless"):
        assert assumed(service_name).meta.endpoint_url == local.data_api_endpoint()
    assert assumed("s3").meta.endpoint_url == local.aws_endpoint()


def test_copy_on_a_workgroup_uses_its_namespaces_role_and_rejects_come_back_from_sys_load_error_detail(
        sl, data_api, bucket):  # noqa: F811
    """The suite's load_redshift over the Data API to a workgroup (record kind = serverless): COPY runs
    with the namespace's role, and the rejected record is read back from sys_load_error_detail."""
    from sparkify_nb import config
    from sparkify_nb.staging import redshift as copy_client
    from sparkify_nb.warehouse import data_api as client_code, schema
    from tests.helpers import quiet

    role = make_role(reads(bucket, "bad_log/*"))
    name = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=name, dbName="dev", iamRoles=[role], defaultIamRoleArn=role)
    sl.create_workgroup(workgroupName=name, namespaceName=name, baseCapacity=8)
    settle(sl, name)
    target = {"WorkgroupName": name, "Database": "dev"}
    assert wait(data_api, data_api.batch_execute_statement(Sqls=schema.create_statements("redshift"),
                                                           **target)["Id"])["Status"] == "FINISHED"
    settings = config.load(overrides={"general.target": "redshift", "general.region": REGION})
    record = {"role_arn": role, "source_region": REGION, "kind": "serverless"}
    conn = client_code.DataApiConnection(data_api, target, progress=quiet, keep_alive_s=60,
                                         poll=client_code.Poll(first_s=0.02, max_s=0.2))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(copy_client.state, "load", lambda *_a, **_k: record)
        report = copy_client.load_redshift(settings, conn, schema.STAGING_EVENTS, f"s3://{bucket}/bad_log", None,
                                           10, progress=quiet)
    assert (report.loaded, report.rejected, [r.colname for r in report.rejects]) == (2, 1, ["ts"])


def test_each_region_keeps_its_own_namespaces_and_workgroups(sl):
    """ARNs, names and lists are per Region [API: every ARN names its Region]: the same names in a second Region
    make a second namespace and workgroup, which the first Region neither lists nor counts."""
    other = boto3.client("redshift-serverless", endpoint_url=local.data_api_endpoint(),
                         **{**KEYS, "region_name": "eu-west-1"})
    here = made(sl)
    name = here["workgroupName"]
    there_ns = other.create_namespace(namespaceName=name)["namespace"]["namespaceArn"]
    there = other.create_workgroup(workgroupName=name, namespaceName=name, baseCapacity=16)["workgroup"]
    settle(other, name)
    assert (there["workgroupArn"].split(":")[3], here["workgroupArn"].split(":")[3]) == ("eu-west-1", REGION)
    assert sl.get_workgroup(workgroupName=name)["workgroup"]["baseCapacity"] == 8
    assert other.get_workgroup(workgroupName=name)["workgroup"]["baseCapacity"] == 16
    assert [w["workgroupArn"] for w in other.list_workgroups()["workgroups"]] == [there["workgroupArn"]]
    assert [n["namespaceArn"] for n in other.list_namespaces()["namespaces"]] == [there_ns]
    assert there_ns not in [n["namespaceArn"] for n in sl.list_namespaces()["namespaces"]]
    other.delete_workgroup(workgroupName=name)
    time.sleep(service.STEP_S + 0.1)
    other.list_workgroups()  # seen DELETING once: now gone
    # the first Region's workgroup of the same names keeps its namespace there, not here
    assert other.delete_namespace(namespaceName=name, finalSnapshotName=f"{name}-final")["namespace"][
        "status"] == "DELETING"
    assert [s["snapshotName"] for s in other.list_snapshots(namespaceName=name)["snapshots"]] == [f"{name}-final"]
    assert sl.list_snapshots(namespaceName=name)["snapshots"] == []
    with pytest.raises(ClientError) as err:
        sl.delete_namespace(namespaceName=name)
    assert code(err) == "ConflictException" and f"workgroup {name} uses it" in str(err.value)


def test_a_namespace_reads_back_what_it_was_made_with_and_the_rehearsals_defaults_for_the_rest(sl):
    """[API CreateNamespace]; the defaults (admin user ``admin``, database ``dev``) are the rehearsal's, unconfirmed.
    A managed admin password is a Secrets Manager secret ``redshift!<namespace>-<admin>``, whose ARN "includes the
    name of the secret followed by six random characters" (Secrets Manager API, CreateSecret's ``ARN``)."""
    name, role = f"sv-{uuid.uuid4().hex[:8]}", "arn:aws:iam::123456789012:role/copy"
    bare = sl.create_namespace(namespaceName=name)["namespace"]
    assert {k: bare[k] for k in ("namespaceName", "adminUsername", "dbName", "iamRoles", "logExports", "status")} == {
        "namespaceName": name, "adminUsername": "admin", "dbName": "dev", "iamRoles": [], "logExports": [],
        "status": "AVAILABLE"}
    assert "defaultIamRoleArn" not in bare and "adminPasswordSecretArn" not in bare
    full = sl.create_namespace(namespaceName=name + "-b", adminUsername="awsuser", dbName="sparkify", iamRoles=[role],
                               defaultIamRoleArn=role, logExports=["userlog"], kmsKeyId="alias/mine",
                               manageAdminPassword=True)["namespace"]
    assert (full["adminUsername"], full["dbName"], full["defaultIamRoleArn"], full["logExports"], full["kmsKeyId"]) == (
        "awsuser", "sparkify", role, ["userlog"], "alias/mine")
    prefix = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:redshift!{name}-b-awsuser-"
    secret = full["adminPasswordSecretArn"]
    assert secret.startswith(prefix) and len(secret) == len(prefix) + 6
    with pytest.raises(ClientError) as err:
        sl.create_namespace(namespaceName=name)
    assert code(err) == "ConflictException"


def test_update_namespace_changes_the_settings_it_names_and_keeps_the_others(sl):
    name, role = f"sv-{uuid.uuid4().hex[:8]}", "arn:aws:iam::123456789012:role/copy"
    sl.create_namespace(namespaceName=name, adminUsername="awsuser", logExports=["userlog"])
    sl.update_namespace(namespaceName=name, iamRoles=[role], defaultIamRoleArn=role)
    ns = sl.get_namespace(namespaceName=name)["namespace"]
    assert (ns["iamRoles"], ns["defaultIamRoleArn"], ns["logExports"], ns["adminUsername"]) == (
        [f"IamRole(applyStatus=in-sync, iamRoleArn={role})"], role, ["userlog"], "awsuser")
    sl.update_namespace(namespaceName=name, logExports=["userlog", "connectionlog"])
    ns = sl.get_namespace(namespaceName=name)["namespace"]
    assert (ns["logExports"], ns["defaultIamRoleArn"], len(ns["iamRoles"])) == (["userlog", "connectionlog"], role, 1)


def test_a_workgroup_reads_back_its_settings_and_aws_defaults_for_the_rest(sl):
    """[API CreateWorkgroup]: base capacity 128 RPUs by default ([CAP]: the default base capacity is 128 RPUs),
    port 5439, not publicly accessible, no enhanced VPC routing; no maximum unless one is given."""
    name = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=name)
    wg = sl.create_workgroup(workgroupName=name, namespaceName=name)["workgroup"]
    assert (wg["baseCapacity"], wg["port"], wg["publiclyAccessible"], wg["enhancedVpcRouting"], wg["subnetIds"],
            wg["securityGroupIds"], wg["configParameters"]) == (128, 5439, False, False, [], [], [])
    assert "maxCapacity" not in wg and wg["endpoint"] == {
        "address": f"{name}.123456789012.{REGION}.redshift-serverless.amazonaws.com", "port": 5439}
    assert sl.list_tags_for_resource(resourceArn=wg["workgroupArn"])["tags"] == []
    other = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=other)
    given = sl.create_workgroup(workgroupName=other, namespaceName=other, baseCapacity=8, maxCapacity=16, port=5440,
                                publiclyAccessible=True, enhancedVpcRouting=True, subnetIds=["subnet-1"],
                                securityGroupIds=["sg-1"],
                                configParameters=[{"parameterKey": "max_query_execution_time",
                                                   "parameterValue": "14400"}])["workgroup"]
    assert (given["maxCapacity"], given["port"], given["endpoint"]["port"], given["publiclyAccessible"],
            given["enhancedVpcRouting"], given["subnetIds"], given["securityGroupIds"],
            given["configParameters"][0]["parameterKey"]) == (
        16, 5440, 5440, True, True, ["subnet-1"], ["sg-1"], "max_query_execution_time")
    settle(sl, other)
    assert sl.update_workgroup(workgroupName=other, port=5441)["workgroup"]["endpoint"]["port"] == 5441


def test_a_status_in_transit_lasts_its_time_even_when_read_at_once(sl):
    """Rule 1: a read shows CREATING; the status stays until its time has passed, however often it is read."""
    name = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=name)
    sl.create_workgroup(workgroupName=name, namespaceName=name, baseCapacity=8)
    assert [sl.get_workgroup(workgroupName=name)["workgroup"]["status"] for _ in range(2)] == ["CREATING"] * 2
    with pytest.raises(ClientError) as err:
        sl.delete_workgroup(workgroupName=name)
    assert code(err) == "ConflictException" and "once AVAILABLE" in str(err.value)


def test_a_namespace_being_deleted_is_not_deleted_again_and_its_final_snapshot_is_listed_by_name_or_arn(sl):
    name = f"sv-{uuid.uuid4().hex[:8]}"
    ns = sl.create_namespace(namespaceName=name)["namespace"]
    plain = sl.create_namespace(namespaceName=name + "-b")["namespace"]
    sl.delete_namespace(namespaceName=name, finalSnapshotName=f"{name}-final")
    sl.delete_namespace(namespaceName=plain["namespaceName"])
    with pytest.raises(ClientError) as err:
        sl.delete_namespace(namespaceName=name)
    assert code(err) == "ConflictException" and "already being deleted" in str(err.value)
    by_name = sl.list_snapshots(namespaceName=name)["snapshots"]
    by_arn = sl.list_snapshots(namespaceArn=ns["namespaceArn"])["snapshots"]
    assert [s["snapshotName"] for s in by_name] == [s["snapshotName"] for s in by_arn] == [f"{name}-final"]
    assert (by_name[0]["namespaceArn"], by_name[0]["status"]) == (ns["namespaceArn"], "AVAILABLE")
    assert sl.list_snapshots(namespaceName=plain["namespaceName"])["snapshots"] == []
    assert sl.list_snapshots(namespaceArn=plain["namespaceArn"])["snapshots"] == []


def test_deleting_a_workgroup_deletes_its_usage_limits_and_no_others(sl):
    first, second = made(sl), made(sl)
    for wg in (first, second):
        sl.create_usage_limit(resourceArn=wg["workgroupArn"], usageType="serverless-compute", amount=4)
    sl.delete_workgroup(workgroupName=first["workgroupName"])
    assert sl.list_usage_limits(resourceArn=first["workgroupArn"])["usageLimits"] == []
    assert [u["resourceArn"] for u in sl.list_usage_limits(resourceArn=second["workgroupArn"])["usageLimits"]] == [
        second["workgroupArn"]]


def test_get_credentials_last_from_900_to_3600_seconds_900_by_default_on_an_available_workgroup_only(sl, raw_sl):
    """[API GetCredentials]: ``durationSeconds`` "The number of seconds until the returned temporary password
    expires. The minimum is 900 seconds, and the maximum is 3600 seconds", 900 by default (its page)."""
    wg = made(sl)
    name = wg["workgroupName"]
    for given, lasts in ((None, 900), (900, 900), (3600, 3600)):
        before = time.time()
        creds = sl.get_credentials(workgroupName=name, **({"durationSeconds": given} if given else {}))
        left = creds["expiration"].timestamp() - before
        assert lasts <= left < lasts + 0.5, (given, left)  # the expiry is sent to the microsecond
    for given in (899, 3601):
        with pytest.raises(ClientError) as err:
            sl.get_credentials(workgroupName=name, durationSeconds=given)
        assert code(err) == "ValidationException" and "between 900 and 3600" in str(err.value)
    with pytest.raises(ClientError) as err:
        raw_sl.get_credentials(dbName="dev")
    assert code(err) == "ValidationException" and "workgroupName is required" in str(err.value)
    fresh = f"sv-{uuid.uuid4().hex[:8]}"
    sl.create_namespace(namespaceName=fresh)
    sl.create_workgroup(workgroupName=fresh, namespaceName=fresh, baseCapacity=8)
    with pytest.raises(ClientError) as err:
        sl.get_credentials(workgroupName=fresh)
    assert code(err) == "ConflictException" and "CREATING" in str(err.value)


def test_usage_limits_are_found_updated_and_deleted_by_id_each_on_its_own_workgroup(sl):
    """Rule 5, the rest of the life of a usage limit [API CreateUsageLimit, UpdateUsageLimit, DeleteUsageLimit,
    ListUsageLimits]: one limit per workgroup, usage type and period (unconfirmed), so a second workgroup takes
    the same; an amount of 1 RPU-hour is the least; an update may change the breach action alone."""
    first, second = made(sl), made(sl)
    one = sl.create_usage_limit(resourceArn=first["workgroupArn"], usageType="serverless-compute", amount=1,
                                period="daily")["usageLimit"]
    sl.create_usage_limit(resourceArn=second["workgroupArn"], usageType="serverless-compute", amount=1, period="daily")
    with pytest.raises(ClientError) as err:
        sl.create_usage_limit(resourceArn=first["workgroupArn"].replace(first["workgroupId"], str(uuid.uuid4())),
                              usageType="serverless-compute", amount=1)
    assert code(err) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        sl.create_usage_limit(resourceArn=first["workgroupArn"], usageType="cross-region-datasharing", amount=1)
    assert code(err) == "ValidationException" and "cross-region-datasharing does not apply" in str(err.value)
    assert sl.list_usage_limits(resourceArn=first["workgroupArn"], usageType="cross-region-datasharing")[
        "usageLimits"] == []
    assert [u["usageLimitId"] for u in sl.list_usage_limits(resourceArn=first["workgroupArn"],
                                                           usageType="serverless-compute")["usageLimits"]] == [
        one["usageLimitId"]]
    assert sl.update_usage_limit(usageLimitId=one["usageLimitId"], breachAction="deactivate")["usageLimit"][
        "breachAction"] == "deactivate"
    updated = sl.update_usage_limit(usageLimitId=one["usageLimitId"], amount=1)["usageLimit"]
    assert (updated["amount"], updated["breachAction"]) == (1, "deactivate")
    with pytest.raises(ClientError) as err:
        sl.update_usage_limit(usageLimitId=one["usageLimitId"], amount=0)
    assert code(err) == "ValidationException"
    assert sl.delete_usage_limit(usageLimitId=one["usageLimitId"])["usageLimit"]["usageLimitId"] == one["usageLimitId"]
    for call in (sl.update_usage_limit, sl.delete_usage_limit):
        with pytest.raises(ClientError) as err:
            call(usageLimitId=one["usageLimitId"])
        assert code(err) == "ResourceNotFoundException"
    assert [u["resourceArn"] for u in sl.list_usage_limits()["usageLimits"]
            if u["resourceArn"] in (first["workgroupArn"], second["workgroupArn"])] == [second["workgroupArn"]]


def test_tags_are_added_and_removed_by_key(sl):
    """Rule 6 [API TagResource, UntagResource]."""
    arn = made(sl)["workgroupArn"]
    sl.tag_resource(resourceArn=arn, tags=[{"key": "owner", "value": "ana"}, {"key": "cost", "value": "dwh"}])
    sl.untag_resource(resourceArn=arn, tagKeys=["cost", "no-such-key"])
    assert sorted(t["key"] for t in sl.list_tags_for_resource(resourceArn=arn)["tags"]) == ["owner", "stack"]
