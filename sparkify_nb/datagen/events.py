"""Events: sessions of pages in the daily and weekly rhythm of each listener's
local time, rendered straight into the JSON lines of Sparkify's event logs.
Times are epoch milliseconds UTC."""

from __future__ import annotations

import bisect
import random
from datetime import datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from .listeners import User, json_text

EVENT_FIELDS = ("artist", "auth", "firstName", "gender", "itemInSession", "lastName", "length", "level",
                "location", "method", "page", "registration", "sessionId", "song", "status", "ts",
                "userAgent", "userId")

# --- rhythm --------------------------------------------------------------------------

# Relative rate of session starts per hour of the user's LOCAL day, 00:00 .. 23:00:
# a night trough, a morning commute bump, steady office hours and an evening peak at 20:00.
LOCAL_HOUR_WEIGHTS = (0.9, 0.6, 0.4, 0.3, 0.3, 0.5, 1.1, 2.0, 2.6, 2.5, 2.4, 2.5,
                      2.7, 2.6, 2.6, 2.8, 3.2, 3.7, 4.3, 4.9, 5.2, 4.8, 3.6, 2.0)
# Relative rate per local weekday, Monday .. Sunday: Friday busiest, the weekend quieter.
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.02, 1.04, 1.10, 0.92, 0.86)

# --- sessions ------------------------------------------------------------------------

PLAY_SHARE = 0.82            # share of NextSong among a logged-in session's pages
LOGGED_OUT_START = 0.15      # sessions that start logged out: Home [About|Help] Login
LOGOUT_END = 0.25            # sessions that end with Logout, then a logged-out Home
SKIP_SHARE = 0.15            # plays skipped before the song's end
# Other pages of a logged-in session, relative weights, per level.
_OTHER_COMMON = {"Home": 22, "Thumbs Up": 20, "Add to Playlist": 12, "Add Friend": 8, "Thumbs Down": 5,
                 "Settings": 3, "Save Settings": 1, "Help": 3, "About": 2, "Error": 1}
OTHER_PAGES = {"free": {**_OTHER_COMMON, "Roll Advert": 14, "Upgrade": 3},
               "paid": {**_OTHER_COMMON, "Downgrade": 4}}
# method and status per page, as Sparkify's web app answers
PUT_PAGES = frozenset({"NextSong", "Login", "Logout", "Thumbs Up", "Thumbs Down", "Add to Playlist", "Add Friend",
                       "Save Settings", "Submit Upgrade", "Submit Downgrade"})
REDIRECT_PAGES = frozenset({"Login", "Logout", "Thumbs Up", "Thumbs Down", "Add Friend", "Save Settings",
                            "Submit Upgrade", "Submit Downgrade"})
MAX_SESSION = 250            # events


def events_key(day: datetime) -> str:
    """``log_data/YYYY/MM/YYYY-MM-DD-events.json`` for a UTC day."""
    return f"log_data/{day:%Y}/{day:%m}/{day:%Y-%m-%d}-events.json"


