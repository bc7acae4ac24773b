"""boto3 sessions that share one botocore data loader per process (:func:`new_session`).

Its own module, importing nothing of the package's: :mod:`.aws` makes its sessions here, and so do the
local stack's processes (:mod:`.local.iam.account`, the rehearsal's endpoint), which :mod:`.aws` imports.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3

_LOADER_LOCK = threading.Lock()
_LOADER: list[Any] = []  # botocore's data loader, once made: shared by every session of this process


def new_session(**kwargs: Any) -> boto3.Session:
    """A boto3 session (``kwargs`` as :class:`boto3.Session` takes them) whose botocore data loader is
    this process's one: the service models, endpoint rules and partitions it reads from botocore's JSON
    files are parsed once per process, not once per session. A session per set of keys is what boto3
    asks for (its credentials are the session's), and the rehearsal's processes make many: the
    administrator's, each assumed role's, each emulator account's. Parsing botocore's JSON again for each
    was 12.7 % of the kernels' busy samples and 16 % of the Data API endpoint's in a py-spy profile of
    tests/test_whole_runs.py; a second session with an EC2 client costs 0.017 s of CPU instead of 0.21 s."""
    import botocore.session

    core = botocore.session.Session()
    with _LOADER_LOCK:
        if not _LOADER:
            _LOADER.append(core.get_component("data_loader"))
        loader = _LOADER[0]
        core.register_component("data_loader", loader)
        session = boto3.Session(botocore_session=core, **kwargs)
        paths = loader.search_paths  # boto3 appends its own data folder to the loader, once a session
        paths[:] = list(dict.fromkeys(paths))
    return session
