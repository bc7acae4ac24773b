"""Filling the staging tables from the raw files.

``redshift``: the COPY statements (``FORMAT AS JSON``, jsonpaths for events,
``'auto'`` for songs, ``TIMEFORMAT 'epochmillisecs'``), then the rows of
``stl_load_errors`` for that load.

``local``: the COPY emulator of DESIGN.md. It reads every object under an
``s3://bucket/prefix`` (the emulator's S3) or a local folder, plain or ``.gz``,
fetching objects concurrently; maps each JSON record onto the columns by a
jsonpaths file (positional) or ``'auto'`` (key = column name); converts each
value to its column's type; and streams the good rows into PostgreSQL with
``COPY FROM STDIN``. A record that does not convert is rejected and written
to ``load_errors`` (shaped like ``stl_load_errors``: file, line, column, raw
value, reason). More rejects than ``max_errors`` abort the load and leave
staging as it was; otherwise the good rows commit together. Every record ends
up in staging or in ``load_errors``.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import math
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from . import SparkifyError, aws, schema, state, warehouse
from .config import Settings
from .paths import display_path

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
EPOCH = datetime(1970, 1, 1)
FETCH_THREADS = 8


class LoadError(SparkifyError):
    """A staging load failed or was aborted (too many rejects); nothing was committed."""


class RejectedValue(ValueError):
    """A value does not convert to its column's type."""


# --- sources ------------------------------------------------------------------

@dataclass(frozen=True)
class SourceObject:
    name: str          # s3://bucket/key or a local path, as reported in load_errors
    read: Callable[[], bytes]


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix


def list_sources(settings: Settings, uri: str) -> list[SourceObject]:
    """Every object under ``uri`` (``s3://bucket/prefix`` or a local file or folder), sorted by name."""
    if uri.startswith("s3://"):
        s3 = aws.client(settings, "s3")
        bucket, prefix = _split_s3(uri)
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/")]
        return [SourceObject(f"s3://{bucket}/{k}", lambda k=k: s3.get_object(Bucket=bucket, Key=k)["Body"].read())
                for k in sorted(keys)]
    root = Path(uri).expanduser()
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    else:
        raise LoadError(f"source {uri}: no such file or folder")
    return [SourceObject(str(p), p.read_bytes) for p in files]


