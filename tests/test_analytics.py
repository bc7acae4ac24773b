"""Every analytics question against a small star schema written out below, on
the session's real PostgreSQL, with the exact answer worked out by hand.

The data lives in its own PostgreSQL schema (``analytics_test``) reached
through ``search_path``, so it never meets the tables that other tests and
the nbval notebooks create in ``public``.

The plays (UTC; 2018-11-01 is a Thursday; New York leaves daylight saving
time on 2018-11-04 at 06:00 UTC, so it is UTC-4 before and UTC-5 after):

==  ================  ====  =====  =====  =======  ======  =========================
id  start_time (UTC)  user  level  song   session  place   agent
==  ================  ====  =====  =====  =======  ======  =========================
 1  10-31 23:50       1     free   SO1    10       A, CA   Windows Chrome  (before)
 2  11-01 08:05       1     free   SO1    11       A, CA   Windows Chrome
 3  11-01 08:10       1     free   -      11       A, CA   Windows Chrome
 4  11-01 08:20       1     paid   SO2    11       A, CA   Windows Chrome  (upgrade)
 5  11-01 17:00       2     paid   SO1    20       B, NY   macOS Safari
 6  11-01 17:30       2     paid   SO1    20       B, NY   macOS Safari
 7  11-02 02:40       3     free   -      30       C, IL   iPhone
 8  11-02 17:45       3     free   SO3    31       C, IL   iPhone
 9  11-03 17:15       4     paid   SO2    40       B, NY   Linux Firefox
10  11-03 17:50       4     free   SO2    40       B, NY   Linux Firefox   (downgrade)
11  11-04 12:00       2     paid   -      21       -       Android Chrome
12  11-06 08:59       4     free   SO1    41       B, NY   Windows Edge    (after)
13  11-04 12:04       2     paid   -      21       -       Android Chrome
==  ================  ====  =====  =====  =======  ======  =========================

The period 2018-11-01 .. 2018-11-04 holds plays 2-11 and 13 (11 plays).
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd
import pytest

from sparkify_nb import analytics, config, warehouse

from sparkify_nb.warehouse import schema

PERIOD = {"start_date": "2018-11-01", "end_date": "2018-11-04"}

WIN_CHROME = ("Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/36.0.1985.143 Safari/537.36")
MAC_SAFARI = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.77.4 (KHTML, like Gecko) "
              "Version/7.0.5 Safari/537.77.4")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) "
          "Version/7.0 Mobile/11D257 Safari/9537.53")
LINUX_FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:31.0) Gecko/20100101 Firefox/31.0"
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.0.0 Mobile Safari/537.36")
WIN_EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0")

USERS = [(1, "Ann", "Lee", "F", "paid"), (2, "Bob", "Ray", "M", "paid"), (3, "Cid", "Fox", "M", "free"),
         (4, "Dee", "Kim", "F", "free")]
ARTISTS = [("AR1", "Artist One", "Oslo", None, None), ("AR2", "Artist Two", "Lima", None, None)]
SONGS = [("SO1", "Alpha", "AR1", 2001, 200.0), ("SO2", "Beta", "AR2", 2002, 180.0),
         ("SO3", "Gamma", "AR1", 2003, 210.0)]


def _play(songplay_id, when, user, level, song, session, location, agent):
    artist = {"SO1": "AR1", "SO2": "AR2", "SO3": "AR1"}.get(song)
    return (songplay_id, datetime.fromisoformat(when), user, level, song, artist, session, location, agent)


PLAYS = [
    _play(1, "2018-10-31 23:50", 1, "free", "SO1", 10, "A, CA", WIN_CHROME),
    _play(2, "2018-11-01 08:05", 1, "free", "SO1", 11, "A, CA", WIN_CHROME),
    _play(3, "2018-11-01 08:10", 1, "free", None, 11, "A, CA", WIN_CHROME),
    _play(4, "2018-11-01 08:20", 1, "paid", "SO2", 11, "A, CA", WIN_CHROME),
    _play(5, "2018-11-01 17:00", 2, "paid", "SO1", 20, "B, NY", MAC_SAFARI),
    _play(6, "2018-11-01 17:30", 2, "paid", "SO1", 20, "B, NY", MAC_SAFARI),
    _play(7, "2018-11-02 02:40", 3, "free", None, 30, "C, IL", IPHONE),
    _play(8, "2018-11-02 17:45", 3, "free", "SO3", 31, "C, IL", IPHONE),
    _play(9, "2018-11-03 17:15", 4, "paid", "SO2", 40, "B, NY", LINUX_FIREFOX),
    _play(10, "2018-11-03 17:50", 4, "free", "SO2", 40, "B, NY", LINUX_FIREFOX),
    _play(11, "2018-11-04 12:00", 2, "paid", None, 21, None, ANDROID_CHROME),
    _play(12, "2018-11-06 08:59", 4, "free", "SO1", 41, "B, NY", WIN_EDGE),
    _play(13, "2018-11-04 12:04", 2, "paid", None, 21, None, ANDROID_CHROME),
]


@pytest.fixture(scope="module")
def conn():
    settings = config.load(overrides={"general.target": "local"})
    c = warehouse.open_connection(settings)
    warehouse.run(c, ["DROP SCHEMA IF EXISTS analytics_test CASCADE", "CREATE SCHEMA analytics_test",
                      "SET search_path TO analytics_test"])
    warehouse.run(c, schema.create_statements("postgres"))
    # as 02 leaves it: 04 runs as the read-only analyst (here in this schema of its own)
    warehouse.analysts.ensure(c, "postgres", settings.get("cluster", "analyst_user"))
    warehouse.run(c, ["GRANT USAGE ON SCHEMA analytics_test TO GROUP analysts"])
    with c.cursor() as cur:
        cur.executemany('INSERT INTO users VALUES (%s, %s, %s, %s, %s)', USERS)
        cur.executemany('INSERT INTO artists VALUES (%s, %s, %s, %s, %s)', ARTISTS)
        cur.executemany('INSERT INTO songs VALUES (%s, %s, %s, %s, %s)', SONGS)
        cur.executemany('INSERT INTO songplays VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)', PLAYS)
    c.commit()
    yield c
    warehouse.run(c, ["DROP SCHEMA analytics_test CASCADE"])
    c.close()


def nonzero(frame):
    return {int(h): int(p) for h, p in zip(frame["hour"], frame["plays"]) if p}


# --- plays by hour -------------------------------------------------------------------------------

def test_plays_by_hour_counts_every_play_of_the_period_per_utc_hour(conn):
    frame = analytics.plays_by_hour(conn, **PERIOD)
    assert frame.columns.tolist() == ["hour", "plays"]
    assert frame["hour"].tolist() == list(range(24))
    assert nonzero(frame) == {2: 1, 8: 3, 12: 2, 17: 5}


def test_plays_by_hour_without_a_period_counts_all_plays(conn):
    assert nonzero(analytics.plays_by_hour(conn)) == {2: 1, 8: 4, 12: 2, 17: 5, 23: 1}


def test_plays_by_hour_keeps_only_the_level_asked_for(conn):
    assert nonzero(analytics.plays_by_hour(conn, **PERIOD, level="paid")) == {8: 1, 12: 2, 17: 3}
    assert nonzero(analytics.plays_by_hour(conn, **PERIOD, level="free")) == {2: 1, 8: 2, 17: 2}


def test_plays_by_hour_in_new_york_follows_daylight_saving(conn):
    # UTC-4 until 2018-11-04 06:00 UTC, then UTC-5: plays 11 and 13 (12:0x UTC) land at 07.
    assert nonzero(analytics.plays_by_hour(conn, **PERIOD, tz="America/New_York")) == {4: 3, 7: 2, 13: 5, 22: 1}


def test_plays_by_hour_in_a_half_hour_zone_splits_utc_hours(conn):
    # Kolkata is UTC+5:30: 17:15 UTC -> 22:45, 17:30 UTC -> 23:00.
    assert nonzero(analytics.plays_by_hour(conn, **PERIOD, tz="Asia/Kolkata")) == {8: 1, 13: 3, 17: 2, 22: 2, 23: 3}


# --- weekday x hour ------------------------------------------------------------------------------

def cells(matrix):
    return {(day, int(hour)): int(v) for day, row in matrix.iterrows() for hour, v in row.items() if v}


def test_weekday_hour_matrix_is_seven_by_twenty_four_in_utc(conn):
    matrix = analytics.plays_by_weekday_hour(conn, **PERIOD)
    assert matrix.shape == (7, 24)
    assert matrix.index.tolist() == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert cells(matrix) == {("Thu", 8): 3, ("Thu", 17): 2, ("Fri", 2): 1, ("Fri", 17): 1, ("Sat", 17): 2,
                             ("Sun", 12): 2}


def test_weekday_hour_matrix_moves_plays_across_midnight_in_local_time(conn):
    # play 7, Friday 02:40 UTC, is Thursday 22:40 in New York.
    matrix = analytics.plays_by_weekday_hour(conn, **PERIOD, tz="America/New_York")
    assert cells(matrix) == {("Thu", 4): 3, ("Thu", 13): 2, ("Thu", 22): 1, ("Fri", 13): 1, ("Sat", 13): 2,
                             ("Sun", 7): 2}


# --- daily plays ---------------------------------------------------------------------------------

def test_daily_plays_counts_plays_and_users_per_utc_day(conn):
    frame = analytics.daily_plays(conn, **PERIOD)
    assert frame.values.tolist() == [[date(2018, 11, 1), 5, 2], [date(2018, 11, 2), 2, 1],
                                     [date(2018, 11, 3), 2, 1], [date(2018, 11, 4), 2, 1]]


def test_daily_plays_fills_days_without_plays_with_zero(conn):
    frame = analytics.daily_plays(conn, start_date="2018-11-03")
    assert frame.values.tolist() == [[date(2018, 11, 3), 2, 1], [date(2018, 11, 4), 2, 1],
                                     [date(2018, 11, 5), 0, 0], [date(2018, 11, 6), 1, 1]]


# --- top songs and artists -----------------------------------------------------------------------

def test_top_songs_ranks_matched_plays_with_ties_by_title(conn):
    frame = analytics.top_songs(conn, **PERIOD)
    assert frame[["rank", "title", "artist", "plays", "share_of_matched_pct"]].values.tolist() == [
        [1, "Alpha", "Artist One", 3, 42.9], [2, "Beta", "Artist Two", 3, 42.9], [3, "Gamma", "Artist One", 1, 14.3]]


def test_top_songs_stops_at_top_n_and_honours_level(conn):
    assert analytics.top_songs(conn, **PERIOD, top_n=1)["title"].tolist() == ["Alpha"]
    paid = analytics.top_songs(conn, **PERIOD, level="paid")
    assert paid[["title", "plays", "share_of_matched_pct"]].values.tolist() == [["Alpha", 2, 50.0], ["Beta", 2, 50.0]]


def test_top_artists_counts_plays_and_listeners(conn):
    frame = analytics.top_artists(conn, **PERIOD)
    assert frame[["rank", "artist", "plays", "listeners", "share_of_matched_pct"]].values.tolist() == [
        [1, "Artist One", 4, 3, 57.1], [2, "Artist Two", 3, 2, 42.9]]


# --- free vs paid --------------------------------------------------------------------------------

def test_free_vs_paid_gives_plays_users_share_and_level_changes(conn):
    frame = analytics.free_vs_paid(conn, **PERIOD)
    assert frame.values.tolist() == [["free", 5, 3, 45.5, 1], ["paid", 6, 3, 54.5, 1]]


def test_free_vs_paid_keeps_a_row_for_a_level_without_plays(conn):
    frame = analytics.free_vs_paid(conn, start_date="2018-11-02", end_date="2018-11-02")
    assert frame.values.tolist() == [["free", 2, 1, 100.0, 0], ["paid", 0, 0, 0.0, 0]]


# --- locations, platforms, sessions --------------------------------------------------------------

def test_top_locations_leave_out_plays_without_a_location(conn):
    frame = analytics.top_locations(conn, **PERIOD)
    assert frame.values.tolist() == [[1, "B, NY", 4, 2], [2, "A, CA", 3, 1], [3, "C, IL", 2, 1]]


def test_platforms_read_os_and_browser_family_from_the_user_agent(conn):
    frame = analytics.platforms(conn)
    assert frame.values.tolist() == [["Windows", "Chrome", 4, 1], ["Android", "Chrome", 2, 1],
                                     ["Linux", "Firefox", 2, 1], ["iOS", "Safari", 2, 1],
                                     ["macOS", "Safari", 2, 1], ["Windows", "Edge", 1, 1]]


def test_an_agent_of_no_known_family_is_other_an_empty_one_unknown_and_presto_opera_opera(conn):
    """Plays added in a transaction of their own, rolled back: the module's data stay as they were."""
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO songplays VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", [
            _play(90, "2018-11-07 10:00", 1, "free", None, 90, None, "curl/8.4.0"),
            _play(91, "2018-11-07 10:01", 1, "free", None, 90, None, ""),
            _play(92, "2018-11-07 10:02", 1, "free", None, 90, None,
                  "Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.16")])  # an Opera without OPR/
    try:
        frame = analytics.platforms(conn, start_date="2018-11-07", end_date="2018-11-07")
        assert frame.values.tolist() == [["Other", "Other", 1, 1], ["Unknown", "Unknown", 1, 1],
                                         ["Windows", "Opera", 1, 1]]
    finally:
        conn.rollback()


