"""The questions analysts ask, one function per question, each backed by one
SQL file under ``sql/analytics/`` (named after the question) that runs
unchanged on Redshift and PostgreSQL, and each returning a pandas DataFrame.

Common parameters (checked before any SQL runs; a wrong value raises
:class:`AnalyticsParameterError` naming the parameter):

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

    >>> from sparkify_nb import analytics, config, warehouse
    >>> with warehouse.connect(config.load()) as conn:    # doctest: +SKIP
    ...     analytics.plays_by_hour(conn, "2018-11-01", "2018-11-15", level="paid", tz="America/New_York")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from .. import SparkifyError
from ..warehouse import connect as warehouse

SQL_DIR = Path(__file__).resolve().parent / "sql"
LEVELS = ("free", "paid", "all")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class AnalyticsParameterError(SparkifyError, ValueError):
    """A question was asked with a wrong parameter; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Filters:
    """Validated common parameters. ``start``/``end`` are the UTC bounds the
    SQL uses: ``start_time >= start AND start_time < end`` (``None`` = open)."""

    start_date: date | None
    end_date: date | None
    level: str
    tz: str

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.start_date, datetime.min.time()) if self.start_date else None

    @property
    def end(self) -> datetime | None:
        return datetime.combine(self.end_date + timedelta(days=1), datetime.min.time()) if self.end_date else None

    def params(self, **extra: Any) -> dict[str, Any]:
        """The bound parameters of the SQL files."""
        return {"start": self.start, "end": self.end, "level": self.level, **extra}

    def label(self) -> str:
        """The period and level in words, for chart titles: ``2018-11-01 to 2018-11-15 (UTC), paid plays``."""
        if self.start_date and self.end_date:
            period = f"{self.start_date:%Y-%m-%d} to {self.end_date:%Y-%m-%d} (UTC)"
        elif self.start_date:
            period = f"from {self.start_date:%Y-%m-%d} (UTC)"
        elif self.end_date:
            period = f"up to {self.end_date:%Y-%m-%d} (UTC)"
        else:
            period = "all dates"
        return f"{period}, {'all' if self.level == 'all' else self.level} plays"


