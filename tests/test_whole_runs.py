"""Whole runs of the suite, made once and read by many tests (a shared set-up:
each run costs tens of seconds of kernels, and no test here changes what it reads).

The suite on ``local`` with ``access = direct`` through ``sparkify-nb run`` as
a user starts it (its lines read as they come) and 99, then the rehearsal of a whole Redshift run
(DESIGN.md, "Rehearsal"): 01 -> 04 as ``target = redshift`` against the local
stack, every statement through a real boto3 ``redshift-data`` client and the
local Data API endpoint, then 99 as a dry run and for real; and, meanwhile, in
processes of their own, the three other ways to run rehearsed 01 -> 04 -> 99
(provisioned with ``access = direct``, Serverless by the Data API and direct),
each on a stack and source bucket of its own. Every run's kernels
hold planted secrets (none may reach an output) and write the IAM action of
every boto3 call they make (``SPARKIFY_AWS_CALL_LOG``: each must be on the
operator policy's list)."""

from __future__ import annotations

import csv
import fnmatch
import html
import json
import os
import re
import subprocess
import sys
import uuid

import psycopg2
import pytest

from sparkify_nb import config, infra, local, paths, runner
from sparkify_nb.iam import operator as access, plan
from sparkify_nb.infra import resources
from sparkify_nb.local.iam import account as accounts, report as permissions
from tests.helpers import fingerprint, quiet

STAR = ("songplays", "users", "songs", "artists", "time")
# One worker runs the whole module: its fixture runs the suite (~2 min), not once per worker.
pytestmark = [pytest.mark.shared_setup, pytest.mark.slow(seconds=130)]
# The ways to run besides the main rehearsal's (provisioned, data_api): (kind, access) -> its stack's prefix.
OTHER_WAYS = {("provisioned", "direct"): "pd", ("serverless", "data_api"): "sa", ("serverless", "direct"): "sd"}

CANARIES = {
    "SPARKIFY_DB_PASSWORD": "Canary-Db-Pw-7f3a91",
    "AWS_ACCESS_KEY_ID": "AKIAZZCANARY7F3A91XQ",
    "AWS_SECRET_ACCESS_KEY": "canary/SecretAccessKey/7f3a91+zzzzzzzzzzzzzzzz",
    "AWS_SESSION_TOKEN": "CanarySessionToken7f3a91",
}
AWS_KEY = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
WORDS = re.compile(r"password|passwd|secret|token", re.I)


def streamed_run(out):
    """``sparkify-nb run`` (01 -> 04 on local) as a user starts it: each line it
    printed, and whether the process was still running when the line arrived."""
    seen = []
    cmd = [sys.executable, "-m", "sparkify_nb.cli", "run", "--out", str(out)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            seen.append((line.rstrip("\n"), proc.poll() is None))
        assert proc.wait(timeout=300) == 0, "\n".join(line for line, _ in seen)
    return seen


def start_other_way(out, runs: str, kind: str, mode: str) -> tuple[subprocess.Popen, dict[str, str]]:
    """``sparkify-nb run --rehearse`` of 01 -> 04 -> 99 for ``kind`` and ``mode`` in the background, on a
    stack, identifier and source bucket of its own (a rehearsal's 99 deletes the sources' bucket it made).

    No database password is planted with ``access = direct``: ``SPARKIFY_DB_PASSWORD``, when set, is
    what a direct connection logs in with, and the front door refuses it as the cluster would (its
    master password is AWS's, which nobody knows); the other runs show that it never reaches a notebook."""
    stack = OTHER_WAYS[(kind, mode)] + runs
    bucket = f"{stack}-sources"
    canaries = {k: v for k, v in CANARIES.items() if not (mode == "direct" and k == "SPARKIFY_DB_PASSWORD")}
    env = {**{k: v for k, v in os.environ.items() if k != "SPARKIFY_DB_PASSWORD"}, **canaries, **runner.REHEARSAL_ENV,
           "SPARKIFY_GENERAL_STACK_NAME": stack, "SPARKIFY_CLUSTER_IDENTIFIER": f"{stack}-dwh",
           "SPARKIFY_CLUSTER_KIND": kind, "SPARKIFY_CLUSTER_ACCESS": mode,
           "SPARKIFY_S3_SONG_DATA": f"s3://{bucket}/song_data", "SPARKIFY_S3_LOG_DATA": f"s3://{bucket}/log_data",
           "SPARKIFY_S3_LOG_JSONPATH": f"s3://{bucket}/log_json_path.json",
           "SPARKIFY_AWS_CALL_LOG": str(out / f"{kind}-{mode}-calls.txt")}
    cmd = [sys.executable, "-m", "sparkify_nb.cli", "run", "--rehearse", "--only", *runner.SUITE, *runner.TEARDOWN,
           "--out", str(out / f"{kind}-{mode}")]
    run_env = dict(env)
    if (kind, mode) == ("serverless", "direct"):  # as the README says it: the way to run as -p, not dwh.cfg keys
        cmd += ["-p", "kind", kind, "-p", "access", mode]
        del run_env["SPARKIFY_CLUSTER_KIND"], run_env["SPARKIFY_CLUSTER_ACCESS"]
    log = open(out / f"{kind}-{mode}.log", "w")
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=run_env), env


