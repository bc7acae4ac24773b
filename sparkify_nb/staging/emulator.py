"""The local COPY: Redshift's ``COPY ... FORMAT AS JSON`` on PostgreSQL, as
the COPY contract in :mod:`sparkify_nb.staging` states it. Worker threads read
and convert objects (:mod:`.records`), a bounded queue hands their rows to one
``COPY ... FROM STDIN``; TRUNCATE, COPY and the rejects commit together, or
``max_errors`` rejects or more (MAXERROR, as documented) roll the load back.
:func:`copy_rows` is the row pipeline alone (it appends in the caller's transaction), for
callers that own the transaction, as Redshift's COPY runs in its caller's."""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import queue
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from .. import Progress, SparkifyError
from ..warehouse import schema
from . import compaction, fastpath, records, sources
from .convert import Conversion, RowFunctions, compile_rows, csv_quoted
from .errors import LoadError, maxerror_reached
from .jsonpaths import read_jsonpaths
from .records import Reject
from .report import LoadReport, display_name
from .sources import SourceObject

if TYPE_CHECKING:
    from ..aws import Clients

FETCH_THREADS = 8          # small S3 objects fetched and parsed at once (the emulator's latency dominates)
LOCAL_THREADS = 2          # local files and large objects: converting is the work, more threads only contend
QUEUE_CHUNKS = 16          # blocks of rows waiting for COPY at most (bounds memory)
TRIM_EVERY = 64            # blocks handed to COPY between two returns of freed memory to the system


def worker_threads(objects: list[SourceObject]) -> int:
    """Threads that fetch and convert ``objects`` at once: :data:`FETCH_THREADS` for S3 objects
    smaller on average than one read block (song files: each GET mostly waits on the emulator),
    else :data:`LOCAL_THREADS` (day files, compacted parts, local files: the threads convert, so
    more than the cores gain nothing and each adds its own malloc arena; at 1M events from S3,
    2 threads loaded as fast as 8 with 100 MB less peak memory)."""
    if not objects or not objects[0].name.startswith("s3://"):
        return LOCAL_THREADS
    mean = sum(o.size for o in objects) / len(objects)
    return FETCH_THREADS if mean < records.READ_BLOCK else LOCAL_THREADS


def _libc_trim() -> Callable[[], object]:
    """glibc's ``malloc_trim(0)``, or a no-op where the C library has none (macOS, musl)."""
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


# Why: the loader allocates and frees blocks of ~1 MB all the time (input blocks, pyarrow's
# buffers, CSV text). glibc raises its mmap threshold to the largest block freed, so these come
# from the heap, whose free holes it keeps: the resident size grew with every block (1M events:
# 170 -> 320 MB; 10M events from S3: 852 MB at the end). ``malloc_trim`` hands the free pages
# back. Each trim costs page faults afterwards (the pages are touched again): every 16 blocks it
# kept the load flat at ~210 MB but spent ~0.5 s of system time per 1M events, every 64 blocks
# ~0.35 s at the same peak (220 MB at 1M events; docs/scaling.md, section 1).
release_free_memory = _libc_trim()

_DONE = object()