def _parse_date(name: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise AnalyticsParameterError(name, f"expected a date like 2018-11-01 (UTC day), got {value!r}")


def check_tz(tz: Any) -> ZoneInfo:
    """The :class:`ZoneInfo` for ``tz``; raises :class:`AnalyticsParameterError` if unknown."""
    if not isinstance(tz, str) or not tz.strip():
        raise AnalyticsParameterError("tz", f"expected an IANA time zone like 'UTC' or 'America/New_York', got {tz!r}")
    try:
        return ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise AnalyticsParameterError(
            "tz", f"unknown time zone {tz!r}; use an IANA name like 'UTC' or 'America/New_York'") from None


def check_top_n(top_n: Any) -> int:
    """``top_n`` as an int >= 1; raises :class:`AnalyticsParameterError` otherwise."""
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise AnalyticsParameterError("top_n", f"expected a positive whole number, got {top_n!r}")
    return top_n


def filters(start_date: Any = None, end_date: Any = None, level: str = "all", tz: str = "UTC") -> Filters:
    """Validate the common parameters at once.

    Raises :class:`AnalyticsParameterError` naming ``start_date`` or ``end_date``
    (not a date; ``end_date`` before ``start_date``), ``level`` (not one of
    free, paid, all) or ``tz`` (not a known IANA time zone)."""
    start, end = _parse_date("start_date", start_date), _parse_date("end_date", end_date)
    if start and end and end < start:
        raise AnalyticsParameterError("end_date", f"{end} is before start_date {start}")
    if level not in LEVELS:
        raise AnalyticsParameterError("level", f"expected one of {', '.join(LEVELS)}, got {level!r}")
    check_tz(tz)
    return Filters(start, end, level, tz.strip())


def _query(conn: Any, name: str, params: dict[str, Any]) -> pd.DataFrame:
    return warehouse.query(conn, warehouse.sql_text(SQL_DIR, name), params)


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
    return frame


def top_songs(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all",
              top_n: int = 10) -> pd.DataFrame:
    """Which songs are played most, among plays matched to the song catalogue?

    Most plays are not matched (their ``song_id`` is NULL), so the ranking and
    the share are of *matched* plays. Columns ``rank, song_id, title, artist,
    plays, share_of_matched_pct`` (percent); ties broken by title, then song_id.
    Raises :class:`AnalyticsParameterError` for a wrong parameter."""
    f = filters(start_date, end_date, level)
    return _with_share(_query(conn, "top_songs", f.params(top_n=check_top_n(top_n))))


def top_artists(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all",
                top_n: int = 10) -> pd.DataFrame:
    """Whose music is played most, among plays matched to the catalogue?

    Columns ``rank, artist_id, artist, plays, listeners, share_of_matched_pct``;
    ``listeners`` counts distinct users. Ties broken by name, then artist_id.
    Raises :class:`AnalyticsParameterError` for a wrong parameter."""
    f = filters(start_date, end_date, level)
    frame = _with_share(_query(conn, "top_artists", f.params(top_n=check_top_n(top_n))))
    frame["listeners"] = frame["listeners"].astype("int64")
    return frame


def free_vs_paid(conn: Any, start_date: Any = None, end_date: Any = None) -> pd.DataFrame:
    """How do free and paid compare: plays, users, and users who changed level?

    One row per level (``free``, ``paid``), columns ``level, plays, users,
    play_share_pct`` (percent of all plays in the period) and
    ``users_switched_in``: on ``paid`` the users who upgraded during the
    period, on ``free`` those who downgraded. No ``level`` parameter: the
    question compares both. Raises :class:`AnalyticsParameterError`."""
    f = filters(start_date, end_date)
    frame = _query(conn, "free_vs_paid", f.params())
    frame = frame.set_index("level").reindex(["free", "paid"], fill_value=0).astype("int64")
    total = int(frame["plays"].sum())
    frame["play_share_pct"] = (100.0 * frame["plays"] / total).round(1) if total else 0.0
    return frame[["plays", "users", "play_share_pct", "users_switched_in"]].rename_axis("level").reset_index()


def top_locations(conn: Any, start_date: Any = None, end_date: Any = None, level: str = "all",
                  top_n: int = 10) -> pd.DataFrame:
    """Where do people listen? The ``top_n`` locations by plays.

    Columns ``rank, location, plays, users``; plays without a location are
    left out; ties broken by location. Raises :class:`AnalyticsParameterError`."""
    f = filters(start_date, end_date, level)
    frame = _query(conn, "top_locations", f.params(top_n=check_top_n(top_n)))
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


def summary(by_hour: pd.DataFrame, songs: pd.DataFrame, free_paid: pd.DataFrame,
            by_hour_local: pd.DataFrame | None = None, tz: str = "UTC", artists: pd.DataFrame | None = None,
            daily: pd.DataFrame | None = None, session_stats: pd.DataFrame | None = None) -> pd.DataFrame:
    """The answers in one table (``question``, ``answer``), from the frames of
    the questions above: peak hour (UTC, and in ``tz`` when given), top song,
    top artist, paid share of plays, busiest day, median session. Ties go to
    the earliest hour or day and to the first row of a ranking."""
    def peak(frame: pd.DataFrame) -> str:
        if frame["plays"].sum() == 0:
            return "no plays"
        row = frame.loc[frame["plays"].idxmax()]
        return f"{int(row['hour']):02d}:00 ({int(row['plays']):,} plays)"

    rows = [("plays in the period", f"{int(by_hour['plays'].sum()):,}"),
            ("peak hour (UTC)", peak(by_hour))]
    if by_hour_local is not None and tz != "UTC":
        rows.append((f"peak hour ({tz})", peak(by_hour_local)))
    if len(songs):
        top = songs.iloc[0]
        by = f" by {top['artist']}" if isinstance(top["artist"], str) else ""
        rows.append(("top song (matched plays)", f"{top['title']}{by} ({int(top['plays']):,} plays)"))
    else:
        rows.append(("top song (matched plays)", "no matched plays"))
    if artists is not None and len(artists):
        rows.append(("top artist (matched plays)", f"{artists.iloc[0]['artist']} ({int(artists.iloc[0]['plays']):,} plays)"))
    paid = free_paid.set_index("level").loc["paid"]
    rows.append(("paid share of plays", f"{float(paid['play_share_pct']):.1f}%"))
    rows.append(("users who upgraded / downgraded",
                 f"{int(paid['users_switched_in'])} / {int(free_paid.set_index('level').loc['free', 'users_switched_in'])}"))
    if daily is not None and len(daily) and daily["plays"].sum() > 0:
        busiest = daily.loc[daily["plays"].idxmax()]
        rows.append(("busiest day (UTC)", f"{busiest['day']:%Y-%m-%d} ({int(busiest['plays']):,} plays)"))
    if session_stats is not None and len(session_stats):
        stats = session_stats.set_index("measure")
        rows.append(("median session", f"{stats.loc['plays per session', 'median']:g} plays, "
                                       f"{stats.loc['session length (minutes)', 'median']:g} minutes"))
    return pd.DataFrame(rows, columns=["question", "answer"])
