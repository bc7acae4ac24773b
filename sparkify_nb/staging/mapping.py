"""``'auto'`` mapping that matched nothing, said where it happens.

COPY's ``FORMAT AS JSON 'auto'`` fills a column from the top-level key of the
same name, case included (only ``'auto ignorecase'`` ignores case, and neither
drops underscores): https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-json.html .
So events keyed ``userId`` or ``sessionId`` load into ``user_id`` and
``session_id`` as NULL, every one of them, and the first sign used to be a
quality failure far from the cause.

:func:`auto_mapping_warnings` runs after a load with ``'auto'`` on either
target: it counts the staged column's non-NULL values (one SQL query, the same
on Redshift and PostgreSQL) and, only for columns NULL in every loaded row,
reads the keys of the first record of the first source object (from S3 or the
local folder). A key that spells the column another way (case, underscores,
hyphens: ``userId`` for ``user_id``) makes a warning that names both and the
jsonpaths file as the cure.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from typing import TYPE_CHECKING, Any

from ..warehouse import schema
from .sources import list_sources, parse_s3_uri

if TYPE_CHECKING:
    from ..aws import Clients

HEAD_BYTES = 1 << 20  # enough of the first object for its first record (a song file is a few hundred bytes)


def spelling(name: str) -> str:
    """``name`` without case, underscores, hyphens or spaces: ``userId`` and
    ``user_id`` both give ``userid``."""
    return re.sub(r"[\s_-]", "", name).lower()


def null_columns(conn: Any, table: schema.Table) -> list[str]:
    """Columns of ``table`` that are NULL in every row (none when it is empty)."""
    counts = ", ".join(f"COUNT({schema.quote_identifier(c)})" for c in table.column_names)
    with conn.cursor() as cur:
        cur.execute(f"SELECT COUNT(*), {counts} FROM {schema.quote_identifier(table.name)}")
        total, *filled = cur.fetchone()
    if not total:
        return []
    return [name for name, n in zip(table.column_names, filled) if not n]


def _head(source: str, clients: Clients | None) -> bytes:
    """The first bytes of the first object under ``source`` (b"" when there is none)."""
    if source.startswith("s3://"):
        if clients is None:
            raise ValueError(f"source {source}: reading S3 needs the step's aws.Clients")
        bucket, prefix = parse_s3_uri(source)
        s3 = clients("s3")
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=50).get("Contents", [])
        keys = sorted(o["Key"] for o in listed if not o["Key"].endswith("/"))
        if not keys:
            return b""
        body = s3.get_object(Bucket=bucket, Key=keys[0], Range=f"bytes=0-{HEAD_BYTES - 1}")["Body"].read()
        name = keys[0]
    else:
        objects = list_sources(source)
        if not objects:
            return b""
        with objects[0].open() as stream:
            body = stream.read(HEAD_BYTES)
        name = objects[0].name
    if name.endswith(".gz"):
        body = gzip.GzipFile(fileobj=io.BytesIO(body)).read(HEAD_BYTES) if body else b""
    return body


def first_record_keys(source: str, clients: Clients | None = None) -> list[str]:
    """The top-level keys of the first JSON record of the first object under
    ``source``, in file order; ``[]`` when there is no readable object record
    (also when S3 refuses this identity: the warning is a courtesy, the load stands)."""
    try:
        text = _head(source, clients).decode("utf-8", errors="replace").lstrip()
        record, _ = json.JSONDecoder().raw_decode(text)
    except Exception:  # ValueError, OSError, EOFError, botocore ClientError / NoCredentialsError
        return []
    return list(record) if isinstance(record, dict) else []


def auto_mapping_warnings(conn: Any, table: schema.Table, source: str, clients: Clients | None = None) -> list[str]:
    """After a load of ``table`` with ``'auto'`` mapping from ``source``: a
    warning (one for the table, or none) naming each column that is NULL in
    every row while the records carry a key spelled like it (:func:`spelling`)
    but not exactly it. ``clients`` reads an s3:// source (only when a column
    is all NULL)."""
    empty = null_columns(conn, table)
    if not empty:
        return []
    by_spelling: dict[str, str] = {}
    for key in first_record_keys(source, clients):
        by_spelling.setdefault(spelling(key), key)
    pairs = [(column, key) for column in empty
             if (key := by_spelling.get(spelling(column))) is not None and key != column]
    if not pairs:
        return []
    named = ", ".join(f"{column} (key {key!r})" for column, key in pairs)
    many = len(pairs) > 1
    return [f"{table.name}: {len(pairs)} column{'s' if many else ''} NULL in every record while the records carry "
            f"{'keys spelled like them' if many else 'a key spelled like it'}: {named}. COPY's 'auto' matches key "
            "names exactly, case included; map the fields with a jsonpaths file ([s3] log_jsonpath)"]
