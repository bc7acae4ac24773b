"""COPY on the rehearsal's Data API endpoint, driven by the suite's own client
code (staging/redshift.py over warehouse/data_api.py): it loads what the local
COPY emulator loads, its rejects land in stl_load_errors and are read back as on
AWS, and a role, Region or policy that would fail on Redshift fails here
(sparkify_nb/local/rehearsal/__init__.py, rules 10 and 11)."""

from __future__ import annotations

import gzip
import json
import time
import uuid

import pytest

from sparkify_nb import config, datagen, staging
from sparkify_nb.iam import copy_role as iam, reach
from sparkify_nb.infra.roles import manifest_reader
from sparkify_nb.staging import redshift as copy_client
from sparkify_nb.staging.errors import LoadError
from sparkify_nb.warehouse import data_api as client_code, schema
from tests.helpers import quiet
from tests.rehearsal_fixtures import MASTER, REGION, aws, data_api, make_cluster, policy, rows, run, wait  # noqa: F401

TRUST = policy({"Effect": "Allow", "Principal": {"Service": "redshift.amazonaws.com"}, "Action": "sts:AssumeRole"})


@pytest.fixture(scope="module")
def bucket():
    """A bucket in REGION with a generated data set (songs, two days of events, the jsonpaths file), a
    file with a bad record, two files with three (bad_many/), and the events again as gzip parts listed by a
    manifest."""
    name = f"rh-copy-{uuid.uuid4().hex[:8]}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    sink = datagen.S3Sink(s3, name)
    datagen.generate(sink, events=400, songs=20, users=10, days=2, seed=3)
    sink.close()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name, Prefix="log_data/")["Contents"]]
    lines = b"".join(s3.get_object(Bucket=name, Key=k)["Body"].read() for k in keys).splitlines(keepends=True)
    good = json.loads(lines[0])
    s3.put_object(Bucket=name, Key="bad_log/events.json",
                  Body=lines[0] + json.dumps({**good, "ts": "not a number"}).encode() + b"\n" + lines[1])
    bad = json.dumps({**good, "ts": "not a number"}).encode() + b"\n"
    s3.put_object(Bucket=name, Key="bad_many/a.json", Body=lines[0] + bad + lines[1] + bad)  # rejects: lines 2, 4
    s3.put_object(Bucket=name, Key="bad_many/b.json", Body=bad + lines[2])                  # and line 1
    half = len(lines) // 2
    for n, part in enumerate((lines[:half], lines[half:])):
        s3.put_object(Bucket=name, Key=f"parts/events-{n}.json.gz", Body=gzip.compress(b"".join(part)))
    s3.put_object(Bucket=name, Key="manifests/events.manifest", Body=json.dumps(
        {"entries": [{"url": f"s3://{name}/parts/events-{n}.json.gz", "mandatory": True} for n in (0, 1)]}))
    return name


def make_role(statements: list[dict], boundary: list[dict] | None = None) -> str:
    iam = aws("iam")
    name = f"rh-copy-{uuid.uuid4().hex[:8]}"
    extra = {}
    if boundary:
        extra["PermissionsBoundary"] = iam.create_policy(PolicyName=f"{name}-boundary",
                                                         PolicyDocument=policy(*boundary))["Policy"]["Arn"]
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, **extra)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="copy", PolicyDocument=policy(*statements))
    return arn