@pytest.mark.parametrize("agent, os_, browser", [
    ("Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 "
     "Mobile/15E148 Safari/604.1", "iOS", "Safari"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/119.0 "
     "Mobile/15E148 Safari/605.1.15", "iOS", "Firefox"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "CriOS/119.0.6045.109 Mobile/15E148 Safari/604.1", "iOS", "Chrome"),
    ("Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko", "Windows", "Internet Explorer"),
    ("Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)", "Windows", "Internet Explorer"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
     "Safari/537.36 OPR/105.0.0.0", "Windows", "Opera"),
    ("Mozilla/5.0 (Macintosh; U; PPC; en-US; rv:1.7.2) Gecko/20040804 Camino/0.8.1", "macOS", "Other"),
    ("Mozilla/5.0 (X11; FreeBSD amd64; rv:109.0) Gecko/20100101 Firefox/115.0", "Linux", "Firefox"),
], ids=["ipad", "firefox-ios", "chrome-ios", "ie11-trident", "ie7-msie", "opera-opr", "macintosh", "x11"])
def test_each_marker_of_a_family_puts_an_agent_in_it(conn, agent, os_, browser):
    """Every alternative of platforms.sql's CASEs, one real user agent each (an iPad is iOS, FxiOS is Firefox,
    CriOS is Chrome, Trident or MSIE is Internet Explorer, OPR/ is Opera, Macintosh is macOS, X11 is Linux)."""
    added = _with_plays(conn, [_play(205, "2018-11-16 09:00", 1, "free", None, 205, None, agent)])
    try:
        frame = analytics.platforms(conn, start_date="2018-11-16", end_date="2018-11-16")
        assert frame.values.tolist() == [[os_, browser, 1, 1]]
    finally:
        _without(conn, added)


