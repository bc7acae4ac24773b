"""Tables people read at a glance: in JupyterLab a rich table, in text the
same rows aligned in columns.

A :class:`Table` is what 01 and 03 show of their checks and loads (the
preflight, the security controls, 01's warnings, the load report, the rejected
records, the quality checks). Jupyter picks the richest of its two renderings:

- ``text/html``: a table whose status cells are coloured (``pass`` / ``ok``
  green, ``fail`` / ``error`` red, ``warn`` / ``exception`` amber, ``n/a``
  grey) and whose long values wrap inside their cell, so no row breaks across
  lines at JupyterLab's default width. Every status cell carries the class
  ``sparkify-status-<kind>`` (``ok``, ``fail``, ``warn``, ``na``, ``other``)
  and its row ``sparkify-row-<kind>``; the look is inline styles, which
  JupyterLab keeps in untrusted notebooks and nbconvert keeps in HTML.
- ``text/plain``: the rows as aligned text (numbers to the right, the rest to
  the left, two spaces apart). This is what ``print(table)`` prints and what
  ``sparkify-nb run`` shows in the terminal (the output carries the metadata
  ``{"sparkify_nb": {"table": title}}`` so the runner can tell it from other
  outputs).

Both renderings hold the same values and nothing that differs between runs
(timings go in the progress lines), so nbval compares both in a checked cell.

An empty table is its ``empty`` sentence in both renderings.

Example::

    >>> import pandas as pd
    >>> t = Table(pd.DataFrame({"check": ["caller", "region"], "result": ["pass", "fail"]}), "preflight", "result")
    >>> print(t)
    check   result
    caller  pass
    region  fail
    >>> 'class="sparkify-status sparkify-status-fail"' in t.html()
    True
"""

from __future__ import annotations

import html
import numbers
import re
from typing import Any

import pandas as pd

STATUS_KINDS = {"pass": "ok", "ok": "ok", "fail": "fail", "error": "fail", "warn": "warn", "exception": "warn",
                "n/a": "na"}
"""Each status value a table may hold and its kind (the colour). Anything else is ``other``."""

COLOURS = {  # kind: (text, background); dark text on light tints reads in JupyterLab's light and dark themes
    "ok": ("#14532d", "#d3f0dc"), "fail": ("#7f1d1d", "#fbd5d5"), "warn": ("#713f12", "#fde9b8"),
    "na": ("#3f3f46", "#e4e4e7"), "other": ("#1f2937", "#e5e7eb"),
}
# Styles inline (JupyterLab's sanitizer keeps style attributes, drops <style> in untrusted outputs, and keeps only
# the values it knows: overflow-wrap normal|break-word, word-break normal|keep-all|break-all); each cell states its
# alignment, as JupyterLab's own CSS right-aligns every td and th. Long text wraps in its cell.
_TABLE = "border-collapse:collapse;margin:0.3em 0 0.6em 0;white-space:normal"
_TH = "text-align:left;white-space:nowrap"
_TH_NUM = "text-align:right;white-space:nowrap"
_TD = "text-align:left;vertical-align:top;overflow-wrap:break-word"
_NUM = "text-align:right;vertical-align:top;white-space:nowrap"
# A long value sits in a block of bounded width: a table cell ignores max-width, and without it one long column
# (a raw value, a reason) would push the others out of sight instead of wrapping. A long token (an ARN, an S3 URI)
# may break after its separators (<wbr>: copying the value gives it unchanged), so the table narrows to the notebook.
_LONG = 60  # characters from which a value is wrapped in a block of _WRAP (an endpoint, an ARN fit on one line)
_WRAP = "max-width:40em"
_TOKEN = 24  # characters of one token from which it may break after a separator (or within, every _TOKEN)
_SEPARATOR = re.compile(r"([/:._=&,;-])")
_BADGE = "padding:0.05em 0.5em;border-radius:0.6em;font-weight:600;white-space:nowrap;color:{0};background-color:{1}"


def status_kind(value: Any) -> str:
    """The colour kind of a status value: ``ok``, ``fail``, ``warn``, ``na`` or ``other``."""
    return STATUS_KINDS.get(str(value).strip().lower(), "other")


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _numeric(column: pd.Series) -> bool:
    values = [v for v in column if v is not None and not (isinstance(v, float) and pd.isna(v))]
    return bool(values) and all(_is_number(v) for v in values)


