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

Scheduling (our own, :func:`pytest_xdist_make_scheduler`): tests marked
``slow(seconds=N)`` are sent out first, longest first, so that the run does
not end waiting for one long test started last; the notebooks are one unit
(nbval runs 01 -> 99 in order on one worker's stack), and so are the tests of
a module whose ``pytestmark`` names ``shared_setup`` (an expensive
module-scoped fixture runs once, not on every worker). A module like that
marks itself slow too, so that its unit starts early::

    pytestmark = [pytest.mark.shared_setup, pytest.mark.slow(seconds=60)]
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

_SESSION: dict[str, Path | bool] = {}
NOTEBOOKS_GROUP = "notebooks"
NOTEBOOK_SECONDS = 25.0  # nbval over the five notebooks, as one unit
# make mutants (tests/mutants.py) runs the tests hundreds of times on one stack that it starts and stops itself
# (it restarts the rehearsal's endpoint, where mutated code runs, before each run): the folder of that stack.
SHARED_STACK_ENV = "SPARKIFY_TEST_SHARED_STACK"
SHARED_SETUP = re.compile(r"^pytestmark\s*=.*\bpytest\.mark\.shared_setup\b", re.MULTILINE)
# A worker's stack holds 300-650 MB of PostgreSQL files by the end of `make test` (each rehearsed cluster is a
# database). On a disk, every commit and checkpoint waits for its fsync, and the end of the run waited 20-30 s per
# worker for PostgreSQL's shutdown checkpoint and the folder's removal (12-16 s and 5-11 s, measured 2026-12-03 on
# this machine's ext4, mounted with `discard`). In memory (tmpfs) the same is a moment. Only where it has room.
MEMORY_FS = Path("/dev/shm")
MEMORY_FS_ROOM = 4 << 30  # bytes free: the four workers' stacks at their largest, with room to spare


def stacks_parent() -> str | None:
    """The folder the test stacks' folders go in: :data:`MEMORY_FS` when it exists, is writable and has
    :data:`MEMORY_FS_ROOM` free, else None (the temporary folder: ``$TMPDIR`` or /tmp), and None whenever
    ``TMPDIR`` is set (whoever set it chose where temporary files go)."""
    if os.environ.get("TMPDIR") or not (MEMORY_FS.is_dir() and os.access(MEMORY_FS, os.W_OK)):
        return None
    fs = os.statvfs(MEMORY_FS)
    return str(MEMORY_FS) if fs.f_bavail * fs.f_frsize >= MEMORY_FS_ROOM else None


def _runs_no_test(config) -> bool:
    """The controller of an xdist run (its workers run the tests), or a collection only."""
    distributing = not hasattr(config, "workerinput") and config.getoption("dist", "no") != "no"
    return distributing or config.getoption("collectonly", False)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow(seconds): a test that takes about that many seconds on a quiet "
                                       "2-core machine; the parallel run starts the longest first")
    config.addinivalue_line("markers", "shared_setup: as the module's pytestmark, on one line: its tests share an "
                                       "expensive module-scoped set-up, so one worker runs them all")
    if _SESSION:
        return
    shared = os.environ.get(SHARED_STACK_ENV, "")
    # (SPARKIFY_REQUEST_LOG stays: make boto3-floor records the requests of a test run with it)
    for name in [n for n in os.environ if n.startswith("SPARKIFY_") and n != "SPARKIFY_REQUEST_LOG"]:
        del os.environ[name]  # a developer's SPARKIFY_DSN or target must not leak into the tests
    if _runs_no_test(config):
        return
    worker = getattr(config, "workerinput", {}).get("workerid", "test")
    # Short base path: the PostgreSQL socket path must stay under 107 bytes.
    root = Path(shared) if shared else Path(tempfile.mkdtemp(prefix=f"spk-{worker}-", dir=stacks_parent()))
    _SESSION["root"] = root
    _SESSION["keep"] = bool(shared)
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


@functools.lru_cache(maxsize=None)
def _shares_setup(path: Path) -> bool:
    """Whether the test module declares ``pytestmark = ... pytest.mark.shared_setup ...`` (on one
    line). Read from its text: the xdist controller, which makes the units, collects no test."""
    try:
        return SHARED_SETUP.search(path.read_text(encoding="utf-8")) is not None
    except OSError:
        return False


def _unit(nodeid: str, root: Path) -> str:
    """What one worker runs in one go: the notebooks together (nbval runs them in order in one
    worker's stack: 03 loads what 01 seeded), the tests of a module marked shared_setup together
    (its module-scoped set-up runs once, not once per worker), every other test alone."""
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return NOTEBOOKS_GROUP
    return path if _shares_setup(root / path) else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's scope scheduler with our units (:func:`_unit`), sent in the workers' order.
    (Not ``--dist loadgroup``: its group marks are lost on pytest 9.2, whose node ids no
    longer come from the ``_nodeid`` that xdist 3.8 suffixes with the group.)"""
    from xdist.scheduler import LoadScopeScheduling

    root = Path(config.rootpath)

    class Units(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid, root)

    config.option.loadscopereorder = False  # the workers' order: longest first
    return Units(config, log)


def _stop_stack() -> None:
    root = _SESSION.pop("root", None)
    if root is None or _SESSION.pop("keep", False):
        return
    from sparkify_nb import local

    local.down()
    shutil.rmtree(root, ignore_errors=True)


@pytest.hookimpl(trylast=True)  # after the session's fixtures are torn down (their connections closed)
def pytest_sessionfinish(session):
    """Stop this process's stack when its session ends, not at unconfigure: an xdist worker has
    then told the controller it finished, and execnet kills it 10 s later, which a stack still
    stopping on a busy machine would outlive (a PostgreSQL left running, its folder left behind)."""
    _stop_stack()


def pytest_unconfigure(config):
    _stop_stack()  # a session that ended before sessionfinish (an error at collection)