def test_a_play_at_the_first_instant_after_the_period_is_not_in_the_weekday_hour_matrix(conn):
    """end_date is the period's last day: a play at midnight after it belongs to the next period."""
    with conn.cursor() as cur:
        cur.execute("INSERT INTO songplays VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    _play(93, "2018-11-05 00:00", 1, "free", None, 93, None, WIN_CHROME))
    try:
        matrix = analytics.plays_by_weekday_hour(conn, start_date="2018-11-04", end_date="2018-11-04")
        assert int(matrix.values.sum()) == 2  # the two plays of the 4th (a Sunday), not the one at midnight
    finally:
        conn.rollback()


def _with_plays(conn, plays):
    """The plays added for the block and committed (a query ends its transaction: warehouse.query rolls back), then
    deleted."""
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO songplays VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", plays)
    conn.commit()
    return [p[0] for p in plays]


def _without(conn, ids):
    with conn.cursor() as cur:
        cur.execute("DELETE FROM songplays WHERE songplay_id = ANY(%s)", (ids,))
    conn.commit()


def test_every_question_counts_a_play_at_the_periods_first_instant_and_none_at_the_first_instant_after_it(conn):
    """A period is [start_date 00:00, the day after end_date 00:00) UTC in every query: of two plays at those two
    instants (nothing else is played on 2018-11-08), each answer counts the first and not the second."""
    added = _with_plays(conn, [_play(95, "2018-11-08 00:00", 1, "free", "SO1", 95, "A, CA", WIN_CHROME),
                               _play(96, "2018-11-09 00:00", 2, "free", "SO1", 96, "B, NY", MAC_SAFARI)])
    day = {"start_date": "2018-11-08", "end_date": "2018-11-08"}
    try:
        assert analytics.plays_by_hour(conn, **day)["plays"].sum() == 1
        assert int(analytics.plays_by_weekday_hour(conn, **day).to_numpy().sum()) == 1
        assert analytics.daily_plays(conn, **day).values.tolist() == [[date(2018, 11, 8), 1, 1]]
        assert analytics.top_songs(conn, **day)[["title", "plays"]].values.tolist() == [["Alpha", 1]]
        assert analytics.top_artists(conn, **day)[["artist", "plays"]].values.tolist() == [["Artist One", 1]]
        assert analytics.free_vs_paid(conn, **day)[["level", "plays"]].values.tolist() == [["free", 1], ["paid", 0]]
        assert analytics.top_locations(conn, **day)[["location", "plays"]].values.tolist() == [["A, CA", 1]]
        assert analytics.platforms(conn, **day)["plays"].sum() == 1
        assert analytics.sessions(conn, **day)[["user_id", "plays"]].values.tolist() == [[1, 1]]
    finally:
        _without(conn, added)


def test_a_level_change_counts_on_the_level_changed_to_in_play_order_with_ties_in_songplay_id_order(conn):
    """On 2018-11-01 only user 1 changes level, free to paid: one user switched in on the paid row. Two plays of
    user 3 at one instant are taken in songplay_id order (free_vs_paid.sql's tie-break): paid (97), then free (98),
    so the free row gains the one."""
    assert analytics.free_vs_paid(conn, start_date="2018-11-01", end_date="2018-11-01").values.tolist() == [
        ["free", 2, 1, 40.0, 0], ["paid", 3, 2, 60.0, 1]]
    added = _with_plays(conn, [_play(98, "2018-11-10 09:00", 3, "free", None, 97, "C, IL", IPHONE),
                               _play(97, "2018-11-10 09:00", 3, "paid", None, 97, "C, IL", IPHONE)])
    try:
        frame = analytics.free_vs_paid(conn, start_date="2018-11-10", end_date="2018-11-10")
        assert frame[["level", "users_switched_in"]].values.tolist() == [["free", 1], ["paid", 0]]
    finally:
        _without(conn, added)


def test_ties_are_ranked_by_name_then_id_and_sessions_starting_together_by_user_then_session(conn):
    """2018-11-12 holds three plays at 09:00, one each: songs Alpha and two songs titled Beta (SO2, SOB), artists
    "Artist One" and two named "Artist Two" (AR2, AR0), three locations, user 1's sessions 201 and 203, user 2's 202.
    Every count ties, so each ranking is its tie-break as the docstrings give it."""
    with conn.cursor() as cur:
        cur.execute("INSERT INTO artists VALUES ('AR0', 'Artist Two', 'Quito', NULL, NULL)")
        cur.execute("INSERT INTO songs VALUES ('SOB', 'Beta', 'AR0', 2004, 190.0)")
    added = _with_plays(conn, [
        _play(201, "2018-11-12 09:00", 1, "free", "SO2", 201, "Z, ZZ", WIN_CHROME),
        (202, datetime(2018, 11, 12, 9), 2, "paid", "SOB", "AR0", 202, "Y, YY", LINUX_FIREFOX),
        _play(203, "2018-11-12 09:00", 1, "free", "SO1", 203, "X, XX", WIN_EDGE)])
    day = {"start_date": "2018-11-12", "end_date": "2018-11-12"}
    try:
        assert analytics.top_songs(conn, **day)[["rank", "song_id", "title"]].values.tolist() == [
            [1, "SO1", "Alpha"], [2, "SO2", "Beta"], [3, "SOB", "Beta"]]
        assert analytics.top_artists(conn, **day)[["rank", "artist_id", "artist"]].values.tolist() == [
            [1, "AR1", "Artist One"], [2, "AR0", "Artist Two"], [3, "AR2", "Artist Two"]]
        assert analytics.top_locations(conn, **day)[["rank", "location"]].values.tolist() == [
            [1, "X, XX"], [2, "Y, YY"], [3, "Z, ZZ"]]
        assert analytics.sessions(conn, **day)[["user_id", "session_id"]].values.tolist() == [[1, 201], [1, 203],
                                                                                                [2, 202]]
    finally:
        _without(conn, added)
        with conn.cursor() as cur:
            cur.execute("DELETE FROM songs WHERE song_id = 'SOB'")
            cur.execute("DELETE FROM artists WHERE artist_id = 'AR0'")
        conn.commit()


@pytest.mark.parametrize("level, plays, artists, located", [("paid", 6, 4, 4), ("free", 5, 3, 5)])
def test_every_question_asked_for_one_level_counts_the_plays_at_that_level_only(conn, level, plays, artists, located):
    """Of the period's 11 plays 6 are paid (ids 4, 5, 6, 9, 11, 13) and 5 free; 4 paid and 3 free are matched to an
    artist, 4 paid and 5 free have a location."""
    asked = {**PERIOD, "level": level}
    assert analytics.daily_plays(conn, **asked)["plays"].sum() == plays
    assert int(analytics.plays_by_weekday_hour(conn, **asked).to_numpy().sum()) == plays
    assert analytics.top_artists(conn, **asked)["plays"].sum() == artists
    assert analytics.top_locations(conn, **asked)["plays"].sum() == located
    assert analytics.platforms(conn, **asked)["plays"].sum() == plays
    assert analytics.sessions(conn, **asked)["plays"].sum() == plays


def test_a_play_of_no_level_or_an_empty_location_is_left_out_where_those_count(conn):
    """free_vs_paid compares the two levels only; top_locations leaves out an empty location as a missing one."""
    added = _with_plays(conn, [_play(204, "2018-11-14 09:00", 1, None, "SO1", 204, "", WIN_CHROME)])
    day = {"start_date": "2018-11-14", "end_date": "2018-11-14"}
    try:
        compared = analytics.free_vs_paid(conn, **day)
        assert compared.values.tolist() == [["free", 0, 0, 0.0, 0], ["paid", 0, 0, 0.0, 0]]
        assert compared.attrs["users"] == 0  # nobody played on either level
        assert analytics.top_locations(conn, **day).empty
        assert analytics.daily_plays(conn, **day)["plays"].tolist() == [1]  # the play is there
    finally:
        _without(conn, added)


def test_platforms_sum_up_per_family(conn):
    frame = analytics.platforms(conn, **PERIOD)
    assert analytics.by_family(frame, "os").values.tolist() == [
        ["Windows", 3], ["Android", 2], ["Linux", 2], ["iOS", 2], ["macOS", 2]]
    assert analytics.by_family(frame, "browser").values.tolist() == [["Chrome", 5], ["Safari", 4], ["Firefox", 2]]


def test_sessions_count_plays_and_minutes_from_first_to_last_play(conn):
    frame = analytics.sessions(conn, **PERIOD)
    assert frame[["user_id", "session_id", "plays", "length_minutes"]].values.tolist() == [
        [1, 11, 3, 15.0], [2, 20, 2, 30.0], [3, 30, 1, 0.0], [3, 31, 1, 0.0], [4, 40, 2, 35.0], [2, 21, 2, 4.0]]


def test_a_play_without_a_session_is_in_no_session(conn):
    with conn.cursor() as cur:
        cur.execute("INSERT INTO songplays VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    _play(94, "2018-11-08 09:00", 1, "free", None, None, None, WIN_CHROME))
    try:
        assert analytics.sessions(conn, start_date="2018-11-08", end_date="2018-11-08").empty
    finally:
        conn.rollback()


def test_session_summary_gives_mean_median_and_p90(conn):
    summary = analytics.session_summary(analytics.sessions(conn, **PERIOD))
    assert summary.values.tolist() == [["plays per session", 6, 1.8, 2.0, 2.5],
                                       ["session length (minutes)", 6, 14.0, 9.5, 32.5]]


def test_questions_asked_ahead_answer_as_asked_one_by_one_and_other_filters_still_ask(conn):
    f = analytics.filters("2018-11-01", "2018-11-15", level="paid", tz="America/New_York", top_n=2)
    ahead = analytics.ask_ahead(conn, f)
    period = {"start_date": "2018-11-01", "end_date": "2018-11-15"}
    for ask in (lambda c: analytics.plays_by_hour(c, **period, level="paid", tz="America/New_York"),
                lambda c: analytics.plays_by_weekday_hour(c, **period, level="paid", tz="America/New_York"),
                lambda c: analytics.daily_plays(c, **period, level="paid"),
                lambda c: analytics.top_songs(c, **period, level="paid", top_n=2),
                lambda c: analytics.top_artists(c, **period, level="paid", top_n=2),
                lambda c: analytics.free_vs_paid(c, **period),
                lambda c: analytics.top_locations(c, **period, level="paid", top_n=2),
                lambda c: analytics.platforms(c, **period, level="paid"),
                lambda c: analytics.sessions(c, **period, level="paid")):
        pd.testing.assert_frame_equal(ask(ahead), ask(conn))
        pd.testing.assert_frame_equal(ask(ahead), ask(conn))  # a cell run twice: the rows asked ahead are intact
    assert len(ahead._answers) == 9
    assert analytics.top_songs(ahead, level="free", top_n=1).equals(analytics.top_songs(conn, level="free", top_n=1))


def test_an_empty_period_gives_zeros_not_errors(conn):
    assert analytics.plays_by_hour(conn, "2019-01-01", "2019-01-31")["plays"].sum() == 0
    assert analytics.plays_by_weekday_hour(conn, "2019-01-01", "2019-01-31").to_numpy().sum() == 0
    assert analytics.daily_plays(conn, "2019-01-01", "2019-01-02")["plays"].tolist() == [0, 0]
    assert analytics.top_songs(conn, "2019-01-01", "2019-01-31").empty
    assert analytics.free_vs_paid(conn, "2019-01-01", "2019-01-31")["plays"].tolist() == [0, 0]
    assert analytics.sessions(conn, "2019-01-01", "2019-01-31").empty


# --- parameters ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, parameter", [
    ({"start_date": "2018-11-15", "end_date": "2018-11-01"}, "end_date"),
    ({"start_date": "2018-13-01"}, "start_date"),
    ({"end_date": "yesterday"}, "end_date"),
    ({"level": "gold"}, "level"),
    ({"tz": "Mars/Olympus_Mons"}, "tz"),
    ({"tz": ""}, "tz"),
    ({"top_n": 0}, "top_n"),
    ({"top_n": "10"}, "top_n"),
])
def test_a_wrong_parameter_fails_before_any_query_naming_it(kwargs, parameter):
    question = analytics.top_songs if "top_n" in kwargs else (
        analytics.plays_by_hour if "tz" in kwargs else analytics.daily_plays)
    with pytest.raises(analytics.AnalyticsParameterError) as caught:
        question(None, **kwargs)  # no connection: nothing may reach the database
    assert caught.value.parameter == parameter
    assert str(caught.value).startswith(parameter + ":")


