"""01_infrastructure and 99_teardown, executed by papermill on the test session's
local stack, show no password, no AWS key and no token.

Canary secrets are planted in the kernel's environment (a database password,
an AWS key pair, a session token): none may reach an output. The stack gets its
own name so it never meets nbval's run of the same notebooks.
"""

import json
import re

import papermill as pm
import pytest

from sparkify_nb import config, infra, kernel, paths

CANARIES = {
    "SPARKIFY_DB_PASSWORD": "Canary-Db-Pw-7f3a91",
    "AWS_ACCESS_KEY_ID": "AKIAZZCANARY7F3A91XQ",
    "AWS_SECRET_ACCESS_KEY": "canary/SecretAccessKey/7f3a91+zzzzzzzzzzzzzzzz",
    "AWS_SESSION_TOKEN": "CanarySessionToken7f3a91",
}
AWS_KEY = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
WORDS = re.compile(r"password|passwd|secret|token", re.I)


def outputs_text(path):
    """Every output of every code cell, as text (what a reader of the executed notebook sees)."""
    nb = json.loads(path.read_text())
    return "\n".join(json.dumps(out) for cell in nb["cells"] if cell["cell_type"] == "code"
                     for out in cell.get("outputs", []))


@pytest.fixture
def stack(monkeypatch):
    name = "nbscan"
    monkeypatch.setenv("SPARKIFY_GENERAL_STACK_NAME", name)
    monkeypatch.setenv("SPARKIFY_CLUSTER_IDENTIFIER", f"{name}-dwh")
    for key, value in CANARIES.items():
        monkeypatch.setenv(key, value)
    yield name
    infra.teardown(config.load(overrides={"general.stack_name": name, "cluster.identifier": f"{name}-dwh"}),
                   progress=lambda _: None)


@pytest.mark.slow(seconds=17)
def test_executed_01_and_99_contain_no_password_key_or_token(stack, tmp_path):
    texts = {}
    runs = (("01_infrastructure", {"sample_events": 200, "sample_days": 2}), ("99_dry_run", {"dry_run": True}),
            ("99_teardown", {}))
    for name, params in runs:
        out = tmp_path / f"{name}.ipynb"
        source = paths.project_root() / "notebooks" / f"{name.replace('_dry_run', '_teardown')}.ipynb"
        pm.execute_notebook(str(source), str(out), parameters=params, cwd=str(tmp_path), progress_bar=False,
                            log_output=False, **kernel.options())
        texts[name] = outputs_text(out)
        whole = out.read_text()
        for secret in CANARIES.values():
            assert secret not in whole, f"{name} shows a planted secret"
        assert not AWS_KEY.search(whole), f"{name} shows an AWS access key"
        assert WORDS.findall(texts[name]) == [], f"{name} output mentions a credential"
    assert "nbscan-redshift-copy: created" in texts["01_infrastructure"]
    assert "would delete cluster nbscan-dwh" in texts["99_dry_run"]
    assert "dry run: 15 tagged resources would be deleted; nothing was" in texts["99_dry_run"]
    assert "nothing tagged with the stack is left" in texts["99_teardown"]


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


def test_01_imports_only_config_infra_and_the_warehouse_probe():
    cells = json.loads((paths.project_root() / "notebooks" / "01_infrastructure.ipynb").read_text())["cells"]
    imports = [line for c in cells if c["cell_type"] == "code" for line in "".join(c["source"]).splitlines()
               if line.startswith(("import ", "from "))]
    assert imports == ["from sparkify_nb import config, infra", "from sparkify_nb import warehouse"]
