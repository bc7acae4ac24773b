"""`sparkify-nb run`: papermill over the suite, failures that name notebook and cell."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from sparkify_nb import runner

ROOT = Path(__file__).resolve().parent.parent


def test_resolve_accepts_prefixes_and_full_names():
    assert runner.resolve(["03", "99_teardown", "04_analytics.ipynb"]) == ["03_etl", "99_teardown", "04_analytics"]


def test_resolve_rejects_an_unknown_name():
    with pytest.raises(runner.SuiteError, match="unknown notebook '05'"):
        runner.resolve(["05"])


def test_every_notebook_has_one_parameters_cell_and_the_python3_kernel():
    for name in runner.ALL_NOTEBOOKS:
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        assert "target = \"\"" in tagged[0].source, name
        assert nb.metadata["kernelspec"]["name"] == "python3", name


def _project_with(tmp_path, cells):
    """A throwaway project whose 01 notebook holds ``cells``."""
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    nb = new_notebook(cells=[new_code_cell('target = ""', metadata={"tags": ["parameters"]})] +
                      [new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "notebooks" / "01_infrastructure.ipynb")
    return tmp_path


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
