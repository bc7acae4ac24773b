"""Sparkify-format data at any scale, deterministic for a seed.

Layout (DESIGN.md): ``song_data/A/B/C/TRABC....json`` (one song per file),
``log_data/YYYY/MM/YYYY-MM-DD-events.json`` (one newline-delimited JSON file per
UTC day, events in time order) and ``log_json_path.json``. Output goes to a
:class:`Sink`: a local folder (:class:`FolderSink`) or ``s3://bucket/prefix``
(:class:`S3Sink`, the emulator's S3 on ``local``).

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

import bisect
import gzip
import heapq
import io
import json
import random
import string
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Protocol
from zoneinfo import ZoneInfo

from .. import SparkifyError

JSONPATHS_FILE = Path(__file__).resolve().parent / "log_json_path.json"
EVENT_FIELDS = ("artist", "auth", "firstName", "gender", "itemInSession", "lastName", "length", "level",
                "location", "method", "page", "registration", "sessionId", "song", "status", "ts",
                "userAgent", "userId")

# --- people and places ----------------------------------------------------------

FIRST_NAMES_F = ("Lily", "Chloe", "Tegan", "Aleena", "Kate", "Sara", "Layla", "Avery", "Emily", "Ava", "Zoe",
                 "Jayden", "Sophia", "Mia", "Harper", "Madison", "Elizabeth", "Aubrey", "Brooklyn", "Stella",
                 "Anabelle", "Rylan", "Kaylee", "Lucero", "Molly", "Jacqueline", "Ximena", "Zoë", "Celeste",
                 "Isabella", "Hannah", "Morgan", "Amiya", "Katherine", "Theodora", "Dakota", "Maya", "Renée")
FIRST_NAMES_M = ("Jacob", "Kevin", "Mohammad", "Ryan", "Matthew", "Jordan", "Noah", "Liam", "Jayden", "Caleb",
                 "Walter", "Sean", "Wyatt", "Kaleb", "Marcus", "Samuel", "Tucker", "Connar", "Colm", "Brayden",
                 "Emanuel", "Gavin", "Rylan", "Elijah", "Aiden", "Mason", "Carter", "José", "Andrés", "Dustin",
                 "Leif", "Spencer", "Alexander", "Micah", "Oliver", "Ethan", "Jaleel", "Kael")
LAST_NAMES = ("Koch", "Klein", "Cuevas", "Martin", "Levine", "Kirby", "Graves", "Harrell", "Rodriguez", "Johnson",
              "Smith", "Lynch", "Jones", "Hogan", "Clark", "Williams", "Brown", "Garcia", "Lee", "Walker", "Frye",
              "Beck", "Thornton", "Olson", "Perez", "Robinson", "Bryant", "Montgomery", "Larson", "Phillips",
              "Cook", "Mendoza", "Ortiz", "Nguyen", "Kim", "O'Brien", "Schwartz", "Hayes", "Velasquez", "Parker",
              "Santiago", "Roberson", "Gonzalez", "Jenkins", "Ramírez", "Pittman", "Bowman", "Hale", "Reeves",
              "Dominguez", "Sanchez", "Austin", "Maddox", "Washington", "Barrera", "Duffy", "Fisher", "Moore")
# US metropolitan areas (Census naming), their time zone and population in millions (2017 estimates,
# rounded): users are spread by population, and their local time drives when they listen.
METROS = (
    ("New York-Newark-Jersey City, NY-NJ-PA", "America/New_York", 20.3),
    ("Los Angeles-Long Beach-Anaheim, CA", "America/Los_Angeles", 13.4),
    ("Chicago-Naperville-Elgin, IL-IN-WI", "America/Chicago", 9.5),
    ("Dallas-Fort Worth-Arlington, TX", "America/Chicago", 7.4),
    ("Houston-The Woodlands-Sugar Land, TX", "America/Chicago", 6.9),
    ("Washington-Arlington-Alexandria, DC-VA-MD-WV", "America/New_York", 6.2),
    ("Miami-Fort Lauderdale-West Palm Beach, FL", "America/New_York", 6.2),
    ("Philadelphia-Camden-Wilmington, PA-NJ-DE-MD", "America/New_York", 6.1),
    ("Atlanta-Sandy Springs-Roswell, GA", "America/New_York", 5.9),
    ("Boston-Cambridge-Newton, MA-NH", "America/New_York", 4.8),
    ("Phoenix-Mesa-Scottsdale, AZ", "America/Phoenix", 4.7),
    ("San Francisco-Oakland-Hayward, CA", "America/Los_Angeles", 4.7),
    ("Riverside-San Bernardino-Ontario, CA", "America/Los_Angeles", 4.6),
    ("Detroit-Warren-Dearborn, MI", "America/Detroit", 4.3),
    ("Seattle-Tacoma-Bellevue, WA", "America/Los_Angeles", 3.9),
    ("Minneapolis-St. Paul-Bloomington, MN-WI", "America/Chicago", 3.6),
    ("San Diego-Carlsbad, CA", "America/Los_Angeles", 3.3),
    ("Tampa-St. Petersburg-Clearwater, FL", "America/New_York", 3.1),
    ("Denver-Aurora-Lakewood, CO", "America/Denver", 2.9),
    ("St. Louis, MO-IL", "America/Chicago", 2.8),
    ("Portland-Vancouver-Hillsboro, OR-WA", "America/Los_Angeles", 2.5),
    ("Salt Lake City, UT", "America/Denver", 1.2),
    ("Urban Honolulu, HI", "Pacific/Honolulu", 1.0),
    ("Lansing-East Lansing, MI", "America/Detroit", 0.5),
    ("Portland-South Portland, ME", "America/New_York", 0.5),
    ("Anchorage, AK", "America/Anchorage", 0.4),
)
# Where artists come from, with coordinates when known; "" is an artist without a location.
ARTIST_PLACES = (
    ("New York, NY", 40.71455, -74.00712), ("Los Angeles, CA", 34.05349, -118.24532),
    ("Chicago, IL", 41.88415, -87.63241), ("Nashville, TN", 36.16778, -86.77836),
    ("Atlanta, GA", 33.74831, -84.39111), ("Seattle, WA", 47.60356, -122.32944),
    ("Austin, TX", 30.26759, -97.74299), ("Detroit, MI", 42.33168, -83.04792),
    ("London, England", 51.50632, -0.12714), ("Kingston, Jamaica", 17.99702, -76.79358),
    ("Stockholm, Sweden", 59.33217, 18.06243), ("Paris, France", 48.85692, 2.34121),
    ("Reykjavík, Iceland", 64.13548, -21.89541), ("California", None, None), ("Texas", None, None),
    ("UK", None, None), ("", None, None), ("", None, None), ("", None, None),
)
USER_AGENTS = (
    '"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
    '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
    "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:31.0) Gecko/20100101 Firefox/31.0",
    '"Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53"',
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:31.0) Gecko/20100101 Firefox/31.0",
    '"Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; WOW64; Trident/6.0)",
    '"Mozilla/5.0 (iPad; CPU OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53"',
)

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
LEVEL_CHANGE_SHARE = 0.2     # users whose level changes mid-period
PAID_SHARE = 0.3             # users paid at the start of the period
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

# --- songs ---------------------------------------------------------------------------

_ADJ = ("Blue", "Golden", "Broken", "Electric", "Silent", "Wild", "Lonely", "Midnight", "Sweet", "Crazy",
        "Little", "Burning", "Velvet", "Lost", "Summer", "Cold", "Neon", "Hollow", "Bitter", "Holy", "Red",
        "Paper", "Secret", "Sad", "Happy", "Empty", "Northern", "Dirty", "Fading", "Rolling")
_NOUN = ("Heart", "Night", "River", "Dream", "Fire", "Rain", "Road", "Sky", "Love", "Ghost", "Train", "Moon",
         "City", "Garden", "Mirror", "Ocean", "Song", "Wolf", "Highway", "Window", "Angel", "Machine", "Storm",
         "Shadow", "Kingdom", "Radio", "Summer", "Desert", "Diamond", "Island", "Canción", "Corazón", "Rêve")
_VERB = ("Take", "Hold", "Call", "Love", "Leave", "Save", "Show", "Tell", "Let", "Walk", "Don't Stop", "Bring")
_TAIL = (" (Live)", " (Remix)", " (Album Version)", " (Acoustic)", " [Explicit]", " (Radio Edit)")


def _ident(rng: random.Random, prefix: str) -> str:
    # Real ids: two letters, three letters, then 13 characters (e.g. TRAAAAW128F429D538).
    return (prefix + "".join(rng.choices(string.ascii_uppercase, k=3))
            + "".join(rng.choices(string.ascii_uppercase + string.digits, k=13)))


def _artist_name(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        return f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} {rng.choice(LAST_NAMES)}"
    if kind < 0.6:
        return f"The {rng.choice(_ADJ)} {rng.choice(_NOUN)}s"
    if kind < 0.75:
        return f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    if kind < 0.9:
        return f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} {rng.choice(LAST_NAMES)} & The {rng.choice(_NOUN)}s"
    return f"DJ {rng.choice(_NOUN)}"


def _title(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        title = f"{rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    elif kind < 0.6:
        title = f"{rng.choice(_VERB)} Me {rng.choice(('Home', 'Now', 'Back', 'Down', 'Away', 'Tonight'))}"
    elif kind < 0.8:
        title = f"{rng.choice(_NOUN)} Of The {rng.choice(_NOUN)}"
    else:
        title = rng.choice(_NOUN)
    return title + (rng.choice(_TAIL) if rng.random() < 0.12 else "")


@dataclass(frozen=True)
class Song:
    """One song of the catalogue (``duration`` in seconds, ``year`` 0 when unknown)."""

    song_id: str
    title: str
    artist_id: str
    artist_name: str
    duration: float
    year: int
    track_id: str
    location: str
    latitude: float | None
    longitude: float | None


def iter_songs(rng: random.Random, count: int) -> Iterator[Song]:
    """``count`` songs; each artist has 1 to a dozen (on average about three),
    about 60 % of artists have no coordinates, 45 % of songs have year 0."""
    made = 0
    while made < count:
        home = rng.choice(ARTIST_PLACES)
        has_coords = home[1] is not None and rng.random() < 0.55
        artist = (_ident(rng, "AR"), _artist_name(rng), home[0],
                  round(home[1] + rng.uniform(-0.3, 0.3), 5) if has_coords else None,
                  round(home[2] + rng.uniform(-0.3, 0.3), 5) if has_coords else None)
        for _ in range(min(count - made, 1 + min(11, int(rng.expovariate(0.5))))):
            year = 0 if rng.random() < 0.45 else rng.randint(1958, 2018)
            yield Song(_ident(rng, "SO"), _title(rng), artist[0], artist[1], round(rng.uniform(90, 420), 5), year,
                       _ident(rng, "TR"), artist[2], artist[3], artist[4])
            made += 1


def make_songs(rng: random.Random, count: int) -> list[Song]:
    """The catalogue as a list (see :func:`iter_songs`)."""
    return list(iter_songs(rng, count))


def song_record(song: Song) -> dict[str, Any]:
    """The JSON object of a song file, keys in the order of Sparkify's files."""
    return {"num_songs": 1, "artist_id": song.artist_id, "artist_latitude": song.latitude,
            "artist_longitude": song.longitude, "artist_location": song.location, "artist_name": song.artist_name,
            "song_id": song.song_id, "title": song.title, "duration": song.duration, "year": song.year}


