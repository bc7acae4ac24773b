"""COPY executed as Redshift would, with the project's COPY emulator
(:func:`sparkify_nb.staging.emulator.copy_rows`) reading the emulator's S3
with exactly the options the statement names, appending inside the caller's
transaction (the rules and their sources: :mod:`sparkify_nb.local.rehearsal`).

Before a byte is read: ``IAM_ROLE`` must name a role that exists, is
associated with the cluster and trusts Redshift; its policies must allow
``s3:ListBucket`` on the source's prefix (with a manifest or a jsonpaths file:
on each object's key) and ``s3:GetObject`` on every object read (the manifest
and the jsonpaths file too); each bucket must be in the COPY's Region
(``REGION``, else the cluster's), a manifest's files included. Rejected records go to
``stl_load_errors`` / ``sys_load_error_detail`` and the COPY to
``sys_load_history``, written on a connection of their own so that they
survive the rollback of an aborted COPY, as Redshift's system tables do.
"""

from __future__ import annotations

import gzip
import logging
import time
from datetime import datetime, timezone
from typing import Any

from sqlglot import exp

from ...staging import compaction, sources
from ...staging.convert import Conversion
from ...staging.emulator import copy_rows
from ...staging.errors import LoadError
from ...staging.jsonpaths import read_jsonpaths
from ...warehouse import schema
from . import backing, iam_eval
from .statements import Failed, idle

log = logging.getLogger(__name__)
KNOWN = ("FORMAT AS JSON", "JSON", "TIMEFORMAT", "MAXERROR", "REGION", "MANIFEST", "GZIP", "COMPUPDATE", "STATUPDATE",
         "TRIMBLANKS", "TRUNCATECOLUMNS", "BLANKSASNULL", "EMPTYASNULL", "ACCEPTINVCHARS")
_FLAGS = ("MANIFEST", "GZIP", "TRIMBLANKS", "TRUNCATECOLUMNS", "BLANKSASNULL", "EMPTYASNULL")
# "The following options aren't supported with JSON" (copy-parameters-data-format.html#copy-json);
# sqlglot reads NULL AS 'x' as the option NULL
NOT_WITH_JSON = ("CSV", "DELIMITER", "ESCAPE", "FILLRECORD", "FIXEDWIDTH", "IGNOREBLANKLINES", "NULL", "READRATIO",
                 "REMOVEQUOTES")
MAXERROR_LIMIT = 100000  # "The MAXERROR default value is 0 and the limit is 100000" (copy-parameters-data-load.html)
_MAPPINGS = ("auto", "auto ignorecase")   # and an s3:// jsonpaths file (copy-parameters-data-format.html#copy-json)
_TYPES = {"integer": ("INTEGER", "int4"), "bigint": ("BIGINT", "int8"),
          "double precision": ("DOUBLE PRECISION", "float8"), "timestamp without time zone": ("TIMESTAMP", "timestamp")}
ACCESS_DENIED = "ERROR: S3ServiceException:Access Denied,Status 403,Error AccessDenied"
WRONG_REGION = ("ERROR: S3ServiceException:The bucket you are attempting to access must be addressed using the "
                "specified endpoint.,Status 301,Error PermanentRedirect")


def options(tree: exp.Copy) -> dict[str, str]:
    """The COPY's options by name; refuses the options the rehearsal does not
    emulate, rather than ignoring them, and those Redshift does not take with JSON.
    sqlglot reads every option as a name and a value, so a flag (``MANIFEST``,
    ``GZIP``: no value) swallows the next option's name (``MANIFEST COMPUPDATE``
    then ``OFF STATUPDATE``): the names and values are laid out in order and read
    again knowing which are flags. ``ACCEPTINVCHARS [AS] ['c']`` takes a value only
    when a string follows ('?' without: copy-parameters-data-conversion.html)."""
    tokens: list[tuple[str, bool]] = []
    for param in tree.args.get("params") or []:
        value = param.expression
        tokens.append((param.this.name, False))
        if value is not None:
            tokens.append((value.name, isinstance(value, exp.Literal) and value.is_string))
    out: dict[str, str] = {}
    at = 0
    while at < len(tokens):
        name = tokens[at][0].upper()
        if name in NOT_WITH_JSON:
            raise Failed(f"ERROR: {name} is not supported with JSON: Redshift's COPY does not take it with FORMAT AS "
                         "JSON (wording unconfirmed)")
        if name not in KNOWN:
            raise Failed(f"ERROR: the rehearsal does not emulate the COPY option {name}; it takes "
                         f"{', '.join(KNOWN)}")
        if name in _FLAGS or (name == "ACCEPTINVCHARS" and not (at + 1 < len(tokens) and tokens[at + 1][1])):
            out[name], at = "?" if name == "ACCEPTINVCHARS" else "", at + 1
            continue
        value, quoted = tokens[at + 1] if at + 1 < len(tokens) else ("", False)
        if name == "MAXERROR":
            _check_maxerror(value, quoted)
        out[name] = value
        at += 2
    if "JSON" in out:
        out.setdefault("FORMAT AS JSON", out.pop("JSON") or "auto")
    if "FORMAT AS JSON" not in out:
        raise Failed("ERROR: the rehearsal emulates COPY ... FORMAT AS JSON only")
    mapping = out["FORMAT AS JSON"]
    if mapping.lower() not in _MAPPINGS and not mapping.lower().startswith("s3://"):
        # 'noshred' is Redshift's too (copy-parameters-data-format.html#copy-json); SUPER columns are not emulated
        raise Failed(f"ERROR: the rehearsal does not serve COPY ... JSON '{mapping}' yet; it takes 'auto', "
                     "'auto ignorecase' or an s3:// jsonpaths file")
    char = out.get("ACCEPTINVCHARS")
    if char is not None and (len(char) != 1 or not char.isascii() or char == "\x00"):
        # "The replacement character can be any ASCII character except NULL" (wording unconfirmed)
        raise Failed(f"ERROR: ACCEPTINVCHARS replacement '{char}' must be one ASCII character other than NULL")
    return out


