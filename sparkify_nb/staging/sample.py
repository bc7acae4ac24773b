"""01's sample data on the emulator: a generated Sparkify-format data set
written at the sources 03 loads, in buckets tagged with the stack
(:mod:`sparkify_nb.infra.sample` makes, finds and deletes them).

- ``local``: in the stack's own bucket (``s3://<stack_name>-data/``), the
  default sources of that target.
- a rehearsal: at exactly the sources a Redshift run reads (``[s3]
  song_data``, ``log_data``, ``log_jsonpath``; by default the public
  ``s3://udacity-dend/...``), so that every COPY 03 sends is the statement a
  real run sends. The generated data stands in for what is there on AWS.
- ``redshift``: nothing is written; the sources are the configured ones.
"""

from __future__ import annotations

import time
from typing import Any

from .. import Progress, SparkifyError, aws, datagen
from ..config import Settings, local_bucket
from ..datagen import S3Sink
from ..infra.sample import ensure_bucket
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
        made: dict[tuple[str, str], Any] = {}
        for name in SOURCES:
            uri = settings.source_uri(name)
            if not uri.startswith("s3://"):
                raise SparkifyError(f"[s3] {name} = {uri}: a rehearsal reads its sources from the emulator's S3, as "
                                    "Redshift's COPY reads S3; give an s3:// URI")
            bucket, key = parse_s3_uri(uri)
            ensure_bucket(settings, bucket, progress, clients)
            if name == "log_jsonpath":
                prefix, _, leaf = key.rpartition("/")
            else:
                prefix, leaf = key.rstrip("/"), ""
            sink = made.setdefault((bucket, prefix), S3Sink(clients("s3"), bucket, prefix))
            self._sinks[name] = (sink, leaf)

    def _route(self, key: str) -> tuple[Any, str]:
        top, _, rest = key.partition("/")
        if key == "log_json_path.json":
            sink, leaf = self._sinks["log_jsonpath"]
            return sink, leaf
        if top in ("song_data", "log_data") and rest:
            return self._sinks[top][0], rest
        raise SparkifyError(f"sample data: no configured source holds {key!r}")

    def write(self, key: str, data: bytes) -> None:
        sink, routed = self._route(key)
        sink.write(routed, data)

    def open(self, key: str) -> Any:
        sink, routed = self._route(key)
        return sink.open(routed)

    def close(self) -> None:
        for sink, _ in self._sinks.values():
            sink.close()


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
    t0 = time.monotonic()
    counts = datagen.generate(sink, events=events, songs=songs, users=users, days=days, seed=seed)
    progress(f"sample data: {counts['events']} events in {days} daily files, {counts['songs']} songs "
             f"-> {where} in {time.monotonic() - t0:.1f} s"
             + ("" if settings.is_local else " (a rehearsal: generated data stands in for the sources on AWS)"))
    compaction.compact_sample(settings, clients, enabled=compact, progress=progress)
    return counts
