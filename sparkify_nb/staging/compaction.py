"""Many small JSON files -> a few gzip files and a manifest (``sparkify-nb compact``).

Why: a COPY reads one file per slice at a time and cannot split a JSON or gzip
file, so AWS asks for "a number of files that is a multiple of the number of
slices in your cluster ... about equal size, between 1 MB and 1 GB after
compression" (https://docs.aws.amazon.com/redshift/latest/dg/t_splitting-data-files.html,
https://docs.aws.amazon.com/redshift/latest/dg/queries-troubleshooting-load-takes-too-long.html,
https://docs.aws.amazon.com/redshift/latest/dg/c_best-practices-use-multiple-files.html).
The song catalogue comes as one small file per song; 20,000 of them cost a GET
each (on the local emulator ~4.6 ms of its CPU each, the bulk of 03 there).

:func:`compact` packs every object under a source into ``files`` gzip parts
(``part-00000-of-00004.json.gz`` ...) of about equal size, each record's bytes
unchanged and starting on a line of its own (a pretty-printed song keeps its
lines; the COPY contract reads objects that span lines), and writes a Redshift
manifest of the parts (https://docs.aws.amazon.com/redshift/latest/dg/loading-data-files-using-manifest.html).
It counts the records of the input and of the parts the way the loader does
(:func:`.records.decide`) and fails unless they are equal. Rejects of a later
load name the part and its line, not the original file.

03 loads a compacted source like any other: the folder or prefix of the parts,
or the manifest itself (a source ending in ``.manifest``: Redshift ``COPY ...
MANIFEST GZIP``; the emulator reads the same file, :func:`manifest_objects`).
The manifest lies beside the parts' folder, not in it: give 03 the folder
with a trailing ``/`` (``s3://b/songs/``), since a bare S3 prefix ``s3://b/songs``
also matches ``s3://b/songs.manifest``.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import Progress, s3uri
from ..warehouse import schema
from . import records, sources
from .convert import RowFunctions
from .errors import LoadError
from .sources import SourceObject, parse_s3_uri

if TYPE_CHECKING:
    from ..aws import Clients
    from ..config import Settings

PART = re.compile(r"part-\d{5}-of-\d{5}\.json\.gz$")
MAX_PART_BYTES = 1 << 30       # AWS: 1 MB .. 1 GB per file after compression
GZIP_RATIO = 8                 # planning ratio of raw JSON to gzip (docs/scaling.md)
SERVERLESS_FILES = 16          # Serverless publishes no slice count: a multiple of 2, 4, 8 and 16
# Default slices per node, "Node type details" in
# https://docs.aws.amazon.com/redshift/latest/mgmt/working-with-clusters.html
SLICES_PER_NODE = {"ra3.large": 2, "ra3.xlplus": 2, "ra3.4xlarge": 4, "ra3.16xlarge": 16,
                   "dc2.large": 2, "dc2.8xlarge": 16}


class CompactError(LoadError):
    """Compaction failed (a source unreadable, records lost); nothing was removed."""


@dataclass
class CompactReport:
    """What :func:`compact` did: objects read, records in and out, parts and manifest written."""

    source: str
    objects: int = 0
    records_in: int = 0
    records_out: int = 0
    bytes_in: int = 0
    parts: list[str] = field(default_factory=list)
    part_bytes: list[int] = field(default_factory=list)
    manifest: str = ""
    removed: int = 0


def default_files(settings: Settings, clients: Clients | None = None, total_bytes: int = 0) -> int:
    """Parts to write: on ``redshift`` the cluster's slices (``NumberOfNodes`` x
    slices per node type, from ``describe_clusters``), times as many as keep a
    part under 1 GB of gzip; on ``local`` the machine's cores."""
    if settings.is_local:
        base = os.cpu_count() or 1
    elif settings.get("cluster", "kind") == "serverless":
        base = SERVERLESS_FILES
    else:
        cluster = clients("redshift").describe_clusters(
            ClusterIdentifier=settings.get("cluster", "identifier"))["Clusters"][0]
        node_type = cluster["NodeType"]
        if node_type not in SLICES_PER_NODE:
            raise CompactError(f"cluster node type {node_type}: slices per node not known; pass --files")
        base = cluster["NumberOfNodes"] * SLICES_PER_NODE[node_type]
    return base * max(1, math.ceil(total_bytes / GZIP_RATIO / MAX_PART_BYTES / base))


_COUNT_ONLY = RowFunctions(lambda record: "", lambda record: "")


def count_records(obj: SourceObject) -> int:
    """Records in ``obj`` as the loader counts them (loaded + rejected; blank lines are none)."""
    count = 0
    try:
        for chunk in records.parse_object(obj, schema.STAGING_SONGS, _COUNT_ONLY):
            count += chunk.records
    except LoadError as exc:  # a damaged gzip stream or an object over 4 MB: no load would take it
        raise CompactError(f"{exc}; not compacted") from None
    return count


