"""Sample data on ``local``: a generated Sparkify-format data set in a bucket
of the emulator's S3, tagged with the stack so that 99 deletes it. On
``redshift`` we make no bucket: the sources are the configured ones.
"""

from __future__ import annotations

import time
from typing import Any

from .. import Progress, aws
from ..config import Settings, local_bucket
from .context import Context


def find_buckets(ctx: Context) -> list[dict[str, Any]]:
    """Buckets we made (the local sample-data bucket): only those carry the tag.
    On ``redshift`` we make none, so none is looked at (an account may hold
    thousands, in many regions)."""
    if not ctx.settings.is_local:
        return []
    s3 = ctx.client("s3")
    mine = []
    for bucket in aws.call(s3, "list_buckets").get("Buckets", []):
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
    """Create ``bucket`` tagged with the stack and its owner, unless it exists (local sample data)."""
    clients = clients or aws.Clients(settings)
    s3 = clients("s3")
    if aws.call(s3, "head_bucket", missing=("404", "NoSuchBucket", "NotFound"), Bucket=bucket) is not None:
        return
    kwargs = {} if settings.region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": settings.region}}
    aws.call(s3, "create_bucket", Bucket=bucket, **kwargs)
    aws.call(s3, "put_bucket_tagging", Bucket=bucket, Tagging={"TagSet": Context(settings, clients).tags(bucket)})
    progress(f"S3 bucket {bucket}: created")


def seed_sample_data(settings: Settings, events: int = 8000, songs: int = 300, users: int = 50, days: int = 30,
                     seed: int = 42, progress: Progress = print, clients: aws.Clients | None = None,
                     plan: bool = False, compact: bool = False) -> dict[str, Any] | None:
    """On ``local``: generate a Sparkify-format data set into the emulator's
    bucket (created and tagged if missing) and return its counts; ``compact``:
    then pack the song files into a few gzip parts in place
    (:func:`sparkify_nb.staging.compaction.compact_sample`). On
    ``redshift`` the sources are the configured ones (by default the public
    ``s3://udacity-dend``): nothing is written and None is returned. With
    ``plan`` nothing is written either; what would be is reported."""
    from .. import datagen  # only 01 on local needs the generator

    if not settings.is_local:
        progress(f"sources: {settings.source_uri('song_data')}, {settings.source_uri('log_data')}")
        return None
    if plan:
        progress(f"plan: would write {events} sample events in {days} daily files to "
                 f"s3://{local_bucket(settings.stack_name)}/")
        return None
    clients = clients or aws.Clients(settings)
    bucket = local_bucket(settings.stack_name)
    ensure_bucket(settings, bucket, progress, clients)
    t0 = time.monotonic()
    counts = datagen.generate(datagen.S3Sink(clients("s3"), bucket), events=events, songs=songs, users=users,
                              days=days, seed=seed)
    progress(f"sample data: {counts['events']} events in {days} daily files, {counts['songs']} songs "
             f"-> s3://{bucket}/ in {time.monotonic() - t0:.1f} s")
    from ..staging import compaction  # only here: staging imports infra.state

    compaction.compact_sample(settings, clients, enabled=compact, progress=progress)
    return counts
