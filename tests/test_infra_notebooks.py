"""01_infrastructure and 99_teardown as a reader meets them: what each needs,
where to go next, what 01 imports. (That their executed outputs show no password,
key or token is pinned on the whole runs of tests/test_whole_runs.py.)"""

import json

import pytest

from sparkify_nb import paths


@pytest.mark.parametrize("name, needs, last", [
    ("01_infrastructure", "Needs: nothing but this checkout (local) or AWS credentials (redshift)",
     "[Next: 02 · Schema →](02_schema.ipynb)"),
    ("99_teardown", "Needs: what 01 made (it finds it by tag, not by the state file)",
     "[Start again: 01 · Infrastructure →](01_infrastructure.ipynb)"),
])
def test_notebook_says_what_it_needs_and_where_to_go_next(name, needs, last):
    cells = json.loads((paths.project_root() / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    assert markdown[0].splitlines()[0].startswith(needs)
    assert cells[-1]["cell_type"] == "markdown" and "".join(cells[-1]["source"]) == last


def test_01_imports_only_config_infra_the_sample_seeding_and_the_warehouse_probe():
    cells = json.loads((paths.project_root() / "notebooks" / "01_infrastructure.ipynb").read_text())["cells"]
    imports = [line for c in cells if c["cell_type"] == "code" for line in "".join(c["source"]).splitlines()
               if line.startswith(("import ", "from "))]
    assert imports == ["from sparkify_nb import config, infra, staging  # staging: the sample goes where 03 reads its "
                       "sources", "from sparkify_nb import warehouse"]
