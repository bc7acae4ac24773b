"""Staging -> star schema on a tiny hand-made data set, every expected row
written out; incremental loads and re-runs; the quality checks."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from sparkify_nb import config, staging, warehouse
from sparkify_nb import datagen
from sparkify_nb.warehouse import quality, transform

DAY1 = 1541030400000  # 2018-11-01 00:00:00 UTC (a Thursday, ISO week 44)
DAY2 = DAY1 + 86_400_000

SONGS = [
    {"num_songs": 1, "artist_id": "AR1", "artist_latitude": 48.85, "artist_longitude": 2.35,
     "artist_location": "Paris", "artist_name": "Artist A", "song_id": "SO1", "title": "Song A",
     "duration": 200.0, "year": 2001},
    {"num_songs": 1, "artist_id": "AR1", "artist_latitude": 48.85, "artist_longitude": 2.35,
     "artist_location": "Paris", "artist_name": "Artist A", "song_id": "SO2", "title": "Song B",
     "duration": 180.5, "year": 0},
    {"num_songs": 1, "artist_id": "AR2", "artist_latitude": None, "artist_longitude": None,
     "artist_location": "", "artist_name": "Artist C", "song_id": "SO3", "title": "Song C",
     "duration": 100.0, "year": 1999},
]
ANN = {"userId": "7", "firstName": "Ann", "lastName": "Lee", "gender": "F", "location": "Here", "userAgent": "UA7"}
BO = {"userId": "9", "firstName": "Bo", "lastName": "Kim", "gender": "M", "location": "There", "userAgent": "UA9"}
CY = {"userId": "11", "firstName": "Cy", "lastName": "Ng", "gender": "M", "location": "Far", "userAgent": "UA11"}
LOGGED_OUT = {"userId": "", "firstName": None, "lastName": None, "gender": None, "location": None, "userAgent": None}


def event(user, ts, session, item, level, page="NextSong", song=None, artist=None, length=None):
    return {"artist": artist, "auth": "Logged In" if user["userId"] else "Logged Out",
            "firstName": user["firstName"], "gender": user["gender"], "itemInSession": item,
            "lastName": user["lastName"], "length": length, "level": level, "location": user["location"],
            "method": "PUT", "page": page, "registration": 1540000000000.0 if user["userId"] else None,
            "sessionId": session, "song": song, "status": 200, "ts": ts, "userAgent": user["userAgent"],
            "userId": user["userId"]}


DAY1_EVENTS = [
    event(ANN, DAY1, 1, 0, "free", song="Song A", artist="Artist A", length=200.0),          # matches SO1
    event(ANN, DAY1 + 200_000, 1, 1, "free", song="Song B", artist="Artist A", length=181.0),  # duration differs
    event(ANN, DAY1 + 390_000, 1, 2, "free", page="Home"),                                   # not a play
    event(LOGGED_OUT, DAY1 + 400_000, 8, 0, "free", page="Login"),                            # no user
    event(BO, DAY1 + 49_530_500, 2, 0, "paid", song="Song C", artist="Artist C", length=100.0),  # matches SO3
]
DAY2_EVENTS = [
    event(ANN, DAY2 + 28_800_000, 3, 0, "paid", song="Song A", artist="Artist A", length=200.0),  # Ann upgraded
    event(CY, DAY2 + 34_200_000, 4, 0, "free", song="Unknown", artist="Nobody", length=99.0),   # new user
]

EXPECTED_PLAYS_DAY1 = [
    (datetime(2018, 11, 1, 0, 0, 0), 7, "free", "SO1", "AR1", 1, "Here", "UA7"),
    (datetime(2018, 11, 1, 0, 3, 20), 7, "free", None, None, 1, "Here", "UA7"),
    (datetime(2018, 11, 1, 13, 45, 30, 500000), 9, "paid", "SO3", "AR2", 2, "There", "UA9"),
]
EXPECTED_PLAYS_DAY2 = [
    (datetime(2018, 11, 2, 8, 0, 0), 7, "paid", "SO1", "AR1", 3, "Here", "UA7"),
    (datetime(2018, 11, 2, 9, 30, 0), 11, "free", None, None, 4, "Far", "UA11"),
]


def write_day(root, name, events):
    path = root / "log_data" / "2018" / "11" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")


def etl(conn, root):
    """What 03 does: reload staging, merge the star schema, check it."""
    songs_dir = root / "song_data"
    if not songs_dir.exists():
        for i, song in enumerate(SONGS):
            path = songs_dir / "A" / "B" / "C" / f"TRABC{i}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(song))
    settings = config.load(overrides={"general.target": "local", "s3.song_data": str(songs_dir),
                                      "s3.log_data": str(root / "log_data"),
                                      "s3.log_jsonpath": str(datagen.JSONPATHS_FILE), "etl.max_errors": 0})
    reports = staging.load_staging(settings, conn, progress=lambda _: None)
    merged = transform.run(conn, progress=lambda _: None)
    checks = quality.run_checks(conn, rejected=sum(r.rejected for r in reports))
    return merged, checks


def rows(conn, sql):
    return [tuple(None if v != v else v for v in r) for r in warehouse.query(conn, sql).itertuples(index=False)]


PLAYS = ("SELECT start_time, user_id, level, song_id, artist_id, session_id, location, user_agent "
         "FROM songplays ORDER BY start_time")


def test_star_schema_rows_from_one_day(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    assert rows(conn, PLAYS) == EXPECTED_PLAYS_DAY1
    assert rows(conn, "SELECT * FROM users ORDER BY user_id") == [(7, "Ann", "Lee", "F", "free"),
                                                                  (9, "Bo", "Kim", "M", "paid")]
    assert rows(conn, "SELECT * FROM songs ORDER BY song_id") == [("SO1", "Song A", "AR1", 2001, 200.0),
                                                                  ("SO2", "Song B", "AR1", 0, 180.5),
                                                                  ("SO3", "Song C", "AR2", 1999, 100.0)]
    assert rows(conn, "SELECT * FROM artists ORDER BY artist_id") == [("AR1", "Artist A", "Paris", 48.85, 2.35),
                                                                      ("AR2", "Artist C", "", None, None)]
    assert rows(conn, 'SELECT * FROM "time" ORDER BY start_time') == [
        (datetime(2018, 11, 1, 0, 0, 0), 0, 1, 44, 11, 2018, 4),
        (datetime(2018, 11, 1, 0, 3, 20), 0, 1, 44, 11, 2018, 4),
        (datetime(2018, 11, 1, 13, 45, 30, 500000), 13, 1, 44, 11, 2018, 4),
    ]


def test_running_again_on_the_same_data_adds_nothing(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    merged, _ = etl(conn, tmp_path)
    assert merged["added"].to_dict() == {"songs": 0, "artists": 0, "users": 0, "songplays": 0, "time": 0}
    assert rows(conn, PLAYS) == EXPECTED_PLAYS_DAY1


def test_a_new_day_adds_exactly_its_plays_and_updates_levels(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    write_day(tmp_path, "2018-11-02-events.json", DAY2_EVENTS)
    merged, checks = etl(conn, tmp_path)
    assert merged["added"].to_dict() == {"songs": 0, "artists": 0, "users": 1, "songplays": 2, "time": 2}
    assert rows(conn, PLAYS) == EXPECTED_PLAYS_DAY1 + EXPECTED_PLAYS_DAY2
    assert rows(conn, "SELECT user_id, level FROM users ORDER BY user_id") == [(7, "paid"), (9, "paid"),
                                                                               (11, "free")]
    assert checks.loc["plays_matched_share", "value"] == 0.6
    assert checks.loc["rows_songplays", "value"] == 5


def test_identical_events_in_the_source_are_all_kept_once(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS + DAY1_EVENTS[:1])
    etl(conn, tmp_path)
    etl(conn, tmp_path)
    assert warehouse.query(conn, "SELECT COUNT(*) AS n FROM songplays").n[0] == 4


def test_quality_checks_pass_on_a_good_load_and_show_as_a_table(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    _, checks = etl(conn, tmp_path)
    assert checks["value"].to_dict() == {
        "rows_songs": 3, "rows_artists": 2, "rows_users": 2, "rows_songplays": 3, "rows_time": 3,
        "null_keys": 0, "duplicate_keys": 0, "plays_without_user": 0, "plays_without_time": 0,
        "plays_not_merged": 0, "plays_matched_share": 0.6667, "rejected_records": 0}
    assert checks["ok"].all()


def test_a_broken_invariant_raises_and_names_the_check(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    warehouse.run(conn, ["DELETE FROM users WHERE user_id = 9", 'DELETE FROM "time"'])
    with pytest.raises(quality.QualityError, match=r"plays_without_user = 1 \(expected 0\), "
                                                   r"plays_without_time = 3 \(expected 0\)") as caught:
        quality.run_checks(conn)
    assert not caught.value.report.loc["plays_without_user", "ok"]


def test_weekday_counts_from_sunday_as_0_and_week_is_the_iso_week(conn, tmp_path):
    """time.weekday is Redshift's DATE_PART(dow): 0 = Sunday .. 6 = Saturday (not ISO's 7 for
    Sunday, not Python's 0 for Monday); week is the ISO week, which turns on Monday."""
    saturday, sunday, monday = DAY1 + 2 * 86_400_000, DAY1 + 3 * 86_400_000, DAY1 + 4 * 86_400_000
    write_day(tmp_path, "2018-11-03-events.json", [event(ANN, saturday + 3_600_000, 1, 0, "free", song="S")])
    write_day(tmp_path, "2018-11-04-events.json", [event(ANN, sunday + 3_600_000, 2, 0, "free", song="S")])
    write_day(tmp_path, "2018-11-05-events.json", [event(ANN, monday + 3_600_000, 3, 0, "free", song="S")])
    etl(conn, tmp_path)
    assert rows(conn, 'SELECT * FROM "time" ORDER BY start_time') == [
        (datetime(2018, 11, 3, 1, 0, 0), 1, 3, 44, 11, 2018, 6),
        (datetime(2018, 11, 4, 1, 0, 0), 1, 4, 44, 11, 2018, 0),
        (datetime(2018, 11, 5, 1, 0, 0), 1, 5, 45, 11, 2018, 1),
    ]


def test_a_replayed_batch_with_one_more_copy_of_a_play_adds_only_that_copy(conn, tmp_path):
    """The k-th staged copy of a play key is added only when songplays holds fewer than k."""
    play = event(BO, DAY1 + 1000, 2, 0, "paid", song="Song C", artist="Artist C", length=100.0)
    write_day(tmp_path, "2018-11-01-events.json", [play])
    etl(conn, tmp_path)
    write_day(tmp_path, "2018-11-01-events.json", [play, play, DAY1_EVENTS[0]])
    merged, _ = etl(conn, tmp_path)
    assert merged["added"]["songplays"] == 2
    assert rows(conn, "SELECT user_id, COUNT(*) AS n FROM songplays GROUP BY user_id ORDER BY user_id") == \
        [(7, 1), (9, 2)]
