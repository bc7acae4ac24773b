"""What the COPY role must read, worked out once: the role's inline policy
(:func:`.copy_role.role_policy`), the record of what 01 granted (``copy_reach`` in
the state file, which 03 checks every source against before a COPY:
:mod:`sparkify_nb.staging.granted`) and the boundary's reach all come from here.

What a COPY needs, in AWS's words ("IAM permissions for COPY, UNLOAD, and
CREATE LIBRARY",
https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-access-permissions.html):
"For COPY from Amazon S3, permission to LIST the Amazon S3 bucket and GET the
Amazon S3 objects that are being loaded, and the manifest file, if one is
used" and "permission to LIST and GET the JSONPaths file". So, per source:

- a prefix (``s3://b/song_data``): ``s3:ListBucket`` with ``s3:prefix``
  ``song_data*`` and ``s3:GetObject`` on ``b/song_data/*``;
- the jsonpaths file: ``s3:ListBucket`` with its key, ``s3:GetObject`` on it;
- a manifest (a key ending ``.manifest``, as ``sparkify-nb compact`` writes
  it: :mod:`sparkify_nb.staging.compaction`): ``s3:GetObject`` on the manifest
  and on every part it lists, ``s3:ListBucket`` on the manifest's key and the
  parts' prefixes (which ``s3:prefix`` COPY lists a manifest's bucket with is
  not documented: unconfirmed, so both are granted). When 01 can read the
  manifest, the parts it lists, grouped by folder and common prefix
  (:func:`group_prefixes`, at most :data:`MAX_GROUPS` patterns, so the policy
  stays small); when it cannot yet (compaction after 01), the layout
  ``sparkify-nb compact SRC DST`` writes by default (``DST.manifest`` beside
  the parts ``DST/part-NNNNN-of-NNNNN.json.gz``), and 01 says so. Parts must lie
  in a source bucket: the boundary (:mod:`.boundary`) lets the stack's roles
  read no other, so a manifest listing others stops 01;
- on ``redshift``, the manifests a daily load writes into the stack's work
  bucket (:mod:`sparkify_nb.infra.workbucket`): ``s3:GetObject`` on ``<work>/manifests/*``,
  ``s3:ListBucket`` with ``manifests/*``. The files they list are source files,
  granted above. Nothing else of that bucket.

Patterns are S3 URIs with IAM's ``*`` (any characters, ``/`` included).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..config import Settings
from ..s3uri import parse_s3_uri
from .errors import PolicyError
from .workbucket import MANIFESTS, bucket_name

SOURCES = ("song_data", "log_data", "log_jsonpath")
MAX_GROUPS = 10          # part patterns per manifest: an inline role policy holds 10,240 characters at most
PART = re.compile(r"part-\d{5}-of-\d{5}\.json\.gz$")  # the parts sparkify-nb compact writes


@dataclass
class Reach:
    """What the COPY role may read: ``objects`` (``s3:GetObject``) and
    ``prefixes`` (``s3:ListBucket`` with ``s3:prefix``), each an S3 URI pattern;
    ``notes`` say where 01 had to assume a layout."""

    objects: list[str] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self) -> dict[str, list[str]]:
        """What 01 writes into the state file (``copy_reach``) for 03 to check against."""
        return {"objects": sorted(set(self.objects)), "prefixes": sorted(set(self.prefixes))}


def is_manifest(uri: str) -> bool:
    """A source that names a manifest, not a prefix (its key ends ``.manifest``)."""
    return uri.startswith("s3://") and uri.endswith(".manifest")


def default_parts(manifest: str) -> str:
    """Where ``sparkify-nb compact`` puts the parts of ``manifest`` by default:
    ``s3://b/songs.manifest`` -> ``s3://b/songs/part-*``."""
    return f"{manifest[:-len('.manifest')]}/part-*"


def group_prefixes(keys: list[str], max_groups: int = MAX_GROUPS) -> list[str]:
    """Key patterns that cover ``keys`` (of one bucket) and little else: one per
    folder (``folder/part-*`` when every key there is a compaction part, else
    the keys' common prefix and ``*``), sibling folders merged into their parent (all at once) while
    there are more than ``max_groups``.

    >>> group_prefixes(["s/part-00000-of-00002.json.gz", "s/part-00001-of-00002.json.gz"])
    ['s/part-*']
    """
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(key.rpartition("/")[0], []).append(key)
    while len(groups) > max_groups:
        deepest = max(groups, key=lambda folder: (folder.count("/") + bool(folder), folder))
        if not deepest:
            break  # only the bucket's root is left
        parent = deepest.rpartition("/")[0]
        for sibling in [f for f in groups if f and f.rpartition("/")[0] == parent]:  # all at once: no leftovers
            groups.setdefault(parent, []).extend(groups.pop(sibling))
    out = []
    for folder, members in groups.items():
        if all(PART.search(k) and k.rpartition("/")[0] == folder for k in members):
            out.append(f"{folder}/part-*" if folder else "part-*")
        else:
            out.append(os.path.commonprefix(members) + "*")
    return sorted(set(out))


