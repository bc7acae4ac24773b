"""A daily load on Redshift: the COPY manifest of exactly the files it stages
(the chosen days' log files, the song files ``loaded_files`` does not list
yet), written into the stack's work bucket (:mod:`sparkify_nb.infra.workbucket`)
and loaded with ``COPY ... MANIFEST``.

The manifest, as AWS defines it
(https://docs.aws.amazon.com/redshift/latest/dg/loading-data-files-using-manifest.html):
``{"entries": [{"url": "s3://bucket/key", "mandatory": true}, ...]}``; "The URL
in the manifest must specify the bucket name and full object path for the
file, not just a prefix"; ``mandatory`` defaults to false, and "Regardless of
any mandatory settings, COPY will terminate if no files are found". Every
entry here is mandatory: a file listed and gone by the time COPY runs fails
the load instead of being skipped, so ``loaded_files`` never lists a file that
was not loaded. ``meta.content_length`` is the size listed (COPY needs only
``url`` and ``mandatory``; UNLOAD writes ``meta`` the same way). "If a file is
listed twice, the file is loaded twice"
(https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-source-s3.html):
each object is listed once.

One COPY reads its manifest and every file in one Region: "If the REGION
parameter is specified, all resources, including a manifest file or multiple
Amazon S3 buckets, must be located in the specified region" (same page), so the
work bucket must be in the sources' Region, and the manifest itself is plain
JSON ("The manifest file must not be encrypted or compressed, even if the
ENCRYPTED, GZIP, LZOP, or BZIP2 options are specified"). GZIP applies to every
file of one COPY, so the files of one manifest are all gzip or none.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Sequence

from ..iam.workbucket import MANIFESTS  # the work bucket's prefix the COPY role may read
from .errors import LoadError
from .sources import SourceObject, parse_s3_uri

if TYPE_CHECKING:
    from ..aws import Clients


def work_bucket(record: dict[str, Any]) -> tuple[str, str]:
    """``(name, region)`` of the stack's work bucket, from 01's record. Raises
    :class:`LoadError` when 01 made none (a record from before daily loads on Redshift)."""
    if not record.get("work_bucket"):
        raise LoadError("a daily load on redshift writes its COPY manifests into the stack's work bucket, which "
                        "01 has not made (the infrastructure record names none). Run 01 again, then 03")
    return record["work_bucket"], record.get("work_bucket_region", "")


def manifest_uri(record: dict[str, Any], table: str, now: dt.datetime | None = None) -> str:
    """Where the manifest of ``table``'s load goes: ``s3://<work>/manifests/<UTC time>-<table>.manifest``."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"s3://{work_bucket(record)[0]}/{MANIFESTS}{now:%Y%m%dT%H%M%S%fZ}-{table}.manifest"


def manifest_body(objects: Sequence[SourceObject]) -> bytes:
    """The manifest of ``objects`` (module docstring), as JSON bytes."""
    entries = [{"url": o.name, "mandatory": True, "meta": {"content_length": o.size}} for o in objects]
    return json.dumps({"entries": entries}, indent=1).encode()


def gzipped(objects: Sequence[SourceObject]) -> bool:
    """True when every object is gzip (``.gz``), False when none is. Raises
    :class:`LoadError` for a mix: COPY's GZIP applies to every file it reads."""
    kinds = {o.name.endswith(".gz") for o in objects}
    if len(kinds) > 1:
        mixed = [o.name for o in objects if o.name.endswith(".gz")][:3]
        raise LoadError(f"one COPY reads gzip files or plain ones, not both: {', '.join(mixed)} ... are gzip, other "
                        "files of the same load are not. Keep one form of each file")
    return kinds == {True}


def same_region(record: dict[str, Any], files_region: str, what: str) -> None:
    """Raise :class:`LoadError` when the work bucket is not in ``files_region`` (module docstring)."""
    name, region = work_bucket(record)
    if region and region != files_region:
        raise LoadError(f"the work bucket {name} is in {region} and the {what} in {files_region}: one COPY reads "
                        "its manifest and every file in one Region. Run 99_teardown, then 01 (it makes the work "
                        f"bucket in the sources' Region)")


def write_manifest(uri: str, objects: Sequence[SourceObject], clients: Clients) -> None:
    """Put the manifest of ``objects`` at ``uri`` (``s3:PutObject`` on the work bucket's ``manifests/``)."""
    bucket, key = parse_s3_uri(uri)
    clients("s3").put_object(Bucket=bucket, Key=key, Body=manifest_body(objects), ContentType="application/json")
