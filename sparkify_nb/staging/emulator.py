"""Filling the staging tables from the raw files.

``redshift``: the COPY statements (``FORMAT AS JSON``, jsonpaths for events,
``'auto'`` for songs, ``TIMEFORMAT 'epochmillisecs'``), then the rows of
``stl_load_errors`` for that load.

``local``: the COPY emulator of DESIGN.md, written to behave like Redshift's
``COPY ... FORMAT AS JSON``:

- sources: every object under an ``s3://bucket/prefix`` (key prefix match, as
  Redshift) or every file under a local folder (or one file), plain or ``.gz``.
  Objects are fetched and parsed by :data:`FETCH_THREADS` worker threads and
  read in blocks, so memory stays bounded (about :data:`QUEUE_CHUNKS` chunks
  of :data:`CHUNK_ROWS` rows) whatever the size of the input.
- records: newline-delimited JSON objects; blank lines and CRLF line ends are
  fine; an object may span several lines (a pretty-printed song file), up to
  Redshift's 4 MB per object.
- mapping: a jsonpaths file (positional: the n-th path fills the n-th column;
  ``$['key']``, ``$.key`` and nested ``$['a']['b']`` / ``[0]``) or ``'auto'``
  (top-level key = column name, case-sensitive). A missing field is NULL, an
  unknown field is ignored.
- conversion: per column, compiled once per load. A value that does not
  convert to its column's type, or is longer than the column (VARCHAR lengths
  are bytes of UTF-8, as on Redshift), rejects its record. An empty string in a
  numeric or timestamp column is NULL ("empty fields for other data types,
  such as INT, are always loaded with NULL"). Timestamps are epoch
  milliseconds, UTC (``TIMEFORMAT 'epochmillisecs'``).
- rejects: every rejected record goes to ``load_errors`` (shaped like
  ``stl_load_errors``: file, line, column, type, raw line, raw value, Redshift
  error code, reason). More than ``max_errors`` rejects abort the load: the
  transaction is rolled back, staging is as it was, the rejects seen are kept
  in ``load_errors``. Otherwise the good rows and the rejects commit together.
  Nothing is lost: ``loaded + rejected == records``.
- rows go into PostgreSQL through ``COPY ... FROM STDIN`` (CSV), never INSERT.

Known differences from Redshift, by choice: two JSON objects on one line are
one invalid record (Redshift would read both); a damaged ``.gz`` stream is one
rejected record at the line where it broke, not a failed COPY.

Example::

    >>> from sparkify_nb import config, staging, warehouse   # doctest: +SKIP
    >>> settings = config.load()
    >>> with warehouse.connect(settings) as conn:
    ...     reports = staging.load_staging(settings, conn)
    >>> staging.report_frame(reports)    # files, records, loaded, rejected, seconds
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import math
import queue
import re
import threading
import time
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from .. import SparkifyError, aws
from ..config import Settings
from ..infra import state
from ..paths import display_path
from ..warehouse import connect as warehouse, schema

try:  # orjson parses a line several times faster than json; both give the same values
    import orjson as _orjson

    _loads: Callable[[bytes], Any] = _orjson.loads
    _dumps: Callable[[Any], str] = lambda v: _orjson.dumps(v).decode()
except ImportError:  # pragma: no cover - orjson is a dependency
    _loads = json.loads
    _dumps = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

FETCH_THREADS = 8          # S3 objects fetched and parsed at once (the emulator's latency dominates)
LOCAL_THREADS = 2          # local files: more threads only contend for the GIL
READ_BLOCK = 1 << 20       # bytes read from an object at a time
CHUNK_ROWS = 4096          # rows per block handed to COPY
QUEUE_CHUNKS = 16          # blocks waiting for COPY at most (bounds memory)
MAX_OBJECT_BYTES = 4 << 20  # Redshift: a JSON object may be at most 4 MB
RAW_CHARS = 1024           # stl_load_errors keeps raw_line and raw_field_value as char(1024)

# Redshift load error codes (Load error reference, stl_load_errors.err_code)
ERR_RANGE = 1204       # input exceeded the acceptable range / string length exceeds DDL length
ERR_TIMESTAMP = 1206   # timestamp format is not valid
ERR_DIGIT = 1207       # value outside of the expected range 0-9
ERR_FLOAT = 1208       # FLOAT data type format error
ERR_LINE = 1216        # input line is not valid (here: a damaged .gz stream)
ERR_UTF8 = 1220        # invalid or unsupported UTF-8 code points
ERR_OVERFLOW = 1222    # integer value overflow
ERR_TYPE = 1223        # invalid data type (an object or array for a scalar column)
ERR_JSON = 1224        # malformed JSON


class LoadError(SparkifyError):
    """A staging load failed or was aborted (too many rejects); nothing was committed.

    ``report`` holds the :class:`LoadReport` so far, when there is one."""

    def __init__(self, message: str, report: "LoadReport | None" = None):
        super().__init__(message)
        self.report = report


class RejectedValue(ValueError):
    """A value does not convert to its column's type (``code``: Redshift err_code)."""

    def __init__(self, reason: str, code: int = ERR_DIGIT, column: int = -1, value: Any = None):
        super().__init__(reason)
        self.reason, self.code, self.column, self.value = reason, code, column, value


