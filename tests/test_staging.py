"""The COPY emulator against the malformed-input corpus (tests/corpus.py), on
the session's PostgreSQL and the AWS emulator's S3; the Redshift COPY text."""

from __future__ import annotations

import gzip
import json
import uuid

import pytest

from sparkify_nb import aws, config, staging, warehouse
from sparkify_nb import datagen
from sparkify_nb.staging import emulator, records, sources
from sparkify_nb.warehouse import schema
from tests import corpus


def quiet(_):
    pass


def outcomes(report):
    """file name (relative to the corpus root) -> {line: (column, code)} of the rejects."""
    out: dict[str, dict[int, tuple[str, int]]] = {}
    for r in report.rejects:
        name = r.filename.split("/log_data/")[-1].split("/song_data/")[-1]
        out.setdefault(name, {})[r.line_number] = (r.colname, r.err_code)
    return out


def expected_rejects(files):
    return {name: {line: o for line, o in expected.items() if o != "loaded"}
            for name, (_, expected) in files.items() if any(o != "loaded" for o in expected.values())}


def load_corpus(settings, conn, root, max_errors=1000):
    corpus.write(root / "log_data", corpus.EVENT_FILES)
    corpus.write(root / "song_data", corpus.SONG_FILES)
    settings = config.load(overrides={"general.target": "local", "s3.song_data": str(root / "song_data"),
                                      "s3.log_data": str(root / "log_data"),
                                      "s3.log_jsonpath": str(datagen.JSONPATHS_FILE), "etl.max_errors": max_errors})
    return staging.load_staging(settings, conn, progress=quiet)


def test_every_corpus_record_is_loaded_or_rejected_with_file_line_and_reason(settings, conn, tmp_path):
    songs, events = load_corpus(settings, conn, tmp_path)
    for report, files in ((events, corpus.EVENT_FILES), (songs, corpus.SONG_FILES)):
        records = sum(len(expected) for _, expected in files.values())
        loaded = sum(o == "loaded" for _, expected in files.values() for o in expected.values())
        assert (report.files, report.records, report.loaded, report.rejected) == \
            (len(files), records, loaded, records - loaded)
        assert report.loaded + report.rejected == report.records
        assert outcomes(report) == expected_rejects(files)
        assert all(r.err_reason for r in report.rejects)
    staged = warehouse.query(conn, "SELECT COUNT(*) AS n FROM staging_events").n[0]
    assert staged == events.loaded


def test_rejects_are_recorded_in_load_errors_like_stl_load_errors(settings, conn, tmp_path):
    songs, events = load_corpus(settings, conn, tmp_path)
    rows = warehouse.query(conn, "SELECT tbl, filename, line_number, colname, err_code, err_reason, raw_field_value "
                                 "FROM load_errors WHERE load_id = %s ORDER BY filename, line_number",
                           (events.load_id,))
    assert len(rows) == events.rejected == 23
    assert set(rows.tbl) == {"staging_events"}
    gender = rows[rows.colname == "gender"].iloc[0]
    assert gender.filename.endswith("log_data/2018/11/oversized.json") and gender.line_number == 2
    assert gender.err_code == 1204 and gender.err_reason == "String length exceeds DDL length (17 > 16 bytes)"
    assert gender.raw_field_value == "x" * 17
    utf8 = rows[rows.filename.str.endswith("invalid-utf8.json")]
    assert utf8.line_number.tolist() == [2, 3] and utf8.err_reason.iloc[0].startswith("Invalid UTF-8: byte 0xe9")


def test_hostile_and_unicode_strings_arrive_byte_for_byte_but_their_trailing_blanks(settings, conn, tmp_path):
    # the suite's COPY says TRIMBLANKS (staging.redshift.copy_statement): " padded " arrives as " padded"
    load_corpus(settings, conn, tmp_path)
    stored = warehouse.query(conn, "SELECT song FROM staging_events WHERE ts >= '2018-10-31 15:33:20.1' "
                                   "AND ts < '2018-10-31 15:33:20.3' ORDER BY ts").song.tolist()
    assert stored == [s.rstrip(" ") for s in list(corpus.UNICODE) + list(corpus.HOSTILE)]
    assert " padded" in stored and "tab\there" in stored


