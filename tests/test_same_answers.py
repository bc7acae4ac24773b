"""The suite's answers agree on both targets: one small corpus of the cases where
Redshift and PostgreSQL differ (text with trailing blanks, sessions whose ends
fall mid-second, integer counts averaged), loaded with the suite's COPY on
``local`` (the COPY emulator) and rehearsed (the Data API endpoint, as a Redshift
run sends it), merged by the suite's transform and asked 04's questions: the star
tables and every answer are identical, and the values are the ones Redshift's
documentation gives (trailing blanks trimmed at load, sessions counted in second
boundaries)."""

from __future__ import annotations

import json
import uuid

import psycopg2
import pytest

from sparkify_nb import analytics, datagen, local, staging
from sparkify_nb.local.rehearsal.control import Clients, ControlPlane
from sparkify_nb.warehouse import data_api as data_api_client, schema, transform
from tests.helpers import fingerprint, quiet
from tests.rehearsal_fixtures import REGION, aws, data_api  # noqa: F401 (fixture)
from tests.test_rehearsal_copy import loader, make_role, reads

STAR = ("songplays", "users", "songs", "artists", "time")
START = 1541030400000  # 2018-11-01 00:00:00 UTC, in epoch milliseconds
SONGS = [  # (song_id, title, artist_id, artist, duration): one title with a trailing blank in the catalogue
    ("SOAAA1", "Blue Hour", "ARAAA1", "The Mids", 200.5), ("SOAAA2", "Red Sky ", "ARAAA1", "The Mids", 180.25)]
# (user, session, ms after START, page, song, artist, length, level, location, agent)
EVENTS = [
    ("10", 100, 400, "NextSong", "Blue Hour ", "The Mids ", 200.5, "free", "Paris, FR ", "Mozilla/5.0 (X11; Linux) "),
    ("10", 100, 10_900, "NextSong", "Red Sky", "The Mids", 180.25, "free", "Paris, FR", "Mozilla/5.0 (X11; Linux)"),
    ("11 ", 200, 3_600_999, "NextSong", "Blue Hour", "The Mids", 200.5, "paid ", "Lyon, FR", "Mozilla/5.0 (Windows)"),
    ("11", 200, 3_601_001, "NextSong ", "Red Sky  ", "The Mids", 180.25, "paid", "Lyon, FR  ", "Mozilla/5.0 (Windows)"),
    ("11", 200, 3_659_500, "NextSong", "Unknown Tune", "Nobody", 99.0, "paid", "Lyon, FR", "Mozilla/5.0 (Windows)"),
    ("11", 200, 3_700_000, "Home", None, None, None, "paid", "Lyon, FR", "Mozilla/5.0 (Windows)"),
]


def event(user, session, offset, page, song, artist, length, level, location, agent, item):
    return {"artist": artist, "auth": "Logged In", "firstName": "Ann", "gender": "F", "itemInSession": item,
            "lastName": "Lee", "length": length, "level": level, "location": location, "method": "PUT",
            "page": page, "registration": 1540000000000.0, "sessionId": session, "song": song, "status": 200,
            "ts": START + offset, "userAgent": agent, "userId": user}


@pytest.fixture(scope="module")
def corpus():
    """The corpus in a bucket of the emulator: song files, one day of events, the jsonpaths file."""
    name = f"rh-same-{uuid.uuid4().hex[:8]}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    for song_id, title, artist_id, artist, duration in SONGS:
        s3.put_object(Bucket=name, Key=f"song_data/A/A/A/TR{song_id}.json", Body=json.dumps({
            "num_songs": 1, "artist_id": artist_id, "artist_latitude": None, "artist_longitude": None,
            "artist_location": "Paris ", "artist_name": artist, "song_id": song_id, "title": title,
            "duration": duration, "year": 2001}).encode())
    lines = [json.dumps(event(*e, item=i)) for i, e in enumerate(EVENTS)]
    s3.put_object(Bucket=name, Key="log_data/2018/11/2018-11-01-events.json", Body="\n".join(lines).encode() + b"\n")
    s3.put_object(Bucket=name, Key="log_json_path.json", Body=datagen.JSONPATHS_FILE.read_bytes())
    return name


