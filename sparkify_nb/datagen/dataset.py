"""Sparkify-format data at any scale, deterministic for a seed.

Layout (DESIGN.md): ``song_data/A/B/C/TRABC....json`` (one song per file),
``log_data/YYYY/MM/YYYY-MM-DD-events.json`` (one newline-delimited JSON file per
UTC day, events in time order) and ``log_json_path.json``. Output goes to a
:class:`~.sinks.Sink`: a local folder (:class:`~.sinks.FolderSink`) or
``s3://bucket/prefix`` (:class:`~.sinks.S3Sink`, the emulator's S3 on ``local``).

The parts, one module each: ``names`` (people, artists, titles, ids),
``catalogue`` (songs and their files), ``listeners`` (users), ``events``
(sessions of pages in the users' local rhythm, rendered as JSON lines),
``sinks`` (where files go) and this module, which puts them together.

What the data looks like (each a knob below, so a test can pin it down):

- **users** have a first and last name matching their gender, a US metro area
  (population-weighted; it sets their time zone), a user agent, a registration
  time before the period, a level (``free`` or ``paid``) and a long-tailed
  activity (a few heavy listeners). A share of them change level mid-period: the
  session in which that happens visits ``Upgrade`` then ``Submit Upgrade`` (or
  ``Downgrade`` then ``Submit Downgrade``), and every later event of that user
  carries the new level.
- **sessions** are page sequences: mostly ``NextSong``, with ``Home``, ``Thumbs
  Up``, ``Add to Playlist``, ``Roll Advert`` (free users), ``Settings``, ``Help``,
  ``About``, ``Error`` (status 404) ...; some start logged out (``Home``, then
  ``Login``: ``auth`` ``Logged Out``, ``userId`` empty, no name), some end with
  ``Logout`` followed by a logged-out ``Home``. A played song lasts its length.
- **when**: session starts follow a daily rhythm in the user's *local* time (night
  trough, morning bump, evening peak around 20:00) and a weekly rhythm (Fridays
  busiest, weekends quieter); ``ts`` is epoch milliseconds UTC.
- **songs**: artists have several songs; popularity has a long tail
  (Zipf-Mandelbrot); about 60 % of artists have no coordinates, some no location;
  about 45 % of songs have year ``0`` (unknown). ``catalog_share`` of the plays
  are of catalogue songs (title, artist and length match a song file exactly);
  the rest are of songs not in the catalogue, as in Sparkify's real logs.

Memory: events stream from a heap of the sessions in progress straight into
the day's file (an S3 object is spooled to a temporary file, then uploaded), so
resident memory does not grow with ``events``; it grows with ``songs`` (about
0.3 KB each) and ``users``.

Example::

    >>> from sparkify_nb import datagen
    >>> stats = datagen.generate(datagen.FolderSink("/tmp/sample"), events=1000, songs=50, users=20, days=3)
    >>> stats["events"], stats["files"]
    (1000, 54)
"""

from __future__ import annotations

import gzip
import heapq
import json
import random
from datetime import datetime, timezone
from itertools import accumulate
from pathlib import Path

from .. import Progress
from .catalogue import iter_songs, song_key, song_record
from .events import Tracks, apportion, pick_user, render_session, session_lengths, session_pages, track, zone_weights
from .listeners import User, make_users
from .names import artist_name, song_title
from .sinks import DatagenError, DayFiles, Sink

JSONPATHS_FILE = Path(__file__).resolve().parent / "log_json_path.json"


def generate(sink: Sink, events: int = 8000, songs: int = 300, users: int = 50, days: int = 30, seed: int = 42,
             start: str = "2018-11-01", catalog_share: float = 0.7, gzip_files: bool = False,
             progress: Progress | None = None) -> dict[str, int]:
    """Write a data set to ``sink``; return its counts.

    ``events`` in ``days`` daily files from ``start`` (a UTC date), ``songs``
    song files, ``users`` listeners; ``catalog_share`` (0..1) of the plays are
    of catalogue songs. ``gzip_files`` writes ``.gz`` files (the jsonpaths file
    stays plain). Deterministic: the same arguments give the same bytes.
    ``progress`` gets a line per day written.

    Returns ``{"songs", "artists", "users", "events", "plays",
    "catalogue_plays", "sessions", "files"}``. Raises :class:`DatagenError` on a
    bad argument or a failed write."""
    first = _first_day(events, songs, users, days, catalog_share, start)
    note = progress or (lambda _: None)
    rng = random.Random(seed)
    catalogue, artists = _write_catalogue(sink, rng, songs, gzip_files)
    note(f"{songs:,} song files written")
    outside = _outside_pool(seed, songs)
    first_ms = int(first.timestamp() * 1000)
    people = make_users(rng, users, first_ms, days * 86_400_000)
    writer = DayFiles(sink, first, days, ".gz" if gzip_files else "", gzip_files)
    try:
        counts = _write_events(writer, rng, people, first, days, events, catalogue, outside, catalog_share, note)
        writer.finish()
        sink.close()
    except BaseException:
        writer.abandon()
        raise
    return {"songs": songs, "artists": artists, "users": users, "events": writer.events, "plays": counts["plays"],
            "catalogue_plays": counts["catalogue_plays"], "sessions": counts["sessions"], "files": songs + days + 1}


