"""The questions analysts ask, one function per question, each backed by one
SQL file under ``analytics/sql/`` (named after the question) that runs
unchanged on Redshift and PostgreSQL, and each returning a pandas DataFrame.

Common parameters (checked before any SQL runs; a wrong value raises
:class:`AnalyticsParameterError` naming the parameter). Notebook 04 does not
pass them by hand: its parameters go through ``config.load(overrides=...)``
(the ``[analytics]`` settings) and :func:`filters_from` turns the validated
settings into :class:`Filters`.

- ``start_date``, ``end_date``: the period, as UTC calendar days, both
  inclusive (``"2018-11-01"``, a ``date`` or ``None``/``""`` for open-ended).
  The warehouse stores play times in UTC, so a day is a UTC day.
- ``level``: ``"free"``, ``"paid"`` or ``"all"``: the user's level *at the
  time of the play* (``songplays.level``).
- ``top_n``: how many rows a ranking returns (a positive integer).
- ``tz``: an IANA time zone (``"America/New_York"``) for the hour-of-day and
  weekday questions; the default is ``"UTC"``.

Time zones without a dialect seam: the time-of-day queries return plays per
UTC quarter hour, and pandas moves those buckets to ``tz`` (daylight saving
included, per bucket). Every time zone in use today is a whole number of
quarter hours off UTC, so the shift is exact, and the SQL needs neither
Redshift's ``CONVERT_TIMEZONE`` nor PostgreSQL's ``AT TIME ZONE``.

Values reach the database as bound parameters (psycopg2 ``%(name)s``), never
formatted into the SQL text.

Example::

    >>> from sparkify_nb import analytics, config
    >>> settings = config.load(overrides={"analytics.level": "paid"})
    >>> with analytics.connection(settings) as conn:    # doctest: +SKIP
    ...     analytics.plays_by_hour(conn, "2018-11-01", "2018-11-15", level="paid", tz="America/New_York")
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ..warehouse import connect as warehouse
from .parameters import AnalyticsParameterError, check_top_n, filters

SQL_DIR = Path(__file__).resolve().parent / "sql"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _query(conn: Any, name: str, params: dict[str, Any], limit: int | None = None) -> pd.DataFrame:
    """Run ``sql/<name>.sql`` with ``params``. ``limit`` (an int from
    :func:`check_top_n`) is written into the text as LIMIT's count rather than
    bound: over the Data API a parameter arrives as text
    (https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_SqlParameter.html),
    and Redshift's LIMIT takes "a positive integer"
    (https://docs.aws.amazon.com/redshift/latest/dg/r_ORDER_BY_clause.html);
    that it takes a parameter there is unconfirmed. The period bounds are
    bound, and each SQL file CASTs them to TIMESTAMP, so neither driver leaves
    their type to inference."""
    text = warehouse.sql_text(SQL_DIR, name)
    if limit is not None:
        text = text.replace("%(top_n)s", str(int(limit)))
    return warehouse.query(conn, text, params)


def _local_buckets(frame: pd.DataFrame, tz: str) -> pd.Series:
    """Quarter-hour UTC buckets (``bucket_hour``, ``quarter``) as local timestamps in ``tz``."""
    utc = pd.to_datetime(frame["bucket_hour"]) + pd.to_timedelta(frame["quarter"].astype(int) * 15, unit="min")
    return utc.dt.tz_localize("UTC").dt.tz_convert(ZoneInfo(tz))


def plays_by_hour(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all",
                  tz: str = "UTC") -> pd.DataFrame:
    """When do people listen? Plays per hour of day in ``tz`` (default UTC).

    Returns all 24 hours (0 where none), columns ``hour`` (0-23, local to
    ``tz``) and ``plays`` (count). Raises :class:`AnalyticsParameterError`
    for a wrong parameter, :class:`~sparkify_nb.warehouse.WarehouseError` if
    the query fails."""
    f = filters(start_date, end_date, level, tz)
    frame = _query(conn, "plays_by_hour", f.params())
    counts = pd.Series(0, index=range(24), dtype="int64")
    if len(frame):
        hours = _local_buckets(frame, f.tz).dt.hour
        counts = counts.add(frame["plays"].astype("int64").groupby(hours.values).sum(), fill_value=0).astype("int64")
    return counts.rename_axis("hour").reset_index(name="plays")


def plays_by_weekday_hour(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all",
                          tz: str = "UTC") -> pd.DataFrame:
    """Which hours of which weekdays are busiest? A 7 x 24 matrix of plays.

    Index ``weekday`` (``Mon`` ... ``Sun``), columns the hours 0-23, both local
    to ``tz`` (default UTC); values are play counts, 0 where none. Raises
    :class:`AnalyticsParameterError` for a wrong parameter."""
    f = filters(start_date, end_date, level, tz)
    frame = _query(conn, "plays_by_weekday_hour", f.params())
    matrix = pd.DataFrame(0, index=pd.Index(WEEKDAYS, name="weekday"), columns=pd.Index(range(24), name="hour"),
                          dtype="int64")
    if len(frame):
        local = _local_buckets(frame, f.tz)
        grouped = frame["plays"].astype("int64").groupby([local.dt.dayofweek.values, local.dt.hour.values]).sum()
        for (weekday, hour), plays in grouped.items():
            matrix.iloc[int(weekday), int(hour)] = int(plays)
    return matrix


def daily_plays(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all") -> pd.DataFrame:
    """Is listening growing? Plays and distinct users per UTC day.

    Columns ``day`` (``datetime.date``, UTC), ``plays``, ``users``; every day
    of the period is present (0 where none). An open end of the period stops at
    the first or last day with plays. Raises :class:`AnalyticsParameterError`."""
    f = filters(start_date, end_date, level)
    frame = _query(conn, "daily_plays", f.params())
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    first = f.start_date or (frame["day"].min() if len(frame) else None)
    last = f.end_date or (frame["day"].max() if len(frame) else None)
    if first is None or last is None:
        return pd.DataFrame({"day": pd.Series(dtype=object), "plays": pd.Series(dtype="int64"),
                             "users": pd.Series(dtype="int64")})
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    full = frame.set_index("day")[["plays", "users"]].reindex(days, fill_value=0).astype("int64")
    return full.rename_axis("day").reset_index()


def _with_share(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["plays"] = frame["plays"].astype("int64")
    total = frame.pop("matched_plays").astype("int64")
    frame["share_of_matched_pct"] = (100.0 * frame["plays"] / total).round(1) if len(frame) else pd.Series(dtype=float)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    # The base of the shares, for a reader's "of how many?" (matched_answer): 0 when nothing matched.
    frame.attrs["matched_plays"] = int(total.iloc[0]) if len(total) else 0
    return frame


def top_songs(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all",
              top_n: int = 10) -> pd.DataFrame:
    """Which songs are played most, among plays matched to the song catalogue?

    A play whose song the catalogue does not hold is not matched (its
    ``song_id`` is NULL), so the ranking and the share are of *matched* plays.
    Columns ``rank, song_id, title, artist, plays, share_of_matched_pct``
    (percent); ties broken by title, then song_id; ``frame.attrs["matched_plays"]``
    is the number of matched plays in the period. Raises :class:`AnalyticsParameterError` for a wrong parameter."""
    f = filters(start_date, end_date, level)
    return _with_share(_query(conn, "top_songs", f.params(), limit=check_top_n(top_n)))


def top_artists(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all",
                top_n: int = 10) -> pd.DataFrame:
    """Whose music is played most, among plays matched to the catalogue?

    Columns ``rank, artist_id, artist, plays, listeners, share_of_matched_pct``;
    ``listeners`` counts distinct users. Ties broken by name, then artist_id.
    Raises :class:`AnalyticsParameterError` for a wrong parameter."""
    f = filters(start_date, end_date, level)
    frame = _with_share(_query(conn, "top_artists", f.params(), limit=check_top_n(top_n)))
    frame["listeners"] = frame["listeners"].astype("int64")
    return frame


def free_vs_paid(conn: Any, start_date: Any = None, end_date: Any = None) -> pd.DataFrame:
    """How do free and paid compare: plays, users, and users who changed level?

    One row per level (``free``, ``paid``), columns ``level, plays, users,
    play_share_pct`` (percent of all plays in the period) and
    ``users_switched_in``: on ``paid`` the users who upgraded during the
    period, on ``free`` those who downgraded. A user who played on both levels
    counts on both rows; ``frame.attrs["users"]`` is the number of distinct
    users who played (the unknown user left out). No ``level`` parameter: the
    question compares both. Raises :class:`AnalyticsParameterError`."""
    f = filters(start_date, end_date)
    frame = _query(conn, "free_vs_paid", f.params())
    users = int(frame["users_all_levels"].max()) if len(frame) else 0
    frame = frame.set_index("level").reindex(["free", "paid"], fill_value=0)
    frame = frame[["plays", "users", "users_switched_in"]].astype("int64")
    total = int(frame["plays"].sum())
    frame["play_share_pct"] = (100.0 * frame["plays"] / total).round(1) if total else 0.0
    frame = frame[["plays", "users", "play_share_pct", "users_switched_in"]].rename_axis("level").reset_index()
    frame.attrs["users"] = users
    return frame


def top_locations(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all",
                  top_n: int = 10) -> pd.DataFrame:
    """Where do people listen? The ``top_n`` locations by plays.

    Columns ``rank, location, plays, users``; plays without a location are
    left out; ties broken by location. Raises :class:`AnalyticsParameterError`."""
    f = filters(start_date, end_date, level)
    frame = _query(conn, "top_locations", f.params(), limit=check_top_n(top_n))
    frame[["plays", "users"]] = frame[["plays", "users"]].astype("int64")
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame


def platforms(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all") -> pd.DataFrame:
    """On which platforms do people listen? Plays and users per operating
    system and browser family, read from the user agent.

    Columns ``os`` (Windows, macOS, iOS, Android, Linux, Other, Unknown),
    ``browser`` (Chrome, Safari, Firefox, Edge, Opera, Internet Explorer,
    Other, Unknown), ``plays``, ``users``; most plays first. See
    :func:`by_family` for one family at a time. Raises
    :class:`AnalyticsParameterError`."""
    f = filters(start_date, end_date, level)
    frame = _query(conn, "platforms", f.params())
    frame[["plays", "users"]] = frame[["plays", "users"]].astype("int64")
    # Ties sorted here, not by the database's collation, so both targets agree.
    return frame.sort_values(["plays", "os", "browser"], ascending=[False, True, True], ignore_index=True)


def by_family(platform_frame: pd.DataFrame, family: str) -> pd.DataFrame:
    """Plays per ``family`` (``"os"`` or ``"browser"``) from :func:`platforms`,
    most plays first (ties by name). Users are not summed: one user may use
    several browsers."""
    if family not in ("os", "browser"):
        raise AnalyticsParameterError("family", f"expected 'os' or 'browser', got {family!r}")
    plays = platform_frame.groupby(family)["plays"].sum().astype("int64").reset_index()
    return plays.sort_values(["plays", family], ascending=[False, True], ignore_index=True)


def sessions(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all") -> pd.DataFrame:
    """How long are listening sessions? One row per session (user_id, session_id).

    Columns ``user_id, session_id, plays, first_play`` (UTC),
    ``length_minutes`` (first play's start to last play's start, so a
    one-song session is 0.0). Only plays in the period count. Raises
    :class:`AnalyticsParameterError`."""
    f = filters(start_date, end_date, level)
    frame = _query(conn, "sessions", f.params())
    frame["plays"] = frame["plays"].astype("int64")
    frame["length_minutes"] = (frame.pop("length_seconds").astype("float64") / 60.0).round(2)
    return frame


def session_summary(session_frame: pd.DataFrame) -> pd.DataFrame:
    """Count, mean, median and 90th percentile of plays per session and session
    length (minutes), from :func:`sessions`; one row per measure."""
    rows = []
    for column, label in (("plays", "plays per session"), ("length_minutes", "session length (minutes)")):
        values = session_frame[column].astype("float64")
        rows.append({"measure": label, "sessions": int(len(values)),
                     "mean": round(float(values.mean()), 1) if len(values) else 0.0,
                     "median": round(float(values.median()), 1) if len(values) else 0.0,
                     "p90": round(float(values.quantile(0.9)), 1) if len(values) else 0.0})
    return pd.DataFrame(rows)