def answers(conn) -> dict:
    """04's questions asked of ``conn``, as the frames 04 shows and the summary it saves."""
    by_hour, songs = analytics.plays_by_hour(conn), analytics.top_songs(conn)
    free_paid, artists, daily = analytics.free_vs_paid(conn), analytics.top_artists(conn), analytics.daily_plays(conn)
    sessions = analytics.sessions(conn)
    summary = analytics.summary(by_hour, songs, free_paid, artists=artists, daily=daily,
                                session_stats=analytics.session_summary(sessions))
    frames = {"sessions": sessions, "locations": analytics.top_locations(conn), "platforms": analytics.platforms(conn),
              "songs": songs, "free_paid": free_paid, "summary": summary}
    return {name: frame.astype(str).values.tolist() for name, frame in frames.items()}


@pytest.fixture(scope="module")
def both(corpus):
    """(star fingerprint, answers) on local and rehearsed."""
    from sparkify_nb import config, warehouse

    settings = config.load(overrides={"general.target": "local"})
    conn = warehouse.open_connection(settings)
    try:
        warehouse.run(conn, schema.drop_statements("postgres") + schema.create_statements("postgres"))
        clients = Clients(ControlPlane(), REGION)
        staging.load_local(conn, schema.STAGING_SONGS, f"s3://{corpus}/song_data", None, 0, clients=clients,
                           progress=quiet)
        staging.load_local(conn, schema.STAGING_EVENTS, f"s3://{corpus}/log_data", f"s3://{corpus}/log_json_path.json",
                           0, clients=clients, progress=quiet)
        transform.run(conn, progress=quiet)
        on_local = (fingerprint(conn, STAR), answers(conn))
    finally:
        conn.close()
    import boto3
    client = boto3.client("redshift-data", endpoint_url=local.data_api_endpoint(), region_name=REGION,
                          aws_access_key_id="rehearsal", aws_secret_access_key="rehearsal")
    with pytest.MonkeyPatch.context() as patch:
        load, target = loader(client, patch, make_role(reads(corpus, "*")))
        load(schema.STAGING_SONGS, f"s3://{corpus}/song_data", None, 0)
        load(schema.STAGING_EVENTS, f"s3://{corpus}/log_data", f"s3://{corpus}/log_json_path.json", 0)
        conn = data_api_client.DataApiConnection(client, target, progress=quiet, keep_alive_s=60,
                                                 poll=data_api_client.Poll(first_s=0.02, max_s=0.2))
        transform.run(conn, progress=quiet)
        on_rehearsal_answers = answers(conn)
    with psycopg2.connect(local.rehearsal_dsn(target["ClusterIdentifier"])) as pg:
        on_rehearsal = (fingerprint(pg, STAR), on_rehearsal_answers)
    return {"local": on_local, "rehearsal": on_rehearsal}


def test_the_corpus_builds_identical_star_tables_on_local_and_rehearsed(both):
    assert both["rehearsal"][0] == both["local"][0]
    assert both["local"][0]["songplays"][0] == 5  # four plays, one of them on page 'NextSong ' (trimmed)


def test_the_corpus_answers_04s_questions_identically_on_local_and_rehearsed(both):
    assert both["rehearsal"][1] == both["local"][1]


def test_trailing_blanks_are_trimmed_at_load_so_titles_match_and_locations_group_as_one(both):
    answered = both["local"][1]
    assert answered["songs"] == [["1", "SOAAA1", "Blue Hour", "The Mids", "2", "50.0"],
                                 ["2", "SOAAA2", "Red Sky", "The Mids", "2", "50.0"]]
    assert answered["locations"] == [["1", "Lyon, FR", "3", "1"], ["2", "Paris, FR", "2", "1"]]


def test_session_lengths_count_second_boundaries_on_both_targets(both):
    # user 10: 00:00:00.400 -> 00:00:10.900, 10.5 s apart: ten second boundaries (10 s = 0.17 min), not 11
    # user 11: 01:00:00.999 -> 01:00:59.500: 59 boundaries (0.98 min)
    lengths = [(row[0], row[2], row[4]) for row in both["local"][1]["sessions"]]
    assert lengths == [("10", "2", "0.17"), ("11", "3", "0.98")]
    assert both["rehearsal"][1]["sessions"] == both["local"][1]["sessions"]
