"""An 'auto' load that leaves columns NULL while the records carry keys spelled
like them is warned about (staging.mapping), on the session's PostgreSQL and
emulator S3; and a Redshift COPY's prefix summary and heartbeat (staging.watch)."""

import gzip
import json
import re
import time
import uuid

import pytest

from sparkify_nb import aws, config, datagen, local, staging
from sparkify_nb.staging import mapping, watch
from sparkify_nb.warehouse import schema

EVENT = {"artist": "Des'ree", "auth": "Logged In", "firstName": "Kaylee", "gender": "F", "itemInSession": 1,
         "lastName": "Summers", "length": 246.3, "level": "free", "location": "Phoenix, AZ", "method": "PUT",
         "page": "NextSong", "registration": 1540344794796.0, "sessionId": 139, "song": "You Gotta Be",
         "status": 200, "ts": 1541106106796, "userAgent": "Mozilla/5.0", "userId": "8"}
SONG = {"num_songs": 1, "artist_id": "AR1", "artist_latitude": None, "artist_longitude": None,
        "artist_location": "", "artist_name": "Des'ree", "song_id": "SO1", "title": "You Gotta Be",
        "duration": 246.3, "year": 1994}


EVENTS_WARNING = (
    "staging_events: 6 columns NULL in every record while the records carry keys spelled like them: "
    "first_name (key 'firstName'), item_in_session (key 'itemInSession'), last_name (key 'lastName'), "
    "session_id (key 'sessionId'), user_agent (key 'userAgent'), user_id (key 'userId'). COPY's 'auto' "
    "matches key names exactly, case included; map the fields with a jsonpaths file ([s3] log_jsonpath)")


def folders(tmp_path, event=EVENT, song=SONG, **overrides):
    (tmp_path / "songs").mkdir()
    (tmp_path / "songs" / "SO1.json").write_text(json.dumps(song))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "2018-11-01-events.json").write_text("\n".join(json.dumps(event) for _ in range(3)))
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "s3.song_data": str(tmp_path / "songs"), "s3.log_data": str(tmp_path / "logs"), "s3.log_jsonpath": "auto",
        **overrides})


def test_auto_mapping_of_camel_case_events_is_warned_about_in_the_load_report(conn, tmp_path):
    lines = []
    songs, events = staging.load_staging(folders(tmp_path), conn, progress=lines.append)
    assert events.warnings == [EVENTS_WARNING]
    assert f"WARNING: {EVENTS_WARNING}" in lines
    assert songs.warnings == []  # artist_latitude is NULL everywhere too, but no key is spelled like it


CAMEL_SONG = {("artistId" if k == "artist_id" else "songId" if k == "song_id" else k): v for k, v in SONG.items()}
SONGS_WARNING = ("staging_songs: 2 columns NULL in every record while the records carry keys spelled like them: "
                 "artist_id (key 'artistId'), song_id (key 'songId').")


@pytest.mark.parametrize("song, event, warned", [
    (CAMEL_SONG, {**EVENT, "ts": "not a number"}, "songs"),  # every event rejected: none staged
    ({**SONG, "year": "abc"}, EVENT, "events")],               # the song rejected: none staged
    ids=["no-event-staged", "no-song-staged"])
def test_each_tables_auto_mapping_is_checked_in_its_own_report_whatever_the_other_table_staged(
        conn, tmp_path, song, event, warned):
    songs, events = staging.load_staging(folders(tmp_path, event, song), conn, progress=lambda _: None)
    assert (songs.loaded, events.loaded) == ((1, 0) if warned == "songs" else (0, 3))
    if warned == "songs":
        assert len(songs.warnings) == 1 and songs.warnings[0].startswith(SONGS_WARNING) and events.warnings == []
    else:
        assert (songs.warnings, events.warnings) == ([], [EVENTS_WARNING])


def test_a_load_mapped_by_a_jsonpaths_file_is_not_checked_as_auto(conn, tmp_path):
    """The check is for 'auto' only: a jsonpaths file that leaves user_agent NULL ($['user_agent'], while the
    records say userAgent) is the file's choice, and no warning second-guesses it."""
    paths = json.loads(datagen.JSONPATHS_FILE.read_text())
    paths["jsonpaths"] = [p.replace("userAgent", "user_agent") for p in paths["jsonpaths"]]
    (tmp_path / "paths.json").write_text(json.dumps(paths))
    _, events = staging.load_staging(folders(tmp_path, **{"s3.log_jsonpath": str(tmp_path / "paths.json")}), conn,
                                     progress=lambda _: None)
    assert events.loaded == 3 and events.warnings == []
    assert mapping.null_columns(conn, schema.STAGING_EVENTS) == ["user_agent"]


