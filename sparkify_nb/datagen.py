"""Sparkify-format data at any scale, deterministic for a seed.

Layout (DESIGN.md): ``song_data/A/B/C/TRABC....json`` (one song per file),
``log_data/YYYY/MM/YYYY-MM-DD-events.json`` (one newline-delimited JSON file per
day) and ``log_json_path.json``. Output goes to a :class:`Sink`: a local folder
or an ``s3://bucket/prefix`` (the emulator's on ``local``).

Example::

    >>> from sparkify_nb import datagen
    >>> stats = datagen.generate(datagen.FolderSink("/tmp/sample"), events=1000, songs=50, users=20, days=3)
    >>> stats["events"]
    1000
"""

from __future__ import annotations

import gzip
import json
import math
import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Protocol

from .paths import PACKAGE_DIR

JSONPATHS_FILE = PACKAGE_DIR / "data" / "log_json_path.json"
EVENT_FIELDS = ("artist", "auth", "firstName", "gender", "itemInSession", "lastName", "length", "level",
                "location", "method", "page", "registration", "sessionId", "song", "status", "ts",
                "userAgent", "userId")

FIRST_NAMES = ("Lily", "Jacob", "Chloe", "Kevin", "Tegan", "Aleena", "Jayden", "Kate", "Mohammad", "Sara",
               "Ryan", "Layla", "Matthew", "Jordan", "Avery", "Emily", "Noah", "Ava", "Liam", "Zoe")
LAST_NAMES = ("Koch", "Klein", "Cuevas", "Martin", "Levine", "Kirby", "Graves", "Harrell", "Rodriguez", "Johnson",
              "Smith", "Lynch", "Jones", "Hogan", "Clark", "Williams", "Brown", "Garcia", "Lee", "Walker")
LOCATIONS = ("San Francisco-Oakland-Hayward, CA", "Portland-South Portland, ME", "Chicago-Naperville-Elgin, IL-IN-WI",
             "New York-Newark-Jersey City, NY-NJ-PA", "Atlanta-Sandy Springs-Roswell, GA",
             "Lansing-East Lansing, MI", "Houston-The Woodlands-Sugar Land, TX", "Seattle-Tacoma-Bellevue, WA")
USER_AGENTS = (
    '"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
    '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
    "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:31.0) Gecko/20100101 Firefox/31.0",
    '"Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53"',
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:31.0) Gecko/20100101 Firefox/31.0",
)
OTHER_PAGES = ("Home", "Settings", "Help", "About", "Add to Playlist", "Thumbs Up", "Thumbs Down", "Error")
# Share of plays per hour of day (UTC): quiet nights, an evening peak.
HOUR_WEIGHTS = tuple(1 + 4 * math.exp(-((h - 17) ** 2) / 18) for h in range(24))


class Sink(Protocol):
    """Where generated files go: ``write(key, data)`` with a relative key."""

    def write(self, key: str, data: bytes) -> None: ...


class FolderSink:
    """Writes files under a local folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def __repr__(self) -> str:
        return f"FolderSink({str(self.root)!r})"


class S3Sink:
    """Writes objects under ``s3://bucket/prefix`` with a boto3 S3 client."""

    def __init__(self, s3_client: Any, bucket: str, prefix: str = ""):
        self.s3, self.bucket, self.prefix = s3_client, bucket, prefix.strip("/")

    def write(self, key: str, data: bytes) -> None:
        full = f"{self.prefix}/{key}" if self.prefix else key
        self.s3.put_object(Bucket=self.bucket, Key=full, Body=data)

    def __repr__(self) -> str:
        return f"S3Sink('s3://{self.bucket}/{self.prefix}')"


@dataclass(frozen=True)
class Song:
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


def _ident(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choices(string.ascii_uppercase + string.digits, k=16))


def _words(rng: random.Random, n: int) -> str:
    syllables = ("la", "mo", "ri", "ka", "ven", "dor", "sil", "tu", "mar", "el", "no", "sha", "quin", "ba")
    return " ".join("".join(rng.choices(syllables, k=rng.randint(1, 3))).capitalize() for _ in range(n))