class Tracks:
    """Songs that can be played, chosen with a long-tailed popularity
    (weight of the i-th song 1 / (i + 5)): (artist JSON, title JSON, length JSON, length s)."""

    def __init__(self, tracks: list[tuple[str, str, str, float]]):
        self.tracks = tracks
        self.cum = list(accumulate(1.0 / (i + 5) for i in range(len(tracks))))

    def pick(self, rng: random.Random) -> tuple[str, str, str, float]:
        return self.tracks[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


def track(artist: str, title: str, length: float) -> tuple[str, str, str, float]:
    return (json_text(artist), json_text(title), repr(length), length)


def session_pages(rng: random.Random, user: User, length: int, start_ms: int) -> list[tuple[str, bool]]:
    """The ``length`` pages of one session as ``(page, logged_in)``."""
    pages: list[tuple[str, bool]] = []
    if length >= 3 and rng.random() < LOGGED_OUT_START:
        pages.append(("Home", False))
        if length >= 4 and rng.random() < 0.3:
            pages.append((rng.choice(("About", "Help")), False))
        pages.append(("Login", False))
    tail = [("Logout", True), ("Home", False)] if length - len(pages) >= 3 and rng.random() < LOGOUT_END else []
    middle = length - len(pages) - len(tail)
    level = user.level_at(start_ms)
    others = OTHER_PAGES[level]
    names, cum = list(others), list(accumulate(others.values()))
    body = []
    for _ in range(middle):
        if rng.random() < PLAY_SHARE:
            body.append(("NextSong", True))
        else:
            body.append((names[bisect.bisect_right(cum, rng.random() * cum[-1])], True))
    if user.change_at is not None and user.changed_ts is None and start_ms >= user.change_at and middle >= 2:
        at = rng.randrange(middle - 1)
        body[at:at + 2] = ([("Upgrade", True), ("Submit Upgrade", True)] if user.level == "free"
                           else [("Downgrade", True), ("Submit Downgrade", True)])
    return pages + body + tail


def render_session(rng: random.Random, user: User, session_id: int, start_ms: int, pages: list[tuple[str, bool]],
                    end_ms: int, catalogue: Tracks, outside: Tracks, catalog_share: float,
                    counts: dict[str, int]) -> list[tuple[int, str]]:
    """``(ts, JSON line)`` per event of a session, stopping at ``end_ms``."""
    out = []
    ts = start_ms
    for item, (page, logged_in) in enumerate(pages):
        if ts >= end_ms:
            break
        level = user.level_at(ts)
        method = "PUT" if page in PUT_PAGES else "GET"
        status = 404 if page == "Error" else 307 if page in REDIRECT_PAGES else 200
        if page == "NextSong":
            if rng.random() < catalog_share:
                artist, song, length, seconds = catalogue.pick(rng)
                counts["catalogue_plays"] += 1
            else:
                artist, song, length, seconds = outside.pick(rng)
            counts["plays"] += 1
            listened = seconds if rng.random() >= SKIP_SHARE else seconds * rng.uniform(0.05, 0.9)
            step = int(listened * 1000) + rng.randint(0, 1500)
        else:
            artist = song = length = "null"
            step = rng.randint(2_000, 45_000)
        if logged_in:
            line = (f'{{"artist":{artist},"auth":"Logged In",{user.json_name},"itemInSession":{item},'
                    f'{user.json_last},"length":{length},"level":"{level}",{user.json_place},"method":"{method}",'
                    f'"page":"{page}",{user.json_registration},"sessionId":{session_id},"song":{song},'
                    f'"status":{status},"ts":{ts},{user.json_agent}}}')
        else:
            line = (f'{{"artist":null,"auth":"Logged Out","firstName":null,"gender":null,"itemInSession":{item},'
                    f'"lastName":null,"length":null,"level":"{level}","location":null,"method":"{method}",'
                    f'"page":"{page}","registration":null,"sessionId":{session_id},"song":null,"status":{status},'
                    f'"ts":{ts},"userAgent":null,"userId":""}}')
        out.append((ts, line))
        if page in ("Submit Upgrade", "Submit Downgrade"):
            user.changed_ts = ts
        ts += step
    user.busy_until = ts
    return out


def zone_weights(first: datetime, days: int, zone_names: list[str], zone_activity: list[float]) -> list[list[float]]:
    """Per UTC hour of the period, each time zone's weight: its users' activity
    times the weight of the local hour and of the local weekday there."""
    zones = [ZoneInfo(tz) for tz in zone_names]
    table = []
    for hour in range(days * 24):
        utc = first + timedelta(hours=hour)
        row = []
        for zone, activity in zip(zones, zone_activity):
            local = utc.astimezone(zone)
            row.append(activity * LOCAL_HOUR_WEIGHTS[local.hour] * WEEKDAY_WEIGHTS[local.weekday()])
        table.append(row)
    return table


def apportion(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to ``weights`` that sum to ``total`` (largest remainders)."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in order[:total - sum(shares)]:
        shares[i] += 1
    return shares


def session_lengths(rng: random.Random, total: int) -> list[int]:
    """Session lengths (events; median about 12, long-tailed, at most MAX_SESSION) summing to ``total``."""
    lengths = []
    while total > 0:
        n = min(total, MAX_SESSION, 1 + int(rng.lognormvariate(2.4, 0.9)))
        lengths.append(n)
        total -= n
    return lengths


def pick_user(rng: random.Random, zone_names: list[str], zone_cum: list[float],
               by_zone: dict[str, tuple[list[User], list[float]]], start_ms: int) -> User:
    """A user for a session starting at ``start_ms``: a zone by its weight this
    hour, then a user by activity; one already in a session is passed over
    (a few tries), as one person does not run two sessions at once."""
    for _ in range(8):
        members, cum = by_zone[zone_names[bisect.bisect_right(zone_cum, rng.random() * zone_cum[-1])]]
        user = members[bisect.bisect_right(cum, rng.random() * cum[-1])]
        if user.busy_until <= start_ms:
            return user
    return user
