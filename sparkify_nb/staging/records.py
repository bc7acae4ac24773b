"""Bytes -> records -> converted CSV rows or rejects, one object at a time:
line splitting, objects that span lines, the 4 MB limit, JSON parsing. How
each case ends (loaded, rejected with which err_code) is part of the COPY
contract in :mod:`sparkify_nb.staging`; this module knows no database."""

from __future__ import annotations

import gzip
import json
import re
import threading
import zlib
from collections import deque
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterator

import orjson

from ..warehouse import schema
from .convert import RowFunctions
from .errors import ERR_JSON, ERR_UTF8, LoadError, RejectedValue
from .sources import SourceObject

READ_BLOCK = 1 << 20       # bytes read from an object at a time
CHUNK_ROWS = 4096          # rows per block handed to COPY
MAX_OBJECT_BYTES = 4 << 20  # Redshift: a JSON object may be at most 4 MB
# stl_load_errors keeps raw_line and raw_field_value as char(1024), and Redshift's CHAR(n) holds n bytes
# (https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html,
#  https://docs.aws.amazon.com/redshift/latest/dg/r_Character_types.html)
RAW_BYTES = 1024


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
class Chunk:
    """What :func:`parse_object` yields: ``data`` (CSV lines, UTF-8) of ``rows``
    rows, the number of ``records`` read for them, their ``rejects``, and
    ``done_file`` on the last chunk of an object."""

    data: bytes
    rows: int
    records: int
    rejects: list[Reject]
    done_file: bool = False


class _StreamError(Exception):
    """A damaged gzip stream, at ``line``."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


def parse_object(obj: SourceObject, table: schema.Table, rows: RowFunctions,
                 stop: threading.Event | None = None) -> Iterator[Chunk]:
    """The CSV rows and rejects of one object, a chunk of at most
    :data:`CHUNK_ROWS` records at a time; stops early when ``stop`` is set.
    Raises :class:`LoadError` when the object cannot be fetched at all."""
    plain, escaped_nul, repair = rows  # locals: looked up once per record in the loop below
    out: list[str] = []
    rejects: list[Reject] = []
    records = 0
    try:
        stream = _open(obj)
    except Exception as exc:
        raise LoadError(f"{obj.name}: cannot be read: {exc}") from None
    pending: deque[tuple[int, bytes | None]] = deque()
    source = _lines(stream)
    try:
        while True:
            item = pending.popleft() if pending else next(source, None)
            if item is None:
                break
            number, raw = item
            result = decide(obj.name, table, plain, escaped_nul, number, raw, source, pending, repair)
            if result is None:
                continue  # blank line (or a lone CR): not a record
            records += 1
            if type(result) is str:
                out.append(result)
            else:
                rejects.append(result)
            if len(out) + len(rejects) >= CHUNK_ROWS:
                yield Chunk(_block(out), len(out), records, rejects)
                out, rejects, records = [], [], 0
                if stop is not None and stop.is_set():
                    return
    except _StreamError as exc:
        raise damaged_gzip(obj.name, exc) from None
    finally:
        stream.close()
    yield Chunk(_block(out), len(out), records, rejects, done_file=True)


def damaged_gzip(name: str, exc: _StreamError) -> LoadError:
    """The error of a damaged gzip stream: like Redshift, the whole load fails, naming the file and line."""
    return LoadError(f"{name}: damaged gzip stream at line {exc.line}: {exc.reason}; Redshift fails the whole COPY "
                     "on it, and so does this load (rolled back, staging unchanged)")


def _too_large(name: str, line: int) -> LoadError:
    """The error of an object over Redshift's 4 MB limit: like Redshift, the whole load fails, naming the file."""
    return LoadError(f"{name} line {line}: a JSON object over {MAX_OBJECT_BYTES >> 20} MB (Redshift's limit for "
                     "one object); Redshift fails the whole COPY on it, and so does this load (rolled back, "
                     "staging unchanged)")