def test_real_udacity_lines_load_unchanged(settings, conn, tmp_path):
    load_corpus(settings, conn, tmp_path)
    rows = warehouse.query(conn, "SELECT user_id, registration, ts, user_agent, artist, length FROM staging_events "
                                 "WHERE ts IN ('2018-11-01 20:57:10.796', '2018-11-01 21:01:46.796', "
                                 "'2018-11-03 01:04:33.796') ORDER BY ts")
    assert rows.user_id.tolist() == ["39", "8", ""]
    assert rows.registration.tolist()[:2] == [1540919166796.0, 1540344794796.0]
    assert rows.artist.tolist()[1] == "Des'ree" and rows.length.tolist()[1] == 246.30812
    assert rows.user_agent.iloc[0].startswith('"Mozilla/5.0 (Macintosh;')
    song = warehouse.query(conn, "SELECT * FROM staging_songs WHERE song_id = 'SOUPIRU12A6D4FA1E1'")
    assert song.iloc[0].to_dict() == {
        "num_songs": 1, "artist_id": "ARJIE2Y1187B994AB7", "artist_latitude": None, "artist_longitude": None,
        "artist_location": "", "artist_name": "Line Renaud", "song_id": "SOUPIRU12A6D4FA1E1",
        "title": "Der Kleine Dompfaff", "duration": 152.92036, "year": 0}


def test_missing_fields_are_null_and_empty_numbers_are_null(settings, conn, tmp_path):
    load_corpus(settings, conn, tmp_path)
    row = warehouse.query(conn, "SELECT * FROM staging_events WHERE ts = '2018-10-31 15:33:20.3'").iloc[0]
    assert row.page == "NextSong" and row.artist is None and row.user_id is None and row.session_id is None
    empty_registration = warehouse.query(conn, "SELECT COUNT(*) AS n FROM staging_events "
                                               "WHERE registration IS NULL AND auth = 'Logged In'").n[0]
    assert empty_registration == 1


def test_maxerror_rejects_abort_as_documented_and_leave_staging_as_it_was(settings, conn, tmp_path):
    """Redshift: "If the load returns the error_count number of errors or greater,
    the load fails" (copy-parameters-data-load.html#copy-maxerror): the boundary fails."""
    good = tmp_path / "good"
    corpus.write(good, {"a.json": (corpus.ev() + b"\n" + corpus.ev(ts=1541000000001), {})})
    staging.load_local(conn, schema.STAGING_EVENTS, str(good), str(datagen.JSONPATHS_FILE), 0, progress=quiet)
    bad = tmp_path / "bad"
    corpus.write(bad, {"b.json": (corpus.ev() + b"\n" + corpus.ev(ts="x") + b"\n" + corpus.ev(ts="y"), {})})
    with pytest.raises(staging.LoadError, match=r"2 records rejected, MAXERROR 2 reached .*; load rolled back, "
                                                r"staging unchanged. First: .*b.json line 2 column ts"):
        staging.load_local(conn, schema.STAGING_EVENTS, str(bad), str(datagen.JSONPATHS_FILE), 2, progress=quiet)
    assert warehouse.query(conn, "SELECT COUNT(*) AS n FROM staging_events").n[0] == 2
    assert warehouse.query(conn, "SELECT COUNT(*) AS n FROM load_errors").n[0] == 2
    # one reject fewer than MAXERROR: the good rows commit
    report = staging.load_local(conn, schema.STAGING_EVENTS, str(bad), str(datagen.JSONPATHS_FILE), 3,
                                progress=quiet)
    assert (report.loaded, report.rejected) == (1, 2)