def _check_maxerror(value: str, quoted: bool) -> None:
    """"MAXERROR [AS] error_count ... the limit is 100000" (copy-parameters-data-load.html#copy-maxerror): the
    count is a whole number, not a string nor the next option's name; above the limit it is refused (what Redshift
    answers then is unconfirmed: the strictest reading)."""
    if quoted or not (value.isascii() and value.isdigit()):
        raise Failed('ERROR: syntax error at or near "MAXERROR": it takes a whole number of errors, MAXERROR [AS] '
                     "error_count (wording unconfirmed)")
    if int(value) > MAXERROR_LIMIT:
        raise Failed(f"ERROR: MAXERROR {value} is over its limit, {MAXERROR_LIMIT} (wording unconfirmed)")


def conversion(opts: dict[str, str]) -> Conversion:
    """The data conversion parameters of a COPY's options (:class:`~sparkify_nb.staging.convert.Conversion`
    says what each does and cites its page)."""
    return Conversion(trim_blanks="TRIMBLANKS" in opts, truncate_columns="TRUNCATECOLUMNS" in opts,
                      empty_as_null="EMPTYASNULL" in opts, blanks_as_null="BLANKSASNULL" in opts,
                      accept_inv_chars=opts.get("ACCEPTINVCHARS"),
                      ignore_case=opts["FORMAT AS JSON"].lower() == "auto ignorecase")


def run(caller: Any, conn: Any, tree: exp.Copy, in_transaction: bool) -> tuple[int, int]:
    """Run the COPY ``tree`` on ``conn`` for ``caller`` (an :class:`~.execute.Caller`) as the
    module docstring says; returns its query id and the rows it loaded."""
    target = caller.target
    opts = options(tree)
    credentials = tree.args.get("credentials")
    role_arn = credentials.args.get("iam_role").name if credentials and credentials.args.get("iam_role") else ""
    if not role_arn:
        raise Failed("ERROR: the rehearsal's COPY takes IAM_ROLE 'arn:...' credentials only")
    files = [f.name for f in tree.args.get("files") or []]
    if len(files) != 1 or not files[0].startswith("s3://"):
        raise Failed("ERROR: COPY from S3 needs one 's3://bucket/prefix' source")
    clients = caller.control.clients(target.region, target.account)
    identity, boundary = _role(clients, target, role_arn)
    region = opts.get("REGION") or target.region
    source, jsonpaths = files[0], opts["FORMAT AS JSON"]
    jsonpaths = None if jsonpaths.lower() in _MAPPINGS else jsonpaths
    for uri in [source] + ([jsonpaths] if jsonpaths else []):
        _check_region(clients, uri, region)
    read = Reader(clients, identity, boundary)
    objects = read.manifest(source, region) if "MANIFEST" in opts else read.prefix(source)
    objects = [_unzipped(o, "GZIP" in opts) for o in objects]
    paths = read_jsonpaths(jsonpaths, read.checked_clients(jsonpaths)) if jsonpaths else None
    table, oid = _table(conn, tree)
    if any(c.type == "TIMESTAMP" for c in table.columns) and opts.get("TIMEFORMAT", "").lower() != "epochmillisecs":
        raise Failed("ERROR: the rehearsal's COPY reads timestamps as TIMEFORMAT 'epochmillisecs' only")
    ours = idle(conn)
    if ours:
        _exec(conn, "BEGIN")
    with conn.cursor() as cur:
        cur.execute("SELECT nextval('rehearsal_internal.query_ids')")
        query_id = cur.fetchone()[0]
    set_last_copy(conn, query_id, 0)  # "updated when the COPY command begins the load process"
    caller.copy_state = (query_id, 0, False)
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    t0 = time.monotonic()
    try:
        report, aborted = copy_rows(conn, table, objects, paths, int(opts.get("MAXERROR", "0")),
                                    progress=log.info, jsonpaths=jsonpaths, conversion=conversion(opts))
    except LoadError as exc:
        if ours:
            _exec(conn, "ROLLBACK")
        raise Failed(f"ERROR: {exc}") from None
    _log(caller.state, target, conn, oid, table.name, query_id, started, t0, source, report, aborted)
    if aborted:
        caller.copy_state = (query_id, 0, True)
        if ours:
            _exec(conn, "ROLLBACK")
            caller.after_rollback(conn)
        raise Failed(f"ERROR: Load into table '{table.name}' failed. Check 'stl_load_errors' system table for details.")
    set_last_copy(conn, query_id, report.loaded)
    caller.copy_state = (query_id, report.loaded, False)
    if ours:
        _exec(conn, "COMMIT")
    return query_id, report.loaded


