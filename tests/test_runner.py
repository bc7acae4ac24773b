"""`sparkify-nb run`: papermill over the suite, failures that name notebook and cell."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from sparkify_nb import paths, runner

ROOT = Path(__file__).resolve().parent.parent


def test_resolve_accepts_prefixes_and_full_names():
    assert runner.resolve(["03", "99_teardown", "04_analytics.ipynb"]) == ["03_etl", "99_teardown", "04_analytics"]


def test_resolve_rejects_an_unknown_name():
    with pytest.raises(runner.SuiteError, match="unknown notebook '05'"):
        runner.resolve(["05"])


def test_every_notebook_has_one_parameters_cell_and_names_the_projects_kernel():
    for name in runner.ALL_NOTEBOOKS:
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        assert "target = \"\"" in tagged[0].source, name
        assert nb.metadata["kernelspec"]["name"] == "sparkify-nb", name


def _project_with(tmp_path, cells):
    """A throwaway project whose 01 notebook holds ``cells``."""
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    nb = new_notebook(cells=[new_code_cell('target = ""', metadata={"tags": ["parameters"]})] +
                      [new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "sparkify-nb", "display_name": "Python (sparkify-nb)", "language": "python"}
    nbformat.write(nb, tmp_path / "notebooks" / "01_infrastructure.ipynb")
    return tmp_path


@pytest.mark.slow(seconds=6)
def test_a_failing_cell_stops_the_run_naming_notebook_and_cell(tmp_path, monkeypatch):
    project = _project_with(tmp_path, ["x = 1", "raise ValueError('bad input in cell three')"])
    monkeypatch.setenv("SPARKIFY_HOME", str(project))
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sparkify_nb.cli", "run", "--only", "01", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "01_infrastructure failed in cell [3] (raise ValueError('bad input in cell three'))" in proc.stderr
    assert "ValueError: bad input in cell three" in proc.stderr
    assert "01_infrastructure.ipynb" in proc.stderr
    assert "without encryption" not in proc.stdout + proc.stderr  # ipykernel's per-kernel TCP warning
    executed = nbformat.read(out / "01_infrastructure.ipynb", as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["ValueError"]


def test_parameters_reach_the_notebook(tmp_path, monkeypatch):
    project = _project_with(tmp_path, ["import json, pathlib\n"
                                       "pathlib.Path(reports_dir, 'seen.json').write_text(json.dumps(target))"])
    nb = nbformat.read(project / "notebooks" / "01_infrastructure.ipynb", as_version=4)
    nb.cells[0].source = 'target = ""\nreports_dir = ""'
    nbformat.write(nb, project / "notebooks" / "01_infrastructure.ipynb")
    monkeypatch.setenv("SPARKIFY_HOME", str(project))
    run_dir = runner.run_suite(["01_infrastructure"], target="local", out=tmp_path / "run", progress=lambda _: None)
    assert json.loads((run_dir / "reports" / "seen.json").read_text()) == "local"


def test_a_clean_run_prints_no_kernel_transport_warning(tmp_path, monkeypatch, capfd):
    project = _project_with(tmp_path, ["x = 1"])
    monkeypatch.setenv("SPARKIFY_HOME", str(project))
    runner.run_suite(["01_infrastructure"], out=tmp_path / "run", progress=lambda _: None)
    captured = capfd.readouterr()
    assert "Kernel is running over TCP" not in captured.out + captured.err


@pytest.mark.parametrize("text, value", [("5", 5), ("true", True), ("null", None), ("2018-11-01", "2018-11-01"),
                                         ("paid", "paid"), ('"05"', "05")])
def test_command_line_parameter_values_are_read_as_papermill_reads_them(text, value):
    assert runner.parameter_value(text) == value


@pytest.mark.parametrize("name, needs, after", [
    ("02_schema", "Needs: a running warehouse from 01", "[Next: 03 · ETL →](03_etl.ipynb)"),
    ("04_analytics", "Needs: the star schema 03 loaded", "[Next: 99 · Teardown →](99_teardown.ipynb)"),
])
def test_a_notebook_says_what_it_needs_first_and_where_to_go_last(name, needs, after):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(needs)
    assert nb.cells[-1].cell_type == "markdown" and nb.cells[-1].source.startswith(after)


def test_04_imports_only_config_and_analytics():
    nb = nbformat.read(ROOT / "notebooks" / "04_analytics.ipynb", as_version=4)
    imports = [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
               if line.startswith(("import ", "from "))]
    assert imports == ["from sparkify_nb import analytics, config"]


@pytest.mark.slow(seconds=6)
def test_notebooks_run_on_this_interpreter_whatever_python3_kernelspec_the_user_has(tmp_path, monkeypatch):
    """A user-level `python3` kernelspec (as Anaconda or pyenv leave) pointing at
    another interpreter, preferred over the environment's: Jupyter's own lookup
    now finds it, yet `sparkify-nb run --only 01` runs 01 on this Python."""
    from jupyter_client.kernelspec import KernelSpecManager

    other = str(Path(sys.base_prefix) / "bin" / "python3")
    data = tmp_path / "home" / ".local" / "share" / "jupyter"
    for name in ("python3", "sparkify-nb"):
        (data / "kernels" / name).mkdir(parents=True)
        (data / "kernels" / name / "kernel.json").write_text(json.dumps({
            "argv": [other, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (elsewhere)", "language": "python"}))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")  # user kernelspecs first, as outside a venv
    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == other  # the trap is set
    project = _project_with(tmp_path, ["import json, pathlib, sys, sparkify_nb\n"
                                       "pathlib.Path(reports_dir, 'python.json').write_text(json.dumps(sys.executable))"])
    nb = nbformat.read(project / "notebooks" / "01_infrastructure.ipynb", as_version=4)
    nb.cells[0].source = 'target = ""\nreports_dir = ""'
    nbformat.write(nb, project / "notebooks" / "01_infrastructure.ipynb")
    monkeypatch.setenv("SPARKIFY_HOME", str(project))
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sparkify_nb.cli", "run", "--only", "01", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "reports" / "python.json").read_text()) == sys.executable


def _notebook(project, name, cells):
    nb = new_notebook(cells=[new_code_cell('target = ""', metadata={"tags": ["parameters"]})] +
                      [new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "sparkify-nb", "display_name": "Python (sparkify-nb)", "language": "python"}
    nbformat.write(nb, project / "notebooks" / f"{name}.ipynb")


def test_a_run_whose_second_notebook_fails_is_failed_and_keeps_the_first_ones_record(tmp_path, monkeypatch):
    """Two notebooks: the first runs and notes a fact, the second raises. The run is failed (not
    only when every notebook failed), the first is ok with its note, the second failed with its error."""
    project = _project_with(tmp_path, ["from sparkify_nb import runrecord\n"
                                       "runrecord.note('01_infrastructure', made=['cluster'])"])
    _notebook(project, "02_schema", ["raise RuntimeError('no warehouse')"])
    monkeypatch.setenv("SPARKIFY_HOME", str(project))
    with pytest.raises(runner.SuiteError, match=r"02_schema failed in cell \[2\]"):
        runner.run_suite(["01_infrastructure", "02_schema"], out=tmp_path / "run", progress=lambda _: None)
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "failed"
    assert [(n["name"], n["status"]) for n in record["notebooks"]] == [("01_infrastructure", "ok"),
                                                                       ("02_schema", "failed")]
    assert record["notebooks"][1]["error"] == "RuntimeError: no warehouse"
    assert "error" not in record["notebooks"][0]
    assert record["steps"] == {"01_infrastructure": {"made": ["cluster"]}}


@pytest.mark.parametrize("statuses, expected", [
    (["ok", "ok", "ok"], "ok"), (["ok", "ok", "failed"], "failed"), (["failed"], "failed"),
    (["ok", "failed", "ok"], "failed"), (["failed", "failed"], "failed")])
def test_a_run_record_is_failed_when_any_of_its_notebooks_failed(tmp_path, statuses, expected):
    from sparkify_nb import runrecord

    notebooks = [{"name": f"0{n + 1}_nb", "status": s, "seconds": 1.0} for n, s in enumerate(statuses)]
    record = runrecord.write(tmp_path, notebooks, {}, "2018-11-01T00:00:00Z", "local")
    assert record["status"] == expected
    assert json.loads((tmp_path / "run.json").read_text())["status"] == expected
    assert f" {expected} " in runrecord.summary_line(record)


def test_a_run_reads_notebooks_without_compiling_jsonschemas_iri_grammar_and_still_validates_them():
    """The runner and papermill in a fresh process: the optional RFC 3987 grammar (1.5 s of CPU
    on import) is never loaded, and nbformat still refuses a notebook that breaks its schema."""
    probe = (
        "import sys\n"
        "from sparkify_nb import runner\n"
        "import papermill, nbformat, jsonschema\n"
        "assert sys.modules.get('rfc3987_syntax') is None, 'grammar imported'\n"
        "nb = nbformat.read(sys.argv[1], as_version=4)\n"
        "nbformat.validate(nb)\n"
        "nb.cells[0]['cell_type'] = 'no such type'\n"
        "try:\n"
        "    nbformat.validate(nb)\n"
        "except nbformat.ValidationError:\n"
        "    print('refused')\n")
    done = subprocess.run([sys.executable, "-c", probe, str(paths.notebooks_dir() / "02_schema.ipynb")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused"
