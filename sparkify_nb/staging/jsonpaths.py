"""The jsonpaths mapping of a load: which field of a record fills which column
(positional: the n-th path fills the n-th column; the rules are part of the
COPY contract in :mod:`sparkify_nb.staging`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import LoadError
from .sources import parse_s3_uri

if TYPE_CHECKING:
    from ..aws import Clients

JsonPath = tuple[str | int, ...]
"""The steps of one path: a key (str) or a list index (int) each."""

_PATH_STEP = re.compile(r"""\[\s*'((?:[^'\\]|\\.)*)'\s*\]"""            # ['key']
                        r"""|\[\s*"((?:[^"\\]|\\.)*)"\s*\]"""           # ["key"]
                        r"""|\[\s*(\d+)\s*\]"""                         # [0]
                        r"""|\.([A-Za-z_][A-Za-z0-9_]*)""")             # .key


def parse_jsonpath(expr: str) -> JsonPath:
    """The steps of one JSONPath expression (``$['a']['b']``, ``$.a.b``, ``$['a'][0]``).

    Raises ValueError for anything else (filters, wildcards, slices: Redshift
    does not take them either).

    Example::

        >>> parse_jsonpath("$['tags'][1]")
        ('tags', 1)
    """
    text = expr.strip()
    if not text.startswith("$"):
        raise ValueError("must start with $")
    steps: list[str | int] = []
    pos = 1
    while pos < len(text):
        match = _PATH_STEP.match(text, pos)
        if not match:
            raise ValueError(f"unexpected {text[pos:pos + 10]!r} at position {pos}")
        key = match.group(1) if match.group(1) is not None else match.group(2)
        if key is not None:
            steps.append(key)
        elif match.group(3) is not None:
            steps.append(int(match.group(3)))
        else:
            steps.append(match.group(4))
        pos = match.end()
    if not steps:
        raise ValueError("names no field")
    return tuple(steps)


def read_jsonpaths(uri: str, clients: Clients | None = None) -> list[JsonPath]:
    """The paths of a jsonpaths file (s3://, read with ``clients("s3")``, or
    local), in order, each as its steps.

    Raises :class:`LoadError` naming the file and the path that is wrong."""
    try:
        if uri.startswith("s3://"):
            if clients is None:
                raise ValueError("reading S3 needs the step's aws.Clients")
            bucket, key = parse_s3_uri(uri)
            raw = clients("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        else:
            raw = Path(uri).expanduser().read_bytes()
    except Exception as exc:
        raise LoadError(f"jsonpaths file {uri}: cannot be read: {exc}") from None
    try:
        paths = json.loads(raw)["jsonpaths"]
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise LoadError(f"{uri}: not a jsonpaths file (expected {{\"jsonpaths\": [\"$['field']\", ...]}})") from None
    out = []
    for i, expr in enumerate(paths):
        try:
            out.append(parse_jsonpath(expr))
        except ValueError as exc:
            raise LoadError(f"{uri}: jsonpath #{i + 1} {expr!r}: {exc}") from None
    return out
