"""JSON value -> the CSV field COPY FROM STDIN takes, per column type, and the
row function generated once per load that applies them to a whole record.
What converts and what is rejected (with which err_code) is part of the COPY
contract in :mod:`sparkify_nb.staging`."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, NamedTuple

import orjson

from ..warehouse import schema
from .errors import (ERR_DIGIT, ERR_FLOAT, ERR_OVERFLOW, ERR_RANGE, ERR_TIMESTAMP, ERR_TYPE, ERR_UTF8,
                     RejectedValue)
from .jsonpaths import JsonPath

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


@dataclass(frozen=True)
class Conversion:
    """COPY's data conversion parameters a load applies to VARCHAR values
    (https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-conversion.html; none is
    among the options "not supported with JSON", copy-parameters-data-format.html#copy-json):

    - ``trim_blanks`` (TRIMBLANKS): "Removes the trailing white space characters from a VARCHAR
      string": trailing blanks, before the length check (the order is unconfirmed);
    - ``truncate_columns`` (TRUNCATECOLUMNS): "Truncates data in columns to the appropriate number
      of characters so that it fits the column specification": cut to the column's bytes (VARCHAR
      lengths are bytes, r_Character_types.html), never inside a character (unconfirmed);
    - ``empty_as_null`` (EMPTYASNULL): "If EMPTYASNULL is specified, COPY loads empty strings for
      CHAR and VARCHAR fields as NULL" (the JSON section of copy-parameters-data-format.html);
    - ``blanks_as_null`` (BLANKSASNULL): "Loads blank fields, which consist of only white space
      characters, as NULL": a string of one or more white space characters (``str.isspace``);
      both NULL rules look at the value as the file holds it, before TRIMBLANKS (unconfirmed);
    - ``accept_inv_chars`` (ACCEPTINVCHARS, the replacement character, or None): "replaces each
      invalid UTF-8 character with a string of equal length consisting of the character specified
      by replacement_char": each byte of the record that is not UTF-8 becomes the character
      (applied to the record's text, so also outside VARCHAR values: unconfirmed; STL_REPLACEMENTS
      is not kept);
    - ``ignore_case`` ('auto ignorecase', copy-parameters-data-format.html#copy-json): keys match
      column names whatever their case (of two keys that differ only in case, the last wins:
      unconfirmed)."""

    trim_blanks: bool = False
    truncate_columns: bool = False
    empty_as_null: bool = False
    blanks_as_null: bool = False
    accept_inv_chars: str | None = None
    ignore_case: bool = False

    @property
    def plain(self) -> bool:
        """Nothing but TRIMBLANKS: the block fast path converts the same (:mod:`.fastpath`)."""
        return self == Conversion(trim_blanks=self.trim_blanks)


def replace_invalid_utf8(raw: bytes, replacement: str) -> bytes:
    """``raw`` with each byte that is not part of valid UTF-8 replaced by ``replacement``
    (ACCEPTINVCHARS: "an invalid three-byte character will be replaced with '^^^'")."""
    text = raw.decode("utf-8", "surrogateescape")
    return "".join(replacement if "\udc80" <= c <= "\udcff" else c for c in text).encode("utf-8")


def _truncated(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` bytes of UTF-8, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def csv_quoted(text: str) -> str:
    """``text`` as one quoted CSV field (quotes doubled), the way COPY ... (FORMAT csv) reads it back."""
    return '"' + text.replace('"', '""') + '"'


def _varchar(limit: int, truncate: bool = False) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if isinstance(value, str):
            text = value
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            text = orjson.dumps(value).decode()
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
        if size > limit and truncate:
            text = _truncated(text, limit)
        elif size > limit:
            raise RejectedValue(f"String length exceeds DDL length ({size} > {limit} bytes)", ERR_RANGE)
        return csv_quoted(text)
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




def converter(column: schema.Column, truncate: bool = False) -> Callable[[Any], str]:
    """The function that turns a (non-null) JSON value into the CSV field COPY
    takes for ``column`` (quoted text, a number, or empty for NULL); ``truncate``:
    TRUNCATECOLUMNS (a VARCHAR value over the column's bytes is cut, not rejected).

    Raises :class:`RejectedValue` (with a Redshift err_code) when the value
    does not convert; ValueError for a column type the emulator does not know."""
    kind, size = _kind(column)
    if kind == "varchar":
        return _varchar(size, truncate)
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


def _accessor(steps: JsonPath) -> Callable[[Any], Any]:
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


_TWO = [f"{n:02d}" for n in range(60)]
_CLOCK = [f"{h}:{m}:{s}." for h in _TWO[:24] for m in _TWO for s in _TWO]  # seconds of day -> "HH:MM:SS." (10 ms, not 90)
_MILLIS = [f"{m:03d}" for m in range(1000)]


class RowFunctions(NamedTuple):
    """The row functions of one load (see :func:`compile_row`): ``plain``
    for every record, ``escaped_nul`` for a record whose text holds ``\\u0000``;
    ``repair``: ACCEPTINVCHARS, the text of a record that is not UTF-8 made UTF-8
    (:func:`replace_invalid_utf8`), or None."""

    plain: Callable[[dict], str]
    escaped_nul: Callable[[dict], str]
    repair: Callable[[bytes], bytes] | None = None


def compile_rows(table: schema.Table, paths: list[JsonPath] | None, trim_blanks: bool = False,
                 conversion: Conversion | None = None) -> RowFunctions:
    """The row functions of a load of ``table`` (``paths`` None: ``'auto'``;
    ``trim_blanks``: COPY's TRIMBLANKS, trailing blanks of a VARCHAR value removed;
    ``conversion``: all of COPY's data conversion parameters, instead of ``trim_blanks``)."""
    conversion = conversion or Conversion(trim_blanks=trim_blanks)
    char = conversion.accept_inv_chars
    return RowFunctions(compile_row(table, paths, conversion=conversion),
                        compile_row(table, paths, for_escaped_nul=True, conversion=conversion),
                        None if char is None else (lambda raw: replace_invalid_utf8(raw, char)))


def _lowered(record: dict) -> dict:
    """``record`` with its keys in lower case ('auto ignorecase')."""
    return {key.lower(): value for key, value in record.items()}


def compile_row(table: schema.Table, paths: list[JsonPath] | None,
                for_escaped_nul: bool = False, trim_blanks: bool = False,
                conversion: Conversion | None = None) -> Callable[[dict], str]:
    """A function ``record -> CSV line`` (no line end) for ``table``, generated
    once per load so that the common cases (a short ASCII string, an int in
    range, a finite float, whole epoch milliseconds) cost a type check and a
    format each; everything else goes through :func:`converter`. ``paths``
    None means ``'auto'``. ``for_escaped_nul``: every value through
    :func:`converter`, for records whose text holds an escaped NUL
    (``\\u0000``), which the fast path does not look for. ``trim_blanks``: a
    string's trailing blanks are removed before its VARCHAR length is checked
    (TRIMBLANKS; that Redshift trims before it checks the length is unconfirmed).
    ``conversion``: every data conversion parameter (:class:`Conversion`), instead of ``trim_blanks``.

    The function raises :class:`RejectedValue` with ``column`` (index) and
    ``value`` set when a value does not convert."""
    conv = conversion or Conversion(trim_blanks=trim_blanks)
    lower = conv.ignore_case and paths is None
    paths = paths if paths is not None else [(c.name.lower() if lower else c.name,) for c in table.columns]
    ns: dict[str, Any] = {"_day": _day_text, "_days": _DAYS, "_clock": _CLOCK, "_millis": _MILLIS,
                          "_lowered": _lowered}
    lines = ["def row(rec):"] + (["    rec = _lowered(rec)"] if lower else []) + _read_fields(paths, len(table.columns), ns)
    for i, column in enumerate(table.columns):
        lines.append(f"    v = v{i}")
        if _kind(column)[0] == "varchar":
            if conv.empty_as_null:
                lines.append("    if v == '': v = None")
            if conv.blanks_as_null:
                lines.append("    if type(v) is str and v and v.isspace(): v = None")
            if conv.trim_blanks:
                lines.append("    if type(v) is str and v.endswith(' '): v = v.rstrip(' ')")
        ns[f"_convert{i}"] = _with_failing_column(converter(column, conv.truncate_columns), i)
        lines.append(f"    if v is None: f{i} = ''")
        if not for_escaped_nul:
            lines += _fast_path(i, *_kind(column))
        lines.append(f"    else: f{i} = _convert{i}(v)")
    lines.append("    return ','.join((" + ", ".join(f"f{i}" for i in range(len(table.columns))) + ",))")
    exec(compile("\n".join(lines), f"<copy row {table.name}>", "exec"), ns)  # noqa: S102 - our own generated text
    return ns["row"]


def _read_fields(paths: list[JsonPath], n: int, ns: dict[str, Any]) -> list[str]:
    """The lines that set ``v0 .. v{n-1}`` from the record ``rec``."""
    flat = all(len(steps) == 1 and isinstance(steps[0], str) for steps in paths)
    if flat and len({steps[0] for steps in paths}) == n:
        # Files written by one program keep their keys in one order: then one unpacking
        # replaces a lookup per column.
        ns["_keys"] = tuple(steps[0] for steps in paths)
        return ([f"    if len(rec) == {n} and tuple(rec) == _keys:",
                 "        " + ", ".join(f"v{i}" for i in range(n)) + ", = rec.values()",
                 "    else:",
                 "        get = rec.get"]
                + [f"        v{i} = get({steps[0]!r})" for i, steps in enumerate(paths)])
    lines = ["    get = rec.get"]
    for i, steps in enumerate(paths):
        if len(steps) == 1 and isinstance(steps[0], str):
            lines.append(f"    v{i} = get({steps[0]!r})")
        else:
            ns[f"_get{i}"] = _accessor(steps)
            lines.append(f"    v{i} = _get{i}(rec)")
    return lines


def _fast_path(i: int, kind: str, size: int) -> list[str]:
    """The ``elif`` lines that convert the common values of column ``i`` inline."""
    if kind == "varchar":
        # ASCII: characters are bytes, so len() is the byte length Redshift compares
        return [f"    elif type(v) is str and v.isascii() and len(v) <= {size}: "
                f"f{i} = '\"' + v.replace('\"', '\"\"') + '\"'"]
    if kind == "integer":
        lo, hi = -(2 ** (size - 1)), 2 ** (size - 1) - 1
        return [f"    elif type(v) is int and {lo} <= v <= {hi}: f{i} = str(v)"]
    if kind == "double":
        return [f"    elif type(v) is float and v - v == 0.0: f{i} = repr(v)",
                f"    elif type(v) is int and -9007199254740992 <= v <= 9007199254740992: f{i} = str(v)"]
    return [f"    elif type(v) is int and 0 <= v < {_MAX_MILLIS}:",
            "        d = v // 86400000",
            "        r = v - d * 86400000",
            "        t = _days.get(d)",
            "        if t is None: t = _day(d)",
            f"        f{i} = t + _clock[r // 1000] + _millis[r % 1000]"]


def _with_failing_column(convert: Callable[[Any], str], index: int) -> Callable[[Any], str]:
    """``convert``, but a :class:`RejectedValue` it raises records which column
    (``index``) and which value failed, for the reject's row in load_errors."""
    def convert_column(value: Any) -> str:
        try:
            return convert(value)
        except RejectedValue as exc:
            exc.column, exc.value = index, value
            raise
    return convert_column