def _manifest(uri: str, buckets: set[str], read: Callable[[str], list[str]] | None, reach: Reach) -> None:
    bucket, key = parse_s3_uri(uri)
    reach.objects.append(uri)
    reach.prefixes.append(f"s3://{bucket}/{key}")
    parts: list[str] | None = None
    if read is not None:
        try:
            parts = read(uri)
        except Exception as exc:  # not there yet (compaction after 01), or not readable by the operator
            reach.notes.append(f"manifest {uri} could not be read ({type(exc).__name__}); granted the layout "
                               f"`sparkify-nb compact` writes by default ({default_parts(uri)}); run 01 again once "
                               "it is written if its parts lie elsewhere")
    if parts is None:
        reach.objects.append(default_parts(uri))
        reach.prefixes.append(default_parts(uri))
        return
    by_bucket: dict[str, list[str]] = {}
    for part in parts:
        part_bucket, part_key = parse_s3_uri(part)
        by_bucket.setdefault(part_bucket, []).append(part_key)
    outside = sorted(set(by_bucket) - buckets)
    if outside:
        raise PolicyError(f"manifest {uri} lists parts in {', '.join(outside)}, outside the source buckets "
                         f"({', '.join(sorted(buckets))}): the stack's permissions boundary lets its roles read no "
                         "other bucket. Keep the parts beside the manifest, as `sparkify-nb compact` does")
    for part_bucket, keys in sorted(by_bucket.items()):
        for pattern in group_prefixes(keys):
            reach.objects.append(f"s3://{part_bucket}/{pattern}")
            reach.prefixes.append(f"s3://{part_bucket}/{pattern}")


def source_buckets(settings: Settings) -> list[str]:
    """The S3 buckets the song and log data are read from (none for local folders)."""
    return sorted({parse_s3_uri(settings.source_uri(n))[0] for n in ("song_data", "log_data")
                   if settings.source_uri(n).startswith("s3://")})


def copy_reach(settings: Settings, account: str = "*", read: Callable[[str], list[str]] | None = None,
               work: bool = True) -> Reach:
    """The COPY role's reach for ``settings`` (module docstring). With
    ``read`` (a manifest's URI -> the part URLs it lists, read by 01 as the
    operator: :func:`sparkify_nb.infra.roles.manifest_reader`) each manifest
    source is read for its parts; without, the default layout is assumed.
    ``work``: with the work bucket's manifests (on ``redshift`` only;
    ``account`` names it). Raises :class:`.PolicyError` for a manifest whose
    parts lie outside the source buckets."""
    reach = Reach()
    buckets = set(source_buckets(settings))
    for name in SOURCES:
        uri = settings.source_uri(name)
        if not uri.startswith("s3://"):
            continue
        bucket, key = parse_s3_uri(uri)
        if name == "log_jsonpath":
            reach.objects.append(uri)
            reach.prefixes.append(uri)
        elif is_manifest(uri):
            _manifest(uri, buckets | {bucket}, read, reach)
        else:
            reach.objects.append(f"s3://{bucket}/{key}".rstrip("/") + "/*")
            reach.prefixes.append(f"s3://{bucket}/{key.rstrip('/')}*")
    if work and not settings.is_local:
        name = bucket_name(settings, account)
        reach.objects.append(f"s3://{name}/{MANIFESTS}*")
        reach.prefixes.append(f"s3://{name}/{MANIFESTS}*")
    return reach


def compaction_targets(settings: Settings) -> list[tuple[str, str]]:
    """``(manifest, parts pattern)`` of each manifest source: where ``sparkify-nb
    compact`` writes (its default layout), what the operator may write there."""
    return [(uri, default_parts(uri)) for name in SOURCES if is_manifest(uri := settings.source_uri(name))]


def arn(uri: str, partition: str = "aws") -> str:
    """``s3://b/k`` -> ``arn:aws:s3:::b/k``."""
    return f"arn:{partition}:s3:::{uri[len('s3://'):]}"


def matches(pattern: str, uri: str) -> bool:
    """IAM's match of an S3 URI against a pattern: ``*`` any characters, ``?`` one, case-sensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, uri) is not None


def statements(reach: Reach, partition: str = "aws") -> list[dict[str, Any]]:
    """The COPY role's policy statements for ``reach``: one ``s3:ListBucket`` per
    bucket with its ``s3:prefix`` patterns, one ``s3:GetObject`` on every object pattern."""
    by_bucket: dict[str, set[str]] = {}
    for prefix in reach.prefixes:
        bucket, key = parse_s3_uri(prefix)
        by_bucket.setdefault(bucket, set()).add(key)
    out: list[dict[str, Any]] = [
        {"Sid": f"List{''.join(ch for ch in bucket.title() if ch.isalnum())}", "Effect": "Allow",
         "Action": "s3:ListBucket", "Resource": f"arn:{partition}:s3:::{bucket}",
         "Condition": {"StringLike": {"s3:prefix": sorted(keys)}}} for bucket, keys in sorted(by_bucket.items())]
    if reach.objects:
        out.append({"Sid": "ReadSources", "Effect": "Allow", "Action": "s3:GetObject",
                    "Resource": sorted({arn(o, partition) for o in reach.objects})})
    return out
