"""What the benchmark's parts share: running one measurement in a child process, a
row of the table, a verdict line, and the medians of repeated rounds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def child(name: str, spec: dict) -> dict:
    """Run measurement ``name`` in a child process; its result plus its peak RSS in MB
    (``ru_maxrss`` of the child from ``wait4``, taken by the small launcher ``_spawn``)."""
    cmd = [sys.executable, "-m", "benchmarks._spawn", sys.executable, "-m", "benchmarks.measure", name,
           json.dumps(spec)]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"benchmark step {name} failed (exit {done.returncode}); see its output above")
    lines = [ln for ln in done.stdout.decode().splitlines() if ln.strip()]
    result = json.loads(lines[-2])
    result["peak_rss_mb"] = round(int(lines[-1].split()[1]) / 1024, 1)
    return result


def row(result: dict, limit: dict | None, note: str = "") -> dict:
    seconds, rows = result["seconds"], result["rows"]
    return {"step": result["step"], "rows": rows, "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds) if seconds else 0,
            "ratio_to_limit": round(seconds / limit["seconds"], 2) if limit else "",
            "peak_rss_mb": result["peak_rss_mb"], "extrapolated": result.get("extrapolated", False),
            "note": note or result.get("note", "")}


def verdict(label: str, value: float, target: float, unit: str) -> str:
    if value <= target:
        return (f"  met    {label}: {value:.2f}{unit} (target < {target:g}{unit}; "
                f"{(target - value) / target:.0%} to spare)")
    return f"  MISSED {label}: {value:.2f}{unit}, target < {target:g}{unit}: {value / target:.2f}x the target"
