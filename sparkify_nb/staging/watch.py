"""A long statement that shows it is alive: what a Redshift COPY is about to
read, and its elapsed time while it runs.

One COPY of Udacity's ``song_data`` can take tens of minutes and prints
nothing until it ends, so :func:`describe_prefix` says beforehand how many
objects and bytes lie under the prefix, and :func:`heartbeat` reports the
elapsed time every few seconds from a thread while the statement runs.

Example::

    >>> with heartbeat(print, "COPY staging_songs", every_s=30):   # doctest: +SKIP
    ...     cursor.execute(copy_sql)
    COPY staging_songs: running, 30 s
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from .. import Progress
from .sources import parse_s3_uri

if TYPE_CHECKING:
    from ..aws import Clients

HEARTBEAT_S = 30.0  # between two "still running" lines of one statement


def size_text(n: int) -> str:
    """Bytes in words: ``999 B``, ``1.5 KB``, ``2.3 GB`` (powers of 1024)."""
    value, unit = float(n), "B"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            break
        value /= 1024
    return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"


def describe_prefix(uri: str, clients: Clients, progress: Progress, every_s: float = 10.0) -> tuple[int, int]:
    """Count the objects (folder markers excluded, as COPY) and bytes under an
    ``s3://bucket/prefix``, reporting the running count every ``every_s``
    seconds of a long listing and the total at the end. Returns
    ``(objects, bytes)``; a listing that fails is reported, not raised
    (COPY itself says what is wrong), and returns ``(-1, -1)``."""
    bucket, prefix = parse_s3_uri(uri)
    count = size = 0
    last = time.monotonic()
    try:
        for page in clients("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if not obj["Key"].endswith("/"):
                    count, size = count + 1, size + obj.get("Size", 0)
            if time.monotonic() - last > every_s:
                last = time.monotonic()
                progress(f"listing {uri}: {count:,} objects so far")
    except Exception as exc:  # botocore ClientError, NoCredentialsError, EndpointConnectionError
        progress(f"{uri}: cannot list ({type(exc).__name__}); COPY reads it with its own role")
        return -1, -1
    progress(f"{uri}: {count:,} objects, {size_text(size)}")
    return count, size


@contextmanager
def heartbeat(progress: Progress, what: str, every_s: float = HEARTBEAT_S) -> Iterator[None]:
    """While the block runs, report ``"<what>: running, N s"`` every
    ``every_s`` seconds from a daemon thread; nothing after the block ends."""
    stop = threading.Event()
    t0 = time.monotonic()

    def beat() -> None:
        while not stop.wait(every_s):
            progress(f"{what}: running, {time.monotonic() - t0:.0f} s")

    thread = threading.Thread(target=beat, name=f"heartbeat {what}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
