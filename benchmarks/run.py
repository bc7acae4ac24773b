"""``make bench``: our staging load and transform against the machine's limits, on one generated data set.

    .venv/bin/python -m benchmarks.run [--events 1000000] [--songs 20000] [--users 10000] [--days 30]
                                       [--sample 20000] [--repeat 3] [--no-notebook] [--profile]
                                       [--memory-check] [--memory-events 10000000]
                                       [--no-rehearsal | --calls-only] [--load-only]

First (``--calls-only``: only this; ``--no-rehearsal``: not this) a rehearsal of 01 -> 04 on the
private stack counts the Redshift Data API calls each notebook makes (``sparkify_nb.warehouse.data_api_calls``,
from the run record): on Redshift each is a round trip far slower than a small query.

Everything runs on a private local stack (its own PostgreSQL files and AWS
emulator, in a temporary folder), as the tests do, so your stack is left alone.
Steps, each measurement in its own child process so that its peak resident
memory (``ru_maxrss`` of that child, from ``wait4``; see ``_spawn``) is its own:

1. ``generate``: the data set, written to a local folder by ``sparkify_nb.datagen``,
   then uploaded, untimed, into the emulator's S3 (``s3://<stack>-data/``).
2. ``load_songs`` / ``load_events``: ``sparkify_nb.staging.load_local`` from the
   emulator's S3 into staging: what notebook 03 does on ``local``.
3. ``fetch_songs`` / ``fetch_events``: only listing and reading the same objects
   from the emulator's S3 the way the loader does (same threads), parsing
   nothing: the floor the emulator sets under the loader (rows = objects).
4. ``copy_songs`` / ``copy_events``: **the limit**. Exactly the same rows,
   rendered beforehand (untimed) into a CSV file by the loader's own converter,
   sent with the loader's own COPY statement (``emulator.copy_sql``) from that
   file, in the loader's transaction shape: the table emptied beforehand outside
   the timer, then TRUNCATE + COPY + commit timed. What PostgreSQL takes in when
   nothing has to be fetched, parsed or converted. ``load_events`` and ``copy_events``
   run ``--repeat`` rounds in alternating order (``benchmarks.rounds.event_load``),
   each round printed with the load average; the verdict is the median of the
   rounds' own ratios, as for the transform.
5. anchors. Naive ones, on the first ``--sample`` rows into an UNLOGGED copy of
   the table (the kind the loader writes), **extrapolated** linearly to all the
   rows (marked ``*`` in the table): ``insert_rowwise`` (one INSERT per row),
   ``executemany`` (psycopg2), ``to_sql`` (pandas + SQLAlchemy). And what a user
   might pick instead: ``duckdb_read_json``, DuckDB's ``read_json`` of the same
   event files into its own table (no rejects, no PostgreSQL). The last two need
   ``pip install -e '.[bench]'``.
6. the transform and its anchors (``benchmarks.anchors`` says exactly what each is), on the
   same staged rows, ``--repeat`` rounds in alternating order, medians reported:
   ``transform`` (ours: ``transform.run``, the whole staging -> star schema SQL of 03);
   ``transform_limit``, **the transform limit**: the same rows of the five tables from one plain
   ``INSERT ... SELECT`` per table (``benchmarks/sql/transform_limit/``) into empty tables with
   the same indexes, no idempotency, no merge; ``duckdb_transform``: DuckDB running our
   transform SQL unchanged over the same rows. Then the three outputs are compared row for row,
   and ``EXPLAIN (ANALYZE, BUFFERS)`` of each statement of ours and of the limit is written to
   ``benchmarks/results/explain-transform-<run>.txt``. The verdict is the median of the rounds'
   own ratios (each round's runs share that moment's load); server CPU seconds are shown too.
7. ``compact_songs``: ``sparkify-nb compact`` of the song files (parts + manifest).
8. ``notebook_03``: the whole of notebooks/03_etl.ipynb through papermill (load,
   transform, quality checks; the kernel's start included): ``--repeat`` rounds on the
   small song files, each with its own ``fetch_songs`` floor and ``load_events`` just
   before it (``benchmarks.rounds``: the verdict is the median of the rounds' own
   ratios), then once (``notebook_03_compacted``) on the compacted manifest.

``--memory-check`` adds the 10M-event check (``--memory-only``: only that):
generate 10,000,000 events (30 daily files), load them with ``load_local`` and
transform them, reporting the peak RSS of the generator and of the loader
(targets: generator < 300 MB, loader < 500 MB) and of the PostgreSQL server
process that runs the transform, each next to its figure at ``--events``. It
needs ~15 GB of disk (the files, the emulator's copy, staging and the star
schema) and about half an hour on 2 cores; ``--memory-events 2000000`` gives a
smaller point of the same line.

Prints a table (seconds, rows/s, ratio to the COPY limit of the same table,
peak RSS) and how each target was met or missed, and writes it as CSV to
``benchmarks/results/`` (git-ignored). The machine is shared: numbers move by
10-20 % between runs; compare ratios measured in the same run, not seconds
across runs. A verdict whose rounds ran with a 1-minute load average above 1.5
per core is followed by a ``BUSY`` line: it means little.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import rounds
from benchmarks.common import RESULTS, ROOT, child, row, verdict

# Targets of issues 6 and 11, on the 2-core development machine.
TARGET_LOAD_RATIO = 1.2          # event load time / COPY limit time (issue 31; 1.3 in issue 11)
TARGET_NOTEBOOK_S = 60.0         # whole 03 notebook at 1M events, songs compacted
TARGET_FLOOR_RATIO = 1.2         # whole 03 with the small song files / (S3 GET floor of the songs + event load)
TARGET_LOADER_MB = 500           # loader peak RSS at 10M events
TARGET_GENERATOR_MB = 300        # generator peak RSS at 10M events
# Issue 31: 03 + 04 rehearsed in under a third of the Data API calls they made before it: 186
# (03: 143, 04: 43; python -m benchmarks.run --calls-only on the commit before, 2026-12-02).
CALLS_BEFORE = 186
TARGET_CALLS = CALLS_BEFORE / 3


# --- the parent: set-up, children, report ------------------------------------------------

def _private_stack(root: Path) -> None:
    for name in [n for n in os.environ if n.startswith("SPARKIFY_")]:
        del os.environ[name]
    os.environ.update(SPARKIFY_STATE_DIR=str(root / "state"), SPARKIFY_CONFIG=str(root / "dwh.cfg"),
                      SPARKIFY_REPORTS_DIR=str(root / "reports"), MPLBACKEND="Agg")


def _upload(settings, folder: Path, bucket: str, prefix: str = "", skip: str = "\0") -> None:
    from sparkify_nb import aws
    from sparkify_nb import datagen

    sink = datagen.S3Sink(aws.Clients(settings)("s3"), bucket, prefix)
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if not path.is_file() or key.startswith(skip):
            continue
        if path.stat().st_size > 4 * 2 ** 20:
            with sink.open(key) as handle, open(path, "rb") as source:
                shutil.copyfileobj(source, handle, 2 ** 20)
        else:
            sink.write(key, path.read_bytes())
    sink.close()


def _print_table(rows: list[dict]) -> None:
    print(f"\n{'step':<22}{'rows':>12}{'seconds':>11}{'rows/s':>11}{'x limit':>9}{'peak MB':>9}  note")
    for r in rows:
        ratio = f"{r['ratio_to_limit']:.2f}" if r["ratio_to_limit"] != "" else "-"
        mark = "*" if r["extrapolated"] else " "   # measured on a sample, scaled: not a measured time
        print(f"{r['step']:<22}{r['rows']:>12,}{r['seconds']:>10.2f}{mark}{r['rows_per_s']:>11,}{ratio:>9}"
              f"{r['peak_rss_mb']:>9.0f}  {r['note']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    env = os.environ.get
    parser.add_argument("--events", type=int, default=int(env("BENCH_EVENTS", 1_000_000)))
    parser.add_argument("--songs", type=int, default=int(env("BENCH_SONGS", 20_000)))
    parser.add_argument("--users", type=int, default=int(env("BENCH_USERS", 10_000)))
    parser.add_argument("--days", type=int, default=int(env("BENCH_DAYS", 30)))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sample", type=int, default=int(env("BENCH_SAMPLE", 20_000)),
                        help="rows the naive anchors insert (then extrapolated)")
    parser.add_argument("--repeat", type=int, default=int(env("BENCH_REPEAT", 3)),
                        help="rounds of the transform and its anchors (the median is reported)")
    parser.add_argument("--no-notebook", action="store_true", help="skip the papermill run of 03")
    parser.add_argument("--no-rehearsal", action="store_true",
                        help="skip the rehearsed 01 -> 04 that counts the Data API calls of 03 and 04")
    parser.add_argument("--load-only", action="store_true",
                        help="only the loads, their limits and the event load's profile (no anchors, transform, "
                             "compaction or notebook)")
    parser.add_argument("--calls-only", action="store_true",
                        help="only count the Data API calls of a rehearsed 03 and 04 (~2 min)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the event load (cProfile) into benchmarks/results/")
    parser.add_argument("--memory-check", action="store_true",
                        help="also generate and load 10,000,000 events for the memory targets (slow)")
    parser.add_argument("--memory-only", action="store_true", help="run the memory check and nothing else")
    parser.add_argument("--memory-events", type=int, default=10_000_000,
                        help="events of the memory check (default 10,000,000, the target's size)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="spk-bench-"))   # short: the PostgreSQL socket path is limited
    _private_stack(tmp)
    from sparkify_nb import config, infra, warehouse
    from sparkify_nb.local import stack as local_stack
    from sparkify_nb.warehouse import schema

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    verdicts: list[str] = []
    print(f"benchmark: {args.events:,} events in {args.days} daily files, {args.songs:,} songs, {args.users:,} users "
          f"(seed {args.seed}); private stack in {tmp}")
    local_stack.up()
    try:
        settings = config.load(overrides={"general.target": "local"})
        bucket = config.local_bucket(settings.stack_name)
        infra.ensure_bucket(settings, bucket, progress=lambda _: None)
        with warehouse.connection(settings) as conn:
            warehouse.run(conn, schema.drop_statements("postgres") + schema.create_statements("postgres"))
        if not (args.no_rehearsal or args.memory_only):
            _data_api_calls(verdicts)
        if args.calls_only:
            print("\n".join(verdicts))
            return 0
        small = {} if args.memory_only else _compare(args, settings, bucket, tmp, stamp, rows, verdicts)
        if args.memory_check or args.memory_only:
            _memory_check(args, settings, bucket, tmp, rows, verdicts, small)
    finally:
        local_stack.down()
        shutil.rmtree(tmp, ignore_errors=True)

    _print_table(rows)
    print(f"\nload average at the end (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores: above the core count, other work shared the machine")
    print("x limit: seconds / seconds of COPY FROM STDIN of the same table's rows from a CSV file (the events "
          "limit for the load anchors and the notebook); for transform, transform_limit and duckdb_transform: / the "
          "transform limit's median (the verdict takes the median of each round's own ratio instead)")
    print("*: extrapolated: measured on the first --sample rows, scaled linearly to all rows\n")
    print("targets:")
    print("\n".join(verdicts))
    out = RESULTS / f"bench-{stamp}.csv"
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["run", "events", *rows[0].keys()])
        writer.writeheader()
        for r in rows:
            writer.writerow({"run": stamp, "events": args.events, **r})
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0


def _data_api_calls(verdicts: list[str]) -> None:
    """The Data API calls of each notebook of a rehearsed 01 -> 04 (its run record), and issue 31's
    verdict on 03 + 04. Calls, not seconds: the rehearsal's latency is loopback's, not AWS's."""
    from sparkify_nb.warehouse import data_api_calls

    rehearsal = child("rehearsed_calls", {})
    print(f"\nData API calls of a rehearsed 01 -> 04 ({rehearsal['seconds']:.0f} s), from its run record:")
    for name, counts in rehearsal["calls"].items():
        print(f"  {name:<18} {data_api_calls.line(counts) if counts else 'none'}")
    total = sum(rehearsal["calls"][n].get("calls", 0) for n in ("03_etl", "04_analytics"))
    verdicts.append(verdict(f"Data API calls of a rehearsed 03 + 04 (before issue 31: {CALLS_BEFORE})", total,
                            TARGET_CALLS, " calls"))


