"""Where a load reads from: every object under ``s3://bucket/prefix`` or every
file under a local folder, and :func:`parse_s3_uri` (from :mod:`sparkify_nb.s3uri`, the one S3-URI
parser of the package). What counts as a source is part
of the COPY contract in :mod:`sparkify_nb.staging`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Sequence

from ..s3uri import parse_s3_uri  # re-exported: staging's callers name it here
from .errors import LoadError

if TYPE_CHECKING:
    from ..aws import Clients


@dataclass(frozen=True)
class SourceObject:
    """One input object: ``name`` is ``s3://bucket/key`` or a local path, as
    reported in ``load_errors``; ``open()`` returns a binary stream of its bytes
    (still compressed for ``.gz``); ``size`` in bytes."""

    name: str
    open: Callable[[], BinaryIO]
    size: int = 0


def list_sources(uri: str | Sequence[SourceObject], clients: Clients | None = None) -> list[SourceObject]:
    """Every object under ``uri``, sorted by name (objects already chosen, e.g.
    by :func:`day_objects`, are returned as they are).

    ``s3://bucket/prefix``: every key that starts with ``prefix`` (as Redshift
    COPY), folder markers excluded, read with ``clients("s3")`` (required for
    s3:// URIs). A local folder: every file below it (hidden files excluded); a
    local file: that file. Raises :class:`LoadError` when a local path does not
    exist or the bucket cannot be listed."""
    if not isinstance(uri, str):
        return list(uri)
    if uri.startswith("s3://"):
        return _list_s3(uri, clients)
    root = Path(uri).expanduser()
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = sorted(p for p in root.rglob("*")
                       if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
    else:
        raise LoadError(f"source {uri}: no such file or folder")
    return [SourceObject(str(p), lambda p=p: open(p, "rb"), p.stat().st_size) for p in files]


def _list_s3(uri: str, clients: Clients | None) -> list[SourceObject]:
    if clients is None:
        raise ValueError(f"source {uri}: reading S3 needs the step's aws.Clients")
    try:
        bucket, prefix = parse_s3_uri(uri)
    except ValueError as exc:
        raise LoadError(f"source {exc}") from None
    s3 = clients("s3")
    found = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found += [(o["Key"], o.get("Size", 0)) for o in page.get("Contents", []) if not o["Key"].endswith("/")]
    except Exception as exc:  # botocore ClientError / EndpointConnectionError
        raise LoadError(f"source {uri}: cannot list objects: {exc}") from None
    return [SourceObject(f"s3://{bucket}/{k}", lambda k=k: s3.get_object(Bucket=bucket, Key=k)["Body"], size)
            for k, size in sorted(found)]


def days_ending(day: dt.date, count: int) -> list[dt.date]:
    """The ``count`` UTC days ending on ``day``, oldest first."""
    return [day - dt.timedelta(days=back) for back in range(count - 1, -1, -1)]


def day_prefix(log_data: str, day: dt.date) -> str:
    """Where ``day``'s log file sits under ``log_data`` (DESIGN.md's layout,
    ``log_data/YYYY/MM/YYYY-MM-DD-events.json``), as a key prefix that also
    takes a ``.gz`` copy: ``s3://b/log_data/2018/11/2018-11-05-events``."""
    return f"{log_data.rstrip('/')}/{day:%Y/%m/%Y-%m-%d}-events"


def day_objects(log_data: str, days: Sequence[dt.date], clients: Clients | None = None) -> list[SourceObject]:
    """The log files of ``days`` under ``log_data`` (one S3 listing or folder
    look per day: a daily load never lists all history). Raises
    :class:`LoadError` naming the days that have no file."""
    found: list[SourceObject] = []
    missing = []
    for day in days:
        prefix = day_prefix(log_data, day)
        if prefix.startswith("s3://"):
            objects = _list_s3(prefix, clients)
        else:
            folder = Path(prefix).parent
            objects = [SourceObject(str(p), lambda p=p: open(p, "rb"), p.stat().st_size)
                       for p in sorted(folder.glob(Path(prefix).name + "*")) if p.is_file()] if folder.is_dir() else []
        found += objects
        if not objects:
            missing.append(f"{day:%Y-%m-%d} ({prefix}.json)")
    if missing:
        raise LoadError(f"no log file for {', '.join(missing)}: nothing to load for "
                        f"{'that day' if len(missing) == 1 else 'those days'}")
    return found