def _first_day(events: int, songs: int, users: int, days: int, catalog_share: float, start: str) -> datetime:
    """The first UTC day, once every argument has been checked (DatagenError otherwise)."""
    if events < 0 or songs < 1 or users < 1 or days < 1:
        raise DatagenError(f"need events >= 0, songs >= 1, users >= 1, days >= 1 "
                           f"(got events={events}, songs={songs}, users={users}, days={days})")
    if not 0.0 <= catalog_share <= 1.0:
        raise DatagenError(f"catalog_share must be between 0 and 1, not {catalog_share}")
    try:
        return datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
    except ValueError:
        raise DatagenError(f"start must be a date like 2018-11-01, not {start!r}") from None


def _write_catalogue(sink: Sink, rng: random.Random, songs: int, gzip_files: bool) -> tuple[Tracks, int]:
    """Write the song files and the jsonpaths file; return the songs as
    playable tracks and the number of artists."""
    suffix = ".gz" if gzip_files else ""
    tracks, artists = [], set()
    for song in iter_songs(rng, songs):
        data = json.dumps(song_record(song)).encode()
        sink.write(song_key(song) + suffix, gzip.compress(data, mtime=0) if gzip_files else data)
        tracks.append(track(song.artist_name, song.title, song.duration))
        artists.add(song.artist_id)
    sink.write("log_json_path.json", JSONPATHS_FILE.read_bytes())
    return Tracks(tracks), len(artists)


def _outside_pool(seed: int, songs: int) -> Tracks:
    """Songs outside the catalogue (most of what people play, in the real logs): a pool of their own,
    from a separate stream, so that the catalogue does not depend on the pool's size."""
    side = random.Random(seed * 7919 + 1)
    return Tracks([track(artist_name(side), song_title(side), round(side.uniform(90, 420), 5))
                   for _ in range(min(100_000, max(1_000, 4 * songs)))])


def _write_events(writer: DayFiles, rng: random.Random, people: list[User], first: datetime, days: int,
                  events: int, catalogue: Tracks, outside: Tracks, catalog_share: float,
                  note: Progress) -> dict[str, int]:
    """Plan ``events`` over the hours of the period by the users' rhythm, play
    the sessions and stream their events, in time order, into ``writer``.
    Returns the counts of plays, catalogue plays and sessions.

    One loop, kept whole (about 50 lines): the heap of events in flight, the
    session counter and the carried deficit belong together, and splitting
    them over functions would hide the order that makes the output exact."""
    first_ms = int(first.timestamp() * 1000)
    end_ms = first_ms + days * 86_400_000
    zones: dict[str, list[User]] = {}
    for user in people:
        zones.setdefault(user.tz, []).append(user)
    zone_names = sorted(zones)
    members = {tz: (zones[tz], list(accumulate(u.activity for u in zones[tz]))) for tz in zone_names}
    hourly = zone_weights(first, days, zone_names, [members[tz][1][-1] for tz in zone_names])
    budgets = apportion(events, [sum(row) for row in hourly])
    counts = {"plays": 0, "catalogue_plays": 0}
    heap: list[tuple[int, int, str]] = []
    seq = session_id = carry = 0
    for hour, budget in enumerate(budgets):
        hour_ms = first_ms + hour * 3_600_000
        zone_cum = list(accumulate(hourly[hour]))
        lengths = session_lengths(rng, budget + carry)
        starts = sorted(hour_ms + int(rng.random() * 3_600_000) for _ in lengths)
        carry = 0
        while lengths:
            deficit = 0
            for length, start_ms in zip(lengths, starts):
                while heap and heap[0][0] <= start_ms:
                    writer.write(*heapq.heappop(heap)[::2])
                user = pick_user(rng, zone_names, zone_cum, members, start_ms)
                session_id += 1
                pages = session_pages(rng, user, length, start_ms)
                rendered = render_session(rng, user, session_id, start_ms, pages, end_ms, catalogue, outside,
                                          catalog_share, counts)
                deficit += length - len(rendered)
                for ts, line in rendered:
                    seq += 1
                    heapq.heappush(heap, (ts, seq, line))
            # Only near the end: sessions cut at the end of the period. Their events go to sessions
            # started later (the next hour, or later in the last one), so that the total stays exact
            # and no session starts before one already written.
            if hour < len(budgets) - 1:
                carry, lengths = deficit, []
            else:
                last = starts[-1]
                lengths = session_lengths(rng, deficit)
                starts = sorted(last + int(rng.random() * (end_ms - last)) for _ in lengths)
        if hour % 24 == 23:
            note(f"day {hour // 24 + 1}/{days}: {writer.events + len(heap):,} events")
    while heap:
        writer.write(*heapq.heappop(heap)[::2])
    return {**counts, "sessions": session_id}
