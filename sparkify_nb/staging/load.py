"""03's load step: both staging tables, from the sources the settings name,
by the target's way of loading (Redshift COPY or the local emulator).

A full load (``[etl] day`` empty) stages every song and log file. A daily load
(``[etl] day`` = ``YYYY-MM-DD``, ``[etl] days`` = N days ending there) stages
only those days' log files (``log_data/YYYY/MM/YYYY-MM-DD-events.json``) and
the song files under ``song_data`` that ``loaded_files`` does not list yet
(give ``song_data`` a narrower prefix to stage only that); the transform's
merge is incremental and idempotent, so a daily schedule costs one day's data,
not all history. :func:`record_loaded` lists the files once their rows are
merged. Both targets alike: on ``redshift`` a daily load COPYs a manifest of
its files from the stack's work bucket (:func:`_load_redshift`, :mod:`.daily`).

On ``local`` songs stage first, then events, each table replaced in its own
transaction, as with two COPYs; when the song files are small S3 objects
(:func:`.prefetch.read_ahead`), the day files load first while the song files'
bytes are fetched in the background, then the songs stage from those bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import Progress, aws
from ..config import Settings
from ..warehouse import connect as warehouse, schema
from ..infra import state
from . import compaction, daily, granted, prefetch, sources
from .emulator import load_local
from .errors import LoadError
from .mapping import auto_mapping_warnings
from .redshift import load_redshift, source_region
from .report import LoadReport, display_name


def selected_days(settings: Settings) -> list[dt.date]:
    """The UTC days a daily load stages (``[etl] day`` and ``days``), oldest first; [] for a full load."""
    day = settings.get("etl", "day")
    return sources.days_ending(day, settings.get("etl", "days")) if day else []


def load_staging(settings: Settings, conn: Any, clients: aws.Clients | None = None,
                 progress: Progress = print) -> list[LoadReport]:
    """Reload both staging tables from ``[s3] song_data`` / ``log_data``
    (empty: the target's defaults), events mapped by ``[s3] log_jsonpath``
    (``auto``: by key name), under ``[etl] max_errors`` (MAXERROR) per table;
    only the days of ``[etl] day`` / ``days`` and the new song files when a
    day is given (module docstring). On ``local`` the COPY emulator reads S3
    with ``clients`` (made here when None and a source is on S3); on
    ``redshift`` COPY runs in the cluster with the role 01 recorded.

    Returns one :class:`LoadReport` per table (songs, events); raises
    :class:`~sparkify_nb.staging.errors.LoadError` when a load aborts (that
    table's staging unchanged) or a chosen day has no log file."""
    song_data = settings.source_uri("song_data")
    log_data = settings.source_uri("log_data")
    log_jsonpath = settings.source_uri("log_jsonpath")
    jsonpaths = None if log_jsonpath.strip().lower() == "auto" else log_jsonpath
    max_errors = settings.get("etl", "max_errors")
    days = selected_days(settings)
    span = f" for {days[0]:%Y-%m-%d}" + (f" .. {days[-1]:%Y-%m-%d}" if len(days) > 1 else "") if days else ""
    progress(f"loading staging_songs from {display_name(song_data)} and staging_events from "
             f"{display_name(log_data)}{span}")
    if not settings.is_local:
        clients = clients or aws.Clients(settings)  # lists the sources before each COPY
        reports = _load_redshift(settings, conn, song_data, log_data, jsonpaths, days, clients, progress)
        return _checked(conn, reports, song_data, log_data, jsonpaths, clients, progress)
    if clients is None and any(u.startswith("s3://") for u in (song_data, log_data, jsonpaths or "")):
        clients = aws.Clients(settings)  # local folders alone need no emulator
    songs: Any = song_data
    events: Any = log_data
    if days:
        events = sources.day_objects(log_data, days, clients)
        known = loaded_names(conn, schema.STAGING_SONGS.name)
        songs = [o for o in _objects(song_data, clients) if o.name not in known]
        progress(f"  {len(events)} log files for {len(days)} day(s); {len(songs)} song files not loaded before")
    else:
        songs, events = _every_object(song_data, clients), _every_object(log_data, clients)
    ahead = prefetch.read_ahead(songs)
    if ahead is None:
        reports = [_songs_or_nothing(conn, songs, max_errors, clients, progress),
                   load_local(conn, schema.STAGING_EVENTS, events, jsonpaths, max_errors, clients=clients,
                              progress=progress)]
    else:  # the song files' bytes arrive while the day files load (prefetch's docstring says why)
        with ahead:
            events_report = load_local(conn, schema.STAGING_EVENTS, events, jsonpaths, max_errors,
                                       clients=clients, progress=progress)
            reports = [_songs_or_nothing(conn, ahead.objects, max_errors, clients, progress), events_report]
    for report, chosen in zip(reports, (songs, events)):
        report.sources = [(o.name, o.size) for o in chosen]
    return _checked(conn, reports, song_data, log_data, jsonpaths, clients, progress)


def _checked(conn: Any, reports: list[LoadReport], song_data: str, log_data: str, jsonpaths: str | None,
             clients: aws.Clients | None, progress: Progress) -> list[LoadReport]:
    """``reports`` after the ``'auto'``-mapping check of each table that staged rows. ``clients`` is
    never None here when a source is on S3 (:func:`load_staging` made them)."""
    if reports[0].loaded:
        _check_auto_mapping(conn, reports[0], schema.STAGING_SONGS, song_data, clients, progress)
    if jsonpaths is None and reports[1].loaded:
        _check_auto_mapping(conn, reports[1], schema.STAGING_EVENTS, log_data, clients, progress)
    return reports


def _check_auto_mapping(conn: Any, report: LoadReport, table: schema.Table, source: str,
                        clients: aws.Clients | None, progress: Progress) -> None:
    """Warn (in the report and through ``progress``) about columns an ``'auto'`` load left all NULL."""
    report.warnings += auto_mapping_warnings(conn, table, source, clients)
    for warning in report.warnings:
        progress(f"WARNING: {warning}")


def _objects(uri: str, clients: Any) -> list[sources.SourceObject]:
    """The objects under ``uri``, or those its manifest lists (a compacted source)."""
    if compaction.is_manifest(uri):
        return compaction.manifest_objects(uri, clients)
    return sources.list_sources(uri, clients)


def _every_object(uri: str, clients: Any) -> list[sources.SourceObject]:
    objects = _objects(uri, clients)
    if not objects:
        raise LoadError(f"source {uri}: no objects to load (Redshift COPY fails the same way)")
    return objects


def _songs_or_nothing(conn: Any, songs: list[sources.SourceObject], max_errors: int, clients: Any,
                      progress: Progress) -> LoadReport:
    """Stage ``songs``; with none left to load, empty ``staging_songs`` instead
    (a daily load on a day that brought no new song file)."""
    if songs:
        return load_local(conn, schema.STAGING_SONGS, songs, None, max_errors, clients=clients, progress=progress)
    return _emptied(conn, "TRUNCATE", progress)


def _emptied(conn: Any, how: str, progress: Progress) -> LoadReport:
    """``staging_songs`` emptied (``how``: TRUNCATE, or on Redshift DELETE, since TRUNCATE commits there)."""
    table = schema.quote_identifier(schema.STAGING_SONGS.name)
    warehouse.run(conn, [f"TRUNCATE {table}" if how == "TRUNCATE" else f"DELETE FROM {table}"])
    progress("staging_songs: no song file new since the last load, nothing staged")
    return LoadReport(schema.STAGING_SONGS.name)


def _load_redshift(settings: Settings, conn: Any, song_data: str, log_data: str, jsonpaths: str | None,
                   days: list[dt.date], clients: aws.Clients, progress: Progress) -> list[LoadReport]:
    """On Redshift a full load COPYs each source as it is (a prefix, or the
    manifest of a compacted source); a daily load COPYs a manifest of exactly
    its files, written into the stack's work bucket (:mod:`.daily`), and with
    no song file new empties ``staging_songs`` without a COPY. Either way the
    objects are listed first (names and sizes: the load report, and
    ``loaded_files`` after the merge) and checked against what 01 let the COPY
    role read (:mod:`.granted`) before any statement runs."""
    record = state.load(settings, required=True)
    max_errors = settings.get("etl", "max_errors")
    if jsonpaths:
        granted.require(record, "log_jsonpath", jsonpaths, [jsonpaths])
    if not days:
        songs, events = _every_object(song_data, clients), _every_object(log_data, clients)
        for name, source, objects in (("song_data", song_data, songs), ("log_data", log_data, events)):
            manifest = compaction.is_manifest(source)
            granted.require(record, name, source, ([source] if manifest else []) + [o.name for o in objects],
                            listed=[] if manifest else [source])
        return [load_redshift(settings, conn, table, source, paths, max_errors, clients=clients, progress=progress,
                              objects=objects, gzip=daily.gzipped(objects))  # a prefix of .gz files too
                for table, source, paths, objects in ((schema.STAGING_SONGS, song_data, None, songs),
                                                      (schema.STAGING_EVENTS, log_data, jsonpaths, events))]
    events = sources.day_objects(log_data, days, clients)
    known = loaded_names(conn, schema.STAGING_SONGS.name)
    songs = [o for o in _objects(song_data, clients) if o.name not in known]
    progress(f"  {len(events)} log files for {len(days)} day(s); {len(songs)} song files not loaded before")
    plan = [(schema.STAGING_SONGS, "song_data", song_data, None, songs),
            (schema.STAGING_EVENTS, "log_data", log_data, jsonpaths, events)]
    for _, name, source, _, objects in plan:  # every check before anything is written or loaded
        granted.require(record, name, source, [o.name for o in objects])
        daily.gzipped(objects)
    reports = []
    for table, name, source, paths, objects in plan:
        if not objects:  # no song file new (a day without a log file stopped day_objects)
            reports.append(_emptied(conn, "DELETE", progress))
            continue
        region = source_region(settings, record, source, clients)
        daily.same_region(record, region, f"files of [s3] {name}")
        uri = daily.manifest_uri(record, table.name)
        granted.require(record, "the work bucket", uri, [uri])
        daily.write_manifest(uri, objects, clients)
        progress(f"{table.name}: COPY manifest of {len(objects)} files written to {uri}")
        reports.append(load_redshift(settings, conn, table, uri, paths, max_errors, clients=clients,
                                     progress=progress, objects=objects, region=region,
                                     gzip=daily.gzipped(objects)))
    return reports


def loaded_names(conn: Any, table: str) -> set[str]:
    """The source files of ``table`` whose rows reached the star schema (``loaded_files``)."""
    return loaded_names_by_table(conn, [table])[table]


def loaded_names_by_table(conn: Any, tables: list[str]) -> dict[str, set[str]]:
    """:func:`loaded_names` of each of ``tables``, in one query (on the Data API one round trip)."""
    params = {f"tbl{i}": table for i, table in enumerate(tables)}
    rows = warehouse.query(conn, "SELECT tbl, filename FROM loaded_files WHERE tbl IN ("
                           + ", ".join(f"CAST(%({name})s AS VARCHAR(65535))" for name in params) + ")", params)
    known: dict[str, set[str]] = {table: set() for table in tables}
    for table, filename in rows.itertuples(index=False):
        known[table].add(filename)
    return known


ROWS_PER_INSERT = 100       # keeps one INSERT's text a few KB (the Data API takes statements of 100 KB at most)
INSERTS_PER_COMMIT = 40     # a Data API batch holds 40 statements at most (data_api.MAX_BATCH)


def record_loaded(conn: Any, reports: list[LoadReport]) -> int:
    """List the files of ``reports`` in ``loaded_files`` (those not listed yet);
    call it once the transform has committed their rows. Returns how many were added.

    Values go as named parameters (the Data API takes no positional ones),
    :data:`ROWS_PER_INSERT` rows an INSERT and :data:`INSERTS_PER_COMMIT`
    INSERTs a commit: on the Data API a commit is one batch, whose statements
    share one ``Parameters`` list, so each row's names are unique in its commit
    (``f0`` .. ``f3999``; a limit on the number of parameters of a batch is not
    documented in botocore's model: unconfirmed). A failure halfway leaves some
    files unlisted, never a wrong one: listing is idempotent."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rows = []
    known = loaded_names_by_table(conn, sorted({report.table for report in reports})) if reports else {}
    for report in reports:
        rows += [(report.table, name, size) for name, size in report.sources if name not in known[report.table]]
    inserts = []
    per_commit = ROWS_PER_INSERT * INSERTS_PER_COMMIT
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start:start + ROWS_PER_INSERT]
        params: dict[str, Any] = {"loaded_at": now}
        values = []
        for i, (table, name, size) in enumerate(chunk, start % per_commit):
            params.update({f"t{i}": table, f"f{i}": name, f"b{i}": size})
            values.append(f"(CAST(%(t{i})s AS VARCHAR(65535)), CAST(%(f{i})s AS VARCHAR(65535)), "
                          f"CAST(%(b{i})s AS BIGINT), CAST(%(loaded_at)s AS TIMESTAMP))")
        inserts.append((f"INSERT INTO loaded_files (tbl, filename, bytes, loaded_at) VALUES {', '.join(values)}",
                        params))
    for start in range(0, len(inserts), INSERTS_PER_COMMIT):
        warehouse.run(conn, inserts[start:start + INSERTS_PER_COMMIT], label="loaded_files")
    return len(rows)