def test_filters_turn_inclusive_utc_days_into_half_open_bounds():
    f = analytics.filters(date(2018, 11, 1), "2018-11-15", "paid")
    assert f.params() == {"start": datetime(2018, 11, 1), "end": datetime(2018, 11, 16), "level": "paid"}
    assert f.label() == "2018-11-01 to 2018-11-15 (UTC), paid plays"
    assert analytics.filters().label() == "all dates, all plays"


def test_analytics_sql_stays_portable_and_bound():
    """One text for Redshift and PostgreSQL: no PostgreSQL-only syntax, values only as %(name)s."""
    postgres_only = ["::", "ILIKE", "AT TIME ZONE", "CONVERT_TIMEZONE", "DISTINCT ON", "GENERATE_SERIES",
                     "FILTER (", " ~ ", "DATE_BIN", "STRING_AGG"]
    files = sorted((analytics.queries.SQL_DIR).glob("*.sql"))
    assert len(files) == 9
    for path in files:
        body = "\n".join(line.split("--")[0] for line in path.read_text().splitlines()).upper()
        for token in postgres_only:
            assert token not in body, f"{path.name} uses {token.strip()}"
        assert set(re.findall(r"%\((\w+)\)s", body.lower())) <= {"start", "end", "level", "top_n"}, path.name
        assert "{" not in body, f"{path.name} looks like a format string"
        # psycopg2 reads every % of the text, comments included, as a placeholder.
        assert re.findall(r"%(?!\(\w+\)s)", path.read_text()) == [], f"{path.name} has a bare %"


