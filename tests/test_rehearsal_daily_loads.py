"""Daily loads on Redshift, rehearsed: 03 writes the manifest of the day's log
files and of the song files not loaded before into the stack's work bucket and
COPYs it (``MANIFEST``) through the rehearsal's Data API endpoint, which checks
the COPY role's reach as Redshift would; the work bucket is made, checked and
deleted with the stack (sparkify_nb/infra/workbucket.py, staging/daily.py)."""

from __future__ import annotations

import gzip
import json
import uuid

import psycopg2
import pytest

from sparkify_nb import aws, config, infra, local, staging, warehouse
from sparkify_nb.iam import operator as access
from sparkify_nb.infra import controls, state, workbucket
from sparkify_nb.infra.context import Context
from sparkify_nb.staging.errors import LoadError
from sparkify_nb.staging.granted import NotGranted
from sparkify_nb.warehouse import schema, transform
from tests.helpers import quiet

DAYS = 4
SONGS = 12
# One worker runs the module: its tests share one rehearsed stack and one run of three daily loads.
pytestmark = [pytest.mark.shared_setup, pytest.mark.slow(seconds=20)]


def rehearsal_settings(tmp_path, stack: str, **overrides):
    src = f"s3://{stack}-src"
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.rehearsal": "true", "general.stack_name": stack,
        "cluster.identifier": f"{stack}-dwh", "s3.song_data": f"{src}/song_data", "s3.log_data": f"{src}/log_data",
        "s3.log_jsonpath": f"{src}/log_json_path.json", "etl.max_errors": 0, **overrides})


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A rehearsed stack of its own, as 01 and 02 leave it, with a small generated data set (4 days) in a
    source bucket of its own (the public bucket's copy on the emulator is the rehearsal suite's)."""
    name, folder = f"rd{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("daily")
    settings = rehearsal_settings(folder, name)
    clients = aws.Clients(settings)
    try:
        record = infra.provision(settings, clients, progress=quiet)
        staging.seed_sample_data(settings, events=600, songs=SONGS, users=20, days=DAYS, seed=5, clients=clients,
                               progress=quiet)
        conn = warehouse.open_connection(settings, clients, progress=quiet)
        yield {"settings": settings, "clients": clients, "record": record, "conn": conn, "folder": folder,
               "with": lambda **etl: rehearsal_settings(folder, name, **{f"etl.{k}": v for k, v in etl.items()})}
        conn.close()
    finally:
        infra.teardown(settings, clients, progress=quiet)


def recreate(conn) -> None:
    warehouse.run(conn, schema.drop_statements("redshift") + schema.create_statements("redshift"))


def load(stack, **etl):
    """What 03 does between taking and releasing the lock, with ``etl`` as its parameters."""
    reports = staging.load_staging(stack["with"](**etl), stack["conn"], stack["clients"], progress=quiet)
    transform.run(stack["conn"], progress=quiet)
    staging.record_loaded(stack["conn"], reports)
    return reports


def copies(stack) -> list[tuple[str, str]]:
    """(table, data source) of every COPY the endpoint ran on the stack's cluster, oldest first."""
    with psycopg2.connect(local.rehearsal_dsn(stack["settings"].get("cluster", "identifier"))) as conn, \
            conn.cursor() as cur:
        cur.execute("SELECT TRIM(table_name), TRIM(data_source) FROM rehearsal_internal.load_history "
                    "ORDER BY query_id")
        return cur.fetchall()


@pytest.fixture(scope="module")
def daily(stack):
    """Three days loaded as a nightly 03 would: 2018-11-01 .. 02 (``days 2``), then 2018-11-03; each
    load's reports, the COPYs the endpoint ran since the one before, the AWS calls of the first."""
    recreate(stack["conn"])
    with aws.recording() as calls:
        first = load(stack, day="2018-11-02", days=2)
    ran = copies(stack)
    with aws.recording() as second_calls:
        second = load(stack, day="2018-11-03")
    return {"first": first, "second": second, "calls": {action for action, _ in calls},
            "first_copies": ran, "second_copies": copies(stack)[len(ran):],
            "first_sql": sent_sql(calls), "second_sql": sent_sql(second_calls)}


def sent_sql(calls) -> list[str]:
    """The statements of the recorded Data API calls, in order."""
    return [sql for _, params in calls for sql in ([params["Sql"]] if "Sql" in params else params.get("Sqls", []))]


def day_lines(stack, *days: str) -> int:
    s3, bucket = stack["clients"]("s3"), f"{stack['settings'].stack_name}-src"
    return sum(s3.get_object(Bucket=bucket, Key=f"log_data/2018/11/{d}-events.json")["Body"].read().count(b"\n")
               for d in days)