def test_a_load_from_local_folders_needs_no_aws_emulator_even_for_its_auto_mapping_check(conn, tmp_path,
                                                                                       monkeypatch):
    def not_running(*_args, **_kwargs):
        raise local.LocalStackError("the local stack is not running")

    monkeypatch.setattr(local, "aws_endpoint", not_running)
    _, events = staging.load_staging(folders(tmp_path), conn, progress=lambda _: None)
    assert (events.loaded, events.warnings) == (3, [EVENTS_WARNING])


def test_an_auto_load_from_s3_on_local_makes_its_own_clients_for_the_load_and_the_check(settings, conn, tmp_path):
    s3, bucket = aws.Clients(settings)("s3"), f"mapping-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": settings.region})
    s3.put_object(Bucket=bucket, Key="songs/SO1.json", Body=json.dumps(SONG).encode())
    s3.put_object(Bucket=bucket, Key="logs/2018-11-01-events.json", Body=json.dumps(EVENT).encode())
    on_s3 = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "s3.song_data": f"s3://{bucket}/songs", "s3.log_data": f"s3://{bucket}/logs", "s3.log_jsonpath": "auto"})
    songs, events = staging.load_staging(on_s3, conn, progress=lambda _: None)  # no clients given, as 03 calls it
    assert (songs.loaded, events.loaded, events.warnings) == (1, 1, [EVENTS_WARNING])


def test_records_keyed_like_the_columns_give_no_warning(conn, tmp_path):
    snake = {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k): v for k, v in EVENT.items()}
    _, events = staging.load_staging(folders(tmp_path, snake), conn, progress=lambda _: None)
    assert events.warnings == [] and events.loaded == 3


def test_spelling_ignores_case_underscores_and_hyphens():
    assert mapping.spelling("userId") == mapping.spelling("user_id") == mapping.spelling("User-ID") == "userid"


def test_first_record_keys_come_from_the_first_s3_object_even_gzipped(settings):
    clients = aws.Clients(settings)
    s3 = clients("s3")
    bucket = f"issue13-mapping-test-{uuid.uuid4().hex[:8]}"  # of its own: the stack may be shared
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": settings.region})
    s3.put_object(Bucket=bucket, Key="logs/", Body=b"")  # a folder marker: skipped
    s3.put_object(Bucket=bucket, Key="logs/a.json.gz", Body=gzip.compress(b'{"userId": "1", "ts": 1}\n{"x": 2}\n'))
    s3.put_object(Bucket=bucket, Key="logs/b.json", Body=b'{"other": 1}')
    assert mapping.first_record_keys(f"s3://{bucket}/logs", clients) == ["userId", "ts"]
    assert mapping.first_record_keys(f"s3://{bucket}/nothing-here", clients) == []


def test_a_pretty_printed_song_file_gives_its_keys(tmp_path):
    (tmp_path / "TRA.json").write_text(json.dumps(SONG, indent=4))
    assert mapping.first_record_keys(str(tmp_path)) == list(SONG)


def test_copy_is_preceded_by_the_object_count_and_size_of_its_prefix(settings):
    clients = aws.Clients(settings)
    s3 = clients("s3")
    bucket = f"issue13-watch-test-{uuid.uuid4().hex[:8]}"  # of its own: the stack may be shared
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": settings.region})
    for key, size in (("song_data/", 0), ("song_data/A/1.json", 1000), ("song_data/A/2.json", 1000),
                      ("song_data/B/3.json", 1500), ("other/4.json", 9)):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x" * size)
    lines = []
    assert watch.describe_prefix(f"s3://{bucket}/song_data", clients, lines.append) == (3, 3500)
    assert lines == [f"s3://{bucket}/song_data: 3 objects, 3.4 KB"]
    lines.clear()
    assert watch.describe_prefix("s3://issue13-no-such-bucket/x", clients, lines.append) == (-1, -1)
    assert lines == ["s3://issue13-no-such-bucket/x: cannot list (NoSuchBucket); COPY reads it with its own role"]


def test_heartbeat_reports_elapsed_time_while_the_statement_runs_and_stops_after():
    lines = []
    with watch.heartbeat(lines.append, "COPY staging_songs", every_s=0.02):
        time.sleep(0.15)
    after = len(lines)
    time.sleep(0.1)
    assert after >= 2 and len(lines) == after
    assert set(lines) == {"COPY staging_songs: running, 0 s"}


def test_sizes_read_as_people_write_them():
    assert [watch.size_text(n) for n in (0, 999, 1536, 5 << 30)] == ["0 B", "999 B", "1.5 KB", "5.0 GB"]
