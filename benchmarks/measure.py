"""One measurement of the benchmark, run as a child process by ``benchmarks.run``:

    python -m benchmarks.measure NAME SPEC_JSON

It prints one JSON line ``{"step", "rows", "seconds", ...}`` last; the parent
reads the child's peak resident memory from ``wait4``. The environment (state
folder of the private stack) comes from the parent.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable

from sparkify_nb import aws, config, warehouse
from sparkify_nb import datagen
from sparkify_nb.local import stack as local_stack
from sparkify_nb.staging import convert, emulator, jsonpaths as jsonpaths_file, records, sources
from sparkify_nb.warehouse import schema

from benchmarks import anchors

MEASURES: dict[str, Callable[[dict], dict]] = {}
QUIET = lambda _: None  # noqa: E731


def measure(fn: Callable[[dict], dict]) -> Callable[[dict], dict]:
    MEASURES[fn.__name__] = fn
    return fn


def _settings() -> Any:
    return config.load(overrides={"general.target": "local"})


def _reset_star(conn: Any) -> None:
    tables = schema.STAR_TABLES
    warehouse.run(conn, [f'DROP TABLE IF EXISTS "{t.name}"' for t in tables]
                  + [s for t in tables for s in schema.create_table(t, "postgres")])


@measure
def generate(spec: dict) -> dict:
    t0 = time.monotonic()
    stats = datagen.generate(datagen.FolderSink(spec["out"]), events=spec["events"], songs=spec["songs"],
                             users=spec["users"], days=spec["days"], seed=spec["seed"])
    return {"rows": stats["events"], "seconds": time.monotonic() - t0}


@measure
def render(spec: dict) -> dict:
    """The rows the loader would send, as CSV files (untimed preparation of the limit)."""
    t0 = time.monotonic()
    counts = {}
    for name, table, source, jsonpaths in (
            ("songs", schema.STAGING_SONGS, f"{spec['data']}/song_data", None),
            ("events", schema.STAGING_EVENTS, f"{spec['data']}/log_data", str(datagen.JSONPATHS_FILE))):
        paths = jsonpaths_file.read_jsonpaths(jsonpaths) if jsonpaths else None
        rows = convert.compile_rows(table, paths)
        loaded = rejected = 0
        # the loader's own record -> CSV conversion (same rows, byte for byte)
        with open(spec["csv"][name], "wb") as out:
            for obj in sources.list_sources(source):
                for chunk in records.parse_object(obj, table, rows):
                    out.write(chunk.data)
                    loaded += chunk.rows
                    rejected += len(chunk.rejects)
        if rejected:
            raise SystemExit(f"render: {rejected} records of {name} rejected; expected none")
        counts[name] = loaded
    return {"rows": counts["events"], "seconds": time.monotonic() - t0, **counts}


def _load(spec: dict, table: schema.Table, folder: str, jsonpaths: str | None) -> dict:
    settings = _settings()
    prefix = spec.get("prefix", "")
    clients = aws.Clients(settings)  # once per step, as 03 does
    clients("s3")  # made before the timer, as 03 has made it to list the sources (clients are made on first use)
    emulator_pid = local_stack.status()["emulator"]["pid"]
    with warehouse.connection(settings) as conn, anchors.Backend(conn) as server:
        t0, cpu0, emu0 = time.monotonic(), _cpu(), anchors.process_cpu(emulator_pid)
        report = emulator.load_local(conn, table, f"s3://{spec['bucket']}/{prefix}{folder}",
                                     jsonpaths and f"s3://{spec['bucket']}/{prefix}{jsonpaths}", 0,
                                     clients=clients, progress=QUIET)
        seconds, cpu = time.monotonic() - t0, _cpu() - cpu0
        emu = anchors.process_cpu(emulator_pid) - emu0   # the emulator's S3 serving the GETs, its own process
    return {"rows": report.loaded, "seconds": seconds, "client_cpu_s": round(cpu, 2), "emulator_cpu_s": round(emu, 2),
            **server.facts()}


def _cpu() -> float:
    """CPU seconds (user + system) of this process so far, all its threads."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@measure
