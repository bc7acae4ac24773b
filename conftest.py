"""Test-session set-up shared by the unit tests (tests/) and nbval (notebooks/).

Each process that runs tests gets its own state folder, config file and
reports folder, and starts its own local stack there (its own database files,
socket and emulator port), so tests never touch the stack or dwh.cfg of the
person running them, nor each other's. nbval's kernels inherit this
environment. The stack is stopped when the process ends.

`make test` runs the suite in parallel with pytest-xdist (``-n``): the
controller runs no test and starts no stack; each worker is such a process,
with a private stack of its own (a database that tests recreate cannot be
shared). A plain ``pytest tests/test_x.py`` runs in one process, one stack.

Scheduling (``--dist loadgroup``): tests marked ``slow(seconds=N)`` are sent
out first, longest first, so that the run does not end waiting for one long
test started last; the notebooks are one unit (nbval runs 01 -> 99 in order
on one worker's stack, first, on a fresh stack as `make notebooks` does).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_SESSION: dict[str, Path] = {}
NOTEBOOKS_GROUP = "notebooks"
NOTEBOOK_SECONDS = 25.0  # nbval over the five notebooks, as one unit


def _runs_no_test(config) -> bool:
    """The controller of an xdist run (its workers run the tests), or a collection only."""
    distributing = not hasattr(config, "workerinput") and config.getoption("dist", "no") != "no"
    return distributing or config.getoption("collectonly", False)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow(seconds): a test that takes about that many seconds on a quiet "
                                       "2-core machine; the parallel run starts the longest first")
    if _SESSION:
        return
    # (SPARKIFY_REQUEST_LOG stays: make boto3-floor records the requests of a test run with it)
    for name in [n for n in os.environ if n.startswith("SPARKIFY_") and n != "SPARKIFY_REQUEST_LOG"]:
        del os.environ[name]  # a developer's SPARKIFY_DSN or target must not leak into the tests
    if _runs_no_test(config):
        return
    worker = getattr(config, "workerinput", {}).get("workerid", "test")
    # Short base path: the PostgreSQL socket path must stay under 107 bytes.
    root = Path(tempfile.mkdtemp(prefix=f"spk-{worker}-"))
    _SESSION["root"] = root
    os.environ["SPARKIFY_STATE_DIR"] = str(root / "state")
    os.environ["SPARKIFY_CONFIG"] = str(root / "dwh.cfg")  # absent: defaults, target local
    os.environ["SPARKIFY_REPORTS_DIR"] = str(root / "reports")
    os.environ["MPLBACKEND"] = "Agg"
    from sparkify_nb import local

    local.up()


def _seconds(item) -> float:
    if item.path.suffix == ".ipynb":
        return NOTEBOOK_SECONDS
    mark = item.get_closest_marker("slow")
    return float(mark.kwargs.get("seconds", mark.args[0] if mark.args else 10)) if mark else 0.0


def pytest_collection_modifyitems(config, items):
    """In a worker: slow tests first, longest first (the notebooks count as one slow unit)."""
    if not hasattr(config, "workerinput"):
        return  # one process: collection order (tests/, then the notebooks)
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (-_seconds(item), order[id(item)]))


def _unit(nodeid: str) -> str:
    """What one worker runs in one go: the notebooks together (nbval runs them in order in one
    worker's stack: 03 loads what 01 seeded), every other test alone."""
    return NOTEBOOKS_GROUP if nodeid.split("::", 1)[0].endswith(".ipynb") else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's scope scheduler with our units (:func:`_unit`), sent in the workers' order.
    (Not ``--dist loadgroup``: its group marks are lost on pytest 9.2, whose node ids no
    longer come from the ``_nodeid`` that xdist 3.8 suffixes with the group.)"""
    from xdist.scheduler import LoadScopeScheduling

    class Units(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    config.option.loadscopereorder = False  # the workers' order: longest first
    return Units(config, log)


def pytest_unconfigure(config):
    root = _SESSION.pop("root", None)
    if root is None:
        return
    from sparkify_nb import local

    local.down()
    shutil.rmtree(root, ignore_errors=True)
