"""The measurements that repeat (``--repeat`` rounds, medians reported, each round's own ratio
taken because this machine's load moves between rounds, each round printed with the load average):
the event load against its COPY limit, the transform against its two anchors, and notebook 03 on
the small song files against the S3 GET floor plus the event load. A verdict whose rounds ran on a
machine busier than :data:`BUSY_PER_CORE` per core says so (:func:`busy`)."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.common import RESULTS, child, row, verdict

TARGET_TRANSFORM_RATIO = 1.5     # transform time / transform limit time (issue 21)


def notebooks(args, spec: dict, compacted: dict) -> dict:
    """03 through papermill: ``--repeat`` rounds of (the songs' S3 GET floor, the event load, 03 on
    the small song files), each round's three measured one after the other so that they share the
    machine's load of the moment (a floor measured half an hour earlier once came out 40 % slower
    than the notebook that contains it); the verdict is the median of the rounds' own ratios. Then
    03 once on the compacted songs."""
    rounds = []
    for i in range(max(1, args.repeat)):
        floor, events, notebook = (child("fetch_songs", spec), child("load_events", spec),
                                   child("notebook_03", spec))
        rounds.append({"floor": floor, "events": events, "notebook": notebook, "load": os.getloadavg()[0],
                       "ratio": notebook["seconds"] / (floor["seconds"] + events["seconds"])})
        print(f"notebook round {i + 1}: S3 GET floor {floor['seconds']:.1f} s + event load {events['seconds']:.1f} s, "
              f"03 {notebook['seconds']:.1f} s: {rounds[-1]['ratio']:.2f}x; load average {rounds[-1]['load']:.1f}")
    packed = child("notebook_03", dict(spec, song_data=compacted["manifest"]))
    packed["step"] = "notebook_03_compacted"
    floors = [r["floor"] for r in rounds]
    small = [r["notebook"] for r in rounds]
    return {"rounds": rounds, "floor": median(floors), "small": median(small), "packed": packed,
            "floor_note": f"; median of {seconds(floors)} s",
            "small_note": f"papermill 03_etl, {floors[0]['rows']:,} song files: load + transform + checks, kernel "
                          f"start included; median of {seconds(small)} s"}


BUSY_PER_CORE = 1.5  # 1-minute load average per core above which other work took the machine


def busy(loads: list[float], what: str) -> list[str]:
    """A line saying the verdict on ``what`` means little when, during its rounds, the 1-minute load
    average (``loads``, one per round) passed :data:`BUSY_PER_CORE` per core: other work shared the
    cores, and seconds measured then say more about it than about our code. Empty otherwise."""
    cores = os.cpu_count() or 1
    if not loads or max(loads) <= BUSY_PER_CORE * cores:
        return []
    return [f"  BUSY   {what}: load average {min(loads):.1f}-{max(loads):.1f} on {cores} cores during the "
            f"rounds (more than {BUSY_PER_CORE:g} per core): other work shared the machine, the verdict above "
            "means little; run the bench again on a quieter machine"]


def event_load(args, spec: dict) -> dict:
    """The event load (``load_events``) against its COPY limit (``copy_events``): ``--repeat`` rounds,
    the two in alternating order so that neither always runs first, each round's ratio taken within the
    round (the machine's load moves between rounds); the verdict is their median. Each round is printed
    with the load average."""
    runs: dict[str, list[dict]] = {"load_events": [], "copy_events": []}
    ratios, loads = [], []
    for i in range(max(1, args.repeat)):
        for name in ("load_events", "copy_events") if i % 2 == 0 else ("copy_events", "load_events"):
            runs[name].append(child(name, spec))
        ratios.append(runs["load_events"][-1]["seconds"] / runs["copy_events"][-1]["seconds"])
        loads.append(os.getloadavg()[0])
        print(f"event load round {i + 1}: load_events {runs['load_events'][-1]['seconds']:.2f} s, COPY limit "
              f"{runs['copy_events'][-1]['seconds']:.2f} s: {ratios[-1]:.2f}x; load average {loads[-1]:.1f}")
    load, copy = median(runs["load_events"]), median(runs["copy_events"])
    return {"load": load, "copy": copy, "ratios": ratios, "loads": loads,
            "load_note": f"load_local, emulator S3 -> staging_events; median of {seconds(runs['load_events'])} s",
            "copy_note": f"LIMIT: TRUNCATE + COPY FROM STDIN of the same rows, CSV file; median of "
                         f"{seconds(runs['copy_events'])} s"}


def seconds(runs: list[dict]) -> str:
    return ", ".join(f"{r['seconds']:.1f}" for r in runs)


def median(runs: list[dict]) -> dict:
    """The run with the median seconds (the lower middle one of an even count)."""
    return sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]


def middle(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def transform_anchors(args, spec: dict, tmp: Path, stamp: str, rows: list[dict]) -> dict:
    """Ours, the transform limit and DuckDB on the same staged rows (``benchmarks.anchors``):
    ``--repeat`` rounds, the three in alternating order so that none always runs first; each
    round's ratio is taken within the round (the machine's load moves between rounds), the
    verdict is their median. Then the outputs compared row for row, and the plans written."""
    spec = dict(spec, duckdb=str(tmp / "anchor.duckdb"))
    child("analyze_staging", spec)
    child("duckdb_stage", spec)
    names = ("transform", "transform_limit", "duckdb_transform")
    runs: dict[str, list[dict]] = {name: [] for name in names}
    loads = []
    for i in range(max(1, args.repeat)):
        for name in names if i % 2 == 0 else names[::-1]:
            runs[name].append(child(name, spec))
        loads.append(os.getloadavg()[0])
        print(f"transform round {i + 1}: " + ", ".join(f"{n} {runs[n][-1]['seconds']:.1f} s" for n in names)
              + f"; load average {loads[-1]:.1f}")
    ours, limit, duck = (median(runs[n]) for n in names)
    ratios = [o["seconds"] / lim["seconds"] for o, lim in zip(runs["transform"], runs["transform_limit"])]
    cpu = [o["backend_cpu_s"] / lim["backend_cpu_s"] for o, lim in zip(runs["transform"], runs["transform_limit"])]
    duck_ratios = [o["seconds"] / d["seconds"] for o, d in zip(runs["transform"], runs["duckdb_transform"])]

    def note(run: dict, what: str) -> str:
        every = seconds(runs[run["step"]])
        cpu_mem = (f"; server CPU {run['backend_cpu_s']:.1f} s, server peak {run['backend_peak_mb']} MB "
                   f"({run['backend_private_mb']} MB private)" if "backend_cpu_s" in run else "")
        return f"{what}; median of {every} s{cpu_mem}; " + ", ".join(f"{t} {s:.1f}" for t, s in run["tables"].items())

    rows += [row(ours, limit, note(ours, "staging -> star schema (transform.run)")),
             row(limit, limit, note(limit, "TRANSFORM LIMIT: one INSERT ... SELECT per table, same rows")),
             row(duck, limit, note(duck, "anchor: DuckDB running our transform SQL unchanged"))]
    check = child("transform_check", spec)
    explain = child("transform_explain", dict(spec, out=str(RESULTS / f"explain-transform-{stamp}.txt")))
    print(f"plans of the transform and its limit: {explain['note']}")
    verdicts = [verdict(f"transform / transform limit (median of the rounds' "
                         f"{', '.join(f'{r:.2f}' for r in ratios)})", middle(ratios), TARGET_TRANSFORM_RATIO, "x")]
    verdicts += busy(loads, "transform / transform limit")
    verdicts.append(f"  info   transform / transform limit in server CPU seconds: {middle(cpu):.2f}x "
                    f"({', '.join(f'{r:.2f}' for r in cpu)}); transform / DuckDB running the same SQL: "
                    f"{middle(duck_ratios):.2f}x ({', '.join(f'{r:.2f}' for r in duck_ratios)})")
    verdicts.append(f"  {'met   ' if check['same'] else 'MISSED'} the three outputs hold the same rows: "
                    f"{check['note']}")
    return {**ours, "verdicts": verdicts}
