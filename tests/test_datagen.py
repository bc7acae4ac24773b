"""The generator: layout, determinism and what the data looks like, on small
data sets (a few thousand events) so the whole file runs in seconds."""

import gzip
import io
import json
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sparkify_nb import aws, cli, config, infra

from sparkify_nb import datagen
from sparkify_nb.datagen.events import zone_weights
from sparkify_nb.datagen.listeners import METROS
from sparkify_nb.datagen.sinks import DayFiles

SMALL = dict(events=6000, songs=200, users=60, days=7, seed=7)
PAGES_REQUIRED = {"NextSong", "Home", "Login", "Logout", "Settings", "Upgrade", "Downgrade", "Help", "About",
                  "Error", "Submit Upgrade", "Submit Downgrade"}


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def read_events(root: Path) -> list[dict]:
    events = []
    for path in sorted((root / "log_data").rglob("*.json")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            event = json.loads(line)
            event["_file"], event["_line"] = path.name, number
            events.append(event)
    return events


def read_songs(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / "song_data").rglob("*.json"))]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("gen")
    stats = datagen.generate(datagen.FolderSink(root), **SMALL)
    return root, stats, read_events(root), read_songs(root)


def test_same_seed_gives_the_same_bytes_and_another_seed_other_bytes(tmp_path):
    args = dict(events=1500, songs=40, users=15, days=2)
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        datagen.generate(datagen.FolderSink(tmp_path / name), seed=seed, **args)
    a, b, c = (files_under(tmp_path / n) for n in "abc")
    assert a == b
    assert a.keys() != c.keys()   # other track ids
    assert a["log_data/2018/11/2018-11-01-events.json"] != c["log_data/2018/11/2018-11-01-events.json"]


def test_layout_is_one_song_per_file_one_events_file_per_day_and_the_jsonpaths(sample):
    root, stats, events, songs = sample
    names = sorted(files_under(root))
    song_files = [n for n in names if n.startswith("song_data/")]
    assert len(song_files) == SMALL["songs"] == stats["songs"]
    for name in song_files:
        _, a, b, c, leaf = name.split("/")
        assert leaf.startswith(f"TR{a}{b}{c}") and leaf.endswith(".json") and len(leaf) == 23
    assert [n for n in names if n.startswith("log_data/")] == [
        f"log_data/2018/11/2018-11-0{d}-events.json" for d in range(1, 8)]
    assert (root / "log_json_path.json").read_bytes() == datagen.JSONPATHS_FILE.read_bytes()
    assert stats["files"] == len(names) == SMALL["songs"] + SMALL["days"] + 1
    assert list(songs[0]) == ["num_songs", "artist_id", "artist_latitude", "artist_longitude", "artist_location",
                              "artist_name", "song_id", "title", "duration", "year"]


def test_events_are_exactly_as_many_as_asked_in_time_order_in_the_file_of_their_utc_day(sample):
    _, stats, events, _ = sample
    assert len(events) == stats["events"] == SMALL["events"]
    assert all(list(e)[:18] == list(datagen.EVENT_FIELDS) for e in events)
    for e in events:
        day = datetime.fromtimestamp(e["ts"] / 1000, timezone.utc)
        assert e["_file"] == f"{day:%Y-%m-%d}-events.json"
    stamps = [e["ts"] for e in events]
    assert stamps == sorted(stamps)


def test_pages_are_mostly_plays_with_every_page_of_the_app(sample):
    _, stats, events, _ = sample
    pages = Counter(e["page"] for e in events)
    assert PAGES_REQUIRED <= set(pages)
    assert 0.74 <= pages["NextSong"] / len(events) <= 0.82
    assert pages["NextSong"] == stats["plays"]
    assert {e["status"] for e in events if e["page"] == "Error"} == {404}
    assert {(e["method"], e["status"]) for e in events if e["page"] == "NextSong"} == {("PUT", 200)}
    assert {e["method"] for e in events if e["page"] in ("Login", "Logout")} == {"PUT"}
    assert all(e["length"] is None and e["song"] is None for e in events if e["page"] != "NextSong")


def test_logged_out_events_have_an_empty_user_id_and_no_person(sample):
    _, _, events, _ = sample
    out = [e for e in events if e["auth"] == "Logged Out"]
    assert 0.02 <= len(out) / len(events) <= 0.07
    assert {e["userId"] for e in out} == {""}
    assert {(e["firstName"], e["lastName"], e["gender"], e["location"], e["registration"]) for e in out} == {
        (None, None, None, None, None)}
    assert all(e["userId"] != "" for e in events if e["auth"] == "Logged In")
    assert {e["page"] for e in out} <= {"Home", "Login", "About", "Help"}
    # Login is the last logged-out event: the session goes on logged in, as that user
    by_session = defaultdict(list)
    for e in events:
        by_session[e["sessionId"]].append(e)
    logins = 0
    for session in by_session.values():
        session.sort(key=lambda e: e["itemInSession"])
        assert [e["itemInSession"] for e in session] == list(range(len(session)))
        for before, after in zip(session, session[1:]):
            if before["page"] == "Login":
                logins += 1
                assert after["auth"] == "Logged In" and after["userId"] != ""
            if before["page"] == "Logout":
                assert (after["auth"], after["page"]) == ("Logged Out", "Home")
    assert logins > 0


