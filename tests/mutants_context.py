"""Which TEST executed a line, in every process of a baseline run of ``make mutants`` (tests/mutants.py).

coverage.py records a dynamic context per line; this module sets it to the node id of the test that is
running, in the test process and in every process that process talks to (the rehearsal's Data API
endpoint, the AWS emulator with its IAM gate, notebook kernels, the CLI): so a mutant runs only the
test functions that executed its line, not the whole test modules.

- :data:`SITECUSTOMIZE` is written into the scratch copy as ``sitecustomize.py``; every Python process
  of the baseline imports it (the copy is first on ``PYTHONPATH``) after coverage's ``.pth`` has started
  coverage there (``COVERAGE_PROCESS_START``). Such a process registers itself under
  ``$MUTANTS_CONTEXT_DIR/pids`` and, on ``SIGUSR1``, switches its coverage context to the label in
  ``$MUTANTS_CONTEXT_DIR/current`` and acknowledges (``acks/<pid>``). It also logs each ``.sql`` file it
  opens, with the label current then.
- This module is also a pytest plugin (``-p tests.mutants_context``, baseline runs only): before each test
  it switches its own context to the test's node id and signals every registered process, waiting for
  each one's acknowledgement; after the test (teardown included) it switches all of them to ``""``.
  It writes each test's duration (setup + call + teardown) to ``durations.json``.

What cannot be attributed to one test is labelled ``""`` and counts for the whole test module: lines run
at import, collection or start-up (a server started by conftest before the first test), work a server
still does after its test ended, what a process records before it acknowledges a switch to a test
(the plugin waits :data:`ACK_TIMEOUT_S` for it), and every line of a process that did not switch back to
``""`` within :data:`END_TIMEOUT_S` (the plugin waits for that: else the next test's lines would count
as this one's; such a process is listed in ``deaf.txt``).
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

CONTEXT_ENV = "MUTANTS_CONTEXT_DIR"  # not SPARKIFY_*: conftest drops those before it starts the stack
ACK_TIMEOUT_S = 2.0  # to a test's label
END_TIMEOUT_S = 60.0  # back to ""

SITECUSTOMIZE = r'''import os, sys
CONTEXT = [""]  # the coverage context of this process now (the pytest plugin sets it in the test process)
_folder = os.environ.get("MUTANTS_CONTEXT_DIR")


def _current():
    try:
        with open(os.path.join(_folder, "current"), encoding="utf-8") as f:
            seq, _, label = f.read().partition("\n")
        return seq, label
    except OSError:
        return "0", ""


def _register(cov):
    import signal, psutil

    def switch(*_):
        seq, label = _current()
        CONTEXT[0] = label
        cov.switch_context(label)
        ack = os.path.join(_folder, "acks", str(os.getpid()))
        with open(ack + ".tmp", "w", encoding="utf-8") as f:
            f.write(seq)
        os.replace(ack + ".tmp", ack)

    signal.signal(signal.SIGUSR1, switch)
    for sub in ("pids", "acks"):
        os.makedirs(os.path.join(_folder, sub), exist_ok=True)
    with open(os.path.join(_folder, "pids", str(os.getpid())), "w", encoding="utf-8") as f:
        f.write(repr(psutil.Process().create_time()))
    switch()


if _folder:
    try:
        import coverage
        _cov = coverage.Coverage.current()
    except ImportError:
        _cov = None
    if _cov is not None:
        _register(_cov)
        os.register_at_fork(after_in_child=lambda: _register(_cov))

    def _opened(event, args):
        name = os.fspath(args[0]) if event == "open" and isinstance(args[0], (str, os.PathLike)) else ""
        if isinstance(name, str) and name.endswith(".sql"):
            with open(os.path.join(_folder, "opened.txt"), "a", encoding="utf-8") as out:
                out.write(CONTEXT[0] + "\t" + os.path.abspath(name) + "\n")
    sys.addaudithook(_opened)
'''


class _Switcher:
    def __init__(self, folder: Path):
        self.folder, self.seq, self.durations = folder, 0, {}
        for sub in ("pids", "acks"):
            (folder / sub).mkdir(parents=True, exist_ok=True)

    def switch(self, label: str) -> None:
        import coverage
        import psutil
        import sitecustomize

        self.seq += 1
        tmp = self.folder / "current.tmp"
        tmp.write_text(f"{self.seq}\n{label}", encoding="utf-8")
        os.replace(tmp, self.folder / "current")
        sitecustomize.CONTEXT[0] = label
        cov = coverage.Coverage.current()
        if cov is not None:
            cov.switch_context(label)
        waiting = []
        for entry in (self.folder / "pids").iterdir():
            pid = int(entry.name)
            if pid == os.getpid():
                continue
            try:  # the very process that registered (a pid can be reused), still running
                proc = psutil.Process(pid)
                if abs(proc.create_time() - float(entry.read_text())) > 0.01 or proc.status() == psutil.STATUS_ZOMBIE:
                    raise psutil.NoSuchProcess(pid)
                os.kill(pid, signal.SIGUSR1)
                waiting.append(pid)
            except (psutil.NoSuchProcess, ValueError, ProcessLookupError):
                entry.unlink(missing_ok=True)
        # A process that has not switched to a test yet records into "" (its whole module): waiting a little is
        # enough. One that has not switched back to "" would record the next test's lines as this one's: wait
        # until it does, or is gone, or END_TIMEOUT_S.
        started = time.monotonic()
        deadline = started + (ACK_TIMEOUT_S if label else END_TIMEOUT_S)
        while waiting and time.monotonic() < deadline:
            waiting = [pid for pid in waiting if not self._acked(pid) and _running(pid)]
            if waiting:
                time.sleep(0.005)
        with open(self.folder / "waits.txt", "a", encoding="utf-8") as out:
            out.write(f"{time.monotonic() - started:.3f} {len(waiting)} {label!r}\n")
        for pid in waiting if not label else ():  # its lines cannot be attributed to a test: its whole module
            with open(self.folder / "deaf.txt", "a", encoding="utf-8") as out:
                out.write(f"{pid} {' '.join(_cmdline(pid))[:200]}\n")
            (self.folder / "pids" / str(pid)).unlink(missing_ok=True)

    def _acked(self, pid: int) -> bool:
        try:
            return int((self.folder / "acks" / str(pid)).read_text() or 0) >= self.seq
        except (OSError, ValueError):
            return False


def _running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cmdline(pid: int) -> list[str]:
    import psutil

    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []


_SWITCHER: list[_Switcher] = []


def pytest_configure(config):
    folder = os.environ.get(CONTEXT_ENV)
    if folder and not _SWITCHER:
        _SWITCHER.append(_Switcher(Path(folder)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not _SWITCHER:
        yield
        return
    switcher = _SWITCHER[0]
    switcher.switch(item.nodeid)
    started = time.monotonic()
    yield
    switcher.durations[item.nodeid] = time.monotonic() - started
    switcher.switch("")


def pytest_sessionfinish(session):
    if _SWITCHER:
        (_SWITCHER[0].folder / "durations.json").write_text(json.dumps(_SWITCHER[0].durations), encoding="utf-8")
