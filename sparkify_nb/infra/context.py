"""What every find, ensure and delete step of :mod:`.resources` is given: the
settings, the boto3 clients of this notebook step, the progress callback, the
warnings so far, and the tag that marks a resource as this stack's.

Every resource carries ``sparkify:stack = <stack_name>``; a resource without it
is never changed or deleted (:meth:`Context.claim`). What 01 makes also carries
``sparkify:owner = <the caller's ARN>`` (who made it: :mod:`.owner` stops 01 and
99 run by someone else unless ``[general] adopt_stack = true``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from .. import Progress, aws
from ..config import Settings
from ..iam.tags import OWNER_KEY, TAG_KEY, owner_value, stack_tags  # noqa: F401 (infra's modules take them from here)
from .errors import ConflictError

log = logging.getLogger(__name__)

def tag_value(tags: list[dict[str, str]] | None, key: str) -> str | None:
    """The value of ``key`` in EC2/Redshift/IAM (``Key``/``Value``) or Serverless (``key``/``value``) tags."""
    for tag in tags or []:
        if tag.get("Key", tag.get("key")) == key:
            return tag.get("Value", tag.get("value"))
    return None


@dataclass
class Context:
    """One provision, teardown or check run. ``delay_s`` is the pause between
    status polls (default: 1 s on ``local``, 15 s on ``redshift``)."""

    settings: Settings
    clients: aws.Clients
    progress: Progress = print
    warnings: list[str] = field(default_factory=list)
    delay_s: float | None = None
    identity: dict[str, str] | None = None  # sts:GetCallerIdentity, asked once (:attr:`caller`)

    def client(self, service: str) -> Any:
        """The boto3 client of ``service`` (made once per run, see :class:`aws.Clients`)."""
        return self.clients(service)

    @property
    def poll_delay_s(self) -> float:
        if self.delay_s is not None:
            return self.delay_s
        return 1 if self.settings.on_emulator else 15

    def lacks(self, service: str, operation: str = "*") -> bool:
        """True when the local emulator does not implement it (:func:`aws.emulator_lacks`)."""
        return aws.emulator_lacks(self.settings, service, operation)

    def warn(self, message: str) -> None:
        """Record a warning (it goes into the state file) and report it."""
        self.warnings.append(message)
        log.warning("%s", message)
        self.progress(f"WARNING: {message}")

    @property
    def caller(self) -> dict[str, str]:
        """Who runs this (``Account``, ``Arn``, ``UserId`` of ``sts:GetCallerIdentity``, which needs no
        permission: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)."""
        if self.identity is None:
            who = aws.call(self.client("sts"), "get_caller_identity")
            self.identity = {k: who[k] for k in ("Account", "Arn", "UserId")}
        return self.identity

    @property
    def partition(self) -> str:
        """``aws`` (or ``aws-cn``, ``aws-us-gov``): the caller's ARN's partition."""
        return self.caller["Arn"].split(":")[1]

    # --- the stack's tag ---------------------------------------------------------

    def tags(self, name: str) -> list[dict[str, str]]:
        """EC2/Redshift/IAM tags of a resource named ``name``: the stack, its owner (the caller) and the name."""
        return stack_tags(self.settings.stack_name, self.caller["Arn"], name)

    def tag_filter(self) -> list[dict[str, Any]]:
        """The EC2 ``Filters`` entry that selects this stack's resources."""
        return [{"Name": f"tag:{TAG_KEY}", "Values": [self.settings.stack_name]}]

    def is_ours(self, tags: list[dict[str, str]] | None) -> bool:
        """True when ``tags`` (EC2/Redshift/IAM ``Key``/``Value`` or Serverless
        ``key``/``value`` shape) hold ``sparkify:stack = <stack_name>``."""
        return tag_value(tags, TAG_KEY) == self.settings.stack_name

    def claim(self, tags: list[dict[str, str]] | None, what: str, setting: str) -> None:
        """Refuse to manage ``what`` (e.g. ``"IAM role x"``) unless it carries this
        stack's tag: an existing resource of the same name is someone else's.
        Raises :class:`ConflictError` naming ``setting``, the key to change."""
        if not self.is_ours(tags):
            raise ConflictError(f"{what} exists but is not tagged {TAG_KEY}={self.settings.stack_name}: not ours "
                                f"to manage. Set another {setting}")