def reads(bucket: str, *keys: str) -> list[dict]:
    """What the suite's COPY role allows: list the bucket, get the objects under ``keys``."""
    return [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::{bucket}/{k}" for k in keys]}]


def loader(data_api, monkeypatch, role_arn: str, source_region: str = REGION, associate: bool = True,
           kind: str = "provisioned"):
    """(load(table, source, jsonpaths, max_errors) -> LoadReport, the cluster's target): the suite's
    load_redshift over a DataApiConnection to a new cluster, 02's tables created there; ``kind``: the
    record's, which picks the view the rejects are read from. ``load(..., session="new")`` loads in a
    session (a Data API connection) of its own."""
    made = make_cluster(roles=[role_arn] if associate else [])
    target = {"ClusterIdentifier": made["ClusterIdentifier"], "Database": "dev", "DbUser": MASTER}
    batch = data_api.batch_execute_statement(Sqls=schema.create_statements("redshift"), **target)
    assert wait(data_api, batch["Id"])["Status"] == "FINISHED"
    settings = config.load(overrides={"general.target": "redshift", "general.region": REGION})
    record = {"role_arn": role_arn, "source_region": source_region, "kind": kind}
    monkeypatch.setattr(copy_client.state, "load", lambda *_a, **_k: record)

    def connect():
        return client_code.DataApiConnection(data_api, target, progress=quiet, keep_alive_s=60,
                                             poll=client_code.Poll(first_s=0.02, max_s=0.2))
    conn = connect()

    def load(table, source, jsonpaths=None, max_errors=10, session="the same"):
        return copy_client.load_redshift(settings, conn if session == "the same" else connect(), table, source,
                                         jsonpaths, max_errors, progress=quiet)
    return load, target


def local_counts(bucket: str, table, source: str, jsonpaths: str | None, conn) -> tuple[int, int]:
    from sparkify_nb.local.rehearsal.control import Clients, ControlPlane

    report = staging.load_local(conn, table, source, jsonpaths, 10, clients=Clients(ControlPlane(), REGION),
                                progress=quiet)
    return report.loaded, report.rejected


def test_copy_loads_what_the_local_copy_emulator_loads(data_api, monkeypatch, bucket, conn):
    load, _ = loader(data_api, monkeypatch, make_role(reads(bucket, "*")))
    jsonpaths = f"s3://{bucket}/log_json_path.json"
    songs = load(schema.STAGING_SONGS, f"s3://{bucket}/song_data")
    events = load(schema.STAGING_EVENTS, f"s3://{bucket}/log_data", jsonpaths)
    assert (songs.loaded, songs.rejected) == local_counts(bucket, schema.STAGING_SONGS, f"s3://{bucket}/song_data",
                                                          None, conn) == (20, 0)
    assert (events.loaded, events.rejected) == local_counts(bucket, schema.STAGING_EVENTS, f"s3://{bucket}/log_data",
                                                            jsonpaths, conn) == (400, 0)


def test_a_manifest_of_gzip_parts_loads_with_manifest_gzip(data_api, monkeypatch, bucket):
    load, _ = loader(data_api, monkeypatch, make_role(reads(bucket, "*")))
    report = load(schema.STAGING_EVENTS, f"s3://{bucket}/manifests/events.manifest",
                  f"s3://{bucket}/log_json_path.json")
    assert report.loaded == 400


def test_rejects_land_in_stl_load_errors_and_the_client_reads_them_back(data_api, monkeypatch, bucket):
    load, target = loader(data_api, monkeypatch, make_role(reads(bucket, "*")))
    report = load(schema.STAGING_EVENTS, f"s3://{bucket}/bad_log", f"s3://{bucket}/log_json_path.json")
    assert (report.loaded, report.rejected) == (2, 1)
    [reject] = report.rejects
    assert (reject.filename, reject.line_number, reject.colname, reject.err_code) == (
        f"s3://{bucket}/bad_log/events.json", 2, "ts", 1206)
    detail = run(data_api, "SELECT COUNT(*) FROM sys_load_error_detail WHERE TRIM(column_name) = 'ts'", **target)
    assert rows(data_api, detail["Id"]) == [[1]]


def test_a_copy_at_maxerror_fails_rolls_back_and_its_rejects_survive_the_rollback(data_api, monkeypatch, bucket):
    load, target = loader(data_api, monkeypatch, make_role(reads(bucket, "*")))
    load(schema.STAGING_EVENTS, f"s3://{bucket}/log_data", f"s3://{bucket}/log_json_path.json")
    with pytest.raises(LoadError) as failed:
        load(schema.STAGING_EVENTS, f"s3://{bucket}/bad_log", f"s3://{bucket}/log_json_path.json", max_errors=1)
    message = str(failed.value)
    assert "Load into table 'staging_events' failed. Check 'stl_load_errors' system table for details." in message
    assert f"s3://{bucket}/bad_log/events.json line 2 column ts" in message  # read back after the rollback
    counted = run(data_api, "SELECT COUNT(*) FROM staging_events", **target)
    assert rows(data_api, counted["Id"]) == [[400]]  # the DELETE of the failed batch was rolled back too


@pytest.mark.parametrize("kind, view", [("provisioned", "stl_load_errors"), ("serverless", "sys_load_error_detail")])
def test_a_copys_rejects_come_back_file_by_file_line_by_line_and_a_failed_copy_gets_only_its_own(
        data_api, monkeypatch, bucket, kind, view):
    """Rejects are read back ordered by file, then line (the SQL's ORDER BY), whether the COPY loaded or
    aborted. An aborted COPY has no query id of its own: its rejects are this session's last COPY into the same
    table's, so a COPY that failed before reading a record (a prefix with no object) reports none, not those of
    another table loaded before it in its session, nor those of the same table loaded in another session.
    ``sys_load_error_detail`` is read on Serverless; the SYS views are on provisioned clusters too
    (https://docs.aws.amazon.com/redshift/latest/dg/SYS_LOAD_ERROR_DETAIL.html), so one cluster serves both."""
    load, _ = loader(data_api, monkeypatch, make_role(reads(bucket, "*")), kind=kind)
    jsonpaths, many = f"s3://{bucket}/log_json_path.json", f"s3://{bucket}/bad_many"
    expected = [(f"{many}/a.json", 2), (f"{many}/a.json", 4), (f"{many}/b.json", 1)]
    with pytest.raises(LoadError) as aborted:
        load(schema.STAGING_EVENTS, many, jsonpaths, max_errors=3)
    assert [(r.filename, r.line_number) for r in aborted.value.report.rejects] == expected
    loaded = load(schema.STAGING_EVENTS, many, jsonpaths, max_errors=10)  # its own rejects, not the aborted one's too
    assert (loaded.loaded, [(r.filename, r.line_number) for r in loaded.rejects]) == (3, expected)
    nothing = f"; {view} holds no rejected record for it"
    with pytest.raises(LoadError) as other_table:
        load(schema.STAGING_SONGS, f"s3://{bucket}/no_such_prefix")
    assert str(other_table.value).endswith(nothing)
    with pytest.raises(LoadError) as other_session:
        load(schema.STAGING_EVENTS, f"s3://{bucket}/no_such_prefix", jsonpaths, session="new")
    assert str(other_session.value).endswith(nothing)


def _songs_copied_in_a_session(data_api, monkeypatch, bucket) -> dict:
    """ExecuteStatement's answer to the suite's COPY of the songs, finished, in a session kept 30 s."""
    role = make_role(reads(bucket, "*"))
    _, target = loader(data_api, monkeypatch, role)
    copy = copy_client.copy_statement(config.load(overrides={"general.target": "redshift"}), schema.STAGING_SONGS,
                                      f"s3://{bucket}/song_data", None, role, 10, region=REGION)
    first = data_api.execute_statement(Sql=copy, SessionKeepAliveSeconds=30, **target)
    assert wait(data_api, first["Id"])["Status"] == "FINISHED"
    return first


def test_pg_last_copy_id_names_the_copy_in_its_session(data_api, monkeypatch, bucket):
    first = _songs_copied_in_a_session(data_api, monkeypatch, bucket)
    later = data_api.execute_statement(Sql="SELECT pg_last_copy_id(), pg_last_copy_count()",
                                       SessionId=first["SessionId"])
    [[copy_id, count]] = rows(data_api, wait(data_api, later["Id"])["Id"])
    assert copy_id == data_api.describe_statement(Id=first["Id"])["RedshiftQueryId"] and count == 20


def test_a_statement_failing_after_a_committed_copy_leaves_pg_last_copy_id_naming_that_copy(data_api, monkeypatch,
                                                                                            bucket):
    """A later statement of the session that fails rolls back its own work only: ``pg_last_copy_id()`` and
    ``pg_last_copy_count()`` still name the COPY that committed before it (PG_LAST_COPY_ID.html: "the COPY ID is
    not updated" but by a COPY)."""
    first = _songs_copied_in_a_session(data_api, monkeypatch, bucket)
    failed = data_api.execute_statement(Sql="SELECT 1 / 0", SessionId=first["SessionId"])
    assert (wait(data_api, failed["Id"])["Status"], wait(data_api, failed["Id"])["Error"]) == (
        "FAILED", "ERROR: division by zero")
    later = data_api.execute_statement(Sql="SELECT pg_last_copy_id(), pg_last_copy_count()",
                                       SessionId=first["SessionId"])
    assert rows(data_api, wait(data_api, later["Id"])["Id"]) == [
        [data_api.describe_statement(Id=first["Id"])["RedshiftQueryId"], 20]]


def test_a_copy_that_failed_on_its_data_keeps_its_id_and_no_count_in_pg_last_copy_id(data_api, monkeypatch, bucket):
    """"If the COPY fails because of invalid load data, the COPY ID is updated" (PG_LAST_COPY_ID.html): in its
    session ``pg_last_copy_id()`` then names the failed COPY (the query its STL_LOAD_ERRORS rows carry) and
    ``pg_last_copy_count()`` is 0 (nothing loaded)."""
    role = make_role(reads(bucket, "*"))
    _, target = loader(data_api, monkeypatch, role)
    copy = copy_client.copy_statement(config.load(overrides={"general.target": "redshift"}), schema.STAGING_EVENTS,
                                      f"s3://{bucket}/bad_log", f"s3://{bucket}/log_json_path.json", role, 0,
                                      region=REGION)
    first = data_api.execute_statement(Sql=copy, SessionKeepAliveSeconds=30, **target)
    assert wait(data_api, first["Id"])["Status"] == "FAILED"
    later = data_api.execute_statement(
        Sql="SELECT pg_last_copy_id(), pg_last_copy_count(), (SELECT MAX(query) FROM stl_load_errors)",
        SessionId=first["SessionId"])
    [[copy_id, count, rejected_by]] = rows(data_api, wait(data_api, later["Id"])["Id"])
    assert (copy_id, count) == (rejected_by, 0) and copy_id >= 1000


def test_a_copy_rolled_back_with_its_batch_leaves_pg_last_copy_id_as_it_was(data_api, monkeypatch, bucket):
    """"If the COPY transaction is rolled back, the COPY ID is not updated" (PG_LAST_COPY_ID.html): a COPY that
    loaded, undone because a later statement of its batch failed, leaves the session's value as it was (only a
    COPY that failed on its data keeps its id, for STL_LOAD_ERRORS)."""
    role = make_role(reads(bucket, "*"))
    _, target = loader(data_api, monkeypatch, role)
    copy = copy_client.copy_statement(config.load(overrides={"general.target": "redshift"}), schema.STAGING_SONGS,
                                      f"s3://{bucket}/song_data", None, role, 10, region=REGION)
    batch = data_api.batch_execute_statement(Sqls=[copy, "SELECT 1 / 0"], SessionKeepAliveSeconds=30, **target)
    assert wait(data_api, batch["Id"])["Status"] == "FAILED"
    later = data_api.execute_statement(Sql="SELECT pg_last_copy_id(), pg_last_copy_count()",
                                       SessionId=batch["SessionId"])
    assert rows(data_api, wait(data_api, later["Id"])["Id"]) == [[-1, 0]]


@pytest.mark.parametrize("allowed, what", [
    (lambda b: reads(b, "log_json_path.json", "parts/*"), "the manifest"),
    (lambda b: reads(b, "log_json_path.json", "manifests/*"), "a source"),
    (lambda b: reads(b, "parts/*", "manifests/*"), "the jsonpaths file"),
])
def test_a_copy_whose_role_cannot_read_every_file_fails_with_access_denied(data_api, monkeypatch, bucket, allowed,
                                                                           what):
    load, _ = loader(data_api, monkeypatch, make_role(allowed(bucket)))
    with pytest.raises(LoadError) as failed:
        load(schema.STAGING_EVENTS, f"s3://{bucket}/manifests/events.manifest", f"s3://{bucket}/log_json_path.json")
    assert "ERROR: S3ServiceException:Access Denied,Status 403,Error AccessDenied" in str(failed.value), what


def test_list_bucket_is_held_to_its_s3_prefix_condition(data_api, monkeypatch, bucket):
    def role(prefix: str) -> str:
        return make_role([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
                           "Condition": {"StringLike": {"s3:prefix": [prefix]}}},
                          {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}])
    load, _ = loader(data_api, monkeypatch, role("song_data*"))
    assert load(schema.STAGING_SONGS, f"s3://{bucket}/song_data").loaded == 20
    load, _ = loader(data_api, monkeypatch, role("log_data*"))
    with pytest.raises(LoadError, match="Access Denied"):
        load(schema.STAGING_SONGS, f"s3://{bucket}/song_data")


