"""Crash consistency of 03, for real: a papermill run of notebooks/03_etl.ipynb
(papermill and its Jupyter kernel) is killed with SIGKILL at many seeded
moments spread over the whole run, kernel start-up included, and run again;
every table of the warehouse then holds exactly what an uninterrupted run
leaves (row counts and a checksum of the contents)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from sparkify_nb import config, warehouse
from sparkify_nb.warehouse import schema
from tests import etl_cells
from tests.helpers import fingerprint

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "03_etl.ipynb"
TABLES = [t.name for t in schema.tables_for("postgres")]


def parameters(data):
    """03's parameters for the generated data set (they reach the load through config.load)."""
    return {"song_data": str(data / "song_data"), "log_data": str(data / "log_data"),
            "log_jsonpath": str(data / "log_json_path.json"), "max_errors": 0, "lock_wait_seconds": 60}


# papermill with the project's kernel (sparkify_nb.kernel), as `sparkify-nb run` starts it.
PAPERMILL = """
import json, sys
import papermill
from sparkify_nb import kernel
papermill.execute_notebook(sys.argv[1], sys.argv[2], parameters=json.loads(sys.argv[3]), progress_bar=False,
                           **kernel.options())
"""


def papermill(data, out):
    return subprocess.Popen([sys.executable, "-c", PAPERMILL, str(NOTEBOOK), str(out), json.dumps(parameters(data))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)


def kill_tree(proc) -> bool:
    """SIGKILL papermill and its kernel at once; False when the run had already ended."""
    try:
        parent = psutil.Process(proc.pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        family = []
    alive = proc.poll() is None
    for member in family:
        try:
            member.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    proc.wait(30)
    psutil.wait_procs(family, timeout=30)
    if isinstance(proc, etl_cells.Run):
        proc.close()
    elif proc.stdout:
        proc.stdout.close()
    return alive


def run_in_process(data):
    """03's cells, run here: the re-run after a kill (saves a kernel start)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    scope: dict = {"print": lambda *a, **k: None}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(cell.source.replace("# NBVAL_CHECK_OUTPUT", ""), scope)
            if "parameters" in cell.metadata.get("tags", []):
                scope.update(parameters(data))


@pytest.fixture
def conn():
    c = warehouse.open_connection(config.load(overrides={"general.target": "local"}))
    yield c
    c.close()


def recreate(conn):
    warehouse.run(conn, schema.drop_statements("postgres") + schema.create_statements("postgres"))


def timed_lines(data) -> list[float]:
    """An uninterrupted run of the plain runner: the second at which each line it printed
    came (0.0 first: the start), up to its last line before it ends."""
    t0 = time.monotonic()
    proc = start(data)
    times = [0.0] + [time.monotonic() - t0 for _ in proc.stdout]
    assert proc.wait(300) == 0
    return times[:-1]  # not after "ETL DONE": the run has ended there


def kill_after_line(proc, line: int, delay: float) -> bool:
    """SIGKILL ``proc`` ``delay`` seconds after its ``line``-th printed line (0: at its start)."""
    for _ in range(line):
        if not proc.stdout.readline():
            break
    time.sleep(delay)
    return kill_tree(proc)


@pytest.mark.slow(seconds=86)
def test_sigkill_at_26_seeded_moments_then_rerun_gives_the_uninterrupted_warehouse(data, conn, tmp_path):
    """Slow by design (~100 s on a 2-core VM, up to 190 s when it is busy): 27 runs of 03, 26 killed
    and re-run. Four kill papermill and its Jupyter kernel during start-up and the first cells
    (moments over the first 8 s). Twenty-two kill the process running 03's cells (the kernel's
    work without papermill's start-up) at moments spread over its whole run: after its k-th
    printed line (k = 0 .. every line, in turn: start-up, settings, the lock, each table's load,
    the merge, the checks) plus a seeded share of the time to the next line in an uninterrupted
    run, so they land by the run's progress, whatever the machine's speed. At least 20 must land
    before the run ends. The data set is small (8,000 events) so each run is short. Even rounds
    start from empty tables (a first load), odd ones from the full warehouse (a re-run)."""
    recreate(conn)
    timed_lines(data)  # warm: the first start of a Python reads its modules from disk
    recreate(conn)
    times = timed_lines(data)
    uninterrupted = fingerprint(conn, TABLES)
    assert uninterrupted["staging_events"][0] == 8_000 and uninterrupted["songplays"][0] > 5_000

    rng = random.Random(12)
    gaps = [later - earlier for earlier, later in zip(times, times[1:])] + [0.1]
    kills = [("papermill", 0, (n + rng.random()) * 8.0 / 4) for n in range(4)]
    kills += [("runner", n % len(times), 0.9 * rng.random() * gaps[n % len(times)]) for n in range(22)]
    killed_mid_run = 0
    for n, (kind, line, delay) in enumerate(kills):
        if n % 2 == 0:
            recreate(conn)
        if kind == "papermill":
            proc = papermill(data, tmp_path / f"killed-{n}.ipynb")
            time.sleep(delay)
            killed_mid_run += kill_tree(proc)
        else:
            killed_mid_run += kill_after_line(start(data), line, delay)
        run_in_process(data)
        assert fingerprint(conn, TABLES) == uninterrupted, f"after a kill of {kind} at line {line} + {delay:.2f} s"
    assert killed_mid_run >= 20


def start(data):
    """03's cells in a process of their own (a fork of a warm one: tests/etl_cells.py), its lines piped."""
    return etl_cells.Run(str(NOTEBOOK), parameters(data))


@pytest.mark.slow(seconds=5)
def test_sigkill_after_songs_are_staged_leaves_no_events_and_no_plays(data, conn):
    recreate(conn)
    proc = start(data)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("staging_songs:"):  # songs committed, events streaming in
            break
    assert proc.poll() is None, "03 finished before it could be killed:\n" + "".join(seen)
    proc.send_signal(signal.SIGKILL)
    rest = proc.stdout.read()  # everything it printed up to the kill, not only up to the marker
    proc.wait(30)
    printed = "".join(seen) + rest
    assert proc.returncode == -signal.SIGKILL
    assert "staging_events:" not in printed, "the kill came after the events load had committed:\n" + printed
    counts = warehouse.table_counts(conn, ["staging_songs", "staging_events", "songplays"])
    assert counts.row_count.tolist() == [100, 0, 0]