class _Pipeline(io.RawIOBase):
    """Worker threads fetch and parse objects into chunks of CSV rows; COPY
    reads them through this file-like object. The queue between them is
    bounded, so a slow database makes the workers wait instead of piling up
    rows in memory. Stops early (EOF to COPY) once ``max_errors`` is reached (MAXERROR)."""

    def __init__(self, objects: list[SourceObject], table: schema.Table, rows: RowFunctions,
                 report: LoadReport, max_errors: int, progress: Progress, fast: fastpath.FastRows | None = None):
        super().__init__()
        self.objects, self.table, self.rows, self.fast = objects, table, rows, fast
        self.report, self.max_errors, self.progress = report, max_errors, progress
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.aborted = False
        self._next = iter(objects)
        self._lock = threading.Lock()
        self._live = min(worker_threads(objects), len(objects))
        self._handed = 0
        self._last_note = time.monotonic()
        self._threads = [threading.Thread(target=self._work, name=f"copy-fetch-{i}", daemon=True)
                         for i in range(self._live)]
        for thread in self._threads:
            thread.start()

    def _put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        try:
            while not self.stop.is_set():
                with self._lock:
                    obj = next(self._next, None)
                if obj is None:
                    break
                for chunk in fastpath.parse_object(obj, self.table, self.rows, self.fast, self.stop):
                    if not self._put(chunk):
                        return
        except BaseException as exc:  # handed to the reading thread, which raises it
            self._put(exc)
        finally:
            self._put(_DONE)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        report = self.report
        while self._live and not self.aborted:
            item = self.queue.get()
            if item is _DONE:
                self._live -= 1
                continue
            if isinstance(item, BaseException):
                self.error = item
                self.close_workers()
                return b""
            report.files += item.done_file
            report.records += item.records
            report.loaded += item.rows
            report.rejects += item.rejects
            if maxerror_reached(len(report.rejects), self.max_errors):
                self.aborted = True
                self.close_workers()
                return b""
            if time.monotonic() - self._last_note > 5:
                self._last_note = time.monotonic()
                self.progress(f"  {self.table.name}: {report.files}/{len(self.objects)} files, "
                              f"{report.loaded:,} rows, {len(report.rejects)} rejected")
            if item.data:
                self._handed += 1
                if self._handed % TRIM_EVERY == 0:
                    release_free_memory()
                return item.data
        return b""

    def close_workers(self) -> None:
        """Stop the workers and wait for them (they exit within a chunk)."""
        self.stop.set()
        while any(t.is_alive() for t in self._threads):
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass
        for thread in self._threads:
            thread.join()


def load_local(conn: Any, table: schema.Table, source: str, jsonpaths: str | None, max_errors: int, *,
               clients: Clients | None = None, progress: Progress = print, trim_blanks: bool = True) -> LoadReport:
    """Reload ``table`` from ``source`` with the COPY emulator (the contract:
    :mod:`sparkify_nb.staging`).

    ``source``: ``s3://bucket/prefix``, a local file or folder, or a manifest
    (``.manifest``, as ``sparkify-nb compact`` writes it); ``jsonpaths``:
    a jsonpaths file (s3:// or local), or None for ``'auto'``; ``clients``: the
    step's :class:`~sparkify_nb.aws.Clients`, needed when either is s3://.
    ``trim_blanks``: as the suite's Redshift COPY (``TRIMBLANKS``), trailing blanks
    of VARCHAR values are removed.
    Staging is replaced in one transaction with the good rows; rejects go to
    ``load_errors`` with this load's ``load_id``.

    Raises :class:`LoadError` when the source or jsonpaths cannot be read,
    has no objects, or ``max_errors`` records or more are rejected: staging
    is then unchanged and the rejects seen are in ``load_errors``."""
    t0 = time.monotonic()
    paths = read_jsonpaths(jsonpaths, clients) if jsonpaths else None
    objects = (compaction.manifest_objects(source, clients) if compaction.is_manifest(source)
               else sources.list_sources(source, clients))
    if not objects:
        raise LoadError(f"source {source}: no objects to load (Redshift COPY fails the same way)")
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    try:
        with conn.cursor() as cur:
            cur.execute(f'TRUNCATE "{table.name}"')
        report, aborted = copy_rows(conn, table, objects, paths, max_errors, progress, jsonpaths=jsonpaths,
                                    trim_blanks=trim_blanks)
        if aborted:
            conn.rollback()  # COPY saw a clean end of data: undo it and the TRUNCATE
        else:
            _record_rejects(conn, report.load_id, started, table.name, report.rejects)
            conn.commit()
    except BaseException:
        conn.rollback()
        raise
    report.seconds = time.monotonic() - t0
    if aborted:
        _record_rejects(conn, report.load_id, started, table.name, report.rejects)
        conn.commit()
        first = report.rejects[0]
        raise LoadError(
            f"{table.name}: {report.rejected} records rejected, MAXERROR {max_errors} reached (a load fails at "
            f"MAXERROR rejects or more, as on Redshift); load rolled back, staging unchanged. "
            f"First: {display_name(first.filename)} line {first.line_number}"
            f"{' column ' + first.colname if first.colname else ''}: {first.err_reason}. "
            f"The {report.rejected} rejects seen are in load_errors (load_id {report.load_id})", report)
    progress(f"{table.name}: {report.loaded:,} rows from {report.files} files ({report.records:,} records), "
             f"{report.rejected} rejected, {report.seconds:.1f} s")
    return report


