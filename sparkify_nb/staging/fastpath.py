"""The event load's fast path: whole blocks of complete lines converted at once
by pyarrow (JSON reader with an explicit schema, vectorised checks, CSV writer;
all C++, the GIL released), with every line it cannot decide in bulk handed to
the exact path (:func:`.records.decide`, which decides every reject, its
err_code, reason, file and line). The result is the same rows and rejects as
:func:`.records.parse_object` (tests/test_fastpath.py compares them row for row
over the malformed corpus and generated files); only the speed differs.

A block goes the fast way only when every guard below holds; otherwise it is
split into :data:`SPLIT_PARTS` parts and retried, and a part under
:data:`MIN_SPLIT_LINES` lines goes line by line through the exact path. After
:data:`FAILED_LIMIT` failed tries in one file (dense rejects) the rest of that
file goes the exact way at once, so bad input costs at most a little more than
the exact path alone.

Guards (each closes a gap where pyarrow 26 accepts what orjson + the row
functions of :mod:`.convert` reject, or would store a different value):

- bytes: no raw NUL, and no NUL in the rows (from a ``\\u0000`` escape; a NUL is the exact path's
  reject; in a CSV field it would fail COPY);
- lines: every line starts with ``{`` and ends with ``}`` (or ``}\\r``), and
  pyarrow returns one row per line: no blank line, no two objects on a line,
  no object over several lines, no top-level non-object (a bare ``null`` line
  crashes pyarrow's reader, so it never reaches it);
- keys: an unknown key sends the block back (``unexpected_field_behavior=
  "error"``), so pyarrow's laxer parser (NaN, Infinity) can only act in mapped
  scalar fields, where the checks below catch it;
- types: string columns take JSON strings only, integer and timestamp columns
  JSON integers only (pyarrow refuses ``1.5``, ``1E2``, ``"3"``, ``true``,
  objects, duplicate keys, lone surrogates), double columns JSON numbers;
- UTF-8: a block that is not ASCII has its string columns validated (pyarrow
  does not validate UTF-8 itself);
- values: VARCHAR byte length within the column, INTEGER/BIGINT range, a
  double finite and below 2**63 in magnitude, a timestamp in ``[1970, 10000)``.

Text differs from the exact path only where PostgreSQL stores the same value:
doubles in pyarrow's shortest round-trip form (``1.54e+12``), timestamps always
with three decimals. Mappings with nested or repeated jsonpaths, and column
types without a vectorised check, have no fast path (:func:`make` returns None).
"""

from __future__ import annotations

import math
import struct
import threading
import zlib
from collections import deque
from typing import BinaryIO, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from ..warehouse import schema
from . import records
from .convert import _MAX_MILLIS, RowFunctions, _kind
from .errors import LoadError
from .jsonpaths import JsonPath
from .records import Chunk, Reject
from .sources import SourceObject

FAST_BLOCK = 1 << 20     # bytes of complete lines per pyarrow call (4 MB: ~100 MB more peak RSS, no faster)
MIN_SPLIT_LINES = 64     # a failing block smaller than this goes line by line
SPLIT_PARTS = 8          # a failing block is retried as this many parts
FAILED_LIMIT = 12        # failed tries in one file before the rest of it goes the exact way
_LBRACE, _RBRACE, _CR, _NL = ord("{"), ord("}"), ord("\r"), ord("\n")
# malloc, not pyarrow's default mimalloc: with two converting threads mimalloc kept ~200 MB more
# resident (loader peak 445 MB vs 265 MB at 1M events) and cost more CPU
_POOL = pa.system_memory_pool()
_WRITE = pa_csv.WriteOptions(include_header=False, quoting_style="needed", batch_size=1 << 16)