def finish_other_way(out, proc: subprocess.Popen, env: dict[str, str], kind: str, mode: str) -> dict:
    """What the background run of :func:`start_other_way` left: its folder, star fingerprint (the
    backing database outlives 99), its calls, and what is still tagged with its stack."""
    assert proc.wait(timeout=600) == 0, (out / f"{kind}-{mode}.log").read_text()[-4000:]
    with psycopg2.connect(local.rehearsal_dsn(env["SPARKIFY_CLUSTER_IDENTIFIER"])) as conn:
        star = fingerprint(conn, STAR)
    from sparkify_nb.infra.stack import tagged_resources

    settings = config.load(environ={k: v for k, v in env.items() if k.startswith("SPARKIFY_")})
    return {"run": out / f"{kind}-{mode}", "star": star, "left": tagged_resources(settings), "settings": settings,
            "calls": set((out / f"{kind}-{mode}-calls.txt").read_text().split())}


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory):
    """The suite on ``local`` and rehearsed, each on a stack of its own (not the session's
    ``sparkify``, which nbval's runs use; the rehearsal's 01 makes everything on the Redshift
    path, finding nothing of the local run's); each run's star fingerprint, folder and calls."""
    runs = uuid.uuid4().hex[:8]
    stack, local_stack = f"rh{runs}", f"lc{runs}"
    out = tmp_path_factory.mktemp("runs")
    others = {(kind, mode): start_other_way(out, runs, kind, mode) for kind, mode in OTHER_WAYS}
    with pytest.MonkeyPatch.context() as env:  # the kernels inherit these
        for key, value in CANARIES.items():
            env.setenv(key, value)
        env.setenv("SPARKIFY_GENERAL_STACK_NAME", local_stack)
        env.setenv("SPARKIFY_CLUSTER_IDENTIFIER", f"{local_stack}-dwh")
        env.setenv("SPARKIFY_CLUSTER_ACCESS", "direct")  # the other access mode than the rehearsal's
        env.setenv("SPARKIFY_AWS_CALL_LOG", str(out / "local-calls.txt"))
        try:
            streamed = streamed_run(out / "local")
            local_teardown = runner.run_suite(runner.TEARDOWN, target="local", out=out / "local-teardown",
                                              progress=quiet)
        finally:
            infra.teardown(config.load(), progress=quiet)  # what a failed run left
        env.delenv("SPARKIFY_CLUSTER_ACCESS")
        with psycopg2.connect(local.dsn()) as conn:
            local_star = fingerprint(conn, STAR)
        env.setenv("SPARKIFY_GENERAL_STACK_NAME", stack)
        env.setenv("SPARKIFY_CLUSTER_IDENTIFIER", f"{stack}-dwh")
        env.setenv("SPARKIFY_AWS_CALL_LOG", str(out / "rehearsal-calls.txt"))
        rehearsed = runner.run_suite(runner.SUITE, out=out / "rehearsal", progress=quiet, rehearse=True)
        with psycopg2.connect(local.rehearsal_dsn(f"{stack}-dwh")) as conn:
            rehearsed_star = fingerprint(conn, STAR)
        dry_run = runner.run_suite(runner.TEARDOWN, parameters={"dry_run": True}, out=out / "dry-run",
                                   progress=quiet, rehearse=True)
        teardown = runner.run_suite(runner.TEARDOWN, out=out / "teardown", progress=quiet, rehearse=True)
        settings = config.load(overrides={"general.target": "redshift", "general.rehearsal": "true"})
    calls = {name: set((out / f"{name}-calls.txt").read_text().split()) for name in ("local", "rehearsal")}
    ways = {way: finish_other_way(out, proc, proc_env, *way) for way, (proc, proc_env) in others.items()}
    yield {"ways": ways, "local": (out / "local", local_star), "rehearsal": (rehearsed, rehearsed_star), "teardown": teardown,
           "dry_run": dry_run, "settings": settings, "stacks": (local_stack, stack), "streamed": streamed,
           "calls": calls, "local_teardown": local_teardown}


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


