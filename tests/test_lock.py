"""One load at a time, on both protocols, against the session's PostgreSQL:
another process holds the lock (a real second process), we wait and stop
with who holds it and since when; a holder killed with SIGKILL never blocks
the next load for ever."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from sparkify_nb import config
from sparkify_nb.warehouse import lock

# A second process that takes the lock, says so, and holds it until killed.
HOLDER = """
import sys, time
from sparkify_nb import config
from sparkify_nb.warehouse import lock
settings = config.load(overrides={"general.target": "local"})
lock.acquire(settings, "03_etl", lambda _: None, protocol=sys.argv[1], expiry_seconds=int(sys.argv[2]))
print("HELD", flush=True)
time.sleep(300)
"""


@pytest.fixture
def settings():
    return config.load(overrides={"general.target": "local"})


@pytest.fixture
def holder_process():
    started = []

    def start(protocol, expiry=60):
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, protocol, str(expiry)], stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout.readline().strip() == "HELD"
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait(10)


def kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


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


def test_a_live_table_lock_holder_keeps_it_past_its_expiry_by_its_heartbeat(settings, holder_process):
    holder_process("table", expiry=2)
    time.sleep(3)  # longer than the expiry: only the heartbeat keeps the row alive
    with pytest.raises(lock.LockTimeout, match="another load holds the warehouse"):
        lock.acquire(settings, "03_etl", lambda _: None, wait_seconds=1, protocol="table", expiry_seconds=2)


def test_the_same_process_gets_its_lock_back_and_release_frees_it(settings):
    first = lock.acquire(settings, "03_etl", lambda _: None, wait_seconds=0)
    try:
        assert lock.acquire(settings, "03_etl", lambda _: None, wait_seconds=0) is first
    finally:
        first.release()
    with lock.held(settings, "02_schema", lambda _: None, wait_seconds=0) as again:
        assert again is not first and again.current().where.startswith("02_schema, pid ")
