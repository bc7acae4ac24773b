"""Daily loads: 03 with a day stages only that day's log file and the song
files not loaded before, and thirty daily loads build the same star schema,
row for row, as one full load of the same files."""

from __future__ import annotations

import datetime as dt

import pytest

from sparkify_nb import config, datagen, staging, warehouse
from sparkify_nb.warehouse import quality, schema, transform
from tests.helpers import fingerprint

STAR = ("songplays", "users", "songs", "artists", "time")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("daily")
    datagen.generate(datagen.FolderSink(root), events=6000, songs=120, users=40, days=30, seed=11)
    return root


def settings_for(data, **etl):
    overrides = {"general.target": "local", "s3.song_data": str(data / "song_data"),
                 "s3.log_data": str(data / "log_data"), "s3.log_jsonpath": str(data / "log_json_path.json"),
                 "etl.max_errors": 0}
    overrides.update({f"etl.{k}": v for k, v in etl.items()})
    return config.load(overrides=overrides)


def load(conn, settings):
    """What 03 does between taking and releasing the lock."""
    reports = staging.load_staging(settings, conn, progress=lambda _: None)
    transform.run(conn, progress=lambda _: None)
    staging.record_loaded(conn, reports)
    checks = quality.run_checks(conn, settings, quality.rejected_counts(reports))
    quality.raise_on_error(checks)
    return reports


def recreate(conn):
    warehouse.run(conn, schema.drop_statements("postgres") + schema.create_statements("postgres"))


def test_thirty_daily_loads_build_the_star_schema_of_one_full_load(conn, data):
    """30 loads of a small data set (6,000 events): ~0.2 s each."""
    load(conn, settings_for(data))
    full = fingerprint(conn, STAR)
    recreate(conn)
    staged = []
    for n in range(30):
        day = dt.date(2018, 11, 1) + dt.timedelta(days=n)
        songs, events = load(conn, settings_for(data, day=day.isoformat()))
        staged.append((songs.files, events.files))
    assert staged[0] == (120, 1) and set(staged[1:]) == {(0, 1)}  # songs once, then only the day's log file
    assert fingerprint(conn, STAR) == full
    assert full["songplays"][0] > 3000


def test_a_daily_load_stages_only_that_days_events(conn, data):
    day_file = data / "log_data" / "2018" / "11" / "2018-11-05-events.json"
    songs, events = load(conn, settings_for(data, day="2018-11-05"))
    assert (events.files, events.records) == (1, len(day_file.read_bytes().splitlines()))
    assert events.sources == [(str(day_file), day_file.stat().st_size)]
    days = warehouse.query(conn, "SELECT DISTINCT CAST(start_time AS DATE) AS d FROM songplays").d.tolist()
    assert days == [dt.date(2018, 11, 5)]


def test_days_n_takes_the_n_days_ending_on_day(conn, data):
    _, events = load(conn, settings_for(data, day="2018-11-05", days=3))
    assert [name.rsplit("/", 1)[1] for name, _ in events.sources] == [
        "2018-11-03-events.json", "2018-11-04-events.json", "2018-11-05-events.json"]


@pytest.mark.parametrize("etl, span", [({"day": "2018-11-05"}, " for 2018-11-05"),
                                       ({"day": "2018-11-05", "days": 2}, " for 2018-11-04 .. 2018-11-05"),
                                       ({"day": "2018-11-05", "days": 3}, " for 2018-11-03 .. 2018-11-05"),
                                       ({}, "")], ids=["one-day", "two-days", "three-days", "everything"])
def test_the_load_says_which_days_it_loads(conn, data, etl, span):
    said = []
    staging.load_staging(settings_for(data, **etl), conn, progress=said.append)
    assert said[0].startswith("loading staging_songs from ") and said[0].endswith(f"log_data{span}")


def test_a_day_without_a_log_file_stops_naming_the_day_and_the_file(conn, data):
    with pytest.raises(staging.LoadError, match=r"no log file for 2018-12-25 \(.*/log_data/2018/12/"
                                                r"2018-12-25-events.json\)"):
        staging.load_staging(settings_for(data, day="2018-12-25"), conn, progress=lambda _: None)


def test_a_daily_load_from_s3_lists_only_that_days_prefix(conn, data):
    from sparkify_nb import aws

    settings = config.load(overrides={"general.target": "local"})
    clients = aws.Clients(settings)
    s3 = clients("s3")
    s3.create_bucket(Bucket="daily-test", CreateBucketConfiguration={"LocationConstraint": settings.region})
    for name in ("2018-11-04-events.json", "2018-11-05-events.json", "2018-11-05-events.json.gz"):
        s3.put_object(Bucket="daily-test", Key=f"log_data/2018/11/{name}", Body=b"{}\n")
    found = staging.sources.day_objects("s3://daily-test/log_data", [dt.date(2018, 11, 5)], clients)
    assert [o.name for o in found] == ["s3://daily-test/log_data/2018/11/2018-11-05-events.json",
                                       "s3://daily-test/log_data/2018/11/2018-11-05-events.json.gz"]


def test_loaded_files_of_a_whole_catalogue_go_in_batches_whose_parameters_each_mean_one_value(monkeypatch):
    """On the Data API a commit is one batch sharing one Parameters list: a name bound to two values is refused
    (the rehearsal's full load of 330 files once failed so). 4,100 files: two commits of 40 and 1 INSERTs."""
    from sparkify_nb.staging import load as load_module
    from sparkify_nb.staging.report import LoadReport
    from sparkify_nb.warehouse import data_api

    commits = []
    monkeypatch.setattr(load_module, "loaded_names_by_table", lambda conn, tables: {t: set() for t in tables})
    monkeypatch.setattr(load_module.warehouse, "run", lambda conn, statements, label="": commits.append(statements))
    report = LoadReport("staging_songs")
    report.sources = [(f"s3://b/song_data/{n:05d}.json", 250) for n in range(4100)]
    assert staging.record_loaded(None, [report]) == 4100
    assert [len(c) for c in commits] == [40, 1]
    for statements in commits:
        converted = [data_api.convert(sql, params)[1] for sql, params in statements]
        merged = data_api._merge(converted, statements[0][0])
        assert len(merged) == 1 + 3 * sum(sql.count("%(f") for sql, _ in statements)  # loaded_at + 3 a row
