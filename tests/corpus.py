"""A corpus of malformed and awkward inputs for the COPY emulator, written out
byte for byte, with the outcome each record must have.

``EVENT_FILES`` go through the jsonpaths mapping into ``staging_events``;
``SONG_FILES`` through ``'auto'`` into ``staging_songs``. Each file maps to
``(bytes, expected)``, where ``expected`` maps the line number of every record
to ``"loaded"`` or ``(column, err_code)`` of its rejection (column ``""``
for a record that is not a JSON object at all). Blank lines are not records.
"""

from __future__ import annotations

import gzip
import json

FIELDS = ("artist", "auth", "firstName", "gender", "itemInSession", "lastName", "length", "level", "location",
          "method", "page", "registration", "sessionId", "song", "status", "ts", "userAgent", "userId")

# Two real lines of s3://udacity-dend/log_data/2018/11/2018-11-01-events.json style: userId is a
# string (empty when logged out), registration a float, escaped slashes in userAgent.
UDACITY_EVENTS = (
    b'{"artist":null,"auth":"Logged In","firstName":"Walter","gender":"M","itemInSession":0,"lastName":"Frye",'
    b'"length":null,"level":"free","location":"San Francisco-Oakland-Hayward, CA","method":"GET","page":"Home",'
    b'"registration":1540919166796.0,"sessionId":38,"song":null,"status":200,"ts":1541105830796,'
    b'"userAgent":"\\"Mozilla\\/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit\\/537.36 (KHTML, like Gecko) '
    b'Chrome\\/36.0.1985.143 Safari\\/537.36\\"","userId":"39"}\n'
    b'{"artist":"Des\'ree","auth":"Logged In","firstName":"Kaylee","gender":"F","itemInSession":1,'
    b'"lastName":"Summers","length":246.30812,"level":"free","location":"Phoenix-Mesa-Scottsdale, AZ",'
    b'"method":"PUT","page":"NextSong","registration":1540344794796.0,"sessionId":139,"song":"You Gotta Be",'
    b'"status":200,"ts":1541106106796,"userAgent":"\\"Mozilla\\/5.0 (Windows NT 6.1; WOW64) AppleWebKit\\/537.36 '
    b'(KHTML, like Gecko) Chrome\\/35.0.1916.153 Safari\\/537.36\\"","userId":"8"}\n'
    b'{"artist":null,"auth":"Logged Out","firstName":null,"gender":null,"itemInSession":0,"lastName":null,'
    b'"length":null,"level":"free","location":null,"method":"PUT","page":"Login","registration":null,'
    b'"sessionId":52,"song":null,"status":307,"ts":1541207073796,"userAgent":null,"userId":""}\n'
)
UDACITY_SONG = (b'{"num_songs": 1, "artist_id": "ARJIE2Y1187B994AB7", "artist_latitude": null, '
                b'"artist_longitude": null, "artist_location": "", "artist_name": "Line Renaud", '
                b'"song_id": "SOUPIRU12A6D4FA1E1", "title": "Der Kleine Dompfaff", "duration": 152.92036, "year": 0}')


def ev(**fields) -> bytes:
    """One event line: a complete, valid event with ``fields`` changed."""
    base = {"artist": "A", "auth": "Logged In", "firstName": "Ann", "gender": "F", "itemInSession": 0,
            "lastName": "Lee", "length": 200.5, "level": "free", "location": "Here", "method": "PUT",
            "page": "NextSong", "registration": 1540000000000.0, "sessionId": 5, "song": "S", "status": 200,
            "ts": 1541000000000, "userAgent": "Mozilla", "userId": "7"}
    base.update(fields)
    return json.dumps(base, ensure_ascii=False).encode("utf-8")


HOSTILE = ("Robert'); DROP TABLE staging_events;--", 'say "hi", then \'bye\'', "C:\\path\\to\\file", "line\nbreak",
           "tab\there", "\\.", "\\N", "", " padded ", "a,b,c", "\r")
UNICODE = ("Beyoncé", "Björk", "坂本龍一", "Sigur Rós 🎵", "Ελληνικά", "𝄞 clef")

