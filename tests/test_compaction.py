"""sparkify-nb compact (staging.compaction): small files -> gzip parts + a
Redshift manifest, on local folders and the AWS emulator's S3 (real boto3
calls); loads from a manifest; the default number of parts per target."""

from __future__ import annotations

import gzip
import json

import boto3
import pytest

from sparkify_nb import aws, cli, config, datagen, local, staging, warehouse
from sparkify_nb.staging import compaction, redshift
from sparkify_nb.warehouse import schema
from tests import corpus


def quiet(_):
    pass


def songs_folder(root, n=40):
    """``n`` song files like the generator's, plus a pretty-printed one and a blank file."""
    datagen.generate(datagen.FolderSink(root / "gen"), events=50, songs=n, users=5, days=1, seed=3)
    folder = root / "gen" / "song_data"
    (folder / "Z" / "pretty.json").parent.mkdir(parents=True, exist_ok=True)
    (folder / "Z" / "pretty.json").write_bytes(corpus.SONG_FILES["A/B/C/TRABC03.json"][0])
    (folder / "Z" / "blank.json").write_bytes(b"\n\n")
    return folder


def test_compaction_keeps_every_record_byte_for_byte_in_n_parts_with_a_manifest(tmp_path):
    folder = songs_folder(tmp_path)
    originals = sorted(p.read_bytes() for p in folder.rglob("*.json"))
    report = staging.compact(str(folder), str(tmp_path / "packed"), 3, progress=quiet)
    assert (report.objects, report.records_in, report.records_out) == (42, 41, 41)
    parts = sorted((tmp_path / "packed").iterdir())
    assert [p.name for p in parts] == [f"part-0000{i}-of-00003.json.gz" for i in range(3)]
    text = b"".join(gzip.decompress(p.read_bytes()) for p in parts)
    for original in originals:   # each file's bytes, whole, on lines of their own
        assert original.rstrip(b"\n") + b"\n" in text
    assert len(text) == sum(len(o) + (not o.endswith(b"\n")) for o in originals)
    manifest = json.loads((tmp_path / "packed.manifest").read_text())
    assert manifest == {"entries": [{"url": str(p), "mandatory": True, "meta": {"content_length": p.stat().st_size}}
                                    for p in parts]}
    sizes = [len(gzip.decompress(p.read_bytes())) for p in parts]
    assert max(sizes) - min(sizes) < 2 * max(len(o) for o in originals)   # about equal


def test_a_manifest_loads_the_same_rows_as_the_small_files(settings, conn, tmp_path):
    folder = songs_folder(tmp_path)
    staging.compact(str(folder), str(tmp_path / "packed"), 4, progress=quiet)
    rows = "SELECT * FROM staging_songs ORDER BY song_id, title"
    small = staging.load_local(conn, schema.STAGING_SONGS, str(folder), None, 0, progress=quiet)
    before = warehouse.query(conn, rows)
    packed = staging.load_local(conn, schema.STAGING_SONGS, str(tmp_path / "packed.manifest"), None, 0,
                                progress=quiet)
    assert (packed.files, packed.loaded, packed.rejected) == (4, small.loaded, 0) and small.loaded == 41
    assert warehouse.query(conn, rows).equals(before)


