"""The event load's fast path (staging.fastpath) against the exact path it
replaces (staging.records.parse_object, kept as the fallback): the same rows,
row for row, and the same rejects (file, line, column, type, raw text, reason,
err_code), over the malformed corpus and over generated files with hostile and
boundary lines spliced in, with blocks small enough that every kind of line
meets a block edge. No database: the CSV each path hands to COPY is compared,
normalised only where PostgreSQL stores the same value (``1.54e+12`` and
``1540000000000.0``; a timestamp with or without ``.000``)."""

from __future__ import annotations

import functools
import gzip
import random
import re
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from sparkify_nb import datagen
from sparkify_nb.staging import convert, fastpath, jsonpaths, records, sources
from sparkify_nb.staging.errors import LoadError
from sparkify_nb.warehouse import schema
from tests import corpus

_FIELD = re.compile(rb'"((?:[^"]|"")*)"|([^,\n"]*)')


def csv_rows(data: bytes) -> list[list[bytes | None]]:
    """COPY's CSV as fields: quoted text (``""`` undoubled), or None for an unquoted empty field (NULL)."""
    rows, row, pos = [], [], 0
    while pos < len(data):
        m = _FIELD.match(data, pos)
        quoted, plain = m.group(1), m.group(2)
        row.append(quoted.replace(b'""', b'"') if quoted is not None else (plain or None))
        pos = m.end()
        if data[pos:pos + 1] == b"\n":
            rows.append(row)
            row = []
        pos += 1
    return rows


@functools.lru_cache(maxsize=None)
def _kinds(table: schema.Table) -> tuple[str, ...]:
    return tuple(convert._kind(c)[0] for c in table.columns)


def stored(table: schema.Table, row: list[bytes | None]) -> tuple:
    """A CSV row as the values PostgreSQL would store."""
    out = []
    for kind, field in zip(_kinds(table), row, strict=True):
        if field is None or kind == "varchar":
            out.append(field)
        elif kind == "integer":
            out.append(int(field))
        elif kind == "double":
            out.append(float(field).hex())
        else:
            out.append(datetime.fromisoformat(field.decode()))
    return tuple(out)


@functools.lru_cache(maxsize=4)
def stored_rows(table: schema.Table, data: bytes) -> tuple[tuple, ...]:
    """The rows of COPY CSV ``data`` as stored; parsed once for the readers that wrote the same bytes."""
    return tuple(stored(table, r) for r in csv_rows(data))


def outcome(chunks, table) -> tuple:
    chunks = list(chunks)
    data = b"".join(c.data for c in chunks)
    rows = list(stored_rows(table, data))
    rejects = [r for c in chunks for r in c.rejects]
    assert len(rows) == sum(c.rows for c in chunks)
    return rows, rejects, sum(c.records for c in chunks), [c.done_file for c in chunks].count(True), data


def both(path: Path, table: schema.Table, paths) -> tuple[tuple, tuple, tuple]:
    """(old path, new path, new reader without the fast path) over one file."""
    assert fastpath.make(table, paths) is not None
    return tuple(both_one(path, table, paths, kind) for kind in range(3))


def both_one(path: Path, table: schema.Table, paths, kind: int) -> tuple:
    """One of :func:`both`'s three readers (0 old, 1 new, 2 new without the fast path) over one file."""
    obj = sources.list_sources(str(path))[0]
    rows = convert.compile_rows(table, paths)
    parse = (lambda: records.parse_object(obj, table, rows), lambda: fastpath.parse_object(
        obj, table, rows, fastpath.make(table, paths)), lambda: fastpath.parse_object(obj, table, rows, None))[kind]
    return outcome(parse(), table)


def assert_same(path: Path, table: schema.Table, paths) -> tuple:
    old, new, exact = both(path, table, paths)
    assert new[0] == old[0], f"{path.name}: rows differ"
    assert new[1:4] == old[1:4], f"{path.name}: rejects or counts differ"
    assert exact[4] == old[4], f"{path.name}: the block reader changed the exact path's CSV"
    assert exact[1:4] == old[1:4]
    return old