def test_a_day_without_a_new_song_file_empties_staging_songs_by_delete_and_still_copies_its_events(daily):
    """"TRUNCATE commits the transaction in which it is run" (https://docs.aws.amazon.com/redshift/latest/dg/
    r_TRUNCATE.html): 03 never sends it to Redshift; it empties a staging table with DELETE, in its COPY's batch
    or, on a day that brought no new song file, alone. First of the module's tests: the shared loads run in its
    setup, and make mutants credits their lines to it alone, so what they must show is asserted here."""
    assert [r.table for r in daily["first"]] == [r.table for r in daily["second"]] == ["staging_songs",
                                                                                       "staging_events"]
    assert 'DELETE FROM "staging_songs"' in daily["second_sql"]
    assert [sql for sql in daily["first_sql"] + daily["second_sql"] if sql.lstrip().upper().startswith("TRUNCATE")] \
        == []


def test_a_daily_load_stages_its_days_log_files_and_every_song_file_not_loaded_before(stack, daily):
    songs, events = daily["first"]
    assert (songs.files, songs.loaded, events.files) == (SONGS, SONGS, 2)
    assert events.loaded == day_lines(stack, "2018-11-01", "2018-11-02")
    assert [name.rsplit("/", 1)[1] for name, _ in events.sources] == ["2018-11-01-events.json",
                                                                      "2018-11-02-events.json"]


def test_the_next_days_load_copies_no_song_file_and_the_star_schema_keeps_every_song(stack, daily):
    songs, events = daily["second"]
    assert (songs.files, songs.loaded, events.files) == (0, 0, 1)
    assert events.loaded == day_lines(stack, "2018-11-03")
    assert [table for table, _ in daily["second_copies"]] == ["staging_events"]
    counted = warehouse.query(stack["conn"], "SELECT (SELECT COUNT(*) FROM songs) AS songs, "
                                             "(SELECT COUNT(*) FROM staging_songs) AS staged")
    assert (counted.songs[0], counted.staged[0]) == (SONGS, 0)


def test_a_daily_loads_copies_name_manifests_in_the_work_bucket_listing_exactly_its_files(stack, daily):
    # read as the account's administrator: the test looks, the operator never reads a manifest back
    work, s3 = stack["record"]["work_bucket"], stack["clients"].administrator()("s3")
    for (table, source), report in zip(daily["first_copies"][-2:], daily["first"]):
        assert table == report.table and source.startswith(f"s3://{work}/manifests/")
        assert source.endswith(f"-{table}.manifest")
        entries = json.loads(s3.get_object(Bucket=work, Key=source.split("/", 3)[3])["Body"].read())["entries"]
        assert [(e["url"], e["mandatory"], e["meta"]["content_length"]) for e in entries] == [
            (name, True, size) for name, size in report.sources]


def test_every_call_of_a_daily_load_on_redshift_is_on_the_operator_list(daily):
    assert {"s3:PutObject", "s3:ListBucket", "redshift-data:BatchExecuteStatement"} <= daily["calls"]
    assert daily["calls"] - set(access.actions("redshift", "provisioned", "data_api")) == set()


@pytest.mark.parametrize("etl, file", [({}, "2018-11-01-events.json"),
                                       ({"etl.day": "2018-11-01"}, "2018/11/2018-11-01-events.json")],
                         ids=["full-load", "daily-load"])
def test_a_source_given_only_to_03_stops_it_before_any_copy_naming_the_source_and_01(stack, daily, etl, file):
    """01 granted the COPY role ``log_data``; 03 is given another prefix of the same bucket."""
    other = f"s3://{stack['settings'].stack_name}-src/other_logs"
    s3 = stack["clients"].administrator()("s3")  # the test sets the scene: not the operator's call
    s3.put_object(Bucket=f"{stack['settings'].stack_name}-src", Key=f"other_logs/{file}", Body=b"{}\n")
    before = copies(stack)
    with pytest.raises(NotGranted) as stopped:  # no clients given: as 03 calls it, the load makes its own
        staging.load_staging(rehearsal_settings(stack["folder"], stack["settings"].stack_name, **{
            "s3.log_data": other, **etl}), stack["conn"], progress=quiet)
    assert str(stopped.value).startswith(f"[s3] log_data = {other}: 01 did not let the COPY role read {other}/{file}")
    assert ("Run 01 with this source ([s3] log_data = " + other) in str(stopped.value)
    assert copies(stack) == before


def test_a_source_prefix_wider_than_01s_stops_03_before_any_copy_though_each_file_is_readable(stack, daily):
    """``[s3] log_data = s3://<src>/log`` covers log_data/ and log_json_path.json, each of which the COPY role may
    read; but COPY lists its prefix first (s3:ListBucket with it as s3:prefix, copy-usage_notes-access-permissions
    .html), and 01 granted the listing of log_data only."""
    wider = f"s3://{stack['settings'].stack_name}-src/log"
    before = copies(stack)
    with pytest.raises(NotGranted) as stopped:
        staging.load_staging(rehearsal_settings(stack["folder"], stack["settings"].stack_name, **{
            "s3.log_data": wider}), stack["conn"], stack["clients"], progress=quiet)
    assert str(stopped.value).startswith(f"[s3] log_data = {wider}: 01 did not let the COPY role list {wider} (")
    assert copies(stack) == before