def test_a_rehearsals_record_counts_the_data_api_calls_of_each_notebook(both_runs):
    """04: its nine questions in one batch and its own %%sql question, a result each; 03: five batches
    (lock, two COPYs, transform, loaded_files), the 30 quality checks in one statement, ten results.
    The polls between depend on the machine's speed: only their sum is pinned."""
    steps = json.loads((both_runs["rehearsal"][0] / "run.json").read_text())["steps"]
    etl, analytics = steps["03_etl"]["data_api"], steps["04_analytics"]["data_api"]
    assert {k: v for k, v in analytics.items() if k not in ("calls", "DescribeStatement")} == {
        "ExecuteStatement": 1, "BatchExecuteStatement": 1, "GetStatementResult": 10, "statements": 10}
    assert (etl["BatchExecuteStatement"], etl["GetStatementResult"]) == (5, 10)
    for counts in (etl, analytics):
        assert counts["calls"] == sum(v for k, v in counts.items() if k not in ("calls", "statements"))
        assert counts["DescribeStatement"] >= counts["ExecuteStatement"] + counts["BatchExecuteStatement"]


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
    assert len(charts) == 11
    assert all(base64.b64encode(p.read_bytes()).decode() in page for p in charts)


def test_every_link_of_a_run_resolves_from_its_folder_and_from_its_report(both_runs):
    """The executed notebooks in runs/<ts>/ and the report in its reports/ link to their neighbours
    and to the checkout (docs/, the package, a notebook the run did not execute), and every link leads
    somewhere from where the copy sits."""
    import nbformat

    from sparkify_nb import links

    for run in (both_runs["local"][0], both_runs["rehearsal"][0]):
        executed = sorted(run.glob("*.ipynb"))
        assert [p.stem for p in executed] == list(runner.SUITE)
        for path in executed:
            nb = nbformat.read(path, as_version=4)
            assert links.dead_links(nb, run) == [], path.name
        page = (run / "reports" / "04_analytics.html").read_text(encoding="utf-8")
        hrefs = [h for h in re.findall(r'<a href="([^"]+)"', page) if not h.startswith(("#", "http"))]
        assert hrefs and all((run / "reports" / h).resolve().exists() for h in hrefs), hrefs