def _text(value: Any, count: bool = False) -> str:
    """A cell's text; in a column of counts a whole number has thousands
    separators (``8,000``, as the progress lines print it)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if count and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{int(value):,}"
    return str(value)


def _breakable(text: str) -> str:
    """``text`` as HTML in which a token longer than :data:`_TOKEN` may break
    after each separator, and a run without one every :data:`_TOKEN` characters."""
    out = []
    for token in re.split(r"(\s+)", text):
        if len(token) <= _TOKEN:
            out.append(html.escape(token))
            continue
        for piece in _SEPARATOR.split(token):
            chunks = [piece[i:i + _TOKEN] for i in range(0, len(piece), _TOKEN)]
            out.append("<wbr>".join(html.escape(c) for c in chunks) + ("<wbr>" if _SEPARATOR.fullmatch(piece) else ""))
    return "".join(out)


def text_table(frame: pd.DataFrame, right: tuple[str, ...] = (), counts: tuple[str, ...] = ()) -> str:
    """``frame`` as plain text, two spaces between columns: numbers (and the
    columns named in ``right``) aligned to the right, everything else to the
    left (pandas' ``to_string`` right-aligns text too, which makes long values
    hard to scan); the columns named in ``counts`` with thousands separators; no index."""
    right = [_numeric(frame[c]) or c in right for c in frame.columns]
    rows = [[str(c) for c in frame.columns]] + [[_text(v, c in counts) for v, c in zip(row, frame.columns)]
                                               for row in frame.itertuples(index=False)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.rjust(w) if number else v.ljust(w) for v, w, number in zip(r, widths, right)).rstrip()
                     for r in rows)


class Table:
    """Rows to show as a table (see the module docstring).

    ``frame``: the rows, columns in display order (no index: reset it first);
    ``title``: what the table is (``"security controls"``); ``status``: the
    column holding each row's status, coloured (``None``: no status);
    ``empty``: the sentence shown when there is no row; ``right``: columns
    aligned to the right although they hold text (counts already formatted);
    ``counts``: columns of counts, shown with thousands separators (``8,000``;
    not an error code or a port). Raises KeyError for a status column
    ``frame`` lacks."""

    def __init__(self, frame: pd.DataFrame, title: str, status: str | None = None, empty: str = "no rows",
                 right: tuple[str, ...] = (), counts: tuple[str, ...] = ()):
        if status is not None and status not in frame.columns:
            raise KeyError(f"{title}: no status column {status!r} among {list(frame.columns)}")
        self.frame, self.title, self.status, self.empty = frame.reset_index(drop=True), title, status, empty
        self.right, self.counts = tuple(right), tuple(counts)

    def __len__(self) -> int:
        return len(self.frame)

    def text(self) -> str:
        """The ``text/plain`` rendering: aligned columns, or ``empty``."""
        return self.empty if self.frame.empty else text_table(self.frame, self.right, self.counts)

    __str__ = text

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())

    def kinds(self) -> list[str]:
        """The status kind of every row (``other`` for all when there is no status column)."""
        if self.status is None:
            return ["other"] * len(self.frame)
        return [status_kind(v) for v in self.frame[self.status]]

    def html(self) -> str:
        """The ``text/html`` rendering (see the module docstring)."""
        if self.frame.empty:
            return f'<p class="sparkify-empty">{html.escape(self.empty)}</p>'
        numeric = {c: _numeric(self.frame[c]) for c in self.frame.columns}
        right = {c: numeric[c] or c in self.right for c in self.frame.columns}
        head = "".join(f'<th style="{_TH_NUM if right[c] else _TH}">{html.escape(str(c))}</th>'
                       for c in self.frame.columns)
        body = []
        for kind, row in zip(self.kinds(), self.frame.itertuples(index=False)):
            cells = []
            for column, value in zip(self.frame.columns, row):
                text = _text(value, column in self.counts)
                if column == self.status:
                    badge = _BADGE.format(*COLOURS[kind])
                    cells.append(f'<td class="sparkify-status sparkify-status-{kind}" style="{_TD}">'
                                 f'<span style="{badge}">{html.escape(text)}</span></td>')
                elif right[column]:
                    cells.append(f'<td style="{_NUM}">{html.escape(text)}</td>')
                else:
                    shown = _breakable(text)
                    block = f'<div style="{_WRAP}">{shown}</div>' if len(text) >= _LONG else shown
                    cells.append(f'<td style="{_TD}">{block}</td>')
            row_class = f"sparkify-row sparkify-row-{kind}" if self.status is not None else "sparkify-row"
            body.append(f'<tr class="{row_class}">{"".join(cells)}</tr>')
        return (f'<table class="sparkify-table" data-title="{html.escape(self.title)}" style="{_TABLE}">'
                f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
        # The metadata marks the output as a table: `sparkify-nb run` shows its text in the terminal.
        return {"text/plain": self.text(), "text/html": self.html()}, {"sparkify_nb": {"table": self.title}}
