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
    checks = quality.run_checks(conn, settings, quality.rejected_counts(reports))
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
    assert ((merged["seconds"] >= 0) & (merged["seconds"] < 60)).all()  # each table's time: what its statements took
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
    assert checks.loc["share_plays_matched: songplays", "value"] == 0.6
    assert checks.loc["row_count: songplays", "value"] == 5


def test_a_load_of_another_artists_song_keeps_every_artist_loaded_before(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    later = tmp_path / "later"  # a day whose one new song file is by an artist not seen before
    song = {**SONGS[0], "artist_id": "AR3", "artist_name": "Artist D", "song_id": "SO4", "title": "Song D"}
    (later / "song_data").mkdir(parents=True)
    (later / "song_data" / "TRABC9.json").write_text(json.dumps(song))
    write_day(later, "2018-11-02-events.json", DAY2_EVENTS)
    merged, _ = etl(conn, later)
    assert merged["added"].to_dict()["artists"] == 1
    assert [r[0] for r in rows(conn, "SELECT artist_id FROM artists ORDER BY artist_id")] == ["AR1", "AR2", "AR3"]


def test_a_play_matches_a_catalogue_song_only_when_title_artist_and_length_all_agree(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", [
        event(ANN, DAY1, 1, 0, "free", song="Song A", artist="Artist C", length=200.0),  # another artist's name
        event(BO, DAY1 + 1_000, 2, 0, "paid", song="Song A", artist="Artist A", length=200.0)])  # all three agree
    etl(conn, tmp_path)
    assert [(r[1], r[3], r[4]) for r in rows(conn, PLAYS)] == [(7, None, None), (9, "SO1", "AR1")]


def test_identical_events_in_the_source_are_one_play_and_counted(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS + DAY1_EVENTS[:1])
    etl(conn, tmp_path)
    _, checks = etl(conn, tmp_path)
    assert rows(conn, PLAYS) == EXPECTED_PLAYS_DAY1
    assert checks.loc["repeated_plays: staging_events (merged as one)", ["value", "status"]].tolist() == [1, "warn"]
    assert checks.loc["unique: songplays (start_time, user_id, session_id)", "value"] == 0