class FastRows:
    """The block converter of one table and flat mapping (``keys``: the JSON key of each column)."""

    def __init__(self, table: schema.Table, keys: list[str], trim_blanks: bool = False):
        fields, self.checks, self.ts_cols, self.trimmed = [], [], [], []
        for i, (key, column) in enumerate(zip(keys, table.columns)):
            kind, size = _kind(column)
            if kind == "varchar":
                fields.append(pa.field(key, pa.string()))
                if trim_blanks:
                    self.trimmed.append(i)
                self.checks.append(lambda c, n=size: _within(pc.binary_length(c, memory_pool=_POOL), 0, n))
            elif kind == "integer":
                fields.append(pa.field(key, pa.int64()))
                lo, hi = -(2 ** (size - 1)), 2 ** (size - 1) - 1
                self.checks.append(None if size == 64 else lambda c, lo=lo, hi=hi: _within(c, lo, hi))  # int64: pyarrow's own limit
            elif kind == "double":
                fields.append(pa.field(key, pa.float64()))
                # the sum is finite only when every value is (NaN, Infinity: the exact path's rejects)
                self.checks.append(lambda c: math.isfinite(pc.sum(c).as_py() or 0.0) and _within(c, -9.2e18, 9.2e18))
            else:  # timestamp: epoch milliseconds
                fields.append(pa.field(key, pa.int64()))
                self.ts_cols.append(i)
                self.checks.append(lambda c: _within(c, 0, _MAX_MILLIS - 1))
        self.parse = pa_json.ParseOptions(explicit_schema=pa.schema(fields), unexpected_field_behavior="error")

    def convert(self, block: bytes) -> tuple[bytes, int] | None:
        """The CSV rows of ``block`` (complete lines, each ending in ``\\n``) and how many
        there are, or None when a guard fails and the block must go the exact way."""
        lines = _line_count(block)
        if not lines:
            return None
        if not block.isascii() and not valid_utf8(block):
            return None  # pyarrow's JSON reader does not validate UTF-8 (lone surrogates it refuses)
        try:  # a BufferReader, not io.BytesIO: pyarrow reads it without taking the GIL
            table = pa_json.read_json(pa.BufferReader(block), read_options=pa_json.ReadOptions(
                use_threads=False, block_size=len(block) + 1), parse_options=self.parse, memory_pool=_POOL)
        except (pa.ArrowInvalid, UnicodeDecodeError):
            return None
        for i in self.trimmed:  # TRIMBLANKS: before the length check, as the exact path does
            table = table.set_column(i, table.field(i).name,
                                     pc.utf8_rtrim(table.column(i), characters=" ", memory_pool=_POOL))
        if table.num_rows != lines or not self._values_fit(table):
            return None
        for i in self.ts_cols:
            table = table.set_column(i, table.field(i).name, pc.cast(table.column(i), pa.timestamp("ms"), memory_pool=_POOL))
        out = pa.BufferOutputStream(memory_pool=_POOL)  # likewise written without the GIL
        pa_csv.write_csv(table, out, _WRITE, memory_pool=_POOL)
        data = out.getvalue().to_pybytes()
        # a NUL in the rows can only come from a \u0000 escape in a string (the input has no raw NUL):
        # the exact path rejects it. Looking here costs a twentieth of looking for the escape in the input.
        return None if b"\x00" in data else (data, lines)

    def _values_fit(self, table: pa.Table) -> bool:
        return all(check is None or check(column) for column, check in zip(table.columns, self.checks))


def valid_utf8(data: bytes) -> bool:
    """``data`` is UTF-8 as ``bytes.decode("utf-8")`` takes it (no surrogate, no overlong form, nothing
    above U+10FFFF), checked by Arrow's validator over the bytes as one string value without building
    a Python string: a sixth of the CPU of decoding (tests/test_fastpath.py compares the two)."""
    value = pa.Array.from_buffers(pa.large_string(), 1, [None, pa.py_buffer(struct.pack("<qq", 0, len(data))),
                                                          pa.py_buffer(data)])
    try:
        value.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _within(column: pa.ChunkedArray, lo: float, hi: float) -> bool:
    """Every non-null value of ``column`` in ``[lo, hi]`` (one min_max kernel call)."""
    low, high = pc.min_max(column).values()
    return low.as_py() is None or (lo <= low.as_py() and high.as_py() <= hi)


def _newlines(data: bytes) -> int:
    """``data.count(b"\\n")`` in a quarter of its CPU (numpy compares 16 bytes at a time; CPython's
    count looks at one byte at a time: ~0.2 us an event of the load)."""
    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == _NL))


def _line_count(block: bytes) -> int:
    """Lines in ``block`` when each is one object on its own (``{`` ... ``}``, CR
    allowed) and the block holds no NUL, else 0 (numpy: ~0.4 us a line)."""
    if b"\x00" in block:
        return 0
    a = np.frombuffer(block, np.uint8)
    nl = np.flatnonzero(a == _NL)
    if not len(nl) or a[0] != _LBRACE or not (a[nl[:-1] + 1] == _LBRACE).all():
        return 0
    end = a[nl - 1]
    if not (end == _RBRACE).all():
        cr = end == _CR
        if not ((end == _RBRACE) | cr).all() or not (a[nl[cr] - 2] == _RBRACE).all():
            return 0
    return len(nl)


def make(table: schema.Table, paths: list[JsonPath] | None, trim_blanks: bool = False) -> FastRows | None:
    """The fast path for ``table`` under ``paths`` (None: ``'auto'``; ``trim_blanks``: TRIMBLANKS), or None
    when the mapping is not flat and one-to-one or a column type has no check."""
    paths = paths if paths is not None else [(c.name,) for c in table.columns]
    if not all(len(p) == 1 and isinstance(p[0], str) for p in paths) or len({p[0] for p in paths}) != len(paths):
        return None
    try:
        return FastRows(table, [p[0] for p in paths], trim_blanks)
    except ValueError:  # a column type without a converter: the exact path says so
        return None


# --- reading: blocks of complete lines, or single lines where the exact path needs them ---

