"""The bytes of PostgreSQL's frontend/backend protocol that the front door (:mod:`.wire`) writes,
and how one Query message splits into statements
(https://www.postgresql.org/docs/current/protocol-message-formats.html)."""

from __future__ import annotations

import re
import struct
from typing import Any


def message(kind: bytes, body: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def error(severity: str, sqlstate: str, text: str, detail: str = "") -> bytes:
    """An ErrorResponse: severity, SQLSTATE, the message ``text`` and its detail."""
    fields = [b"S" + severity.encode(), b"V" + severity.encode(), b"C" + sqlstate.encode(),
              b"M" + text.encode("utf-8")] + ([b"D" + detail.encode("utf-8")] if detail else [])
    return message(b"E", b"\0".join(fields) + b"\0\0")


def cstr(value: str) -> bytes:
    return value.encode("utf-8") + b"\0"


def split(text: str) -> list[str]:
    """The statements of one Query message, split at the semicolons between them (not those in strings
    or comments); what holds nothing but comments is dropped."""
    from sqlglot.dialects.redshift import Redshift
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = Redshift().tokenize(text)
    except TokenError:
        return [text] if text.strip() else []
    parts, start = [], 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            parts.append(text[start:token.start])
            start = token.end + 1
    parts.append(text[start:])
    return [p for p in parts if re.sub(r"--[^\n]*", "", p).strip()]


class Fatal(Exception):
    """Ends the connection with ``FATAL``: ``sqlstate`` and a message PostgreSQL's clients show."""

    def __init__(self, sqlstate: str, message: str):
        super().__init__(message)
        self.sqlstate = sqlstate


def typmod(d: Any) -> int:
    """A result column's type modifier as PostgreSQL sends it (pg_attribute.atttypmod), from what psycopg2 read
    of it: CHAR(n) and VARCHAR(n) n + 4, NUMERIC(p, s) (p << 16 | s) + 4 (VARHDRSZ added); -1 (none) otherwise."""
    if d.internal_size <= 0:  # psycopg2's size of a variable-width type is from its modifier: none (-1)
        return -1
    if d.type_code in (1042, 1043):  # bpchar, varchar
        return d.internal_size + 4
    if d.type_code == 1700:  # numeric
        return (d.precision << 16 | d.scale) + 4
    return -1


def startup_parameters(body: bytes) -> dict[str, str]:
    """A StartupMessage's name/value pairs, each a zero-terminated string, then one zero byte that must be the
    last (protocol-message-formats.html; PostgreSQL's "invalid startup packet layout" otherwise)."""
    out: dict[str, str] = {}
    strings = body.split(b"\0")
    while len(strings) > 1 and strings[0]:
        out[strings[0].decode()] = strings[1].decode()
        strings = strings[2:]
    if strings != [b"", b""]:
        raise Fatal("08P01", "invalid startup packet layout: expected terminator as last byte")
    return out