def test_quality_checks_pass_on_a_good_load_and_show_as_a_table(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    _, checks = etl(conn, tmp_path)
    values = checks["value"].to_dict()
    assert [values[f"row_count: {t}"] for t in ("songs", "artists", "users", "songplays", "time")] == [3, 2, 2, 3, 3]
    assert values["share_plays_matched: songplays"] == 0.6667
    assert checks.loc["rejected: staging_events", "value"] == 0
    assert set(checks["status"]) == {"ok"}
    assert checks.loc["unique: songplays (start_time, user_id, session_id)", "severity"] == "error"
    assert checks.loc["accepted_values: users.gender in (F, M)", "severity"] == "warn"
    quality.raise_on_error(checks)  # nothing to raise


def test_a_broken_invariant_raises_and_names_the_check(conn, tmp_path, settings):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    warehouse.run(conn, ["DELETE FROM users WHERE user_id = 9", 'DELETE FROM "time"'])
    report = quality.run_checks(conn, settings)
    with pytest.raises(quality.QualityError, match=r"relationship: songplays.user_id -> users = 1 \(limit = 0\); "
                                                   r"relationship: songplays.start_time -> time = 3 \(limit = 0\)"):
        quality.raise_on_error(report)
    assert report.loc["row_count: time", ["value", "status"]].tolist() == [0, "warn"]


def test_plays_whose_song_or_artist_is_gone_break_those_relationships_and_no_other(conn, tmp_path, settings):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    names = ["relationship: songplays.song_id -> songs", "relationship: songplays.artist_id -> artists",
             "relationship: songplays.user_id -> users", "relationship: songplays.start_time -> time"]
    assert quality.run_checks(conn, settings).loc[names, "value"].tolist() == [0, 0, 0, 0]
    warehouse.run(conn, ["INSERT INTO artists (artist_id, name) VALUES ('AROTHER', 'Nobody Played')",
                         "DELETE FROM songs WHERE song_id IN (SELECT song_id FROM songplays)",
                         "DELETE FROM artists WHERE artist_id IN (SELECT artist_id FROM songplays)"])
    assert warehouse.query(conn, "SELECT (SELECT COUNT(*) FROM songs) AS s, (SELECT COUNT(*) FROM artists) AS a"
                           ).values.tolist() == [[1, 1]]  # others are left: a check must look for the very one
    assert quality.run_checks(conn, settings).loc[names, "value"].tolist() == [2, 2, 0, 0]  # the two matched plays


def test_a_song_whose_artist_is_gone_breaks_that_relationship_while_other_artists_remain(conn, tmp_path, settings):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    name = "relationship: songs.artist_id -> artists"
    assert quality.run_checks(conn, settings).loc[name, "value"] == 0
    warehouse.run(conn, ["DELETE FROM artists WHERE artist_id = 'AR2'"])  # AR1 stays: the check looks for AR2 itself
    assert quality.run_checks(conn, settings).loc[name, "value"] == 1  # SO3


def test_a_duplicate_and_a_null_key_make_the_checks_fail(conn, tmp_path, settings):
    """The local schema enforces no key, as Redshift does not: a duplicate user
    and a play with a NULL user key go in, and only the quality checks catch
    them (NOT NULL is enforced on both targets, so only nullable keys can)."""
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    warehouse.run(conn, ["INSERT INTO users SELECT * FROM users WHERE user_id = 7",
                         "INSERT INTO songplays (start_time, user_id, session_id) "
                         "SELECT start_time, NULL, 77 FROM songplays WHERE user_id = 7",
                         "INSERT INTO songplays (start_time, user_id, session_id) "
                         "SELECT start_time, user_id, session_id FROM songplays WHERE user_id = 9"])
    report = quality.run_checks(conn, settings)
    errors = report[report.status == "error"]["value"].to_dict()
    assert errors == {"not_null: songplays.user_id": 2, "unique: songplays (start_time, user_id, session_id)": 1,
                      "unique: users.user_id": 1}
    with pytest.raises(quality.QualityError, match="not_null: songplays.user_id = 2"):
        quality.raise_on_error(report)


NO_USER = {**LOGGED_OUT, "userId": ""}


def test_a_play_without_a_user_goes_to_the_unknown_user_and_warns(conn, tmp_path):
    events = DAY1_EVENTS + [event(NO_USER, DAY1 + 60_000, 8, 1, "free", song="Song A", artist="Artist A",
                                  length=200.0)]
    write_day(tmp_path, "2018-11-01-events.json", events)
    _, checks = etl(conn, tmp_path)
    assert rows(conn, "SELECT user_id, first_name, level FROM users WHERE user_id = -1") == [(-1, "Unknown", None)]
    assert rows(conn, "SELECT user_id, song_id FROM songplays WHERE session_id = 8") == [(-1, "SO1")]
    assert checks.loc["plays_without_user: staging_events (to the unknown user -1)", ["value", "status"]].tolist() \
        == [1, "warn"]
    # 1 of 4 plays: above the default 1 % share, so 03 would stop, and says why
    assert checks.loc["share_plays_without_user: staging_events", ["value", "status"]].tolist() == [0.25, "error"]
    assert checks.loc["plays_not_merged: staging_events -> songplays", "value"] == 0
    assert checks.loc["relationship: songplays.user_id -> users", "value"] == 0


def test_the_staged_plays_checks_count_each_play_once_in_one_scan(conn, tmp_path, settings):
    """staging_events' five checks come from one scan joined to songplays' distinct keys: a play
    lost from songplays counts once even beside a play whose key songplays holds twice, and a
    NextSong event without a time is no play (so neither lost nor without a user)."""
    no_time = {**event(ANN, DAY1, 1, 9, "free", song="Song A", artist="Artist A", length=200.0), "ts": None}
    events = DAY1_EVENTS + [event(NO_USER, DAY1 + 60_000, 8, 1, "free", song="Song A", artist="Artist A",
                                  length=200.0), no_time, DAY1_EVENTS[4]]
    write_day(tmp_path, "2018-11-01-events.json", events)
    etl(conn, tmp_path)
    warehouse.run(conn, ["DELETE FROM songplays WHERE user_id = 7 AND song_id = 'SO1'",
                         "INSERT INTO songplays (start_time, user_id, session_id) "
                         "SELECT start_time, user_id, session_id FROM songplays WHERE user_id = 9"])
    values = quality.run_checks(conn, settings)["value"].to_dict()
    assert {name.split(":")[0]: value for name, value in values.items() if "staging_events" in name} == {
        "plays_not_merged": 1, "plays_without_user": 1, "share_plays_without_user": 0.2,
        "plays_without_time": 1, "repeated_plays": 1}
    assert values["unique: songplays (start_time, user_id, session_id)"] == 1


def test_the_share_of_plays_without_a_user_that_stops_03_comes_from_the_config(conn, tmp_path):
    events = DAY1_EVENTS + [event(NO_USER, DAY1 + 60_000, 8, 1, "free", song="Song A", artist="Artist A",
                                  length=200.0)]
    write_day(tmp_path, "2018-11-01-events.json", events)
    etl(conn, tmp_path)
    tolerant = config.load(overrides={"general.target": "local", "quality.max_share_plays_without_user": 0.3})
    report = quality.run_checks(conn, tolerant)
    assert report.loc["share_plays_without_user: staging_events", ["limit", "status"]].tolist() == ["<= 0.3", "ok"]
    quality.raise_on_error(report)


def test_the_unknown_user_counts_in_plays_but_not_in_04s_user_counts(conn, tmp_path):
    from sparkify_nb import analytics

    events = DAY1_EVENTS + [event(NO_USER, DAY1 + 60_000, 8, 1, "free", song="Song A", artist="Artist A",
                                  length=200.0)]
    write_day(tmp_path, "2018-11-01-events.json", events)
    etl(conn, tmp_path)
    daily = analytics.daily_plays(conn)
    assert daily[["plays", "users"]].values.tolist() == [[4, 2]]     # Ann and Bo; the unknown play counts as a play
    levels = analytics.free_vs_paid(conn).set_index("level")
    assert levels.loc["free", ["plays", "users"]].tolist() == [3, 1]


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


def test_a_replayed_batch_with_one_more_copy_of_a_play_adds_nothing_for_it(conn, tmp_path):
    """A play key is one play: a batch replayed with a second copy of a merged play adds only what is new."""
    play = event(BO, DAY1 + 1000, 2, 0, "paid", song="Song C", artist="Artist C", length=100.0)
    write_day(tmp_path, "2018-11-01-events.json", [play])
    etl(conn, tmp_path)
    write_day(tmp_path, "2018-11-01-events.json", [play, play, DAY1_EVENTS[0]])
    merged, checks = etl(conn, tmp_path)
    assert merged["added"]["songplays"] == 1
    assert rows(conn, "SELECT user_id, COUNT(*) AS n FROM songplays GROUP BY user_id ORDER BY user_id") == \
        [(7, 1), (9, 1)]
    assert checks.loc["repeated_plays: staging_events (merged as one)", "value"] == 1


# --- each threshold at, just under and just over its limit ------------------------------------------

def one_play_in_four_without_a_user(conn, tmp_path):
    """Day 1 plus a play without a user: 4 plays, 1 without a user (share 0.25), 3 matched (0.75)."""
    events = DAY1_EVENTS + [event(NO_USER, DAY1 + 60_000, 8, 1, "free", song="Song A", artist="Artist A",
                                  length=200.0)]
    write_day(tmp_path, "2018-11-01-events.json", events)
    etl(conn, tmp_path)


def checked(conn, key, limit, check):
    settings = config.load(overrides={"general.target": "local", f"quality.{key}": limit})
    report = quality.run_checks(conn, settings)
    return report.loc[check, ["value", "limit", "status"]].tolist(), report


def test_the_share_of_plays_without_a_user_stops_03_only_above_its_limit(conn, tmp_path):
    one_play_in_four_without_a_user(conn, tmp_path)
    check = "share_plays_without_user: staging_events"
    for limit, status in ((0.25, "ok"), (0.2499, "error"), (0.2501, "ok")):
        row, report = checked(conn, "max_share_plays_without_user", limit, check)
        assert row == [0.25, f"<= {limit:g}", status], limit
        if status == "error":
            with pytest.raises(quality.QualityError, match=rf"^data-quality checks failed: {check} = 0\.25 "
                                                           rf"\(limit <= {limit:g}\)\. "):
                quality.raise_on_error(report)
        else:
            quality.raise_on_error(report)


def test_the_share_of_matched_plays_warns_only_below_its_limit(conn, tmp_path):
    one_play_in_four_without_a_user(conn, tmp_path)
    check = "share_plays_matched: songplays"
    for limit, status in ((0.75, "ok"), (0.7501, "warn"), (0.7499, "ok")):
        row, _ = checked(conn, "min_share_plays_matched", limit, check)
        assert row == [0.75, f">= {limit:g}", status], limit


def test_a_row_count_of_one_is_enough_and_zero_warns(conn, tmp_path):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS[4:])  # one play: Bo's
    _, checks = etl(conn, tmp_path)
    counts = {t: checks.loc[f"row_count: {t}", ["value", "limit", "status"]].tolist()
              for t in ("users", "songplays", "time")}
    assert counts == {t: [1, ">= 1", "ok"] for t in ("users", "songplays", "time")}
    warehouse.run(conn, ['DELETE FROM "time"'])
    report = quality.run_checks(conn, config.load(overrides={"general.target": "local"}))
    assert report.loc["row_count: time", ["value", "status"]].tolist() == [0, "warn"]


