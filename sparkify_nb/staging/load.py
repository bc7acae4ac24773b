"""03's load step: both staging tables, from the sources the settings name,
by the target's way of loading (Redshift COPY or the local emulator)."""

from __future__ import annotations

from typing import Any

from .. import Progress, aws
from ..config import Settings
from ..warehouse import schema
from .emulator import load_local
from .mapping import auto_mapping_warnings
from .redshift import load_redshift
from .report import LoadReport, display_name


def load_staging(settings: Settings, conn: Any, clients: aws.Clients | None = None,
                 progress: Progress = print) -> list[LoadReport]:
    """Reload both staging tables from ``[s3] song_data`` / ``log_data``
    (empty: the target's defaults), events mapped by ``[s3] log_jsonpath``
    (``auto``: by key name), tolerating ``[etl] max_errors`` rejects per table.
    On ``local`` the COPY emulator reads S3 with ``clients`` (made here when
    None and a source is on S3); on ``redshift`` COPY runs in the cluster with
    the role 01 recorded.

    Returns one :class:`LoadReport` per table (songs, events); raises
    :class:`~sparkify_nb.staging.errors.LoadError` when a load aborts (that
    table's staging unchanged)."""
    song_data = settings.source_uri("song_data")
    log_data = settings.source_uri("log_data")
    log_jsonpath = settings.source_uri("log_jsonpath")
    jsonpaths = None if log_jsonpath.strip().lower() == "auto" else log_jsonpath
    max_errors = settings.get("etl", "max_errors")
    progress(f"loading staging_songs from {display_name(song_data)} and staging_events from {display_name(log_data)}")
    if settings.is_local:
        if clients is None and any(u.startswith("s3://") for u in (song_data, log_data, jsonpaths or "")):
            clients = aws.Clients(settings)  # local folders alone need no emulator
        reports = [load_local(conn, schema.STAGING_SONGS, song_data, None, max_errors, clients=clients,
                              progress=progress),
                   load_local(conn, schema.STAGING_EVENTS, log_data, jsonpaths, max_errors, clients=clients,
                              progress=progress)]
    else:
        clients = clients or aws.Clients(settings)  # lists the sources before each COPY
        reports = [load_redshift(settings, conn, schema.STAGING_SONGS, song_data, None, max_errors,
                                 clients=clients, progress=progress),
                   load_redshift(settings, conn, schema.STAGING_EVENTS, log_data, jsonpaths, max_errors,
                                 clients=clients, progress=progress)]
    _check_auto_mapping(settings, conn, reports[0], schema.STAGING_SONGS, song_data, clients, progress)
    if jsonpaths is None:
        _check_auto_mapping(settings, conn, reports[1], schema.STAGING_EVENTS, log_data, clients, progress)
    return reports


def _check_auto_mapping(settings: Settings, conn: Any, report: LoadReport, table: schema.Table, source: str,
                        clients: aws.Clients | None, progress: Progress) -> None:
    """Warn (in the report and through ``progress``) about columns an ``'auto'`` load left all NULL."""
    if clients is None and source.startswith("s3://"):
        clients = aws.Clients(settings)
    report.warnings += auto_mapping_warnings(conn, table, source, clients)
    for warning in report.warnings:
        progress(f"WARNING: {warning}")