def test_a_damaged_source_fails_the_compaction_and_names_the_file(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.json").write_bytes(corpus.UDACITY_SONG)
    (folder / "b.json.gz").write_bytes(gzip.compress(corpus.UDACITY_SONG * 40, mtime=0)[:50])
    with pytest.raises(staging.CompactError, match=r"src/b\.json\.gz: cannot be read: Compressed file ended"):
        staging.compact(str(folder), str(tmp_path / "out"), 2, progress=quiet)
    assert not (tmp_path / "out").exists()


def test_records_that_packing_would_merge_fail_the_count_and_nothing_is_written(tmp_path):
    """Two broken files (2 rejected records) that, packed one after the other, read as one object."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.json").write_bytes(b'{"title": "x",')
    (folder / "b.json").write_bytes(b'"year": 1}')
    with pytest.raises(staging.CompactError, match=r"2 records read but 1 in the parts; nothing written"):
        staging.compact(str(folder), str(tmp_path / "out"), 1, progress=quiet)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.manifest").exists()


def test_compacting_again_replaces_the_parts_and_never_packs_its_own_output(tmp_path):
    folder = songs_folder(tmp_path, n=10)
    staging.compact(str(folder), str(folder), 3, progress=quiet)
    again = staging.compact(str(folder), str(folder), 2, progress=quiet)
    assert again.objects == 12 and again.records_out == 11
    assert sorted(p.name for p in folder.glob("part-*")) == ["part-00000-of-00002.json.gz",
                                                             "part-00001-of-00002.json.gz"]


def test_01_seeds_the_sample_compacted_in_place_and_03_loads_it(settings, conn, tmp_path):
    """01 with -p compact true (staging.seed_sample_data(compact=True)), then 03's load; compact false again
    removes the parts, so the fresh song files are not loaded twice."""

    s = config.load(overrides={"general.target": "local", "general.stack_name": "compact-t"})
    clients = aws.Clients(s)
    bucket = config.local_bucket(s.stack_name)
    s3 = clients("s3")
    staging.seed_sample_data(s, events=300, songs=25, users=5, days=2, seed=5, clients=clients, compact=True,
                           progress=quiet)
    parts = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="song_data")["Contents"]]
    n = len(parts)
    assert n >= 1 and parts == [f"song_data/part-{i:05d}-of-{n:05d}.json.gz" for i in range(n)]
    manifest = json.loads(s3.get_object(Bucket=bucket, Key="manifests/song_data.manifest")["Body"].read())
    assert [e["url"] for e in manifest["entries"]] == [f"s3://{bucket}/{k}" for k in parts]
    songs, events = staging.load_staging(s, conn, clients, progress=quiet)
    assert (songs.files, songs.loaded, events.loaded) == (n, 25, 300)
    by_manifest = staging.load_local(conn, schema.STAGING_SONGS, f"s3://{bucket}/manifests/song_data.manifest",
                                     None, 0, clients=clients, progress=quiet)
    assert by_manifest.loaded == 25
    staging.seed_sample_data(s, events=300, songs=25, users=5, days=2, seed=5, clients=clients, progress=quiet)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="song_data")["Contents"]]
    assert len(keys) == 25 and not any("part-" in k for k in keys)


def test_manifest_entries_missing_fail_when_mandatory_and_are_skipped_otherwise(tmp_path):
    part = tmp_path / "p.json"
    part.write_bytes(corpus.UDACITY_SONG)
    def manifest(*entries):
        path = tmp_path / "m.manifest"
        path.write_text(json.dumps({"entries": list(entries)}))
        return str(path)
    found = compaction.manifest_objects(manifest({"url": str(part)}, {"url": str(tmp_path / "gone.json")}))
    assert [o.name for o in found] == [str(part)]
    with pytest.raises(staging.LoadError, match=r"entry 2 .*gone\.json.* not found and mandatory"):
        compaction.manifest_objects(manifest({"url": str(part)}, {"url": str(tmp_path / "gone.json"),
                                                                  "mandatory": True}))
    with pytest.raises(staging.LoadError, match="none of its 1 entries found"):
        compaction.manifest_objects(manifest({"url": str(tmp_path / "gone.json")}))
    (tmp_path / "bad.manifest").write_text("{not json")
    with pytest.raises(staging.LoadError, match=r"bad\.manifest: cannot be read as a manifest"):
        compaction.manifest_objects(str(tmp_path / "bad.manifest"))


def test_default_parts_are_the_clusters_slices_on_redshift_and_the_cores_on_local(tmp_path, monkeypatch):
    monkeypatch.setattr(compaction.os, "cpu_count", lambda: 6)
    assert compaction.default_files(config.load(overrides={"general.target": "local"})) == 6
    on_redshift = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "cluster.identifier": "compact-slices"})
    emulated = boto3.client("redshift", region_name=on_redshift.region, endpoint_url=local.aws_endpoint(),
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    clients = aws.Clients(on_redshift).use("redshift", emulated)  # the real API calls, answered by the emulator
    clients("redshift").create_cluster(ClusterIdentifier="compact-slices", NodeType="ra3.4xlarge", NumberOfNodes=3,
                                       MasterUsername="admin", MasterUserPassword="Passw0rd-not-real")
    try:
        assert compaction.default_files(on_redshift, clients) == 12                       # 3 nodes x 4 slices
        # 160 GiB of JSON ~ 20 GiB of gzip: parts under 1 GiB need 2 rounds of the 12 slices
        assert compaction.default_files(on_redshift, clients, total_bytes=160 << 30) == 24
    finally:
        clients("redshift").delete_cluster(ClusterIdentifier="compact-slices", SkipFinalClusterSnapshot=True)
    serverless = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "cluster.kind": "serverless"})
    assert compaction.default_files(serverless) == compaction.SERVERLESS_FILES


def test_redshift_copies_a_manifest_with_manifest_and_gzip(settings):
    sql = redshift.copy_statement(settings, schema.STAGING_SONGS, "s3://b/manifests/song_data.manifest", None,
                                  "arn:aws:iam::123456789012:role/r", 5, manifest=True)
    assert "FROM 's3://b/manifests/song_data.manifest'" in sql and "\nMANIFEST\nGZIP\n" in sql
    assert "MANIFEST" not in redshift.copy_statement(settings, schema.STAGING_SONGS, "s3://b/song_data", None,
                                                     "arn:aws:iam::123456789012:role/r", 5)


def test_the_cli_compacts_and_prints_what_it_did(tmp_path, capsys):
    folder = songs_folder(tmp_path, n=5)
    assert cli.main(["compact", str(folder), str(tmp_path / "out"), "--files", "2"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["objects"], printed["records_in"], printed["records_out"], len(printed["parts"])) == (7, 6, 6, 2)
    assert cli.main(["compact", str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 1
    assert "source " + str(tmp_path / "nowhere") + ": no such file or folder" in capsys.readouterr().err