def copy_rows(conn: Any, table: schema.Table, objects: list[SourceObject], paths: list | None, max_errors: int,
              progress: Progress = print, jsonpaths: str | None = None,
              trim_blanks: bool = False, conversion: Conversion | None = None) -> tuple[LoadReport, bool]:
    """The row pipeline alone: COPY the records of ``objects`` (mapped by ``paths``, the
    parsed jsonpaths, or None for ``'auto'``) into ``table``, appending, inside the
    caller's transaction: no TRUNCATE, no commit, no rollback, rejects not written.
    Redshift's COPY appends and runs in its caller's transaction; the rehearsal's
    Data API endpoint runs it this way. ``conversion``: COPY's data conversion
    parameters (:class:`~.convert.Conversion`), instead of ``trim_blanks`` alone; with
    any but TRIMBLANKS every record goes the exact way (the block fast path has none).

    Returns ``(report, aborted)``; ``aborted``: ``max_errors`` rejects or more were
    seen (MAXERROR) and the caller must roll back. Raises :class:`LoadError` for a
    failure of the whole load (the caller rolls back), naming the file."""
    if paths is not None and len(paths) != len(table.columns):
        raise LoadError(f"{jsonpaths}: {len(paths)} jsonpaths for the {len(table.columns)} columns of {table.name}; "
                        "the mapping is positional, so they must match one to one")
    conversion = conversion or Conversion(trim_blanks=trim_blanks)
    rows = compile_rows(table, paths, conversion=conversion)
    report = LoadReport(table.name, bytes=sum(o.size for o in objects), load_id=uuid.uuid4().hex)
    fast = fastpath.make(table, paths, conversion.trim_blanks) if conversion.plain else None
    pipeline = _Pipeline(objects, table, rows, report, max_errors, progress, fast)
    _copy_through(conn, table, pipeline)
    return report, pipeline.aborted


def copy_sql(table: schema.Table) -> str:
    """The loader's COPY statement (the benchmark's limit uses the same, so its options match).
    Not ``FREEZE``: measured on 1M events into the UNLOGGED staging table, COPY FREEZE after a
    TRUNCATE in the same transaction took 3.6 s against 3.2-3.3 s without."""
    columns = ", ".join(f'"{c}"' for c in table.column_names)
    return f'COPY "{table.name}" ({columns}) FROM STDIN WITH (FORMAT csv)'


def _copy_through(conn: Any, table: schema.Table, pipeline: _Pipeline) -> None:
    """COPY the pipeline's rows into ``table`` (no commit, no rollback: the caller's);
    the report's rejects sorted and counted. A failure of a worker is raised as
    :class:`LoadError` naming the table, with the report so far."""
    report = pipeline.report
    try:
        with conn.cursor() as cur:
            cur.copy_expert(copy_sql(table), pipeline, size=records.READ_BLOCK)
        if pipeline.error is not None:
            raise pipeline.error
        report.rejects.sort(key=lambda r: (r.filename, r.line_number))
        report.rejected = len(report.rejects)
    except BaseException as exc:
        pipeline.close_workers()
        if isinstance(exc, LoadError):
            exc.report = report
            raise
        if isinstance(exc, Exception) and not isinstance(exc, SparkifyError) and pipeline.error is exc:
            raise LoadError(f"{table.name}: load failed, staging unchanged: {exc}", report) from exc
        raise


def _record_rejects(conn: Any, load_id: str, started: datetime, table: str, rejects: list[Reject]) -> None:
    """Write ``rejects`` into ``load_errors`` (shaped like stl_load_errors) with COPY; no commit."""
    if not rejects:
        return
    names = ("load_id", "starttime", "tbl", "filename", "line_number", "colname", "type", "col_length", "raw_line",
             "raw_field_value", "err_code", "err_reason")
    stamp = started.isoformat(sep=" ")
    q = csv_quoted
    text = "".join(",".join((q(load_id), stamp, q(table), q(r.filename[:1024]), str(r.line_number), q(r.colname),
                             q(r.type), q(r.col_length), q(r.raw_line), q(r.raw_field_value), str(r.err_code),
                             q(r.err_reason[:512]))) + "\n"
                   for r in rejects)
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY load_errors ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)",
                        io.BytesIO(text.encode("utf-8")))
