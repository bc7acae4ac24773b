"""One load at a time, on both protocols, against the session's PostgreSQL:
another process holds the lock (a real second process), we wait and stop
with who holds it and since when; a holder killed with SIGKILL never blocks
the next load for ever."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import threading
import time

import pytest

from sparkify_nb import config, warehouse
from sparkify_nb.warehouse import lock

# A second process that takes the lock (waiting at most a few seconds: a broken lock makes it
# give up and say so, not hang), says so, and holds it until killed.
HOLDER = """
import sys, time
from sparkify_nb import config, warehouse
from sparkify_nb.warehouse import lock
settings = config.load(overrides={"general.target": "local"})
lock.acquire(settings, "03_etl", lambda _: None, protocol=sys.argv[1], expiry_seconds=int(sys.argv[2]),
             wait_seconds=int(sys.argv[3]))
print("HELD", flush=True)
time.sleep(300)
"""
HOLDER_WAIT_SECONDS = 5
READ_TIMEOUT_SECONDS = 60  # a Python start with its imports on a busy machine (30 s seen), plus its wait


def read_line(proc, timeout=READ_TIMEOUT_SECONDS) -> str:
    """The next line ``proc`` prints, or AssertionError after ``timeout`` seconds or at its end
    (with what it printed): a child that hangs fails the test instead of hanging it."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        proc.kill()
        raise AssertionError(f"no line from pid {proc.pid} within {timeout} s")
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        raise AssertionError(f"pid {proc.pid} ended (exit code {proc.returncode}) without printing a line")
    return line.strip()


@pytest.fixture
def settings():
    return config.load(overrides={"general.target": "local"})


def clear_lock(settings):
    """No holder, whatever an earlier test left (a killed table-protocol holder's row stays until it
    expires): each test starts from a free lock, in whatever order the tests run."""
    if lock._HELD is not None:
        lock._HELD.release()
    conn = warehouse.open_connection(settings)
    try:
        lock._run(conn, "create")
        warehouse.run(conn, ["DELETE FROM load_lock"])
    finally:
        conn.close()


TEST_SECONDS = 90  # each test takes under 15 s on a quiet machine, 30 s on a very busy one


def _too_long(signum, frame):
    raise TimeoutError(f"a lock test ran for more than {TEST_SECONDS} s: a wait that never ends?")


@pytest.fixture(autouse=True)
def free_lock(settings, monkeypatch):
    """A free lock before and after each test; no SQL of this test or its holders (they inherit the
    environment) that waits for a lock more than 10 s; and the test itself stopped after
    TEST_SECONDS (a wait loop that never gives up): a regression fails, it does not hang."""
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=10s -c statement_timeout=30s")
    clear_lock(settings)
    armed = threading.current_thread() is threading.main_thread()
    if armed:
        previous = signal.signal(signal.SIGALRM, _too_long)
        signal.alarm(TEST_SECONDS)
    try:
        yield
    finally:
        if armed:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        clear_lock(settings)


@pytest.fixture
def holder_process():
    started = []

    def start(protocol, expiry=60):
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, protocol, str(expiry), str(HOLDER_WAIT_SECONDS)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(proc)
        first = read_line(proc)
        if first != "HELD":
            proc.kill()
            rest = proc.communicate(timeout=10)[0]
            raise AssertionError(f"the holder did not get the lock:\n{first}\n{rest}")
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait(10)


def kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def heartbeats(settings, count, timeout):
    """The first ``count`` distinct heartbeat times of the lock's row (UTC), polled every 50 ms;
    AssertionError after ``timeout`` seconds."""
    conn = warehouse.open_connection(settings)
    seen: list = []
    deadline = time.monotonic() + timeout
    try:
        while len(seen) < count:
            assert time.monotonic() < deadline, f"{len(seen)} heartbeats in {timeout} s: {seen}"
            current = lock._holder(conn)
            if current is not None and current.heartbeat not in seen:
                seen.append(current.heartbeat)
            time.sleep(0.05)
    finally:
        conn.close()
    return seen


@pytest.mark.parametrize("protocol", ["advisory", "table"])
def test_a_second_load_waits_then_stops_saying_since_when_and_where_the_first_runs(settings, holder_process,
                                                                                     protocol):
    first = holder_process(protocol)
    notes = []
    t0 = time.monotonic()
    with pytest.raises(lock.LockTimeout, match=r"another load holds the warehouse since \d{4}-\d\d-\d\d "
                                               rf"\d\d:\d\d:\d\d UTC \(03_etl, pid {first.pid} on .+\); waited 2 s "
                                               r"\(\[etl\] lock_wait_seconds\)"):
        lock.acquire(settings, "03_etl", notes.append, wait_seconds=2, protocol=protocol)
    assert 2 <= time.monotonic() - t0 < 5
    assert notes[0].startswith("waiting for the warehouse: another load holds it since ")


def test_a_holder_killed_with_sigkill_frees_the_advisory_lock_at_once(settings, holder_process):
    kill(holder_process("advisory"))
    t0 = time.monotonic()
    with lock.held(settings, "03_etl", lambda _: None, wait_seconds=10, protocol="advisory") as held:
        assert held.current().where.startswith("03_etl, pid ")
    assert time.monotonic() - t0 < 3


def test_a_dead_holder_of_the_table_lock_blocks_only_until_its_heartbeat_expires(settings, holder_process):
    kill(holder_process("table", expiry=3))
    with pytest.raises(lock.LockTimeout):
        lock.acquire(settings, "03_etl", lambda _: None, wait_seconds=0, protocol="table", expiry_seconds=3)
    t0 = time.monotonic()
    with lock.held(settings, "03_etl", lambda _: None, wait_seconds=10, protocol="table", expiry_seconds=3):
        waited = time.monotonic() - t0
    assert 0 < waited < 5


def test_a_live_table_lock_holder_beats_every_quarter_of_its_expiry_and_keeps_the_lock_past_it(settings,
                                                                                                  holder_process):
    """Expiry 4 s: a beat every second. Gaps between beats are read from the row's own heartbeat
    times, so a busy machine can only make them longer: the shortest gap under 2 s tells a beat
    every expiry/4 from one every expiry/2 or every expiry."""
    holder_process("table", expiry=4)
    beats = heartbeats(settings, count=6, timeout=15)  # the taking and 5 beats: past the expiry
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(beats, beats[1:])]
    assert min(gaps) < 2, gaps
    assert (beats[-1] - beats[0]).total_seconds() > 4  # only the heartbeat keeps the row alive now
    with pytest.raises(lock.LockTimeout, match="another load holds the warehouse"):
        lock.acquire(settings, "03_etl", lambda _: None, wait_seconds=1, protocol="table", expiry_seconds=4)


@pytest.mark.parametrize("protocol", ["advisory", "table"])
def test_the_same_process_gets_its_lock_back_and_release_frees_it(settings, protocol):
    first = lock.acquire(settings, "03_etl", lambda _: None, wait_seconds=0, protocol=protocol)
    try:
        assert lock.acquire(settings, "03_etl", lambda _: None, wait_seconds=0, protocol=protocol) is first
    finally:
        first.release()
    conn = warehouse.open_connection(settings)
    try:
        assert lock._holder(conn) is None  # released: no row left to wait for
    finally:
        conn.close()
    with lock.held(settings, "02_schema", lambda _: None, wait_seconds=0, protocol=protocol) as again:
        assert again is not first and again.current().where.startswith("02_schema, pid ")
