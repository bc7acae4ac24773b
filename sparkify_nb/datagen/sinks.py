"""Where generated files go: a local folder (:class:`FolderSink`) or
``s3://bucket/prefix`` (:class:`S3Sink`), and :class:`DayFiles`, which
streams event lines into one file per UTC day of a sink."""

from __future__ import annotations

import gzip
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Iterator, Protocol

from .. import SparkifyError
from .events import events_key

class DatagenError(SparkifyError):
    """Generation cannot start (a bad argument) or a sink failed to write."""


class Sink(Protocol):
    """Where generated files go, by relative key.

    ``write(key, data)`` stores a small object; ``open(key)`` is a context
    manager yielding a binary file whose content becomes the object when the
    block exits; ``close()`` waits for writes in flight (raises DatagenError)."""

    def write(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> Any: ...

    def close(self) -> None: ...


class FolderSink:
    """Writes files under a local folder (created as needed)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    @contextmanager
    def open(self, key: str) -> Iterator[IO[bytes]]:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            yield handle

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"FolderSink({str(self.root)!r})"


class S3Sink:
    """Writes objects under ``s3://bucket/prefix`` with a boto3 S3 client.

    Small objects go up ``threads`` at a time (one PUT each: 20,000 song files
    would otherwise wait on 20,000 round trips); a large object is spooled to a
    temporary file (in memory up to ``spool_bytes``) and uploaded on close, in
    parts when big. Call :meth:`close` to wait for the uploads; it raises
    :class:`DatagenError` naming the first key that failed."""

    def __init__(self, s3_client: Any, bucket: str, prefix: str = "", threads: int = 8,
                 spool_bytes: int = 16 * 2 ** 20):
        self.s3, self.bucket, self.prefix = s3_client, bucket, prefix.strip("/")
        self.spool_bytes = spool_bytes
        self._pool = ThreadPoolExecutor(max_workers=threads)
        self._slots = threading.BoundedSemaphore(threads * 4)   # bounds the bytes waiting in memory
        self._pending: list[Future] = []

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _put(self, key: str, data: bytes) -> None:
        try:
            self.s3.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except Exception as exc:
            raise DatagenError(f"s3://{self.bucket}/{self._key(key)}: upload failed: {exc}") from exc
        finally:
            self._slots.release()

    def write(self, key: str, data: bytes) -> None:
        self._slots.acquire()
        self._pending.append(self._pool.submit(self._put, key, data))
        if len(self._pending) > 4096:
            self._pending = [f for f in self._pending if not f.done() or f.exception()]

    @contextmanager
    def open(self, key: str) -> Iterator[IO[bytes]]:
        with tempfile.SpooledTemporaryFile(max_size=self.spool_bytes) as spool:
            yield spool
            spool.seek(0)
            try:
                self.s3.upload_fileobj(spool, self.bucket, self._key(key))
            except Exception as exc:
                raise DatagenError(f"s3://{self.bucket}/{self._key(key)}: upload failed: {exc}") from exc

    def close(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def __repr__(self) -> str:
        return f"S3Sink('s3://{self.bucket}/{self.prefix}')"


class DayFiles:
    """Streams event lines, in time order, into the sink's file of their UTC
    day (``BATCH`` lines per write, so a day is never held whole); every day
    of the period gets a file, empty when nothing happened."""

    BATCH = 2000   # lines per write

    def __init__(self, sink: Sink, first: datetime, days: int, suffix: str, gzip_files: bool):
        self.sink, self.first, self.days, self.suffix, self.gzip = sink, first, days, suffix, gzip_files
        self.first_ms = int(first.timestamp() * 1000)
        self.day = -1
        self.events = 0
        self._stack: Any = None
        self._file: Any = None
        self._lines: list[str] = []

    def _open(self, day: int) -> None:
        self._close()
        self.day = day
        self._stack = ExitStack()
        key = events_key(self.first + timedelta(days=day)) + self.suffix
        raw = self._stack.enter_context(self.sink.open(key))
        self._file = (self._stack.enter_context(gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0))
                      if self.gzip else raw)

    def _flush(self) -> None:
        if self._lines:
            self._file.write(("\n".join(self._lines) + "\n").encode("utf-8"))
            self._lines = []

    def _close(self) -> None:
        if self._stack is not None:
            self._flush()
            self._stack.close()
            self._stack = None

    def write(self, ts: int, line: str) -> None:
        day = min((ts - self.first_ms) // 86_400_000, self.days - 1)
        while day != self.day:
            self._open(self.day + 1)
        self._lines.append(line)
        self.events += 1
        if len(self._lines) >= self.BATCH:
            self._flush()

    def finish(self) -> None:
        while self.day < self.days - 1:
            self._open(self.day + 1)
        self._close()

    def abandon(self) -> None:
        self._lines = []
        if self._stack is not None:
            try:
                self._stack.close()
            except Exception:
                pass
            self._stack = None
