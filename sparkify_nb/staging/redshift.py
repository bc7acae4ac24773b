"""The Redshift side of a staging load: the COPY statement (``FORMAT AS
JSON``, jsonpaths for events, ``'auto'`` for songs, ``TIMEFORMAT
'epochmillisecs'``, ``MAXERROR``, ``REGION`` of the source bucket), running it
through the connection seam (Data API or psycopg2, the same calls), and that
load's rejected records. What the local emulator mirrors of it is the COPY
contract in :mod:`sparkify_nb.staging`.

Where the rejects are read, one SQL file per system view under ``sql/``:

- provisioned clusters: ``stl_load_errors`` by the COPY's query id
  (``pg_last_copy_id()``), with the raw line and raw field value;
- Serverless: ``sys_load_error_detail``; STL tables are for provisioned
  clusters only ("System monitoring (provisioned only)",
  https://docs.aws.amazon.com/redshift/latest/dg/c_intro_system_views.html).
  That view has no ``raw_line`` / ``raw_field_value`` columns
  (https://docs.aws.amazon.com/redshift/latest/dg/SYS_LOAD_ERROR_DETAIL.html),
  so on Serverless a reject names file, line, column and reason, and its raw
  value is empty.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

from .. import Progress, aws
from ..config import Settings
from ..infra import state
from ..infra.preflight import bucket_region
from ..warehouse import connect as warehouse, schema
from .errors import LoadError
from .records import Reject
from .report import LoadReport
from .sources import SourceObject, parse_s3_uri
from .watch import describe_prefix, heartbeat, size_text

SQL_DIR = Path(__file__).resolve().parent / "sql"


def source_region(settings: Settings, record: dict[str, Any], source: str,
                  clients: aws.Clients | None = None) -> str:
    """The Region of ``source``'s bucket, for COPY's ``REGION``: what 01's
    preflight found for that bucket (``source_regions`` in the infra record),
    else asked of S3 now when ``clients`` are given (a source 01 did not see,
    such as a compacted copy in your own bucket), else 01's single
    ``source_region``, else ``[general] region``.

    COPY's ``REGION`` names where the *data* is: "If the Amazon S3 buckets that
    hold the data files don't reside in the same AWS Region as your cluster,
    you must use the REGION parameter to specify the Region in which the data
    is located" (https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-source-s3.html)."""
    bucket = parse_s3_uri(source)[0]
    for name, region in (record.get("source_regions") or {}).items():
        uri = settings.source_uri(name)
        if uri.startswith("s3://") and parse_s3_uri(uri)[0] == bucket:
            return region
    if clients is not None:
        return bucket_region(clients("s3"), bucket)  # one GetBucketLocation (or HeadBucket) per load
    return record.get("source_region") or settings.region