def test_a_permissions_boundary_limits_the_roles_reach(data_api, monkeypatch, bucket):
    role = make_role(reads(bucket, "*"), boundary=[{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}])
    load, _ = loader(data_api, monkeypatch, role)
    with pytest.raises(LoadError, match="Access Denied"):
        load(schema.STAGING_SONGS, f"s3://{bucket}/song_data")


def test_a_roles_managed_policies_count_with_its_inline_ones(data_api, monkeypatch, bucket):
    """What a COPY role may read is every policy it holds ("Managed policies and inline policies",
    access_policies_managed-vs-inline.html): a role whose only grant is an attached managed policy loads."""
    iam = aws("iam")
    name = f"rh-copy-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    managed = iam.create_policy(PolicyName=f"{name}-reads", PolicyDocument=policy(*reads(bucket, "*")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    load, _ = loader(data_api, monkeypatch, role)
    songs = load(schema.STAGING_SONGS, f"s3://{bucket}/song_data")
    assert (songs.loaded, songs.rejected) == (20, 0)


def test_a_role_not_associated_with_the_cluster_cannot_be_assumed(data_api, monkeypatch, bucket):
    role = make_role(reads(bucket, "*"))
    load, target = loader(data_api, monkeypatch, role, associate=False)
    with pytest.raises(LoadError) as failed:
        load(schema.STAGING_SONGS, f"s3://{bucket}/song_data")
    assert (f"ERROR: User arn:aws:redshift:{REGION}:123456789012:dbuser:{target['ClusterIdentifier']}/{MASTER} "
            f"is not authorized to assume IAM Role {role}") in str(failed.value)


