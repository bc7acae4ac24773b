"""04's questions asked together, ahead of the cells that show them.

On the Redshift Data API a question asked on its own costs a submission, a
wait (one DescribeStatement or more) and a GetStatementResult: three round
trips or more, each far slower than the query itself. Asked together they cost
one BatchExecuteStatement, one wait, and one GetStatementResult each
(:func:`sparkify_nb.warehouse.connect.query_many`). On PostgreSQL they run one
after the other, as they would have anyway.

:func:`ask_ahead` asks every question notebook 04 shows, for its filters, and
returns the connection wrapped in :class:`AskedAhead`: each question function
(:mod:`.queries`) then takes its rows from what was asked ahead when its SQL
text and parameters are exactly those, and asks the warehouse otherwise. So a
cell that asks with other filters still gets the right answer, only a round
trip dearer.

Example::

    >>> conn = analytics.ask_ahead(analytics.open_connection(settings), filters)   # doctest: +SKIP
    >>> analytics.plays_by_hour(conn, **filters.period, level=filters.level)      # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..warehouse import connect as warehouse
from . import queries
from .parameters import Filters

# The questions 04 shows, in its order; the rankings take Filters.top_n, free_vs_paid compares both levels.
QUESTIONS = ("plays_by_hour", "plays_by_weekday_hour", "daily_plays", "top_songs", "top_artists", "free_vs_paid",
             "top_locations", "platforms", "sessions")
RANKED = ("top_songs", "top_artists", "top_locations")


def _key(text: str, params: dict[str, Any]) -> tuple[str, tuple[tuple[str, Any], ...]]:
    return text, tuple(sorted(params.items()))


class AskedAhead:
    """``conn`` with the rows of the questions asked ahead; everything else
    (``cursor``, ``close``, ...) is ``conn``'s own."""

    def __init__(self, conn: Any, answers: dict[tuple, pd.DataFrame]):
        self.conn, self._answers = conn, answers

    def asked_ahead(self, text: str, params: dict[str, Any]) -> pd.DataFrame | None:
        """A copy of the rows asked ahead for ``text`` with ``params``; None when not asked."""
        frame = self._answers.get(_key(text, params))
        return None if frame is None else frame.copy()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def ask_ahead(conn: Any, filters: Filters) -> AskedAhead:
    """Ask every question of :data:`QUESTIONS` for ``filters`` (period, level,
    ``top_n``) in one go; return ``conn`` wrapped to answer them. Raises
    :class:`~sparkify_nb.warehouse.WarehouseError` naming a failing query."""
    asked = [queries.statement(name, (filters.all_levels() if name == "free_vs_paid" else filters).params(),
                               filters.top_n if name in RANKED else None) for name in QUESTIONS]
    frames = warehouse.query_many(conn, asked)
    return AskedAhead(conn, {_key(text, params): frame for (text, params), frame in zip(asked, frames)})