def test_a_level_change_comes_right_after_upgrade_and_submit_in_the_same_session(sample):
    _, _, events, _ = sample
    by_user = defaultdict(list)
    for e in events:
        if e["userId"]:
            by_user[e["userId"]].append(e)
    changes = {"free->paid": 0, "paid->free": 0}
    for history in by_user.values():
        history.sort(key=lambda e: (e["ts"], e["sessionId"], e["itemInSession"]))
        levels = [e["level"] for e in history]
        flips = [i for i in range(1, len(history)) if levels[i] != levels[i - 1]]
        assert len(flips) <= 1
        for i in flips:
            submit = history[i - 1]
            if levels[i] == "paid":
                assert submit["page"] == "Submit Upgrade"
                changes["free->paid"] += 1
            else:
                assert submit["page"] == "Submit Downgrade"
                changes["paid->free"] += 1
            session = sorted((e for e in history if e["sessionId"] == submit["sessionId"]),
                             key=lambda e: e["itemInSession"])
            visit = session[session.index(submit) - 1]
            assert visit["page"] == submit["page"].split()[1]   # Upgrade / Downgrade
        submits = [i for i, e in enumerate(history) if e["page"].startswith("Submit")]
        assert all(i == len(history) - 1 or i + 1 in flips for i in submits)
    assert changes["free->paid"] >= 1 and changes["paid->free"] >= 1


@pytest.mark.parametrize("share", [0.7, 0.1])
def test_the_share_of_plays_of_catalogue_songs_is_honoured(tmp_path, share):
    stats = datagen.generate(datagen.FolderSink(tmp_path), events=5000, songs=150, users=40, days=3, seed=3,
                             catalog_share=share)
    catalogue = {(s["title"], s["artist_name"], s["duration"]) for s in read_songs(tmp_path)}
    plays = [e for e in read_events(tmp_path) if e["page"] == "NextSong"]
    matched = sum((e["song"], e["artist"], e["length"]) in catalogue for e in plays)
    assert matched == stats["catalogue_plays"]
    assert abs(matched / len(plays) - share) <= 0.03


def test_listening_peaks_in_the_evening_of_the_users_local_time(sample):
    _, _, events, _ = sample
    zone = {name: tz for name, tz, _ in METROS}
    hours = Counter()
    for e in events:
        if e["page"] == "NextSong":
            hours[datetime.fromtimestamp(e["ts"] / 1000, ZoneInfo(zone[e["location"]])).hour] += 1
    assert max(hours, key=hours.get) in range(18, 23)
    assert min(hours, key=hours.get) in range(1, 7)
    assert sum(hours[h] for h in range(18, 23)) > 3 * sum(hours[h] for h in range(1, 6))


def test_the_weekly_rhythm_favours_fridays_over_sundays():
    # 14 days from Monday 2018-11-05: two of each weekday; straight from the hourly plan, no files needed.
    first = datetime(2018, 11, 5, tzinfo=timezone.utc)
    per_hour = zone_weights(first, 14, ["America/New_York"], [1.0])
    by_day = Counter()
    for hour, row in enumerate(per_hour):
        local = datetime.fromtimestamp(first.timestamp() + hour * 3600, ZoneInfo("America/New_York"))
        by_day[local.weekday()] += row[0]
    assert by_day[4] > by_day[0] > by_day[6]


def test_songs_have_a_long_tail_artists_several_songs_and_gaps_like_the_real_files(sample):
    _, _, events, songs = sample
    per_artist = Counter(s["artist_id"] for s in songs)
    assert max(per_artist.values()) >= 4 and len(per_artist) < len(songs) / 2
    artists = {s["artist_id"]: s for s in songs}.values()
    no_coords = sum(a["artist_latitude"] is None for a in artists) / len(artists)
    assert 0.45 <= no_coords <= 0.8
    assert all((a["artist_latitude"] is None) == (a["artist_longitude"] is None) for a in artists)
    assert 0.3 <= sum(s["year"] == 0 for s in songs) / len(songs) <= 0.6
    plays = Counter(e["song"] for e in events if e["page"] == "NextSong")
    counts = sorted(plays.values(), reverse=True)
    assert counts[0] >= 10 * statistics.median(counts)


