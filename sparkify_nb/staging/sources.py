"""Where 03's sources are: the one parser of ``s3://bucket/key`` URIs.

(H-infra's stand-in with the agreed contract; the staging split owns this
module and keeps one copy at merge.)
"""

from __future__ import annotations


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket[/key]`` -> ``(bucket, key)``; the key (or prefix) is
    ``""`` when the URI names only the bucket, and keeps any trailing ``/``.

    Raises ValueError naming ``uri`` when it is not an ``s3://`` URI with a
    bucket.

    Example::

        >>> parse_s3_uri("s3://udacity-dend/song_data/")
        ('udacity-dend', 'song_data/')
    """
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri!r} is not an S3 URI (expected s3://bucket/key)")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"{uri!r} names no bucket (expected s3://bucket/key)")
    return bucket, key
