"""Before a COPY on Redshift: may the COPY role read what it is about to read?

01 grants the role read on the sources it was given and records what
(``copy_reach`` in the state file: :mod:`sparkify_nb.iam.reach`). A source
given only to 03 (a notebook parameter, another ``dwh.cfg``) that 01 never
granted would fail inside the cluster with ``S3ServiceException: Access
Denied``, after the load began, naming no source. So 03 checks every object
it is about to load against that record first, the way COPY needs it ("LIST
the Amazon S3 bucket and GET the Amazon S3 objects that are being loaded, and
the manifest file", "LIST and GET the JSONPaths file":
https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-access-permissions.html):
``s3:GetObject`` on each object, ``s3:ListBucket`` with its key (or the
source's prefix) as ``s3:prefix``, and stops naming the source and what to do.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..iam.reach import matches
from ..staging.sources import parse_s3_uri
from .errors import LoadError

KEYS = {"song_data": "[s3] song_data", "log_data": "[s3] log_data", "log_jsonpath": "[s3] log_jsonpath"}


class NotGranted(LoadError):
    """A COPY would read something the COPY role may not: 01 did not grant it."""


def _listable(reach: dict[str, Any], uri: str) -> bool:
    """``ListBucket`` on ``uri``'s bucket with its key as ``s3:prefix``."""
    bucket, key = parse_s3_uri(uri)
    return any(parse_s3_uri(p)[0] == bucket and matches(parse_s3_uri(p)[1], key) for p in reach["prefixes"])


def _readable(reach: dict[str, Any], uri: str) -> bool:
    return any(matches(pattern, uri) for pattern in reach["objects"])


def require(record: dict[str, Any], name: str, source: str, objects: Iterable[str], listed: Iterable[str] = ()) -> None:
    """Raise :class:`NotGranted` unless 01's record lets the COPY role GET each
    of ``objects`` and LIST each of ``listed`` (a prefix source's prefix; each
    object's key is listed too). ``name``: the setting the source came from
    (``song_data``, ``log_data``, ``log_jsonpath``, or ``work bucket``)."""
    reach = record.get("copy_reach")
    if reach is None:
        raise NotGranted(f"{name} = {source}: the infrastructure record holds no copy_reach (what 01 let the COPY "
                         "role read; 01 made before it was recorded). Run 01 again, then 03")
    objects, listed = list(objects), list(listed)
    wrong = next((u for u in objects if not _readable(reach, u)), None)
    wrong = wrong or next((u for u in [*listed, *objects] if not _listable(reach, u)), None)
    if wrong is None:
        return
    setting = KEYS.get(name, name)
    what = "list" if wrong in listed or _readable(reach, wrong) else "read"  # a prefix is only ever listed
    todo = (f"Run 01 with this source ({setting} = {source} in dwh.cfg, or SPARKIFY_S3_{name.upper()} in the "
            "environment) so that its COPY role may read it, then 03 again" if name in KEYS else
            "Run 01 again (it grants the role what this version of 03 reads), then 03")
    raise NotGranted(f"{setting} = {source}: 01 did not let the COPY role {what} {wrong} (it may read "
                     f"{', '.join(reach['objects']) or 'nothing'}), so Redshift's COPY would fail with Access "
                     f"Denied. {todo}")
