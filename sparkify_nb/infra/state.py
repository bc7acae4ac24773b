"""The record of what 01 made: ids, ARNs, endpoint. Never a secret.

Stored as ``<state dir>/infra/<target>-<stack>.json``; 02-04 read it instead
of values copied by hand into dwh.cfg, and 99 reads it to know what to delete.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import SparkifyError, paths
from ..config import SECRET_KEY, Settings


class StateError(SparkifyError):
    """The infra state file is missing or unreadable."""


def path(settings: Settings) -> Path:
    """``<state dir>/infra/<target>-<stack>.json`` (the folder is made if missing)."""
    folder = paths.state_dir() / "infra"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{settings.target}-{settings.stack_name}.json"


def load(settings: Settings, required: bool = False) -> dict[str, Any]:
    """The recorded state, ``{}`` when none (or StateError if ``required``)."""
    file = path(settings)
    if not file.is_file():
        if required:
            raise StateError(
                f"no infrastructure recorded for stack {settings.stack_name!r} on {settings.target}: "
                "run notebooks/01_infrastructure first")
        return {}
    try:
        return json.loads(file.read_text())
    except json.JSONDecodeError as exc:
        raise StateError(f"{paths.display_path(file)}: not valid JSON ({exc}); delete it and re-run 01") from None


def save(settings: Settings, state: dict[str, Any]) -> Path:
    """Write ``state`` atomically; returns the file. Raises :class:`StateError`
    for a key that looks like a secret (password, token, ...): the state file
    holds ids, ARNs and endpoints only."""
    secret_like = sorted(k for k in state if SECRET_KEY.search(k))
    if secret_like:
        raise StateError(f"refusing to record {', '.join(secret_like)} in the infra state file: "
                         "it never holds a secret")
    file = path(settings)
    paths.write_atomically(file, json.dumps(state, indent=2, sort_keys=True, default=str))
    return file


def clear(settings: Settings) -> None:
    """Remove the record (teardown does, once nothing tagged is left)."""
    path(settings).unlink(missing_ok=True)
