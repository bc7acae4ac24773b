"""Sample data on the emulator: a generated Sparkify-format data set in the
emulator's S3, in buckets tagged with the stack so that 99 deletes them.

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

from .. import Progress, SparkifyError, aws
from ..config import KNOWN_BUCKET_REGIONS, Settings, local_bucket
from .context import TAG_KEY, Context


def find_buckets(ctx: Context) -> list[dict[str, Any]]:
    """Buckets we made (the sample-data buckets on the emulator, not the work
    bucket of a rehearsal): only those carry the tag. On ``redshift`` we make none, so none is looked at (an
    account may hold thousands, in many regions)."""
    if not ctx.settings.on_emulator:
        return []
    from .workbucket import bucket_name  # the work bucket is a kind of its own (:mod:`.workbucket`)

    work = "" if ctx.settings.is_local else bucket_name(ctx.settings, ctx.caller["Account"])
    s3 = ctx.client("s3")
    mine = []
    for bucket in (b for b in aws.call(s3, "list_buckets").get("Buckets", []) if b["Name"] != work):
        tagging = aws.call(s3, "get_bucket_tagging", missing=("NoSuchTagSet", "NoSuchBucket", "AccessDenied"),
                           Bucket=bucket["Name"])
        if tagging and ctx.is_ours(tagging["TagSet"]):
            mine.append({"Name": bucket["Name"], "Tags": tagging["TagSet"]})
    return mine


def delete_bucket(ctx: Context, bucket: dict[str, Any]) -> None:
    """Empty the bucket, then delete it."""
    s3, name = ctx.client("s3"), bucket["Name"]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            aws.call(s3, "delete_objects", Bucket=name, Delete={"Objects": keys, "Quiet": True})
    aws.call(s3, "delete_bucket", missing=("NoSuchBucket",), Bucket=name)
    ctx.progress(f"S3 bucket {name}: emptied and deleted")


def ensure_bucket(settings: Settings, bucket: str, progress: Progress = print,
                  clients: aws.Clients | None = None) -> None:
    """Create ``bucket`` tagged with the stack and its owner, unless it exists
    (sample data on the emulator), in the Region it has on AWS when that is
    known (:data:`~sparkify_nb.config.KNOWN_BUCKET_REGIONS`), else ``[general] region``."""
    clients = clients or aws.Clients(settings)
    s3 = clients("s3")
    if aws.call(s3, "head_bucket", missing=("404", "NoSuchBucket", "NotFound"), Bucket=bucket) is not None:
        return
    region = KNOWN_BUCKET_REGIONS.get(bucket, settings.region)
    kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    aws.call(s3, "create_bucket", Bucket=bucket, **kwargs)
    aws.call(s3, "put_bucket_tagging", Bucket=bucket, Tagging={"TagSet": Context(settings, clients).tags(bucket)})
    progress(f"S3 bucket {bucket}: created")


SOURCES = ("song_data", "log_data", "log_jsonpath")


class SourcesSink:
    """The generator's layout (``song_data/...``, ``log_data/...``,
    ``log_json_path.json``) written at the configured sources of a rehearsal:
    each top-level part goes under the URI its ``[s3]`` key names, in a bucket
    created (tagged with the stack) when the emulator has none of that name."""

    def __init__(self, settings: Settings, clients: aws.Clients, progress: Progress = print):
        from ..datagen import S3Sink
        from ..staging.sources import parse_s3_uri

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
    (:func:`sparkify_nb.staging.compaction.compact_sample`). On
    ``redshift`` the sources are the configured ones (by default the public
    ``s3://udacity-dend``): nothing is written and None is returned. With
    ``plan`` nothing is written either; what would be is reported."""
    from .. import datagen  # only 01 on the emulator needs the generator

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
    from ..staging import compaction  # only here: staging imports infra.state

    compaction.compact_sample(settings, clients, enabled=compact, progress=progress)
    return counts
