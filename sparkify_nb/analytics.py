"""The questions analysts ask, one function per question, each backed by one
SQL file under ``sql/analytics/`` that runs on both targets.

Example::

    >>> from sparkify_nb import analytics, config, warehouse
    >>> with warehouse.connect(config.load()) as conn:    # doctest: +SKIP
    ...     analytics.plays_by_hour(conn).head(3)
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import warehouse


def plays_by_hour(conn: Any) -> pd.DataFrame:
    """Plays per hour of day (UTC), all 24 hours (0 where none): columns ``hour, plays``."""
    frame = warehouse.query(conn, warehouse.sql_file("analytics", "plays_by_hour"))
    counts = frame.set_index("hour")["plays"].astype(int) if len(frame) else pd.Series(dtype=int)
    full = counts.reindex(range(24), fill_value=0)
    return full.rename_axis("hour").reset_index(name="plays")