def test_the_report_reads_without_code_papermill_or_the_network_and_shows_the_star_schema(both_runs):
    page = (both_runs["local"][0] / "reports" / "04_analytics.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "papermill" not in text and "parameters cell" not in text
    assert not [code for code in ("analytics.charts.save(", "conn.close()", "summary.to_csv(", "config.load(overrides",
                                  "%%sql paid_by_hour <<") if code in text]  # no code cell's input
    assert "WHERE location = :city AND level = 'paid'" in text  # the query of "your own question", as text
    import base64

    drawings = [base64.b64decode(data).decode() for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]
    assert len([d for d in drawings if 'data-table="songplays"' in d]) == 1  # the ER drawing, embedded
    assert "mermaid" not in page.lower() and not re.search(r'<script[^>]+src=', page)


def test_a_run_streams_each_notebooks_lines_while_it_runs(both_runs):
    """`sparkify-nb run`, read line by line as the process writes them: 03's per-table
    load lines arrive while the run is still going, stamped with the notebook and the
    time, in order, and no kernel warning shows."""
    seen = both_runs["streamed"]
    lines = [line for line, _ in seen]
    load = [i for i, line in enumerate(lines) if re.fullmatch(
        r"  03 \d\d:\d\d:\d\d  staging_(songs|events): [\d,]+ rows from \d+ files .*, \d+ rejected, [\d.]+ s", line)]
    assert len(load) == 2, "\n".join(lines)
    assert all(running for _, running in (seen[i] for i in load))  # read before the run ended
    assert load[-1] < next(i for i, line in enumerate(lines) if line.startswith("   03_etl done in"))
    stamps = [line[5:13] for line in lines if re.match(r"  0\d \d\d:\d\d:\d\d  ", line)]
    assert stamps == sorted(stamps) and len(stamps) > 10
    kernel_noise = re.compile(r"\w+Warning:|without encryption|Debugger warning|stderr:")  # Python, ipykernel, debugpy
    assert [line for line in lines if kernel_noise.search(line)] == []


@pytest.mark.parametrize("run, target, mode", [("local", "local", "direct"), ("rehearsal", "redshift", "data_api")])
def test_every_call_of_a_whole_run_is_on_the_operator_policys_list(both_runs, run, target, mode):
    """The IAM action of every boto3 call the kernels made (01 -> 04 and 99 on local with
    ``access = direct``; 01 -> 04 and 99 rehearsed, the Redshift run with ``access = data_api``)
    is on the list the operator policy is built from (the other three ways: the test below)."""
    recorded = both_runs["calls"][run]
    assert {"redshift:CreateCluster", "ec2:CreateVpcEndpoint", "redshift:EnableLogging", "sts:GetCallerIdentity",
            "redshift:DescribeLoggingStatus", "s3:ListBucket", "redshift:DeleteCluster"} <= recorded
    # a way in from the internet only for a direct connection
    assert ("ec2:CreateInternetGateway" in recorded) is (mode == "direct")
    assert ("ec2:DeleteInternetGateway" in recorded) is (mode == "direct")
    if run == "rehearsal":
        assert {"redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"} <= recorded
        # its 01 writes the sample where the real run finds it in AWS: not the operator's calls
        recorded = recorded - {a for kind in resources.KINDS if kind.local_only for a in sum(kind.actions, ())}
    assert recorded - set(access.actions(target, "provisioned", mode)) == set()


def outputs_text(path):
    """Every output of every code cell, as text (what a reader of the executed notebook sees)."""
    nb = json.loads(path.read_text())
    return "\n".join(json.dumps(out) for cell in nb["cells"] if cell["cell_type"] == "code"
                     for out in cell.get("outputs", []))


def test_no_executed_notebook_shows_a_planted_password_key_or_token(both_runs):
    """Canary secrets planted in every kernel's environment (a database password, an AWS key
    pair, a session token) reach no notebook of any run, nor does any AWS access key; 01's and
    99's outputs do not even mention a credential."""
    folders = [both_runs["local"][0], both_runs["local_teardown"], both_runs["rehearsal"][0], both_runs["dry_run"],
               both_runs["teardown"]]
    executed = [path for folder in folders for path in sorted(folder.glob("*.ipynb"))]
    assert len(executed) == 4 + 1 + 4 + 1 + 1
    for path in executed:
        whole = path.read_text()
        assert [s for s in CANARIES.values() if s in whole] == [], f"{path} shows a planted secret"
        assert not AWS_KEY.search(whole), f"{path} shows an AWS access key"
        if path.stem in ("01_infrastructure", "99_teardown"):
            assert WORDS.findall(outputs_text(path)) == [], f"{path} output mentions a credential"


def test_a_rehearsal_shows_the_lease_in_01_and_at_the_end_of_04_and_local_makes_none(both_runs):
    local_stack, stack = both_runs["stacks"]
    rehearsed = both_runs["rehearsal"][0]
    assert f"lease: AWS deletes cluster {stack}-dwh at " in outputs_text(rehearsed / "01_infrastructure.ipynb")
    assert re.search(r"; its lease deletes it in 1[01] h \d\d min \(", outputs_text(rehearsed / "04_analytics.ipynb"))
    assert "lease" not in outputs_text(both_runs["local"][0] / "01_infrastructure.ipynb")


def test_01_and_99_say_what_they_made_would_delete_and_deleted(both_runs):
    local_stack, stack = both_runs["stacks"]
    assert f"{local_stack}-redshift-copy: created" in outputs_text(both_runs["local"][0] / "01_infrastructure.ipynb")
    assert f"{stack}-redshift-copy: created" in outputs_text(both_runs["rehearsal"][0] / "01_infrastructure.ipynb")
    dry_run = outputs_text(both_runs["dry_run"] / "99_teardown.ipynb")
    assert f"would delete cluster {stack}-dwh" in dry_run
    # daily loads' manifests (issue 18), in the rehearsal's own account (issue 25, item 0)
    assert re.search(rf"would delete work-bucket {stack}-work-(?!123456789012)\d{{12}}", dry_run)
    # the lease first: its schedule and its role (sparkify_nb/infra/lease.py)
    assert f"would delete lease-schedule {stack}-lease" in dry_run and f"would delete lease-role {stack}-lease" in dry_run
    # 17: the permissions boundary is the administrator's, which 99 leaves (docs/redshift.md, who applies what)
    assert "dry run: 17 tagged resources would be deleted; nothing was" in dry_run
    assert "would delete permissions-boundary" not in dry_run
    for teardown in (both_runs["local_teardown"], both_runs["teardown"]):
        assert "nothing tagged with the stack is left" in outputs_text(teardown / "99_teardown.ipynb")


@pytest.mark.parametrize("kind, mode", list(OTHER_WAYS))
def test_every_way_to_run_rehearsed_builds_the_star_and_answers_of_the_local_run_and_leaves_nothing(
        both_runs, kind, mode):
    """01 -> 04 -> 99 rehearsed for each other (kind, access): the star tables and 04's summary.csv are
    the local run's, 99 leaves nothing tagged, and every AWS action the kernels called is on the operator
    policy's list for that kind and access."""
    way = both_runs["ways"][(kind, mode)]
    local_run, local_star = both_runs["local"]
    assert way["star"] == local_star
    with open(way["run"] / "reports" / "summary.csv", newline="") as f, \
            open(local_run / "reports" / "summary.csv", newline="") as g:
        assert list(csv.reader(f)) == list(csv.reader(g))
    assert way["left"] == []
    recorded = way["calls"] - {a for k in resources.KINDS if k.local_only for a in sum(k.actions, ())}
    assert recorded - set(access.actions("redshift", kind, mode)) == set()
    assert ({"redshift-serverless:CreateWorkgroup", "redshift-serverless:DeleteNamespace"} <= recorded) is (
        kind == "serverless")
    assert ("redshift-data:ExecuteStatement" in recorded) is (mode == "data_api")


def test_docs_statements_table_is_what_the_four_rehearsals_allowed(both_runs):
    """docs/redshift.md's table of the operator policy's statements is generated from the permissions
    reports of the four rehearsed ways (the main rehearsal's account report is cumulative: its 99's
    run has 01 -> 04 -> 99). REFRESH_DOCS=1 (make permissions-doc) rewrites it instead."""
    def report(run):
        return json.loads((run / "reports" / "permissions.json").read_text())

    reports = {"provisioned, data_api": report(both_runs["teardown"])}
    reports |= {f"{kind}, {mode}": report(way["run"]) for (kind, mode), way in both_runs["ways"].items()}
    for way, each in reports.items():
        assert each["refused"] == [], f"{way}: the gate refused {each['refused'][:3]}"
    table = permissions.statements_table(reports)
    docs_path = paths.project_root() / "docs" / "redshift.md"
    docs = docs_path.read_text()
    if os.environ.get("REFRESH_DOCS"):  # not SPARKIFY_*: conftest.py clears those
        docs_path.write_text(permissions.docs_with(table, docs))
        return
    assert permissions.docs_with(table, docs) == docs, \
        "docs/redshift.md's table of statements is not what the rehearsals allowed: run make permissions-doc"



EC2_ID = re.compile(r"\b(vpc|subnet|sg|igw|rtb|vpce|rtbassoc)-[0-9a-f]{8,17}\b")
PLACEHOLDER = {value.split("-of-")[0]: value for value in plan.IDS.values()}  # vpc-1a2b... -> vpc-of-this-stack
GENERATED = re.compile(r"redshift-serverless:.*/[0-9a-f]{8}-[0-9a-f]{4}-|:secret:")  # ids AWS makes up


def test_01s_preflight_plans_every_action_and_resource_the_gate_authorised_in_each_rehearsal(both_runs):
    """The preflight simulates a plan of the run (iam/plan.py), not the run itself: every (action, resource)
    the gate allowed in each of the four rehearsals, 01 -> 04 -> 99, is in the plan for that run's settings
    (an EC2 id read as the plan's placeholder; a resource named by an id AWS generates, a Serverless namespace's
    or workgroup's or a secret's, by its action only)."""
    runs = {("provisioned", "data_api"): (both_runs["teardown"], both_runs["settings"])}
    runs |= {way: (each["run"], each["settings"]) for way, each in both_runs["ways"].items()}
    for way, (folder, settings) in runs.items():
        allowed = json.loads((folder / "reports" / "permissions.json").read_text())["allowed"]
        account = next(m.group(1) for m in (re.search(r":(\d{12}):", a["resource"]) for a in allowed) if m)
        planned: dict[str, set[str]] = {}
        for auth in plan.authorisations(settings, account, accounts.principal(account), "AIDAPLANNEDOPERATOR"):
            planned.setdefault(auth.action, set()).update(auth.resources or ["*"])
        missing = sorted({a["action"] for a in allowed} - set(planned))
        assert missing == [], f"{way}: the gate allowed actions the preflight never simulates: {missing}"
        unplanned = sorted(
            (a["action"], resource) for a in allowed if not GENERATED.search(a["resource"])
            for resource in [EC2_ID.sub(lambda m: PLACEHOLDER.get(m.group(1), m.group(0)), a["resource"])]
            if not any(resource == p or fnmatch.fnmatchcase(resource, p) for p in planned[a["action"]]))
        assert unplanned == [], f"{way}: allowed on resources the preflight never simulates: {unplanned[:8]}"
