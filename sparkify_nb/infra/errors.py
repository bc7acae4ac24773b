"""The errors infra raises on purpose; each message names the resource or setting."""

from __future__ import annotations

from .. import SparkifyError


class InfraError(SparkifyError):
    """Provisioning or teardown could not complete; the message says which resource."""


class IngressError(InfraError):
    """``[network] allowed_cidrs`` is refused or cannot be defaulted (no public IP found)."""


class ConflictError(InfraError):
    """A resource with our name exists but does not carry this stack's tag: not ours to manage."""


class WaitTimeout(InfraError):
    """A resource did not reach the wanted state within the timeout."""