def set_last_copy(conn: Any, query_id: int, count: int) -> None:
    """``pg_last_copy_id()`` / ``pg_last_copy_count()`` of ``conn``'s session."""
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('rehearsal.last_copy_id', %s, false), "
                    "set_config('rehearsal.last_copy_count', %s, false)", (str(query_id), str(count)))


def _exec(conn: Any, sql: str) -> None:
    with conn.cursor() as cur:
        cur.execute(sql)


def _role(clients: Any, target: Any, role_arn: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The role's policies, once it is known to exist, be associated with the cluster and trust Redshift;
    else Redshift's error: the cluster's user "is not authorized to assume IAM Role"."""
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    user = f"arn:aws:redshift:{target.region}:{account}:dbuser:{target.identifier}/{target.user}"
    denied = Failed(f"ERROR: User {user} is not authorized to assume IAM Role {role_arn}")
    associated = [r.get("IamRoleArn") for r in target.cluster.get("IamRoles") or []]
    if role_arn not in associated or ":role/" not in role_arn:
        raise denied
    iam = clients("iam")
    name = role_arn.rsplit("/", 1)[-1]
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        raise denied from None
    if role["Arn"] != role_arn or not iam_eval.trusts_redshift(role["AssumeRolePolicyDocument"], user):
        raise denied
    return iam_eval.role_policies(iam, name)


def _check_region(clients: Any, uri: str, region: str) -> None:
    """The bucket of ``uri`` must be in ``region`` ("If the Amazon S3 buckets that hold the data files
    don't reside in the same AWS Region as your cluster, you must use the REGION parameter",
    copy-parameters-data-source-s3.html)."""
    bucket = sources.parse_s3_uri(uri)[0]
    s3 = clients("s3")
    try:
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            raise Failed("ERROR: S3ServiceException:The specified bucket does not exist,Status 404,"
                         "Error NoSuchBucket") from None
        raise
    if {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location) != region:
        raise Failed(WRONG_REGION)


class Reader:
    """What the COPY reads, each read checked against the role's policies first."""

    def __init__(self, clients: Any, identity: list[dict[str, Any]], boundary: dict[str, Any] | None):
        self.clients, self.identity, self.boundary = clients, identity, boundary

    def _allow(self, action: str, resource: str, context: dict[str, str] | None = None) -> None:
        if not iam_eval.allowed(self.identity, self.boundary, action, resource, context):
            raise Failed(ACCESS_DENIED)

    def _get(self, uri: str) -> None:
        bucket, key = sources.parse_s3_uri(uri)
        self._allow("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}")

    def _list(self, uri: str) -> None:
        """LIST the bucket of ``uri`` with its key as ``s3:prefix`` (which prefix Redshift lists a manifest's
        or a jsonpaths file's bucket with is not documented: unconfirmed; the object's own key is assumed)."""
        bucket, key = sources.parse_s3_uri(uri)
        self._allow("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": key})

    def checked_clients(self, uri: str) -> Any:
        """The clients to read the jsonpaths file ``uri`` with, once the role may LIST and GET it."""
        self._list(uri)
        self._get(uri)
        return self.clients

    def prefix(self, uri: str) -> list[sources.SourceObject]:
        bucket, prefix = sources.parse_s3_uri(uri)
        self._allow("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": prefix})
        objects = sources.list_sources(uri, self.clients)
        if not objects:
            raise Failed(f"ERROR: The specified S3 prefix '{prefix}' does not exist")
        for obj in objects:
            self._get(obj.name)
        return objects

    def manifest(self, uri: str, region: str) -> list[sources.SourceObject]:
        """The manifest's objects, once the role may LIST and GET the manifest and each of them, and each
        one's bucket is in ``region`` ("all resources, including a manifest file or multiple Amazon S3
        buckets, must be located in the specified region", copy-parameters-data-source-s3.html)."""
        self._list(uri)
        self._get(uri)
        try:
            objects = compaction.manifest_objects(uri, self.clients)
        except LoadError as exc:
            raise Failed(f"ERROR: {exc}") from None
        for bucket in sorted({sources.parse_s3_uri(o.name)[0] for o in objects}):
            _check_region(self.clients, f"s3://{bucket}", region)
        for obj in objects:
            self._list(obj.name)
            self._get(obj.name)
        return objects