def make_songs(rng: random.Random, count: int) -> list[Song]:
    """``count`` songs by about ``count / 3`` artists (each artist has several)."""
    artists = []
    for _ in range(max(1, count // 3)):
        has_coords = rng.random() < 0.4
        artists.append((_ident(rng, "AR"), _words(rng, rng.randint(1, 3)),
                        rng.choice(LOCATIONS + ("",)),
                        round(rng.uniform(25, 49), 5) if has_coords else None,
                        round(rng.uniform(-124, -67), 5) if has_coords else None))
    songs = []
    for _ in range(count):
        artist = rng.choice(artists)
        songs.append(Song(_ident(rng, "SO"), _words(rng, rng.randint(1, 4)), artist[0], artist[1],
                          round(rng.uniform(90, 420), 5), rng.choice((0, 0) + tuple(range(1960, 2019))),
                          _ident(rng, "TR"), artist[2], artist[3], artist[4]))
    return songs


def song_record(song: Song) -> dict[str, Any]:
    return {"num_songs": 1, "artist_id": song.artist_id, "artist_latitude": song.latitude,
            "artist_longitude": song.longitude, "artist_location": song.location, "artist_name": song.artist_name,
            "song_id": song.song_id, "title": song.title, "duration": song.duration, "year": song.year}


def song_key(song: Song) -> str:
    t = song.track_id
    return f"song_data/{t[2]}/{t[3]}/{t[4]}/{t}.json"


def _users(rng: random.Random, count: int, start: datetime) -> list[dict[str, Any]]:
    users = []
    for uid in range(1, count + 1):
        registered = start - timedelta(days=rng.randint(1, 400), seconds=rng.randint(0, 86399))
        users.append({"userId": str(uid), "firstName": rng.choice(FIRST_NAMES), "lastName": rng.choice(LAST_NAMES),
                      "gender": rng.choice("MF"), "location": rng.choice(LOCATIONS),
                      "userAgent": rng.choice(USER_AGENTS), "level": "paid" if rng.random() < 0.3 else "free",
                      "registration": float(int(registered.timestamp() * 1000))})
    return users


def _day_events(rng: random.Random, day: datetime, count: int, users: list[dict[str, Any]], songs: list[Song],
                catalog_share: float, session_base: int) -> Iterator[dict[str, Any]]:
    produced, session = 0, session_base
    while produced < count:
        session += 1
        user = rng.choice(users)
        if rng.random() < 0.02:  # a level change mid-period
            user["level"] = "free" if user["level"] == "paid" else "paid"
        start_ms = int((day + timedelta(hours=rng.choices(range(24), HOUR_WEIGHTS)[0],
                                        seconds=rng.randint(0, 3599))).timestamp() * 1000)
        length = min(count - produced, rng.randint(1, 12))
        ts = start_ms
        for item in range(length):
            logged_out = item == 0 and rng.random() < 0.05
            page = "Home" if logged_out else ("NextSong" if rng.random() < 0.8 else rng.choice(OTHER_PAGES))
            event = {"artist": None, "auth": "Logged Out" if logged_out else "Logged In",
                     "firstName": None if logged_out else user["firstName"], "gender": None if logged_out else user["gender"],
                     "itemInSession": item, "lastName": None if logged_out else user["lastName"], "length": None,
                     "level": user["level"], "location": None if logged_out else user["location"],
                     "method": "PUT" if page == "NextSong" else "GET", "page": page,
                     "registration": None if logged_out else user["registration"], "sessionId": session,
                     "song": None, "status": 200, "ts": ts, "userAgent": None if logged_out else user["userAgent"],
                     "userId": "" if logged_out else user["userId"]}
            if page == "NextSong":
                if rng.random() < catalog_share:
                    song = songs[min(int(rng.paretovariate(1.2)) - 1, len(songs) - 1)]
                    event.update(artist=song.artist_name, song=song.title, length=song.duration)
                else:
                    event.update(artist=_words(rng, 2), song=_words(rng, 3), length=round(rng.uniform(90, 420), 5))
                ts += int((event["length"] or 200) * 1000)
            else:
                ts += rng.randint(1, 60) * 1000
            yield event
            produced += 1


def generate(sink: Sink, events: int = 8000, songs: int = 300, users: int = 50, days: int = 30, seed: int = 42,
             start: str = "2018-11-01", catalog_share: float = 0.7, gzip_files: bool = False) -> dict[str, int]:
    """Write a data set to ``sink``; return counts ``{"songs", "events", "plays", "files"}``.

    Deterministic: the same arguments give the same bytes. ``catalog_share`` is
    the share of plays whose song is in the song catalogue."""
    rng = random.Random(seed)
    catalogue = make_songs(rng, songs)
    suffix = ".gz" if gzip_files else ""
    pack = (lambda b: gzip.compress(b, mtime=0)) if gzip_files else (lambda b: b)
    for song in catalogue:
        sink.write(song_key(song) + suffix, pack(json.dumps(song_record(song)).encode()))
    sink.write("log_json_path.json", JSONPATHS_FILE.read_bytes())

    first = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
    people = _users(rng, users, first)
    per_day = [events // days + (1 if d < events % days else 0) for d in range(days)]
    plays = 0
    for d, count in enumerate(per_day):
        day = first + timedelta(days=d)
        lines = []
        for event in _day_events(rng, day, count, people, catalogue, catalog_share, session_base=d * 10_000):
            plays += event["page"] == "NextSong"
            lines.append(json.dumps(event))
        key = f"log_data/{day:%Y}/{day:%m}/{day:%Y-%m-%d}-events.json{suffix}"
        sink.write(key, pack(("\n".join(lines) + "\n").encode()))
    return {"songs": len(catalogue), "events": sum(per_day), "plays": plays, "files": len(catalogue) + days + 1}