def test_a_full_load_from_a_prefix_mixing_gzip_and_plain_files_stops_before_any_copy_naming_them(stack, daily):
    """COPY's GZIP applies to every file it reads (copy-parameters-file-compression.html): a full load decides it
    from the files listed at the prefix, as a daily load does, so one gzip file among plain ones stops 03 before
    any COPY instead of a COPY that fails on it (or, without GZIP, on every .gz file of a prefix)."""
    bucket, key = f"{stack['settings'].stack_name}-src", "song_data/Z/Z/Z/TRZZZ.json.gz"
    s3 = stack["clients"].administrator()("s3")  # the test sets the scene: not the operator's call
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(b'{"song_id": "SZ", "num_songs": 1}\n'))
    before = copies(stack)
    try:
        with pytest.raises(LoadError, match="one COPY reads gzip files or plain ones, not both: .*TRZZZ.json.gz"):
            staging.load_staging(stack["with"](), stack["conn"], stack["clients"], progress=quiet)
    finally:
        s3.delete_object(Bucket=bucket, Key=key)
    assert copies(stack) == before


def test_a_jsonpaths_file_given_only_to_03_stops_it_before_any_copy_naming_it_and_01(stack, daily):
    other = f"s3://{stack['settings'].stack_name}-src/other_paths.json"
    before = copies(stack)
    with pytest.raises(NotGranted) as stopped:
        staging.load_staging(rehearsal_settings(stack["folder"], stack["settings"].stack_name, **{
            "s3.log_jsonpath": other, "etl.day": "2018-11-03"}), stack["conn"], stack["clients"], progress=quiet)
    assert str(stopped.value).startswith(f"[s3] log_jsonpath = {other}: 01 did not let the COPY role read {other}")
    assert copies(stack) == before


def test_03_on_redshift_before_01_stops_saying_to_run_01(tmp_path):
    settings = rehearsal_settings(tmp_path, f"rn{uuid.uuid4().hex[:8]}")  # a stack 01 never made
    with pytest.raises(state.StateError, match=r"no infrastructure recorded for stack 'rn[0-9a-f]{8}' on redshift: "
                                               r"run notebooks/01_infrastructure first"):
        staging.load_staging(settings, None, progress=quiet)


def built_to_fail(tmp_path, missing: str):
    """A tagged work bucket of a stack of its own, with everything 01 sets but ``missing``."""
    settings = rehearsal_settings(tmp_path, f"wf{uuid.uuid4().hex[:8]}")
    clients = aws.Clients(settings)
    ctx = Context(settings, clients, progress=quiet)
    account = clients("sts").get_caller_identity()["Account"]  # the rehearsal's own (sparkify_nb/local/iam/account.py)
    s3, name = clients("s3"), workbucket.bucket_name(settings, account)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": settings.region})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": ctx.tags(name)})
    if missing != "encryption":
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=workbucket.ENCRYPTION)
    if missing != "public access block":
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=workbucket.BLOCK_ALL)
    if missing != "lifecycle":
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration=workbucket.LIFECYCLE)
    return ctx, name


@pytest.mark.parametrize("missing, said", [("encryption", "default encryption none, not SSE-S3 (AES256)"),
                                           ("public access block", "public access not blocked"),
                                           ("lifecycle", "no lifecycle rule expires its objects")])
def test_the_work_bucket_control_fails_on_a_bucket_built_without_each_setting(tmp_path, missing, said):
    ctx, name = built_to_fail(tmp_path, missing)
    try:
        row = controls.work_bucket_row(ctx)
        assert (row.control, row.result, row.state) == ("Sparkify.work-bucket", "fail", f"{name}: {said}")
        workbucket.ensure_work_bucket(ctx, {})  # 01 brings it back in line
        assert controls.work_bucket_row(ctx).result == "pass"
    finally:
        workbucket.delete_work_bucket(ctx, {"Name": name})


def test_99_empties_and_deletes_the_work_bucket(tmp_path):
    settings = rehearsal_settings(tmp_path, f"wd{uuid.uuid4().hex[:8]}")
    clients = aws.Clients(settings)
    record = infra.provision(settings, clients, progress=quiet)
    s3, name = clients("s3"), record["work_bucket"]
    s3.put_object(Bucket=name, Key="manifests/20181101T000000Z-staging_events.manifest", Body=b'{"entries": []}')
    assert f"work-bucket {name}" in infra.tagged_resources(settings, clients)
    assert infra.teardown(settings, clients, progress=quiet) == []
    assert name not in [b["Name"] for b in clients.administrator()("s3").list_buckets()["Buckets"]]