def test_a_role_deleted_since_it_was_associated_with_the_cluster_cannot_be_assumed(data_api, bucket):
    """The cluster still lists the role's ARN, IAM no longer has the role: the COPY is refused as for a role
    not associated (the user "is not authorized to assume IAM Role"), not failed with IAM's NoSuchEntity."""
    role = make_role(reads(bucket, "*"))
    made = make_cluster(roles=[role])
    target = {"ClusterIdentifier": made["ClusterIdentifier"], "Database": "dev", "DbUser": MASTER}
    try:
        name = role.rsplit("/", 1)[-1]
        aws("iam").delete_role_policy(RoleName=name, PolicyName="copy")
        aws("iam").delete_role(RoleName=name)
        assert run(data_api, "CREATE TABLE t (s VARCHAR(4))", **target)["Status"] == "FINISHED"
        failed = run(data_api, f"COPY t FROM 's3://{bucket}/conversion/' IAM_ROLE '{role}' FORMAT AS JSON 'auto'",
                     **target)
        assert failed["Status"] == "FAILED"
        assert failed["Error"].endswith(f"is not authorized to assume IAM Role {role}"), failed["Error"]
    finally:
        aws("redshift").delete_cluster(ClusterIdentifier=made["ClusterIdentifier"], SkipFinalClusterSnapshot=True)


def test_a_region_other_than_the_buckets_fails_as_redshift_fails(data_api, monkeypatch, bucket):
    load, _ = loader(data_api, monkeypatch, make_role(reads(bucket, "*")), source_region="eu-west-1")
    with pytest.raises(LoadError) as failed:
        load(schema.STAGING_SONGS, f"s3://{bucket}/song_data")
    assert ("S3ServiceException:The bucket you are attempting to access must be addressed using the specified "
            "endpoint.") in str(failed.value)


def test_a_bucket_that_does_not_exist_fails_the_copy_with_s3s_no_such_bucket(data_api, monkeypatch, bucket):
    load, _ = loader(data_api, monkeypatch, make_role(reads(bucket, "*")))
    with pytest.raises(LoadError) as failed:
        load(schema.STAGING_SONGS, f"s3://rh-none-{uuid.uuid4().hex[:8]}/song_data")
    assert "S3ServiceException:The specified bucket does not exist,Status 404,Error NoSuchBucket" in str(failed.value)


def test_a_path_longer_than_the_system_tables_256_characters_is_cut_to_its_first_256(data_api, monkeypatch, bucket):
    """stl_load_errors.filename ("Complete path to the input file for the load") and sys_load_history.data_source
    are character(256) (r_STL_LOAD_ERRORS.html, SYS_LOAD_HISTORY.html): a longer path keeps its first 256
    characters (how Redshift shortens one is unconfirmed)."""
    folder = "long_names/" + "n" * 300
    here = aws("s3")
    here.put_object(Bucket=bucket, Key=f"{folder}/events.json",
                    Body=here.get_object(Bucket=bucket, Key="bad_log/events.json")["Body"].read())
    load, target = loader(data_api, monkeypatch, make_role(reads(bucket, "*")))
    report = load(schema.STAGING_EVENTS, f"s3://{bucket}/{folder}", f"s3://{bucket}/log_json_path.json")
    assert [r.filename for r in report.rejects] == [f"s3://{bucket}/{folder}/events.json"[:256]]
    source = run(data_api, "SELECT TRIM(data_source) FROM sys_load_history", **target)
    assert rows(data_api, source["Id"]) == [[f"s3://{bucket}/{folder}"[:256]]]