def _compare(args, settings, bucket: str, tmp: Path, stamp: str, rows: list[dict], verdicts: list[str]) -> dict:
    """The loader against the limit and the anchors, then the transform and the notebook."""
    data = tmp / "data"
    gen = child("generate", dict(out=str(data), events=args.events, songs=args.songs, users=args.users,
                                  days=args.days, seed=args.seed))
    rows.append(row(gen, None, "datagen to a local folder (events + song files)"))
    t0 = time.monotonic()
    _upload(settings, data, bucket)
    print(f"uploaded to s3://{bucket}/ in {time.monotonic() - t0:.1f} s (untimed)")
    csvs = {"songs": str(tmp / "songs.csv"), "events": str(tmp / "events.csv")}
    rendered = child("render", dict(data=str(data), csv=csvs))
    print(f"rendered the same rows as CSV in {rendered['seconds']:.1f} s (untimed)")

    spec = dict(bucket=bucket, csv=csvs, sample=args.sample, total=rendered["events"], data=str(data))
    load_songs, copy_songs = child("load_songs", spec), child("copy_songs", spec)
    events = rounds.event_load(args, spec)
    load_events, copy_events = events["load"], events["copy"]
    fetch_events, convert_events = child("fetch_events", spec), child("convert_events", spec)
    stages = child("stages_events", spec)
    if args.load_only:
        anchors, transform_rows, transform, compacted, notebooks = [], [], None, None, {}
    else:
        anchors = [child(anchor, spec) for anchor in ("insert_rowwise", "executemany", "to_sql", "duckdb_read_json")]
        transform_rows = []
        transform = rounds.transform_anchors(args, spec, tmp, stamp, transform_rows)
        compacted = child("compact_songs", spec)
        notebooks = {} if args.no_notebook else rounds.notebooks(args, spec, compacted)
    fetch_songs = notebooks["floor"] if notebooks else child("fetch_songs", spec)
    rows += [row(load_songs, copy_songs, "load_local, emulator S3 -> staging_songs"),
             row(fetch_songs, copy_songs, fetch_songs["note"] + notebooks.get("floor_note", "")),
             row(copy_songs, copy_songs, "LIMIT: TRUNCATE + COPY FROM STDIN of the same rows, CSV file"),
             row(load_events, copy_events, events["load_note"]),
             row(fetch_events, copy_events), row(convert_events, copy_events),
             row(copy_events, copy_events, events["copy_note"])]
    rows += [row(anchor, copy_events) for anchor in anchors] + transform_rows + ([row(compacted, None)] if compacted
                                                                                 else [])
    if notebooks:
        rows += [row(notebooks["small"], copy_events, notebooks["small_note"]),
                 row(notebooks["packed"], copy_events, "papermill 03_etl, songs from the compacted manifest")]
    if args.profile:
        prof = child("profile_events", dict(spec, out=str(RESULTS / f"profile-load_events-{stamp}.txt")))
        print(f"profile of the event load: {prof['note']}")
    _targets(args, verdicts, dict(copy_events=copy_events, load_events=load_events, transform=transform,
                                  notebooks=notebooks, gen=gen, events=events, convert=convert_events,
                                  stages=stages))
    return {"load_events": load_events, "transform": transform}