@pytest.mark.parametrize("max_errors, aborts", [(0, True), (1, True), (2, False)])
def test_maxerror_0_and_1_both_stop_at_the_first_reject(conn, tmp_path, max_errors, aborts):
    corpus.write(tmp_path, {"c.json": (corpus.ev() + b"\n" + corpus.ev(ts="x"), {})})
    load = lambda: staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(datagen.JSONPATHS_FILE),
                                      max_errors, progress=quiet)  # noqa: E731
    if aborts:
        with pytest.raises(staging.LoadError, match=f"1 records rejected, MAXERROR {max_errors} reached"):
            load()
    else:
        assert load().rejected == 1


def test_loads_from_s3_plain_and_gzip_the_same(settings, conn, tmp_path):
    clients = aws.Clients(settings)
    s3 = clients("s3")
    bucket = f"issue4-staging-test-{uuid.uuid4().hex[:8]}"  # of its own: the stack may be shared (make mutants)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": settings.region})
    lines = b"\n".join(corpus.ev(ts=1541000000000 + i) for i in range(300))
    s3.put_object(Bucket=bucket, Key="logs/2018/11/a.json", Body=lines)
    s3.put_object(Bucket=bucket, Key="logs/2018/11/b.json.gz", Body=gzip.compress(lines))
    s3.put_object(Bucket=bucket, Key="logs_other/c.json", Body=lines)  # prefix match, as Redshift
    s3.put_object(Bucket=bucket, Key="paths.json", Body=datagen.JSONPATHS_FILE.read_bytes())
    report = staging.load_local(conn, schema.STAGING_EVENTS, f"s3://{bucket}/logs",
                                f"s3://{bucket}/paths.json", 0, clients=clients, progress=quiet)
    assert (report.files, report.records, report.loaded, report.rejected) == (3, 900, 900, 0)


def test_many_objects_stream_through_a_bounded_queue(settings, conn, tmp_path, monkeypatch):
    monkeypatch.setattr(records, "CHUNK_ROWS", 7)
    monkeypatch.setattr(emulator, "QUEUE_CHUNKS", 2)
    files = {f"f{i:03d}.json": (b"\n".join(corpus.ev(ts=1541000000000 + i * 1000 + j) for j in range(50)), {})
             for i in range(40)}
    corpus.write(tmp_path, files)
    report = staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path),
                                str(datagen.JSONPATHS_FILE), 0, progress=quiet)
    assert (report.files, report.loaded) == (40, 2000)
    assert warehouse.query(conn, "SELECT COUNT(DISTINCT ts) AS n FROM staging_events").n[0] == 2000


def test_auto_mapping_matches_keys_to_column_names(settings, conn, tmp_path):
    corpus.write(tmp_path, {"s.json": (json.dumps({"song_id": "SO9", "TITLE": "ignored", "title": "T"}).encode(), {})})
    report = staging.load_local(conn, schema.STAGING_SONGS, str(tmp_path), None, 0, progress=quiet)
    assert report.loaded == 1
    assert warehouse.query(conn, "SELECT song_id, title FROM staging_songs").values.tolist() == [["SO9", "T"]]


def test_nested_jsonpaths_reach_into_objects(settings, conn, tmp_path):
    paths = tmp_path / "paths.json"
    paths.write_text(json.dumps({"jsonpaths": ["$.song_id", "$['meta']['title']", "$['tags'][1]"]
                                 + ["$.x"] * 7}))
    corpus.write(tmp_path / "d", {"s.json": (json.dumps({"song_id": "S", "meta": {"title": "T"},
                                                          "tags": ["a", "b"]}).encode(), {})})
    table = schema.Table("staging_songs", (schema.STAGING_SONGS.columns[6], schema.STAGING_SONGS.columns[7],
                                           schema.STAGING_SONGS.columns[5]) + schema.STAGING_SONGS.columns[:5]
                         + schema.STAGING_SONGS.columns[8:])
    staging.load_local(conn, table, str(tmp_path / "d"), str(paths), 0, progress=quiet)
    got = warehouse.query(conn, "SELECT song_id, title, artist_name FROM staging_songs").values.tolist()
    assert got == [["S", "T", "b"]]


