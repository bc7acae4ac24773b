"""The song catalogue: artists with several songs each, a long tail of
popularity, gaps like the real files (no coordinates, year 0); one JSON file
per song under ``song_data/A/B/C/``."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Iterator

from .names import artist_name, ident, song_title

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
        artist = (ident(rng, "AR"), artist_name(rng), home[0],
                  round(home[1] + rng.uniform(-0.3, 0.3), 5) if has_coords else None,
                  round(home[2] + rng.uniform(-0.3, 0.3), 5) if has_coords else None)
        for _ in range(min(count - made, 1 + min(11, int(rng.expovariate(0.5))))):
            year = 0 if rng.random() < 0.45 else rng.randint(1958, 2018)
            yield Song(ident(rng, "SO"), song_title(rng), artist[0], artist[1], round(rng.uniform(90, 420), 5), year,
                       ident(rng, "TR"), artist[2], artist[3], artist[4])
            made += 1


def song_record(song: Song) -> dict[str, Any]:
    """The JSON object of a song file, keys in the order of Sparkify's files."""
    return {"num_songs": 1, "artist_id": song.artist_id, "artist_latitude": song.latitude,
            "artist_longitude": song.longitude, "artist_location": song.location, "artist_name": song.artist_name,
            "song_id": song.song_id, "title": song.title, "duration": song.duration, "year": song.year}


def song_key(song: Song) -> str:
    """``song_data/A/B/C/TRABC....json``: folders from the 3rd-5th characters of the track id."""
    t = song.track_id
    return f"song_data/{t[2]}/{t[3]}/{t[4]}/{t}.json"
