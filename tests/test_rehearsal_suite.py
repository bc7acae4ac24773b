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


def test_a_rehearsals_teardown_leaves_nothing_tagged_with_the_stack(both_runs):
    record = json.loads((both_runs["teardown"] / "run.json").read_text())
    assert record["status"] == "ok"
    from sparkify_nb.infra.stack import tagged_resources

    assert tagged_resources(both_runs["settings"]) == []