def test_summary_answers_the_headline_questions(conn):
    summary = analytics.summary(
        analytics.plays_by_hour(conn, **PERIOD), analytics.top_songs(conn, **PERIOD),
        analytics.free_vs_paid(conn, **PERIOD), by_hour_local=analytics.plays_by_hour(conn, **PERIOD, tz="Asia/Kolkata"),
        tz="Asia/Kolkata", artists=analytics.top_artists(conn, **PERIOD), daily=analytics.daily_plays(conn, **PERIOD),
        session_stats=analytics.session_summary(analytics.sessions(conn, **PERIOD)),
        by_weekday_hour=analytics.plays_by_weekday_hour(conn, **PERIOD, tz="Asia/Kolkata"),
        locations=analytics.top_locations(conn, **PERIOD), platform_frame=analytics.platforms(conn, **PERIOD))
    assert summary.values.tolist() == [
        ["plays in the period", "11"],
        ["plays matched to the catalogue", "7 (63.6%)"],
        ["peak hour (UTC)", "17:00 (5 plays)"],
        ["peak hour (Asia/Kolkata)", "13:00 (3 plays)"],  # 13 and 23 tie: the earlier hour wins
        ["busiest hour of the week (Asia/Kolkata)", "Thursday 13:00 (3 plays)"],
        ["busiest day (UTC)", "2018-11-01 (5 plays)"],
        ["top song (matched plays)", "Alpha by Artist One (3 plays)"],
        ["top artist (matched plays)", "Artist One (4 plays)"],
        ["paid share of plays", "54.5%"],
        ["users who upgraded / downgraded", "1 / 1"],
        ["top location", "B, NY (4 plays)"],
        ["top operating system / browser", "Windows (27.3%) / Chrome (45.5%)"],
        ["median session", "2 plays, 9.5 minutes"],
    ]


