"""The answer of each question in words, computed from its DataFrame: one
sentence after each chart of 04 (``Plays peak at 16:00 UTC with 542 plays.``)
and the :func:`summary` table at the end.

Ties go to the earliest hour or day and to the first row of a ranking (the
rankings already break ties by name). An empty period gives a sentence that
says so, never an error.

Example::

    >>> import pandas as pd
    >>> from sparkify_nb.analytics import answers
    >>> answers.peak_hour_answer(pd.DataFrame({"hour": range(24), "plays": [0] * 16 + [542] + [0] * 7}))
    'Plays peak at 16:00 UTC with 542 plays.'
"""

from __future__ import annotations

import pandas as pd

from ..display import Table
from .queries import WEEKDAYS, by_family

WEEKDAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))
NO_PLAYS = "There are no plays in this period."
NO_MATCHED_PLAYS = "No play of this period matches a song of the catalogue."


def _plays(count: int, noun: str = "play") -> str:
    """``1 play``, ``1,234 plays``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _matched_share(row: pd.Series) -> str:
    return f"({float(row['share_of_matched_pct']):.1f}% of the plays matched to the catalogue)"


def peak_hour(by_hour: pd.DataFrame) -> tuple[int, int] | None:
    """``(hour, plays)`` of the busiest hour of :func:`~.queries.plays_by_hour`
    (the earliest on a tie), or None when there are no plays."""
    if by_hour["plays"].sum() == 0:
        return None
    row = by_hour.loc[by_hour["plays"].idxmax()]
    return int(row["hour"]), int(row["plays"])


def busiest_day(daily: pd.DataFrame) -> tuple[object, int] | None:
    """``(day, plays)`` of the busiest UTC day of :func:`~.queries.daily_plays`
    (the earliest on a tie), or None when there are no plays."""
    if not len(daily) or daily["plays"].sum() == 0:
        return None
    row = daily.loc[daily["plays"].idxmax()]
    return row["day"], int(row["plays"])


def peak_hour_answer(by_hour: pd.DataFrame, tz: str = "UTC") -> str:
    """``Plays peak at 16:00 UTC with 542 plays.`` (hours on the clock of ``tz``)."""
    peak = peak_hour(by_hour)
    if peak is None:
        return NO_PLAYS
    return f"Plays peak at {peak[0]:02d}:00 {tz} with {_plays(peak[1])}."


def weekday_hour_answer(matrix: pd.DataFrame, tz: str = "UTC") -> str:
    """The busiest hour of the week from :func:`~.queries.plays_by_weekday_hour`
    (the earliest weekday, then hour, on a tie)."""
    cell = busiest_weekday_hour(matrix)
    if cell is None:
        return NO_PLAYS
    return f"The busiest hour of the week is {cell[0]} {cell[1]:02d}:00 {tz} with {_plays(cell[2])}."


def daily_answer(daily: pd.DataFrame) -> str:
    """The busiest UTC day and the median day, from :func:`~.queries.daily_plays`."""
    busiest = busiest_day(daily)
    if busiest is None:
        return NO_PLAYS
    median = float(daily["plays"].median())
    shown = f"{median:,.0f}" if median.is_integer() else f"{median:,.1f}"
    return (f"The busiest day is {busiest[0]:%Y-%m-%d} (UTC) with {_plays(busiest[1])}; "
            f"the median day of the period has {shown} plays.")


def matched_answer(by_hour: pd.DataFrame, songs: pd.DataFrame) -> str:
    """How many plays of the period match a song of the catalogue (the base of
    the rankings), from :func:`~.queries.plays_by_hour` (all plays) and
    :func:`~.queries.top_songs` (``attrs["matched_plays"]``):
    ``4,148 of 5,905 plays (70.2%) match a song of the catalogue; the rankings of songs and artists count only those.``"""
    total = int(by_hour["plays"].sum())
    if total == 0:
        return NO_PLAYS
    matched = int(songs.attrs.get("matched_plays", 0))
    return (f"{matched:,} of {_plays(total)} ({100.0 * matched / total:.1f}%) match a song of the catalogue; "
            "the rankings of songs and artists count only those.")


def top_song_answer(songs: pd.DataFrame) -> str:
    """The most played song among plays matched to the catalogue, from :func:`~.queries.top_songs`."""
    if songs.empty:
        return NO_MATCHED_PLAYS
    top = songs.iloc[0]
    by = f" by {top['artist']}" if isinstance(top["artist"], str) else ""
    return f"The most played song is {top['title']}{by} with {_plays(int(top['plays']))} {_matched_share(top)}."


def top_artist_answer(artists: pd.DataFrame) -> str:
    """The most played artist among matched plays, from :func:`~.queries.top_artists`."""
    if artists.empty:
        return NO_MATCHED_PLAYS
    top = artists.iloc[0]
    listeners = _plays(int(top["listeners"]), "listener")
    return (f"The most played artist is {top['artist']} with {_plays(int(top['plays']))} by {listeners} "
            f"{_matched_share(top)}.")


def free_vs_paid_answer(free_paid: pd.DataFrame) -> str:
    """The paid share of plays and the level changes, from :func:`~.queries.free_vs_paid`."""
    levels = free_paid.set_index("level")
    total = int(levels["plays"].sum())
    if total == 0:
        return NO_PLAYS
    paid = levels.loc["paid"]
    users = int(free_paid.attrs.get("users", 0))
    both = int(levels["users"].sum()) - users
    return (f"Paid plays are {float(paid['play_share_pct']):.1f}% of all plays ({int(paid['plays']):,} of "
            f"{total:,}); {_plays(int(paid['users_switched_in']), 'user')} upgraded and "
            f"{int(levels.loc['free', 'users_switched_in']):,} downgraded. "
            f"{_plays(users, 'user')} played; {_plays(both, 'user')} played on both levels and "
            f"{'counts' if both == 1 else 'count'} under both.")


def top_location_answer(locations: pd.DataFrame) -> str:
    """The location with the most plays, from :func:`~.queries.top_locations`."""
    if locations.empty:
        return NO_PLAYS
    top = locations.iloc[0]
    return f"Most plays come from {top['location']}: {_plays(int(top['plays']))} by {_plays(int(top['users']), 'user')}."


def platforms_answer(platform_frame: pd.DataFrame) -> str:
    """The leading operating system and browser family, from :func:`~.queries.platforms`."""
    if platform_frame.empty:
        return NO_PLAYS
    total = int(platform_frame["plays"].sum())
    os_, browser = by_family(platform_frame, "os").iloc[0], by_family(platform_frame, "browser").iloc[0]
    return (f"{os_['os']} leads the operating systems with {100.0 * int(os_['plays']) / total:.1f}% of the plays, "
            f"{browser['browser']} the browsers with {100.0 * int(browser['plays']) / total:.1f}%.")


def sessions_answer(session_stats: pd.DataFrame) -> str:
    """The median session, from :func:`~.queries.session_summary`."""
    stats = session_stats.set_index("measure")
    if int(stats.loc["plays per session", "sessions"]) == 0:
        return NO_PLAYS
    return (f"The median session has {stats.loc['plays per session', 'median']:g} plays and lasts "
            f"{stats.loc['session length (minutes)', 'median']:g} minutes; one in ten has more than "
            f"{stats.loc['plays per session', 'p90']:g} plays.")


def busiest_weekday_hour(matrix: pd.DataFrame) -> tuple[str, int, int] | None:
    """``(weekday name, hour, plays)`` of the busiest cell of
    :func:`~.queries.plays_by_weekday_hour` (the earliest weekday, then hour,
    on a tie), or None when there are no plays."""
    values = matrix.to_numpy()
    if values.sum() == 0:
        return None
    weekday, hour = divmod(int(values.argmax()), values.shape[1])
    return WEEKDAY_NAMES[matrix.index[weekday]], int(matrix.columns[hour]), int(values[weekday, hour])


def summary(by_hour: pd.DataFrame, songs: pd.DataFrame, free_paid: pd.DataFrame,
            by_hour_local: pd.DataFrame | None = None, tz: str = "UTC", artists: pd.DataFrame | None = None,
            daily: pd.DataFrame | None = None, session_stats: pd.DataFrame | None = None,
            by_weekday_hour: pd.DataFrame | None = None, locations: pd.DataFrame | None = None,
            platform_frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The answers in one table (``question``, ``answer``), from the frames of
    the questions: plays (and how many matched the catalogue), peak hour (UTC,
    and in ``tz`` when given), busiest hour of the week (on the clock of
    ``tz``), busiest day, top song, top artist, paid share of plays, level
    changes, top location, leading operating system and browser, median
    session. A row whose frame is not given is left out. Ties go to the
    earliest hour or day and to the first row of a ranking."""
    def peak(frame: pd.DataFrame) -> str:
        found = peak_hour(frame)
        return "no plays" if found is None else f"{found[0]:02d}:00 ({found[1]:,} plays)"

    total = int(by_hour["plays"].sum())
    rows = [("plays in the period", f"{total:,}")]
    if "matched_plays" in songs.attrs and total:
        matched = int(songs.attrs["matched_plays"])
        rows.append(("plays matched to the catalogue", f"{matched:,} ({100.0 * matched / total:.1f}%)"))
    rows.append(("peak hour (UTC)", peak(by_hour)))
    if by_hour_local is not None and tz != "UTC":
        rows.append((f"peak hour ({tz})", peak(by_hour_local)))
    if by_weekday_hour is not None:
        cell = busiest_weekday_hour(by_weekday_hour)
        rows.append((f"busiest hour of the week ({tz})",
                     "no plays" if cell is None else f"{cell[0]} {cell[1]:02d}:00 ({cell[2]:,} plays)"))
    busiest = busiest_day(daily) if daily is not None else None
    if busiest is not None:
        rows.append(("busiest day (UTC)", f"{busiest[0]:%Y-%m-%d} ({busiest[1]:,} plays)"))
    if len(songs):
        top = songs.iloc[0]
        by = f" by {top['artist']}" if isinstance(top["artist"], str) else ""
        rows.append(("top song (matched plays)", f"{top['title']}{by} ({int(top['plays']):,} plays)"))
    else:
        rows.append(("top song (matched plays)", "no matched plays"))
    if artists is not None and len(artists):
        rows.append(("top artist (matched plays)", f"{artists.iloc[0]['artist']} ({int(artists.iloc[0]['plays']):,} plays)"))
    levels = free_paid.set_index("level")
    rows.append(("paid share of plays", f"{float(levels.loc['paid', 'play_share_pct']):.1f}%"))
    rows.append(("users who upgraded / downgraded",
                 f"{int(levels.loc['paid', 'users_switched_in'])} / {int(levels.loc['free', 'users_switched_in'])}"))
    if locations is not None:
        rows.append(("top location", "no plays" if locations.empty else
                     f"{locations.iloc[0]['location']} ({int(locations.iloc[0]['plays']):,} plays)"))
    if platform_frame is not None and len(platform_frame):
        plays = int(platform_frame["plays"].sum())
        os_, browser = by_family(platform_frame, "os").iloc[0], by_family(platform_frame, "browser").iloc[0]
        rows.append(("top operating system / browser",
                     f"{os_['os']} ({100.0 * int(os_['plays']) / plays:.1f}%) / "
                     f"{browser['browser']} ({100.0 * int(browser['plays']) / plays:.1f}%)"))
    if session_stats is not None and len(session_stats):
        stats = session_stats.set_index("measure")
        rows.append(("median session", f"{stats.loc['plays per session', 'median']:g} plays, "
                                       f"{stats.loc['session length (minutes)', 'median']:g} minutes"))
    return pd.DataFrame(rows, columns=["question", "answer"])


def rows_table(frame: pd.DataFrame, key: str, value: str) -> Table:
    """The rows of a two-column answer (``hour``, ``plays``) laid out across
    rather than down: one header row of ``key`` values, one row of ``value``
    (with thousands separators), so 24 hours take two lines, not 25."""
    if frame.empty:
        return Table(pd.DataFrame(), f"{value} by {key}", empty="no rows")
    shown = pd.DataFrame([[f"{int(v):,}" for v in frame[value]]], columns=[str(k) for k in frame[key]])
    shown.insert(0, key, [value])
    return Table(shown, f"{value} by {key}", right=tuple(shown.columns[1:]), empty="no rows")


def summary_table(summary_frame: pd.DataFrame) -> Table:
    """:func:`summary` to show: question and answer, both left-aligned, long
    answers wrapping in their cell."""
    return Table(summary_frame, "summary")
