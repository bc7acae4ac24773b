"""04 connects as the read-only analyst, never as the admin: ``[cluster]
analyst_user``, the member of the group ``analysts`` that 02 makes
(:mod:`sparkify_nb.warehouse.analysts`: SELECT on the star tables, nothing
else). An analysis that tried to write, or to read staging, would fail with
the database's "permission denied"."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from .. import Progress, aws, warehouse
from ..config import Settings


def analyst(settings: Settings) -> str:
    """The database user 04 runs as: ``[cluster] analyst_user``."""
    return settings.get("cluster", "analyst_user")


def open_connection(settings: Settings, clients: aws.Clients | None = None, progress: Progress = print) -> Any:
    """A connection as the analyst (caller closes it); see :func:`sparkify_nb.warehouse.open_connection`."""
    return warehouse.open_connection(settings, clients, progress, user=analyst(settings))


def connection(settings: Settings, clients: aws.Clients | None = None) -> closing[Any]:
    """:func:`open_connection` as a context manager that always closes it."""
    return closing(open_connection(settings, clients))
