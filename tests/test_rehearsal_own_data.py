"""Rehearse with your own data, and never overwrite it (issue: 01 replaced the
public sample uploaded to the emulator): ``put_sources`` (what ``sparkify-nb run
--rehearse -p song_data DIR -p log_data DIR`` calls) puts a folder of real-format
files at the configured sources on the emulator, 01's sample keeps them, and the
suite's COPY on the rehearsal loads exactly them."""

from __future__ import annotations

import json
import uuid

import pytest

from sparkify_nb import SparkifyError, aws, config
from sparkify_nb.staging import sample
from sparkify_nb.warehouse import schema
from tests.rehearsal_fixtures import data_api  # noqa: F401 (fixture)
from tests.test_rehearsal_copy import loader, make_role, reads

SONGS = [{"num_songs": 1, "artist_id": "ARJIE2Y1187B994AB7", "artist_latitude": None, "artist_longitude": None,
          "artist_location": "", "artist_name": "Line Renaud", "song_id": "SOUPIRU12A6D4FA1E1",
          "title": "Der Kleine Dompfaff", "duration": 152.92036, "year": 0},
         {"num_songs": 1, "artist_id": "ARMJAGH1187FB546F3", "artist_latitude": 35.14968,
          "artist_longitude": -90.04892, "artist_location": "Memphis, TN", "artist_name": "The Box Tops",
          "song_id": "SOCIWDW12A8C13D406", "title": "Soul Deep", "duration": 148.03546, "year": 1969}]


def events() -> list[dict]:
    base = {"auth": "Logged In", "firstName": "Walter", "gender": "M", "lastName": "Frye", "level": "free",
            "location": "San Francisco-Oakland-Hayward, CA", "method": "PUT", "registration": 1540919166796.0,
            "sessionId": 38, "status": 200, "userAgent": "Mozilla/5.0 (Macintosh)", "userId": "39"}
    plays = [("Soul Deep", "The Box Tops", 148.03546), ("Der Kleine Dompfaff", "Line Renaud", 152.92036),
             ("Sehr kosmisch", "Harmonia", 655.77751)]
    out = [{**base, "artist": a, "song": s, "length": n, "page": "NextSong", "itemInSession": i,
            "ts": 1541903636796 + i * 200_000} for i, (s, a, n) in enumerate(plays)]
    out.append({**base, "artist": None, "song": None, "length": None, "page": "Home", "itemInSession": 3,
                "ts": 1541904636796})
    return out


@pytest.fixture
def own(tmp_path):
    songs = tmp_path / "song_data"
    for song in SONGS:
        path = songs / "A" / "A" / "A" / f"TR{song['song_id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(song))
    logs = tmp_path / "log_data" / "2018" / "11"
    logs.mkdir(parents=True)
    (logs / "2018-11-11-events.json").write_text("\n".join(json.dumps(e) for e in events()) + "\n")
    return {"song_data": songs, "log_data": tmp_path / "log_data"}


@pytest.fixture
def settings():
    bucket = f"own-{uuid.uuid4().hex[:8]}"
    return config.load(overrides={
        "general.target": "redshift", "general.rehearsal": "true", "general.stack_name": f"ow{uuid.uuid4().hex[:6]}",
        "s3.song_data": f"s3://{bucket}/song_data", "s3.log_data": f"s3://{bucket}/log_data",
        "s3.log_jsonpath": f"s3://{bucket}/log_json_path.json"})


def keys(settings, name: str) -> list[str]:
    bucket, prefix = settings.source_uri(name)[5:].split("/", 1)
    listed = aws.Clients(settings)("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_01s_sample_keeps_your_own_data_at_the_sources_and_says_so(settings, own):
    assert sample.put_sources(settings, own, progress=lambda _l: None) == {"song_data": 2, "log_data": 1}
    before = {name: keys(settings, name) for name in ("song_data", "log_data")}
    said = []
    sample.seed_sample_data(settings, events=50, songs=5, users=3, days=2, progress=said.append)
    assert {name: keys(settings, name) for name in ("song_data", "log_data")} == before
    assert before["log_data"] == ["log_data/2018/11/2018-11-11-events.json"]
    assert keys(settings, "log_jsonpath") == ["log_json_path.json"]  # the one source that held nothing
    assert any(line.startswith("sample data: kept what the emulator already holds at "
                               f"{settings.source_uri('song_data')}, {settings.source_uri('log_data')}")
               for line in said)


def test_the_rehearsals_copy_loads_your_own_data_and_gets_its_counts(settings, own, data_api, monkeypatch):
    sample.put_sources(settings, own, progress=lambda _l: None)
    sample.seed_sample_data(settings, events=50, songs=5, users=3, days=2, progress=lambda _l: None)
    bucket = settings.source_uri("song_data")[5:].split("/")[0]
    load, _ = loader(data_api, monkeypatch, make_role(reads(bucket, "*")))
    songs = load(schema.STAGING_SONGS, settings.source_uri("song_data"))
    staged = load(schema.STAGING_EVENTS, settings.source_uri("log_data"), settings.source_uri("log_jsonpath"))
    assert (songs.loaded, songs.rejected, staged.loaded, staged.rejected) == (2, 0, 4, 0)  # not 5 + 50 generated


def test_putting_your_own_data_needs_a_rehearsal_and_a_folder_with_files(settings, tmp_path):
    with pytest.raises(SparkifyError, match="not a folder with files"):
        sample.put_sources(settings, {"song_data": tmp_path / "missing"})
    with pytest.raises(SparkifyError, match="for a rehearsal"):
        sample.put_sources(config.load(overrides={"general.target": "local"}), {"song_data": tmp_path})
