"""The rehearsal of a whole Redshift run (DESIGN.md, "Rehearsal"): 01 -> 04 ->
99 as ``target = redshift`` against the local stack, every statement through a
real boto3 ``redshift-data`` client and the local Data API endpoint, ends with
the star schema and the answers of the same run on ``local``."""

from __future__ import annotations

import csv
import json
import uuid

import psycopg2
import pytest

from sparkify_nb import config, local, runner
from tests.helpers import fingerprint, quiet

STAR = ("songplays", "users", "songs", "artists", "time")
# One worker runs the whole module: its fixture runs the suite twice (~1 min), not once per worker.
pytestmark = [pytest.mark.shared_setup, pytest.mark.slow(seconds=60)]


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory):
    """The suite on ``local`` and rehearsed, on a stack of its own (not the session's
    ``sparkify``, which nbval's runs use); each run's star fingerprint and run folder."""
    stack = f"rh{uuid.uuid4().hex[:8]}"
    out = tmp_path_factory.mktemp("rehearsal")
    with pytest.MonkeyPatch.context() as env:  # the kernels inherit these
        env.setenv("SPARKIFY_GENERAL_STACK_NAME", stack)
        env.setenv("SPARKIFY_CLUSTER_IDENTIFIER", f"{stack}-dwh")
        local_run = runner.run_suite(runner.SUITE, target="local", out=out / "local", progress=quiet)
        with psycopg2.connect(local.dsn()) as conn:
            local_star = fingerprint(conn, STAR)
        rehearsed = runner.run_suite(runner.SUITE, out=out / "rehearsal", progress=quiet, rehearse=True)
        with psycopg2.connect(local.rehearsal_dsn(f"{stack}-dwh")) as conn:
            rehearsed_star = fingerprint(conn, STAR)
        teardown = runner.run_suite(runner.TEARDOWN, out=out / "teardown", progress=quiet, rehearse=True)
        settings = config.load(overrides={"general.target": "redshift", "general.rehearsal": "true"})
    yield {"local": (local_run, local_star), "rehearsal": (rehearsed, rehearsed_star), "teardown": teardown,
           "settings": settings}


def test_a_rehearsal_builds_the_star_schema_of_the_same_run_on_local(both_runs):
    local_run, local_star = both_runs["local"]
    rehearsed, rehearsed_star = both_runs["rehearsal"]
    assert rehearsed_star == local_star
    assert local_star["songplays"][0] > 5000  # the sample's plays, all of them


def test_a_rehearsal_answers_04s_questions_as_the_same_run_on_local(both_runs):
    def summary(run):
        with open(run / "reports" / "summary.csv", newline="") as f:
            return list(csv.reader(f))

    assert summary(both_runs["rehearsal"][0]) == summary(both_runs["local"][0])


def test_a_rehearsal_is_recorded_as_one_and_ran_every_notebook(both_runs):
    record = json.loads((both_runs["rehearsal"][0] / "run.json").read_text())
    assert (record["target"], record["rehearsal"], record["status"]) == ("redshift", True, "ok")
    assert [n["name"] for n in record["notebooks"]] == list(runner.SUITE)


def test_a_rehearsals_load_report_counts_what_each_copy_read_as_the_local_one_does(both_runs):
    def loads(run):
        record = json.loads((run / "run.json").read_text())
        return [(x["table"], x["files"], x["records"], x["loaded"], x["rejected"])
                for x in record["steps"]["03_etl"]["loads"]]

    assert loads(both_runs["rehearsal"][0]) == loads(both_runs["local"][0]) == [
        ("staging_songs", 300, 300, 300, 0), ("staging_events", 30, 8000, 8000, 0)]


def test_a_rehearsals_teardown_leaves_nothing_tagged_with_the_stack(both_runs):
    record = json.loads((both_runs["teardown"] / "run.json").read_text())
    assert record["status"] == "ok"
    from sparkify_nb.infra.stack import tagged_resources

    assert tagged_resources(both_runs["settings"]) == []


def test_a_rehearsal_answers_its_own_sql_question_and_writes_the_report_as_on_local(both_runs):
    """04's %%sql cell runs through analytics.open_connection, which on a rehearsal is the Data API
    connection to the local endpoint: same rows as on local; and the run's report has every chart."""
    import base64

    import nbformat

    def own_question(run):
        nb = nbformat.read(run / "04_analytics.ipynb", as_version=4)
        [cell] = [c for c in nb.cells if c.source.startswith("%%sql")]
        return "".join(o.get("text", "") for o in cell.outputs)

    rehearsed, local_run = both_runs["rehearsal"][0], both_runs["local"][0]
    assert own_question(rehearsed) == own_question(local_run) == "paid_by_hour: 24 rows x 2 columns (hour, plays)\n"
    page = (rehearsed / "reports" / "04_analytics.html").read_text(encoding="utf-8")
    charts = sorted((rehearsed / "reports").glob("*.png"))
    assert len(charts) == 10
    assert all(base64.b64encode(p.read_bytes()).decode() in page for p in charts)