def convert_events(spec: dict) -> dict:
    """The loader's producer side alone (profile of the event load): list, GET, parse and convert
    every event object with the loader's own threads and fast path, the CSV blocks read off its
    queue and dropped, no COPY. Wall seconds and this process's CPU seconds."""
    settings = _settings()
    clients = aws.Clients(settings)
    table = schema.STAGING_EVENTS
    t0, cpu0 = time.monotonic(), _cpu()
    paths = jsonpaths_file.read_jsonpaths(f"s3://{spec['bucket']}/log_json_path.json", clients)
    objects = sources.list_sources(f"s3://{spec['bucket']}/log_data", clients)
    report = emulator.LoadReport(table.name)
    pipeline = emulator._Pipeline(objects, table, convert.compile_rows(table, paths), report, 0, QUIET,
                                  emulator.fastpath.make(table, paths))
    size = 0
    while block := pipeline.read():
        size += len(block)
    return {"rows": report.loaded, "seconds": time.monotonic() - t0, "client_cpu_s": round(_cpu() - cpu0, 2),
            "note": f"GET + parse + convert only ({emulator.worker_threads(objects)} threads), "
                    f"{size / 2 ** 20:,.0f} MiB of CSV dropped: no COPY"}


def _thread_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


@measure
def stages_events(spec: dict) -> dict:
    """Where the event load's producer spends its CPU, per stage: every event object read from the
    emulator's S3 and converted by the loader's own code (``fastpath.parse_object``) in one thread,
    each stage's calls timed in this thread's CPU seconds (``RUSAGE_THREAD``): the GET (the body's
    reads), the line guards, the UTF-8 check, pyarrow's JSON parse, the value checks, the CSV write;
    ``rest``: the block reader and the glue. One thread: the shares, not the pipeline's wall time."""
    from sparkify_nb.staging import fastpath

    settings = _settings()
    clients = aws.Clients(settings)
    table = schema.STAGING_EVENTS
    paths = jsonpaths_file.read_jsonpaths(f"s3://{spec['bucket']}/log_json_path.json", clients)
    objects = sources.list_sources(f"s3://{spec['bucket']}/log_data", clients)
    spent: dict[str, float] = {}

    def timed(name: str, fn: Callable) -> Callable:
        def call(*args: Any, **kwargs: Any) -> Any:
            c0 = _thread_cpu()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + _thread_cpu() - c0
        return call

    class Body:  # the object's stream, its reads timed
        def __init__(self, stream: Any):
            self.read, self.close = timed("GET (botocore body reads)", stream.read), stream.close

    patches = [(fastpath, "_line_count", "line guards (numpy)"), (fastpath, "valid_utf8", "UTF-8 check"),
               (fastpath.pa_json, "read_json", "JSON parse (pyarrow read_json)"),
               (fastpath.FastRows, "_values_fit", "value checks (pyarrow compute)"),
               (fastpath.pa_csv, "write_csv", "CSV write (pyarrow)")]
    patches = [(where, attr, name) for where, attr, name in patches if hasattr(where, attr)]  # older code: fewer
    saved = [(where, attr, getattr(where, attr)) for where, attr, _ in patches]
    for where, attr, name in patches:
        setattr(where, attr, timed(name, getattr(where, attr)))
    rows, fast = convert.compile_rows(table, paths), fastpath.make(table, paths)
    loaded = 0
    try:
        t0, c0 = time.monotonic(), _thread_cpu()
        for obj in objects:
            opened = sources.SourceObject(obj.name, lambda obj=obj: Body(timed("GET (request)", obj.open)()), obj.size)
            loaded += sum(chunk.rows for chunk in fastpath.parse_object(opened, table, rows, fast))
        seconds, cpu = time.monotonic() - t0, _thread_cpu() - c0
    finally:
        for where, attr, fn in saved:
            setattr(where, attr, fn)
    spent["rest (block reader, glue)"] = cpu - sum(spent.values())
    per = {name: round(s / loaded * 1e6, 2) for name, s in sorted(spent.items(), key=lambda kv: -kv[1])}
    return {"rows": loaded, "seconds": seconds, "client_cpu_s": round(cpu, 2), "us_per_event": per,
            "note": "one thread, CPU us an event: " + ", ".join(f"{n} {v:.2f}" for n, v in per.items())}


@measure
def load_songs(spec: dict) -> dict:
    return _load(spec, schema.STAGING_SONGS, "song_data", None)


@measure
def load_events(spec: dict) -> dict:
    return _load(spec, schema.STAGING_EVENTS, "log_data", "log_json_path.json")


def _fetch(spec: dict, folder: str) -> dict:
    """Only list and read the objects, as the loader does (same threads), parsing nothing:
    the floor the emulator's S3 sets under the loader."""
    from concurrent.futures import ThreadPoolExecutor

    clients = aws.Clients(_settings())  # made before the timer, as in _load
    clients("s3")
    t0 = time.monotonic()
    objects = sources.list_sources(f"s3://{spec['bucket']}/{spec.get('prefix', '')}{folder}", clients)

    def read(obj: sources.SourceObject) -> int:
        stream, size = obj.open(), 0
        while block := stream.read(records.READ_BLOCK):
            size += len(block)
        return size

    threads = emulator.worker_threads(objects)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        size = sum(pool.map(read, objects))
    seconds = time.monotonic() - t0
    return {"rows": len(objects), "seconds": seconds,
            "note": f"S3 floor: list + GET of {len(objects):,} objects ({size / 2 ** 20:,.0f} MiB), "
                    f"{threads} threads, no parsing; rows = objects"}