def test_sys_load_history_holds_each_copy_completed_or_aborted_with_its_counts_and_duration(data_api, monkeypatch,
                                                                                            bucket):
    """SYS_LOAD_HISTORY (SYS_LOAD_HISTORY.html): a row per COPY, its status ("completed" or "aborted"), the rows
    it loaded (none once aborted), its errors and files, its duration in microseconds; and stl_load_errors gives
    a rejected field's type by its short name (ts, a TIMESTAMP: timestamp)."""
    load, target = loader(data_api, monkeypatch, make_role(reads(bucket, "*")))
    jsonpaths = f"s3://{bucket}/log_json_path.json"
    started = time.monotonic()
    load(schema.STAGING_EVENTS, f"s3://{bucket}/bad_log", jsonpaths, max_errors=10)
    with pytest.raises(LoadError):
        load(schema.STAGING_EVENTS, f"s3://{bucket}/bad_log", jsonpaths, max_errors=1)
    elapsed_us = (time.monotonic() - started) * 1e6
    history = run(data_api, "SELECT TRIM(status), loaded_rows, error_count, source_file_count, duration "
                            "FROM sys_load_history ORDER BY query_id", **target)
    found = rows(data_api, history["Id"])
    assert [r[:4] for r in found] == [["completed", 2, 1, 1], ["aborted", 0, 1, 1]]
    assert all(0 < r[4] < elapsed_us for r in found), (found, elapsed_us)
    types = run(data_api, "SELECT DISTINCT TRIM(type) FROM stl_load_errors", **target)
    assert rows(data_api, types["Id"]) == [["timestamp"]]


def test_a_reason_longer_than_stl_load_errors_100_bytes_keeps_its_first_100(data_api, monkeypatch, bucket):
    """stl_load_errors.err_reason is character(100) (r_STL_LOAD_ERRORS.html): a longer reason keeps its first
    100 bytes (how Redshift shortens one is unconfirmed)."""
    key = f"long_reason/{uuid.uuid4().hex[:8]}.json"
    aws("s3").put_object(Bucket=bucket, Key=key, Body=b'{"artist": "' + b"a" * 100000 + b'\xff"}\n')
    load, _ = loader(data_api, monkeypatch, make_role(reads(bucket, "*")))
    report = load(schema.STAGING_EVENTS, f"s3://{bucket}/{key}", f"s3://{bucket}/log_json_path.json")
    reason = ("Invalid UTF-8: byte 0xff at position 100012 (String contains invalid or unsupported UTF-8 "
              "codepoints)")
    assert len(reason) == 101 and [r.err_reason for r in report.rejects] == [reason[:100]]


def test_a_manifest_listing_a_file_in_another_regions_bucket_fails_as_redshift_fails(data_api, monkeypatch, bucket):
    """"All resources, including a manifest file or multiple Amazon S3 buckets, must be located in the specified
    region" (copy-parameters-data-source-s3.html): each bucket a manifest names, not only the manifest's own."""
    far, here = f"rh-far-{uuid.uuid4().hex[:8]}", aws("s3")
    aws("s3", "eu-west-1").create_bucket(Bucket=far, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    part = here.get_object(Bucket=bucket, Key="parts/events-0.json.gz")["Body"].read()
    aws("s3", "eu-west-1").put_object(Bucket=far, Key="parts/events-0.json.gz", Body=part)
    here.put_object(Bucket=bucket, Key="elsewhere/far.manifest", Body=json.dumps({"entries": [
        {"url": f"s3://{bucket}/parts/events-1.json.gz", "mandatory": True},
        {"url": f"s3://{far}/parts/events-0.json.gz", "mandatory": True}]}))
    load, _ = loader(data_api, monkeypatch, make_role(reads(bucket, "*") + reads(far, "*")))
    with pytest.raises(LoadError) as failed:
        load(schema.STAGING_EVENTS, f"s3://{bucket}/elsewhere/far.manifest", f"s3://{bucket}/log_json_path.json")
    assert ("S3ServiceException:The bucket you are attempting to access must be addressed using the specified "
            "endpoint.") in str(failed.value)


def manifest_settings(bucket: str):
    """Settings of a run whose log source is the bucket's manifest (parts in ``parts/``, not beside it)."""
    return config.load(overrides={"general.target": "redshift", "general.region": REGION,
                                  "s3.song_data": f"s3://{bucket}/song_data",
                                  "s3.log_data": f"s3://{bucket}/manifests/events.manifest",
                                  "s3.log_jsonpath": f"s3://{bucket}/log_json_path.json"}, environ={})


def test_the_copy_role_01_grants_for_a_manifest_source_reads_the_manifest_and_every_part_it_lists(
        data_api, monkeypatch, bucket):
    settings = manifest_settings(bucket)
    granted = reach.copy_reach(settings, read=manifest_reader(aws), work=False)  # 01 reads the manifest for its parts
    assert granted.record()["objects"] == [f"s3://{bucket}/log_json_path.json",
                                           f"s3://{bucket}/manifests/events.manifest",
                                           f"s3://{bucket}/parts/events-*", f"s3://{bucket}/song_data/*"]
    load, _ = loader(data_api, monkeypatch, make_role(iam.role_policy(settings, granted)["Statement"]))
    report = load(schema.STAGING_EVENTS, settings.source_uri("log_data"), settings.source_uri("log_jsonpath"))
    assert report.loaded == 400


def test_the_grant_before_issue_18_a_manifests_key_as_a_folder_is_denied_by_copy(data_api, monkeypatch, bucket):
    """What 01 granted for a manifest source before: ``b/manifests/events.manifest/*``, which covers neither
    the manifest nor its parts (the control of the test above: the rehearsal's COPY refuses it)."""
    old = [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"StringLike": {"s3:prefix": ["log_json_path.json", "manifests/events.manifest*"]}}},
           {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [
               f"arn:aws:s3:::{bucket}/log_json_path.json", f"arn:aws:s3:::{bucket}/manifests/events.manifest/*"]}]
    load, _ = loader(data_api, monkeypatch, make_role(old))
    with pytest.raises(LoadError, match="Access Denied"):
        load(schema.STAGING_EVENTS, f"s3://{bucket}/manifests/events.manifest", f"s3://{bucket}/log_json_path.json")