def _pieces(stream: BinaryIO) -> Iterator[tuple[bool, int, bytes | None]]:
    """``(is_block, first line number, bytes)``: blocks of complete lines (each
    ending in ``\\n``, none over the 4 MB limit), or single lines as
    :func:`.records._lines` yields them (None for a line over the limit: only
    where a line can be that long). Line numbers, the 4 MB rule and gzip damage
    exactly as :func:`.records._lines` (the equivalence test checks it)."""
    rest, number, skipping = b"", 0, False
    acc: list[bytes] = []   # complete lines read, not yet handed out
    held = lines = 0        # their bytes and lines
    while True:
        try:
            block = stream.read(records.READ_BLOCK)
        except (OSError, EOFError, zlib.error) as exc:
            if acc:
                yield True, number + 1, b"".join(acc)
                number += lines
            raise records._StreamError(number + 1, f"Invalid gzip stream: {exc}") from None
        if not block:
            break
        if skipping:
            end = block.find(b"\n")
            if end < 0:
                continue
            block, skipping = block[end + 1:], False
        data = rest + block
        cut = data.rfind(b"\n") + 1
        whole, rest = data[:cut], data[cut:]
        long_possible = len(rest) + len(block) > records.MAX_OBJECT_BYTES
        if whole and not long_possible:
            acc.append(whole)
            held, lines = held + len(whole), lines + _newlines(whole)
        if acc and (held >= FAST_BLOCK or long_possible or len(rest) > records.MAX_OBJECT_BYTES):
            yield True, number + 1, b"".join(acc)
            number, acc, held, lines = number + lines, [], 0, 0
        if whole and long_possible:  # only here can a line be over the limit: one at a time
            for part in whole[:-1].split(b"\n"):
                number += 1
                yield False, number, (None if len(part) > records.MAX_OBJECT_BYTES else part)
        if len(rest) > records.MAX_OBJECT_BYTES:
            number += 1
            yield False, number, None
            rest, skipping = b"", True
    if acc:
        yield True, number + 1, b"".join(acc)
        number += lines
    if rest:
        yield False, number + 1, rest


class _Lines:
    """The line source the exact path reads (ahead) from: split-off blocks
    first, then the stream's pieces; a block is cut into its lines, the first
    returned, the others queued in ``pending`` (which the exact path reads first)."""

    def __init__(self, pieces: deque, source: Iterator, pending: deque):
        self.pieces, self.source, self.pending = pieces, source, pending

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> tuple[int, bytes | None]:
        is_block, number, data = self.pieces.popleft() if self.pieces else next(self.source)
        if not is_block:
            return number, data
        parts = data[:-1].split(b"\n")
        self.pending.extend(zip(range(number + 1, number + len(parts)), parts[1:]))
        return number, parts[0]


def _split(number: int, block: bytes, parts: int) -> list[tuple[bool, int, bytes]]:
    lines = block[:-1].split(b"\n")
    size = -(-len(lines) // parts)
    return [(True, number + i, b"\n".join(lines[i:i + size]) + b"\n") for i in range(0, len(lines), size)]


def parse_object(obj: SourceObject, table: schema.Table, rows: RowFunctions, fast: FastRows | None,
                 stop: threading.Event | None = None) -> Iterator[Chunk]:
    """:func:`.records.parse_object` with the block fast path ``fast`` (None: every line the exact
    way, through this module's reader): the same rows, rejects and counts, in the same order."""
    plain, escaped_nul, repair = rows
    out: list[str] = []
    rejects: list[Reject] = []
    records_seen = failed = 0
    try:
        stream = records._open(obj)
    except Exception as exc:
        raise LoadError(f"{obj.name}: cannot be read: {exc}") from None
    # pending: single lines for the exact path, first; pieces: parts of a failed block, then the stream's
    pending, pieces, source = deque(), deque(), _pieces(stream)
    lines = _Lines(pieces, source, pending)
    try:
        while True:
            if pending:
                number, raw = pending.popleft()
            else:
                item = pieces.popleft() if pieces else next(source, None)
                if item is None:
                    break
                is_block, number, raw = item
                if is_block:
                    trying = fast is not None and failed < FAILED_LIMIT
                    converted = fast.convert(raw) if trying else None
                    if converted is not None:
                        if out or rejects:
                            yield Chunk(records._block(out), len(out), records_seen, rejects)
                            out, rejects, records_seen = [], [], 0
                        data, count = converted
                        yield Chunk(data, count, count, [])
                        if stop is not None and stop.is_set():
                            return
                        continue
                    failed += trying
                    if trying and raw.count(b"\n") >= MIN_SPLIT_LINES:
                        pieces.extendleft(reversed(_split(number, raw, SPLIT_PARTS)))
                        continue
                    pieces.appendleft(item)
                    number, raw = next(lines)
            result = records.decide(obj.name, table, plain, escaped_nul, number, raw, lines, pending, repair)
            if result is None:
                continue  # blank line: not a record
            records_seen += 1
            if type(result) is str:
                out.append(result)
            else:
                rejects.append(result)
            if len(out) + len(rejects) >= records.CHUNK_ROWS:
                yield Chunk(records._block(out), len(out), records_seen, rejects)
                out, rejects, records_seen = [], [], 0
                if stop is not None and stop.is_set():
                    return
    except records._StreamError as exc:
        raise records.damaged_gzip(obj.name, exc) from None
    finally:
        stream.close()
    yield Chunk(records._block(out), len(out), records_seen, rejects, done_file=True)
