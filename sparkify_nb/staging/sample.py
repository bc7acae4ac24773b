"""01's sample data on the emulator: a generated Sparkify-format data set
written at the sources 03 loads, in buckets tagged with the stack
(:mod:`sparkify_nb.infra.sample` makes, finds and deletes them).

- ``local``: in the stack's own bucket (``s3://<stack_name>-data/``), the
  default sources of that target.
- a rehearsal: at exactly the sources a Redshift run reads (``[s3]
  song_data``, ``log_data``, ``log_jsonpath``; by default the public
  ``s3://udacity-dend/...``), so that every COPY 03 sends is the statement a
  real run sends. The generated data stands in for what is there on AWS, and
  only where the emulator holds nothing: a source that already holds objects
  (your own data, put there by ``sparkify-nb run --rehearse -p song_data DIR
  -p log_data DIR``, :func:`put_sources`) is kept as it is, and 01 says so.
- ``redshift``: nothing is written; the sources are the configured ones.
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path
from typing import Any

from .. import Progress, SparkifyError, aws, datagen
from ..config import Settings, local_bucket
from ..datagen import S3Sink
from ..infra.sample import ensure_bucket, stand_in
from ..s3uri import parse_s3_uri
from . import compaction


SOURCES = ("song_data", "log_data", "log_jsonpath")


class SourcesSink:
    """The generator's layout (``song_data/...``, ``log_data/...``,
    ``log_json_path.json``) written at the configured sources of a rehearsal:
    each top-level part goes under the URI its ``[s3]`` key names, in a bucket
    created (tagged with the stack) when the emulator has none of that name."""

    def __init__(self, settings: Settings, clients: aws.Clients, progress: Progress = print):
        self._sinks: dict[str, tuple[Any, str]] = {}
        self.kept: list[str] = []  # sources that already hold objects: never written to
        made: dict[tuple[str, str], Any] = {}
        for name in SOURCES:
            uri = settings.source_uri(name)
            if not uri.startswith("s3://"):
                raise SparkifyError(f"[s3] {name} = {uri}: a rehearsal reads its sources from the emulator's S3, as "
                                    "Redshift's COPY reads S3; give an s3:// URI")
            bucket, key = parse_s3_uri(uri)
            ensure_bucket(settings, bucket, progress, clients)
            if _holds_objects(stand_in(clients)("s3"), bucket, key):
                self.kept.append(name)
            if name == "log_jsonpath":
                prefix, _, leaf = key.rpartition("/")
            else:
                prefix, leaf = key.rstrip("/"), ""
            sink = made.setdefault((bucket, prefix), S3Sink(stand_in(clients)("s3"), bucket, prefix))
            self._sinks[name] = (sink, leaf)

    def _route(self, key: str) -> tuple[Any, str]:
        top, _, rest = key.partition("/")
        if key == "log_json_path.json":
            sink, leaf = self._sinks["log_jsonpath"]
            return sink, leaf
        if top in ("song_data", "log_data") and rest:
            return self._sinks[top][0], rest
        raise SparkifyError(f"sample data: no configured source holds {key!r}")

    def _kept(self, key: str) -> bool:
        top = "log_jsonpath" if key == "log_json_path.json" else key.partition("/")[0]
        return top in self.kept

    def write(self, key: str, data: bytes) -> None:
        if self._kept(key):
            return
        sink, routed = self._route(key)
        sink.write(routed, data)

    def open(self, key: str) -> Any:
        if self._kept(key):
            return contextlib.nullcontext(io.BytesIO())  # written nowhere: the source keeps its own data
        sink, routed = self._route(key)
        return sink.open(routed)

    def close(self) -> None:
        for sink, _ in self._sinks.values():
            sink.close()


def _holds_objects(s3: Any, bucket: str, key: str) -> bool:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    return listed.get("KeyCount", 0) > 0


def put_sources(settings: Settings, folders: dict[str, Path], clients: aws.Clients | None = None,
                progress: Progress = print) -> dict[str, int]:
    """A rehearsal with your own data: every file under each folder of ``folders``
    (``song_data`` / ``log_data`` -> a local folder) put at that source on the
    emulator (``[s3] song_data`` / ``log_data``), keys relative to the folder,
    replacing what the emulator held there; 01 then keeps them (module docstring)
    and 03's COPY reads exactly what a real run will. Returns the files put per
    source. Raises :class:`SparkifyError` off a rehearsal, for a folder that does
    not exist or holds no file, or a source that is not ``s3://``."""
    if not settings.rehearsal:
        raise SparkifyError("put_sources is for a rehearsal (sparkify-nb run --rehearse): on local, 03 reads a "
                            "local folder itself")
    clients = clients or aws.Clients(settings)
    s3 = stand_in(clients)("s3")
    counts = {}
    for name, folder in folders.items():
        files = sorted(p for p in Path(folder).rglob("*") if p.is_file()) if Path(folder).is_dir() else []
        if not files:
            raise SparkifyError(f"-p {name} {folder}: not a folder with files in it")
        uri = settings.source_uri(name)
        if not uri.startswith("s3://"):
            raise SparkifyError(f"[s3] {name} = {uri}: a rehearsal reads its sources from the emulator's S3")
        bucket, prefix = parse_s3_uri(uri)
        prefix = prefix.rstrip("/")
        ensure_bucket(settings, bucket, progress, clients)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
            for obj in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=obj["Key"])
        for path in files:
            s3.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder).as_posix()}")
        counts[name] = len(files)
        progress(f"{name}: {len(files)} files of {folder} -> {uri} on the emulator")
    return counts