def test_flags_without_a_value_do_not_swallow_the_next_option():
    """sqlglot reads ``MANIFEST COMPUPDATE OFF`` as MANIFEST = COMPUPDATE, then OFF = STATUPDATE: a daily
    load's COPY (MANIFEST, no GZIP) was refused as naming an option OFF."""
    import sqlglot

    from sparkify_nb.local.rehearsal.copy import options

    sql = ("COPY t FROM 's3://b/m.manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/r' FORMAT AS JSON 'auto' "
           "REGION 'us-west-2' MANIFEST COMPUPDATE OFF STATUPDATE OFF MAXERROR 0")
    assert options(sqlglot.parse_one(sql, read="redshift")) == {
        "FORMAT AS JSON": "auto", "REGION": "us-west-2", "MANIFEST": "", "COMPUPDATE": "OFF", "STATUPDATE": "OFF",
        "MAXERROR": "0"}


def test_stl_load_errors_shows_a_superuser_every_users_rows_and_a_user_only_their_own(data_api):
    """"Superusers can see all rows; regular users can see only their own data" (STL visibility,
    https://docs.aws.amazon.com/redshift/latest/dg/c_visibility-of-data.html): one reject of user
    loader; the master user (a superuser) and loader see it, reader does not."""
    made = make_cluster()
    master = {"ClusterIdentifier": made["ClusterIdentifier"], "Database": "dev", "DbUser": MASTER}
    try:
        batch = data_api.batch_execute_statement(
            Sqls=["CREATE USER loader PASSWORD DISABLE", "CREATE USER reader PASSWORD DISABLE",
                  "INSERT INTO rehearsal_internal.load_errors (userid, err_code) "
                  "SELECT usesysid, 1201 FROM pg_user WHERE usename = 'loader'"], **master)
        assert wait(data_api, batch["Id"])["Status"] == "FINISHED"
        seen = {}
        for user in (MASTER, "loader", "reader"):
            counted = run(data_api, "SELECT COUNT(*) FROM stl_load_errors WHERE err_code = 1201",
                          **{**master, "DbUser": user})
            seen[user] = rows(data_api, counted["Id"])
        assert seen == {MASTER: [[1]], "loader": [[1]], "reader": [[0]]}
    finally:
        aws("redshift").delete_cluster(ClusterIdentifier=made["ClusterIdentifier"], SkipFinalClusterSnapshot=True)


# COPY's data conversion parameters with FORMAT AS JSON (rule 11; sparkify_nb/staging/convert.py Conversion):
# none of them is among the options "not supported with JSON"
# (https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-format.html#copy-json); what each does:
# https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-conversion.html
CONVERSION_RECORDS = (b'{"s": "ab  ", "n": 1}\n{"s": "", "n": 2}\n{"s": "   ", "n": 3}\n{"s": "abcdef", "n": 4}\n'
                      + '{"s": "é€", "n": 5}\n'.encode() + b'{"S": "UP", "N": 6}\n{"s": "a\xffb", "n": 7}\n')
BASE = {("ab  ", 1), ("", 2), ("   ", 3), (None, None)}  # 4, 5: longer than VARCHAR(4) bytes; 7: not UTF-8
CONVERSIONS = {
    "no option: blanks kept, too long and invalid UTF-8 rejected": ("", BASE, 3),
    "TRIMBLANKS removes trailing blanks": ("TRIMBLANKS", {("ab", 1), ("", 2), ("", 3), (None, None)}, 3),
    "EMPTYASNULL loads an empty string as NULL": ("EMPTYASNULL", BASE - {("", 2)} | {(None, 2)}, 3),
    "BLANKSASNULL loads a string of white space as NULL": ("BLANKSASNULL", BASE - {("   ", 3)} | {(None, 3)}, 3),
    "TRUNCATECOLUMNS cuts to the column's bytes, not inside a character": (
        "TRUNCATECOLUMNS", BASE | {("abcd", 4), ("é", 5)}, 1),
    "ACCEPTINVCHARS replaces an invalid byte with '?'": ("ACCEPTINVCHARS", BASE | {("a?b", 7)}, 2),
    "ACCEPTINVCHARS AS '^' replaces it with '^'": ("ACCEPTINVCHARS AS '^'", BASE | {("a^b", 7)}, 2),
    "ACCEPTINVCHARS '^' (no AS) too": ("ACCEPTINVCHARS '^' TRIMBLANKS", {("ab", 1), ("", 2), ("", 3), (None, None),
                                                                          ("a^b", 7)}, 2),
    "'auto ignorecase' maps keys whatever their case": ("JSON_MAPPING 'auto ignorecase'",
                                                        BASE - {(None, None)} | {("UP", 6)}, 3),
    "EMPTYASNULL and BLANKSASNULL look at the value before TRIMBLANKS (unconfirmed)": (
        "EMPTYASNULL BLANKSASNULL TRIMBLANKS", {("ab", 1), (None, 2), (None, 3), (None, None)}, 3),
}


@pytest.fixture(scope="module")
def conversions(bucket):
    """A cluster whose role reads the bucket, and the records above at conversion/records.json."""
    aws("s3").put_object(Bucket=bucket, Key="conversion/records.json", Body=CONVERSION_RECORDS)
    role = make_role(reads(bucket, "*"))
    made = make_cluster(roles=[role])
    target = {"ClusterIdentifier": made["ClusterIdentifier"], "Database": "dev", "DbUser": MASTER}
    yield target, role
    aws("redshift").delete_cluster(ClusterIdentifier=made["ClusterIdentifier"], SkipFinalClusterSnapshot=True)


