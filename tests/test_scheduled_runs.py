"""What an operator schedules and reads: two 03 runs at once never interleave
(the second waits, or stops naming the first); a daily `sparkify-nb run` of 03
and 04 writes a run record that shows only that day's work; a failed run exits
non-zero with its record saying why; `sparkify-nb runs` lists the records."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from sparkify_nb import config, staging, warehouse
from sparkify_nb.warehouse import schema, transform
from tests.helpers import fingerprint
from tests.etl_cells import RUNNER
from tests.test_etl_kill import NOTEBOOK, TABLES, parameters, run_in_process


def recreate(conn):
    """The tables as 02 leaves them, the analysts' grants included (04 runs as the analyst)."""
    warehouse.run(conn, schema.drop_statements("postgres") + schema.create_statements("postgres"))
    warehouse.analysts.ensure(conn, "postgres", "sparkify_analyst")


def start_03(data, **extra):
    return subprocess.Popen([sys.executable, "-u", "-c", RUNNER, str(NOTEBOOK),
                             json.dumps({**parameters(data), **extra})],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(proc, prefix):
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(prefix):
            return seen
    raise AssertionError(f"no line starting with {prefix!r}:\n" + "".join(seen))


@pytest.mark.slow(seconds=12)
def test_two_03_runs_at_once_do_not_interleave(conn, data):
    """The second waits for the first (frozen with SIGSTOP while it holds the warehouse, so the
    overlap does not depend on timing), then merges nothing twice: the warehouse of one run."""
    recreate(conn)
    run_in_process(data)
    one_run = fingerprint(conn, TABLES)
    recreate(conn)
    first = start_03(data)
    before = wait_for(first, "holding the warehouse")
    first.send_signal(signal.SIGSTOP)
    try:
        second = start_03(data)
        waited = wait_for(second, "waiting for the warehouse: another load holds it since ")
    finally:
        first.send_signal(signal.SIGCONT)
    assert f"(03_etl, pid {first.pid} on " in waited[-1]
    outputs = ["".join(before) + first.communicate(timeout=120)[0], "".join(waited) + second.communicate(timeout=120)[0]]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert "waiting for the warehouse" not in outputs[0]
    assert fingerprint(conn, TABLES) == one_run


@pytest.mark.slow(seconds=8)
def test_a_second_03_stops_after_lock_wait_seconds_naming_the_first(conn, data):
    recreate(conn)
    first = start_03(data)
    wait_for(first, "holding the warehouse")
    first.send_signal(signal.SIGSTOP)  # holds the warehouse, frozen mid-run
    try:
        second = start_03(data, lock_wait_seconds=1)
        out, _ = second.communicate(timeout=120)
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode != 0
    assert "LockTimeout: another load holds the warehouse since " in out
    assert f"UTC (03_etl, pid {first.pid} on " in out and "waited 1 s ([etl] lock_wait_seconds)" in out
    assert first.communicate(timeout=120)[0].rstrip().endswith("ETL DONE")


def cli(*args):
    return subprocess.run([sys.executable, "-m", "sparkify_nb.cli", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow(seconds=19)
def test_a_scheduled_daily_run_records_only_that_days_work(conn, data, tmp_path):
    """~15 s: papermill runs 03 and 04 (a kernel each), then 03 once more on a day without a file."""
    recreate(conn)
    settings = config.load(overrides={"general.target": "local", **{f"s3.{k}": v for k, v in parameters(data).items()
                                                                      if k in ("song_data", "log_data", "log_jsonpath")},
                                      "etl.day": "2018-11-04"})
    reports = staging.load_staging(settings, conn, progress=lambda _: None)   # yesterday's run
    transform.run(conn, progress=lambda _: None)
    staging.record_loaded(conn, reports)

    day_file = data / "log_data" / "2018" / "11" / "2018-11-05-events.json"
    params = [x for k, v in parameters(data).items() if k != "lock_wait_seconds" for x in ("-p", k, str(v))]
    done = cli("run", "--only", "03", "04", *params, "-p", "day", "2018-11-05", "--out", str(tmp_path / "day5"))
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "day5" / "run.json").read_text())
    assert [(n["name"], n["status"]) for n in record["notebooks"]] == [("03_etl", "ok"), ("04_analytics", "ok")]
    step = record["steps"]["03_etl"]
    assert step["days"] == ["2018-11-05"]
    assert [(r["table"], r["files"], r["records"]) for r in step["loads"]] == [
        ("staging_songs", 0, 0), ("staging_events", 1, len(day_file.read_bytes().splitlines()))]
    checks = {c["check"]: c for c in step["checks"]}
    assert checks["unique: songplays (start_time, user_id, session_id)"]["status"] == "ok"
    assert {c["severity"] for c in checks.values()} == {"error", "warn"}
    assert record["status"] == "ok" and record["errors"] == [] and "peak_play_hours.png" in record["reports"]
    assert record["parameters"]["day"] == "2018-11-05"

    failed = cli("run", "--only", "03", *params, "-p", "day", "2018-12-25", "--out", str(tmp_path / "day-none"))
    assert failed.returncode == 1 and "no log file for 2018-12-25" in failed.stderr
    record = json.loads((tmp_path / "day-none" / "run.json").read_text())
    assert record["status"] == "failed" and record["notebooks"][0]["status"] == "failed"
    assert record["notebooks"][0]["error"].startswith("LoadError: no log file for 2018-12-25")

    listed = cli("runs", "--base", str(tmp_path))
    lines = listed.stdout.splitlines()
    assert listed.returncode == 0 and len(lines) == 2
    assert lines[0].startswith("day5 ") and " ok " in lines[0] and "03:ok 04:ok" in lines[0]
    assert lines[1].startswith("day-none ") and " failed " in lines[1]
    last = cli("runs", "--last", "--base", str(tmp_path))
    assert last.returncode == 1 and json.loads(last.stdout)["run"] == "day-none"