def read_jsonpaths(settings: Settings, uri: str) -> list[str]:
    """The field names of a jsonpaths file (``$['field']`` or ``$.field``), in order."""
    if uri.startswith("s3://"):
        bucket, key = _split_s3(uri)
        raw = aws.client(settings, "s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    else:
        raw = Path(uri).expanduser().read_bytes()
    try:
        paths = json.loads(raw)["jsonpaths"]
    except (ValueError, KeyError, TypeError):
        raise LoadError(f"{uri}: not a jsonpaths file (expected {{\"jsonpaths\": [...]}})") from None
    fields = []
    for i, expr in enumerate(paths):
        match = re.fullmatch(r"\$\[['\"](.+)['\"]\]|\$\.([A-Za-z_][A-Za-z0-9_]*)", expr.strip())
        if not match:
            raise LoadError(f"{uri}: jsonpath #{i + 1} {expr!r} is not a simple top-level field")
        fields.append(match.group(1) or match.group(2))
    return fields


# --- conversion ----------------------------------------------------------------

def _varchar(limit: int) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            value = repr(value)
        text = str(value)
        if "\x00" in text:
            raise RejectedValue("NUL character in string")
        if len(text.encode("utf-8")) > limit:
            raise RejectedValue(f"String length exceeds DDL length ({len(text.encode('utf-8'))} > {limit} bytes)")
        return text
    return convert


def _integer(bits: int) -> Callable[[Any], int]:
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def convert(value: Any) -> int:
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise RejectedValue("Invalid digit: not an integer")
        if isinstance(value, float):
            if not value.is_integer():
                raise RejectedValue("Invalid digit: fractional value for an integer column")
            value = int(value)
        elif isinstance(value, str):
            if not re.fullmatch(r"\s*[+-]?\d+\s*", value):
                raise RejectedValue("Invalid digit: not an integer")
            value = int(value)
        if not lo <= value <= hi:
            raise RejectedValue(f"Overflow: out of range for a {bits}-bit integer")
        return value
    return convert


def _double(value: Any) -> float:
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise RejectedValue("Invalid digit: not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RejectedValue("Invalid digit: not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise RejectedValue("Invalid digit: not a finite number")
    return number


def _epoch_millis(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RejectedValue("Invalid timestamp: epochmillisecs must be a number")
    try:
        millis = float(value)
        stamp = EPOCH + timedelta(milliseconds=millis)
    except (ValueError, OverflowError):
        raise RejectedValue("Invalid timestamp: epochmillisecs out of range") from None
    return stamp.isoformat(sep=" ")


def converter(column: schema.Column) -> Callable[[Any], Any]:
    """The function that turns a JSON value into the text COPY takes for ``column``."""
    kind = column.type.upper()
    if kind.startswith("VARCHAR"):
        return _varchar(int(re.search(r"\((\d+)\)", kind).group(1)))
    if kind == "INTEGER":
        return _integer(32)
    if kind == "BIGINT":
        return _integer(64)
    if kind == "DOUBLE PRECISION":
        return _double
    if kind == "TIMESTAMP":
        return _epoch_millis
    raise ValueError(f"no converter for type {column.type}")


# --- records ---------------------------------------------------------------------

@dataclass
class Reject:
    filename: str
    line_number: int
    colname: str
    type: str
    raw_line: str
    raw_field_value: str
    err_reason: str


@dataclass
class LoadReport:
    table: str
    files: int = 0
    records: int = 0
    loaded: int = 0
    rejected: int = 0
    seconds: float = 0.0
    rejects: list[Reject] = field(default_factory=list)

    def as_row(self) -> dict[str, Any]:
        return {"table": self.table, "files": self.files, "records": self.records, "loaded": self.loaded,
                "rejected": self.rejected, "seconds": round(self.seconds, 2)}


def iter_records(name: str, data: bytes) -> Iterator[tuple[int, str, Any]]:
    """``(line number, raw text, parsed value or exception)`` per record.

    Newline-delimited JSON (CRLF and blank lines allowed); a file that is one
    JSON document over several lines is one record at line 1."""
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            yield 1, "", RejectedValue(f"not a valid gzip file: {exc}")
            return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and not _parses(lines[0]):
            # one pretty-printed JSON document rather than one record per line
            try:
                whole = json.loads(text)
            except ValueError:
                whole = None
            if isinstance(whole, dict):
                yield 1, text.strip()[:4096], whole
                return
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, raw.decode("utf-8", "replace")[:4096], RejectedValue(f"Invalid UTF-8 at byte {exc.start}")
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            yield number, line[:4096], RejectedValue(f"Invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(value, dict):
            yield number, line[:4096], RejectedValue("Invalid JSON: a record must be an object")
            continue
        yield number, line, value


def _parses(line: str) -> bool:
    try:
        json.loads(line)
        return True
    except ValueError:
        return False


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return str(value)


class _RowStream(io.RawIOBase):
    """A file-like object over an iterator of CSV lines, for ``copy_expert``:
    rows stream into PostgreSQL without the whole load in memory."""

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._lines, None)
            if chunk is None:
                break
            self._buffer += chunk.encode("utf-8")
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _fetch_all(objects: list[SourceObject]) -> Iterator[tuple[SourceObject, bytes]]:
    """Objects with their bytes, fetched concurrently, in order, a bounded window at a time."""
    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        window = FETCH_THREADS * 4
        for start in range(0, len(objects), window):
            batch = objects[start:start + window]
            for obj, data in zip(batch, pool.map(lambda o: o.read(), batch)):
                yield obj, data


def _rows(table: schema.Table, objects: list[SourceObject], fields: list[str] | None,
          report: LoadReport, progress: Progress) -> Iterator[str]:
    columns = table.columns
    converters = [converter(c) for c in columns]
    keys = fields if fields is not None else [c.name for c in columns]
    last_note = time.monotonic()
    for obj, data in _fetch_all(objects):
        report.files += 1
        for line_number, raw, value in iter_records(obj.name, data):
            report.records += 1
            if isinstance(value, Exception):
                report.rejects.append(Reject(obj.name, line_number, "", "", raw[:4096], raw[:1024], str(value)))
                continue
            out = []
            try:
                for col, key, convert in zip(columns, keys, converters):
                    item = value.get(key)
                    out.append(None if item is None else convert(item))
            except RejectedValue as exc:
                shown = item if isinstance(item, str) else json.dumps(item)
                report.rejects.append(Reject(obj.name, line_number, col.name, col.type, raw[:4096],
                                             str(shown)[:1024], str(exc)))
                continue
            report.loaded += 1
            yield ",".join(_csv_field(v) for v in out) + "\n"
        if time.monotonic() - last_note > 5:
            progress(f"  {table.name}: {report.files}/{len(objects)} files, {report.loaded:,} rows, "
                     f"{len(report.rejects)} rejected")
            last_note = time.monotonic()


def load_local(settings: Settings, conn: Any, table: schema.Table, source: str, jsonpaths: str | None,
               max_errors: int, progress: Progress = print) -> LoadReport:
    """Reload ``table`` from ``source`` with the COPY emulator (see the module doc).

    Raises :class:`LoadError` when more than ``max_errors`` records are
    rejected; staging is then unchanged and the rejects are in ``load_errors``."""
    t0 = time.monotonic()
    fields = read_jsonpaths(settings, jsonpaths) if jsonpaths else None
    if fields is not None and len(fields) != len(table.columns):
        raise LoadError(f"{jsonpaths}: {len(fields)} jsonpaths for {len(table.columns)} columns of {table.name}")
    objects = list_sources(settings, source)
    if not objects:
        raise LoadError(f"source {source}: no objects to load")
    report = LoadReport(table.name)
    load_id = uuid.uuid4().hex
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    columns = ", ".join(f'"{c}"' for c in table.column_names)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DELETE FROM "{table.name}"')
            cur.copy_expert(f'COPY "{table.name}" ({columns}) FROM STDIN WITH (FORMAT csv)',
                            _RowStream(_rows(table, objects, fields, report, progress)))
        report.rejected = len(report.rejects)
        if report.rejected > max_errors:
            conn.rollback()
        else:
            _record_rejects(conn, load_id, started, table.name, report.rejects)
            conn.commit()
    except BaseException:
        conn.rollback()
        raise
    report.seconds = time.monotonic() - t0
    if report.rejected > max_errors:
        _record_rejects(conn, load_id, started, table.name, report.rejects)
        conn.commit()
        first = report.rejects[0]
        raise LoadError(
            f"{table.name}: {report.rejected} records rejected, more than max_errors={max_errors}; load rolled back, "
            f"staging unchanged. First: {first.filename} line {first.line_number}"
            f"{' column ' + first.colname if first.colname else ''}: {first.err_reason}. "
            f"All of them are in load_errors (load_id {load_id})")
    progress(f"{table.name}: {report.loaded:,} rows from {report.files} files, {report.rejected} rejected, "
             f"{report.seconds:.1f} s")
    return report


def _record_rejects(conn: Any, load_id: str, started: datetime, table: str, rejects: list[Reject]) -> None:
    if not rejects:
        return
    names = ("load_id", "starttime", "tbl", "filename", "line_number", "colname", "type", "raw_line",
             "raw_field_value", "err_code", "err_reason")
    lines = (",".join(_csv_field(v) for v in (load_id, started.isoformat(sep=" "), table, r.filename, r.line_number,
                                                r.colname, r.type, r.raw_line.replace("\x00", ""),
                                                r.raw_field_value.replace("\x00", ""), 1200, r.err_reason)) + "\n"
             for r in rejects)
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY load_errors ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)", _RowStream(lines))


# --- Redshift -------------------------------------------------------------------

def copy_statement(settings: Settings, table: schema.Table, source: str, jsonpaths: str | None,
                   role_arn: str, max_errors: int) -> str:
    """The Redshift COPY for ``table`` (``jsonpaths`` None means ``'auto'``)."""
    for uri in (source, jsonpaths or "s3://"):
        if not uri.startswith("s3://") or "'" in uri:
            raise LoadError(f"Redshift COPY needs an s3:// source, not {uri!r}")
    json_option = f"'{jsonpaths}'" if jsonpaths else "'auto'"
    return (f"COPY \"{table.name}\" FROM '{source}'\n"
            f"IAM_ROLE '{role_arn}'\n"
            f"FORMAT AS JSON {json_option}\n"
            f"TIMEFORMAT 'epochmillisecs'\n"
            f"REGION '{settings.region}'\n"
            f"COMPUPDATE OFF STATUPDATE OFF\n"
            f"MAXERROR {int(max_errors)}")


def load_redshift(settings: Settings, conn: Any, table: schema.Table, source: str, jsonpaths: str | None,
                  max_errors: int, progress: Progress = print) -> LoadReport:
    """Reload ``table`` with Redshift COPY; report loaded rows and load errors."""
    t0 = time.monotonic()
    record = state.load(settings, required=True)
    sql = copy_statement(settings, table, source, jsonpaths, record["role_arn"], max_errors)
    report = LoadReport(table.name)
    with conn.cursor() as cur:
        try:
            cur.execute(f'DELETE FROM "{table.name}"')
            cur.execute(sql)
            cur.execute("SELECT pg_last_copy_count()")
            report.loaded = cur.fetchone()[0]
            cur.execute("SELECT pg_last_copy_id()")
            query_id = cur.fetchone()[0]
            conn.commit()
        except Exception as exc:
            conn.rollback()
            raise LoadError(f"{table.name}: COPY failed: {str(exc).strip()}") from None
    errors = warehouse.query(conn, "SELECT TRIM(filename) AS filename, line_number, TRIM(colname) AS colname, "
                                   "TRIM(raw_field_value) AS raw_field_value, TRIM(err_reason) AS err_reason "
                                   "FROM stl_load_errors WHERE query = %s ORDER BY line_number", (query_id,))
    report.rejects = [Reject(r.filename, r.line_number, r.colname, "", "", r.raw_field_value, r.err_reason)
                      for r in errors.itertuples()]
    report.rejected = len(report.rejects)
    report.records = report.loaded + report.rejected
    report.seconds = time.monotonic() - t0
    progress(f"{table.name}: {report.loaded:,} rows, {report.rejected} rejected, {report.seconds:.1f} s")
    return report


def load_staging(settings: Settings, conn: Any, song_data: str = "", log_data: str = "", log_jsonpath: str = "",
                 max_errors: int | None = None, progress: Progress = print) -> list[LoadReport]:
    """Reload both staging tables from the sources (defaults: the settings).

    Returns one :class:`LoadReport` per table; raises :class:`LoadError` when a
    load aborts."""
    song_data = song_data or settings.source_uri("song_data")
    log_data = log_data or settings.source_uri("log_data")
    log_jsonpath = log_jsonpath or settings.source_uri("log_jsonpath")
    max_errors = settings.get("etl", "max_errors") if max_errors is None else int(max_errors)
    load = load_local if settings.is_local else load_redshift
    progress(f"loading staging_songs from {_shown(song_data)} and staging_events from {_shown(log_data)}")
    return [load(settings, conn, schema.STAGING_SONGS, song_data, None, max_errors, progress),
            load(settings, conn, schema.STAGING_EVENTS, log_data, log_jsonpath, max_errors, progress)]


def _shown(uri: str) -> str:
    return uri if uri.startswith("s3://") else display_path(Path(uri))


def report_frame(reports: Iterable[LoadReport]) -> Any:
    """The load report as a DataFrame: files, records, loaded, rejected, seconds."""
    import pandas as pd

    return pd.DataFrame([r.as_row() for r in reports]).set_index("table")


def rejects_frame(reports: Iterable[LoadReport]) -> Any:
    import pandas as pd

    rows = [{"table": rep.table, "file": r.filename, "line": r.line_number, "column": r.colname,
             "raw_value": r.raw_field_value[:80], "reason": r.err_reason} for rep in reports for r in rep.rejects]
    return pd.DataFrame(rows, columns=["table", "file", "line", "column", "raw_value", "reason"])