def _targets(args, verdicts: list[str], m: dict) -> None:
    """The met/missed lines of issue 11's targets, each with by how much."""
    limit = m["copy_events"]["seconds"]
    ratios = m["events"]["ratios"]
    verdicts.append(verdict(f"event load / COPY limit (median of the rounds' {', '.join(f'{r:.2f}' for r in ratios)})",
                            rounds.middle(ratios), TARGET_LOAD_RATIO, "x"))
    verdicts += rounds.busy(m["events"]["loads"], "event load / COPY limit")
    load, copy, conv = m["load_events"], m["copy_events"], m["convert"]
    verdicts.append(f"  info   event load profile (median rounds): load {load['seconds']:.2f} s wall, loader CPU "
                    f"{load['client_cpu_s']:.2f} s, PostgreSQL CPU {load['backend_cpu_s']:.2f} s; COPY limit "
                    f"{copy['seconds']:.2f} s wall, PostgreSQL CPU {copy['backend_cpu_s']:.2f} s; GET + parse + "
                    f"convert alone {conv['seconds']:.2f} s wall, CPU {conv['client_cpu_s']:.2f} s")
    verdicts.append(f"  info   event load producer, {m['stages']['note']}")
    verdicts += [f"  info   {cores_bound(load, copy, cores)}" for cores in sorted({os.cpu_count() or 2, 4})]
    if m["transform"] is None:  # --load-only
        return
    verdicts += m["transform"]["verdicts"]
    verdicts.append(f"  info   transform / events COPY limit (issue 11's measure, superseded by the transform "
                    f"limit): {m['transform']['seconds'] / limit:.2f}x")
    notebooks = m["notebooks"]
    scale = "" if args.events == 1_000_000 else f" (target is for 1,000,000 events; this run has {args.events:,})"
    if notebooks:
        verdicts.append(verdict("notebook 03, songs compacted" + scale, notebooks["packed"]["seconds"],
                                 TARGET_NOTEBOOK_S, " s"))
        ratios = [r["ratio"] for r in notebooks["rounds"]]
        verdicts.append(verdict(f"notebook 03, {notebooks['floor']['rows']:,} song files / (S3 GET floor + event "
                                 f"load), each round's own (median of {', '.join(f'{r:.2f}' for r in ratios)})",
                                 rounds.middle(ratios), TARGET_FLOOR_RATIO, "x"))
        verdicts += rounds.busy([r["load"] for r in notebooks["rounds"]], "notebook 03 / its floor")
    if args.memory_check or args.memory_only:
        return
    verdicts.append(f"  (memory targets are for 10M events: run with --memory-check; at {args.events:,} "
                    f"events the loader peaked at {m['load_events']['peak_rss_mb']:.0f} MB, the generator at "
                    f"{m['gen']['peak_rss_mb']:.0f} MB)")


