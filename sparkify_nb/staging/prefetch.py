"""Reading the song files ahead, in the background, while the day files load (``local`` only).

03 stages two tables on one connection, one after the other. The song files are many small
objects: each GET mostly waits on the S3 endpoint (the emulator's own process does the work).
The day files are a few large objects: the loader's threads convert them, on this side. Run one
after the other they leave a core idle; so :func:`~sparkify_nb.staging.load.load_staging` starts
fetching the song files' bytes, loads the day files meanwhile, then stages the songs from the
bytes fetched (``make bench``: 03 with 20,000 song files, docs/scaling.md section 1).

Only a small source is read ahead (:func:`read_ahead`: every object on S3 and at most
:data:`MAX_BYTES` in all), so memory stays bounded whatever the data set; any other source streams
as before. The rows, rejects and their order do not change: only when the bytes arrive does.
"""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

from .sources import SourceObject

MAX_BYTES = 32 << 20  # 20,000 generated song files are ~5 MB; the public song_data ~4 MB
THREADS = 8           # GETs at once; with the day load's 2, within botocore's default pool of 10 connections


def _fetch(obj: SourceObject) -> bytes:
    stream = obj.open()
    try:
        return stream.read()
    finally:
        stream.close()


def _opened(future: Future) -> io.BytesIO:
    return io.BytesIO(future.result())  # a failed GET raises here, in the loader's open() as before


class ReadAhead:
    """``objects`` fetched by ``threads`` background threads from now on; :attr:`objects` are
    the same objects (name, size, order) whose ``open()`` waits for its bytes. Use it as a
    context manager: leaving it cancels the fetches not started (a load that failed before
    reaching the songs) and waits for those under way (one GET each)."""

    def __init__(self, objects: list[SourceObject], threads: int = THREADS):
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="read-ahead")
        self._futures = [self._pool.submit(_fetch, obj) for obj in objects]
        self.objects = [SourceObject(obj.name, partial(_opened, future), obj.size)
                        for obj, future in zip(objects, self._futures)]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "ReadAhead":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def read_ahead(objects: list[SourceObject]) -> ReadAhead | None:
    """A :class:`ReadAhead` of ``objects`` when they are worth it and small enough: more than
    one, every one on S3 (a local file is read as fast as it is parsed), at most
    :data:`MAX_BYTES` in all (sizes as listed). None otherwise: load them streaming."""
    if len(objects) < 2 or not all(o.name.startswith("s3://") for o in objects):
        return None
    if sum(o.size for o in objects) > MAX_BYTES:
        return None
    return ReadAhead(objects)