def _unzipped(obj: sources.SourceObject, gzip_option: bool) -> sources.SourceObject:
    """``obj`` as COPY reads it: with GZIP, decompressed (the emulator decompresses ``.gz`` names
    itself); without it, a gzip object is not text, and the load fails on it, as Redshift's would
    (a deliberate shortcut: Redshift would reject its records one by one until MAXERROR)."""
    if obj.name.endswith(".gz"):
        if not gzip_option:
            raise Failed(f"ERROR: {obj.name} is gzip-compressed and the COPY does not say GZIP: its bytes are not "
                         "JSON text")
        return obj
    if not gzip_option:
        return obj
    return sources.SourceObject(obj.name, lambda o=obj: gzip.GzipFile(fileobj=o.open(), mode="rb"), obj.size)


def _table(conn: Any, tree: exp.Copy) -> tuple[schema.Table, int]:
    """The COPY's target (and its column list) as the emulator's table definition, and its oid."""
    target = tree.this
    table = target.this if isinstance(target, exp.Schema) else target
    wanted = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else None
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)::oid", (table.sql("postgres"),))
        oid = cur.fetchone()[0]
        if oid is None:
            raise Failed(f'ERROR: relation "{table.name}" does not exist')
        cur.execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s "
                    "AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (oid,))
        found = cur.fetchall()
    by_name = dict(found)
    columns = []
    for name in wanted or [n for n, _ in found]:
        if name not in by_name:
            raise Failed(f'ERROR: column "{name}" of relation "{table.name}" does not exist')
        kind = by_name[name]
        if kind.startswith("character varying("):
            columns.append(schema.Column(name, "VARCHAR" + kind[len("character varying"):]))
        elif kind in _TYPES:
            columns.append(schema.Column(name, _TYPES[kind][0]))
        else:
            raise Failed(f"ERROR: the rehearsal's COPY emulator has no converter for column {name} of type {kind}")
    return schema.Table(table.name, tuple(columns)), oid


def _short_type(column_type: str) -> str:
    if column_type.startswith("VARCHAR"):
        return "varchar"
    return next((short for long, short in _TYPES.values() if long == column_type), column_type.lower()[:10])


def _log(state: Any, target: Any, conn: Any, oid: int, table: str, query_id: int, started: datetime, t0: float,
         source: str, report: Any, aborted: bool) -> None:
    """The COPY's rejects and its history row, on a connection of their own (they survive a rollback)."""
    pid = conn.get_backend_pid()
    admin = backing.connect(state, target.dbname)
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT usesysid FROM pg_user WHERE usename = %s", (target.user,))
            userid = cur.fetchone()[0]
            insert = (backing.SQL_DIR / "record_reject.sql").read_text()
            for r in report.rejects:
                cur.execute(insert, {
                    "userid": userid, "tbl": oid, "starttime": started, "session": pid, "query": query_id,
                    "filename": r.filename[:256], "line_number": r.line_number, "colname": r.colname[:127],
                    "type": _short_type(r.type)[:10], "col_length": str(r.col_length)[:10], "raw_line": r.raw_line,
                    "raw_field_value": r.raw_field_value, "err_code": r.err_code, "err_reason": _cut(r.err_reason, 100),
                    "database_name": target.database})
            cur.execute((backing.SQL_DIR / "record_load.sql").read_text(), {
                "user_id": userid, "query_id": query_id, "status": "aborted" if aborted else "completed",
                "session_id": pid, "database_name": target.database, "table_name": table, "start_time": started,
                "end_time": datetime.now(timezone.utc).replace(tzinfo=None),
                "duration": int((time.monotonic() - t0) * 1e6), "data_source": source[:256],
                "loaded_rows": 0 if aborted else report.loaded, "bytes": report.bytes, "files": report.files,
                "error_count": report.rejected})
    finally:
        admin.close()


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` bytes of UTF-8 (Redshift's CHAR(n) counts bytes), never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")
