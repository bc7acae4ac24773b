"""The stack's work bucket as the permissions name it: its name and the one
prefix the COPY role reads (why the bucket exists, and what 01 makes of it:
:mod:`sparkify_nb.infra.workbucket`)."""

from __future__ import annotations

from ..config import Settings
from ..config_names import bucket_problem
from .errors import PolicyError

MANIFESTS = "manifests/"  # the only prefix the COPY role may read (:mod:`.reach`)


def bucket_name(settings: Settings, account: str) -> str:
    """``<stack_name>-work-<account>`` (``account`` ``*`` in a policy printed
    without one). Raises :class:`.PolicyError` when S3 would refuse the name."""
    name = f"{settings.stack_name}-work-{account}"
    wrong = bucket_problem(name) if account != "*" else None
    if wrong:
        raise PolicyError(f"the work bucket's name {name!r} is one S3 refuses (it takes {wrong}): choose another "
                         "[general] stack_name")
    return name
