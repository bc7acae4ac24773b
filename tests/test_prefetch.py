"""The song files read ahead while the day files load: same objects, same bytes, bounded memory,
and 03's load stages and rejects the same records as without."""

from __future__ import annotations

import io
import threading
import time

import pytest

from sparkify_nb import aws, config, datagen, staging, warehouse
from sparkify_nb.staging import prefetch
from sparkify_nb.staging.sources import SourceObject
from tests import corpus


def s3_objects(n, size=10, opened=None):
    def opener(i):
        def open_():
            if opened is not None:
                opened.append(i)
            return io.BytesIO(b"%d" % i * size)
        return open_
    return [SourceObject(f"s3://b/song_data/{i:03d}.json", opener(i), size) for i in range(n)]


def test_small_s3_sources_are_read_ahead_with_the_same_names_sizes_order_and_bytes():
    objects = s3_objects(20)
    with prefetch.read_ahead(objects) as ahead:
        assert [(o.name, o.size) for o in ahead.objects] == [(o.name, o.size) for o in objects]
        assert [o.open().read() for o in ahead.objects] == [o.open().read() for o in objects]


def test_local_files_one_object_and_sources_over_the_limit_stream_as_before():
    local = [SourceObject(f"/data/song_data/{i}.json", io.BytesIO, 10) for i in range(3)]
    assert prefetch.read_ahead(local) is None
    assert prefetch.read_ahead(s3_objects(1)) is None
    assert prefetch.read_ahead([]) is None
    at_limit = s3_objects(2, size=prefetch.MAX_BYTES // 2)
    over = s3_objects(2, size=prefetch.MAX_BYTES // 2 + 1)
    assert prefetch.read_ahead(at_limit) is not None
    assert prefetch.read_ahead(over) is None


def test_a_failed_get_raises_when_the_loader_opens_that_object():
    def refused():
        raise OSError("GetObject: AccessDenied")

    objects = s3_objects(2) + [SourceObject("s3://b/song_data/bad.json", refused, 10)]
    with prefetch.read_ahead(objects) as ahead:
        assert ahead.objects[0].open().read() == b"0" * 10
        with pytest.raises(OSError, match="GetObject: AccessDenied"):
            ahead.objects[2].open()


def test_leaving_it_cancels_the_fetches_not_started_and_waits_for_the_one_under_way():
    started, release, opened = threading.Event(), threading.Event(), []

    def slow():
        started.set()
        release.wait(10)
        opened.append("slow")
        return io.BytesIO(b"x")

    objects = [SourceObject("s3://b/slow.json", slow, 1)] + s3_objects(50, opened=opened)
    ahead = prefetch.ReadAhead(objects, threads=1)
    assert started.wait(10)
    closing = threading.Thread(target=ahead.close)
    closing.start()
    deadline = time.monotonic() + 10
    while not all(f.cancelled() for f in ahead._futures[1:]) and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    closing.join(10)
    assert not closing.is_alive()
    assert opened == ["slow"]


def test_03s_load_from_s3_reads_the_songs_ahead_and_stages_and_rejects_as_from_a_folder(settings, conn, tmp_path):
    corpus.write(tmp_path / "log_data", corpus.EVENT_FILES)
    corpus.write(tmp_path / "song_data", corpus.SONG_FILES)
    s3, bucket = aws.Clients(settings)("s3"), "issue21-read-ahead"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": settings.region})
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        s3.put_object(Bucket=bucket, Key=path.relative_to(tmp_path).as_posix(), Body=path.read_bytes())
    s3.put_object(Bucket=bucket, Key="paths.json", Body=datagen.JSONPATHS_FILE.read_bytes())

    def load(root, jsonpaths):
        lines = []
        settings = config.load(overrides={"general.target": "local", "s3.song_data": f"{root}/song_data",
                                          "s3.log_data": f"{root}/log_data", "s3.log_jsonpath": jsonpaths,
                                          "etl.max_errors": 1000})
        reports = staging.load_staging(settings, conn, progress=lines.append)
        staged = warehouse.table_counts(conn, ["staging_songs", "staging_events"]).row_count.tolist()
        return [line.split(":")[0] for line in lines if line.startswith("staging_")], reports, staged

    order_folder, from_folder, staged_folder = load(str(tmp_path), str(datagen.JSONPATHS_FILE))
    order_s3, from_s3, staged_s3 = load(f"s3://{bucket}", f"s3://{bucket}/paths.json")
    assert order_folder == ["staging_songs", "staging_events"]
    assert order_s3 == ["staging_events", "staging_songs"]  # the day files load while the songs are fetched
    assert [r.table for r in from_s3] == ["staging_songs", "staging_events"]
    assert staged_s3 == staged_folder
    for a, b in zip(from_folder, from_s3):
        assert (b.files, b.records, b.loaded, b.rejected) == (a.files, a.records, a.loaded, a.rejected)
        assert relative_outcomes(b) == relative_outcomes(a)


def relative_outcomes(report):
    return sorted((r.filename.split("/log_data/")[-1].split("/song_data/")[-1], r.line_number, r.colname, r.err_code)
                  for r in report.rejects)