def song_key(song: Song) -> str:
    """``song_data/A/B/C/TRABC....json``: folders from the 3rd-5th characters of the track id."""
    t = song.track_id
    return f"song_data/{t[2]}/{t[3]}/{t[4]}/{t}.json"


def events_key(day: datetime) -> str:
    """``log_data/YYYY/MM/YYYY-MM-DD-events.json`` for a UTC day."""
    return f"log_data/{day:%Y}/{day:%m}/{day:%Y-%m-%d}-events.json"


# --- sinks ---------------------------------------------------------------------------

class DatagenError(SparkifyError):
    """Generation cannot start (a bad argument) or a sink failed to write."""


class Sink(Protocol):
    """Where generated files go, by relative key.

    ``write(key, data)`` stores a small object; ``open(key)`` is a context
    manager yielding a binary file whose content becomes the object when the
    block exits; ``close()`` waits for writes in flight (raises DatagenError)."""

    def write(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> Any: ...

    def close(self) -> None: ...


class FolderSink:
    """Writes files under a local folder (created as needed)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    @contextmanager
    def open(self, key: str) -> Iterator[IO[bytes]]:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            yield handle

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"FolderSink({str(self.root)!r})"


class S3Sink:
    """Writes objects under ``s3://bucket/prefix`` with a boto3 S3 client.

    Small objects go up ``threads`` at a time (one PUT each: 20,000 song files
    would otherwise wait on 20,000 round trips); a large object is spooled to a
    temporary file (in memory up to ``spool_bytes``) and uploaded on close, in
    parts when big. Call :meth:`close` to wait for the uploads; it raises
    :class:`DatagenError` naming the first key that failed."""

    def __init__(self, s3_client: Any, bucket: str, prefix: str = "", threads: int = 8,
                 spool_bytes: int = 16 * 2 ** 20):
        self.s3, self.bucket, self.prefix = s3_client, bucket, prefix.strip("/")
        self.spool_bytes = spool_bytes
        self._pool = ThreadPoolExecutor(max_workers=threads)
        self._slots = threading.BoundedSemaphore(threads * 4)   # bounds the bytes waiting in memory
        self._pending: list[Future] = []

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _put(self, key: str, data: bytes) -> None:
        try:
            self.s3.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except Exception as exc:
            raise DatagenError(f"s3://{self.bucket}/{self._key(key)}: upload failed: {exc}") from exc
        finally:
            self._slots.release()

    def write(self, key: str, data: bytes) -> None:
        self._slots.acquire()
        self._pending.append(self._pool.submit(self._put, key, data))
        if len(self._pending) > 4096:
            self._pending = [f for f in self._pending if not f.done() or f.exception()]

    @contextmanager
    def open(self, key: str) -> Iterator[IO[bytes]]:
        with tempfile.SpooledTemporaryFile(max_size=self.spool_bytes) as spool:
            yield spool
            spool.seek(0)
            try:
                self.s3.upload_fileobj(spool, self.bucket, self._key(key))
            except Exception as exc:
                raise DatagenError(f"s3://{self.bucket}/{self._key(key)}: upload failed: {exc}") from exc

    def close(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def __repr__(self) -> str:
        return f"S3Sink('s3://{self.bucket}/{self.prefix}')"


# --- users ---------------------------------------------------------------------------

@dataclass
class User:
    """A listener. Times are epoch milliseconds UTC; ``change_at`` is when the
    level change is due (None: never), ``changed_ts`` when it happened."""

    user_id: str
    first_name: str
    last_name: str
    gender: str
    location: str
    tz: str
    user_agent: str
    registration: int
    level: str
    activity: float
    change_at: int | None
    changed_ts: int | None = None
    busy_until: int = 0
    # the fixed fields of a logged-in event, pre-rendered as JSON fragments
    json_name: str = ""
    json_last: str = ""
    json_place: str = ""
    json_registration: str = ""
    json_agent: str = ""

    def level_at(self, ts: int) -> str:
        """The level in force at ``ts`` (the new one from the Submit event on)."""
        if self.changed_ts is not None and ts > self.changed_ts:
            return "paid" if self.level == "free" else "free"
        return self.level


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def make_users(rng: random.Random, count: int, first_ms: int, span_ms: int) -> list[User]:
    """``count`` users with ids ``"1"`` .. ``str(count)``, registered up to 400 days before ``first_ms``."""
    metro_weights = list(accumulate(m[2] for m in METROS))
    users = []
    for uid in range(1, count + 1):
        gender = rng.choice("FM")
        first = rng.choice(FIRST_NAMES_F if gender == "F" else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        metro = METROS[bisect.bisect_right(metro_weights, rng.random() * metro_weights[-1])]
        agent = rng.choice(USER_AGENTS)
        registered = first_ms - rng.randint(86_400_000, 400 * 86_400_000)
        level = "paid" if rng.random() < PAID_SHARE else "free"
        # paid users listen more: Sparkify's paid tier has a fraction of the users and most of the plays
        activity = rng.lognormvariate(0, 1) * (3 if level == "paid" else 1)
        change_at = (first_ms + int(span_ms * rng.uniform(0.1, 0.9))) if rng.random() < LEVEL_CHANGE_SHARE else None
        user = User(str(uid), first, last, gender, metro[0], metro[1], agent, registered, level, activity, change_at)
        user.json_name = f'"firstName":{_js(first)},"gender":"{gender}"'
        user.json_last = f'"lastName":{_js(last)}'
        user.json_place = f'"location":{_js(metro[0])}'
        user.json_registration = f'"registration":{float(registered)!r}'
        user.json_agent = f'"userAgent":{_js(agent)},"userId":"{uid}"'
        users.append(user)
    return users


# --- events --------------------------------------------------------------------------

class _Tracks:
    """Songs that can be played, chosen with a long-tailed popularity
    (weight of the i-th song 1 / (i + 5)): (artist JSON, title JSON, length JSON, length s)."""

    def __init__(self, tracks: list[tuple[str, str, str, float]]):
        self.tracks = tracks
        self.cum = list(accumulate(1.0 / (i + 5) for i in range(len(tracks))))

    def pick(self, rng: random.Random) -> tuple[str, str, str, float]:
        return self.tracks[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


def _track(artist: str, title: str, length: float) -> tuple[str, str, str, float]:
    return (_js(artist), _js(title), repr(length), length)


def _session_pages(rng: random.Random, user: User, length: int, start_ms: int) -> list[tuple[str, bool]]:
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


def _render_session(rng: random.Random, user: User, session_id: int, start_ms: int, pages: list[tuple[str, bool]],
                    end_ms: int, catalogue: _Tracks, outside: _Tracks, catalog_share: float,
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


def _zone_weights(first: datetime, days: int, zone_names: list[str], zone_activity: list[float]) -> list[list[float]]:
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


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to ``weights`` that sum to ``total`` (largest remainders)."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in order[:total - sum(shares)]:
        shares[i] += 1
    return shares


def _session_lengths(rng: random.Random, total: int) -> list[int]:
    """Session lengths (events; median about 12, long-tailed, at most MAX_SESSION) summing to ``total``."""
    lengths = []
    while total > 0:
        n = min(total, MAX_SESSION, 1 + int(rng.lognormvariate(2.4, 0.9)))
        lengths.append(n)
        total -= n
    return lengths


def generate(sink: Sink, events: int = 8000, songs: int = 300, users: int = 50, days: int = 30, seed: int = 42,
             start: str = "2018-11-01", catalog_share: float = 0.7, gzip_files: bool = False,
             progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write a data set to ``sink``; return its counts.

    ``events`` in ``days`` daily files from ``start`` (a UTC date), ``songs``
    song files, ``users`` listeners; ``catalog_share`` (0..1) of the plays are
    of catalogue songs. ``gzip_files`` writes ``.gz`` files (the jsonpaths file
    stays plain). Deterministic: the same arguments give the same bytes.
    ``progress`` gets a line per day written.

    Returns ``{"songs", "artists", "users", "events", "plays",
    "catalogue_plays", "sessions", "files"}``. Raises :class:`DatagenError` on a
    bad argument or a failed write."""
    if events < 0 or songs < 1 or users < 1 or days < 1:
        raise DatagenError(f"need events >= 0, songs >= 1, users >= 1, days >= 1 "
                           f"(got events={events}, songs={songs}, users={users}, days={days})")
    if not 0.0 <= catalog_share <= 1.0:
        raise DatagenError(f"catalog_share must be between 0 and 1, not {catalog_share}")
    try:
        first = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
    except ValueError:
        raise DatagenError(f"start must be a date like 2018-11-01, not {start!r}") from None
    rng = random.Random(seed)
    suffix = ".gz" if gzip_files else ""
    pack = (lambda b: gzip.compress(b, mtime=0)) if gzip_files else (lambda b: b)
    note = progress or (lambda _: None)

    tracks, artists = [], set()
    for song in iter_songs(rng, songs):
        sink.write(song_key(song) + suffix, pack(json.dumps(song_record(song)).encode()))
        tracks.append(_track(song.artist_name, song.title, song.duration))
        artists.add(song.artist_id)
    sink.write("log_json_path.json", JSONPATHS_FILE.read_bytes())
    note(f"{songs:,} song files written")
    catalogue = _Tracks(tracks)
    del tracks
    # Songs outside the catalogue (most of what people play, in the real logs): a pool of their own,
    # from a separate stream, so that the catalogue does not depend on the pool's size.
    side = random.Random(seed * 7919 + 1)
    outside = _Tracks([_track(_artist_name(side), _title(side), round(side.uniform(90, 420), 5))
                       for _ in range(min(100_000, max(1_000, 4 * songs)))])

    first_ms = int(first.timestamp() * 1000)
    end_ms = first_ms + days * 86_400_000
    people = make_users(rng, users, first_ms, end_ms - first_ms)
    zones: dict[str, list[User]] = {}
    for user in people:
        zones.setdefault(user.tz, []).append(user)
    zone_names = sorted(zones)
    members = {tz: (zones[tz], list(accumulate(u.activity for u in zones[tz]))) for tz in zone_names}
    hourly = _zone_weights(first, days, zone_names, [members[tz][1][-1] for tz in zone_names])
    budgets = _apportion(events, [sum(row) for row in hourly])
    counts = {"plays": 0, "catalogue_plays": 0}

    writer = _DayWriter(sink, first, days, suffix, gzip_files)
    heap: list[tuple[int, int, str]] = []
    seq = session_id = carry = 0
    try:
        for hour, budget in enumerate(budgets):
            hour_ms = first_ms + hour * 3_600_000
            zone_cum = list(accumulate(hourly[hour]))
            lengths = _session_lengths(rng, budget + carry)
            starts = sorted(hour_ms + int(rng.random() * 3_600_000) for _ in lengths)
            carry = 0
            while lengths:
                deficit = 0
                for length, start_ms in zip(lengths, starts):
                    while heap and heap[0][0] <= start_ms:
                        writer.write(*heapq.heappop(heap)[::2])
                    user = _pick_user(rng, zone_names, zone_cum, members, start_ms)
                    session_id += 1
                    pages = _session_pages(rng, user, length, start_ms)
                    rendered = _render_session(rng, user, session_id, start_ms, pages, end_ms, catalogue, outside,
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
                    lengths = _session_lengths(rng, deficit)
                    starts = sorted(last + int(rng.random() * (end_ms - last)) for _ in lengths)
            if hour % 24 == 23:
                note(f"day {hour // 24 + 1}/{days}: {writer.events + len(heap):,} events")
        while heap:
            writer.write(*heapq.heappop(heap)[::2])
        writer.finish()
        if hasattr(sink, "close"):
            sink.close()
    except BaseException:
        writer.abandon()
        raise
    return {"songs": songs, "artists": len(artists), "users": users, "events": writer.events,
            "plays": counts["plays"], "catalogue_plays": counts["catalogue_plays"], "sessions": session_id,
            "files": songs + days + 1}


def _pick_user(rng: random.Random, zone_names: list[str], zone_cum: list[float],
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


class _DayWriter:
    """Appends event lines, in time order, to the file of their UTC day; every
    day of the period gets a file, empty when nothing happened."""

    BATCH = 2000   # lines per write

    def __init__(self, sink: Sink, first: datetime, days: int, suffix: str, gzip_files: bool):
        self.sink, self.first, self.days, self.suffix, self.gzip = sink, first, days, suffix, gzip_files
        self.first_ms = int(first.timestamp() * 1000)
        self.day = -1
        self.events = 0
        self._stack: Any = None
        self._file: Any = None
        self._lines: list[str] = []

    def _open(self, day: int) -> None:
        self._close()
        self.day = day
        self._stack = ExitStack()
        key = events_key(self.first + timedelta(days=day)) + self.suffix
        raw = self._stack.enter_context(self.sink.open(key)) if hasattr(self.sink, "open") \
            else self._stack.enter_context(_buffered(self.sink, key))
        self._file = (self._stack.enter_context(gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0))
                      if self.gzip else raw)

    def _flush(self) -> None:
        if self._lines:
            self._file.write(("\n".join(self._lines) + "\n").encode("utf-8"))
            self._lines = []

    def _close(self) -> None:
        if self._stack is not None:
            self._flush()
            self._stack.close()
            self._stack = None

    def write(self, ts: int, line: str) -> None:
        day = min((ts - self.first_ms) // 86_400_000, self.days - 1)
        while day != self.day:
            self._open(self.day + 1)
        self._lines.append(line)
        self.events += 1
        if len(self._lines) >= self.BATCH:
            self._flush()

    def finish(self) -> None:
        while self.day < self.days - 1:
            self._open(self.day + 1)
        self._close()

    def abandon(self) -> None:
        self._lines = []
        if self._stack is not None:
            try:
                self._stack.close()
            except Exception:
                pass
            self._stack = None


@contextmanager
def _buffered(sink: Any, key: str) -> Iterator[IO[bytes]]:
    """``open`` for a sink that only has ``write``: the object is held in memory."""
    buffer = io.BytesIO()
    yield buffer
    sink.write(key, buffer.getvalue())
