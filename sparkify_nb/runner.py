"""Run the notebook suite with papermill: ``01 -> 04`` by default, each into
the run folder (``runs/<UTC timestamp>/``), charts into its ``reports/``.

A failing cell stops the run: :class:`SuiteError` names the notebook, the
cell and the error, and the executed notebook stays in the run folder.
After 04, the run writes ``reports/04_analytics.html`` (:mod:`.analytics.report`).
Either way the run folder ends with ``run.json``, the run record
(:mod:`sparkify_nb.runrecord`): each notebook's status and seconds, the
parameters (no secret), what 03 staged, merged and checked, the reports.

Kernels talk to papermill over IPC (Unix sockets in a private temporary
folder), not loopback TCP: ipykernel 7 warns on stderr about every kernel
started over unencrypted TCP, which flooded ``make run``, and IPC is the
remedy that warning itself names (no port anyone else on the machine can reach).

Every notebook runs on this project's interpreter (:mod:`.kernel`), whatever
kernelspecs the user has, and what it prints reaches ``progress`` while it
runs, a line at a time with the notebook's number and the time (:mod:`.stream`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from . import nbimport  # noqa: F401  first: papermill without a grammar compile (its docstring)
from . import Progress, SparkifyError, kernel, links, paths, runrecord, stream

SUITE = ("01_infrastructure", "02_schema", "03_etl", "04_analytics")
TEARDOWN = ("99_teardown",)
ALL_NOTEBOOKS = SUITE + TEARDOWN


class SuiteError(SparkifyError):
    """A notebook of the suite failed."""


def resolve(names: Sequence[str]) -> list[str]:
    """Notebook names from ``names`` (full names or prefixes like ``03``)."""
    out = []
    for name in names:
        stem = Path(name).stem
        matches = [n for n in ALL_NOTEBOOKS if n == stem or n.startswith(stem + "_") or n.split("_", 1)[0] == stem]
        if len(matches) != 1:
            raise SuiteError(f"unknown notebook {name!r}; choose from {', '.join(ALL_NOTEBOOKS)}")
        out.append(matches[0])
    return out


def parameter_value(value: str) -> Any:
    """A ``-p KEY VALUE`` value of the command line as papermill would read it:
    JSON when it parses (``5`` -> 5, ``true`` -> True), else the text itself."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _failing_source(executed: Path) -> str:
    """The first line of the cell that raised, from the executed notebook."""
    import nbformat

    try:
        nb = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return "?"
    for cell in nb.cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")]
            return (lines[0][:80] if lines else "").strip()
    return "?"


def kernel_config(socket_dir: Path) -> Any:
    """Traitlets config that starts kernels on IPC sockets under ``socket_dir``
    (an absolute path: the client and the kernel run in different folders).
    TCP stays on Windows, which has no IPC transport."""
    from traitlets.config import Config

    if os.name == "nt":
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(socket_dir).resolve() / "kernel")}})


# What every process of a rehearsal reads (a kernel loads its settings more than once, not always with
# the notebook's target parameter): [general] target = redshift and [general] rehearsal = true.
REHEARSAL_ENV = {"SPARKIFY_TARGET": "redshift", "SPARKIFY_GENERAL_REHEARSAL": "true"}


def rehearsal_account(notebooks: Sequence[str]) -> str:
    """The emulator account a rehearsal of ``notebooks`` acts in (:mod:`.local.iam.account`): a fresh
    one when the run includes 01 (its 01 creates everything, whatever ran before), else the one the
    stack's latest rehearsal made. Every kernel of the run inherits it (:data:`~.local.iam.account.ACCOUNT_ENV`)."""
    from . import config
    from .local.iam import account

    settings = config.load(overrides={"general.target": "redshift", "general.rehearsal": "true"})
    given = settings.get("general", "rehearsal_policy")
    return account.for_run(settings, fresh="01_infrastructure" in notebooks, policy=read_policy(given) if given else None)


def read_policy(path: str) -> Any:
    """The policy of ``[general] rehearsal_policy`` / ``--policy FILE``: a JSON policy document, or a list of
    them. Raises SuiteError saying what is wrong with the file."""
    try:
        value = json.loads(Path(path).expanduser().read_text())
    except (OSError, ValueError) as exc:
        raise SuiteError(f"[general] rehearsal_policy = {path}: not a readable JSON policy ({exc})") from None
    documents = value if isinstance(value, list) else [value]
    if not documents or not all(isinstance(d, dict) and "Statement" in d for d in documents):
        raise SuiteError(f"[general] rehearsal_policy = {path}: give one IAM policy document (with a Statement) "
                         "or a list of them")
    return documents


def _permissions_report(run_dir: Path, progress: Progress) -> None:
    """What the rehearsal's IAM gates authorised, and the statements that allowed nothing
    (:mod:`.local.iam.report`), into ``reports/permissions.md``."""
    from .local.iam import report
    from .local.iam.account import ACCOUNT_ENV

    written = report.write(os.environ[ACCOUNT_ENV], run_dir / "reports" / report.NAME)
    progress(f"   {report.summary(written)}")
    progress(f"   permissions report: {paths.display_path(run_dir / 'reports' / report.NAME)}")


