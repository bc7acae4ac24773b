"""The report of a ``make mutants`` run (tests/mutants.py): per file and for the room, killed / survived /
not reached / equivalent, the score with its 95 % (Wilson) interval when the mutants are a sample, the
time per mutant, and every survivor."""

from __future__ import annotations

import math
import statistics
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tests.mutation_rooms import ROOT, Room

OUTCOMES = ("killed", "survived", "not reached", "equivalent", "error")


@dataclass
class Result:
    mutant: Any  # tests.mutants.Mutant
    outcome: str  # one of OUTCOMES
    why: str  # the failing test's node id, "timeout after N s", or what went wrong
    seconds: float  # wall time of the mutant's runs
    tests: int  # how many test functions ran against it (at most)


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a share ``killed / n``."""
    if n == 0:
        return 0.0, 1.0
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def score(outcomes: list[str], sample: bool = False) -> str:
    """killed / (decided - equivalent), and the interval for a sample."""
    counted = [o for o in outcomes if o in ("killed", "survived", "not reached")]
    if not counted:
        return "-"
    killed = outcomes.count("killed")
    text = f"{killed / len(counted):.0%}"
    if sample:
        low, high = wilson(killed, len(counted))
        text += f" (95 % CI {low:.0%}-{high:.0%})"
    return text


def revision() -> str:
    """The commit the work tree is at, ``+ changes`` when a tracked file differs from it (call it when the
    scratch copy is made: that is what the run measures)."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return commit + (" + changes" if dirty else "")


def report(room: Room, pkg: str, results: list[Result], population: int, sample: str, baseline_s: float,
           seconds: float, load: tuple[float, float], command: str, commit: str, started: datetime) -> str:
    when = started.strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Mutants of {pkg} (room: {room.name}), {when}, commit {commit}", "",
             f"`python -m tests.mutants {command}`" + (f": a {sample}" if sample else f": {population} mutants"), "",
             "| file | mutants | " + " | ".join(OUTCOMES) + " | score |",
             "|---|---|---|---|---|---|---|---|"]
    for f in sorted({str(r.mutant.file) for r in results}) + ["all"]:
        mine = [r.outcome for r in results if f in ("all", str(r.mutant.file))]
        lines.append(f"| {f} | {len(mine)} | " + " | ".join(str(mine.count(k)) for k in OUTCOMES)
                     + f" | {score(mine, bool(sample) and f == 'all')} |")
    ran = [r.seconds for r in results if r.tests]
    timeouts = sum(r.why.startswith("timeout") for r in results)
    lines += ["", f"Target {room.target:.0%} of non-equivalent mutants killed."
                  + (f" A {sample}: the interval is the score's 95 % Wilson interval." if sample else ""),
              f"Baseline {baseline_s / 60:.1f} min; {len(results)} mutants, whole run {seconds / 60:.1f} min; "
              f"per mutant that ran tests: median {statistics.median(ran) if ran else 0:.1f} s, "
              f"mean {statistics.fmean(ran) if ran else 0:.1f} s, max {max(ran, default=0):.1f} s; "
              f"{timeouts} killed by a timeout; load average {load[0]:.1f} at the start, {load[1]:.1f} at the end.",
              "", "## Survivors", ""]
    lines += [f"- {r.mutant.describe()}{' (no test reaches the line)' if r.outcome == 'not reached' else ''}"
              for r in results if r.outcome in ("survived", "not reached")]
    errors = [r for r in results if r.outcome == "error"]
    if errors:
        lines += ["", "## Not decided (the test run itself failed)", ""]
        lines += [f"- {r.mutant.describe()}: {r.why}" for r in errors]
    return "\n".join(lines) + "\n"
