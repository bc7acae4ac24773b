"""The bytes of PostgreSQL's frontend/backend protocol that the front door (:mod:`.wire`) writes,
and how one Query message splits into statements
(https://www.postgresql.org/docs/current/protocol-message-formats.html)."""

from __future__ import annotations

import re
import struct


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
