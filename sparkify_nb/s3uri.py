"""S3 URIs and the COPY manifests that list them: the one parser of each,
below every stage (``iam``, ``infra``, ``staging`` and ``cli`` use them), so
that none of those packages imports another only to read a URI."""

from __future__ import annotations

import json
from typing import Any


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` -> ``("bucket", "some/key")``; the key (or
    prefix) is ``""`` for ``s3://bucket`` and ``s3://bucket/``.

    Raises ValueError naming ``uri`` when it is not ``s3://bucket[/...]``.

    Example::

        >>> parse_s3_uri("s3://udacity-dend/log_data/2018")
        ('udacity-dend', 'log_data/2018')
    """
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri!r} is not an s3://bucket/key URI")
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"{uri!r} names no bucket (expected s3://bucket/key)")
    return bucket, key


def manifest_entries(text: bytes | str) -> list[Any]:
    """The ``entries`` list of a COPY manifest's JSON text. Raises ValueError
    (JSON that does not parse), KeyError (no ``entries``) or TypeError
    (``entries`` not a list), as COPY fails on such a manifest.

    >>> manifest_entries(b'{"entries": [{"url": "s3://b/k", "mandatory": true}]}')
    [{'url': 's3://b/k', 'mandatory': True}]
    """
    entries = json.loads(text)["entries"]
    if not isinstance(entries, list):
        raise TypeError("entries is not a list")
    return entries


def manifest_urls(entries: list[Any]) -> list[str]:
    """The ``url`` of every well-formed entry of a manifest (:func:`manifest_entries`)."""
    return [e["url"] for e in entries if isinstance(e, dict) and isinstance(e.get("url"), str)]