def cores_bound(load: dict, copy: dict, cores: int = 2) -> str:
    """What ``cores`` free cores would allow the event load at best against its COPY limit, from the
    CPU seconds each asked for in its median round (the loader's threads, the PostgreSQL backend, and
    for the load the emulator's process serving the GETs): neither can take less wall time than its
    CPU spread over the cores, nor less than its backend's COPY alone. A ratio above the target here
    is out of reach on such a machine, however the threads are scheduled."""
    def best(run: dict) -> tuple[float, float]:
        asked = run["client_cpu_s"] + run["backend_cpu_s"] + run.get("emulator_cpu_s", 0.0)
        return asked, max(asked / cores, run["backend_cpu_s"])

    (asked, ours), (limit_asked, limit) = best(load), best(copy)
    return (f"event load on {cores} free cores, from CPU seconds: it asks for {asked:.2f} s (loader "
            f"{load['client_cpu_s']:.2f}, PostgreSQL {load['backend_cpu_s']:.2f}, emulator "
            f"{load.get('emulator_cpu_s', 0.0):.2f}), the limit for {limit_asked:.2f} s: at best {ours:.2f} s "
            f"against {limit:.2f} s, {ours / limit:.2f}x the limit")


def _memory_check(args, settings, bucket: str, tmp: Path, rows: list[dict], verdicts: list[str],
                  small: dict) -> None:
    """Generate ``--memory-events`` events (10M by default), load them and transform them: peak
    RSS of the generator and of the loader (their processes), and of the PostgreSQL server process
    that runs the transform (``VmHWM``: includes the shared buffers it touched, at most
    ``shared_buffers``; and its private memory, ``RssAnon``). ``small``: the same steps of the
    ``--events`` run, when there was one, for how memory grows with the number of events."""
    big = tmp / "big"
    n = args.memory_events
    mgen = child("generate", dict(out=str(big), events=n, songs=args.songs, users=args.users,
                                   days=args.days, seed=args.seed))
    rows.append(row(mgen, None, f"memory check: datagen, {n:,} events"))
    _upload(settings, big, bucket, "big", skip="song_data/")   # the event loader reads log_data only
    shutil.rmtree(big, ignore_errors=True)
    mload = child("load_events", dict(bucket=bucket, prefix="big/"))
    rows.append(row(mload, None, f"memory check: load_local of {n:,} events from emulator S3"))
    scale = "" if n == 10_000_000 else " (the target is for 10,000,000)"
    verdicts.append(verdict(f"generator peak RSS at {n:,} events{scale}", mgen["peak_rss_mb"],
                             TARGET_GENERATOR_MB, " MB"))
    verdicts.append(verdict(f"loader peak RSS at {n:,} events{scale}", mload["peak_rss_mb"], TARGET_LOADER_MB, " MB"))
    child("analyze_staging", {})
    mtrans = child("transform", {})
    rows.append(row(mtrans, None, f"memory check: transform of {n:,} events (songs: those the --events run "
                                   f"staged, none with --memory-only); server peak {mtrans['backend_peak_mb']} MB "
                                   f"({mtrans['backend_private_mb']} MB private), server CPU "
                                   f"{mtrans['backend_cpu_s']:.0f} s"))
    verdicts.append(f"  info   transform at {n:,} events: PostgreSQL server process peak "
                    f"{mtrans['backend_peak_mb']} MB ({mtrans['backend_private_mb']} MB private), the client "
                    f"{mtrans['peak_rss_mb']:.0f} MB")
    if small:
        events = args.events
        for what, at_small, at_big in (
                ("loader peak RSS", small["load_events"]["peak_rss_mb"], mload["peak_rss_mb"]),
                ("transform server peak", small["transform"]["backend_peak_mb"], mtrans["backend_peak_mb"]),
                ("transform server private peak", small["transform"]["backend_private_mb"],
                 mtrans["backend_private_mb"])):
            verdicts.append(f"  info   {what}: {at_small:.0f} MB at {events:,} events, {at_big:.0f} MB at {n:,} "
                            f"({at_big / at_small:.2f}x for {n / events:.0f}x the events)")


if __name__ == "__main__":
    sys.exit(main())