def run_suite(notebooks: Sequence[str] = SUITE, target: str | None = None, parameters: dict[str, Any] | None = None,
              out: Path | None = None, progress: Progress = print, rehearse: bool = False) -> Path:
    """Execute ``notebooks`` in order with papermill; return the run folder.

    Each notebook gets ``parameters`` (plus ``target`` and ``reports_dir``)
    where its parameters cell declares them; ``progress`` gets a line per
    notebook started and done. ``rehearse``: a rehearsal (``target =
    redshift`` on the local stack; every kernel gets :data:`REHEARSAL_ENV`,
    and the run record says so). Raises SuiteError on the first failure."""
    # Short and private: a Unix socket path must stay under ~100 bytes.
    socket_dir = Path(tempfile.mkdtemp(prefix="spk-kernel-"))
    from .local.iam.account import ACCOUNT_ENV

    previous = {name: os.environ.get(name) for name in (*REHEARSAL_ENV, ACCOUNT_ENV)}
    if rehearse:
        os.environ.update(REHEARSAL_ENV)
        target = "redshift"
        os.environ[ACCOUNT_ENV] = rehearsal_account(notebooks)
    try:
        run_dir = _run(notebooks, target, parameters, out, progress, socket_dir, rehearse)
        if rehearse:
            _permissions_report(run_dir, progress)
        return run_dir
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)
        if rehearse:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _execute(pm: Any, name: str, run_dir: Path, common: dict[str, Any], socket_dir: Path,
             progress: Progress) -> None:
    """Run one notebook of the suite into ``run_dir`` with the parameters it
    declares, its printed lines streamed to ``progress`` as they come."""
    source = paths.notebooks_dir() / f"{name}.ipynb"
    output = run_dir / f"{name}.ipynb"
    declared = set(pm.inspect_notebook(str(source)).keys())
    given = {k: v for k, v in common.items() if k in declared}
    shown = {k: v for k, v in given.items() if k != "reports_dir"}
    progress(f"-> {name} {shown if shown else ''}".rstrip())
    label = name.split("_", 1)[0]
    printed, warned = stream.Lines(progress, label), stream.Lines(progress, label, stderr=True)
    try:
        pm.execute_notebook(str(source), str(output), parameters=given, cwd=str(paths.project_root()),
                            progress_bar=False, log_output=False, stdout_file=printed, stderr_file=warned,
                            on_cell_executed=printed.cell_tables, config=kernel_config(socket_dir),
                            **kernel.options())
    finally:
        printed.close()
        warned.close()


def _run(notebooks: Sequence[str], target: str | None, parameters: dict[str, Any] | None, out: Path | None,
         progress: Progress, socket_dir: Path, rehearse: bool = False) -> Path:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    run_dir = Path(out).resolve() if out else paths.new_run_dir()
    (run_dir / "reports").mkdir(parents=True, exist_ok=True)
    common = dict(parameters or {})
    if target:
        common["target"] = target
    common.setdefault("reports_dir", str(run_dir / "reports"))
    progress(f"run folder: {paths.display_path(run_dir)}")
    done: list[dict[str, Any]] = []
    started, previous = runrecord.now_text(), os.environ.get(runrecord.RUN_DIR_ENV)
    os.environ[runrecord.RUN_DIR_ENV] = str(run_dir)  # kernels inherit it: notebooks note facts there
    try:
        for name in notebooks:
            done.append({"name": name, "status": "failed", "seconds": 0.0})  # until it has finished
            t0 = time.monotonic()
            os.environ[runrecord.NOTEBOOK_ENV] = name  # its kernel notes its Data API calls under it
            try:
                _execute(pm, name, run_dir, common, socket_dir, progress)
            except PapermillExecutionError as exc:
                done[-1].update(seconds=round(time.monotonic() - t0, 1), error=f"{exc.ename}: {exc.evalue}")
                output = run_dir / f"{name}.ipynb"
                raise SuiteError(
                    f"{name} failed in cell [{exc.exec_count}] ({_failing_source(output)}): {exc.ename}: "
                    f"{exc.evalue}\nthe executed notebook is {paths.display_path(output)}") from None
            if name == "04_analytics":
                from .analytics import report  # the answers as one HTML file to send

                written = report.render(run_dir / f"{name}.ipynb", Path(common["reports_dir"]) / report.NAME)
                progress(f"   report to send: {paths.display_path(written)}")
            done[-1].update(status="ok", seconds=round(time.monotonic() - t0, 1))
            progress(f"   {name} done in {time.monotonic() - t0:.1f} s")
    finally:
        os.environ.pop(runrecord.NOTEBOOK_ENV, None)
        for entry in done:  # links to a neighbour or the checkout lead somewhere from the run folder too
            executed = run_dir / f"{entry['name']}.ipynb"
            if executed.is_file():
                links.relink_file(executed, [paths.notebooks_dir()])
        if previous is None:
            os.environ.pop(runrecord.RUN_DIR_ENV, None)
        else:
            os.environ[runrecord.RUN_DIR_ENV] = previous
        parameters = {k: v for k, v in common.items() if k != "reports_dir"}
        runrecord.write(run_dir, done, parameters, started, target, rehearsal=rehearse)
    return run_dir