def test_a_jsonpaths_file_that_does_not_fit_the_table_is_refused(settings, conn, tmp_path):
    paths = tmp_path / "paths.json"
    paths.write_text(json.dumps({"jsonpaths": ["$['ts']"]}))
    with pytest.raises(staging.LoadError, match="1 jsonpaths for the 18 columns of staging_events"):
        staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(paths), 0, progress=quiet)
    paths.write_text(json.dumps({"jsonpaths": ["$[*].ts"]}))
    with pytest.raises(staging.LoadError, match=r"jsonpath #1 '\$\[\*\].ts'"):
        staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(paths), 0, progress=quiet)


def test_a_missing_source_names_it(settings, conn, tmp_path):
    with pytest.raises(staging.LoadError, match="no such file or folder"):
        staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path / "nope"), None, 0, progress=quiet)
    (tmp_path / "empty").mkdir()
    with pytest.raises(staging.LoadError, match="no objects to load"):
        staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path / "empty"), None, 0, progress=quiet)


def test_copy_statement_for_events_and_songs(settings):
    events = staging.copy_statement(settings, schema.STAGING_EVENTS, "s3://udacity-dend/log_data",
                                    "s3://udacity-dend/log_json_path.json", "arn:aws:iam::123456789012:role/r", 10)
    assert events == ("COPY \"staging_events\" FROM 's3://udacity-dend/log_data'\n"
                      "IAM_ROLE 'arn:aws:iam::123456789012:role/r'\n"
                      "FORMAT AS JSON 's3://udacity-dend/log_json_path.json'\n"
                      "TIMEFORMAT 'epochmillisecs'\n"
                      "TRIMBLANKS\n"
                      "REGION 'us-west-2'\n"
                      "COMPUPDATE OFF STATUPDATE OFF\n"
                      "MAXERROR 10")
    songs = staging.copy_statement(settings, schema.STAGING_SONGS, "s3://udacity-dend/song_data", None,
                                   "arn:aws:iam::123456789012:role/r", 0)
    assert "FORMAT AS JSON 'auto'\n" in songs and songs.endswith("MAXERROR 0")


@pytest.mark.parametrize("source", ["/local/folder", "s3://bucket/it's", "https://example.com/x"])
def test_copy_statement_refuses_what_redshift_cannot_read(settings, source):
    with pytest.raises(staging.LoadError, match="needs an s3:// URI"):
        staging.copy_statement(settings, schema.STAGING_SONGS, source, None, "arn:aws:iam::1:role/r", 0)


def test_the_shipped_jsonpaths_map_onto_the_staging_columns_in_order():
    paths = [staging.parse_jsonpath(p) for p in json.loads(datagen.JSONPATHS_FILE.read_text())["jsonpaths"]]
    assert [p[0] for p in paths] == list(corpus.FIELDS)
    assert len(paths) == len(schema.STAGING_EVENTS.columns) == 18


def test_the_compiled_fast_path_converts_like_the_one_for_escaped_nul():
    import csv
    import random
    from datetime import datetime

    rng = random.Random(4)
    fast = staging.compile_row(schema.STAGING_EVENTS, None)
    careful = staging.compile_row(schema.STAGING_EVENTS, None, for_escaped_nul=True)
    for _ in range(2000):
        record = {"ts": rng.randrange(0, 253402300800000), "length": rng.uniform(-1e6, 1e6),
                  "session_id": rng.randrange(-2 ** 31, 2 ** 31), "registration": rng.randrange(-2 ** 53, 2 ** 53),
                  "artist": "".join(rng.choice('ab",\n\\ ') for _ in range(rng.randrange(0, 30)))}
        a, b = next(csv.reader([fast(record)])), next(csv.reader([careful(record)]))
        assert a[:-3] == b[:-3] and a[0] == record["artist"]
        assert datetime.fromisoformat(a[-3]) == datetime.fromisoformat(b[-3])


