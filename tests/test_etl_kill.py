"""A process killed with SIGKILL in the middle of 03 and run again ends with
exactly the counts of an uninterrupted run (for real: a subprocess runs the
code cells of notebooks/03_etl.ipynb against the session's PostgreSQL, and is
killed while it loads staging, and while it merges the star schema)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from sparkify_nb import config, warehouse

from sparkify_nb import datagen

from sparkify_nb.warehouse import schema

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("staging_events", "staging_songs", "songplays", "users", "songs", "artists", "time")

# Runs 03's code cells in order, with the parameters cell overridden, like papermill.
RUNNER = """
import json, sys
import nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
params = json.loads(sys.argv[2])
scope = {}
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    exec(cell.source, scope)
    if "parameters" in cell.metadata.get("tags", []):
        scope.update(params)
print("ETL DONE", flush=True)
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill")
    datagen.generate(datagen.FolderSink(root), events=60_000, songs=400, users=200, days=10, seed=7)
    return root


def parameters(data):
    """03's parameters for the generated data set (they reach the load through config.load)."""
    return {"song_data": str(data / "song_data"), "log_data": str(data / "log_data"),
            "log_jsonpath": str(data / "log_json_path.json"), "max_errors": 0}


def start(data):
    return subprocess.Popen([sys.executable, "-u", "-c", RUNNER, str(ROOT / "notebooks" / "03_etl.ipynb"),
                             json.dumps(parameters(data))], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def run_in_process(data):
    """The same cells, run here: the uninterrupted reference (saves a Python start-up)."""
    params = parameters(data)
    nb = nbformat.read(ROOT / "notebooks" / "03_etl.ipynb", as_version=4)
    scope: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(cell.source, scope)
            if "parameters" in cell.metadata.get("tags", []):
                scope.update(params)


def run_to_end(data):
    proc = start(data)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0 and "ETL DONE" in out, out


def kill_after(data, marker: str, delay: float) -> str:
    """Start 03, wait for an output line starting with ``marker``, wait ``delay``
    seconds more and SIGKILL it; return what it printed. Fails if it ended first."""
    proc = start(data)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(marker):
            break
    time.sleep(delay)
    assert proc.poll() is None, "03 finished before it could be killed:\n" + "".join(seen)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return "".join(seen)


def counts(conn) -> dict[str, int]:
    frame = warehouse.table_counts(conn, TABLES)
    return dict(zip(frame.table_name, frame.row_count))


@pytest.fixture
def conn():
    settings = config.load(overrides={"general.target": "local"})
    c = warehouse.open_connection(settings)
    c.autocommit = True
    yield c
    c.close()


def recreate(conn):
    warehouse.run(conn, schema.drop_statements("postgres") + schema.create_statements("postgres"))


def test_sigkill_during_load_and_during_merge_then_rerun_gives_the_uninterrupted_counts(data, conn):
    recreate(conn)
    run_in_process(data)
    uninterrupted = counts(conn)
    assert uninterrupted["songplays"] > 45_000

    recreate(conn)
    printed = kill_after(data, "staging_songs:", 0.3)    # songs staged, events streaming in
    assert "staging_events:" not in printed
    assert counts(conn)["staging_events"] == 0 and counts(conn)["songplays"] == 0
    run_to_end(data)
    assert counts(conn) == uninterrupted

    kill_after(data, "staging_events:", 0.2)             # staging committed, the merge under way
    run_to_end(data)
    assert counts(conn) == uninterrupted
