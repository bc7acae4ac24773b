"""The buckets of sample data on the emulator: found, made (tagged with the
stack, so that 99 deletes them) and deleted here. What goes into them, and
where on each target: :mod:`sparkify_nb.staging.sample`."""

from __future__ import annotations

from typing import Any

from .. import Progress, aws
from ..config import KNOWN_BUCKET_REGIONS, Settings
from ..iam.workbucket import bucket_name  # the work bucket is a kind of its own (:mod:`.workbucket`)
from .context import Context


def stand_in(clients: aws.Clients) -> aws.Clients:
    """Who touches the sample-data buckets: on ``local`` the caller; in a rehearsal the local stack
    itself, as the account's administrator. They stand in for the sources' bucket on AWS, which is
    someone else's (the public Udacity bucket) or yours, and which the operator policy never lets
    the operator make, list among all buckets, fill or delete: the rehearsal's IAM gate would refuse
    (and rightly) what only the stand-in needs."""
    return clients.administrator() if clients.settings.rehearsal else clients


def find_buckets(ctx: Context) -> list[dict[str, Any]]:
    """Buckets we made (the sample-data buckets on the emulator, not the work
    bucket of a rehearsal): only those carry the tag. On ``redshift`` we make none, so none is looked at (an
    account may hold thousands, in many regions)."""
    if not ctx.settings.on_emulator:
        return []
    work = "" if ctx.settings.is_local else bucket_name(ctx.settings, ctx.caller["Account"])
    s3 = stand_in(ctx.clients)("s3")
    mine = []
    for bucket in (b for b in aws.call(s3, "list_buckets").get("Buckets", []) if b["Name"] != work):
        tagging = aws.call(s3, "get_bucket_tagging", missing=("NoSuchTagSet", "NoSuchBucket", "AccessDenied"),
                           Bucket=bucket["Name"])
        if tagging and ctx.is_ours(tagging["TagSet"]):
            mine.append({"Name": bucket["Name"], "Tags": tagging["TagSet"]})
    return mine


def delete_bucket(ctx: Context, bucket: dict[str, Any]) -> None:
    """Empty the bucket, then delete it."""
    s3, name = stand_in(ctx.clients)("s3"), bucket["Name"]
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
    s3 = stand_in(clients)("s3")
    if aws.call(s3, "head_bucket", missing=("404", "NoSuchBucket", "NotFound"), Bucket=bucket) is not None:
        return
    region = KNOWN_BUCKET_REGIONS.get(bucket, settings.region)
    kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    aws.call(s3, "create_bucket", Bucket=bucket, **kwargs)
    aws.call(s3, "put_bucket_tagging", Bucket=bucket, Tagging={"TagSet": Context(settings, clients).tags(bucket)})
    progress(f"S3 bucket {bucket}: created")
