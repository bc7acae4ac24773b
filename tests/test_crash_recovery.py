"""The local stack after a crash: PostgreSQL killed with SIGKILL in the middle
of 03's load comes back with `local up` (crash recovery) and a re-run gives the
warehouse of an uninterrupted run; an emulator killed is restarted by `local up`,
which says that its AWS state is gone and 01 must run again."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psutil
import pytest

from sparkify_nb import cli, config, warehouse
from sparkify_nb.local import stack as local_stack
from sparkify_nb.warehouse import schema
from tests.helpers import fingerprint
from tests.etl_cells import RUNNER
from tests.test_etl_kill import NOTEBOOK, TABLES, parameters, run_in_process


def gone(processes, timeout=10.0):
    """Wait until ``processes`` are reaped (not ours: init reaps them; PostgreSQL takes a zombie
    that still holds its lock file for a live server)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(psutil.pid_exists(p.pid) for p in processes):  # a zombie's pid exists until it is reaped
            return
        time.sleep(0.05)
    raise AssertionError(f"killed processes still present: {[p.pid for p in processes]}")


def recreate(settings):
    with warehouse.connection(settings) as conn:
        warehouse.run(conn, schema.drop_statements("postgres") + schema.create_statements("postgres"))


@pytest.mark.slow(seconds=6)
def test_postgres_killed_mid_load_then_local_up_and_a_rerun_give_the_uninterrupted_warehouse(
        private_state, data, monkeypatch):
    """~15 s: a private stack (its own PostgreSQL), three runs of 03 on 8,000 events."""
    settings = config.load(overrides={"general.target": "local"})
    recreate(settings)
    run_in_process(data)  # the uninterrupted run, on the session's database
    with warehouse.connection(settings) as conn:
        uninterrupted = fingerprint(conn, TABLES)

    monkeypatch.setenv("SPARKIFY_STATE_DIR", str(private_state))
    local_stack.up(private_state)
    recreate(settings)
    postmaster = psutil.Process(local_stack.status(private_state)["postgres"]["pid"])
    proc = subprocess.Popen([sys.executable, "-u", "-c", RUNNER, str(NOTEBOOK), json.dumps(parameters(data))],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if line.startswith("staging_songs:"):  # songs committed, events streaming in
            break
    family = [postmaster] + postmaster.children(recursive=True)
    for process in family:
        process.send_signal(signal.SIGKILL)  # the database dies as in a power cut, backends and all
    output = proc.stdout.read()
    gone(family)
    assert proc.wait(60) != 0 and "ETL DONE" not in output
    assert local_stack.status(private_state)["postgres"]["running"] is False

    assert local_stack.up(private_state)["postgres"]["running"] is True
    run_in_process(data)
    with warehouse.connection(settings) as conn:
        assert fingerprint(conn, TABLES) == uninterrupted


def test_a_killed_emulator_is_restarted_by_local_up_which_says_01_must_run_again(private_state, monkeypatch,
                                                                                   capsys):
    first = local_stack.up(private_state)
    assert "notice" not in first
    emulator = psutil.Process(first["emulator"]["pid"])
    emulator.send_signal(signal.SIGKILL)
    emulator.wait(10)
    monkeypatch.setenv("SPARKIFY_STATE_DIR", str(private_state))
    assert cli.main(["local", "up"]) == 0
    captured = capsys.readouterr()
    assert ("local stack: the AWS emulator had stopped and was started again, empty: the AWS state it held "
            "(bucket, sample data, role, cluster record) is gone; run 01_infrastructure again") in captured.err
    again = local_stack.up(private_state)  # running now: nothing to say
    assert "notice" not in again and again["emulator"]["pid"] != first["emulator"]["pid"]