def copy_statement(settings: Settings, table: schema.Table, source: str, jsonpaths: str | None,
                   role_arn: str, max_errors: int, region: str | None = None, manifest: bool = False,
                   gzip: bool | None = None) -> str:
    """The Redshift COPY for ``table`` (``jsonpaths`` None means ``'auto'``);
    ``region``: the source bucket's Region (default ``[general] region``);
    ``manifest``: ``source`` is a manifest (``MANIFEST``,
    https://docs.aws.amazon.com/redshift/latest/dg/loading-data-files-using-manifest.html);
    ``gzip``: the files are gzip (``GZIP``; default: as ``manifest``, since
    ``sparkify-nb compact`` writes gzip parts).

    ``TRIMBLANKS`` ("Removes the trailing white space characters from a VARCHAR
    string", https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-conversion.html):
    Redshift ignores trailing blanks when it compares VARCHAR values
    (r_Character_types.html) and PostgreSQL does not, so the loaded text carries none
    and the transform's matches, 04's groups and every comparison give one answer on
    both targets (the local COPY emulator trims the same way). COPY takes TRIMBLANKS
    with FORMAT AS JSON: the options "not supported with JSON" are listed in
    https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-format.html#copy-json
    and it is not among them.

    Raises :class:`LoadError` when a URI is not ``s3://`` or holds a quote
    (it is spliced into the statement), or the role or Region looks wrong."""
    for uri in (source, jsonpaths or "s3://"):
        if not uri.startswith("s3://") or "'" in uri or "\\" in uri:
            raise LoadError(f"Redshift COPY needs an s3:// URI without quotes, not {uri!r}")
    if "'" in role_arn or not role_arn.startswith("arn:"):
        raise LoadError(f"Redshift COPY needs an IAM role ARN, not {role_arn!r}")
    region = region or settings.region
    if not region.replace("-", "").isalnum():
        raise LoadError(f"Redshift COPY needs an AWS Region name such as us-west-2, not {region!r}")
    json_option = f"'{jsonpaths}'" if jsonpaths else "'auto'"
    return (f"COPY \"{table.name}\" FROM '{source}'\n"
            f"IAM_ROLE '{role_arn}'\n"
            f"FORMAT AS JSON {json_option}\n"
            f"TIMEFORMAT 'epochmillisecs'\n"
            f"TRIMBLANKS\n"
            f"REGION '{region}'\n"
            + ("MANIFEST\n" if manifest else "") + ("GZIP\n" if (manifest if gzip is None else gzip) else "")
            + f"COMPUPDATE OFF STATUPDATE OFF\n"
            f"MAXERROR {int(max_errors)}")


def load_errors_view(record: dict[str, Any]) -> str:
    """``sys_load_error_detail`` on Serverless, ``stl_load_errors`` on a provisioned cluster."""
    return "sys_load_error_detail" if record.get("kind") == "serverless" else "stl_load_errors"


def load_errors_query(view: str = "stl_load_errors") -> str:
    """The SELECT of one load's rejects from ``view`` (the SQL file of that name)."""
    return warehouse.sql_text(SQL_DIR, view)


def load_statements(settings: Settings, record: dict[str, Any], table: schema.Table, source: str,
                    jsonpaths: str | None, max_errors: int, clients: aws.Clients | None = None,
                    region: str | None = None, gzip: bool | None = None) -> list[str]:
    """What one load sends, in order, as one transaction: empty the table (not
    TRUNCATE: it commits on Redshift), COPY, then read the loaded-row count and
    the COPY's query id in the same session. ``region``: the files' Region
    (default: :func:`source_region` of ``source``); ``gzip``: see :func:`copy_statement`."""
    copy = copy_statement(settings, table, source, jsonpaths, record["role_arn"], max_errors,
                          region=region or source_region(settings, record, source, clients),
                          manifest=source.endswith(".manifest"), gzip=gzip)
    return [f'DELETE FROM "{table.name}"', copy, "SELECT pg_last_copy_count(), pg_last_copy_id()"]