def test_users_have_a_name_gender_metro_and_a_registration_before_their_events(sample):
    _, _, events, _ = sample
    metros = {name for name, _, _ in METROS}
    people = {}
    for e in events:
        if e["userId"]:
            person = (e["firstName"], e["lastName"], e["gender"], e["location"], e["registration"], e["userAgent"])
            assert people.setdefault(e["userId"], person) == person
            assert e["registration"] < e["ts"]
    assert len(people) >= SMALL["users"] * 0.8
    assert {p[2] for p in people.values()} == {"F", "M"}
    assert {p[3] for p in people.values()} <= metros
    assert all(p[0] and p[1] for p in people.values())


def test_gzip_files_hold_the_same_bytes_as_plain_ones(tmp_path):
    args = dict(events=800, songs=20, users=10, days=2, seed=5)
    datagen.generate(datagen.FolderSink(tmp_path / "plain"), **args)
    datagen.generate(datagen.FolderSink(tmp_path / "gz"), gzip_files=True, **args)
    plain, packed = files_under(tmp_path / "plain"), files_under(tmp_path / "gz")
    assert packed.pop("log_json_path.json") == plain.pop("log_json_path.json")
    assert {k[:-3]: gzip.decompress(v) for k, v in packed.items()} == plain


def test_day_files_are_written_in_batches_not_held_whole(tmp_path, monkeypatch):
    writes = Counter()

    class Recording(datagen.FolderSink):
        def open(self, key):
            handle = super().open(key)

            class Counting:
                def __enter__(inner):
                    inner.raw = handle.__enter__()
                    return inner

                def __exit__(inner, *exc):
                    return handle.__exit__(*exc)

                def write(inner, data):
                    writes[key] += 1
                    return inner.raw.write(data)
            return Counting()

    monkeypatch.setattr(DayFiles, "BATCH", 50)
    datagen.generate(Recording(tmp_path), events=2000, songs=20, users=10, days=1, seed=1)
    assert writes["log_data/2018/11/2018-11-01-events.json"] == 40


def test_the_s3_sink_writes_the_same_objects_into_the_emulator(tmp_path):
    settings = config.load(overrides={"general.target": "local"})
    s3 = aws.Clients(settings)("s3")
    infra.ensure_bucket(settings, "datagen-test", progress=lambda _: None)
    args = dict(events=600, songs=15, users=8, days=2, seed=9)
    datagen.generate(datagen.S3Sink(s3, "datagen-test", "raw/"), **args)
    datagen.generate(datagen.FolderSink(tmp_path), **args)
    local = files_under(tmp_path)
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="datagen-test", Prefix="raw/")
            for o in page.get("Contents", [])]
    assert sorted(k[len("raw/"):] for k in keys) == sorted(local)
    day = "log_data/2018/11/2018-11-02-events.json"
    assert s3.get_object(Bucket="datagen-test", Key="raw/" + day)["Body"].read() == local[day]


@pytest.mark.parametrize("kwargs, message", [
    (dict(days=0), "days >= 1"), (dict(songs=0), "songs >= 1"), (dict(events=-1), "events >= 0"),
    (dict(catalog_share=1.5), "catalog_share must be between 0 and 1"), (dict(start="Nov 1"), "start must be"),
])
def test_bad_arguments_are_refused_before_anything_is_written(tmp_path, kwargs, message):
    with pytest.raises(datagen.DatagenError, match=message):
        datagen.generate(datagen.FolderSink(tmp_path), **kwargs)
    assert not any(tmp_path.iterdir())


def test_the_cli_writes_a_folder_and_prints_the_counts(tmp_path, capsys):
    assert cli.main(["generate", "--out", str(tmp_path), "--events", "300", "--songs", "10", "--users", "5",
                     "--days", "1", "--seed", "4", "--catalog-share", "0.5", "--gzip"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["events"], stats["songs"], stats["files"]) == (300, 10, 12)
    assert (tmp_path / "log_data/2018/11/2018-11-01-events.json.gz").is_file()
    with gzip.open(tmp_path / "log_data/2018/11/2018-11-01-events.json.gz") as handle:
        assert len(io.TextIOWrapper(handle, encoding="utf-8").readlines()) == 300


def test_zero_events_still_write_one_empty_file_per_day_and_the_catalogue(tmp_path):
    stats = datagen.generate(datagen.FolderSink(tmp_path), events=0, songs=3, users=2, days=2, seed=1)
    assert (stats["events"], stats["plays"], stats["files"]) == (0, 0, 6)
    assert [p.read_bytes() for p in sorted((tmp_path / "log_data").rglob("*.json"))] == [b"", b""]