@measure
def fetch_songs(spec: dict) -> dict:
    return _fetch(spec, "song_data")


@measure
def fetch_events(spec: dict) -> dict:
    return _fetch(spec, "log_data")


@measure
def profile_events(spec: dict) -> dict:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    result = load_events(spec)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)
    with open(spec["out"], "w") as out:
        out.write(text.getvalue())
    # cProfile sees the main thread only; the S3 fetches run in the loader's threads
    return {**result, "note": f"cProfile of the main thread written to {spec['out']}"}


def _copy(spec: dict, table: schema.Table, name: str) -> dict:
    """The limit: COPY of the rendered CSV in the loader's own transaction shape (TRUNCATE of the
    table, emptied beforehand outside the timer, then COPY with the loader's options, one commit),
    so that neither side pays for work the other does not (issue 14: a DELETE of the loader's rows
    inside the timer flattered every ratio by ~12 %)."""
    settings = _settings()
    columns = ", ".join(f'"{c}"' for c in table.column_names)
    with warehouse.connection(settings) as conn:
        with conn.cursor() as cur:
            cur.execute(f'TRUNCATE "{table.name}"')
        conn.commit()
        with anchors.Backend(conn) as server:
            t0, cpu0 = time.monotonic(), _cpu()
            with conn.cursor() as cur, open(spec["csv"][name], "rb") as source:
                cur.execute(f'TRUNCATE "{table.name}"')
                cur.copy_expert(emulator.copy_sql(table), source, size=records.READ_BLOCK)
                rows = cur.rowcount
            conn.commit()
            seconds, cpu = time.monotonic() - t0, _cpu() - cpu0
    return {"rows": rows, "seconds": seconds, "client_cpu_s": round(cpu, 2), **server.facts()}


@measure
def copy_songs(spec: dict) -> dict:
    return _copy(spec, schema.STAGING_SONGS, "songs")


@measure
def copy_events(spec: dict) -> dict:
    return _copy(spec, schema.STAGING_EVENTS, "events")


def _sample(conn: Any, n: int) -> tuple[list[str], list[tuple]]:
    names = schema.STAGING_EVENTS.column_names
    quoted = ", ".join(f'"{c}"' for c in names)
    with conn.cursor() as cur:
        cur.execute(f"SELECT {quoted} FROM staging_events LIMIT %s", (n,))
        rows = cur.fetchall()
    conn.rollback()
    return names, rows


def _anchor_table(conn: Any, name: str) -> None:
    """A copy of staging_events of the same kind (UNLOGGED, as the loader writes into)."""
    with conn.cursor() as cur:
        cur.execute(f'DROP TABLE IF EXISTS "{name}"')
        cur.execute(f'CREATE UNLOGGED TABLE "{name}" (LIKE staging_events)')
    conn.commit()


def _extrapolate(spec: dict, rows: int, seconds: float, how: str) -> dict:
    total = spec["total"]
    return {"rows": total, "seconds": seconds * total / rows, "extrapolated": True,
            "note": f"{how}: {rows:,} rows in {seconds:.2f} s, x{total / rows:.1f}"}


def _insert_anchor(spec: dict, table: str, how: str, insert: Callable[[Any, str, list], None]) -> dict:
    """Time ``insert(cursor, sql, rows)`` on the sample rows into a fresh anchor table, extrapolated."""
    with warehouse.connection(_settings()) as conn:
        names, rows = _sample(conn, spec["sample"])
        _anchor_table(conn, table)
        sql = f'INSERT INTO {table} ({", ".join(names)}) VALUES ({", ".join(["%s"] * len(names))})'
        t0 = time.monotonic()
        with conn.cursor() as cur:
            insert(cur, sql, rows)
        conn.commit()
        seconds = time.monotonic() - t0
    return _extrapolate(spec, len(rows), seconds, how)


@measure
def insert_rowwise(spec: dict) -> dict:
    def one_by_one(cur: Any, sql: str, rows: list) -> None:
        for row in rows:
            cur.execute(sql, row)
    return _insert_anchor(spec, "bench_insert", "one INSERT per row, one commit", one_by_one)


@measure
def executemany(spec: dict) -> dict:
    return _insert_anchor(spec, "bench_executemany", "psycopg2 executemany",
                          lambda cur, sql, rows: cur.executemany(sql, rows))


