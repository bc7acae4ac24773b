"""03's code cells run in a process forked from one that has already imported what 03 imports
(the crash tests' runs of 03): a fresh interpreter spends ~1.7 s of CPU importing sparkify_nb,
pandas and psycopg2 before 03's first line, and the crash test starts 27 of them. A fork of a
warm process is killed and watched as the interpreter was: SIGKILL to its pid, its printed lines
read from a pipe as they come. Only this module and what it imports are loaded by the fork
server (``multiprocessing``'s forkserver: its server process imports the preload list once,
each run is a fork of it)."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from pathlib import Path

from sparkify_nb import config, runrecord, staging, warehouse  # noqa: F401  what 03 imports: warm in the fork server

# The same, as a program for a fresh interpreter (``python -u -c RUNNER notebook params-json``): for runs that
# must see environment set after the fork server started (a private stack's SPARKIFY_STATE_DIR), which a
# fork of it would not.
RUNNER = f"""
import json, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from tests.etl_cells import run_cells
run_cells(sys.argv[1], json.loads(sys.argv[2]))
"""

_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload([__name__])


def run_cells(notebook: str, params: dict) -> None:
    """03's code cells in order, the parameters cell's values replaced by ``params``, as papermill
    does; prints "ETL DONE" at the end."""
    with open(notebook, encoding="utf-8") as f:
        nb = json.load(f)
    scope: dict = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"]
        exec(source if isinstance(source, str) else "".join(source), scope)
        if "parameters" in cell["metadata"].get("tags", []):
            scope.update(params)
    print("ETL DONE", flush=True)


def _child(notebook: str, params: dict, out) -> None:
    sys.stdout = sys.stderr = open(out.fileno(), "w", buffering=1, closefd=False)  # line by line to the pipe
    run_cells(notebook, params)
    sys.stdout.flush()


class Run:
    """One run of 03's cells in a fork: ``pid``, ``stdout`` (its lines, text), ``poll()``,
    ``wait(timeout)`` and ``returncode`` as :class:`subprocess.Popen` has them (a SIGKILL is -9)."""

    def __init__(self, notebook: str, params: dict):
        reader, writer = _FORKS.Pipe(duplex=False)
        self._process = _FORKS.Process(target=_child, args=(notebook, params, writer), daemon=True)
        self._process.start()
        writer.close()  # the child's copy is the only writer left: its end is the pipe's end
        self._reader = reader
        self.stdout = open(reader.fileno(), "r", closefd=False)
        self.pid = self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        return self._process.exitcode

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def close(self) -> None:
        self.stdout.close()
        self._reader.close()