@pytest.mark.slow(seconds=7)
def test_papermill_renders_04_for_exactly_the_period_and_level_given(conn, tmp_path, monkeypatch):
    """The contract of the issue, end to end: papermill -p start_date -p end_date -p level
    gives charts and CSVs of that period and level (here, on the data set above)."""
    import papermill as pm

    from sparkify_nb import kernel, paths

    monkeypatch.setenv("PGOPTIONS", "-c search_path=analytics_test")  # the kernel's libpq reads it
    reports = tmp_path / "reports"
    pm.execute_notebook(str(paths.notebooks_dir() / "04_analytics.ipynb"), str(tmp_path / "04.ipynb"),
                        parameters={"start_date": "2018-11-01", "end_date": "2018-11-04", "level": "paid",
                                    "reports_dir": str(reports)},
                        progress_bar=False, cwd=str(tmp_path), **kernel.options())
    names = {p.name for p in reports.iterdir()}
    assert {"peak_play_hours.png", "peak_play_hours.csv", "plays_by_weekday_hour.png", "summary.csv"} <= names
    assert len([n for n in names if n.endswith(".png")]) == 11
    by_hour = pd.read_csv(reports / "peak_play_hours.csv")
    assert {h: p for h, p in zip(by_hour["hour"], by_hour["plays"]) if p} == {8: 1, 12: 2, 17: 3}
    daily = pd.read_csv(reports / "daily_plays.csv")
    assert daily.values.tolist() == [["2018-11-01", 3, 2], ["2018-11-02", 0, 0], ["2018-11-03", 1, 1],
                                     ["2018-11-04", 2, 1]]
    assert pd.read_csv(reports / "summary.csv").values.tolist() == [
        ["plays in the period", "6"],
        ["plays matched to the catalogue", "4 (66.7%)"],
        ["peak hour (UTC)", "17:00 (3 plays)"],
        ["peak hour (America/New_York)", "13:00 (3 plays)"],
        ["busiest hour of the week (America/New_York)", "Thursday 13:00 (2 plays)"],
        ["busiest day (UTC)", "2018-11-01 (3 plays)"],
        ["top song (matched plays)", "Alpha by Artist One (2 plays)"],
        ["top artist (matched plays)", "Artist One (2 plays)"],
        ["paid share of plays", "54.5%"],
        ["users who upgraded / downgraded", "1 / 1"],
        ["top location", "B, NY (3 plays)"],
        ["top operating system / browser", "Android (33.3%) / Chrome (50.0%)"],
        ["median session", "1.5 plays, 2 minutes"],
    ]