@measure
def to_sql(spec: dict) -> dict:
    import pandas as pd

    try:
        import sqlalchemy
    except ImportError:
        return {"rows": 0, "seconds": 0.0, "note": "skipped: SQLAlchemy not installed (pip install -e '.[bench]')"}
    import psycopg2

    from sparkify_nb.local import stack as local_stack

    dsn = local_stack.dsn()
    engine = sqlalchemy.create_engine("postgresql+psycopg2://", creator=lambda: psycopg2.connect(dsn))
    with warehouse.connection(_settings()) as conn:
        names, rows = _sample(conn, spec["sample"])
    frame = pd.DataFrame(rows, columns=names)
    t0 = time.monotonic()
    frame.to_sql("bench_to_sql", engine, if_exists="replace", index=False, chunksize=10_000)
    seconds = time.monotonic() - t0
    engine.dispose()
    return _extrapolate(spec, len(rows), seconds, "pandas.DataFrame.to_sql (SQLAlchemy, default method)")


@measure
def notebook_03(spec: dict) -> dict:
    """The whole of 03 through papermill (``spec["song_data"]``: the songs' source, e.g. a manifest)."""
    import shutil
    import tempfile

    from sparkify_nb import runner

    with warehouse.connection(_settings()) as conn:
        _reset_star(conn)
    out = tempfile.mkdtemp(prefix="spk-bench-nb-")
    params = {"song_data": spec["song_data"]} if spec.get("song_data") else {}
    try:
        t0 = time.monotonic()
        runner.run_suite(["03_etl"], target="local", parameters=params, out=out, progress=QUIET)
        return {"rows": spec["total"], "seconds": time.monotonic() - t0}
    finally:
        shutil.rmtree(out, ignore_errors=True)


@measure
def rehearsed_calls(spec: dict) -> dict:
    """A rehearsal of 01 -> 04 on the private stack (``sparkify-nb run --rehearse``: every Data
    API call a Redshift run makes, served by the local endpoint); the Data API calls each notebook
    made, from its run record (``steps.<notebook>.data_api``)."""
    import shutil
    import tempfile

    from sparkify_nb import runner

    out = tempfile.mkdtemp(prefix="spk-bench-rh-")
    try:
        t0 = time.monotonic()
        run_dir = runner.run_suite(runner.SUITE, out=out, progress=QUIET, rehearse=True)
        seconds = time.monotonic() - t0
        steps = json.loads((run_dir / "run.json").read_text())["steps"]
        return {"rows": 0, "seconds": seconds,
                "calls": {name: steps.get(name, {}).get("data_api", {}) for name in runner.SUITE}}
    finally:
        shutil.rmtree(out, ignore_errors=True)


@measure
def compact_songs(spec: dict) -> dict:
    """sparkify-nb compact of the song files on the emulator's S3 (parts + manifest beside them)."""
    from sparkify_nb.staging import compaction

    settings = _settings()
    clients = aws.Clients(settings)
    bucket = spec["bucket"]
    t0 = time.monotonic()
    report = compaction.compact(f"s3://{bucket}/song_data/", f"s3://{bucket}/compact/song_data",
                                settings=settings, clients=clients, progress=QUIET)
    return {"rows": report.objects, "seconds": time.monotonic() - t0, "manifest": report.manifest,
            "note": f"sparkify-nb compact: {report.objects:,} song files -> {len(report.parts)} gzip parts "
                    f"+ manifest; rows = files"}


@measure
def duckdb_read_json(spec: dict) -> dict:
    """What a user might pick instead: DuckDB's read_json of the same event files (from the local
    folder, all threads) into a DuckDB table. No per-record rejects, no PostgreSQL: not our contract."""
    try:
        import duckdb
    except ImportError:
        return {"rows": 0, "seconds": 0.0, "note": "skipped: duckdb not installed (pip install -e '.[bench]')"}
    con = duckdb.connect()
    t0 = time.monotonic()
    con.execute(f"CREATE TABLE events AS SELECT * FROM read_json('{spec['data']}/log_data/**/*.json', "
                "format='newline_delimited')")
    rows = con.execute("SELECT COUNT(*) FROM events").fetchall()[0][0]
    return {"rows": rows, "seconds": time.monotonic() - t0,
            "note": "anchor: DuckDB read_json of the same files into its own table (types inferred; "
                    "no rejects, no PostgreSQL)"}


def main() -> None:
    MEASURES.update(anchors.MEASURES)   # the transform and its anchors
    name, spec = sys.argv[1], json.loads(sys.argv[2])
    result = MEASURES[name](spec)
    result["step"] = name
    sys.stdout.flush()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