EVENT_FILES: dict[str, tuple[bytes, dict[int, object]]] = {
    "2018/11/2018-11-01-udacity.json": (UDACITY_EVENTS, {1: "loaded", 2: "loaded", 3: "loaded"}),
    "2018/11/crlf-and-blank-lines.json": (
        ev(ts=1541000000001) + b"\r\n\r\n   \r\n" + ev(ts=1541000000002) + b"\r\n\n" + ev(ts=1541000000003),
        {1: "loaded", 4: "loaded", 6: "loaded"}),
    "2018/11/empty.json": (b"", {}),
    "2018/11/only-blank-lines.json": (b"\n\n  \n\r\n", {}),
    "2018/11/truncated.json": (
        ev(ts=1541000000010) + b"\n" + b'{"artist": "A", "ts": 15410' + b"\n" + ev(ts=1541000000011) + b"\n"
        + ev(ts=1541000000012)[:40],
        {1: "loaded", 2: ("", 1224), 3: "loaded", 4: ("", 1224)}),
    "2018/11/wrong-types.json": (b"\n".join([
        ev(ts="yesterday"),                 # 1 timestamp not a number
        ev(itemInSession="3"),              # 2 digits in a string convert
        ev(sessionId=1.5),                  # 3 fraction for an integer
        ev(status=True),                    # 4 boolean for an integer
        ev(length="abc"),                   # 5 not a number
        ev(registration=""),                # 6 empty string in a numeric column is NULL
        ev(userId=42),                      # 7 a number into a VARCHAR keeps its text
        ev(ts=1.5e300),                     # 8 timestamp out of range
        ev(sessionId=99999999999),          # 9 integer overflow
        ev(artist={"nested": [1, 2]}),      # 10 an object into a VARCHAR keeps its JSON text
        ev(length=[1.0]),                   # 11 an array for a number
        ev(itemInSession="3 apples"),       # 12 not an integer
        ev(ts="1541000000000"),             # 13 epoch millis as a string convert
    ]), {1: ("ts", 1206), 2: "loaded", 3: ("session_id", 1207), 4: ("status", 1207), 5: ("length", 1208),
         6: "loaded", 7: "loaded", 8: ("ts", 1206), 9: ("session_id", 1222), 10: "loaded",
         11: ("length", 1223), 12: ("item_in_session", 1207), 13: "loaded"}),
    "2018/11/invalid-utf8.json": (
        ev(ts=1541000000020) + b"\n" + ev(song="café").replace("café".encode(), b"caf\xe9") + b"\n"
        + b'{"song": "\xff\xfe"}' + b"\n" + ev(ts=1541000000021),
        {1: "loaded", 2: ("", 1220), 3: ("", 1220), 4: "loaded"}),
    "2018/11/oversized.json": (b"\n".join([
        ev(gender="x" * 16),                # 1 exactly the column's 16 bytes
        ev(gender="x" * 17),                # 2 one byte too many
        ev(artist="é" * 256),               # 3 512 bytes in 256 characters: fits VARCHAR(512)
        ev(artist="é" * 257),               # 4 514 bytes: too long although 257 characters
        ev(userAgent="a" * 100_000),        # 5 far too long
    ]), {1: "loaded", 2: ("gender", 1204), 3: "loaded", 4: ("artist", 1204), 5: ("user_agent", 1204)}),
    "2018/11/unicode.json": (b"\n".join(ev(artist=name, song=name, ts=1541000000100 + i)
                                        for i, name in enumerate(UNICODE)),
                             {i + 1: "loaded" for i in range(len(UNICODE))}),
    "2018/11/hostile.json": (b"\n".join(ev(artist=text, song=text, ts=1541000000200 + i)
                                        for i, text in enumerate(HOSTILE)),
                             {i + 1: "loaded" for i in range(len(HOSTILE))}),
    "2018/11/extra-and-missing-fields.json": (b"\n".join([
        ev(extra="ignored", another={"deep": True}),   # 1 unknown fields are ignored
        b'{"ts": 1541000000300, "page": "NextSong"}',   # 2 missing fields are NULL
        b"{}",                                         # 3 an empty object: every column NULL
        b"[1, 2]",                                     # 4 not an object
        b"42",                                         # 5 not an object
        b"null",                                       # 6 not an object
        ev(song="a\x00b"),                            # 7 an escaped NUL (\u0000) in a string
        b'{"a": 1}{"b": 2}',                           # 8 two objects on a line
        b"[" * 5000 + b"]" * 5000,                     # 9 nested too deeply
        b'{"ts": NaN}',                                # 10 NaN is not JSON
    ]), {1: "loaded", 2: "loaded", 3: "loaded", 4: ("", 1224), 5: ("", 1224), 6: ("", 1224), 7: ("song", 1220),
         8: ("", 1224), 9: ("", 1224), 10: ("", 1224)}),
    "2018/11/pretty-printed.json": (
        ev(ts=1541000000400) + b"\n" + json.dumps(json.loads(ev(ts=1541000000401)), indent=2).encode() + b"\n"
        + ev(ts=1541000000402),
        {1: "loaded", 2: "loaded", 22: "loaded"}),
    "2018/11/compressed.json.gz": (gzip.compress(ev(ts=1541000000500) + b"\n" + ev(ts="x"), mtime=0),
                                   {1: "loaded", 2: ("ts", 1206)}),
}

SONG_FILES: dict[str, tuple[bytes, dict[int, object]]] = {
    "A/B/C/TRABC01.json": (UDACITY_SONG, {1: "loaded"}),
    "A/B/C/TRABC02.json": (json.dumps({**json.loads(UDACITY_SONG), "song_id": "SO2", "year": "abc"}).encode(),
                           {1: ("year", 1207)}),
    "A/B/C/TRABC03.json": (json.dumps({**json.loads(UDACITY_SONG), "song_id": "SO3", "duration": None},
                                      indent=4).encode(), {1: "loaded"}),
    "A/B/C/TRABC04.json": (b"", {}),
}


def write(root, files: dict[str, tuple[bytes, dict]]) -> None:
    """Write ``files`` under the folder ``root``."""
    for name, (data, _) in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
