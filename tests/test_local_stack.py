"""The local stack's lifecycle on a private state folder: up is idempotent,
down stops exactly what up started and leaves no process behind."""

import json
import subprocess
import sys
import threading

import pytest

from sparkify_nb.local import stack as local_stack
from tests.helpers import processes_mentioning


@pytest.mark.slow(seconds=5)
def test_up_twice_reuses_the_same_processes_and_down_leaves_none(private_state):
    first = local_stack.up(private_state)
    assert first["running"] is True
    assert first["aws_endpoint"].startswith("http://127.0.0.1:")
    second = local_stack.up(private_state)
    assert second == first
    assert processes_mentioning(str(private_state)), "expected our postgres and emulator to be running"

    after = local_stack.down(private_state)
    assert after["running"] is False
    assert processes_mentioning(str(private_state)) == []
    # a second down is harmless
    assert local_stack.down(private_state)["running"] is False


@pytest.mark.slow(seconds=5)
def test_dsn_is_accepted_by_psql(private_state):
    local_stack.up(private_state)
    from pgserver._commands import POSTGRES_BIN_PATH

    out = subprocess.run([str(POSTGRES_BIN_PATH / "psql"), local_stack.dsn(private_state), "-tAc",
                          "SELECT current_database()"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "sparkify"


@pytest.mark.slow(seconds=7)
def test_database_files_survive_down_and_up(private_state):
    import psycopg2

    local_stack.up(private_state)
    with psycopg2.connect(local_stack.dsn(private_state)) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
    local_stack.down(private_state)
    local_stack.up(private_state)
    with psycopg2.connect(local_stack.dsn(private_state)) as conn, conn.cursor() as cur:
        cur.execute("SELECT x FROM kept")
        assert cur.fetchone() == (7,)


@pytest.mark.slow(seconds=5)
def test_emulator_that_died_is_restarted_by_up(private_state):
    info = local_stack.up(private_state)
    import psutil

    psutil.Process(info["emulator"]["pid"]).kill()
    psutil.Process(info["emulator"]["pid"]).wait(5)
    assert local_stack.status(private_state)["running"] is False
    again = local_stack.up(private_state)
    assert again["running"] is True and again["emulator"]["pid"] != info["emulator"]["pid"]


def test_external_dsn_is_used_instead_of_the_embedded_server(private_state, monkeypatch):
    # the session's own embedded server plays the part of "some other PostgreSQL"
    other = local_stack.dsn()
    monkeypatch.setenv("SPARKIFY_DSN", other)
    info = local_stack.up(private_state)
    assert info["postgres"]["kind"] == "external"
    assert local_stack.dsn(private_state) == other
    assert not (private_state / "local" / "pg" / "PG_VERSION").exists()


@pytest.mark.slow(seconds=10)
def test_status_json_from_the_command_line(private_state, monkeypatch):
    monkeypatch.setenv("SPARKIFY_STATE_DIR", str(private_state))
    cli = [sys.executable, "-m", "sparkify_nb.cli", "local"]
    subprocess.run(cli + ["up"], check=True, capture_output=True)
    out = subprocess.run(cli + ["status", "--json"], check=True, capture_output=True, text=True)
    info = json.loads(out.stdout)
    assert info["running"] is True
    assert info["aws_endpoint"].startswith("http://127.0.0.1:")
    assert info["dsn"].startswith("postgresql://postgres@/sparkify?host=")
    down = subprocess.run(cli + ["down"], capture_output=True, text=True)
    assert down.returncode == 0
    stopped = subprocess.run(cli + ["status", "--json"], capture_output=True, text=True)
    assert stopped.returncode == 1 and json.loads(stopped.stdout)["running"] is False


@pytest.mark.slow(seconds=6)
def test_up_never_replaces_a_live_emulator_that_is_slow_to_answer(private_state, monkeypatch):
    # Its AWS resources live only in its memory: replacing it would lose them.
    import signal

    import psutil

    info = local_stack.up(private_state)
    emulator = psutil.Process(info["emulator"]["pid"])
    monkeypatch.setattr(local_stack, "START_TIMEOUT_S", 1)
    emulator.send_signal(signal.SIGSTOP)
    try:
        with pytest.raises(local_stack.LocalStackError, match="is running but does not answer"):
            local_stack.up(private_state)
    finally:
        emulator.send_signal(signal.SIGCONT)
    again = local_stack.up(private_state)
    assert again["emulator"]["pid"] == info["emulator"]["pid"]


def test_a_killed_data_api_endpoint_is_restarted_by_up_and_down_leaves_none(private_state):
    import psutil

    info = local_stack.up(private_state)
    assert info["data_api_endpoint"].startswith("http://127.0.0.1:")
    assert local_stack.data_api_endpoint(private_state) == info["data_api_endpoint"]
    endpoint = psutil.Process(info["data_api"]["pid"])
    endpoint.kill()
    endpoint.wait(5)
    assert local_stack.status(private_state)["data_api_endpoint"] == ""
    with pytest.raises(local_stack.LocalStackError, match="not running"):
        local_stack.data_api_endpoint(private_state)
    again = local_stack.up(private_state)
    assert again["data_api"]["running"] is True and again["data_api"]["pid"] != info["data_api"]["pid"]
    assert again["emulator"]["pid"] == info["emulator"]["pid"]  # the rest of the stack is kept
    pid = again["data_api"]["pid"]
    local_stack.down(private_state)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert processes_mentioning(str(private_state)) == []


def test_two_writers_of_the_stack_record_at_once_each_leave_a_whole_record_and_neither_fails(tmp_path):
    """Two runs that start the same local stack at once both write its record (the whole-runs test's
    background rehearsals did): each writer's temporary file is its own, so no os.replace loses its file."""
    errors = []

    def writer(n):
        try:
            for i in range(300):
                local_stack._write_record({"writer": n, "i": i, "pad": "x" * 2000}, tmp_path)
        except OSError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    record = local_stack._record_path(tmp_path)
    assert json.loads(record.read_text())["i"] == 299
    assert [p.name for p in record.parent.iterdir()] == [record.name]  # no temporary file left behind


def test_the_emulators_log_holds_the_requests_it_refused_and_none_it_served(session_stack):
    """emulator.log is where a user looks when a call failed: a refused or failed request leaves its
    line there, with its status; a served one leaves none (a run makes thousands)."""
    import uuid

    from botocore.exceptions import ClientError

    from tests.rehearsal_fixtures import REGION, aws

    s3, marker = aws("s3"), uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=f"served-{marker}", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.head_bucket(Bucket=f"served-{marker}")
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=f"missing-{marker}")
    s3.delete_bucket(Bucket=f"served-{marker}")
    with pytest.raises(ClientError, match="InvalidVpcID.NotFound"):  # EC2 answers 400, the lowest refusal
        aws("ec2").describe_vpcs(VpcIds=["vpc-0deadbeef0"])
    lines = (session_stack["state_dir"] / "local" / "emulator.log").read_text().splitlines()
    assert [line for line in lines if f"served-{marker}" in line] == []
    [refused] = [line for line in lines if f"missing-{marker}" in line]
    assert f'"HEAD /missing-{marker} HTTP/1.1" 404 ' in refused and "\x1b" not in refused  # plain text, no colours
    assert [line for line in lines if '"POST / HTTP/1.1" 400 ' in line]  # EC2's query API posts to /