def test_an_object_that_cannot_be_read_fails_the_load_and_keeps_staging(settings, conn, tmp_path, monkeypatch):
    corpus.write(tmp_path, {"a.json": (corpus.ev(), {})})
    staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(datagen.JSONPATHS_FILE), 0, progress=quiet)

    def unreadable():
        raise OSError("connection reset by peer")

    good = staging.list_sources(str(tmp_path))
    monkeypatch.setattr(sources, "list_sources", lambda *_: good + [staging.SourceObject("s3://b/gone.json",
                                                                                           unreadable)])
    with pytest.raises(staging.LoadError, match="s3://b/gone.json: cannot be read: connection reset by peer"):
        staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(datagen.JSONPATHS_FILE), 0,
                           progress=quiet)
    assert warehouse.query(conn, "SELECT COUNT(*) AS n FROM staging_events").n[0] == 1


def test_a_json_object_over_4_mb_fails_the_whole_load_naming_the_file(settings, conn, tmp_path, monkeypatch):
    """Redshift: "The maximum size of a JSON object in Amazon Redshift is 4 MB, which applies before any
    shredding or parsing" (https://docs.aws.amazon.com/redshift/latest/dg/copy_json.html); COPY fails."""
    monkeypatch.setattr(records, "READ_BLOCK", 1 << 16)  # the object spans many blocks; never held whole
    corpus.write(tmp_path, {"a.json": (corpus.ev(), {})})
    staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(datagen.JSONPATHS_FILE), 5, progress=quiet)
    huge = corpus.ev(song="x" * (5 << 20))
    corpus.write(tmp_path, {"b.json": (corpus.ev(ts=1541000000001) + b"\n" + huge + b"\n" + corpus.ev(), {})})
    with pytest.raises(staging.LoadError, match=r"b.json line 2: a JSON object over 4 MB .* fails the whole COPY"):
        staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(datagen.JSONPATHS_FILE), 5,
                           progress=quiet)
    assert warehouse.query(conn, "SELECT COUNT(*) AS n FROM staging_events").n[0] == 1


def test_a_damaged_gzip_stream_fails_the_whole_load_naming_the_file(conn, tmp_path):
    corpus.write(tmp_path, {"a.json": (corpus.ev(), {})})
    staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(datagen.JSONPATHS_FILE), 5, progress=quiet)
    corpus.write(tmp_path, {"broken.json.gz": (gzip.compress(corpus.ev(ts=1541000000600) * 50, mtime=0)[:60], {})})
    with pytest.raises(staging.LoadError, match=r"broken.json.gz: damaged gzip stream at line 1: .*whole COPY"):
        staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(datagen.JSONPATHS_FILE), 5,
                           progress=quiet)
    assert warehouse.query(conn, "SELECT COUNT(*) AS n FROM staging_events").n[0] == 1


@pytest.mark.parametrize("line, reason", [
    (b'{"artist": "unterminated', "Invalid JSON: unterminated string at line 3, column 12"),
    (b'{"ts": 1541000000000,, "page": "x"}', "Invalid JSON: expecting property name enclosed in double quotes "
                                             "at line 3, column 22"),
    (b'{"ts": 1} trailing', "Invalid JSON: extra data at line 3, column 11"),
])
def test_reject_reasons_name_the_line_and_column(conn, tmp_path, line, reason):
    corpus.write(tmp_path, {"a.json": (corpus.ev() + b"\n\n" + line, {})})
    report = staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(datagen.JSONPATHS_FILE), 5,
                                progress=quiet)
    assert [(r.line_number, r.err_reason) for r in report.rejects] == [(3, reason)]