EVENT_PATHS = jsonpaths.read_jsonpaths(str(datagen.JSONPATHS_FILE))


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of ~2 KB: every corpus line lands near a block edge somewhere."""
    monkeypatch.setattr(records, "READ_BLOCK", 2048)
    monkeypatch.setattr(fastpath, "FAST_BLOCK", 2048)
    monkeypatch.setattr(fastpath, "MIN_SPLIT_LINES", 4)


@pytest.mark.parametrize("blocks", ["default", "small"])
def test_the_fast_path_gives_the_corpus_the_same_rows_and_rejects_as_the_exact_path(tmp_path, request, blocks):
    if blocks == "small":
        request.getfixturevalue("small_blocks")
    corpus.write(tmp_path / "log_data", corpus.EVENT_FILES)
    corpus.write(tmp_path / "song_data", corpus.SONG_FILES)
    rejected = 0
    for files, folder, table, paths in ((corpus.EVENT_FILES, "log_data", schema.STAGING_EVENTS, EVENT_PATHS),
                                        (corpus.SONG_FILES, "song_data", schema.STAGING_SONGS, None)):
        for name in files:
            rejected += len(assert_same(tmp_path / folder / name, table, paths)[1])
    assert rejected == sum(o != "loaded" for _, exp in {**corpus.EVENT_FILES, **corpus.SONG_FILES}.values()
                           for o in exp.values())


BOUNDARY = [
    corpus.ev(itemInSession=2 ** 31 - 1), corpus.ev(itemInSession=2 ** 31), corpus.ev(itemInSession=-2 ** 31),
    corpus.ev(ts=0), corpus.ev(ts=-1), corpus.ev(ts=253402300799999), corpus.ev(ts=253402300800000),
    corpus.ev(ts=1541000000000.5), corpus.ev(length=2 ** 53 + 1), corpus.ev(length=1e308), corpus.ev(length=-0.0),
    corpus.ev(registration=5e-324), corpus.ev(gender="é" * 8), corpus.ev(gender="é" * 9),
    corpus.ev(userAgent="u" * 512), corpus.ev(userAgent="u" * 513), corpus.ev(userId=None),
    corpus.ev(length=1).replace(b'"length": 1', b'"length": 100000000000000000000'),
    corpus.ev(length=1).replace(b'"length": 1', b'"length": 1e400'),
    corpus.ev(length=1).replace(b'"length": 1', b'"length": Infinity'),
    corpus.ev(length=1).replace(b'"length": 1', b'"length": NaN'),
    corpus.ev(length=1).replace(b'"length": 1', b'"length": -Infinity'),
    corpus.ev(song="x").replace(b'"song": "x"', b'"song": "\\ud800"'),
    corpus.ev(song="x").replace(b'"song": "x"', b'"song": "a\\u0000b"'),
    corpus.ev(song="x").replace(b'"song": "x"', b'"song": "\xed\xa0\x80"'),
    corpus.ev(song="x").replace(b'"song": "x"', b'"song": "x", "song": "y"'),
    corpus.ev(extra=float("nan")).replace(b"NaN", b"NaN"),
    b"null", b"[]", b'"x"', b"", b"\r", b"  " + corpus.ev(ts=1541000000000), corpus.ev(ts=1541000000000) + b"  ",
    corpus.ev(ts=1541000000001).replace(b", ", b",\n", 1), b'{"a": 1}{"b": 2}', corpus.ev(status="200"),
    corpus.ev(ts=1541000000001) + corpus.ev(ts=1541000000002),  # two known objects on one line
]


@functools.lru_cache(maxsize=None)
def _generated(events: int) -> tuple[bytes, ...]:
    with tempfile.TemporaryDirectory() as tmp:
        datagen.generate(datagen.FolderSink(Path(tmp)), events=events, songs=50, users=20, days=1, seed=7)
        return tuple(next((Path(tmp) / "log_data").rglob("*.json")).read_bytes().splitlines())


def generated_lines(tmp_path: Path, events: int) -> list[bytes]:
    """One generated day of ``events`` lines (made once per size)."""
    return list(_generated(events))


def spliced(lines: list[bytes], bad: list[bytes], count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    lines = list(lines)
    for _ in range(count):
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(bad))
    return lines


def test_a_generated_day_converts_the_same_on_both_paths(tmp_path):
    lines = generated_lines(tmp_path, 20_000)
    path = tmp_path / "day.json"
    path.write_bytes(b"\n".join(lines) + b"\n")
    rows, rejects, count, files, _ = assert_same(path, schema.STAGING_EVENTS, EVENT_PATHS)
    assert (len(rows), rejects, count, files) == (20_000, [], 20_000, 1)


@pytest.mark.parametrize("seed, bad_lines, crlf, gz", [(1, 3, False, False), (2, 40, True, False),
                                                       (3, 300, False, True), (4, 1, False, False)])
def test_generated_files_with_hostile_lines_spliced_in_convert_the_same(tmp_path, small_blocks, seed, bad_lines,
                                                                        crlf, gz):
    hostile = BOUNDARY + [line for data, _ in corpus.EVENT_FILES.values() if not data.startswith(b"\x1f")
                          for line in data.split(b"\n")]
    lines = spliced(generated_lines(tmp_path, 3000), hostile, bad_lines, seed)
    data = (b"\r\n" if crlf else b"\n").join(lines)
    path = tmp_path / ("mixed.json.gz" if gz else "mixed.json")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    rows, rejects, count, _, _ = assert_same(path, schema.STAGING_EVENTS, EVENT_PATHS)
    assert len(rows) + len(rejects) == count >= 3000


def test_a_line_over_4_mb_between_good_blocks_fails_both_paths_at_the_same_line(tmp_path):
    """An object over 4 MB fails the whole load, as on Redshift (staging's COPY contract)."""
    lines = generated_lines(tmp_path, 3000)
    lines.insert(1500, corpus.ev(userAgent="z" * (5 << 20)))
    path = tmp_path / "huge.json"
    path.write_bytes(b"\n".join(lines))
    for path_kind in range(3):
        with pytest.raises(LoadError, match=r"huge.json line 1501: a JSON object over 4 MB"):
            both_one(path, schema.STAGING_EVENTS, EVENT_PATHS, path_kind)


def test_dense_rejects_give_up_the_fast_path_for_the_rest_of_the_file(tmp_path, small_blocks, monkeypatch):
    tries = []
    convert_block = fastpath.FastRows.convert

    def counted(self, block):
        tries.append(convert_block(self, block) is not None)
        return None if tries[-1] is False else convert_block(self, block)
    monkeypatch.setattr(fastpath.FastRows, "convert", counted)
    lines = generated_lines(tmp_path, 3000)
    path = tmp_path / "dense.json"
    path.write_bytes(b"\n".join(line if i % 10 else b"[]" for i, line in enumerate(lines)))
    old = assert_same(path, schema.STAGING_EVENTS, EVENT_PATHS)
    assert len(old[1]) == 300
    assert tries.count(False) == fastpath.FAILED_LIMIT
    assert len(tries) < 3000 * 460 / 2048 / 4  # then no more tries: most of the file's blocks never see pyarrow


def test_mappings_the_fast_path_cannot_take_go_the_exact_way():
    assert fastpath.make(schema.STAGING_EVENTS, [("a", "b")] + EVENT_PATHS[1:]) is None      # nested
    assert fastpath.make(schema.STAGING_EVENTS, [EVENT_PATHS[1]] + EVENT_PATHS[1:]) is None  # a key twice
    assert fastpath.make(schema.STAGING_SONGS, None) is not None                            # 'auto'


@pytest.mark.slow(seconds=15)
def test_each_hostile_line_alone_among_good_ones_converts_the_same(tmp_path):
    """One file per hostile line, placed among 400 good lines: no other bad line can
    send its block the exact way, so each guard of the fast path is tried on its own."""
    good = generated_lines(tmp_path, 400)
    hostile = BOUNDARY + [line for data, _ in corpus.EVENT_FILES.values() if not data.startswith(b"\x1f")
                          for line in data.split(b"\n")]
    for i, line in enumerate(hostile):
        path = tmp_path / f"alone-{i}.json"
        path.write_bytes(b"\n".join(good[:200] + [line] + good[200:]) + b"\n")
        assert_same(path, schema.STAGING_EVENTS, EVENT_PATHS)


UTF8_PIECES = [b"a", b"\x00", b"\x7f", b"\x80", b"\xbf", b"\xc0\x80", b"\xc1\xbf", b"\xc2\x80", b"\xdf\xbf",
               b"\xe0\x80\x80", b"\xe0\xa0\x80", b"\xed\x9f\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xee\x80\x80",
               b"\xef\xbf\xbf", b"\xf0\x80\x80\x80", b"\xf0\x90\x80\x80", b"\xf4\x8f\xbf\xbf", b"\xf4\x90\x80\x80",
               b"\xf5\x80\x80\x80", b"\xff", b"\xfe", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3", "é".encode()]


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_the_fast_paths_utf8_check_takes_exactly_what_python_decodes():
    """Surrogates, overlong forms, code points above U+10FFFF, cut sequences, stray continuation bytes,
    alone and inside ASCII runs long enough for the validator's wide loops: Arrow's check agrees with
    bytes.decode, which the fast path used before (the exact path's rule)."""
    rng = random.Random(31)
    seen = {True: 0, False: 0}
    for _ in range(20_000):
        data = b"".join(rng.choice(UTF8_PIECES) for _ in range(rng.randint(0, 6)))
        if rng.random() < 0.5:
            data = b"x" * rng.randint(0, 90) + data + b"y" * rng.randint(0, 90)
        expected = _decodes(data)
        assert fastpath.valid_utf8(data) is expected, data
        seen[expected] += 1
    assert min(seen.values()) > 2000  # both answers well exercised