def seed_sample_data(settings: Settings, events: int = 8000, songs: int = 300, users: int = 50, days: int = 30,
                     seed: int = 42, progress: Progress = print, clients: aws.Clients | None = None,
                     plan: bool = False, compact: bool = False) -> dict[str, Any] | None:
    """On ``local``: generate a Sparkify-format data set into the emulator's
    bucket (created and tagged if missing) and return its counts; on a
    rehearsal the same data at the configured sources (module docstring); ``compact``:
    then pack the song files into a few gzip parts in place
    (:func:`.compaction.compact_sample`). On
    ``redshift`` the sources are the configured ones (by default the public
    ``s3://udacity-dend``): nothing is written and None is returned. With
    ``plan`` nothing is written either; what would be is reported."""
    if not settings.on_emulator:
        progress(f"sources: {settings.source_uri('song_data')}, {settings.source_uri('log_data')}")
        return None
    where = (f"s3://{local_bucket(settings.stack_name)}/" if settings.is_local
             else ", ".join(settings.source_uri(n) for n in SOURCES))
    if plan:
        progress(f"plan: would write {events} sample events in {days} daily files to {where}")
        return None
    clients = clients or aws.Clients(settings)
    if settings.is_local:
        bucket = local_bucket(settings.stack_name)
        ensure_bucket(settings, bucket, progress, clients)
        sink: Any = datagen.S3Sink(clients("s3"), bucket)
    else:
        sink = SourcesSink(settings, clients, progress)
        if sink.kept:
            progress("sample data: kept what the emulator already holds at "
                     + ", ".join(f"{settings.source_uri(n)}" for n in sink.kept)
                     + " (your own data: 03 loads it, not a generated sample)")
        if len(sink.kept) == len(SOURCES):
            return None
    t0 = time.monotonic()
    counts = datagen.generate(sink, events=events, songs=songs, users=users, days=days, seed=seed)
    progress(f"sample data: {counts['events']} events in {days} daily files, {counts['songs']} songs "
             f"-> {where} in {time.monotonic() - t0:.1f} s"
             + ("" if settings.is_local else " (a rehearsal: generated data stands in for the sources on AWS)"))
    compaction.compact_sample(settings, clients, enabled=compact, progress=progress)
    return counts
