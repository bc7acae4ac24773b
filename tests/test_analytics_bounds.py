"""The period of every analytics question at its edges (issue 22): a play at
the first instant of the first day and one at the last instant of the last
day count; one a microsecond before the first day and one at 00:00 of the
day after the last do not. Each question has its own SQL file, so each is
asked: an ``<=`` for a ``<`` in any one of them fails here.

The plays live in their own PostgreSQL schema, as in tests/test_analytics.py.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sparkify_nb import analytics, config, warehouse
from sparkify_nb.warehouse import schema

PERIOD = {"start_date": "2018-11-01", "end_date": "2018-11-04"}
AGENT = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:31.0) Gecko/20100101 Firefox/31.0"
EDGES = {  # songplay_id: start_time
    1: datetime(2018, 10, 31, 23, 59, 59, 999999),  # a microsecond before the period
    2: datetime(2018, 11, 1, 0, 0, 0),              # its first instant
    3: datetime(2018, 11, 4, 23, 59, 59, 999999),   # its last instant
    4: datetime(2018, 11, 5, 0, 0, 0),              # 00:00 of the day after
}
INSIDE = 2


@pytest.fixture(scope="module")
def conn():
    c = warehouse.open_connection(config.load(overrides={"general.target": "local"}))
    warehouse.run(c, ["DROP SCHEMA IF EXISTS analytics_bounds CASCADE", "CREATE SCHEMA analytics_bounds",
                      "SET search_path TO analytics_bounds"])
    warehouse.run(c, schema.create_statements("postgres"))
    with c.cursor() as cur:
        cur.execute("INSERT INTO users VALUES (1, 'Ann', 'Lee', 'F', 'paid')")
        cur.execute("INSERT INTO artists VALUES ('AR1', 'Artist One', 'Oslo', NULL, NULL)")
        cur.execute("INSERT INTO songs VALUES ('SO1', 'Alpha', 'AR1', 2001, 200.0)")
        cur.executemany("INSERT INTO songplays VALUES (%s, %s, 1, 'paid', 'SO1', 'AR1', %s, 'A, CA', %s)",
                        [(n, when, 10 + n, AGENT) for n, when in EDGES.items()])
    c.commit()
    yield c
    warehouse.run(c, ["DROP SCHEMA analytics_bounds CASCADE"])
    c.close()


def total(frame, column="plays"):
    return int(frame[column].sum())


QUESTIONS = {
    "plays_by_hour": lambda conn, p: total(analytics.plays_by_hour(conn, **p)),
    "plays_by_hour in New York": lambda conn, p: total(analytics.plays_by_hour(conn, **p, tz="America/New_York")),
    "plays_by_weekday_hour": lambda conn, p: int(analytics.plays_by_weekday_hour(conn, **p).to_numpy().sum()),
    "daily_plays": lambda conn, p: total(analytics.daily_plays(conn, **p)),
    "top_songs": lambda conn, p: total(analytics.top_songs(conn, **p)),
    "top_artists": lambda conn, p: total(analytics.top_artists(conn, **p)),
    "free_vs_paid": lambda conn, p: total(analytics.free_vs_paid(conn, **p)),
    "top_locations": lambda conn, p: total(analytics.top_locations(conn, **p)),
    "platforms": lambda conn, p: total(analytics.platforms(conn, **p)),
    "sessions": lambda conn, p: total(analytics.sessions(conn, **p)),
}


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_period_counts_plays_at_its_first_and_last_instant_and_none_just_outside(conn, question):
    assert QUESTIONS[question](conn, PERIOD) == INSIDE
    assert QUESTIONS[question](conn, {}) == len(EDGES)  # no period: every play


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_one_day_period_holds_exactly_that_utc_day(conn, question):
    assert QUESTIONS[question](conn, {"start_date": "2018-11-05", "end_date": "2018-11-05"}) == 1
    assert QUESTIONS[question](conn, {"start_date": "2018-10-31", "end_date": "2018-10-31"}) == 1


def test_daily_plays_lists_every_day_of_the_period_and_only_those(conn):
    frame = analytics.daily_plays(conn, **PERIOD)
    assert [str(d) for d in frame["day"]] == ["2018-11-01", "2018-11-02", "2018-11-03", "2018-11-04"]
    assert frame["plays"].tolist() == [1, 0, 0, 1]