def decide(name: str, table: schema.Table, plain: Any, escaped_nul: Any, number: int, raw: bytes | None,
           source: Iterator[tuple[int, bytes | None]], pending: deque[tuple[int, bytes | None]],
           repair: Any = None) -> str | Reject | None:
    """The exact path for the line ``raw`` (line ``number`` of ``name``): its CSV row,
    its :class:`Reject`, or None for a blank line (not a record). An object that
    spans lines is completed from ``pending`` / ``source`` (lines read ahead and
    not used go back to ``pending``). :mod:`.fastpath` hands every line it cannot
    decide in bulk to this function. ``repair``: ACCEPTINVCHARS (:attr:`.convert.RowFunctions.repair`),
    applied to a line that is not UTF-8 before it is read again."""
    try:
        record = orjson.loads(raw)
    except (ValueError, TypeError):
        if raw is None:
            raise _too_large(name, number)
        if repair is not None and not _is_utf8(raw):
            return decide(name, table, plain, escaped_nul, number, repair(raw), source, pending)
        if not raw.strip():
            return None
        reason, code, incomplete = _why_not_json(raw, number)
        record = None
        if incomplete:
            record, used = _join_lines(raw, source, pending)
        if record is None:
            return _reject(name, table, number, raw, reason, code)
        raw = used
    if type(record) is not dict:
        return _reject(name, table, number, raw, "Invalid JSON: a record must be an object, "
                       f"not {type(record).__name__}", ERR_JSON)
    try:
        # JSON text holds a NUL only as an escape; the plain row function does not look for one
        return escaped_nul(record) if b"\\u0000" in raw else plain(record)
    except RejectedValue as exc:
        return _reject(name, table, number, raw, exc.reason, exc.code, exc.column, exc.value)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _reject(name: str, table: schema.Table, number: int, raw: bytes, reason: str, code: int,
            col: int = -1, value: Any = None) -> Reject:
    """The reject of the record at line ``number`` (``col``: index of the failing column, -1: the whole record)."""
    column = table.columns[col] if col >= 0 else None
    if column is None:
        return Reject(name, number, "", "", _raw_text(raw), _raw_text(raw), reason, code)
    length = re.search(r"\((\d+)\)", column.type)
    return Reject(name, number, column.name, column.type, _raw_text(raw), _raw_value_text(value), reason, code,
                  length.group(1) if length else "")


def _open(obj: SourceObject) -> BinaryIO:
    stream = obj.open()
    if obj.name.endswith(".gz"):
        return gzip.GzipFile(fileobj=stream, mode="rb")
    return stream


def _block(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8") if rows else b""


def _cut(text: str) -> str:
    """``text`` cut to :data:`RAW_BYTES` bytes of UTF-8 (stl_load_errors' char(1024) counts bytes), never
    inside a character."""
    data = text.encode("utf-8")
    if len(data) <= RAW_BYTES:
        return text
    return data[:RAW_BYTES].decode("utf-8", "ignore")


def _raw_text(raw: bytes) -> str:
    return _cut(raw.rstrip(b"\r\n").decode("utf-8", "replace").replace("\x00", ""))


def _raw_value_text(value: Any) -> str:
    """A JSON value as ``raw_field_value`` shows it: text as it is, anything else as JSON."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = orjson.dumps(value).decode()
        except TypeError:  # an integer beyond 64 bits
            text = repr(value)
    return _cut(text.encode("utf-8", "replace").decode("utf-8").replace("\x00", ""))


def _why_not_json(raw: bytes, first_line: int = 1) -> tuple[str, int, bool]:
    """(reason, err_code, incomplete) for a record that did not parse, starting
    at line ``first_line`` of its file; ``incomplete``: the text ended inside a
    value (it may go on on the next line). The reason names the line of the
    file and the column (1-based, in characters) where parsing stopped:
    ``Invalid JSON: unterminated string at line 1, column 31``. The standard
    json module is used here for its precise error positions."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"Invalid UTF-8: byte 0x{raw[exc.start]:02x} at position {exc.start} "
                "(String contains invalid or unsupported UTF-8 codepoints)", ERR_UTF8, False)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        incomplete = exc.pos >= len(text.rstrip())
        return (f"Invalid JSON: {_json_problem(exc.msg)} at line {first_line + exc.lineno - 1}, column {exc.colno}",
                ERR_JSON, incomplete)
    except RecursionError:
        return "Invalid JSON: nested too deeply", ERR_JSON, False
    # json accepts what orjson refused: NaN/Infinity, integers beyond 64 bits, lone surrogates
    return "Invalid JSON: NaN, Infinity, an integer beyond 64 bits or a lone surrogate escape", ERR_JSON, False


def _json_problem(msg: str) -> str:
    """json's message without its dangling position words, first letter lower-case:
    ``Unterminated string starting at`` -> ``unterminated string``."""
    for tail in (" starting at", " at"):
        if msg.endswith(tail):
            msg = msg[: -len(tail)]
    return msg[:1].lower() + msg[1:]


def _lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
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


def _join_lines(first: bytes, source: Iterator[tuple[int, bytes | None]],
                pending: deque[tuple[int, bytes | None]]) -> tuple[Any, bytes]:
    """Try to read one JSON object that spans several lines, starting with
    ``first``. Returns (record, its bytes) or (None, b"") with the lines read
    ahead put back in ``pending``, so each is parsed on its own again."""
    taken: list[tuple[int, bytes | None]] = []
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
            return orjson.loads(text), text
        except ValueError:
            if not _why_not_json(text)[2]:
                break
    pending.extendleft(reversed(taken))
    return None, b""