# --- answers in words ----------------------------------------------------------------------------

def test_each_chart_gets_its_answer_in_one_sentence(conn):
    by_hour = analytics.plays_by_hour(conn, **PERIOD)
    assert analytics.peak_hour_answer(by_hour) == "Plays peak at 17:00 UTC with 5 plays."
    local = analytics.plays_by_hour(conn, **PERIOD, tz="Asia/Kolkata")
    assert analytics.peak_hour_answer(local, "Asia/Kolkata") == "Plays peak at 13:00 Asia/Kolkata with 3 plays."
    assert analytics.weekday_hour_answer(analytics.plays_by_weekday_hour(conn, **PERIOD)) == (
        "The busiest hour of the week is Thursday 08:00 UTC with 3 plays.")
    assert analytics.daily_answer(analytics.daily_plays(conn, **PERIOD)) == (
        "The busiest day is 2018-11-01 (UTC) with 5 plays; the median day of the period has 2 plays.")
    assert analytics.top_song_answer(analytics.top_songs(conn, **PERIOD)) == (
        "The most played song is Alpha by Artist One with 3 plays (42.9% of the plays matched to the catalogue).")
    assert analytics.top_artist_answer(analytics.top_artists(conn, **PERIOD)) == (
        "The most played artist is Artist One with 4 plays by 3 listeners "
        "(57.1% of the plays matched to the catalogue).")
    assert analytics.free_vs_paid_answer(analytics.free_vs_paid(conn, **PERIOD)) == (
        "Paid plays are 54.5% of all plays (6 of 11); 1 user upgraded and 1 downgraded. "
        "4 users played; 2 users played on both levels and count under both.")
    assert analytics.matched_answer(by_hour, analytics.top_songs(conn, **PERIOD)) == (
        "7 of 11 plays (63.6%) match a song of the catalogue; the rankings of songs and artists count only those.")
    assert analytics.top_location_answer(analytics.top_locations(conn, **PERIOD)) == (
        "Most plays come from B, NY: 4 plays by 2 users.")
    assert analytics.platforms_answer(analytics.platforms(conn, **PERIOD)) == (
        "Windows leads the operating systems with 27.3% of the plays, Chrome the browsers with 45.5%.")
    assert analytics.sessions_answer(analytics.session_summary(analytics.sessions(conn, **PERIOD))) == (
        "The median session has 2 plays and lasts 9.5 minutes; one in ten has more than 2.5 plays.")


