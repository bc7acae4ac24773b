"""The song files read ahead while the day files load: same objects, same bytes, bounded memory."""

from __future__ import annotations

import io
import threading
import time

import pytest

from sparkify_nb.staging import prefetch
from sparkify_nb.staging.sources import SourceObject


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