def test_every_check_has_the_severity_the_design_gives_it(settings):
    """Severities are part of the contract (03 stops on an error, goes on after a warning): pinned
    here for every check, not only by the stored output of 03."""
    severities = {c.name: c.severity for c in quality.checks(settings)}
    assert severities == {
        **{f"row_count: {t}": "warn" for t in ("songs", "artists", "users", "songplays", "time")},
        "not_null: songplays.start_time": "error", "not_null: songplays.user_id": "error",
        "not_null: users.user_id": "error", "not_null: songs.song_id": "error",
        "not_null: artists.artist_id": "error", "not_null: time.start_time": "error",
        "unique: songplays (start_time, user_id, session_id)": "error", "unique: users.user_id": "error",
        "unique: songs.song_id": "error", "unique: artists.artist_id": "error", "unique: time.start_time": "error",
        "relationship: songplays.user_id -> users": "error", "relationship: songplays.start_time -> time": "error",
        "relationship: songplays.song_id -> songs": "error", "relationship: songplays.artist_id -> artists": "error",
        "relationship: songs.artist_id -> artists": "error",
        "accepted_values: users.level in (free, paid)": "warn", "accepted_values: users.gender in (F, M)": "warn",
        "accepted_values: songplays.level in (free, paid)": "warn",
        "plays_not_merged: staging_events -> songplays": "error",
        "plays_without_user: staging_events (to the unknown user -1)": "warn",
        "share_plays_without_user: staging_events": "error",
        "plays_without_time: staging_events (no play made)": "warn",
        "repeated_plays: staging_events (merged as one)": "warn", "share_plays_matched: songplays": "warn"}