def copy_with(data_api, bucket, conversions, table: str, options: str) -> dict:
    target, role = conversions
    created = run(data_api, f"CREATE TABLE {table} (s VARCHAR(4), n INT)", **target)
    assert created["Status"] == "FINISHED", created.get("Error")
    mapping = "auto"
    if options.startswith("JSON_MAPPING "):
        mapping, options = options[len("JSON_MAPPING '"):-1], ""
    return run(data_api, f"COPY {table} FROM 's3://{bucket}/conversion/' IAM_ROLE '{role}' "
                         f"FORMAT AS JSON '{mapping}' {options} MAXERROR 100", **target)


@pytest.mark.parametrize("what", list(CONVERSIONS))
def test_copys_data_conversion_parameters_load_with_redshifts_meaning(data_api, bucket, conversions, what):
    options, expected, rejected = CONVERSIONS[what]
    table = f"conv_{list(CONVERSIONS).index(what)}"
    copied = copy_with(data_api, bucket, conversions, table, options)
    assert copied["Status"] == "FINISHED", copied.get("Error")
    target, _ = conversions
    loaded = run(data_api, f"SELECT s, n FROM {table}", **target)
    assert {tuple(r) for r in rows(data_api, loaded["Id"])} == expected
    errors = run(data_api, f"SELECT COUNT(*) FROM stl_load_errors WHERE query = {copied['RedshiftQueryId']}"
                 if copied.get("RedshiftQueryId", -1) > 0 else
                 "SELECT COUNT(*) FROM stl_load_errors WHERE query = pg_last_copy_id()", **target)
    assert rows(data_api, errors["Id"]) == [[rejected]]


NOT_WITH_JSON = ["NULL AS 'x'", "DELIMITER '|'", "FILLRECORD", "REMOVEQUOTES", "ESCAPE", "IGNOREBLANKLINES", "CSV",
                 "FIXEDWIDTH 'a:1'", "READRATIO 50"]


@pytest.mark.parametrize("option", NOT_WITH_JSON)
def test_an_option_redshift_does_not_take_with_json_is_refused(data_api, bucket, conversions, option):
    """"The following options aren't supported with JSON: CSV, DELIMITER, ESCAPE, FILLRECORD, FIXEDWIDTH,
    IGNOREBLANKLINES, NULL AS, READRATIO, REMOVEQUOTES" (copy-parameters-data-format.html#copy-json)."""
    table = f"notjson_{NOT_WITH_JSON.index(option)}"  # one table an option (hash() % 10000 once gave two the same)
    failed = copy_with(data_api, bucket, conversions, table, option)
    assert failed["Status"] == "FAILED"
    assert failed["Error"].startswith(f"ERROR: {option.split()[0]} is not supported with JSON"), failed["Error"]


NOT_SERVED = [("JSON_MAPPING 'noshred'", "ERROR: the rehearsal does not serve COPY ... JSON 'noshred' yet"),
              ("ACCEPTINVCHARS AS '^^'", "ERROR: ACCEPTINVCHARS replacement '^^' must be one ASCII character"),
              ("ACCEPTINVCHARS AS 'é'", "ERROR: ACCEPTINVCHARS replacement 'é' must be one ASCII character"),
              ("IGNOREHEADER 1", "ERROR: the rehearsal does not emulate the COPY option IGNOREHEADER")]


@pytest.mark.parametrize("option, error", NOT_SERVED)
def test_what_the_rehearsals_copy_does_not_serve_is_refused_saying_so(data_api, bucket, conversions, option, error):
    table = f"refused_{[o for o, _ in NOT_SERVED].index(option)}"
    failed = copy_with(data_api, bucket, conversions, table, option)
    assert failed["Status"] == "FAILED" and failed["Error"].startswith(error), failed["Error"]


REFUSED_BEFORE_READING = [  # (table's columns, the COPY after "COPY <table>", the error's start); {b}: the bucket
    ("s VARCHAR(4)", "FROM 's3://{b}/conversion/' CREDENTIALS 'aws_access_key_id=A;aws_secret_access_key=B' "
     "FORMAT AS JSON 'auto'", "ERROR: the rehearsal's COPY takes IAM_ROLE 'arn:...' credentials only"),
    ("s VARCHAR(4)", "FROM 'conversion/records.json' IAM_ROLE '{r}' FORMAT AS JSON 'auto'",
     "ERROR: COPY from S3 needs one 's3://bucket/prefix' source"),
    ("s VARCHAR(4)", "FROM 's3://{b}/no-such-prefix/' IAM_ROLE '{r}' FORMAT AS JSON 'auto'",
     "ERROR: The specified S3 prefix 'no-such-prefix/' does not exist"),
    ("s VARCHAR(4)", "FROM 's3://{b}/conversion-gz/' IAM_ROLE '{r}' FORMAT AS JSON 'auto'",
     "ERROR: s3://{b}/conversion-gz/records.json.gz is gzip-compressed and the COPY does not say GZIP"),
    ("s VARCHAR(4), t TIMESTAMP", "FROM 's3://{b}/conversion/' IAM_ROLE '{r}' FORMAT AS JSON 'auto'",
     "ERROR: the rehearsal's COPY reads timestamps as TIMEFORMAT 'epochmillisecs' only"),
    ("s VARCHAR(4), b BOOLEAN", "FROM 's3://{b}/conversion/' IAM_ROLE '{r}' FORMAT AS JSON 'auto'",
     "ERROR: the rehearsal's COPY emulator has no converter for column b of type boolean"),
    ("s VARCHAR(4)", "(s, x) FROM 's3://{b}/conversion/' IAM_ROLE '{r}' FORMAT AS JSON 'auto'",
     'ERROR: column "x" of relation "{t}" does not exist'),
]