def _object_bytes(obj: SourceObject) -> bytes:
    stream = records._open(obj)
    try:
        data = stream.read()
    except (OSError, EOFError) as exc:
        raise CompactError(f"{obj.name}: cannot be read: {exc}; not compacted") from None
    finally:
        stream.close()
    return data if not data or data.endswith(b"\n") else data + b"\n"


def compact(src: str, dst: str, files: int | None = None, *, manifest: str | None = None,
            settings: Settings | None = None, clients: Clients | None = None, remove_sources: bool = False,
            progress: Progress = print) -> CompactReport:
    """Pack every object under ``src`` (S3 prefix or local folder; earlier parts
    skipped) into ``files`` gzip parts under ``dst`` plus a manifest (default:
    ``dst.manifest``, beside the folder). ``files`` None: :func:`default_files`
    (needs ``settings``). Stale parts of an earlier compaction into ``dst`` are
    deleted; ``remove_sources`` deletes the packed objects too (in-place
    compaction). Raises :class:`CompactError` when a source cannot be read or
    the parts hold a different number of records than the sources."""
    objects = [o for o in sources.list_sources(src, clients) if not PART.search(o.name)]
    if not objects:
        raise CompactError(f"source {src}: no objects to compact (parts of an earlier compaction are skipped)")
    total = sum(o.size for o in objects)
    files = files if files is not None else default_files(settings, clients, total)
    if files < 1:
        raise CompactError(f"files: {files}; at least 1 part is needed")
    files = min(files, len(objects))
    dst = dst.rstrip("/")
    report = CompactReport(src, objects=len(objects), bytes_in=total, manifest=manifest or f"{dst}.manifest")
    progress(f"compacting {len(objects):,} objects ({total / 2 ** 20:,.1f} MiB) from {src} into {files} gzip parts")
    with tempfile.TemporaryDirectory(prefix="spk-compact-") as tmp:
        paths = [Path(tmp) / f"part-{i:05d}-of-{files:05d}.json.gz" for i in range(files)]
        report.records_in, report.part_bytes = _pack(objects, paths, progress)
        report.records_out = sum(count_records(SourceObject(str(p), lambda p=p: open(p, "rb"))) for p in paths)
        if report.records_out != report.records_in:
            raise CompactError(f"{src}: {report.records_in:,} records read but {report.records_out:,} in the parts; "
                               "nothing written")
        report.parts = [_put(p, f"{dst}/{p.name}", clients) for p in paths]
    _write_manifest(report, clients)
    stale = [o for o in _list_quietly(dst + "/", clients) if PART.search(o.name) and o.name not in report.parts]
    _remove(stale + (objects if remove_sources else []), clients)
    report.removed = len(objects) if remove_sources else 0
    progress(f"compacted: {report.records_in:,} records in = {report.records_out:,} out, {files} parts "
             f"({sum(report.part_bytes) / 2 ** 20:,.1f} MiB gzip), manifest {report.manifest}"
             + (f"; {report.removed:,} source objects removed" if remove_sources else ""))
    return report


def _pack(objects: list[SourceObject], paths: list[Path], progress: Progress) -> tuple[int, list[int]]:
    """Each object's bytes into the part with the fewest bytes so far; records counted as read."""
    writers = [gzip.open(p, "wb", compresslevel=6) for p in paths]
    sizes = [0] * len(paths)
    count = 0
    try:
        for done, obj in enumerate(objects, 1):
            data = _object_bytes(obj)
            plain = obj.name[:-3] if obj.name.endswith(".gz") else obj.name
            count += count_records(SourceObject(plain, lambda data=data: _Bytes(data), len(data)))
            i = sizes.index(min(sizes))
            writers[i].write(data)
            sizes[i] += len(data)
            if done % 5000 == 0:
                progress(f"  {done:,}/{len(objects):,} objects, {count:,} records")
    finally:
        for writer in writers:
            writer.close()
    return count, [p.stat().st_size for p in paths]


