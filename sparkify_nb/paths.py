"""Where things live: the project root, the state folder, dwh.cfg, run folders.

Every path is resolved here, never against the kernel's working directory:
papermill runs kernels in the caller's folder, nbval in the notebook's folder.

Environment overrides (all optional):

- ``SPARKIFY_HOME``: the project root.
- ``SPARKIFY_STATE_DIR``: the state folder (default ``<root>/.sparkify``); the
  test suite points it at a temporary folder so it never touches yours.
- ``SPARKIFY_CONFIG``: the config file (default ``<root>/dwh.cfg``).
"""

from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _looks_like_root(path: Path) -> bool:
    return (path / "notebooks").is_dir() and (
        (path / "pyproject.toml").is_file() or (path / "dwh.cfg").is_file()
    )


def project_root() -> Path:
    """The project folder: ``SPARKIFY_HOME``, else the checkout this package
    was installed from (editable install), else the nearest folder above the
    working directory that holds ``notebooks/``, else the working directory."""
    env = os.environ.get("SPARKIFY_HOME")
    if env:
        return Path(env).expanduser().resolve()
    if _looks_like_root(PACKAGE_DIR.parent):
        return PACKAGE_DIR.parent
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if _looks_like_root(candidate):
            return candidate
    return here


def state_dir() -> Path:
    """The folder for local state (database files, emulator logs, infra state)."""
    env = os.environ.get("SPARKIFY_STATE_DIR")
    path = Path(env).expanduser() if env else project_root() / ".sparkify"
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_path() -> Path:
    """The config file to read (it may not exist: it is optional on ``local``)."""
    env = os.environ.get("SPARKIFY_CONFIG")
    return Path(env).expanduser().resolve() if env else project_root() / "dwh.cfg"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def new_run_dir(base: Path | None = None) -> Path:
    """A fresh ``runs/<UTC timestamp>/`` folder (with ``reports/`` inside)."""
    base = base or project_root() / "runs"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run = base / stamp
    suffix = 1
    while run.exists():
        suffix += 1
        run = base / f"{stamp}-{suffix}"
    (run / "reports").mkdir(parents=True)
    return run


def reports_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Where charts and CSVs go: ``explicit`` if given, else
    ``SPARKIFY_REPORTS_DIR``, else ``<state dir>/reports``."""
    raw = explicit or os.environ.get("SPARKIFY_REPORTS_DIR")
    path = Path(raw).expanduser() if raw else state_dir() / "reports"
    if not path.is_absolute():
        path = project_root() / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def display_path(path: Path) -> str:
    """``path`` relative to the project root when inside it, so outputs and
    logs do not carry this machine's absolute paths."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(project_root()))
    except ValueError:
        return str(path)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never half of one: into a
    temporary file of this process and thread beside it, then ``os.replace``. The temporary name is this
    writer's own: with one shared ``<name>.tmp``, two processes writing at once (two runs starting the same
    local stack) replaced each other's file and the second ``os.replace`` failed with FileNotFoundError."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