# --- sources ------------------------------------------------------------------

@dataclass(frozen=True)
class SourceObject:
    """One input object: ``name`` is ``s3://bucket/key`` or a local path, as
    reported in ``load_errors``; ``open()`` returns a binary stream of its bytes
    (still compressed for ``.gz``)."""

    name: str
    open: Callable[[], BinaryIO]
    size: int = 0


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix


def list_sources(settings: Settings, uri: str) -> list[SourceObject]:
    """Every object under ``uri``, sorted by name.

    ``s3://bucket/prefix``: every key that starts with ``prefix`` (as Redshift
    COPY), folders markers excluded. A local folder: every file below it
    (hidden files excluded); a local file: that file. Raises :class:`LoadError`
    when a local path does not exist or the bucket cannot be listed."""
    if uri.startswith("s3://"):
        s3 = aws.client(settings, "s3")
        bucket, prefix = _split_s3(uri)
        found = []
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                found += [(o["Key"], o.get("Size", 0)) for o in page.get("Contents", []) if not o["Key"].endswith("/")]
        except Exception as exc:  # botocore ClientError / EndpointConnectionError
            raise LoadError(f"source {uri}: cannot list objects: {exc}") from None
        return [SourceObject(f"s3://{bucket}/{k}", lambda k=k: s3.get_object(Bucket=bucket, Key=k)["Body"], size)
                for k, size in sorted(found)]
    root = Path(uri).expanduser()
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = sorted(p for p in root.rglob("*")
                       if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
    else:
        raise LoadError(f"source {uri}: no such file or folder")
    return [SourceObject(str(p), lambda p=p: open(p, "rb"), p.stat().st_size) for p in files]


_PATH_STEP = re.compile(r"""\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*(\d+)\s*\]|\.([A-Za-z_][A-Za-z0-9_]*)""")


def parse_jsonpath(expr: str) -> tuple[str | int, ...]:
    """The steps of one JSONPath expression (``$['a']['b']``, ``$.a.b``, ``$['a'][0]``).

    Raises ValueError for anything else (filters, wildcards, slices: Redshift
    does not take them either)."""
    text = expr.strip()
    if not text.startswith("$"):
        raise ValueError("must start with $")
    steps: list[str | int] = []
    pos = 1
    while pos < len(text):
        match = _PATH_STEP.match(text, pos)
        if not match:
            raise ValueError(f"unexpected {text[pos:pos + 10]!r} at position {pos}")
        key = match.group(1) if match.group(1) is not None else match.group(2)
        if key is not None:
            steps.append(key)
        elif match.group(3) is not None:
            steps.append(int(match.group(3)))
        else:
            steps.append(match.group(4))
        pos = match.end()
    if not steps:
        raise ValueError("names no field")
    return tuple(steps)


def read_jsonpaths(settings: Settings, uri: str) -> list[tuple[str | int, ...]]:
    """The paths of a jsonpaths file (s3:// or local), in order, each as its steps.

    Raises :class:`LoadError` naming the file and the path that is wrong."""
    try:
        if uri.startswith("s3://"):
            bucket, key = _split_s3(uri)
            raw = aws.client(settings, "s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        else:
            raw = Path(uri).expanduser().read_bytes()
    except Exception as exc:
        raise LoadError(f"jsonpaths file {uri}: cannot be read: {exc}") from None
    try:
        paths = json.loads(raw)["jsonpaths"]
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise LoadError(f"{uri}: not a jsonpaths file (expected {{\"jsonpaths\": [\"$['field']\", ...]}})") from None
    out = []
    for i, expr in enumerate(paths):
        try:
            out.append(parse_jsonpath(expr))
        except ValueError as exc:
            raise LoadError(f"{uri}: jsonpath #{i + 1} {expr!r}: {exc}") from None
    return out


# --- conversion ----------------------------------------------------------------

EPOCH = datetime(1970, 1, 1)
_MAX_MILLIS = 253402300800000      # 10000-01-01 00:00:00 UTC
_MIN_MILLIS = -62135596800000      # 0001-01-01 00:00:00 UTC
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def _kind(column: schema.Column) -> tuple[str, int]:
    kind = column.type.upper()
    if kind.startswith("VARCHAR"):
        return "varchar", int(re.search(r"\((\d+)\)", kind).group(1))
    if kind == "INTEGER":
        return "integer", 32
    if kind == "BIGINT":
        return "integer", 64
    if kind == "DOUBLE PRECISION":
        return "double", 0
    if kind == "TIMESTAMP":
        return "timestamp", 0
    raise ValueError(f"column {column.name}: the COPY emulator has no converter for type {column.type}")


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _varchar(limit: int) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if isinstance(value, str):
            text = value
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            text = _dumps(value)
        elif isinstance(value, float):
            text = repr(value)
        else:
            text = str(value)
        if "\x00" in text:
            raise RejectedValue("Invalid null byte (NUL) in string", ERR_UTF8)
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:
            raise RejectedValue("String contains invalid or unsupported UTF-8 codepoints (lone surrogate)",
                                ERR_UTF8) from None
        if size > limit:
            raise RejectedValue(f"String length exceeds DDL length ({size} > {limit} bytes)", ERR_RANGE)
        return _quote(text)
    return convert


def _integer(bits: int) -> Callable[[Any], str]:
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    label = "Integer" if bits == 32 else "Long"

    def convert(value: Any) -> str:
        if isinstance(value, bool):
            raise RejectedValue(f"Invalid digit, Type: {label} (a boolean)", ERR_DIGIT)
        if isinstance(value, (dict, list)):
            raise RejectedValue(f"Invalid data type: a JSON {type(value).__name__} for a {label} column", ERR_TYPE)
        if isinstance(value, float):
            raise RejectedValue(f"Invalid digit, Value '.', Type: {label} (a fraction or exponent)", ERR_DIGIT)
        if isinstance(value, str):
            if value == "":
                return ""
            if not _INTEGER.fullmatch(value):
                raise RejectedValue(f"Invalid digit, Type: {label}", ERR_DIGIT)
            value = int(value)
        if not lo <= value <= hi:
            raise RejectedValue(f"Overflow, out of range for {label} ({bits}-bit)", ERR_OVERFLOW)
        return str(value)
    return convert


def _double(value: Any) -> str:
    if isinstance(value, bool):
        raise RejectedValue("FLOAT data type format error (a boolean)", ERR_FLOAT)
    if isinstance(value, (dict, list)):
        raise RejectedValue(f"Invalid data type: a JSON {type(value).__name__} for a FLOAT column", ERR_TYPE)
    if isinstance(value, str):
        if value == "":
            return ""
        if not _NUMBER.fullmatch(value):
            raise RejectedValue("FLOAT data type format error (not a number)", ERR_FLOAT)
    elif isinstance(value, int) and -9007199254740992 <= value <= 9007199254740992:
        return str(value)  # exact as a double; the same text as the compiled fast path
    try:
        number = float(value)
    except OverflowError:
        raise RejectedValue("Overflow, out of range for FLOAT", ERR_RANGE) from None
    if math.isnan(number) or math.isinf(number):
        raise RejectedValue("Overflow, out of range for FLOAT", ERR_RANGE)
    return repr(number)


def _epoch_millis(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RejectedValue("Invalid timestamp format: epochmillisecs must be a number", ERR_TIMESTAMP)
    if isinstance(value, str):
        if value == "":
            return ""
        if not _NUMBER.fullmatch(value):
            raise RejectedValue("Invalid timestamp format: epochmillisecs must be a number", ERR_TIMESTAMP)
        value = float(value) if any(c in value for c in ".eE") else int(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise RejectedValue("Invalid timestamp format: epochmillisecs must be finite", ERR_TIMESTAMP)
    if not _MIN_MILLIS <= value < _MAX_MILLIS:
        raise RejectedValue("Invalid timestamp format: epochmillisecs out of range (years 1 to 9999)", ERR_TIMESTAMP)
    return (EPOCH + timedelta(milliseconds=value)).isoformat(sep=" ")


def converter(column: schema.Column) -> Callable[[Any], str]:
    """The function that turns a (non-null) JSON value into the CSV field COPY
    takes for ``column`` (quoted text, a number, or empty for NULL).

    Raises :class:`RejectedValue` (with a Redshift err_code) when the value
    does not convert; ValueError for a column type the emulator does not know."""
    kind, size = _kind(column)
    if kind == "varchar":
        return _varchar(size)
    if kind == "integer":
        return _integer(size)
    if kind == "double":
        return _double
    return _epoch_millis


_DAYS: dict[int, str] = {}  # days since 1970-01-01 -> "YYYY-MM-DD "


def _day_text(days: int) -> str:
    text = _DAYS.get(days)
    if text is None:
        text = _DAYS[days] = (EPOCH + timedelta(days=days)).date().isoformat() + " "
    return text


def _accessor(steps: tuple[str | int, ...]) -> Callable[[Any], Any]:
    def get(record: Any) -> Any:
        for step in steps:
            if isinstance(step, int):
                if not isinstance(record, list) or step >= len(record):
                    return None
            elif not isinstance(record, dict):
                return None
            else:
                record = record.get(step)
                continue
            record = record[step]
        return record
    return get


_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(86400)]  # seconds of day -> "HH:MM:SS."
_MILLIS = [f"{m:03d}" for m in range(1000)]


def compile_row(table: schema.Table, paths: list[tuple[str | int, ...]] | None,
                careful: bool = False) -> Callable[[dict], str]:
    """A function ``record -> CSV line`` (no line end) for ``table``, generated
    once per load so that the common cases (a short ASCII string, an int in
    range, a finite float, whole epoch milliseconds) cost a type check and a
    format each; everything else goes through :func:`converter`. ``paths``
    None means ``'auto'``. ``careful``: every value through :func:`converter`
    (used for records that hold an escaped NUL, which the fast path does not
    look for).

    The function raises :class:`RejectedValue` with ``column`` (index) and
    ``value`` set when a value does not convert."""
    paths = paths if paths is not None else [(c.name,) for c in table.columns]
    ns: dict[str, Any] = {"_day": _day_text, "_days": _DAYS, "_clock": _CLOCK, "_millis": _MILLIS}
    n = len(table.columns)
    lines = ["def row(rec):"]
    flat = all(len(steps) == 1 and isinstance(steps[0], str) for steps in paths)
    if flat and len({steps[0] for steps in paths}) == n:
        # Files written by one program keep their keys in one order: then one unpacking
        # replaces a lookup per column.
        ns["_keys"] = tuple(steps[0] for steps in paths)
        lines += [f"    if len(rec) == {n} and tuple(rec) == _keys:",
                  "        " + ", ".join(f"v{i}" for i in range(n)) + ", = rec.values()",
                  "    else:",
                  "        get = rec.get"]
        lines += [f"        v{i} = get({steps[0]!r})" for i, steps in enumerate(paths)]
    else:
        lines.append("    get = rec.get")
        for i, steps in enumerate(paths):
            if len(steps) == 1 and isinstance(steps[0], str):
                lines.append(f"    v{i} = get({steps[0]!r})")
            else:
                ns[f"_get{i}"] = _accessor(steps)
                lines.append(f"    v{i} = _get{i}(rec)")
    for i, column in enumerate(table.columns):
        lines.append(f"    v = v{i}")
        ns[f"_slow{i}"] = _slow(converter(column), i)
        kind, size = _kind(column)
        lines.append(f"    if v is None: f{i} = ''")
        if careful:
            pass
        elif kind == "varchar":
            # ASCII: characters are bytes, so len() is the byte length Redshift compares
            lines.append(f"    elif type(v) is str and v.isascii() and len(v) <= {size}: "
                         f"f{i} = '\"' + v.replace('\"', '\"\"') + '\"'")
        elif kind == "integer":
            lo, hi = -(2 ** (size - 1)), 2 ** (size - 1) - 1
            lines.append(f"    elif type(v) is int and {lo} <= v <= {hi}: f{i} = str(v)")
        elif kind == "double":
            lines.append(f"    elif type(v) is float and v - v == 0.0: f{i} = repr(v)")
            lines.append(f"    elif type(v) is int and -9007199254740992 <= v <= 9007199254740992: f{i} = str(v)")
        else:
            lines += [f"    elif type(v) is int and 0 <= v < {_MAX_MILLIS}:",
                      "        d = v // 86400000",
                      "        r = v - d * 86400000",
                      "        t = _days.get(d)",
                      "        if t is None: t = _day(d)",
                      f"        f{i} = t + _clock[r // 1000] + _millis[r % 1000]"]
        lines.append(f"    else: f{i} = _slow{i}(v)")
    lines.append("    return ','.join((" + ", ".join(f"f{i}" for i in range(len(table.columns))) + ",))")
    exec(compile("\n".join(lines), f"<copy row {table.name}>", "exec"), ns)  # noqa: S102 - our own generated text
    return ns["row"]


def _slow(convert: Callable[[Any], str], index: int) -> Callable[[Any], str]:
    def slow(value: Any) -> str:
        try:
            return convert(value)
        except RejectedValue as exc:
            exc.column, exc.value = index, value
            raise
    return slow


# --- records ---------------------------------------------------------------------

@dataclass
class Reject:
    """One rejected record, as a row of ``load_errors`` / ``stl_load_errors``."""

    filename: str
    line_number: int
    colname: str
    type: str
    raw_line: str
    raw_field_value: str
    err_reason: str
    err_code: int = ERR_JSON
    col_length: str = ""


@dataclass
class LoadReport:
    """What one staging load did: ``files`` read, ``records`` found (non-blank
    lines or objects), ``loaded`` rows, ``rejected`` records, wall ``seconds``."""

    table: str
    files: int = 0
    records: int = 0
    loaded: int = 0
    rejected: int = 0
    seconds: float = 0.0
    bytes: int = 0
    load_id: str = ""
    rejects: list[Reject] = field(default_factory=list)

    def as_row(self) -> dict[str, Any]:
        return {"table": self.table, "files": self.files, "records": self.records, "loaded": self.loaded,
                "rejected": self.rejected, "seconds": round(self.seconds, 2)}


@dataclass
class _Chunk:
    data: bytes
    rows: int
    records: int
    rejects: list[Reject]
    done_file: bool = False


def _raw_text(raw: bytes) -> str:
    return raw.rstrip(b"\r\n").decode("utf-8", "replace").replace("\x00", "")[:RAW_CHARS]


def _shown_value(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = _dumps(value)
        except Exception:
            text = repr(value)
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")[:RAW_CHARS]


def _why_not_json(raw: bytes) -> tuple[str, int, bool]:
    """(reason, err_code, incomplete) for a line that did not parse;
    ``incomplete``: the text ended inside a value (it may go on on the next line)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"Invalid UTF-8: byte 0x{raw[exc.start]:02x} at position {exc.start} "
                "(String contains invalid or unsupported UTF-8 codepoints)", ERR_UTF8, False)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        incomplete = exc.pos >= len(text.rstrip())
        return f"Invalid JSON: {exc.msg} at line column {exc.colno}", ERR_JSON, incomplete
    except RecursionError:
        return "Invalid JSON: nested too deeply", ERR_JSON, False
    # json accepts what orjson refused: NaN/Infinity, integers beyond 64 bits, lone surrogates
    return "Invalid JSON: NaN, Infinity, an integer beyond 64 bits or a lone surrogate escape", ERR_JSON, False


def _lines(stream: BinaryIO, name: str) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)`` of a stream, read a block at a time. A line
    longer than :data:`MAX_OBJECT_BYTES` comes as ``(number, None)`` and is not
    kept in memory. A damaged gzip stream raises :class:`_StreamError`."""
    rest = b""
    number = 0
    skipping = False  # inside a line that is too long: drop bytes up to its end
    while True:
        try:
            block = stream.read(READ_BLOCK)
        except (OSError, EOFError, zlib.error) as exc:
            raise _StreamError(number + 1, f"Invalid gzip stream: {exc}") from None
        if not block:
            break
        if skipping:
            end = block.find(b"\n")
            if end < 0:
                continue
            block, skipping = block[end + 1:], False
        parts = (rest + block).split(b"\n")
        rest = parts.pop()
        check = len(rest) + len(block) > MAX_OBJECT_BYTES  # only then can a line be too long
        for part in parts:
            number += 1
            yield number, (None if check and len(part) > MAX_OBJECT_BYTES else part)
        if len(rest) > MAX_OBJECT_BYTES:
            number += 1
            yield number, None
            rest, skipping = b"", True
    if rest:
        yield number + 1, rest


class _StreamError(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


def _open(obj: SourceObject) -> BinaryIO:
    stream = obj.open()
    if obj.name.endswith(".gz"):
        return gzip.GzipFile(fileobj=stream, mode="rb")
    return stream


def parse_object(obj: SourceObject, table: schema.Table, row: Callable[[dict], str],
                 stop: threading.Event | None = None, careful: Callable[[dict], str] | None = None) -> Iterator[_Chunk]:
    """The CSV rows and rejects of one object, a chunk of at most
    :data:`CHUNK_ROWS` records at a time. Raises :class:`LoadError` when the
    object cannot be fetched at all."""
    columns = table.columns
    out: list[str] = []
    rejects: list[Reject] = []
    records = 0
    try:
        stream = _open(obj)
    except Exception as exc:
        raise LoadError(f"{obj.name}: cannot be read: {exc}") from None
    pending: deque[tuple[int, bytes]] = deque()
    source = _lines(stream, obj.name)

    def reject(number: int, raw: bytes, reason: str, code: int, col: int = -1, value: Any = None) -> None:
        column = columns[col] if col >= 0 else None
        rejects.append(Reject(obj.name, number, column.name if column else "", column.type if column else "",
                              _raw_text(raw), _shown_value(value) if col >= 0 else _raw_text(raw)[:RAW_CHARS],
                              reason, code, (re.search(r"\((\d+)\)", column.type).group(1)
                                             if column and "(" in column.type else "")))

    try:
        while True:
            if pending:
                number, raw = pending.popleft()
            else:
                item = next(source, None)
                if item is None:
                    break
                number, raw = item
            try:
                record = _loads(raw)
            except (ValueError, TypeError):
                if raw is None:
                    records += 1
                    rejects.append(Reject(obj.name, number, "", "", "", "", "Invalid JSON: the record is longer "
                                          f"than the {MAX_OBJECT_BYTES >> 20} MB a JSON object may have", ERR_JSON))
                    continue
                if not raw.strip():
                    continue  # blank line (or a lone CR): not a record
                reason, code, incomplete = _why_not_json(raw)
                record = None
                if incomplete:
                    record, used = _join_lines(raw, source, pending)
                if record is None:
                    records += 1
                    reject(number, raw, reason, code)
                    continue
                raw = used
            records += 1
            if type(record) is not dict:
                reject(number, raw, "Invalid JSON: a record must be an object, not "
                                    f"{type(record).__name__}", ERR_JSON)
                continue
            try:
                # JSON text holds a NUL only as an escape; the fast path does not look for one
                out.append(careful(record) if b"\\u0000" in raw else row(record))
            except RejectedValue as exc:
                reject(number, raw, exc.reason, exc.code, exc.column, exc.value)
            if len(out) + len(rejects) >= CHUNK_ROWS:
                yield _Chunk(_block(out), len(out), records, rejects)
                out, rejects, records = [], [], 0
                if stop is not None and stop.is_set():
                    return
    except _StreamError as exc:
        records += 1
        rejects.append(Reject(obj.name, exc.line, "", "", "", "", exc.reason, ERR_LINE))
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
    yield _Chunk(_block(out), len(out), records, rejects, done_file=True)


def _block(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8") if rows else b""


def _join_lines(first: bytes, source: Iterator[tuple[int, bytes | None]],
                pending: deque[tuple[int, bytes | None]]) -> tuple[Any, bytes]:
    """Try to read one JSON object that spans several lines, starting with
    ``first``. Returns (record, its bytes) or (None, b"") with the lines read
    ahead put back in ``pending``, so each is parsed on its own again."""
    taken: list[tuple[int, bytes]] = []
    parts = [first]
    size = len(first)
    while size <= MAX_OBJECT_BYTES:
        item = pending.popleft() if pending else next(source, None)
        if item is None:
            break
        taken.append(item)
        if item[1] is None:
            break  # a line over the size limit cannot be part of an object
        parts.append(item[1])
        size += len(item[1]) + 1
        if not item[1].rstrip().endswith((b"}", b"]")):
            continue  # cannot end the object yet: parse once, not once per line
        text = b"\n".join(parts)
        try:
            return _loads(text), text
        except ValueError:
            if not _why_not_json(text)[2]:
                break
    pending.extendleft(reversed(taken))
    return None, b""


# --- the local load ----------------------------------------------------------------

_DONE = object()


class _Pipeline(io.RawIOBase):
    """Worker threads fetch and parse objects into chunks of CSV rows; COPY
    reads them through this file-like object. The queue between them is
    bounded, so a slow database makes the workers wait instead of piling up
    rows in memory. Stops early (EOF to COPY) once ``max_errors`` is exceeded."""

    def __init__(self, objects: list[SourceObject], table: schema.Table, rows: tuple[Callable, Callable],
                 report: LoadReport, max_errors: int, progress: Progress):
        super().__init__()
        self.objects, self.table, self.rows = objects, table, rows
        self.report, self.max_errors, self.progress = report, max_errors, progress
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.aborted = False
        self._next = iter(objects)
        self._lock = threading.Lock()
        threads = FETCH_THREADS if objects and objects[0].name.startswith("s3://") else LOCAL_THREADS
        self._live = min(threads, len(objects))
        self._last_note = time.monotonic()
        self._threads = [threading.Thread(target=self._work, name=f"copy-fetch-{i}", daemon=True)
                         for i in range(self._live)]
        for thread in self._threads:
            thread.start()

    def _put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        try:
            while not self.stop.is_set():
                with self._lock:
                    obj = next(self._next, None)
                if obj is None:
                    break
                for chunk in parse_object(obj, self.table, self.rows[0], self.stop, self.rows[1]):
                    if not self._put(chunk):
                        return
        except BaseException as exc:  # handed to the reading thread, which raises it
            self._put(exc)
        finally:
            self._put(_DONE)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        report = self.report
        while self._live and not self.aborted:
            item = self.queue.get()
            if item is _DONE:
                self._live -= 1
                continue
            if isinstance(item, BaseException):
                self.error = item
                self.close_workers()
                return b""
            report.files += item.done_file
            report.records += item.records
            report.loaded += item.rows
            report.rejects += item.rejects
            if len(report.rejects) > self.max_errors:
                self.aborted = True
                self.close_workers()
                return b""
            if time.monotonic() - self._last_note > 5:
                self._last_note = time.monotonic()
                self.progress(f"  {self.table.name}: {report.files}/{len(self.objects)} files, "
                              f"{report.loaded:,} rows, {len(report.rejects)} rejected")
            if item.data:
                return item.data
        return b""

    def close_workers(self) -> None:
        """Stop the workers and wait for them (they exit within a chunk)."""
        self.stop.set()
        while any(t.is_alive() for t in self._threads):
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass
        for thread in self._threads:
            thread.join()


def load_local(settings: Settings, conn: Any, table: schema.Table, source: str, jsonpaths: str | None,
               max_errors: int, progress: Progress = print) -> LoadReport:
    """Reload ``table`` from ``source`` with the COPY emulator (see the module doc).

    ``source``: ``s3://bucket/prefix`` or a local file or folder; ``jsonpaths``:
    a jsonpaths file (s3:// or local), or None for ``'auto'``. Staging is
    replaced in one transaction with the good rows; rejects go to
    ``load_errors`` with this load's ``load_id``.

    Raises :class:`LoadError` when the source or jsonpaths cannot be read,
    has no objects, or more than ``max_errors`` records are rejected: staging
    is then unchanged and the rejects seen are in ``load_errors``."""
    t0 = time.monotonic()
    paths = read_jsonpaths(settings, jsonpaths) if jsonpaths else None
    if paths is not None and len(paths) != len(table.columns):
        raise LoadError(f"{jsonpaths}: {len(paths)} jsonpaths for the {len(table.columns)} columns of {table.name}; "
                        "the mapping is positional, so they must match one to one")
    rows = (compile_row(table, paths), compile_row(table, paths, careful=True))
    objects = list_sources(settings, source)
    if not objects:
        raise LoadError(f"source {source}: no objects to load (Redshift COPY fails the same way)")
    report = LoadReport(table.name, bytes=sum(o.size for o in objects), load_id=uuid.uuid4().hex)
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    columns = ", ".join(f'"{c}"' for c in table.column_names)
    pipeline = _Pipeline(objects, table, rows, report, max_errors, progress)
    try:
        with conn.cursor() as cur:
            cur.execute(f'TRUNCATE "{table.name}"')
            cur.copy_expert(f'COPY "{table.name}" ({columns}) FROM STDIN WITH (FORMAT csv)', pipeline,
                            size=READ_BLOCK)
        if pipeline.error is not None:
            raise pipeline.error
        report.rejects.sort(key=lambda r: (r.filename, r.line_number))
        report.rejected = len(report.rejects)
        if pipeline.aborted:
            conn.rollback()  # COPY saw a clean end of data: undo it and the TRUNCATE
        else:
            _record_rejects(conn, report.load_id, started, table.name, report.rejects)
            conn.commit()
    except BaseException as exc:
        pipeline.close_workers()
        conn.rollback()
        if isinstance(exc, LoadError):
            exc.report = report
            raise
        if isinstance(exc, Exception) and not isinstance(exc, SparkifyError) and pipeline.error is exc:
            raise LoadError(f"{table.name}: load failed, staging unchanged: {exc}", report) from exc
        raise
    report.seconds = time.monotonic() - t0
    if pipeline.aborted:
        _record_rejects(conn, report.load_id, started, table.name, report.rejects)
        conn.commit()
        first = report.rejects[0]
        raise LoadError(
            f"{table.name}: more than max_errors={max_errors} records rejected; load rolled back, staging unchanged. "
            f"First: {display_name(first.filename)} line {first.line_number}"
            f"{' column ' + first.colname if first.colname else ''}: {first.err_reason}. "
            f"The {report.rejected} rejects seen are in load_errors (load_id {report.load_id})", report)
    progress(f"{table.name}: {report.loaded:,} rows from {report.files} files ({report.records:,} records), "
             f"{report.rejected} rejected, {report.seconds:.1f} s")
    return report


def display_name(name: str) -> str:
    """An object name as shown to people: s3:// URIs as they are, local paths
    relative to the project when inside it."""
    return name if name.startswith("s3://") else display_path(Path(name))


def _record_rejects(conn: Any, load_id: str, started: datetime, table: str, rejects: list[Reject]) -> None:
    if not rejects:
        return
    names = ("load_id", "starttime", "tbl", "filename", "line_number", "colname", "type", "col_length", "raw_line",
             "raw_field_value", "err_code", "err_reason")
    stamp = started.isoformat(sep=" ")
    text = "".join(",".join((_quote(load_id), stamp, _quote(table), _quote(r.filename[:1024]), str(r.line_number),
                             _quote(r.colname), _quote(r.type), _quote(r.col_length), _quote(r.raw_line),
                             _quote(r.raw_field_value), str(r.err_code), _quote(r.err_reason[:512]))) + "\n"
                   for r in rejects)
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY load_errors ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)",
                        io.BytesIO(text.encode("utf-8")))


# --- Redshift -------------------------------------------------------------------

def copy_statement(settings: Settings, table: schema.Table, source: str, jsonpaths: str | None,
                   role_arn: str, max_errors: int) -> str:
    """The Redshift COPY for ``table`` (``jsonpaths`` None means ``'auto'``).

    Raises :class:`LoadError` when a URI is not ``s3://`` or holds a quote
    (it is spliced into the statement)."""
    for uri in (source, jsonpaths or "s3://"):
        if not uri.startswith("s3://") or "'" in uri or "\\" in uri:
            raise LoadError(f"Redshift COPY needs an s3:// URI without quotes, not {uri!r}")
    if "'" in role_arn or not role_arn.startswith("arn:"):
        raise LoadError(f"Redshift COPY needs an IAM role ARN, not {role_arn!r}")
    json_option = f"'{jsonpaths}'" if jsonpaths else "'auto'"
    return (f"COPY \"{table.name}\" FROM '{source}'\n"
            f"IAM_ROLE '{role_arn}'\n"
            f"FORMAT AS JSON {json_option}\n"
            f"TIMEFORMAT 'epochmillisecs'\n"
            f"REGION '{settings.region}'\n"
            f"COMPUPDATE OFF STATUPDATE OFF\n"
            f"MAXERROR {int(max_errors)}")


def load_errors_query() -> str:
    """The SELECT of this load's rows of ``stl_load_errors`` (parameter: the query id)."""
    return warehouse.sql_text(Path(__file__).resolve().parent / "sql", "stl_load_errors")


def load_redshift(settings: Settings, conn: Any, table: schema.Table, source: str, jsonpaths: str | None,
                  max_errors: int, progress: Progress = print) -> LoadReport:
    """Reload ``table`` with Redshift COPY; report loaded rows and this load's
    rows of ``stl_load_errors``. Raises :class:`LoadError` when COPY fails
    (e.g. more than MAXERROR rejects); staging is then unchanged."""
    t0 = time.monotonic()
    record = state.load(settings, required=True)
    sql = copy_statement(settings, table, source, jsonpaths, record["role_arn"], max_errors)
    report = LoadReport(table.name)
    with conn.cursor() as cur:
        try:
            cur.execute(f'DELETE FROM "{table.name}"')  # not TRUNCATE: it commits on Redshift
            cur.execute(sql)
            cur.execute("SELECT pg_last_copy_count()")
            report.loaded = cur.fetchone()[0]
            cur.execute("SELECT pg_last_copy_id()")
            query_id = cur.fetchone()[0]
            conn.commit()
        except Exception as exc:
            conn.rollback()
            raise LoadError(f"{table.name}: COPY failed, staging unchanged: {str(exc).strip()}; "
                            "see stl_load_errors for the records") from None
    errors = warehouse.query(conn, load_errors_query(), (query_id,))
    report.rejects = [Reject(r.filename, int(r.line_number), r.colname, r.type, r.raw_line, r.raw_field_value,
                             r.err_reason, int(r.err_code), str(r.col_length)) for r in errors.itertuples()]
    report.rejected = len(report.rejects)
    report.records = report.loaded + report.rejected
    report.load_id = str(query_id)
    report.seconds = time.monotonic() - t0
    progress(f"{table.name}: {report.loaded:,} rows, {report.rejected} rejected, {report.seconds:.1f} s")
    return report


def load_staging(settings: Settings, conn: Any, song_data: str = "", log_data: str = "", log_jsonpath: str = "",
                 max_errors: int | None = None, progress: Progress = print) -> list[LoadReport]:
    """Reload both staging tables from the sources (empty: the settings'
    ``[s3]`` keys, else the target's defaults); ``max_errors`` None: ``[etl]
    max_errors``. ``log_jsonpath`` may also be ``auto``.

    Returns one :class:`LoadReport` per table (songs, events); raises
    :class:`LoadError` when a load aborts (that table's staging unchanged)."""
    song_data = song_data or settings.source_uri("song_data")
    log_data = log_data or settings.source_uri("log_data")
    log_jsonpath = log_jsonpath or settings.source_uri("log_jsonpath")
    jsonpaths = None if log_jsonpath.strip().lower() == "auto" else log_jsonpath
    max_errors = settings.get("etl", "max_errors") if max_errors is None else int(max_errors)
    if max_errors < 0:
        raise LoadError(f"max_errors must be 0 or more, not {max_errors}")
    load = load_local if settings.is_local else load_redshift
    progress(f"loading staging_songs from {_shown(song_data)} and staging_events from {_shown(log_data)}")
    return [load(settings, conn, schema.STAGING_SONGS, song_data, None, max_errors, progress),
            load(settings, conn, schema.STAGING_EVENTS, log_data, jsonpaths, max_errors, progress)]


def _shown(uri: str) -> str:
    return uri if uri.startswith("s3://") else display_path(Path(uri))


def report_frame(reports: Iterable[LoadReport]) -> Any:
    """The load report as a DataFrame indexed by table: files, records, loaded, rejected, seconds."""
    import pandas as pd

    return pd.DataFrame([r.as_row() for r in reports]).set_index("table")


def rejects_frame(reports: Iterable[LoadReport]) -> Any:
    """Every rejected record of ``reports``: table, file, line, column, raw value (80 chars), code, reason."""
    import pandas as pd

    rows = [{"table": rep.table, "file": display_name(r.filename), "line": r.line_number, "column": r.colname,
             "raw_value": r.raw_field_value[:80], "code": r.err_code, "reason": r.err_reason}
            for rep in reports for r in rep.rejects]
    return pd.DataFrame(rows, columns=["table", "file", "line", "column", "raw_value", "code", "reason"])