@pytest.mark.parametrize("case", range(len(REFUSED_BEFORE_READING)))
def test_a_copy_that_cannot_start_fails_saying_why_before_it_reads_a_record(data_api, bucket, conversions, case):
    """What the rehearsal's COPY stops on before it reads a record (copy.py: credentials other than IAM_ROLE, a
    source that is not one s3:// prefix, an empty prefix, a gzip object without GZIP, a TIMESTAMP column without
    TIMEFORMAT 'epochmillisecs', a column type it has no converter for, a column the table lacks)."""
    columns, copy, error = REFUSED_BEFORE_READING[case]
    target, role = conversions
    aws("s3").put_object(Bucket=bucket, Key="conversion-gz/records.json.gz", Body=gzip.compress(b'{"s": "a"}\n'))
    table = f"cannot_start_{case}"
    assert run(data_api, f"CREATE TABLE {table} ({columns})", **target)["Status"] == "FINISHED"
    failed = run(data_api, f"COPY {table} " + copy.format(b=bucket, r=role), **target)
    assert failed["Status"] == "FAILED"
    assert failed["Error"].startswith(error.format(b=bucket, t=table)), failed["Error"]


def test_the_conversion_options_are_read_as_flags_or_with_their_value():
    import sqlglot

    from sparkify_nb.local.rehearsal.copy import conversion, options
    from sparkify_nb.staging.convert import Conversion

    sql = ("COPY t FROM 's3://b/p' IAM_ROLE 'arn:aws:iam::123456789012:role/r' JSON 'auto ignorecase' "
           "ACCEPTINVCHARS TRUNCATECOLUMNS BLANKSASNULL EMPTYASNULL TRIMBLANKS MAXERROR 3")
    read = options(sqlglot.parse_one(sql, read="redshift"))
    assert read == {"FORMAT AS JSON": "auto ignorecase", "ACCEPTINVCHARS": "?", "TRUNCATECOLUMNS": "",
                    "BLANKSASNULL": "", "EMPTYASNULL": "", "TRIMBLANKS": "", "MAXERROR": "3"}
    assert conversion(read) == Conversion(True, True, True, True, "?", True)
    assert conversion({"FORMAT AS JSON": "AUTO"}) == Conversion()
    assert not Conversion(ignore_case=True).plain and Conversion(trim_blanks=True).plain


def test_a_role_trusted_only_for_another_clusters_database_users_cannot_be_assumed(data_api, monkeypatch, bucket):
    """The COPY role's trust names the database users of one cluster as sts:ExternalId
    (authorizing-redshift-service-database-users.html): a COPY on another cluster is refused, on it loads."""
    role = make_role(reads(bucket, "*"))
    load, target = loader(data_api, monkeypatch, role)

    def trusted_on(identifier: str) -> None:
        settings = config.load(overrides={"general.region": REGION, "cluster.identifier": identifier})
        aws("iam").update_assume_role_policy(RoleName=role.rsplit("/", 1)[-1],
                                             PolicyDocument=json.dumps(iam.trust(settings, "123456789012")))

    trusted_on("another-cluster")
    with pytest.raises(LoadError) as failed:
        load(schema.STAGING_SONGS, f"s3://{bucket}/song_data")
    assert f"dbuser:{target['ClusterIdentifier']}/{MASTER} is not authorized to assume IAM Role {role}" \
        in str(failed.value)
    trusted_on(target["ClusterIdentifier"])
    assert load(schema.STAGING_SONGS, f"s3://{bucket}/song_data").loaded == 20


_DBUSER = "arn:aws:redshift:us-west-2:123456789012:dbuser:c1/awsuser"


def _trust_statement(effect="Allow", service="redshift.amazonaws.com", condition=None) -> dict:
    statement = {"Effect": effect, "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return {**statement, "Condition": condition} if condition else statement


@pytest.mark.parametrize("statements, trusted", [
    ([_trust_statement()], True),
    (_trust_statement(), True),  # a lone statement, not in a list
    ([_trust_statement(service=["ec2.amazonaws.com", "redshift.amazonaws.com"])], True),
    ([_trust_statement(service="ec2.amazonaws.com")], False),
    ([_trust_statement(service="ec2.amazonaws.com"), _trust_statement()], True),  # any statement may trust it
    ([_trust_statement(effect="Deny")], False),
    ([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}], False),
    ([_trust_statement(condition={"StringEquals": {"sts:ExternalId": [_DBUSER]}})], True),
    ([_trust_statement(condition={"StringEquals": {"sts:ExternalId": _DBUSER.replace("c1/", "c2/")}})], False),
], ids=["service", "lone-statement", "one-of-services", "other-service", "second-statement", "deny", "account",
        "this-database-user", "another-clusters-user"])
def test_a_copy_role_trusts_redshift_only_through_an_allow_naming_its_service_for_the_copys_database_user(
        statements, trusted):
    """Rule 11's "trusts Redshift": an Allow whose Principal names the service ``redshift.amazonaws.com`` (alone
    or in a list; "Authorizing Amazon Redshift to access other AWS services on your behalf",
    authorizing-redshift-service.html), whose conditions hold for the ``sts:ExternalId`` Redshift passes, the
    database user's ARN (authorizing-redshift-service-database-users.html)."""
    from sparkify_nb.local.rehearsal.iam_eval import trusts_redshift

    assert trusts_redshift({"Version": "2012-10-17", "Statement": statements}, _DBUSER) is trusted