class _Bytes:
    """A read-only stream over bytes already in memory (what ``SourceObject.open`` returns)."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.at + size
        out, self.at = self.data[self.at:end], min(end, len(self.data))
        return out

    def close(self) -> None:
        pass


def _put(path: Path, uri: str, clients: Clients | None) -> str:
    if uri.startswith("s3://"):
        bucket, key = parse_s3_uri(uri)
        with open(path, "rb") as body:
            clients("s3").put_object(Bucket=bucket, Key=key, Body=body)
    else:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        Path(uri).write_bytes(path.read_bytes())
    return uri


def _write_manifest(report: CompactReport, clients: Clients | None) -> None:
    """The Redshift manifest of the parts: ``url`` and ``mandatory`` (what COPY reads) and
    ``meta.content_length`` (optional for COPY, as UNLOAD writes it)."""
    entries = [{"url": url, "mandatory": True, "meta": {"content_length": size}}
               for url, size in zip(report.parts, report.part_bytes)]
    body = json.dumps({"entries": entries}, indent=2).encode()
    if report.manifest.startswith("s3://"):
        bucket, key = parse_s3_uri(report.manifest)
        clients("s3").put_object(Bucket=bucket, Key=key, Body=body)
    else:
        Path(report.manifest).parent.mkdir(parents=True, exist_ok=True)
        Path(report.manifest).write_bytes(body)


def _list_quietly(uri: str, clients: Clients | None) -> list[SourceObject]:
    try:
        return sources.list_sources(uri, clients)
    except LoadError:  # no such folder yet
        return []


def _remove(objects: list[SourceObject], clients: Clients | None) -> None:
    by_bucket: dict[str, list[str]] = {}
    for obj in objects:
        if obj.name.startswith("s3://"):
            bucket, key = parse_s3_uri(obj.name)
            by_bucket.setdefault(bucket, []).append(key)
        else:
            Path(obj.name).unlink(missing_ok=True)
    for bucket, keys in by_bucket.items():
        for i in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys a call
            clients("s3").delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]],
                                                                "Quiet": True})


def is_manifest(uri: Any) -> bool:
    """A source that names a manifest (by its ``.manifest`` ending) rather than a prefix or folder
    (or than objects already chosen, as a daily load passes them)."""
    return isinstance(uri, str) and uri.endswith(".manifest")


def manifest_objects(uri: str, clients: Clients | None = None) -> list[SourceObject]:
    """The objects a manifest lists, as Redshift COPY ... MANIFEST reads them: an
    entry that is missing fails the load when ``mandatory`` (default false), else
    is skipped; no object found at all fails it too. Entries may be local paths
    on the ``local`` target (Redshift takes s3:// URLs only)."""
    entries = _entries(uri, clients)
    found = []
    for n, entry in enumerate(entries, 1):
        url = entry.get("url", "") if isinstance(entry, dict) else ""
        listed = _list_quietly(url, clients) if url else []
        match = [o for o in listed if o.name == url]
        if match:
            found.append(match[0])
        elif isinstance(entry, dict) and entry.get("mandatory", False):
            raise LoadError(f"manifest {uri}: entry {n} ({url or 'no url'}) not found and mandatory")
    if not found:
        raise LoadError(f"manifest {uri}: none of its {len(entries)} entries found (Redshift COPY fails the same way)")
    return found


def _entries(uri: str, clients: Clients | None) -> list[Any]:
    try:
        text = (_get_s3(uri, clients) if uri.startswith("s3://") else Path(uri).read_bytes())
        entries = s3uri.manifest_entries(text)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(f"manifest {uri}: cannot be read as a manifest ({exc}); COPY fails the same way") from None
    return entries


def manifest_urls(uri: str, clients: Clients | None = None) -> list[str]:
    """The ``url`` of every entry of the manifest ``uri`` (what 01 grants the COPY
    role, :mod:`sparkify_nb.iam.reach`), without looking for the objects.
    Raises :class:`LoadError` when it cannot be read as a manifest; a botocore
    error (no such key, access denied) passes through."""
    return s3uri.manifest_urls(_entries(uri, clients))


def _get_s3(uri: str, clients: Clients | None) -> bytes:
    if clients is None:
        raise ValueError("reading S3 needs the step's aws.Clients")
    bucket, key = parse_s3_uri(uri)
    return clients("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


def compact_sample(settings: Settings, clients: Clients, enabled: bool = True,
                   progress: Progress = print) -> CompactReport | None:
    """01's ``compact`` parameter, on ``local``: pack the sample's song files in
    place (``song_data/`` then holds only the gzip parts; the manifest goes to
    ``manifests/song_data.manifest``, outside the prefix 03 reads), so that 03
    loads them like any other source. ``enabled`` False removes the parts of an
    earlier compacted seed, so the fresh song files are not loaded twice. On
    ``redshift`` nothing is done: pack your own sources with ``sparkify-nb compact``."""
    if not settings.is_local:
        if enabled:
            progress("compact: on redshift, pack your sources with `sparkify-nb compact SRC DST` and give 03 "
                     "the manifest")
        return None
    src = settings.source_uri("song_data").rstrip("/")
    manifest = f"{src}.manifest"
    if src.startswith("s3://"):
        bucket, prefix = parse_s3_uri(src)
        manifest = f"s3://{bucket}/manifests/{prefix.rsplit('/', 1)[-1] or 'song_data'}.manifest"
    listed = _list_quietly(src + "/", clients)
    parts = [o for o in listed if PART.search(o.name)]
    if not enabled:
        _remove(parts, clients)
        if parts:
            progress(f"compact: removed {len(parts)} parts of an earlier compacted sample")
        return None
    if len(parts) == len(listed):
        progress(f"compact: {src} holds only parts already")
        return None
    return compact(src + "/", src, settings=settings, clients=clients, manifest=manifest, remove_sources=True,
                   progress=progress)
