"""A scheduled run meets a cluster that its pause schedule paused: it resumes
it, runs, and pauses it again (only if it resumed it), or stops at once when
``[cluster] resume = false``. On the rehearsal: the emulator pauses and resumes."""

from __future__ import annotations

import uuid

import psycopg2
import pytest

from sparkify_nb import aws, cli, config, infra, local
from sparkify_nb.infra import pause
from tests.helpers import quiet


@pytest.fixture
def paused(monkeypatch, tmp_path):
    """A rehearsed stack of its own, provisioned by 01's functions, its cluster paused;
    the environment names it, as a scheduler's would."""
    stack = f"pz{uuid.uuid4().hex[:8]}"
    for name, value in {"SPARKIFY_TARGET": "redshift", "SPARKIFY_GENERAL_REHEARSAL": "true",
                        "SPARKIFY_GENERAL_STACK_NAME": stack, "SPARKIFY_CLUSTER_IDENTIFIER": f"{stack}-dwh"}.items():
        monkeypatch.setenv(name, value)
    settings = config.load()
    clients = aws.Clients(settings)
    infra.provision(settings, clients, progress=quiet)
    pause.pause(settings, clients, progress=quiet)
    yield settings
    infra.teardown(settings, progress=quiet)


def _status(settings):
    return aws.Clients(settings)("redshift").describe_clusters(
        ClusterIdentifier=settings.get("cluster", "identifier"))["Clusters"][0]["ClusterStatus"]


def test_a_scheduled_run_resumes_a_paused_cluster_runs_and_pauses_it_again(paused, capsys, tmp_path):
    assert cli.main(["run", "--rehearse", "--only", "02_schema", "--out", str(tmp_path / "run")]) == 0
    printed = capsys.readouterr().out
    ident = paused.get("cluster", "identifier")
    assert f"cluster {ident} is paused: resuming it for this run; it is paused again when the run ends" in printed
    assert f"cluster {ident}: the run is over, pausing it again as it was" in printed
    assert _status(paused) == "paused"
    with psycopg2.connect(local.rehearsal_dsn(ident)) as conn, conn.cursor() as cur:  # 02 did run
        cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'songplays'")
        assert cur.fetchone() == (1,)


def test_a_run_that_fails_still_pauses_again_the_cluster_it_resumed(paused):
    with pytest.raises(RuntimeError):
        with pause.awake(paused, ["03_etl"], progress=quiet):
            assert _status(paused) == "available"
            raise RuntimeError("a notebook failed")
    assert _status(paused) == "paused"


def test_with_resume_false_a_run_stops_at_once_saying_the_cluster_is_paused(paused, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("SPARKIFY_CLUSTER_RESUME", "false")
    assert cli.main(["run", "--rehearse", "--only", "03_etl", "04_analytics", "--out", str(tmp_path / "run")]) == 1
    ident = paused.get("cluster", "identifier")
    assert (f"sparkify-nb: error: cluster {ident} is paused: nothing was run. Resume it (`sparkify-nb resume`)"
            in capsys.readouterr().err)
    assert _status(paused) == "paused" and not (tmp_path / "run").exists()


def test_an_available_cluster_is_left_as_it_is(paused):
    pause.resume(paused, progress=quiet)
    with pause.awake(paused, ["03_etl", "04_analytics"], progress=quiet) as resumed:
        assert resumed is False
    assert _status(paused) == "available"


def test_a_run_with_01_leaves_the_resuming_to_01(paused):
    with pause.awake(paused, ["01_infrastructure", "02_schema"], progress=quiet) as resumed:
        assert resumed is False and _status(paused) == "paused"
