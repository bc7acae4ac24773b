"""Mutants of a SQL file: the one-token slips a change to a query can make.

cosmic-ray mutates Python only; our SQL files (``sparkify_nb/*/sql/*.sql``) hold as much of the
behaviour (which plays count, which song a play matches, what quality reports), so
``make mutants`` mutates them too, with these kinds (one mutant per place each applies):

- ``comparison``: ``=`` <-> ``<>`` (``!=`` -> ``=``), ``<`` <-> ``>=``, ``>`` <-> ``<=``
  (the condition negated);
- ``boundary``: ``<`` -> ``<=``, ``<=`` -> ``<``, ``>`` -> ``>=``, ``>=`` -> ``>``;
- ``drop predicate``: one predicate of a ``WHERE``, ``ON``, ``HAVING`` or ``AND`` chain
  replaced by ``TRUE`` (one after ``OR`` by ``FALSE``), the rest of the condition kept;
- ``order``: ``ASC`` <-> ``DESC``, and a bare ``ORDER BY`` / ``OVER (... ORDER BY`` key
  given ``DESC``;
- ``and/or``: ``AND`` -> ``OR``, ``OR`` -> ``AND`` (not the ``AND`` of ``BETWEEN``).

Comments, string literals and quoted identifiers are never mutated. The file is read as
text (templates such as ``{table}`` stay as they are): no database is needed to make mutants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("comparison", "boundary", "drop predicate", "order", "and/or")

_TOKEN = re.compile(r"""
    (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<op><=|>=|<>|!=|=|<|>)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<end>;)
  | (?P<other>\S)
""", re.VERBOSE | re.DOTALL)

NEGATED = {"=": "<>", "<>": "=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
BOUNDARY = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
# where a predicate of a condition ends (at its own parenthesis depth)
_ENDS_PREDICATE = {"AND", "OR", "WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "UNION", "EXCEPT", "INTERSECT",
                   "JOIN", "LEFT", "RIGHT", "INNER", "FULL", "CROSS", "THEN", "WHEN", "ELSE", "END", "ON",
                   "WINDOW", "RETURNING", "SELECT", "FROM", "INTO", "VALUES", "SET"}
_STARTS_PREDICATE = {"WHERE", "ON", "HAVING", "AND", "OR"}


@dataclass(frozen=True)
class Token:
    kind: str  # comment, string, quoted, op, word, open, close, end, other
    text: str
    start: int
    end: int
    depth: int  # parentheses open before it (a closing one counts the one it closes)


@dataclass(frozen=True)
class SqlMutant:
    kind: str  # one of KINDS
    line: int  # 1-based, where the mutated text starts
    start: int
    end: int
    replacement: str
    original: str

    def apply(self, text: str) -> str:
        return text[:self.start] + self.replacement + text[self.end:]

    def describe(self) -> str:
        before = " ".join(self.original.split())
        return f"line {self.line} {self.kind}: {before!r} -> {self.replacement!r}"


def tokens(text: str) -> list[Token]:
    """The file's tokens with their offsets and parenthesis depth (comments and strings as one token each)."""
    out, depth = [], 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        out.append(Token(kind, match.group(), match.start(), match.end(), depth))
        depth += {"open": 1, "close": -1}.get(kind, 0)
    return out


def _word(token: Token) -> str:
    return token.text.upper() if token.kind == "word" else ""


def _predicate_end(code: list[Token], start: int) -> int:
    """Index of the token after the predicate that begins at ``code[start]``."""
    depth = code[start].depth
    between, cases = False, 0
    for i in range(start, len(code)):
        token, word = code[i], _word(code[i])
        if token.depth < depth or (token.depth == depth and token.kind in ("close", "end")):
            return i
        if token.depth != depth:
            continue
        if word == "CASE":
            cases += 1
        elif word == "END" and cases:
            cases -= 1  # CASE ... END: part of this predicate
        elif word == "BETWEEN":
            between = True
        elif word == "AND" and between:
            between = False  # BETWEEN x AND y: part of this predicate
        elif i > start and not cases and word in _ENDS_PREDICATE:
            return i
    return len(code)


def _between_ands(code: list[Token]) -> set[int]:
    """Indexes of the AND tokens that belong to a BETWEEN."""
    found, open_between = set(), {}
    for i, token in enumerate(code):
        if _word(token) == "BETWEEN":
            open_between[token.depth] = True
        elif _word(token) == "AND" and open_between.pop(token.depth, False):
            found.add(i)
    return found


def mutants(text: str) -> list[SqlMutant]:
    """Every mutant of ``text`` (a SQL file's content), in file order, kind by kind."""
    code = [t for t in tokens(text) if t.kind != "comment"]
    between = _between_ands(code)
    line = lambda offset: text.count("\n", 0, offset) + 1  # noqa: E731
    found: list[SqlMutant] = []

    def add(kind: str, start: int, end: int, replacement: str) -> None:
        found.append(SqlMutant(kind, line(start), start, end, replacement, text[start:end]))

    for i, token in enumerate(code):
        word = _word(token)
        if token.kind == "op" and token.text in NEGATED:
            add("comparison", token.start, token.end, NEGATED[token.text])
            if token.text in BOUNDARY:
                add("boundary", token.start, token.end, BOUNDARY[token.text])
        elif word in ("ASC", "DESC"):
            add("order", token.start, token.end, "DESC" if word == "ASC" else "ASC")
        elif word == "BY" and i and _word(code[i - 1]) == "ORDER":
            for last in _undirected_keys(code, i + 1):  # a key with no direction: ascending; made descending
                add("order", code[last].start, code[last].end, code[last].text + " DESC")
        if word in ("AND", "OR") and i not in between:
            add("and/or", token.start, token.end, "OR" if word == "AND" else "AND")
        if word in _STARTS_PREDICATE and i not in between and i + 1 < len(code):
            stop = _predicate_end(code, i + 1)
            if stop > i + 1:
                add("drop predicate", code[i + 1].start, code[stop - 1].end, "FALSE" if word == "OR" else "TRUE")
    return found


def _undirected_keys(code: list[Token], start: int) -> list[int]:
    """Index of the last token of each ORDER BY key from ``start`` that names no direction."""
    if start >= len(code):
        return []
    depth, keys, first, directed = code[start].depth, [], start, False
    for i in range(start, len(code) + 1):
        token = code[i] if i < len(code) else None
        stop = token is None or token.depth < depth or (token.depth == depth and (
            token.kind in ("close", "end") or _word(token) in ("LIMIT", "OFFSET", "ROWS", "RANGE")))
        if stop or (token.depth == depth and token.text == ","):
            if i > first and not directed:
                keys.append(i - 1)
            if stop:
                return keys
            first, directed = i + 1, False
        elif token.depth == depth and _word(token) in ("ASC", "DESC", "NULLS"):
            directed = True
    return keys