def test_an_empty_period_is_answered_in_words_not_errors(conn):
    empty = {"start_date": "2019-01-01", "end_date": "2019-01-31"}
    nothing = "There are no plays in this period."
    assert analytics.peak_hour_answer(analytics.plays_by_hour(conn, **empty)) == nothing
    assert analytics.weekday_hour_answer(analytics.plays_by_weekday_hour(conn, **empty)) == nothing
    assert analytics.daily_answer(analytics.daily_plays(conn, **empty)) == nothing
    assert analytics.top_song_answer(analytics.top_songs(conn, **empty)).startswith("No play of this period")
    assert analytics.free_vs_paid_answer(analytics.free_vs_paid(conn, **empty)) == nothing
    assert analytics.matched_answer(analytics.plays_by_hour(conn, **empty), analytics.top_songs(conn, **empty)) == nothing
    assert analytics.platforms_answer(analytics.platforms(conn, **empty)) == nothing
    assert analytics.sessions_answer(analytics.session_summary(analytics.sessions(conn, **empty))) == nothing


def test_a_tied_peak_goes_to_the_earliest_hour_and_counts_read_well():
    frame = pd.DataFrame({"hour": range(24), "plays": [0] * 5 + [1] + [0] * 14 + [1] + [0] * 3})
    assert analytics.peak_hour_answer(frame) == "Plays peak at 05:00 UTC with 1 play."


def test_filters_from_settings_take_the_validated_analytics_section():
    settings = config.load(overrides={"analytics.start_date": "2018-11-01", "analytics.end_date": "2018-11-15",
                                      "analytics.level": "paid", "analytics.top_n": 3, "analytics.tz": "UTC"})
    f = analytics.filters_from(settings)
    assert f == analytics.filters("2018-11-01", "2018-11-15", "paid", "UTC", top_n=3)
    assert f.period == {"start_date": date(2018, 11, 1), "end_date": date(2018, 11, 15)}
    assert f.all_levels().label() == "2018-11-01 to 2018-11-15 (UTC), all plays"


def test_reports_go_where_the_reports_dir_setting_says(tmp_path):
    settings = config.load(overrides={"analytics.reports_dir": str(tmp_path / "out")})
    assert analytics.reports_dir(settings) == tmp_path / "out"
    assert (tmp_path / "out").is_dir()