def test_a_duplicate_song_artist_or_time_row_is_an_error_that_stops_03(conn, tmp_path, settings):
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS)
    etl(conn, tmp_path)
    warehouse.run(conn, ["INSERT INTO songs SELECT * FROM songs WHERE song_id = 'SO1'",
                         "INSERT INTO artists SELECT * FROM artists WHERE artist_id = 'AR2'",
                         'INSERT INTO "time" SELECT * FROM "time" ORDER BY start_time LIMIT 1'])
    report = quality.run_checks(conn, settings)
    assert report[report.status == "error"]["value"].to_dict() == {
        "unique: songs.song_id": 1, "unique: artists.artist_id": 1, "unique: time.start_time": 1}
    with pytest.raises(quality.QualityError, match=r"unique: songs\.song_id = 1 \(limit = 0\); unique: "
                                                   r"artists\.artist_id = 1 \(limit = 0\); unique: time\.start_time"):
        quality.raise_on_error(report)


# --- a play without a session id -----------------------------------------------------------------

def test_plays_without_a_session_id_are_merged_once_each_and_pass_the_checks(conn, tmp_path):
    """sessionId missing from two plays (and repeated for one of them): both are plays, the repeat is
    one play, re-running adds nothing, and no check reports a play lost or doubled."""
    no_session = [dict(event(ANN, DAY1 + 500_000, None, 3, "free", song="Song A", artist="Artist A", length=200.0)),
                  dict(event(BO, DAY1 + 600_000, None, 1, "paid", song="Song C", artist="Artist C", length=100.0))]
    del no_session[1]["sessionId"]  # absent, not null: NULL in staging either way
    write_day(tmp_path, "2018-11-01-events.json", DAY1_EVENTS + no_session + no_session[:1])
    etl(conn, tmp_path)
    merged, checks = etl(conn, tmp_path)
    assert rows(conn, "SELECT start_time, user_id, session_id, song_id FROM songplays WHERE session_id IS NULL "
                      "ORDER BY start_time") == [(datetime(2018, 11, 1, 0, 8, 20), 7, None, "SO1"),
                                                 (datetime(2018, 11, 1, 0, 10, 0), 9, None, "SO3")]
    assert merged["added"]["songplays"] == 0
    values = checks["value"].to_dict()
    assert values["plays_not_merged: staging_events -> songplays"] == 0
    assert values["unique: songplays (start_time, user_id, session_id)"] == 0
    assert values["repeated_plays: staging_events (merged as one)"] == 1  # the repeated play without a session
    assert set(checks[checks.severity == "error"]["status"]) == {"ok"}


def test_postgresql_alone_gets_the_session_settings_and_an_analyze_after_each_temp_table_as():
    """Redshift answers server_version 8.0.2 over psycopg2 (80002, c_redshift-and-postgres-sql.html) and the
    Data API connection has none: neither gets them; PostgreSQL 9 and later (90000 and up) does."""
    from types import SimpleNamespace

    from sparkify_nb.warehouse import data_api

    made = "CREATE TEMP TABLE plays AS SELECT 1 AS a"
    postgres, redshift = SimpleNamespace(server_version=90000), SimpleNamespace(server_version=80002)
    assert transform.session_statements(postgres) == list(transform.POSTGRES_SESSION)
    assert transform.after_statement(postgres, made) == ["ANALYZE plays"]
    assert transform.after_statement(postgres, "SELECT 1") == []
    for other in (redshift, SimpleNamespace(), data_api.DataApiConnection(None, {}, progress=lambda _: None)):
        assert transform.session_statements(other) == [] and transform.after_statement(other, made) == []
