"""Test-session set-up shared by the unit tests (tests/) and nbval (notebooks/).

The session gets its own state folder, config file and reports folder, and
starts its own local stack there (its own database files, socket and
emulator port), so tests never touch the stack or dwh.cfg of the person
running them. nbval's kernels inherit this environment. The stack is stopped
when the session ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_SESSION: dict[str, Path] = {}


def pytest_configure(config):
    if hasattr(config, "workerinput") or _SESSION:
        return
    # (SPARKIFY_REQUEST_LOG stays: make boto3-floor records the requests of a test run with it)
    for name in [n for n in os.environ if n.startswith("SPARKIFY_") and n != "SPARKIFY_REQUEST_LOG"]:
        del os.environ[name]  # a developer's SPARKIFY_DSN or target must not leak into the tests
    # Short base path: the PostgreSQL socket path must stay under 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="spk-test-"))
    _SESSION["root"] = root
    os.environ["SPARKIFY_STATE_DIR"] = str(root / "state")
    os.environ["SPARKIFY_CONFIG"] = str(root / "dwh.cfg")  # absent: defaults, target local
    os.environ["SPARKIFY_REPORTS_DIR"] = str(root / "reports")
    os.environ["MPLBACKEND"] = "Agg"
    from sparkify_nb import local

    local.up()


def pytest_unconfigure(config):
    root = _SESSION.pop("root", None)
    if root is None:
        return
    from sparkify_nb import local

    local.down()
    shutil.rmtree(root, ignore_errors=True)

