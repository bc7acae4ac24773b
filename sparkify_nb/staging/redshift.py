"""The Redshift side of a staging load: the COPY statement (``FORMAT AS
JSON``, jsonpaths for events, ``'auto'`` for songs, ``TIMEFORMAT
'epochmillisecs'``, ``MAXERROR``), running it, and that load's rows of
``stl_load_errors``. What the local emulator mirrors of it is the COPY
contract in :mod:`sparkify_nb.staging`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .. import Progress
from ..config import Settings
from ..infra import state
from ..warehouse import connect as warehouse, schema
from .errors import LoadError
from .records import Reject
from .report import LoadReport


def copy_statement(settings: Settings, table: schema.Table, source: str, jsonpaths: str | None,
                   role_arn: str, max_errors: int, manifest: bool = False) -> str:
    """The Redshift COPY for ``table`` (``jsonpaths`` None means ``'auto'``).
    ``manifest``: ``source`` is a manifest of gzip parts, as ``sparkify-nb
    compact`` writes it: ``MANIFEST GZIP``
    (https://docs.aws.amazon.com/redshift/latest/dg/loading-data-files-using-manifest.html).

    Raises :class:`LoadError` when a URI is not ``s3://`` or holds a quote
    (it is spliced into the statement)."""
    for uri in (source, jsonpaths or "s3://"):
        if not uri.startswith("s3://") or "'" in uri or "\\" in uri:
            raise LoadError(f"Redshift COPY needs an s3:// URI without quotes, not {uri!r}")
    if "'" in role_arn or not role_arn.startswith("arn:"):
        raise LoadError(f"Redshift COPY needs an IAM role ARN, not {role_arn!r}")
    json_option = f"'{jsonpaths}'" if jsonpaths else "'auto'"
    return (f"COPY \"{table.name}\" FROM '{source}'\n"
            f"IAM_ROLE '{role_arn}'\n"
            f"FORMAT AS JSON {json_option}\n"
            f"TIMEFORMAT 'epochmillisecs'\n"
            f"REGION '{settings.region}'\n"
            + ("MANIFEST\nGZIP\n" if manifest else "")
            + f"COMPUPDATE OFF STATUPDATE OFF\n"
            f"MAXERROR {int(max_errors)}")


def load_errors_query() -> str:
    """The SELECT of this load's rows of ``stl_load_errors`` (parameter: the query id)."""
    return warehouse.sql_text(Path(__file__).resolve().parent / "sql", "stl_load_errors")


def load_redshift(settings: Settings, conn: Any, table: schema.Table, source: str, jsonpaths: str | None,
                  max_errors: int, *, progress: Progress = print) -> LoadReport:
    """Reload ``table`` with Redshift COPY, with the role 01 recorded; report
    loaded rows and this load's rows of ``stl_load_errors``. Raises
    :class:`LoadError` when COPY fails (e.g. more than MAXERROR rejects);
    staging is then unchanged."""
    t0 = time.monotonic()
    record = state.load(settings, required=True)
    sql = copy_statement(settings, table, source, jsonpaths, record["role_arn"], max_errors,
                         manifest=source.endswith(".manifest"))
    report = LoadReport(table.name)
    with conn.cursor() as cur:
        try:
            cur.execute(f'DELETE FROM "{table.name}"')  # not TRUNCATE: it commits on Redshift
            cur.execute(sql)
            cur.execute("SELECT pg_last_copy_count()")
            report.loaded = cur.fetchone()[0]
            cur.execute("SELECT pg_last_copy_id()")
            query_id = cur.fetchone()[0]
            conn.commit()
        except Exception as exc:
            conn.rollback()
            raise LoadError(f"{table.name}: COPY failed, staging unchanged: {str(exc).strip()}; "
                            "see stl_load_errors for the records") from None
    errors = warehouse.query(conn, load_errors_query(), (query_id,))
    report.rejects = [Reject(r.filename, int(r.line_number), r.colname, r.type, r.raw_line, r.raw_field_value,
                             r.err_reason, int(r.err_code), str(r.col_length)) for r in errors.itertuples()]
    report.rejected = len(report.rejects)
    report.records = report.loaded + report.rejected
    report.load_id = str(query_id)
    report.seconds = time.monotonic() - t0
    progress(f"{table.name}: {report.loaded:,} rows, {report.rejected} rejected, {report.seconds:.1f} s")
    return report