def load_redshift(settings: Settings, conn: Any, table: schema.Table, source: str, jsonpaths: str | None,
                  max_errors: int, *, clients: aws.Clients | None = None, progress: Progress = print,
                  objects: Sequence[SourceObject] | None = None, region: str | None = None,
                  gzip: bool | None = None) -> LoadReport:
    """Reload ``table`` with Redshift COPY, with the role 01 recorded; report
    loaded rows and this load's rejected records. Raises :class:`LoadError`
    when COPY fails (e.g. more than MAXERROR rejects); staging is then
    unchanged. On the Data API the three statements are one batch, so one
    transaction, and the reject query runs in the same session.

    What COPY is about to read is reported first: ``objects`` (listed by the
    caller: they become the report's files, bytes and ``sources``, which
    ``loaded_files`` records), else, with ``clients``, the object count and
    size under ``source``. While COPY runs, its elapsed time every 30 s
    (:mod:`.watch`). ``region`` and ``gzip``: see :func:`load_statements`."""
    t0 = time.monotonic()
    record = state.load(settings, required=True)
    view = load_errors_view(record)
    delete, copy, counts = load_statements(settings, record, table, source, jsonpaths, max_errors, clients,
                                           region=region, gzip=gzip)
    report = LoadReport(table.name)
    if objects is not None:
        report.sources = [(o.name, o.size) for o in objects]
        report.files, report.bytes = len(objects), sum(o.size for o in objects)
        progress(f"{source}: {report.files:,} objects, {size_text(report.bytes)}")
    elif clients is not None:  # what COPY is about to read: the load report's files and bytes
        files, size = describe_prefix(source, clients, progress)
        report.files, report.bytes = max(files, 0), max(size, 0)
    with conn.cursor() as cur:
        try:
            # The Data API sends the batch at commit and psycopg2 blocks in COPY: beat around both.
            with heartbeat(progress, f"COPY {table.name}"):
                cur.execute(delete)
                cur.execute(copy)
                cur.execute(counts)
                loaded, query_id = cur.fetchone()
                conn.commit()
        except Exception as exc:
            conn.rollback()
            raise _aborted(conn, view, table.name, report, str(exc).strip()) from None
    params = table_params(table.name) if view == "sys_load_error_detail" else {"query_id": int(query_id)}
    report.rejects = _rejects(conn, load_errors_query(view), params)
    report.loaded = int(loaded)
    report.rejected = len(report.rejects)
    report.records = report.loaded + report.rejected
    report.load_id = str(query_id)
    report.seconds = time.monotonic() - t0
    progress(f"{table.name}: {report.loaded:,} rows, {report.rejected} rejected, {report.seconds:.1f} s")
    return report


SHOWN_REJECTS = 3  # rejected records quoted in the error of an aborted COPY (all of them are in its report)


def _rejects(conn: Any, sql: str, params: dict[str, Any]) -> list[Reject]:
    errors = warehouse.query(conn, sql, params)
    return [Reject(r.filename, int(r.line_number), r.colname, r.type, r.raw_line or "", r.raw_field_value or "",
                   r.err_reason, int(r.err_code), str(r.col_length)) for r in errors.itertuples()]


def table_params(table: str) -> dict[str, str]:
    """The parameters that name a staging table in a load-errors query: bare
    and schema-qualified (``sys_load_error_detail.sql`` says why both)."""
    return {"table_name": table, "qualified_name": f"public.{table}"}


def aborted_rejects_query(view: str) -> str:
    """The SELECT of the rejects of this session's last COPY into a table
    (parameter ``table_name``), for a COPY that aborted: it has no query id of
    its own to go by. On Serverless that is already what
    ``sys_load_error_detail.sql`` selects."""
    return load_errors_query("stl_load_errors_aborted" if view == "stl_load_errors" else view)


def _aborted(conn: Any, view: str, table: str, report: LoadReport, error: str) -> LoadError:
    """The error of a COPY that failed, with its first rejected records read
    back after the rollback (as the local emulator's error names its first
    reject); the report carries all of them for 03's table. A failure to read
    them is said, never hidden behind the COPY's own error."""
    try:
        report.rejects = _rejects(conn, aborted_rejects_query(view), table_params(table))
    except Exception as exc:  # the COPY's error matters more; say why the rejects are missing
        first = f"; its rejected records could not be read from {view}: {str(exc).strip()}"
    else:
        shown = "; ".join(f"{r.filename} line {r.line_number}{' column ' + r.colname if r.colname else ''}: "
                          f"{r.err_reason}" for r in report.rejects[:SHOWN_REJECTS])
        first = (f". First rejected: {shown} ({len(report.rejects)} in {view})" if report.rejects
                 else f"; {view} holds no rejected record for it")
    report.rejected = len(report.rejects)
    return LoadError(f"{table}: COPY failed, staging unchanged: {error}{first}", report)