def test_raw_line_and_raw_field_value_are_cut_at_1024_bytes_like_stl_load_errors(conn, tmp_path):
    """stl_load_errors: raw_line and raw_field_value are char(1024), and CHAR(n) counts bytes
    (https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html)."""
    corpus.write(tmp_path, {"a.json": (corpus.ev(artist="é" * 700), {})})  # 1400 bytes: too long for VARCHAR(512)
    report = staging.load_local(conn, schema.STAGING_EVENTS, str(tmp_path), str(datagen.JSONPATHS_FILE), 5,
                                progress=quiet)
    reject = report.rejects[0]
    assert reject.colname == "artist"
    assert reject.raw_field_value == "é" * 512 and len(reject.raw_field_value.encode()) == 1024
    assert len(reject.raw_line.encode()) <= 1024 and reject.raw_line.startswith('{"artist": "éé')
    stored = warehouse.query(conn, "SELECT raw_line, raw_field_value FROM load_errors").iloc[0]
    assert (stored.raw_line, stored.raw_field_value) == (reject.raw_line, reject.raw_field_value)


def test_key_order_does_not_change_the_row():
    paths = [staging.parse_jsonpath(p) for p in json.loads(datagen.JSONPATHS_FILE.read_text())["jsonpaths"]]
    row = staging.compile_row(schema.STAGING_EVENTS, paths)
    record = json.loads(corpus.ev(artist='Des"ree, "live"', length=1.5, ts=1541106106796))
    shuffled = dict(reversed(list(record.items())))
    assert row(record) == row(shuffled) == (
        '"Des""ree, ""live""","Logged In","Ann","F",0,"Lee",1.5,"free","Here","PUT","NextSong",1540000000000.0,'
        '5,"S",200,2018-11-01 21:01:46.796,"Mozilla","7"')


def test_parse_s3_uri_splits_bucket_and_key_and_names_a_bad_uri():
    assert staging.parse_s3_uri("s3://udacity-dend/log_data/2018/11") == ("udacity-dend", "log_data/2018/11")
    assert staging.parse_s3_uri("s3://bucket") == staging.parse_s3_uri("s3://bucket/") == ("bucket", "")
    for bad in ("s3:///key", "/local/folder", "https://example.com/x"):
        with pytest.raises(ValueError, match=f"'{bad}'"):
            staging.parse_s3_uri(bad)


def test_small_s3_objects_load_eight_at_once_large_ones_and_local_files_two():
    def objs(prefix, size, n=3):
        return [sources.SourceObject(f"{prefix}/{i}.json", lambda: None, size) for i in range(n)]

    assert emulator.worker_threads(objs("s3://b/song_data", 250)) == emulator.FETCH_THREADS == 8
    assert emulator.worker_threads(objs("s3://b/log_data", 15 * 2 ** 20)) == emulator.LOCAL_THREADS == 2
    assert emulator.worker_threads(objs("/data/song_data", 250)) == 2
    assert emulator.worker_threads([]) == 2


def test_the_loader_hands_freed_memory_back_every_64_blocks_it_copies(conn, tmp_path, monkeypatch):
    """glibc keeps the free holes of a heap that ~1 MB blocks fragment: the loader trims it (emulator.py)."""
    folder = tmp_path / "song_data"
    folder.mkdir()
    for i in range(150):   # one block of rows per small file
        (folder / f"TR{i:03d}.json").write_text(json.dumps({"song_id": f"SO{i}", "title": "t"}))
    trims = []
    monkeypatch.setattr(emulator, "release_free_memory", lambda: trims.append(1))
    report = emulator.load_local(conn, schema.STAGING_SONGS, str(folder), None, 0, progress=quiet)
    assert (report.loaded, len(trims)) == (150, 150 // emulator.TRIM_EVERY) == (150, 2)
